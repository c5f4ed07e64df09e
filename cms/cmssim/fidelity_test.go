package cmssim

import (
	"net/http"
	"strings"
	"testing"
)

// Answers that real public CMS clients (orchestratevc, the Bitfocus Companion module, Mividas)
// depend on, as Cisco documents them and real CMS sends them (issue 11).

func TestPostCallParticipantDialsOut(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Dial", Participants: []ParticipantSpec{{Name: "Ann", Node: "cb2"}}})
	r := do(t, s, "cb2", http.MethodPost, "calls/"+m.Calls["cb2"]+"/participants", values("remoteParty", "sip:bob@example.net"))
	loc := r.header.Get("Location")
	if r.status != http.StatusOK || !strings.HasPrefix(loc, "/api/v1/participants/") {
		t.Fatalf("POST participants: %d, Location %q, %s", r.status, loc, r.body)
	}
	pid := strings.TrimPrefix(loc, "/api/v1/participants/")
	if _, ok := s.Participant(pid); !ok {
		t.Fatalf("participant %s is not in the emulator", pid)
	}
	legs := all(t, s, "cb2", "participants/"+pid+"/callLegs")
	if len(legs) != 1 || legs[0].text("call") != m.Calls["cb2"] {
		t.Errorf("the new participant's legs: %+v", legs)
	}
	if r := do(t, s, "cb1", http.MethodPost, "calls/"+m.Calls["cb2"]+"/participants", values("remoteParty", "x")); r.status != http.StatusBadRequest ||
		failureReason(t, r) != "callDoesNotExist" {
		t.Errorf("POST on a node without the call: %d %s", r.status, r.body)
	}
	if r := do(t, s, "cb2", http.MethodPost, "calls/"+m.Calls["cb2"]+"/participants", values()); r.status != http.StatusBadRequest {
		t.Errorf("POST without remoteParty: %d %s", r.status, r.body)
	}
}

func TestPutAllParticipantsOfACall(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	m := s.AddMeeting(MeetingSpec{Name: "Bulk", Participants: []ParticipantSpec{{Name: "Ann"}, {Name: "Bob"}, {Name: "Cy"}}})
	call := m.Calls["cb1"]
	ann, bob, cy := m.Legs[0], m.Legs[1], m.Legs[2]
	muted := func(l LegState) bool { st, _ := s.Leg(l.ID); return st.RxAudioMute }

	// Everyone but Ann (filterIds and mode in the query string, as FCM sends them).
	r := do(t, s, "cb1", http.MethodPut, "calls/"+call+"/participants/*?filterIds="+ann.ParticipantID+"&mode=exclude", values("rxAudioMute", "true"))
	if r.status != http.StatusOK || muted(ann) || !muted(bob) || !muted(cy) {
		t.Fatalf("mute all but Ann: %d %s; muted %v %v %v", r.status, r.body, muted(ann), muted(bob), muted(cy))
	}
	// Only Bob (in the body), then everyone, layout and importance included.
	r = do(t, s, "cb1", http.MethodPut, "calls/"+call+"/participants/*", values("rxAudioMute", "false", "filterIds", bob.ParticipantID, "mode", "selected"))
	if r.status != http.StatusOK || muted(ann) || muted(bob) || !muted(cy) {
		t.Fatalf("unmute Bob only: %d %s", r.status, r.body)
	}
	r = do(t, s, "cb1", http.MethodPut, "calls/"+call+"/participants/*", values("layout", "speakerOnly", "importance", "3"))
	if r.status != http.StatusOK {
		t.Fatalf("layout for all: %d %s", r.status, r.body)
	}
	for _, l := range m.Legs {
		st, _ := s.Leg(l.ID)
		p, _ := s.Participant(l.ParticipantID)
		if st.ChosenLayout != "speakerOnly" || p.Importance == nil || *p.Importance != 3 {
			t.Errorf("%s: layout %q importance %v", l.Name, st.ChosenLayout, p.Importance)
		}
	}
	tooMany := strings.Repeat(ann.ParticipantID+",", 21)
	for _, bad := range []struct{ path, k, v string }{
		{"calls/" + call + "/participants/*", "mode", "everyone"},
		{"calls/" + call + "/participants/*", "filterIds", tooMany},
		{"calls/" + call + "/participants/*", "layout", "grid"},
	} {
		if r := do(t, s, "cb1", http.MethodPut, bad.path, values(bad.k, bad.v)); r.status != http.StatusBadRequest || failureReason(t, r) != "parameterError" {
			t.Errorf("%s=%s: %d %s", bad.k, bad.v, r.status, r.body)
		}
	}
	if r := do(t, s, "cb1", http.MethodPut, "calls/00000000-0000-0000-0000-000000000000/participants/*", values("rxAudioMute", "true")); r.status != http.StatusBadRequest {
		t.Errorf("unknown call: %d %s", r.status, r.body)
	}
}

