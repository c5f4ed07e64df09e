package cmssim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func oneLeg(t *testing.T, s *Sim, ps ParticipantSpec) (MeetingInfo, LegState) {
	t.Helper()
	m := s.AddMeeting(MeetingSpec{Name: "W", Participants: []ParticipantSpec{ps}})
	return m, m.Legs[0]
}

func wantEmpty200(t *testing.T, r reply) {
	t.Helper()
	if r.status != http.StatusOK || r.body != "" {
		t.Fatalf("status %d body %q, want 200 and an empty body", r.status, r.body)
	}
}

func TestPutCallLeg(t *testing.T) {
	tests := []struct {
		name  string
		start ParticipantSpec
		form  url.Values
		check func(LegState) bool
	}{
		{"mute mic", ParticipantSpec{}, values("rxAudioMute", "true"), func(l LegState) bool { return l.RxAudioMute }},
		{"unmute mic", ParticipantSpec{RxAudioMute: true}, values("rxAudioMute", "false"), func(l LegState) bool { return !l.RxAudioMute }},
		{"empty unsets", ParticipantSpec{RxAudioMute: true}, values("rxAudioMute", ""), func(l LegState) bool { return !l.RxAudioMute }},
		{"all four", ParticipantSpec{}, values("rxAudioMute", "true", "txAudioMute", "true", "rxVideoMute", "true", "txVideoMute", "true"),
			func(l LegState) bool { return l.RxAudioMute && l.TxAudioMute && l.RxVideoMute && l.TxVideoMute }},
		{"layout", ParticipantSpec{}, values("chosenLayout", "onePlusN"), func(l LegState) bool { return l.ChosenLayout == "onePlusN" }},
		{"layout unset", ParticipantSpec{ChosenLayout: "stacked"}, values("chosenLayout", ""), func(l LegState) bool { return l.ChosenLayout == "" }},
		{"omitted stays", ParticipantSpec{TxVideoMute: true}, values("rxAudioMute", "true"), func(l LegState) bool { return l.TxVideoMute && l.RxAudioMute }},
		{"unknown ignored", ParticipantSpec{}, values("needsActivation", "true", "frobnicate", "x"), func(l LegState) bool { return !l.RxAudioMute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, Options{Nodes: 1})
			_, l := oneLeg(t, s, tt.start)
			wantEmpty200(t, do(t, s, "cb1", http.MethodPut, "callLegs/"+l.ID, tt.form))
			got, _ := s.Leg(l.ID)
			if !tt.check(got) {
				t.Errorf("leg after PUT: %+v", got)
			}
		})
	}
}

func TestPutCallLegShowsInConfiguration(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	_, l := oneLeg(t, s, ParticipantSpec{})
	if c := get(t, s, "cb1", "callLegs/"+l.ID); c.has("configuration/rxAudioMute") || c.has("configuration/chosenLayout") {
		t.Fatalf("no overrides yet, configuration: %v", c)
	}
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, "callLegs/"+l.ID, values("rxAudioMute", "true", "chosenLayout", "allEqualNinths")))
	e := get(t, s, "cb1", "callLegs/"+l.ID)
	if e.text("configuration/rxAudioMute") != "true" || e.text("configuration/chosenLayout") != "allEqualNinths" ||
		e.text("status/layout") != "allEqualNinths" {
		t.Errorf("after PUT: %v", e)
	}
}

func TestParameterErrors(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	m, l := oneLeg(t, s, ParticipantSpec{ChosenLayout: "stacked"})
	tests := []struct {
		method, path string
		form         url.Values
		param        string
	}{
		{http.MethodPut, "callLegs/" + l.ID, values("chosenLayout", "AllEqual"), "chosenLayout"},
		{http.MethodPut, "callLegs/" + l.ID, values("chosenLayout", "grid"), "chosenLayout"},
		{http.MethodPut, "callLegs/" + l.ID, values("rxAudioMute", "on"), "rxAudioMute"},
		{http.MethodPut, "callLegs/" + l.ID, values("txVideoMute", "TRUE"), "txVideoMute"},
		{http.MethodPut, "callLegs/" + l.ID, values("rxAudioMute", "true", "txAudioMute", "1"), "txAudioMute"},
		{http.MethodPut, "participants/" + l.ParticipantID, values("importance", "high"), "importance"},
		{http.MethodPut, "participants/" + l.ParticipantID, values("importance", "-1"), "importance"},
		{http.MethodPut, "calls/" + m.Calls["cb1"], values("joinAudioMuteOverride", "yes"), "joinAudioMuteOverride"},
		{http.MethodPut, "calls/" + m.Calls["cb1"], values("locked", "off"), "locked"},
		{http.MethodPost, "calls/" + m.Calls["cb1"] + "/callLegs", values("chosenLayout", "allEqual"), "remoteParty"},
		{http.MethodPost, "calls/" + m.Calls["cb1"] + "/callLegs", values("remoteParty", " "), "remoteParty"},
		{http.MethodPost, "calls/" + m.Calls["cb1"] + "/callLegs", values("remoteParty", "a@b", "chosenLayout", "x"), "chosenLayout"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.form.Encode(), func(t *testing.T) {
			r := do(t, s, "cb1", tt.method, tt.path, tt.form)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			want := `<failureDetails><parameterError parameter="` + tt.param + `" error="invalidValue" /></failureDetails>`
			if !strings.HasSuffix(r.body, want) {
				t.Errorf("body %s, want …%s", r.body, want)
			}
		})
	}
	// A rejected request changes nothing, not even the valid parameters sent with it.
	if got, _ := s.Leg(l.ID); got.RxAudioMute || got.ChosenLayout != "stacked" {
		t.Errorf("leg changed by rejected PUTs: %+v", got)
	}
	if len(s.Legs(m.Correlator)) != 1 {
		t.Error("a rejected POST created a leg")
	}
}

