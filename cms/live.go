package cms

import (
	"cmp"
	"maps"
	"slices"
	"sync"
	"time"
)

// Live cluster state: every node's calls and rosters, kept current from the Events API
// (events.go) or REST polling (livesync.go), merged into meetings by callCorrelator. Every
// change is published as a typed Change, the stream `nfmm exec watch` prints and the Slack live
// features subscribe to. It knows nothing of Slack or of output formats.

// ChangeType names a Change.
type ChangeType string

// The change types, as `nfmm exec watch --json` prints them.
const (
	MeetingStarted     ChangeType = "meeting_started"
	MeetingEnded       ChangeType = "meeting_ended"
	MeetingChanged     ChangeType = "meeting_changed"
	ParticipantJoined  ChangeType = "participant_joined"
	ParticipantLeft    ChangeType = "participant_left"
	ParticipantChanged ChangeType = "participant_changed"
	NodeDown           ChangeType = "node_down"
	NodeUp             ChangeType = "node_up"
	// MeetingStateChanged says a meeting's banner or lobby count changed. No event field
	// carries either, and the watch stream's fields are fixed, so it is not public: it only
	// tells the bot's live messages to redraw.
	MeetingStateChanged ChangeType = "meeting_state_changed"
)

// Public reports whether the change type is one `nfmm exec watch` prints.
func (t ChangeType) Public() bool { return t != MeetingStateChanged }

// MeetingRef names a meeting in a Change.
type MeetingRef struct {
	Correlator string
	Name       string
}

// ParticipantRef names a participant in a Change: the CMS participant id, plus the call leg id
// when it is known.
type ParticipantRef struct {
	ID      string
	Name    string
	Address string
	LegID   string
}

// FieldChange is one field of a *_changed Change. Before and After are string, bool, int or
// nil (an unset importance).
type FieldChange struct {
	Field  string
	Before any
	After  any
}

// The fields a FieldChange can name.
const (
	FieldName         = "name"
	FieldAudioMuted   = "audio_muted"
	FieldVideoMuted   = "video_muted"
	FieldLayout       = "layout"
	FieldImportance   = "importance"
	FieldState        = "state"
	FieldPresenter    = "presenter"
	FieldLocked       = "locked"
	FieldRecording    = "recording"
	FieldStreaming    = "streaming"
	FieldParticipants = "participants"
)

// Change is one thing that happened in the cluster. Meeting is set on meeting and participant
// changes, Participant on participant changes, Changes on the *_changed types, Reason when CMS
// gave one (participant_left, meeting_ended) or, on node_down, why the node was lost.
type Change struct {
	Type        ChangeType
	Time        time.Time
	Node        string
	Meeting     *MeetingRef
	Participant *ParticipantRef
	Changes     []FieldChange
	Reason      string
}

// NodeMode says where a node's live state comes from.
type NodeMode string

// Node modes.
const (
	ModeConnecting NodeMode = "connecting" // not synced yet
	ModeLive       NodeMode = "live"       // Events API
	ModePolled     NodeMode = "polled"     // REST every poll interval
	ModeDown       NodeMode = "down"       // unreachable: its last state is kept, marked stale
)

// NodeLiveness is one node's live-state status, for /healthz and `status`.
type NodeLiveness struct {
	Node  string
	Mode  NodeMode
	Since time.Time // when it entered Mode
	// Synced is when its state was last known complete (a resync or a poll); zero until then.
	Synced time.Time
	Err    string // why it is down, or why it is polled
}

// LiveParticipant is one participant as the live state knows it.
type LiveParticipant struct {
	ID, LegID  string
	Node       string // the node that reports (hosts) it
	CallID     string // that node's call instance
	Name       string
	Address    string
	State      string // initial | ringing | connected | onHold
	Direction  string // incoming | outgoing
	Layout     string
	AudioMuted bool // rxAudioMute: the others do not hear them
	VideoMuted bool
	Presenter  bool
	Importance *int
	// Lobby: waiting in the lobby (the leg is deactivated). Events do not carry it: it is
	// read by the resync, by the leg lookup of a join into a locked call, and kept from
	// NFMM's own admits.
	Lobby bool
	Since time.Time // when the live state first saw it
}

