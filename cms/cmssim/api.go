package cmssim

import (
	"strings"
	"time"
)

// MeetingSpec describes a meeting for AddMeeting: one coSpace, and one call instance on every
// node that hosts one of its participants.
type MeetingSpec struct {
	Name string // "" gets a generated name unless Nameless
	// Nameless leaves the calls without a name, as CMS allows (an ad hoc call).
	Nameless bool
	Owner    string // ownerName of the call; optional
	// StartedAgo backdates the meeting (durationSeconds); zero means it starts now.
	StartedAgo   time.Duration
	Participants []ParticipantSpec
	// JoinAudioMuteOverride and Locked set the initial call state of every instance.
	JoinAudioMuteOverride *bool
	Locked                bool
}

// ParticipantSpec is one participant with one call leg.
type ParticipantSpec struct {
	Name string
	URI  string // remoteParty and participant uri; default derived from Name
	Node string // hosting call bridge (cb1…); "" or unknown means cb1
	// Outgoing marks a leg the bridge dialled (direction outgoing); default incoming.
	Outgoing     bool
	RxAudioMute  bool
	TxAudioMute  bool
	RxVideoMute  bool
	TxVideoMute  bool
	ChosenLayout string
	Importance   *int
	Media        Media // zero fields are filled from the seed
	// Lobby makes the participant wait in the lobby (deactivated) until admitted; Join puts
	// everyone dialling into a locked meeting there.
	Lobby bool
	// CannotMove reports canMove=false (a Lync/SfB leg, say): a move is refused.
	CannotMove bool
}

// Media fixes a leg's media; zero fields are chosen from the seed. Live stats drift around
// these values.
type Media struct {
	AudioOnly  bool
	AudioCodec string // opus | g722 | aac | g711u …
	VideoCodec string // h264 | vp8 …
	Width      int
	Height     int
	FrameRate  float64
	PacketLoss float64 // percent
	Jitter     int     // ms
	RoundTrip  int     // ms
}

// MeetingInfo is a meeting as the test API sees it.
type MeetingInfo struct {
	Correlator string
	Name       string
	CoSpace    string
	Calls      map[string]string // node name -> call id on that node
	Legs       []LegState        // participant legs (no distribution links), node order
}

// LegState is the emulator's view of one participant leg.
type LegState struct {
	ID            string
	Node          string
	CallID        string
	Correlator    string
	ParticipantID string
	Name          string
	RemoteParty   string
	RxAudioMute   bool
	TxAudioMute   bool
	RxVideoMute   bool
	TxVideoMute   bool
	ChosenLayout  string
	Importance    *int // the participant's importance; nil when unset
}

// CallState is the PUT-able state of one call instance.
type CallState struct {
	JoinAudioMuteOverride *bool // nil when unset
	Locked                bool
	Controls
}

// ParticipantState is the emulator's view of one participant.
type ParticipantState struct {
	ID         string
	Node       string // owning call bridge
	Correlator string
	Name       string
	URI        string
	Importance *int
	Legs       []string
	Lobby      LobbyState
}

// AddMeeting creates a meeting. A meeting without participants gets one empty call on cb1 that
// stays up (activeWhenEmpty), so tests can dial out into it.
func (s *Sim) AddMeeting(spec MeetingSpec) MeetingInfo {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	name := spec.Name
	if name == "" && !spec.Nameless {
		name = "Meeting " + st.newID()[:8]
	}
	m := st.newMeeting(name, spec.Owner)
	started := st.now().Add(-spec.StartedAgo)
	if len(spec.Participants) == 0 {
		m.activeIfEmpty = true
		c := st.instance(m, st.nodes[0], started)
		c.joinMute, c.locked = copyBool(spec.JoinAudioMuteOverride), spec.Locked
	}
	for _, ps := range spec.Participants {
		n := st.nodeByName(ps.Node)
		if n == nil {
			n = st.nodes[0]
		}
		c := st.instance(m, n, started)
		c.joinMute, c.locked = copyBool(spec.JoinAudioMuteOverride), spec.Locked
		if ps.URI == "" {
			ps.URI = slugify(ps.Name) + "@example.com"
		}
		st.join(m, n, ps, started)
	}
	return st.meetingInfo(m)
}

