package cmssim

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Meeting-wide operator controls (cms-operations.md): the PUT /calls/<id> fields beyond lock
// and join-muted, the lobby (PUT /participants/<id> deactivated), and moving a participant
// (POST /calls/<id>/participants movedParticipant).

// callControls is what PUT /calls/<id> sets besides locked and joinAudioMuteOverride, and the
// call profile's policy for recording and streaming.
type callControls struct {
	// recordingMode and streamingMode are the callProfile's: "" (manual, the default),
	// "automatic" or "disabled". Only manual lets an operator start or stop.
	recordingMode, streamingMode string
	allowMuteSelf, allowPresent  bool
	messageText                  string
	messagePosition              string // top | middle | bottom; "" = middle
	messageDuration              string // seconds or "permanent"; "" = 0
	messageSet                   time.Time
}

// lobbyState is a participant's activation and move state.
type lobbyState struct {
	deactivated                bool // waiting in the lobby
	immovable                  bool // canMove=false
	movedFrom, movedFromBridge string
}

// Controls is the test view of the operator-settable state of one call instance.
type Controls struct {
	Recording, Streaming                               bool
	AllowAllMuteSelf, AllowAllPresentationContribution bool
	MessageText                                        string
	MessagePosition                                    string // "middle" when never set
	MessageDuration                                    string // "0" when never set
}

// LobbyState is the test view of a participant's lobby and move state.
type LobbyState struct {
	Deactivated         bool // waiting in the lobby
	CanMove             bool
	MovedFrom           string // the participant id this one was moved from
	MovedFromCallBridge string
}

func (ls lobbyState) export() LobbyState {
	return LobbyState{Deactivated: ls.deactivated, CanMove: !ls.immovable, MovedFrom: ls.movedFrom,
		MovedFromCallBridge: ls.movedFromBridge}
}

func (st *state) controlsOf(c *call) Controls {
	k := c.ctl
	out := Controls{Recording: st.sys.recording[c.m.correlator], Streaming: c.streaming,
		AllowAllMuteSelf: k.allowMuteSelf, AllowAllPresentationContribution: k.allowPresent,
		MessageText: k.messageText, MessagePosition: k.messagePosition, MessageDuration: k.messageDuration}
	if out.MessagePosition == "" {
		out.MessagePosition = "middle"
	}
	if out.MessageDuration == "" {
		out.MessageDuration = "0"
	}
	return out
}

// SetRecordingMode sets the call profile's recordingMode for every instance of the meeting:
// "manual" (the default), "automatic" or "disabled". Outside manual, PUT recording is refused
// with callRecordingCannotBeModified.
func (s *Sim) SetRecordingMode(correlator, mode string) bool {
	return s.eachInstance(correlator, func(c *call) { c.ctl.recordingMode = profileMode(mode) })
}

// SetStreamingMode is SetRecordingMode for streaming (callStreamingCannotBeModified).
func (s *Sim) SetStreamingMode(correlator, mode string) bool {
	return s.eachInstance(correlator, func(c *call) { c.ctl.streamingMode = profileMode(mode) })
}

func profileMode(mode string) string {
	if mode == "manual" {
		return ""
	}
	return mode
}

// SetCanMove sets whether a participant can be moved to another meeting (canMove).
func (s *Sim) SetCanMove(participantID string, ok bool) bool {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	p := st.participants[participantID]
	if p == nil {
		return false
	}
	p.lobby.immovable = !ok
	for _, l := range p.legs {
		st.touch(l.c)
	}
	return true
}

// SetPresenting makes leg legID share content, or stops it (on=false): the call's
// presenterCallLeg and the roster's presenter flag. An endpoint does this, not the API. Only
// the presenter's own call instance names it (what other instances show is undocumented).
func (s *Sim) SetPresenting(legID string, on bool) bool {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	l := st.legs[legID]
	if l == nil {
		return false
	}
	switch {
	case on:
		l.c.presenting = l
	case l.c.presenting == l:
		l.c.presenting = nil
	}
	st.touch(l.c)
	return true
}