// LiveInstance is one node's call of a meeting.
type LiveInstance struct {
	Node, CallID          string
	Name                  string
	Participants          int // as the node reports: participants it hosts
	Locked                bool
	Recording, Streaming  bool
	JoinAudioMuteOverride *bool
	// Banner is the banner text on screen ("" for none) and BannerUntil when a timed one
	// goes (zero: until changed). Events do not carry it: it comes from the resync's call
	// details and from NFMM's own writes.
	Banner      string
	BannerUntil time.Time
	Since       time.Time
}

// LiveMeeting is a meeting across the cluster.
type LiveMeeting struct {
	Correlator   string
	Name         string
	Instances    []LiveInstance // node order
	Participants []LiveParticipant
	Locked       bool // any instance
	Recording    bool
	Streaming    bool
	Count        int  // participants, summed over the instances' own counts
	Stale        bool // an instance's node is not live right now
}

// callFields is a sparse set of call elements (nil: not reported).
type callFields struct {
	correlator, name             *string
	participants, instances      *int
	locked, recording, streaming *bool
	joinMute                     **bool
	restStarted                  *time.Time
	presenterLeg                 *string
	banner                       *liveBanner
	// listed: the report says the call exists (a calls-list add, or REST), so it joins its
	// meeting even without a correlator; a roster or info frame alone never starts a meeting.
	listed bool
}

// partFields is a sparse set of roster elements (nil: not reported).
type partFields struct {
	name, uri, state, direction, layout *string
	audio, video, presenter, speaker    *bool
	importance                          **int
	legID                               *string
	lobby                               *bool
}

// liveBanner is a call's banner: its text ("" for none) and when a timed one goes (zero:
// until changed).
type liveBanner struct {
	text  string
	until time.Time
}

// showing is the banner's text if it is on screen at now.
func (b liveBanner) showing(now time.Time) string {
	if b.until.IsZero() || now.Before(b.until) {
		return b.text
	}
	return ""
}

// bannerOfDetail is the banner a call detail shows, as read at now.
func bannerOfDetail(d CallDetail, now time.Time) liveBanner {
	if !d.BannerShowing() {
		return liveBanner{}
	}
	b := liveBanner{text: d.MessageText}
	if d.MessageDuration != "permanent" {
		left := d.MessageTimeRemaining
		if left == nil {
			left = optInt(d.MessageDuration)
		}
		if left != nil {
			b.until = now.Add(time.Duration(*left) * time.Second)
		}
	}
	return b
}

type liveNode struct {
	name   string
	idx    int
	calls  map[string]*lCall
	mode   NodeMode
	since  time.Time
	synced time.Time
	heard  time.Time // when the last event from the node was applied
	// heardOf is when the last event for each object was applied (entries older than
	// writeGrace are dropped: only a newer write asks).
	heardOf map[writeKey]time.Time
	err     string
	// sys is GET /system/status from the last resync (sysAt), latency the duration of the
	// last REST request: what `status` shows from live state.
	sys     SystemStatus
	sysAt   time.Time
	latency time.Duration
	wasUp   bool // reached once: a later loss is a node_down
	downMsg bool // node_down published for the current outage
}

type lCall struct {
	id, node     string
	idx          int
	m            *lMeeting
	correlator   string
	name         string
	participants int
	instances    int
	locked       bool
	recording    bool
	streaming    bool
	joinMute     *bool
	banner       liveBanner
	roster       map[string]*lPart
	touched      uint64
	since        time.Time
}

type lPart struct {
	id, legID  string
	c          *lCall
	name, uri  string
	state      string
	direction  string
	layout     string
	audio      bool
	video      bool
	presenter  bool
	speaker    bool // kept, never announced: it toggles too often to be news
	importance *int
	lobby      bool // not announced: no event field carries it
	// lobbyUnread: the leg lookup of a join into a meeting that may be locked could not read
	// the lobby; the lookup tries again until REST or NFMM's own admit tells.
	lobbyUnread bool
	touched     uint64
	since       time.Time
}

