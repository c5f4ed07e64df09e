package cmssim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPutCallControls(t *testing.T) {
	tests := []struct {
		name  string
		form  url.Values
		check func(CallState) bool
		xml   map[string]string // GET /calls/<id> element -> text
	}{
		{"lock", values("locked", "true"), func(c CallState) bool { return c.Locked }, map[string]string{"locked": "true"}},
		{"record", values("recording", "true"), func(c CallState) bool { return c.Recording }, map[string]string{"recording": "true"}},
		{"stream", values("streaming", "true"), func(c CallState) bool { return c.Streaming }, map[string]string{"streaming": "true"}},
		{"self mute", values("allowAllMuteSelf", "true", "allowAllPresentationContribution", "true"),
			func(c CallState) bool { return c.AllowAllMuteSelf && c.AllowAllPresentationContribution },
			map[string]string{"allowAllMuteSelf": "true", "allowAllPresentationContribution": "true"}},
		{"banner", values("messageText", "Back at 10:15", "messagePosition", "top", "messageDuration", "30"),
			func(c CallState) bool {
				return c.MessageText == "Back at 10:15" && c.MessagePosition == "top" && c.MessageDuration == "30"
			},
			map[string]string{"messageText": "Back at 10:15", "messagePosition": "top", "messageDuration": "30",
				"messageTimeRemaining": "30"}},
		{"permanent banner", values("messageText", "Recording", "messageDuration", "permanent"),
			func(c CallState) bool { return c.MessageDuration == "permanent" && c.MessagePosition == "middle" },
			map[string]string{"messageDuration": "permanent", "messagePosition": "middle"}},
		{"join muted", values("joinAudioMuteOverride", "true"),
			func(c CallState) bool { return c.JoinAudioMuteOverride != nil && *c.JoinAudioMuteOverride },
			map[string]string{"joinAudioMuteOverride": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{Nodes: 1})
			m, _ := oneLeg(t, s, ParticipantSpec{Name: "A"})
			id := m.Calls["cb1"]
			wantEmpty200(t, do(t, s, "cb1", http.MethodPut, "calls/"+id, tt.form))
			got, _ := s.CallState("cb1", id)
			if !tt.check(got) {
				t.Errorf("call after PUT: %+v", got)
			}
			e := get(t, s, "cb1", "calls/"+id)
			for k, v := range tt.xml {
				if e.text(k) != v {
					t.Errorf("GET %s = %q, want %q", k, e.text(k), v)
				}
			}
		})
	}
}

func TestPutCallRefusals(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(s *Sim, cor string)
		form   url.Values
		reason string // failure reason, or "parameterError:<param>"
	}{
		{"recording automatic", func(s *Sim, c string) { s.SetRecordingMode(c, "automatic") },
			values("recording", "true"), "callRecordingCannotBeModified"},
		{"recording disabled stop", func(s *Sim, c string) { s.SetRecording(c, true); s.SetRecordingMode(c, "disabled") },
			values("recording", "false"), "callRecordingCannotBeModified"},
		{"recording licence", func(s *Sim, _ string) { s.SetLicenseExpiry(time.Now().Add(-time.Hour)) },
			values("recording", "true"), "recordingNotAllowedByLicensing"},
		{"streaming automatic", func(s *Sim, c string) { s.SetStreamingMode(c, "automatic") },
			values("streaming", "true"), "callStreamingCannotBeModified"},
		{"streaming licence", func(s *Sim, _ string) { s.SetLicenseExpiry(time.Now().Add(-time.Hour)) },
			values("streaming", "true"), "streamingNotAllowedByLicensing"},
		{"position", nil, values("messageText", "x", "messagePosition", "centre"), "parameterError:messagePosition"},
		{"duration", nil, values("messageText", "x", "messageDuration", "30s"), "parameterError:messageDuration"},
		{"recording on/off", nil, values("recording", "on"), "parameterError:recording"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{Nodes: 1})
			m, _ := oneLeg(t, s, ParticipantSpec{Name: "A"})
			if tt.setup != nil {
				tt.setup(s, m.Correlator)
			}
			before, _ := s.CallState("cb1", m.Calls["cb1"])
			// locked=true rides along: a refused PUT must change nothing at all.
			f := tt.form
			f.Set("locked", "true")
			r := do(t, s, "cb1", http.MethodPut, "calls/"+m.Calls["cb1"], f)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			got := failureReason(t, r)
			if p, ok := strings.CutPrefix(tt.reason, "parameterError:"); ok {
				if got != "parameterError" || decode(t, r.body).Kids[0].attr("parameter") != p {
					t.Errorf("got %s, want parameterError on %s", r.body, p)
				}
			} else if got != tt.reason {
				t.Errorf("reason %s, want %s", got, tt.reason)
			}
			if after, _ := s.CallState("cb1", m.Calls["cb1"]); after.Locked || after.Controls != before.Controls {
				t.Errorf("refused PUT changed the call: %+v -> %+v", before, after)
			}
		})
	}
}

