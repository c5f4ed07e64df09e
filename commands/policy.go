package commands

import "slices"

// Role is what an actor may do.
type Role int

const (
	RoleNone     Role = iota // may not use the bot here
	RoleViewer               // reads
	RoleOperator             // reads and changes calls
)

// String returns "none", "viewer" or "operator".
func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleOperator:
		return "operator"
	default:
		return "none"
	}
}

// Policy is who may do what, where (design.md: NFMM_OPERATORS, NFMM_VIEWERS, NFMM_CHANNELS).
// An entry "*" means everyone. Empty Viewers means everyone may look; empty Operators means
// nobody may change calls; empty Channels means every channel.
type Policy struct {
	Operators []string // user ids or user-group ids
	Viewers   []string
	Channels  []string
	// AdminContact is who refusals tell people to ask (NFMM_ADMIN_CONTACT, e.g. "@cms-admins");
	// "" says "an NFMM admin". Refusals name a person to ask, never a variable to set: the
	// person refused cannot set it.
	AdminContact string
	// Cluster is the cluster this policy is for, with several clusters: a refusal names it
	// when the actor has more rights on another cluster (others).
	Cluster string
	others  []Policy
}

// elsewhere is the actor's best role on the other clusters.
func (p Policy) elsewhere(a Actor) Role {
	best := RoleNone
	for _, o := range p.others {
		best = max(best, o.RoleOf(a))
	}
	return best
}

// contact is who to ask, as refusals say it.
func (p Policy) contact() string {
	if p.AdminContact != "" {
		return p.AdminContact
	}
	return "an NFMM admin"
}

// RoleOf returns the actor's role. The terminal is a local operator and skips the channel check.
func (p Policy) RoleOf(a Actor) Role {
	if a.Local {
		return RoleOperator
	}
	if len(p.Channels) > 0 && !slices.Contains(p.Channels, "*") && !slices.Contains(p.Channels, a.ChannelID) {
		return RoleNone
	}
	if matches(p.Operators, a) {
		return RoleOperator
	}
	if len(p.Viewers) == 0 || matches(p.Viewers, a) {
		return RoleViewer
	}
	return RoleNone
}

func matches(list []string, a Actor) bool {
	for _, id := range list {
		if id == "*" || (id != "" && (id == a.UserID || slices.Contains(a.Groups, id))) {
			return true
		}
	}
	return false
}

// Allowed returns nil when the actor may run op, or a *DeniedError saying how to get access.
func (p Policy) Allowed(a Actor, op Op) error {
	role := p.RoleOf(a)
	if role >= needs(op) {
		return nil
	}
	return &DeniedError{Op: op, Msg: p.denial(a, role)}
}

func (p Policy) denial(a Actor, role Role) string {
	switch {
	case role == RoleNone && len(p.Channels) > 0 && !slices.Contains(p.Channels, a.ChannelID):
		return "NFMM does not answer in this channel: use a channel it serves, or ask " + p.contact() + " to add this one."
	case role == RoleNone && p.Cluster != "" && p.elsewhere(a) > role:
		return "You may not use NFMM on cluster " + p.Cluster + ": ask " + p.contact() + " for access (your Slack user id is " + a.UserID + ")."
	case role == RoleNone:
		return "You may not use NFMM: ask " + p.contact() + " for access (your Slack user id is " + a.UserID + ")."
	case len(p.Operators) == 0 && p.Cluster != "":
		return "Nobody may change calls on cluster " + p.Cluster + " yet: ask " + p.contact() + " to name its operators."
	case len(p.Operators) == 0:
		return "Nobody may change calls yet: ask " + p.contact() + " to name NFMM's operators."
	case p.Cluster != "" && p.elsewhere(a) > role:
		return "You are not an operator of cluster " + p.Cluster + ", so you may not change its calls: ask " + p.contact() + " to make you one (your Slack user id is " + a.UserID + ")."
	default:
		return "Only NFMM operators may change calls: ask " + p.contact() + " to make you one (your Slack user id is " + a.UserID + ")."
	}
}

// setupNote explains how to enable changes when no operator is configured; "" otherwise.
func (p Policy) setupNote() string {
	if len(p.Operators) > 0 {
		return ""
	}
	return "Nobody may change calls yet: ask " + p.contact() + " to name NFMM's operators."
}