// lMeeting is one correlator's instances and participants; ann* is what subscribers were told.
type lMeeting struct {
	correlator string
	calls      []*lCall
	parts      map[string][]*lPart // participant id -> its records (one per reporting node)
	started    bool
	ann        meetingAgg
	annParts   map[string]partAgg
	dirty      bool
}

type meetingAgg struct {
	name                         string
	locked, recording, streaming bool
	participants                 int
	lobby                        int    // participants waiting in the lobby
	banner                       string // the first instance's banner text
}

type partAgg struct {
	name, uri, state, layout string
	audio, video, presenter  bool
	importance               *int
	legID                    string
}

// liveState is the merged state; every method takes mu.
type liveState struct {
	mu       sync.Mutex
	now      func() time.Time
	nodes    map[string]*liveNode
	order    []string
	meetings map[string]*lMeeting
	seq      uint64
	subs     map[*Subscription]struct{}
	pending  []Change // published when the current batch ends
	observe  func(ChangeType)
}

func newLiveState(nodes []string, now func() time.Time) *liveState {
	ls := &liveState{now: now, nodes: map[string]*liveNode{}, meetings: map[string]*lMeeting{},
		subs: map[*Subscription]struct{}{}}
	for i, n := range nodes {
		ls.nodes[n] = &liveNode{name: n, idx: i, calls: map[string]*lCall{}, mode: ModeConnecting, since: now()}
		ls.order = append(ls.order, n)
	}
	return ls
}

// batch runs fn under the lock as one unit: meeting-level changes are computed once at its end
// (a 40-person snapshot is one meeting_changed, not forty) and everything is published in order.
func (ls *liveState) batch(fn func()) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	fn()
	ls.flush()
}

func (ls *liveState) tick() uint64 {
	ls.seq++
	return ls.seq
}

func (ls *liveState) emit(c Change) {
	c.Time = ls.now()
	ls.pending = append(ls.pending, c)
}

func (ls *liveState) flush() {
	for _, m := range ls.meetings {
		if m.dirty {
			ls.refreshMeeting(m, "")
		}
	}
	if len(ls.pending) == 0 {
		return
	}
	for s := range ls.subs {
		s.push(ls.pending)
	}
	if ls.observe != nil {
		for _, c := range ls.pending {
			ls.observe(c.Type)
		}
	}
	ls.pending = nil
}

func (m *lMeeting) agg() meetingAgg {
	var a meetingAgg
	for _, c := range m.calls {
		if a.name == "" {
			a.name = c.name
		}
		a.locked = a.locked || c.locked
		a.recording = a.recording || c.recording
		a.streaming = a.streaming || c.streaming
		a.participants += c.participants
		if a.banner == "" {
			a.banner = c.banner.text
		}
	}
	for _, recs := range m.parts {
		if len(recs) > 0 && recs[0].lobby {
			a.lobby++
		}
	}
	return a
}

func (m *lMeeting) ref() *MeetingRef {
	return &MeetingRef{Correlator: m.correlator, Name: m.agg().name}
}

// refreshMeeting announces what changed at meeting level; node is where it happened ("" when
// several nodes contributed: the first instance's node is named).
func (ls *liveState) refreshMeeting(m *lMeeting, node string) {
	m.dirty = false
	if len(m.calls) == 0 {
		return
	}
	if node == "" {
		node = m.calls[0].node
	}
	now := m.agg()
	if !m.started {
		return // started is announced when the first instance attaches
	}
	var ch []FieldChange
	add := func(f string, before, after any) {
		if before != after {
			ch = append(ch, FieldChange{Field: f, Before: before, After: after})
		}
	}
	add(FieldName, m.ann.name, now.name)
	add(FieldLocked, m.ann.locked, now.locked)
	add(FieldRecording, m.ann.recording, now.recording)
	add(FieldStreaming, m.ann.streaming, now.streaming)
	add(FieldParticipants, m.ann.participants, now.participants)
	stateChanged := m.ann.lobby != now.lobby || m.ann.banner != now.banner
	m.ann = now
	if len(ch) > 0 {
		ls.emit(Change{Type: MeetingChanged, Node: node, Meeting: &MeetingRef{Correlator: m.correlator, Name: now.name}, Changes: ch})
	}
	if stateChanged {
		ls.emit(Change{Type: MeetingStateChanged, Node: node, Meeting: &MeetingRef{Correlator: m.correlator, Name: now.name}})
	}
}