// unlockLobby activates the participants waiting in the lobby of instance c (those its node
// hosts): the blueprint's locked, "the guests requiring activation wait in the meeting lobby
// until the host unlocks the coSpace, at which point they are activated and join".
func (st *state) unlockLobby(c *call) {
	for _, p := range c.m.participants {
		if p.owner == c.node && p.lobby.deactivated {
			p.lobby.deactivated = false
			for _, l := range p.legs {
				st.touch(l.c)
			}
		}
	}
}

// lockedMeeting reports whether any instance of m is locked: with the default lockMode (all),
// a new participant then waits in the lobby.
func (st *state) lockedMeeting(m *meeting) bool {
	return slices.ContainsFunc(m.instances, func(c *call) bool { return c.locked })
}

// licensed reports whether the licensed features (recording, streaming) are usable now; they
// share the expiry that SetLicenseExpiry sets (system.go).
func (st *state) licensed() bool {
	exp := st.sys.expiry
	if exp.IsZero() {
		exp = st.start.AddDate(1, 0, 0)
	}
	return st.now().Before(exp)
}

var messagePositions = []string{"top", "middle", "bottom"}

// parseCallControls validates the control fields of a PUT /calls/<id> and returns the change
// to apply once every other parameter has been validated too, so a refused PUT changes nothing.
// CMS checks the recording and streaming policy and the licence only when the value changes
// state: recording=true on a recorded call is a no-op.
func (st *state) parseCallControls(f map[string][]string, c *call) (func(), *response) {
	var steps []func()
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"allowAllMuteSelf", &c.ctl.allowMuteSelf}, {"allowAllPresentationContribution", &c.ctl.allowPresent}} {
		t, present, bad := parseTri(f, b.name)
		if bad != nil {
			return nil, bad
		}
		if present {
			dst, v := b.dst, t.bool()
			steps = append(steps, func() { *dst = v })
		}
	}
	rec, recSet, bad := parseTri(f, "recording")
	if bad != nil {
		return nil, bad
	}
	str, strSet, bad := parseTri(f, "streaming")
	if bad != nil {
		return nil, bad
	}
	text, textSet := param(f, "messageText")
	pos, posSet := param(f, "messagePosition")
	if posSet && pos != "" && !slices.Contains(messagePositions, pos) {
		resp := badParam("messagePosition")
		return nil, &resp
	}
	dur, durSet := param(f, "messageDuration")
	if durSet && dur != "" && dur != "permanent" {
		if n, err := strconv.Atoi(dur); err != nil || n < 0 {
			resp := badParam("messageDuration")
			return nil, &resp
		}
	}
	if recSet && rec.bool() != st.sys.recording[c.m.correlator] {
		switch {
		case c.ctl.recordingMode != "":
			resp := fail(http.StatusBadRequest, "callRecordingCannotBeModified")
			return nil, &resp
		case rec.bool() && !st.licensed():
			resp := fail(http.StatusBadRequest, "recordingNotAllowedByLicensing")
			return nil, &resp
		}
		on := rec.bool()
		steps = append(steps, func() {
			// The emulator models one recorder per meeting: starting it on any instance
			// records the meeting, as SetRecording does.
			st.sys.init()
			st.sys.recording[c.m.correlator] = on
			for _, in := range c.m.instances {
				st.touch(in)
			}
		})
	}
	if strSet && str.bool() != c.streaming {
		switch {
		case c.ctl.streamingMode != "":
			resp := fail(http.StatusBadRequest, "callStreamingCannotBeModified")
			return nil, &resp
		case str.bool() && !st.licensed():
			resp := fail(http.StatusBadRequest, "streamingNotAllowedByLicensing")
			return nil, &resp
		}
		on := str.bool()
		steps = append(steps, func() { c.streaming = on })
	}
	if textSet || posSet || durSet {
		steps = append(steps, func() {
			if textSet {
				c.ctl.messageText = text
			}
			if posSet {
				c.ctl.messagePosition = pos
			}
			if durSet {
				c.ctl.messageDuration = dur
			}
			c.ctl.messageSet = st.now()
		})
	}
	return func() {
		for _, s := range steps {
			s()
		}
	}, nil
}