// Meetings lists the active meetings in creation order.
func (s *Sim) Meetings() []MeetingInfo {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := make([]MeetingInfo, 0, len(st.meetings))
	for _, m := range st.meetings {
		out = append(out, st.meetingInfo(m))
	}
	return out
}

// Meeting returns one meeting by callCorrelator.
func (s *Sim) Meeting(correlator string) (MeetingInfo, bool) {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	m, ok := st.meetingByCor[correlator]
	if !ok {
		return MeetingInfo{}, false
	}
	return st.meetingInfo(m), true
}

// Legs returns the participant legs of a meeting on every node (no distribution links).
func (s *Sim) Legs(correlator string) []LegState {
	info, _ := s.Meeting(correlator)
	return info.Legs
}

// Leg returns one leg, participant or distribution link, by id.
func (s *Sim) Leg(id string) (LegState, bool) {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	l, ok := st.legs[id]
	if !ok {
		return LegState{}, false
	}
	return legState(l), true
}

// CallState returns the state of the call instance callID on node.
func (s *Sim) CallState(node, callID string) (CallState, bool) {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	c, ok := st.calls[callID]
	if !ok || !strings.EqualFold(c.node.name, node) {
		return CallState{}, false
	}
	return CallState{JoinAudioMuteOverride: copyBool(c.joinMute), Locked: c.locked, Controls: st.controlsOf(c)}, true
}

// Participant returns one participant by id.
func (s *Sim) Participant(id string) (ParticipantState, bool) {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	p, ok := st.participants[id]
	if !ok {
		return ParticipantState{}, false
	}
	ps := ParticipantState{ID: p.id, Node: p.owner.name, Correlator: p.m.correlator, Name: p.name,
		URI: p.uri, Importance: copyInt(p.importance), Lobby: p.lobby.export()}
	for _, l := range p.legs {
		ps.Legs = append(ps.Legs, l.id)
	}
	return ps, true
}

// RemoveLeg hangs a leg up as if the participant left; it reports whether the leg existed.
func (s *Sim) RemoveLeg(id string) bool {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	l, ok := st.legs[id]
	if ok {
		st.removeLeg(l)
	}
	return ok
}

// Counts returns the number of active meetings, call instances, and legs (all nodes,
// distribution links included), for scale checks.
func (s *Sim) Counts() (meetings, calls, legs int) {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	return len(st.meetings), len(st.calls), len(st.legs)
}

func (st *state) meetingInfo(m *meeting) MeetingInfo {
	info := MeetingInfo{Correlator: m.correlator, Name: m.name, CoSpace: m.space.id, Calls: map[string]string{}}
	for _, c := range m.instances {
		info.Calls[c.node.name] = c.id
		for _, l := range c.legs {
			if l.p != nil {
				info.Legs = append(info.Legs, legState(l))
			}
		}
	}
	return info
}

func legState(l *leg) LegState {
	ls := LegState{ID: l.id, Node: l.c.node.name, CallID: l.c.id, Correlator: l.c.m.correlator,
		Name: l.name, RemoteParty: l.remoteParty, ChosenLayout: l.chosenLayout,
		RxAudioMute: l.mutes[muteRxAudio].bool(), TxAudioMute: l.mutes[muteTxAudio].bool(),
		RxVideoMute: l.mutes[muteRxVideo].bool(), TxVideoMute: l.mutes[muteTxVideo].bool()}
	if l.p != nil {
		ls.ParticipantID = l.p.id
		ls.Importance = copyInt(l.p.importance)
	}
	return ls
}

func copyBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

func copyInt(i *int) *int {
	if i == nil {
		return nil
	}
	v := *i
	return &v
}