// upsertCall applies call elements reported by node. guard > 0 skips a call touched by an
// event since then (REST data older than the event).
func (ls *liveState) upsertCall(node, id string, f callFields, guard uint64) *lCall {
	n := ls.nodes[node]
	if n == nil || id == "" {
		return nil
	}
	c := n.calls[id]
	if c == nil {
		c = &lCall{id: id, node: node, idx: n.idx, roster: map[string]*lPart{}, since: ls.now()}
		n.calls[id] = c
	} else if guard > 0 && c.touched > guard {
		// No event carries the banner: REST's is the latest known, and a change is news.
		if f.banner != nil && c.banner != *f.banner {
			c.banner = *f.banner
			if c.m != nil {
				c.m.dirty = true
			}
		}
		return c
	}
	if guard == 0 {
		c.touched = ls.tick()
	}
	set(&c.name, f.name)
	set(&c.participants, f.participants)
	set(&c.instances, f.instances)
	if f.locked != nil && c.locked && !*f.locked {
		// Unlocking activates the lobby (the blueprint's locked); no event says so.
		for _, p := range c.roster {
			p.lobby = false
		}
	}
	set(&c.locked, f.locked)
	set(&c.recording, f.recording)
	set(&c.streaming, f.streaming)
	set(&c.banner, f.banner)
	if f.joinMute != nil {
		c.joinMute = *f.joinMute
	}
	if f.restStarted != nil {
		c.since = *f.restStarted
	}
	cor := c.correlator
	set(&cor, f.correlator)
	if cor == "" && (f.listed || c.m != nil) {
		cor = c.id // CMS reports none: the call is its own meeting, as in REST
	}
	if cor != "" && (c.m == nil || c.m.correlator != cor) {
		ls.detach(c, "")
		ls.attach(c, cor)
	}
	if c.m != nil {
		c.m.dirty = true
	}
	if f.presenterLeg != nil {
		for _, p := range c.roster {
			pf := partFields{presenter: ptr(*f.presenterLeg != "" && p.legID == *f.presenterLeg)}
			ls.upsertPart(node, c.id, p.id, pf, guard)
		}
	}
	return c
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func ptr[T any](v T) *T { return &v }

func (ls *liveState) attach(c *lCall, cor string) {
	m := ls.meetings[cor]
	if m == nil {
		m = &lMeeting{correlator: cor, parts: map[string][]*lPart{}, annParts: map[string]partAgg{}}
		ls.meetings[cor] = m
	}
	c.m, c.correlator = m, cor
	m.calls = append(m.calls, c)
	slices.SortFunc(m.calls, func(a, b *lCall) int { return cmp.Or(a.idx-b.idx, cmp.Compare(a.id, b.id)) })
	if !m.started {
		m.started = true
		m.ann = m.agg()
		ls.emit(Change{Type: MeetingStarted, Node: c.node, Meeting: &MeetingRef{Correlator: cor, Name: m.ann.name}})
	}
	for _, p := range c.roster {
		ls.addRecord(m, p)
	}
	m.dirty = true
}

// detach takes c out of its meeting; the meeting ends when its last instance goes.
func (ls *liveState) detach(c *lCall, reason string) {
	m := c.m
	if m == nil {
		return
	}
	for _, p := range sortedParts(c.roster) {
		ls.dropRecord(m, p, reason)
	}
	m.calls = slices.DeleteFunc(m.calls, func(x *lCall) bool { return x == c })
	c.m = nil
	if len(m.calls) == 0 {
		delete(ls.meetings, m.correlator)
		ls.emit(Change{Type: MeetingEnded, Node: c.node, Meeting: &MeetingRef{Correlator: m.correlator, Name: m.ann.name}, Reason: reason})
		return
	}
	m.dirty = true
}

func sortedParts(r map[string]*lPart) []*lPart {
	out := make([]*lPart, 0, len(r))
	for _, p := range r {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *lPart) int { return cmp.Compare(a.id, b.id) })
	return out
}

