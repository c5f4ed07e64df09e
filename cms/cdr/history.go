package cdr

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Rows is the history a store holds for a time window: the rows Assemble needs.
type Rows struct {
	Instances  []Instance
	Legs       []Leg
	Recordings []Recording
}

// HistoryQuery selects history rows. Every store answers it the same way: the instances that
// overlap [From, To) and match Meeting and Participant, with all their legs and recordings,
// plus legs overlapping the window whose call has no instance row (its callStart and callEnd
// never arrived), when they match.
type HistoryQuery struct {
	From, To time.Time
	// Meeting is a case-insensitive part of the meeting's name, or a callCorrelator prefix;
	// "" matches every meeting.
	Meeting string
	// Participant is a case-insensitive part of a participant's name or address: only
	// meetings with such a leg (with every instance of them, on any node); "" matches all.
	Participant string
	// Cluster is the cluster whose meetings are read ("default" with CMS_NODES); "" reads
	// every cluster's.
	Cluster string
}

func (q HistoryQuery) inCluster(cluster string) bool { return q.Cluster == "" || q.Cluster == cluster }

// MatchesInstance reports whether an instance row passes the window and the meeting filter.
func (q HistoryQuery) MatchesInstance(x Instance) bool {
	if !Overlaps(x.StartedAt, x.EndedAt, q.From, q.To) {
		return false
	}
	m := strings.ToLower(q.Meeting)
	return m == "" || strings.Contains(strings.ToLower(x.Name), m) || strings.HasPrefix(strings.ToLower(x.CallCorrelator), m)
}

// MatchesLeg reports whether a leg passes the participant filter.
func (q HistoryQuery) MatchesLeg(l Leg) bool {
	p := strings.ToLower(q.Participant)
	return p == "" || strings.Contains(strings.ToLower(l.DisplayName), p) ||
		strings.Contains(strings.ToLower(l.RemoteParty), p) || strings.Contains(strings.ToLower(l.RemoteAddress), p)
}

// Overlaps reports whether a row that ran from start to end (end zero: still running) touched
// [from, to). Stores use the same rule so every engine returns the same rows.
func Overlaps(start, end, from, to time.Time) bool {
	if !start.IsZero() && !start.Before(to) {
		return false
	}
	return end.IsZero() || !end.Before(from)
}

// Meeting is one meeting as history knows it: every call instance that shares a
// callCorrelator, on any node, with the participant legs of all of them.
type Meeting struct {
	// ID is the callCorrelator, or "<node>/<call id>" for a call whose callStart never came.
	ID           string
	Name         string
	CoSpace      string
	Nodes        []string
	StartedAt    time.Time
	EndedAt      time.Time // the last instance's end; zero while any instance runs
	Peak         int       // most participants at once, over every node
	Participants []Participant
	Recordings   []Recording
}

// Ended reports whether every instance of the meeting has ended.
func (m Meeting) Ended() bool { return !m.EndedAt.IsZero() }

// Duration is how long the meeting ran, up to now for one still running.
func (m Meeting) Duration(now time.Time) time.Duration {
	end := m.EndedAt
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(m.StartedAt), 0).Round(time.Second)
}

// Participant is one participant leg of a meeting. A person who rejoined has one Participant
// per leg.
type Participant struct {
	Leg
	JoinedAt time.Time
	LeftAt   time.Time // zero while connected
}

// Name is what to call the participant: the display name, else the address.
func (p Participant) Name() string {
	for _, s := range []string{p.DisplayName, p.RemoteParty, p.RemoteAddress, p.LegID} {
		if s != "" {
			return s
		}
	}
	return ""
}

// Address is the participant's remote address.
func (p Participant) Address() string { return cmp.Or(p.RemoteParty, p.RemoteAddress) }

// Duration is how long the leg lasted, by CMS's own count when callLegEnd said it.
func (p Participant) Duration(now time.Time) time.Duration {
	if p.DurationS > 0 {
		return time.Duration(p.DurationS) * time.Second
	}
	end := p.LeftAt
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(p.JoinedAt), 0).Round(time.Second)
}

// Lobby is the time spent waiting in the lobby: the duration minus the activated duration. A
// leg whose confirmation was rejected never left the lobby.
func (p Participant) Lobby() time.Duration {
	switch {
	case p.ActivatedS > 0 && p.DurationS > p.ActivatedS:
		return time.Duration(p.DurationS-p.ActivatedS) * time.Second
	case p.ActivatedS == 0 && p.ConfirmationStatus == "rejected":
		return time.Duration(p.DurationS) * time.Second
	}
	return 0
}