func TestRecordingSameStateIsNoOp(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	m, _ := oneLeg(t, s, ParticipantSpec{Name: "A"})
	s.SetRecording(m.Correlator, true)
	s.SetRecordingMode(m.Correlator, "automatic")
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, "calls/"+m.Calls["cb1"], values("recording", "true")))
}

func TestLobbyAndAdmit(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Board", Participants: []ParticipantSpec{
		{Name: "Host", Node: "cb1"}, {Name: "Remote", Node: "cb2"}}})
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, "calls/"+m.Calls["cb1"], values("locked", "true")))
	guest, ok := s.Join(m.Correlator, ParticipantSpec{Name: "Guest", Node: "cb1"})
	if !ok {
		t.Fatal("join failed")
	}
	if p, _ := s.Participant(guest.ParticipantID); !p.Lobby.Deactivated {
		t.Fatalf("a guest joining a locked meeting is not in the lobby: %+v", p)
	}
	if e := get(t, s, "cb1", "callLegs/"+guest.ID); e.text("status/deactivated") != "true" {
		t.Errorf("leg status/deactivated = %q, want true", e.text("status/deactivated"))
	}
	// Only the owning node may admit.
	r := do(t, s, "cb2", http.MethodPut, "participants/"+guest.ParticipantID, values("deactivated", "false"))
	if r.status != http.StatusBadRequest || failureReason(t, r) != "participantCannotBeModified" {
		t.Fatalf("admit on another node: %d %s", r.status, r.body)
	}
	if r := do(t, s, "cb1", http.MethodPut, "participants/"+guest.ParticipantID, values("deactivated", "no")); r.status != http.StatusBadRequest {
		t.Fatalf("deactivated=no: %d", r.status)
	}
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, "participants/"+guest.ParticipantID, values("deactivated", "false")))
	if p, _ := s.Participant(guest.ParticipantID); p.Lobby.Deactivated {
		t.Fatalf("still in the lobby after admit: %+v", p)
	}
	if e := get(t, s, "cb1", "callLegs/"+guest.ID); e.text("status/deactivated") != "false" {
		t.Errorf("leg status/deactivated = %q after admit", e.text("status/deactivated"))
	}
	// An unlocked meeting lets people straight in.
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, "calls/"+m.Calls["cb1"], values("locked", "false")))
	late, _ := s.Join(m.Correlator, ParticipantSpec{Name: "Late", Node: "cb1"})
	if p, _ := s.Participant(late.ParticipantID); p.Lobby.Deactivated {
		t.Errorf("joined an unlocked meeting into the lobby")
	}
}

// Unlocking an instance lets its lobby in (the blueprint's locked: the guests wait "until the
// host unlocks the coSpace, at which point they are activated"); another node's lobby waits
// until that node's instance is unlocked.
func TestUnlockAdmitsTheLobby(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Board", Participants: []ParticipantSpec{
		{Name: "Host", Node: "cb1"}, {Name: "Remote", Node: "cb2"}}})
	for _, n := range []string{"cb1", "cb2"} {
		wantEmpty200(t, do(t, s, n, http.MethodPut, "calls/"+m.Calls[n], values("locked", "true")))
	}
	g1, _ := s.Join(m.Correlator, ParticipantSpec{Name: "Guest 1", Node: "cb1"})
	g2, _ := s.Join(m.Correlator, ParticipantSpec{Name: "Guest 2", Node: "cb2"})
	waiting := func(l LegState) bool { p, _ := s.Participant(l.ParticipantID); return p.Lobby.Deactivated }
	if !waiting(g1) || !waiting(g2) {
		t.Fatal("the guests are not in the lobby")
	}
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, "calls/"+m.Calls["cb1"], values("locked", "false")))
	if waiting(g1) || !waiting(g2) {
		t.Errorf("after unlocking cb1: guest 1 waiting %v (want no), guest 2 waiting %v (want yes)", waiting(g1), waiting(g2))
	}
	if e := get(t, s, "cb1", "callLegs/"+g1.ID); e.text("status/deactivated") != "false" {
		t.Errorf("guest 1's leg status/deactivated = %q after the unlock", e.text("status/deactivated"))
	}
	wantEmpty200(t, do(t, s, "cb2", http.MethodPut, "calls/"+m.Calls["cb2"], values("locked", "false")))
	if waiting(g2) {
		t.Error("guest 2 still waiting after cb2 was unlocked")
	}
}