// removeCall drops a call node no longer hosts.
func (ls *liveState) removeCall(node, id, reason string) {
	c := ls.findCall(node, id)
	if c == nil {
		return
	}
	delete(ls.nodes[node].calls, id)
	ls.detach(c, reason)
}

func (p *lPart) agg() partAgg {
	return partAgg{name: p.name, uri: p.uri, state: p.state, layout: p.layout, audio: p.audio,
		video: p.video, presenter: p.presenter, importance: p.importance, legID: p.legID}
}

func (p *lPart) ref() *ParticipantRef {
	return &ParticipantRef{ID: p.id, Name: p.name, Address: p.uri, LegID: p.legID}
}

// addRecord registers a node's record of a participant; the first record announces the join.
func (ls *liveState) addRecord(m *lMeeting, p *lPart) {
	recs := m.parts[p.id]
	if slices.Contains(recs, p) {
		return
	}
	m.parts[p.id] = append(recs, p)
	if len(recs) == 0 {
		if _, known := m.annParts[p.id]; !known {
			m.annParts[p.id] = p.agg()
			ls.emit(Change{Type: ParticipantJoined, Node: p.c.node, Meeting: m.ref(), Participant: p.ref()})
		}
	}
	m.dirty = true
}

// dropRecord removes a node's record; the last record announces the leave.
func (ls *liveState) dropRecord(m *lMeeting, p *lPart, reason string) {
	recs := slices.DeleteFunc(m.parts[p.id], func(x *lPart) bool { return x == p })
	if len(recs) > 0 {
		m.parts[p.id] = recs
		ls.announcePart(m, recs[0])
		return
	}
	delete(m.parts, p.id)
	if _, known := m.annParts[p.id]; known {
		delete(m.annParts, p.id)
		ls.emit(Change{Type: ParticipantLeft, Node: p.c.node, Meeting: m.ref(), Participant: p.ref(), Reason: reason})
	}
	m.dirty = true
}

// upsertPart applies roster elements node reported for participant pid in call id. It
// reports whether this added a participant whose leg id is still unknown.
func (ls *liveState) upsertPart(node, callID, pid string, f partFields, guard uint64) bool {
	n := ls.nodes[node]
	if n == nil || pid == "" {
		return false
	}
	c := n.calls[callID]
	if c == nil {
		// A roster frame for a call the calls list has not added yet: keep it, unattached
		// until its correlator is known.
		c = ls.upsertCall(node, callID, callFields{}, 0)
	}
	p := c.roster[pid]
	isNew := p == nil
	if isNew {
		p = &lPart{id: pid, c: c, since: ls.now()}
		c.roster[pid] = p
	} else if guard > 0 && p.touched > guard {
		if p.legID == "" && f.legID != nil {
			p.legID = *f.legID // REST knows the leg even when the event is newer
		}
		// No event carries the lobby either: REST's is the latest known, and a change is news.
		if f.lobby != nil {
			p.lobbyUnread = false
			if p.lobby != *f.lobby {
				p.lobby = *f.lobby
				if c.m != nil {
					c.m.dirty = true
				}
			}
		}
		return false
	}
	if guard == 0 {
		p.touched = ls.tick()
	}
	if f.speaker != nil && f.onlySpeaker() && !isNew {
		p.speaker = *f.speaker // the cheap path: no diff, no announcement
		return false
	}
	set(&p.name, f.name)
	set(&p.uri, f.uri)
	set(&p.state, f.state)
	set(&p.direction, f.direction)
	set(&p.layout, f.layout)
	set(&p.audio, f.audio)
	set(&p.video, f.video)
	set(&p.presenter, f.presenter)
	set(&p.speaker, f.speaker)
	set(&p.legID, f.legID)
	set(&p.lobby, f.lobby)
	if f.lobby != nil {
		p.lobbyUnread = false
	}
	if f.importance != nil {
		p.importance = *f.importance
	}
	if c.m == nil {
		return isNew && p.legID == ""
	}
	if isNew {
		ls.addRecord(c.m, p)
		return p.legID == ""
	}
	if recs := c.m.parts[pid]; len(recs) > 0 && recs[0] == p {
		ls.announcePart(c.m, p)
	}
	return false
}