func TestWritesOnBadIDs(t *testing.T) {
	const bad = "00000000-0000-4000-8000-000000000000"
	s := start(t, Options{Nodes: 1})
	tests := []struct {
		method, path, reason string
	}{
		{http.MethodPut, "callLegs/" + bad, "callLegDoesNotExist"},
		{http.MethodDelete, "callLegs/" + bad, "callLegDoesNotExist"},
		{http.MethodPut, "participants/" + bad, participantDoesNotExist},
		{http.MethodDelete, "participants/" + bad, participantDoesNotExist},
		{http.MethodPut, "calls/" + bad, "callDoesNotExist"},
		{http.MethodDelete, "calls/" + bad, "callDoesNotExist"},
		{http.MethodPost, "calls/" + bad + "/callLegs", "callDoesNotExist"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := do(t, s, "cb1", tt.method, tt.path, values("remoteParty", "x@y", "rxAudioMute", "true"))
			if r.status != http.StatusBadRequest || failureReason(t, r) != tt.reason {
				t.Errorf("%d %s, want 400 %s", r.status, r.body, tt.reason)
			}
		})
	}
}

func TestPostCallLeg(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Dial", Participants: []ParticipantSpec{{Name: "A", Node: "cb1"}, {Name: "B", Node: "cb2"}}})
	r := do(t, s, "cb2", http.MethodPost, "calls/"+m.Calls["cb2"]+"/callLegs",
		values("remoteParty", "desk.ex90@tkratzke.local", "rxVideoMute", "true"))
	wantEmpty200(t, r)
	loc := r.header.Get("Location")
	id, ok := strings.CutPrefix(loc, "/api/v1/callLegs/")
	if !ok || len(id) != 36 {
		t.Fatalf("Location %q", loc)
	}
	l, ok := s.Leg(id)
	if !ok || l.Node != "cb2" || l.CallID != m.Calls["cb2"] || l.RemoteParty != "desk.ex90@tkratzke.local" || !l.RxVideoMute {
		t.Fatalf("new leg %+v", l)
	}
	e := get(t, s, "cb2", "callLegs/"+id)
	if e.text("direction") != "outgoing" || e.text("remoteParty") != "desk.ex90@tkratzke.local" {
		t.Errorf("detail %v", e)
	}
	if got := get(t, s, "cb1", "calls/"+m.Calls["cb1"]).text("numParticipantsRemote"); got != "2" {
		t.Errorf("cb1 sees %s remote participants, want 2", got)
	}
}

func TestJoinAudioMuteOverride(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	m, first := oneLeg(t, s, ParticipantSpec{Name: "Early"})
	call := "calls/" + m.Calls["cb1"]
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, call, values("joinAudioMuteOverride", "true", "locked", "true")))
	if cs, _ := s.CallState("cb1", m.Calls["cb1"]); cs.JoinAudioMuteOverride == nil || !*cs.JoinAudioMuteOverride || !cs.Locked {
		t.Fatalf("call state %+v", cs)
	}
	if d := get(t, s, "cb1", call); d.text("joinAudioMuteOverride") != "true" || d.text("locked") != "true" {
		t.Errorf("GET call: %v", d)
	}
	loc := do(t, s, "cb1", http.MethodPost, call+"/callLegs", values("remoteParty", "late@example.com")).header.Get("Location")
	late, _ := s.Leg(strings.TrimPrefix(loc, "/api/v1/callLegs/"))
	if !late.RxAudioMute {
		t.Error("a leg joining under joinAudioMuteOverride=true is not muted")
	}
	if l, _ := s.Leg(first.ID); l.RxAudioMute {
		t.Error("the override muted a leg already in the call")
	}
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, call, values("joinAudioMuteOverride", "", "locked", "false")))
	cs, _ := s.CallState("cb1", m.Calls["cb1"])
	if cs.JoinAudioMuteOverride != nil || cs.Locked {
		t.Errorf("after unset: %+v", cs)
	}
	if get(t, s, "cb1", call).has("joinAudioMuteOverride") {
		t.Error("unset joinAudioMuteOverride still shown")
	}
}

