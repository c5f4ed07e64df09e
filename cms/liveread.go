package cms

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Reads from live state. Once a Cluster has a Live (SetLive), Meetings, the meeting lists
// behind ResolveMeeting, MeetingDetails and Roster answer from it without a CMS round trip
// whenever it is fresh, and read REST otherwise; callers cannot tell the difference except in
// speed. Fresh means every node is live (events) or polled and synced, and no write to a node
// is newer than what the live state has heard of the object written: after a write to a leg,
// participant or call, that node's reads go to REST until an event for that very object (or a
// poll of the node) arrives, or writeGrace passes (a write that changes nothing sends no
// event). An event for another leg of the same node is not enough: it may arrive while the
// PUT is in flight, before the written leg's own event, and the read would show the state
// from before the write. Writes and StreamRoster (presenter mode acts on what it reads)
// always use REST.

// writeGrace bounds how long a write keeps its node's reads on REST without news from it.
const writeGrace = time.Second

// liveLink is the Cluster's hook into its live state.
type liveLink struct {
	l  atomic.Pointer[Live]
	mu sync.Mutex
	// writes holds, per node, when the last write to each object was sent (writeKey).
	writes map[string]map[writeKey]time.Time
}

// writeKey names what a write changed, as the events that report it name it: a leg, a
// participant, a call's settings (callInfo, calls list) or its roster (every participant of
// the call). The zero key is a write to the node whose events cannot be told apart (a dial
// out, a move): any event from the node answers it.
type writeKey struct {
	kind writeKind
	id   string
}

type writeKind uint8

const (
	writeNode writeKind = iota
	writeLeg
	writePart
	writeCall
	writeRoster
)

// SetLive makes the cluster's reads come from l when it is fresh (nil turns that off).
func (c *Cluster) SetLive(l *Live) { c.live.l.Store(l) }

// Live returns the cluster's live state, or nil.
func (c *Cluster) Live() *Live { return c.live.l.Load() }

// wrote notes that a write to what on node is about to be sent. Writes older than writeGrace
// are dropped here: they no longer hold reads on REST.
func (k *liveLink) wrote(node string, what writeKey) {
	now := time.Now()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.writes == nil {
		k.writes = map[string]map[writeKey]time.Time{}
	}
	ws := k.writes[node]
	if ws == nil {
		ws = map[writeKey]time.Time{}
		k.writes[node] = ws
	}
	for key, t := range ws {
		if now.Sub(t) >= writeGrace {
			delete(ws, key)
		}
	}
	ws[what] = now
}

func (k *liveLink) lastWrites() map[string]map[writeKey]time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string]map[writeKey]time.Time, len(k.writes))
	for n, ws := range k.writes {
		out[n] = maps.Clone(ws)
	}
	return out
}

// answered reports whether node n has sent, since each write in ws still within writeGrace,
// an event for the object written.
func (n *liveNode) answered(ws map[writeKey]time.Time, now time.Time) bool {
	for key, w := range ws {
		if now.Sub(w) >= writeGrace {
			continue
		}
		h := n.heard
		if key.kind != writeNode {
			h = n.heardOf[key]
		}
		if !h.After(w) {
			return false
		}
	}
	return true
}

// latest is the time of the newest write in ws (zero when none).
func latest(ws map[writeKey]time.Time) time.Time {
	var t time.Time
	for _, w := range ws {
		if w.After(t) {
			t = w
		}
	}
	return t
}