// findCall and findPart look up node's call and a participant in it (nil when unknown).
func (ls *liveState) findCall(node, callID string) *lCall {
	if n := ls.nodes[node]; n != nil {
		return n.calls[callID]
	}
	return nil
}

func (ls *liveState) findPart(node, callID, pid string) *lPart {
	if c := ls.findCall(node, callID); c != nil {
		return c.roster[pid]
	}
	return nil
}

// setLegID records a participant's leg id, learnt after the event that announced it.
func (ls *liveState) setLegID(node, callID, pid, legID string) {
	if p := ls.findPart(node, callID, pid); p != nil && p.legID == "" {
		p.legID = legID
		if m := p.c.m; m != nil {
			if a, ok := m.annParts[pid]; ok {
				a.legID = legID
				m.annParts[pid] = a
			}
		}
	}
}

// setLobby records that participant pid, hosted by node, waits in the lobby or not (learnt
// from a leg read or from NFMM's own admit: no event carries it).
func (ls *liveState) setLobby(node, pid string, lobby bool) {
	if n := ls.nodes[node]; n != nil {
		for _, c := range n.calls {
			p := c.roster[pid]
			if p == nil {
				continue
			}
			p.lobbyUnread = false
			if p.lobby != lobby {
				p.lobby = lobby
				if c.m != nil {
					c.m.dirty = true
				}
			}
		}
	}
}

// setLobbyUnread records whether the leg lookup failed to read a participant's lobby.
func (ls *liveState) setLobbyUnread(node, callID, pid string, unread bool) {
	if p := ls.findPart(node, callID, pid); p != nil {
		p.lobbyUnread = unread
	}
}

// setBanner records the banner NFMM wrote to node's call (no event carries it).
func (ls *liveState) setBanner(node, callID string, b liveBanner) {
	if c := ls.findCall(node, callID); c != nil && c.banner != b {
		c.banner = b
		if c.m != nil {
			c.m.dirty = true
		}
	}
}

// mayBeLocked reports whether a join into node's call may wait in the lobby: the call or
// another instance of its meeting is locked (an instance that starts for the join may not be
// locked yet), or the call's meeting is not known yet (its roster frame came first).
func (ls *liveState) mayBeLocked(node, callID string) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	c := ls.findCall(node, callID)
	switch {
	case c == nil:
		return false // gone
	case c.m == nil:
		return true
	}
	return slices.ContainsFunc(c.m.calls, func(x *lCall) bool { return x.locked })
}

// needsLeg reports whether the participant is still there with its leg id or its lobby
// unknown, and the leg id when known.
func (ls *liveState) needsLeg(node, callID, pid string) (legID string, need bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	p := ls.findPart(node, callID, pid)
	if p == nil {
		return "", false
	}
	return p.legID, p.legID == "" || p.lobbyUnread
}

// missingLegs lists node's participants whose leg id or lobby is unknown, as (call id,
// participant id).
func (ls *liveState) missingLegs(node string) [][2]string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	n := ls.nodes[node]
	if n == nil {
		return nil
	}
	var out [][2]string
	for _, c := range n.calls {
		for _, p := range c.roster {
			if p.legID == "" || p.lobbyUnread {
				out = append(out, [2]string{c.id, p.id})
			}
		}
	}
	return out
}