func TestPutParticipantImportance(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	_, l := oneLeg(t, s, ParticipantSpec{})
	path := "participants/" + l.ParticipantID
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, path, values("importance", "7")))
	if p, _ := s.Participant(l.ParticipantID); p.Importance == nil || *p.Importance != 7 {
		t.Fatalf("importance %v", p.Importance)
	}
	if got, _ := s.Leg(l.ID); got.Importance == nil || *got.Importance != 7 {
		t.Errorf("Leg().Importance %v", got.Importance)
	}
	if got := get(t, s, "cb1", path).text("configuration/importance"); got != "7" {
		t.Errorf("GET importance %q", got)
	}
	wantEmpty200(t, do(t, s, "cb1", http.MethodPut, path, values("importance", "")))
	if p, _ := s.Participant(l.ParticipantID); p.Importance != nil {
		t.Errorf("importance not unset: %d", *p.Importance)
	}
}

func TestDeleteCallLeg(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "D", Participants: []ParticipantSpec{{Name: "A", Node: "cb1"}, {Name: "B", Node: "cb1"}, {Name: "C", Node: "cb2"}}})
	a := m.Legs[0]
	wantEmpty200(t, do(t, s, "cb1", http.MethodDelete, "callLegs/"+a.ID, nil))
	if _, ok := s.Leg(a.ID); ok {
		t.Fatal("leg still there")
	}
	if r := do(t, s, "cb1", http.MethodGet, "participants/"+a.ParticipantID, nil); r.status != http.StatusNotFound {
		t.Errorf("participant whose last leg went: %d", r.status)
	}
	d := get(t, s, "cb1", "calls/"+m.Calls["cb1"])
	if d.text("numParticipantsLocal") != "1" || d.text("numCallLegs") != "2" || d.text("maxCallLegs") != "3" {
		t.Errorf("counters after DELETE: %v", d)
	}
	st := get(t, s, "cb1", "system/status")
	if st.text("callLegsActive") != "2" || st.text("callLegsCompleted") != "1" || st.text("callLegsMaxActive") != "3" {
		t.Errorf("system/status after DELETE: %v", st)
	}
	if r := do(t, s, "cb1", http.MethodDelete, "callLegs/"+a.ID, nil); r.status != http.StatusBadRequest {
		t.Errorf("second DELETE: %d", r.status)
	}
	var link string
	for _, l := range all(t, s, "cb1", "callLegs") {
		if get(t, s, "cb1", "callLegs/"+l.attr("id")).text("subType") == "distributionLink" {
			link = l.attr("id") // only the detail tells a distribution link
		}
	}
	r := do(t, s, "cb1", http.MethodDelete, "callLegs/"+link, nil)
	if r.status != http.StatusBadRequest || failureReason(t, r) != "callLegCannotBeDeleted" {
		t.Errorf("DELETE distribution link: %d %s", r.status, r.body)
	}
}

func TestDeleteParticipantAndCall(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "D", Participants: []ParticipantSpec{{Name: "A", Node: "cb1"}, {Name: "B", Node: "cb2"}, {Name: "C", Node: "cb2"}}})
	wantEmpty200(t, do(t, s, "cb1", http.MethodDelete, "participants/"+m.Legs[0].ParticipantID, nil))
	info, _ := s.Meeting(m.Correlator)
	if len(info.Legs) != 2 || info.Calls["cb1"] != "" {
		t.Fatalf("after DELETE participant: %+v", info)
	}
	wantEmpty200(t, do(t, s, "cb2", http.MethodDelete, "calls/"+m.Calls["cb2"], nil))
	if _, ok := s.Meeting(m.Correlator); ok {
		t.Error("meeting survives DELETE of its only call")
	}
	if got := get(t, s, "cb2", "calls").attr("total"); got != "0" {
		t.Errorf("cb2 calls %s", got)
	}
}

func TestEmptyMeetingStaysForDialOut(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Empty"})
	if m.Calls["cb1"] == "" {
		t.Fatalf("no call: %+v", m)
	}
	loc := do(t, s, "cb1", http.MethodPost, "calls/"+m.Calls["cb1"]+"/callLegs", values("remoteParty", "x@y")).header.Get("Location")
	if !s.RemoveLeg(strings.TrimPrefix(loc, "/api/v1/callLegs/")) {
		t.Fatal("RemoveLeg")
	}
	if d := get(t, s, "cb1", "calls/"+m.Calls["cb1"]); d.text("activeWhenEmpty") != "true" {
		t.Errorf("empty call: %v", d)
	}
}

func TestPutWithoutContentType(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	_, l := oneLeg(t, s, ParticipantSpec{})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, s.Nodes()[0].URL+"/api/v1/callLegs/"+l.ID,
		strings.NewReader("rxVideoMute=true"))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(s.Username, s.Password)
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, _ := s.Leg(l.ID); resp.StatusCode != http.StatusOK || !got.RxVideoMute {
		t.Errorf("status %d, leg %+v", resp.StatusCode, got)
	}
}