func TestPostCallInstantiatesACoSpace(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Space", Participants: []ParticipantSpec{{Name: "Ann", Node: "cb1"}}})
	r := do(t, s, "cb2", http.MethodPost, "calls", values("coSpace", m.CoSpace))
	loc := r.header.Get("Location")
	if r.status != http.StatusOK || !strings.HasPrefix(loc, "/api/v1/calls/") {
		t.Fatalf("POST calls: %d, Location %q, %s", r.status, loc, r.body)
	}
	id := strings.TrimPrefix(loc, "/api/v1/calls/")
	d := get(t, s, "cb2", "calls/"+id)
	if d.text("callCorrelator") != m.Correlator || d.text("coSpace") != m.CoSpace {
		t.Errorf("the new instance joins the space's meeting: %+v", d)
	}
	// The call accepts participants at once.
	if r := do(t, s, "cb2", http.MethodPost, "calls/"+id+"/callLegs", values("remoteParty", "sip:x@example.net")); r.status != http.StatusOK {
		t.Errorf("dial into the new call: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"", "00000000-0000-0000-0000-000000000000"} {
		if r := do(t, s, "cb1", http.MethodPost, "calls", values("coSpace", bad)); r.status != http.StatusBadRequest {
			t.Errorf("coSpace %q: %d %s", bad, r.status, r.body)
		}
	}
}

func TestFailureDetailsOnOneLineWithTheDeclaration(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	const head = `<?xml version="1.0"?><failureDetails>`
	for _, r := range []reply{
		do(t, s, "cb1", http.MethodGet, "callLegs/00000000-0000-0000-0000-000000000000", nil),
		do(t, s, "cb1", http.MethodPut, "calls/00000000-0000-0000-0000-000000000000/participants/*", values("mode", "x")),
	} {
		if !strings.HasPrefix(r.body, head) {
			t.Errorf("failure body %q does not start with %q", r.body, head)
		}
	}
}

func TestCallLegListsCarryNoSubType(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	s.AddMeeting(MeetingSpec{Name: "Spread", Participants: []ParticipantSpec{{Name: "Ann", Node: "cb1"}, {Name: "Bob", Node: "cb2"}}})
	links := 0
	for _, l := range all(t, s, "cb1", "callLegs") {
		if l.has("subType") {
			t.Errorf("list item %s has a subType", l.attr("id"))
		}
		if get(t, s, "cb1", "callLegs/"+l.attr("id")).text("subType") == "distributionLink" {
			links++
		}
	}
	if links != 1 {
		t.Errorf("%d distribution links in the details, want 1", links)
	}
}

func TestLegDetailSpellsSipCallIdAsCMS(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	m := s.AddMeeting(MeetingSpec{Name: "Sip", Participants: []ParticipantSpec{{Name: "Ann"}}})
	d := get(t, s, "cb1", "callLegs/"+m.Legs[0].ID)
	if d.text("status/sipCallId") == "" || d.has("status/sipCallID") {
		t.Errorf("status: sipCallId %q, sipCallID present %v", d.text("status/sipCallId"), d.has("status/sipCallID"))
	}
}