// callIDs lists node's known calls, sorted.
func (ls *liveState) callIDs(node string) []string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	n := ls.nodes[node]
	if n == nil {
		return nil
	}
	out := make([]string, 0, len(n.calls))
	for id := range n.calls {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func (f partFields) onlySpeaker() bool {
	return f.name == nil && f.uri == nil && f.state == nil && f.direction == nil && f.layout == nil &&
		f.audio == nil && f.video == nil && f.presenter == nil && f.importance == nil && f.legID == nil &&
		f.lobby == nil
}

// announcePart publishes a participant_changed for the fields that differ from what was told.
func (ls *liveState) announcePart(m *lMeeting, p *lPart) {
	before, known := m.annParts[p.id]
	if !known {
		return
	}
	now := p.agg()
	var ch []FieldChange
	add := func(f string, b, a any) {
		if b != a {
			ch = append(ch, FieldChange{Field: f, Before: b, After: a})
		}
	}
	add(FieldName, before.name, now.name)
	add(FieldAudioMuted, before.audio, now.audio)
	add(FieldVideoMuted, before.video, now.video)
	add(FieldLayout, before.layout, now.layout)
	if !equalIntPtr(before.importance, now.importance) {
		ch = append(ch, FieldChange{Field: FieldImportance, Before: intOrNil(before.importance), After: intOrNil(now.importance)})
	}
	add(FieldState, before.state, now.state)
	add(FieldPresenter, before.presenter, now.presenter)
	m.annParts[p.id] = now
	if len(ch) > 0 {
		ls.emit(Change{Type: ParticipantChanged, Node: p.c.node, Meeting: m.ref(), Participant: p.ref(), Changes: ch})
	}
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func equalIntPtr(a, b *int) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// removePart drops participant pid from node's call.
func (ls *liveState) removePart(node, callID, pid, reason string) {
	p := ls.findPart(node, callID, pid)
	if p == nil {
		return
	}
	c := p.c
	delete(c.roster, pid)
	if c.m != nil {
		ls.dropRecord(c.m, p, reason)
	}
}

// setMode records where node's state comes from; down publishes node_down once per outage
// and up (live or polled after down) node_up.
func (ls *liveState) setMode(node string, mode NodeMode, errText string) {
	n := ls.nodes[node]
	if n == nil {
		return
	}
	if n.mode != mode {
		n.mode, n.since = mode, ls.now()
	}
	n.err = errText
	switch mode {
	case ModeDown:
		if !n.downMsg {
			n.downMsg = true
			ls.emit(Change{Type: NodeDown, Node: node, Reason: errText})
		}
	case ModeLive, ModePolled:
		if n.downMsg {
			n.downMsg = false
			ls.emit(Change{Type: NodeUp, Node: node})
		}
		n.wasUp = true
	}
}

// heard records that an event from node, about the objects named, was applied (reads after
// a write wait for one about what was written).
func (ls *liveState) heard(node string, about ...writeKey) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	n := ls.nodes[node]
	if n == nil {
		return
	}
	now := ls.now()
	n.heard = now
	if len(about) == 0 {
		return
	}
	if n.heardOf == nil {
		n.heardOf = map[writeKey]time.Time{}
	}
	if len(n.heardOf) > 256 {
		maps.DeleteFunc(n.heardOf, func(_ writeKey, t time.Time) bool { return now.Sub(t) >= writeGrace })
	}
	for _, k := range about {
		n.heardOf[k] = now
	}
}

// setSystem keeps the node's system status and the latency of reading it.
func (ls *liveState) setSystem(node string, sys SystemStatus, latency time.Duration) {
	if n := ls.nodes[node]; n != nil {
		n.sys, n.sysAt, n.latency = sys, ls.now(), latency
	}
}

func (ls *liveState) setLatency(node string, d time.Duration) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if n := ls.nodes[node]; n != nil {
		n.latency = d
	}
}