// fillCallControls renders the control fields of GET /calls/<id>.
func (st *state) fillCallControls(d *callDetail, c *call) {
	k := st.controlsOf(c)
	d.Recording, d.Streaming = k.Recording, k.Streaming
	d.AllowMuteSelf, d.AllowPresent = k.AllowAllMuteSelf, k.AllowAllPresentationContribution
	d.MessageText, d.MessagePosition, d.MessageDuration = k.MessageText, k.MessagePosition, k.MessageDuration
	if n, err := strconv.Atoi(k.MessageDuration); err == nil && n > 0 && k.MessageText != "" {
		left := max(0, n-seconds(st.now().Sub(c.ctl.messageSet)))
		d.MessageTimeRemaining = &left
	}
}

// parseActivation reads deactivated on PUT /participants/<id>: false admits the participant
// from the lobby, true (CMS 3.4's "move to lobby") sends them back.
func parseActivation(f map[string][]string) (apply func(p *participant), bad *response) {
	t, present, bad := parseTri(f, "deactivated")
	if bad != nil || !present || t == triUnset {
		return func(*participant) {}, bad
	}
	return func(p *participant) { p.lobby.deactivated = t.bool() }, nil
}

// postCallParticipant is POST /calls/<id>/participants: movedParticipant moves an existing
// participant into this call; otherwise remoteParty dials out. Both answer 200 with
// Location: /api/v1/participants/<new id>.
func postCallParticipant(ns *nodeServer, r *http.Request, ids []string) response {
	f, bad := form(r)
	if bad != nil {
		return *bad
	}
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	c := ns.localCall(ids[0])
	if c == nil {
		return fail(http.StatusBadRequest, "callDoesNotExist")
	}
	if moved, ok := param(f, "movedParticipant"); ok {
		return ns.move(c, moved)
	}
	remote, _ := param(f, "remoteParty")
	if remote == "" {
		return badParam("remoteParty") // "at least one of remoteParty, movedParticipant"
	}
	ch, bad := parseLegChanges(f)
	if bad != nil {
		return *bad
	}
	deactivated, _, bad := parseTri(f, "deactivated")
	if bad != nil {
		return *bad
	}
	l := st.join(c.m, ns.node, ParticipantSpec{Name: remote, URI: remote, Outgoing: true,
		Lobby: deactivated.bool()}, st.now())
	ch.apply(l)
	return response{status: http.StatusOK, location: "/api/v1/participants/" + l.p.id}
}

// move takes the participant out of its meeting and connects it to c from this node. As CMM
// documents, the moved participant's settings reset (mutes, layout, importance) and it
// bypasses the target's lock. What CMS answers for a participant with canMove=false is not
// documented; the emulator assumes a parameterError on movedParticipant.
func (ns *nodeServer) move(c *call, id string) response {
	st := ns.sim.state
	p := st.participants[id]
	if p == nil {
		return fail(http.StatusBadRequest, participantDoesNotExist)
	}
	if p.lobby.immovable || p.m == c.m {
		return badParam("movedParticipant")
	}
	spec := ParticipantSpec{Name: p.name, URI: p.uri}
	if len(p.legs) > 0 {
		spec.Outgoing = p.legs[0].outgoing
	}
	from, fromBridge := p.id, p.owner.bridgeID
	for _, l := range slices.Clone(p.legs) {
		st.removeLeg(l)
	}
	l := st.join(c.m, ns.node, spec, st.now())
	l.p.lobby.movedFrom, l.p.lobby.movedFromBridge = from, fromBridge
	return response{status: http.StatusOK, location: "/api/v1/participants/" + l.p.id}
}