// Matches reports whether q names the participant: a case-insensitive part of the name or
// of an address.
func (p Participant) Matches(q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return false
	}
	for _, s := range []string{p.DisplayName, p.RemoteParty, p.RemoteAddress} {
		if s != "" && strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// PoorMedia reports whether any alarm covered at least pct percent of the leg.
func (p Participant) PoorMedia(pct float64) bool {
	return p.PacketLossPct >= pct || p.JitterPct >= pct || p.HighRTTPct >= pct
}

// Matches reports whether ref names the meeting: a case-insensitive part of its name, or a
// prefix of its id (callCorrelator) of at least 4 characters.
func (m Meeting) Matches(ref string) bool {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if ref == "" {
		return false
	}
	if len(ref) >= 4 && strings.HasPrefix(strings.ToLower(m.ID), ref) {
		return true
	}
	return strings.Contains(strings.ToLower(m.Name), ref)
}

type callKey struct{ node, call string }

// Assemble builds meetings from rows, most recently ended first (running meetings before all
// ended ones, newest first). Distribution links and recorder legs are not participants; legs
// that never joined a call (a failed dial-out with no call id) belong to no meeting.
func Assemble(rows Rows) []Meeting {
	byID := map[string]*Meeting{}
	meetingOf := map[callKey]*Meeting{}
	open := map[string]bool{}
	ends := map[callKey]time.Time{}
	get := func(id string) *Meeting {
		m := byID[id]
		if m == nil {
			m = &Meeting{ID: id}
			byID[id] = m
		}
		return m
	}
	for _, x := range rows.Instances {
		id := x.CallCorrelator
		if id == "" {
			id = x.Node + "/" + x.CallID
		}
		m := get(id)
		meetingOf[callKey{x.Node, x.CallID}] = m
		ends[callKey{x.Node, x.CallID}] = x.EndedAt
		m.Name = cmp.Or(m.Name, x.Name)
		m.CoSpace = cmp.Or(m.CoSpace, x.CoSpace)
		addNode(m, x.Node)
		m.StartedAt = earliest(m.StartedAt, x.StartedAt)
		if x.EndedAt.IsZero() {
			open[id] = true
		}
		m.EndedAt = latest(m.EndedAt, x.EndedAt)
		m.Peak += x.LegsMaxActive // replaced by the legs' own count below when legs are known
	}
	for _, l := range rows.Legs {
		if l.CallID == "" || l.IsDistributionLink() || l.Service {
			continue
		}
		k := callKey{l.Node, l.CallID}
		m := meetingOf[k]
		if m == nil {
			// The call's callStart and callEnd never arrived: the legs still show the meeting.
			m = get(l.Node + "/" + l.CallID)
			meetingOf[k] = m
			addNode(m, l.Node)
			open[m.ID] = true
		}
		p := Participant{Leg: l, JoinedAt: cmp.Or(l.ConnectedAt, l.StartedAt), LeftAt: l.EndedAt}
		if l.StartedAt.IsZero() && !l.EndedAt.IsZero() && l.DurationS > 0 {
			p.JoinedAt = l.EndedAt.Add(-time.Duration(l.DurationS) * time.Second)
		}
		if p.LeftAt.IsZero() {
			p.LeftAt = ends[k] // CMS ends every leg with its call
		}
		m.Participants = append(m.Participants, p)
		if _, known := ends[k]; !known {
			m.StartedAt = earliest(m.StartedAt, p.JoinedAt)
		}
	}
	for _, r := range rows.Recordings {
		if m := meetingOf[callKey{r.Node, r.CallID}]; m != nil {
			m.Recordings = append(m.Recordings, r)
		}
	}
	out := make([]Meeting, 0, len(byID))
	for id, m := range byID {
		if open[id] {
			m.EndedAt = time.Time{}
		}
		slices.SortFunc(m.Participants, func(a, b Participant) int {
			return cmp.Or(a.JoinedAt.Compare(b.JoinedAt), strings.Compare(a.Node, b.Node), strings.Compare(a.LegID, b.LegID))
		})
		slices.SortFunc(m.Recordings, func(a, b Recording) int { return a.StartedAt.Compare(b.StartedAt) })
		if len(m.Participants) > 0 {
			m.Peak = peak(m.Participants)
		}
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Meeting) int {
		if a.Ended() != b.Ended() {
			if a.Ended() {
				return 1
			}
			return -1
		}
		return cmp.Or(b.EndedAt.Compare(a.EndedAt), b.StartedAt.Compare(a.StartedAt), strings.Compare(a.ID, b.ID))
	})
	return out
}

func addNode(m *Meeting, node string) {
	if !slices.Contains(m.Nodes, node) {
		m.Nodes = append(m.Nodes, node)
		slices.Sort(m.Nodes)
	}
}

// peak is the most participants connected at once: a sweep over joins and leaves, where a
// leave at the same instant as a join counts first (one leaving as the next joins is not two
// at once), except a leg that left the instant it joined (CDR times are whole seconds, so a
// leg under a second): it was there for that instant.
func peak(ps []Participant) int {
	const (
		leave   = iota // at one instant: the leaves of earlier joins,
		join           // then the joins,
		instant        // then the leaves of legs that joined at that instant
	)
	type edge struct {
		t           time.Time
		kind, delta int
	}
	var edges []edge
	for _, p := range ps {
		edges = append(edges, edge{p.JoinedAt, join, 1})
		switch {
		case p.LeftAt.IsZero():
		case p.LeftAt.After(p.JoinedAt):
			edges = append(edges, edge{p.LeftAt, leave, -1})
		default:
			edges = append(edges, edge{p.JoinedAt, instant, -1})
		}
	}
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Or(a.t.Compare(b.t), a.kind-b.kind) })
	n, best := 0, 0
	for _, e := range edges {
		n += e.delta
		best = max(best, n)
	}
	return best
}