// statuses is Cluster.Status from live state: the version and uptime of the last resync (the
// uptime moved on since), active legs counted from the live state (participants plus one
// distribution link per peer instance), and the latency of the last REST request.
func (ls *liveState) statuses() []NodeStatus {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	now := ls.now()
	out := make([]NodeStatus, 0, len(ls.order))
	for _, name := range ls.order {
		n := ls.nodes[name]
		st := n.sys
		if !n.sysAt.IsZero() {
			st.UptimeSeconds += int64(now.Sub(n.sysAt) / time.Second)
		}
		st.CallLegsActive = 0
		for _, c := range n.calls {
			st.CallLegsActive += len(c.roster) + c.instances
		}
		nl := NodeLiveness{Node: name, Mode: n.mode, Since: n.since, Synced: n.synced, Err: n.err}
		out = append(out, NodeStatus{Node: name, Status: st, Latency: n.latency, Live: &nl})
	}
	return out
}

func (ls *liveState) markSynced(node string) {
	if n := ls.nodes[node]; n != nil {
		n.synced = ls.now()
	}
}

// Subscription receives every Change in order, without loss, until Close.
type Subscription struct {
	ls     *liveState
	mu     sync.Mutex
	queue  []Change
	notify chan struct{}
	closed bool
}

func (s *Subscription) push(cs []Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.queue = append(s.queue, cs...)
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Ready is signalled when Next has something to return.
func (s *Subscription) Ready() <-chan struct{} { return s.notify }

// Next returns the changes queued so far (nil when none).
func (s *Subscription) Next() []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.queue
	s.queue = nil
	return out
}

// Close stops the subscription.
func (s *Subscription) Close() {
	s.ls.mu.Lock()
	delete(s.ls.subs, s)
	s.ls.mu.Unlock()
	s.mu.Lock()
	s.closed, s.queue = true, nil
	s.mu.Unlock()
}

func (ls *liveState) subscribe() *Subscription {
	s := &Subscription{ls: ls, notify: make(chan struct{}, 1)}
	ls.mu.Lock()
	ls.subs[s] = struct{}{}
	ls.mu.Unlock()
	return s
}

// snapshot returns the merged meetings, sorted like Cluster.Meetings (name, then correlator).
func (ls *liveState) snapshot() []LiveMeeting {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	out := make([]LiveMeeting, 0, len(ls.meetings))
	for _, m := range ls.meetings {
		out = append(out, ls.meetingLocked(m))
	}
	slices.SortFunc(out, func(a, b LiveMeeting) int {
		return cmp.Or(compareNames(a.Name, b.Name), cmp.Compare(a.Correlator, b.Correlator))
	})
	return out
}

func (ls *liveState) meetingLocked(m *lMeeting) LiveMeeting {
	a := m.agg()
	lm := LiveMeeting{Correlator: m.correlator, Name: a.name, Locked: a.locked, Recording: a.recording,
		Streaming: a.streaming, Count: a.participants}
	now := ls.now()
	for _, c := range m.calls {
		in := LiveInstance{Node: c.node, CallID: c.id, Name: c.name,
			Participants: c.participants, Locked: c.locked, Recording: c.recording, Streaming: c.streaming,
			JoinAudioMuteOverride: c.joinMute, Since: c.since}
		if in.Banner = c.banner.showing(now); in.Banner != "" {
			in.BannerUntil = c.banner.until
		}
		lm.Instances = append(lm.Instances, in)
		if n := ls.nodes[c.node]; n != nil && n.mode != ModeLive && n.mode != ModePolled {
			lm.Stale = true
		}
	}
	ids := make([]string, 0, len(m.parts))
	for id := range m.parts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		p := m.parts[id][0]
		lm.Participants = append(lm.Participants, LiveParticipant{ID: p.id, LegID: p.legID, Node: p.c.node,
			CallID: p.c.id, Name: p.name, Address: p.uri, State: p.state, Direction: p.direction,
			Layout: p.layout, AudioMuted: p.audio, VideoMuted: p.video, Presenter: p.presenter,
			Importance: p.importance, Lobby: p.lobby, Since: p.since})
	}
	return lm
}

func (ls *liveState) liveness() []NodeLiveness {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	out := make([]NodeLiveness, 0, len(ls.order))
	for _, name := range ls.order {
		n := ls.nodes[name]
		out = append(out, NodeLiveness{Node: name, Mode: n.mode, Since: n.since, Synced: n.synced, Err: n.err})
	}
	return out
}
