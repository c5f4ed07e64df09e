package cms

import (
	"cmp"
	"context"
	"slices"
)

// stateReads bounds how many meetings CompleteState reads at once (each node's own cap still
// bounds what reaches it).
const stateReads = 8

// CompleteState counts the lobby and names the presenter of every meeting a REST read left
// without them (live state fills both itself, without a request). It reads little: the legs of
// locked meetings only, since CMS puts joiners in the lobby behind a lock (lockMode all), and
// the presenter's leg where someone presents in an unlocked meeting. An unlocked meeting's
// lobby is counted as empty. A locked meeting whose legs cannot all be read keeps Lobby nil
// (not counted).
func (c *Cluster) CompleteState(ctx context.Context, ms []Meeting) {
	forEachBounded(stateReads, len(ms), func(i int) {
		m := &ms[i]
		if m.Lobby != nil {
			return
		}
		if slices.ContainsFunc(m.Instances, func(in CallInstance) bool { return in.Call.Locked }) {
			ro := c.Roster(ctx, *m)
			if len(ro.Failed) == 0 {
				m.Lobby = ptr(LobbyCount(ro.Legs))
			}
			if m.PresenterName == "" {
				m.PresenterName = presenterIn(*m, ro.Legs)
			}
			return
		}
		m.Lobby = ptr(0)
		for _, in := range m.Instances {
			if leg := in.Call.PresenterCallLeg; leg != "" && m.PresenterName == "" {
				// Another instance may name its distribution link to the presenter's node.
				if d, err := c.Leg(ctx, in.Node, leg); err == nil && !d.IsDistributionLink() {
					m.PresenterName = cmp.Or(d.Name, d.RemoteParty)
				}
			}
		}
	})
}

// LobbyCount is how many of the legs wait in the lobby.
func LobbyCount(legs []RosterEntry) int {
	n := 0
	for _, e := range legs {
		if e.Leg.Status.Deactivated {
			n++
		}
	}
	return n
}

// presenterIn names the meeting's presenterCallLeg from its roster ("" when not in it).
func presenterIn(m Meeting, legs []RosterEntry) string {
	for _, in := range m.Instances {
		if id := in.Call.PresenterCallLeg; id != "" {
			for _, e := range legs {
				if e.Leg.ID == id {
					return cmp.Or(e.Leg.Name, e.Leg.RemoteParty)
				}
			}
		}
	}
	return ""
}
