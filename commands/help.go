package commands

import (
	"slices"
	"strings"
)

// Help groups, in the order help shows them. Each operation's group follows from its row of
// the table (see groupOf), so a new row lands in the right group without a list to update.
const (
	GroupLook         = "look"         // changes nothing
	GroupParticipants = "participants" // changes one participant
	GroupMeetings     = "meetings"     // changes a whole meeting, or who is in it
	GroupHelp         = "help"
)

// HelpGroups lists the groups in help order with their titles and what they are for.
func HelpGroups() []HelpGroup {
	return []HelpGroup{
		{GroupLook, "Look", "what is happening; changes nothing"},
		{GroupParticipants, "Participants", "one person at a time"},
		{GroupMeetings, "Meetings", "everyone in a meeting at once, or who is in it"},
		{GroupHelp, "Help", ""},
	}
}

// HelpGroup is one heading of help.
type HelpGroup struct{ ID, Title, For string }

// groupOf is an operation's help group: reads are looks; a change whose first argument is a
// participant changes that participant; any other change, the meeting.
func groupOf(o operation) string {
	_, args, _ := strings.Cut(o.usage, " ")
	switch {
	case o.op == OpHelp:
		return GroupHelp
	case !o.changes:
		return GroupLook
	case strings.HasPrefix(args, "<participant>"):
		return GroupParticipants
	}
	return GroupMeetings
}

// HelpExample is one worked example: a command as typed and what it does.
type HelpExample struct{ Text, What string }

// helpExamples are help's first lines, most useful first; help shows those the actor may run.
// "public" is for Slack only (the terminal has no channel).
func helpExamples() []HelpExample {
	return []HelpExample{
		{"calls", "every active meeting, on every node"},
		{"call board", "who is in the meeting whose name contains “board”"},
		{"find dmitri", "which meeting Dmitri is in, on which node"},
		{"participant dmitri", "Dmitri's media: packet loss, jitter, codecs"},
		{"mute dmitri", "others stop hearing Dmitri (unmute undoes it)"},
		{"add board alice@example.com", "dial Alice into that meeting"},
		{"presenter board dmitri", "Dmitri presents; everyone else is muted"},
		{"calls public", "post the answer for the whole channel (else only you see it)"},
	}
}

// clusterExamples show, with several clusters, how a command names its cluster: nobody
// guesses `@amer` from the commands' usage lines.
func (s *Service) clusterExamples(a Actor) []HelpExample {
	if !s.Multi() {
		return nil
	}
	here := s.bindings[a.ChannelID]
	other := s.clusters[0].name
	for _, c := range s.clusters {
		if c.name != here {
			other = c.name
			break
		}
	}
	what := "the meetings of cluster " + other
	switch {
	case here != "":
		what += " (without `@<cluster>`, commands here act on " + here + ")"
	case a.ChannelID == "":
		what += " (several clusters: every command names its own)"
	default:
		what += " (here a command without `@<cluster>` asks which)"
	}
	return []HelpExample{
		{"calls @" + other, what},
		{"status @" + AllClusters, "every cluster's nodes, the cluster on each line (also calls and report)"},
	}
}

// examplesFor keeps the examples role may run; local is the terminal.
func (s *Service) examplesFor(role Role, local bool) []HelpExample {
	var out []HelpExample
	for _, e := range helpExamples() {
		c, err := Parse(e.Text)
		if err != nil || role < needs(c.Op) || c.Public && local {
			continue
		}
		out = append(out, e)
	}
	return out
}

func (s *Service) help(a Actor, topic string) *HelpResult {
	role := s.policy.RoleOf(a)
	r := &HelpResult{Topic: topic, Role: role}
	if role < RoleOperator {
		// Only someone who cannot change calls needs to know how operators are configured;
		// the terminal is always a local operator.
		r.Note = s.policy.setupNote()
	}
	if topic == "" && role > RoleNone {
		r.Examples = append(s.examplesFor(role, a.Local), s.clusterExamples(a)...)
	}
	for _, o := range operations() {
		if topic != "" && string(o.op) != topic {
			continue
		}
		if role < needs(o.op) || o.op == OpHistory && s.hist == nil {
			continue // history is listed only where NFMM receives CDRs
		}
		r.Entries = append(r.Entries, HelpEntry{
			Name: string(o.op), Usage: o.usage, Summary: o.summary, Operator: needs(o.op) == RoleOperator,
			Group: groupOf(o),
		})
	}
	switch {
	case role == RoleNone:
		r.Note = s.policy.denial(a, role)
	case topic == string(OpHistory) && s.hist == nil && role >= needs(OpHistory):
		r.Note = historyOff // not a matter of role: this NFMM keeps no history
	case role == RoleViewer && len(s.policy.Operators) > 0:
		r.Note = "You may look; to change calls, ask " + s.policy.contact() + "."
	case topic != "" && len(r.Entries) == 0:
		r.Note = s.policy.denial(a, role)
	}
	r.Entries = slices.Clip(r.Entries)
	return r
}

// HelpSection is one group of help with its entries.
type HelpSection struct {
	HelpGroup
	Entries []HelpEntry
}

// HelpEntriesByGroup splits entries into the help groups, in HelpGroups order, each keeping
// the table's order; entries of no known group come last, untitled.
func HelpEntriesByGroup(entries []HelpEntry) []HelpSection {
	var out []HelpSection
	known := map[string]bool{}
	for _, g := range HelpGroups() {
		known[g.ID] = true
		sec := HelpSection{HelpGroup: g}
		for _, e := range entries {
			if e.Group == g.ID {
				sec.Entries = append(sec.Entries, e)
			}
		}
		if len(sec.Entries) > 0 {
			out = append(out, sec)
		}
	}
	var rest HelpSection
	for _, e := range entries {
		if !known[e.Group] {
			rest.Entries = append(rest.Entries, e)
		}
	}
	if len(rest.Entries) > 0 {
		out = append(out, rest)
	}
	return out
}

// RoleSentence tells the user what they are in help: "" for someone NFMM does not serve
// (help's note says why and who to ask).
func RoleSentence(role Role) string {
	switch role {
	case RoleOperator:
		return "You are an operator: you may look and change calls."
	case RoleViewer:
		return "You are a viewer: you may look, not change calls."
	}
	return ""
}