// fresh reports whether the live state may answer for every node.
func (c *Cluster) fresh() (*Live, bool) {
	l := c.live.l.Load()
	if l == nil {
		return nil, false
	}
	writes := c.live.lastWrites()
	now := time.Now()
	l.ls.mu.Lock()
	defer l.ls.mu.Unlock()
	for _, n := range l.ls.nodes {
		ws := writes[n.name]
		switch n.mode {
		case ModeLive:
			if n.synced.IsZero() || !n.answered(ws, now) {
				return nil, false
			}
		case ModePolled:
			if w := latest(ws); now.Sub(n.synced) > 3*l.cfg.PollInterval || (!w.IsZero() && !n.synced.After(w)) {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return l, true
}

// addLiveness fills in each node's live-state mode, when the cluster has live state.
func (c *Cluster) addLiveness(out []NodeStatus) {
	l := c.live.l.Load()
	if l == nil {
		return
	}
	for _, nl := range l.Nodes() {
		for i := range out {
			if out[i].Node == nl.Node {
				out[i].Live = &nl
			}
		}
	}
}

// liveStatus is Status from live state, once every node's system status was read by a resync.
func (c *Cluster) liveStatus() ([]NodeStatus, bool) {
	l, ok := c.fresh()
	if !ok {
		return nil, false
	}
	st := l.ls.statuses()
	for _, s := range st {
		if s.Status.SoftwareVersion == "" && s.Status.UptimeSeconds == 0 {
			return nil, false // not read yet
		}
	}
	return st, true
}

// liveMeetings is Meetings from live state.
func (c *Cluster) liveMeetings() (MeetingList, bool) {
	l, ok := c.fresh()
	if !ok {
		return MeetingList{}, false
	}
	now := time.Now()
	lms := l.Meetings()
	out := MeetingList{Meetings: make([]Meeting, 0, len(lms))}
	for _, lm := range lms {
		out.Meetings = append(out.Meetings, meetingOf(lm, now))
	}
	return out, true
}

// meetingOf is a live meeting as a REST read would show it, with the lobby counted and the
// presenter named (the live state knows every participant, so this costs no request).
func meetingOf(lm LiveMeeting, now time.Time) Meeting {
	m := Meeting{Correlator: lm.Correlator, Name: lm.Name, Participants: lm.Count}
	lobby := 0
	for _, p := range lm.Participants {
		if p.Lobby {
			lobby++
		}
	}
	m.Lobby = &lobby
	for _, in := range lm.Instances {
		d := CallDetail{Call: Call{ID: in.CallID, Name: in.Name, CallCorrelator: lm.Correlator},
			CallType: "coSpace", DurationSeconds: int(now.Sub(in.Since) / time.Second),
			NumParticipantsLocal: in.Participants, NumDistributedInstances: len(lm.Instances) - 1,
			Locked: in.Locked, Recording: in.Recording, Streaming: in.Streaming,
			JoinAudioMuteOverride: in.JoinAudioMuteOverride}
		if in.Banner != "" {
			d.MessageText, d.MessageDuration = in.Banner, "permanent"
			if !in.BannerUntil.IsZero() {
				left := max(1, int(in.BannerUntil.Sub(now)/time.Second))
				d.MessageDuration, d.MessageTimeRemaining = strconv.Itoa(left), &left
			}
		}
		for _, p := range lm.Participants {
			if p.Presenter && p.CallID == in.CallID && p.LegID != "" {
				d.PresenterCallLeg = p.LegID
				if m.PresenterName == "" {
					m.PresenterName = cmp.Or(p.Name, p.Address)
				}
			}
		}
		m.Instances = append(m.Instances, CallInstance{Node: in.Node, Call: d})
		m.DurationSeconds = max(m.DurationSeconds, d.DurationSeconds)
	}
	return m
}

// liveMeeting is one meeting from live state; found is false when it has ended.
func (c *Cluster) liveMeeting(correlator string) (m LiveMeeting, found, ok bool) {
	l, ok := c.fresh()
	if !ok {
		return LiveMeeting{}, false, false
	}
	for _, lm := range l.Meetings() {
		if lm.Correlator == correlator {
			return lm, true, true
		}
	}
	return LiveMeeting{}, false, true
}

// liveRoster is Roster from live state; it declines when a participant's leg id is still
// unknown (events carry participant ids only), so every row can be acted on.
func (c *Cluster) liveRoster(m Meeting) (Roster, bool) {
	lm, found, ok := c.liveMeeting(m.Correlator)
	if !ok {
		return Roster{}, false
	}
	r := Roster{Meeting: m}
	if !found {
		return r, true
	}
	now := time.Now()
	for _, p := range lm.Participants {
		if p.LegID == "" {
			return Roster{}, false
		}
		r.Legs = append(r.Legs, RosterEntry{Node: p.Node, Leg: CallLegDetail{
			CallLeg:   CallLeg{ID: p.LegID, Name: p.Name, RemoteParty: p.Address, Call: p.CallID},
			Direction: p.Direction,
			Config:    LegConfig{RxAudioMute: p.AudioMuted, RxVideoMute: p.VideoMuted},
			Status: LegStatus{State: p.State, DurationSeconds: int(now.Sub(p.Since) / time.Second),
				GroupID: p.ID, Layout: p.Layout, Deactivated: p.Lobby},
		}})
	}
	slices.SortFunc(r.Legs, func(a, b RosterEntry) int {
		return cmp.Or(compareNames(a.Leg.Name, b.Leg.Name), cmp.Compare(a.Leg.ID, b.Leg.ID))
	})
	return r, true
}

// liveDetails is MeetingDetails from live state.
func (c *Cluster) liveDetails(m Meeting) (Meeting, bool, bool) {
	lm, found, ok := c.liveMeeting(m.Correlator)
	if !ok || !found {
		return Meeting{}, found, ok
	}
	return meetingOf(lm, time.Now()), true, true
}