func TestMoveParticipant(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	from := s.AddMeeting(MeetingSpec{Name: "From", Participants: []ParticipantSpec{
		{Name: "Mover", Node: "cb2", RxAudioMute: true}, {Name: "Stayer", Node: "cb2"}}})
	to := s.AddMeeting(MeetingSpec{Name: "To", Locked: true, Participants: []ParticipantSpec{{Name: "Host", Node: "cb1"}}})
	mover := from.Legs[0]
	if e := get(t, s, "cb2", "participants/"+mover.ParticipantID); e.text("canMove") != "true" {
		t.Fatalf("canMove = %q", e.text("canMove"))
	}
	r := do(t, s, "cb1", http.MethodPost, "calls/"+to.Calls["cb1"]+"/participants", values("movedParticipant", mover.ParticipantID))
	if r.status != http.StatusOK {
		t.Fatalf("move: %d %s", r.status, r.body)
	}
	newID := strings.TrimPrefix(r.header.Get("Location"), "/api/v1/participants/")
	p, ok := s.Participant(newID)
	if !ok || p.Correlator != to.Correlator || p.Node != "cb1" || p.Name != "Mover" {
		t.Fatalf("moved participant: %+v (Location %q)", p, r.header.Get("Location"))
	}
	if p.Lobby.MovedFrom != mover.ParticipantID || p.Lobby.Deactivated {
		t.Errorf("moved participant lobby state: %+v (a move overrides the target's lock)", p.Lobby)
	}
	if l, _ := s.Leg(p.Legs[0]); l.RxAudioMute {
		t.Errorf("settings were not reset by the move: %+v", l)
	}
	if _, ok := s.Participant(mover.ParticipantID); ok {
		t.Errorf("the original participant is still there")
	}
	if e := get(t, s, "cb1", "participants/"+newID); e.text("movedParticipant") != mover.ParticipantID {
		t.Errorf("movedParticipant = %q", e.text("movedParticipant"))
	}
}

func TestMoveRefusals(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	from := s.AddMeeting(MeetingSpec{Name: "From", Participants: []ParticipantSpec{{Name: "Lync", CannotMove: true}, {Name: "B"}}})
	to := s.AddMeeting(MeetingSpec{Name: "To", Participants: []ParticipantSpec{{Name: "Host"}}})
	lync := from.Legs[0]
	if e := get(t, s, "cb1", "callLegs/"+lync.ID); e.text("canMove") != "false" {
		t.Fatalf("leg canMove = %q", e.text("canMove"))
	}
	tests := []struct {
		name, call, moved, reason string
	}{
		{"cannot move", to.Calls["cb1"], lync.ParticipantID, "parameterError"},
		{"same meeting", from.Calls["cb1"], from.Legs[1].ParticipantID, "parameterError"},
		{"no participant", to.Calls["cb1"], "00000000-0000-4000-8000-000000000000", participantDoesNotExist},
		{"no call", "00000000-0000-4000-8000-000000000001", from.Legs[1].ParticipantID, "callDoesNotExist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, "cb1", http.MethodPost, "calls/"+tt.call+"/participants", values("movedParticipant", tt.moved))
			if r.status != http.StatusBadRequest || failureReason(t, r) != tt.reason {
				t.Fatalf("got %d %s, want %s", r.status, r.body, tt.reason)
			}
		})
	}
	if _, ok := s.Participant(lync.ParticipantID); !ok {
		t.Error("a refused move removed the participant")
	}
}

func TestDeleteCallEndsInstance(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "End", Participants: []ParticipantSpec{{Name: "A", Node: "cb1"}, {Name: "B", Node: "cb2"}}})
	for _, n := range []string{"cb1", "cb2"} {
		wantEmpty200(t, do(t, s, n, http.MethodDelete, "calls/"+m.Calls[n], nil))
	}
	if _, ok := s.Meeting(m.Correlator); ok {
		t.Fatal("meeting still up after DELETE on every hosting node")
	}
	if r := do(t, s, "cb1", http.MethodGet, "calls/"+m.Calls["cb1"], nil); r.status == http.StatusOK {
		t.Error("GET of an ended call answers 200")
	}
}
