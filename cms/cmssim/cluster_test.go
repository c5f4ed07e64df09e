package cmssim

import (
	"net/http"
	"testing"
)

// spread adds a meeting with two participants on cb1, one on cb2 and one on cb3.
func spread(t *testing.T, s *Sim) MeetingInfo {
	t.Helper()
	return s.AddMeeting(MeetingSpec{Name: "Spread", Participants: []ParticipantSpec{
		{Name: "Ann", Node: "cb1"}, {Name: "Bea", Node: "cb1"}, {Name: "Cid", Node: "cb2"}, {Name: "Dee", Node: "cb3"},
	}})
}

func TestDistributedMeetingCalls(t *testing.T) {
	s := start(t, Options{Nodes: 4})
	m := spread(t, s)
	if len(m.Calls) != 3 {
		t.Fatalf("instances on %v, want cb1..cb3", m.Calls)
	}
	tests := []struct {
		node                  string
		local, remote, others string
		legs                  int
	}{
		{"cb1", "2", "2", "2", 4}, // 2 participants + 2 distribution links
		{"cb2", "1", "3", "2", 3},
		{"cb3", "1", "3", "2", 3},
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			calls := get(t, s, tt.node, "calls")
			if len(calls.Kids) != 1 || calls.Kids[0].attr("id") != m.Calls[tt.node] ||
				calls.Kids[0].text("callCorrelator") != m.Correlator || calls.Kids[0].text("coSpace") != m.CoSpace {
				t.Fatalf("calls on %s: %+v", tt.node, calls)
			}
			d := get(t, s, tt.node, "calls/"+m.Calls[tt.node])
			got := [3]string{d.text("numParticipantsLocal"), d.text("numParticipantsRemote"), d.text("numDistributedInstances")}
			if got != [3]string{tt.local, tt.remote, tt.others} || d.text("numCallLegs") != itoa(tt.legs) {
				t.Errorf("local/remote/others %v numCallLegs %s", got, d.text("numCallLegs"))
			}
			links := 0
			for _, l := range all(t, s, tt.node, "calls/"+m.Calls[tt.node]+"/callLegs") {
				if l.text("call") != m.Calls[tt.node] {
					t.Errorf("leg %s belongs to %s", l.attr("id"), l.text("call"))
				}
				if l.text("subType") != "" {
					t.Errorf("list item %s carries subType %q: real lists do not", l.attr("id"), l.text("subType"))
				}
				if get(t, s, tt.node, "callLegs/"+l.attr("id")).text("subType") == "distributionLink" {
					links++ // only the detail says so
				}
			}
			if links != 2 {
				t.Errorf("%d distribution links, want one per peer instance (2)", links)
			}
		})
	}
	if calls := get(t, s, "cb4", "calls"); len(calls.Kids) != 0 {
		t.Errorf("cb4 hosts nothing but lists %d calls", len(calls.Kids))
	}
	if got := get(t, s, "cb1", "calls?coSpaceFilter="+m.CoSpace); len(got.Kids) != 1 {
		t.Errorf("coSpaceFilter: %d calls", len(got.Kids))
	}
}

func TestNotDistributedOmitsRemoteCounters(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Local", Participants: []ParticipantSpec{{Name: "A", Node: "cb2"}}})
	d := get(t, s, "cb2", "calls/"+m.Calls["cb2"])
	if d.has("numParticipantsRemote") || d.has("numDistributedInstances") || d.text("numParticipantsLocal") != "1" {
		t.Errorf("undistributed call: %v", d.names())
	}
	if d.has("joinAudioMuteOverride") {
		t.Error("joinAudioMuteOverride present while unset")
	}
}

func TestParticipantsAreClusterWide(t *testing.T) {
	s := start(t, Options{Nodes: 3})
	m := spread(t, s)
	owners := map[string]string{} // participant id -> owning node
	for _, l := range m.Legs {
		owners[l.ParticipantID] = l.Node
	}
	bridge := map[string]string{}
	for _, n := range s.Nodes() {
		bridge[n.Name] = n.CallBridgeID
	}
	for _, n := range s.Nodes() {
		for _, path := range []string{"participants", "calls/" + m.Calls[n.Name] + "/participants"} {
			ps := all(t, s, n.Name, path)
			if len(ps) != 4 {
				t.Fatalf("%s %s: %d participants, want 4", n.Name, path, len(ps))
			}
			for _, p := range ps {
				owner := owners[p.attr("id")]
				if p.text("call") != m.Calls[n.Name] {
					t.Errorf("%s: participant call %s, want the local instance", n.Name, p.text("call"))
				}
				local := owner == n.Name
				if local != p.has("numCallLegs") || local == p.has("callBridge") {
					t.Errorf("%s: participant on %s: numCallLegs %v callBridge %v", n.Name, owner, p.has("numCallLegs"), p.has("callBridge"))
				}
				if !local && p.text("callBridge") != bridge[owner] {
					t.Errorf("%s: callBridge %s, want %s", n.Name, p.text("callBridge"), bridge[owner])
				}
			}
		}
		own := all(t, s, n.Name, "participants?callBridgeFilter="+n.CallBridgeID)
		for _, p := range own {
			if p.has("callBridge") {
				t.Errorf("%s: callBridgeFilter=self returned a remote participant", n.Name)
			}
		}
		want := map[string]int{"cb1": 2, "cb2": 1, "cb3": 1}[n.Name]
		if len(own) != want {
			t.Errorf("%s: %d own participants, want %d", n.Name, len(own), want)
		}
	}
}

func TestLegsAreNodeLocal(t *testing.T) {
	s := start(t, Options{Nodes: 3})
	m := spread(t, s)
	var cidLeg LegState
	for _, l := range m.Legs {
		if l.Name == "Cid" {
			cidLeg = l
		}
	}
	for _, n := range []string{"cb1", "cb3"} {
		for _, l := range all(t, s, n, "callLegs") {
			if l.attr("id") == cidLeg.ID {
				t.Errorf("%s lists cb2's leg", n)
			}
		}
		// Another bridge's leg is answered exactly as an id nobody knows: 404 to a GET, 400 to
		// a write, with the same body.
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			r := do(t, s, n, method, "callLegs/"+cidLeg.ID, values("rxAudioMute", "true"))
			unknown := do(t, s, n, method, "callLegs/00000000-0000-0000-0000-000000000000", values("rxAudioMute", "true"))
			want := http.StatusBadRequest
			if method == http.MethodGet {
				want = http.StatusNotFound
			}
			if r.status != want || failureReason(t, r) != "callLegDoesNotExist" || r.status != unknown.status || string(r.body) != string(unknown.body) {
				t.Errorf("%s %s foreign leg: %d %s; unknown id: %d %s", n, method, r.status, r.body, unknown.status, unknown.body)
			}
		}
	}
	if ls, _ := s.Leg(cidLeg.ID); ls.RxAudioMute {
		t.Error("a PUT on a foreign node changed the leg")
	}
	if get(t, s, "cb2", "callLegs/"+cidLeg.ID).text("name") != "Cid" {
		t.Error("owner cannot read its leg")
	}
}

func TestParticipantLegMapping(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Map", Participants: []ParticipantSpec{{Name: "A", Node: "cb1"}, {Name: "B", Node: "cb2"}}})
	a := m.Legs[0]
	for _, path := range []string{"participants/" + a.ParticipantID + "/callLegs", "participant/" + a.ParticipantID + "/callLegs",
		"callLegs?participantFilter=" + a.ParticipantID} {
		legs := get(t, s, "cb1", path)
		if legs.attr("total") != "1" || legs.Kids[0].attr("id") != a.ID {
			t.Errorf("%s: %+v", path, legs)
		}
	}
	// On a non-owner the participant is known but its legs are not enumerable.
	if legs := get(t, s, "cb2", "participants/"+a.ParticipantID+"/callLegs"); legs.attr("total") != "0" {
		t.Errorf("non-owner lists legs: %+v", legs)
	}
	if p := get(t, s, "cb2", "participants/"+a.ParticipantID); p.text("callBridge") != s.Nodes()[0].CallBridgeID || p.has("numCallLegs") {
		t.Errorf("remote participant detail: %+v", p)
	}
}

func TestParticipantCannotBeModifiedOnNonOwner(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Own", Participants: []ParticipantSpec{{Name: "A", Node: "cb1"}, {Name: "B", Node: "cb2"}}})
	pid := m.Legs[0].ParticipantID
	r := do(t, s, "cb2", http.MethodPut, "participants/"+pid, values("importance", "5"))
	if r.status != http.StatusBadRequest || failureReason(t, r) != "participantCannotBeModified" {
		t.Fatalf("PUT on non-owner: %d %s", r.status, r.body)
	}
	r = do(t, s, "cb2", http.MethodDelete, "participants/"+pid, nil)
	if r.status != http.StatusBadRequest || failureReason(t, r) != "participantCannotBeDeleted" {
		t.Fatalf("DELETE on non-owner: %d %s", r.status, r.body)
	}
	if p, _ := s.Participant(pid); p.Importance != nil {
		t.Errorf("importance changed to %d", *p.Importance)
	}
}

func TestLastLocalParticipantTearsDownInstance(t *testing.T) {
	s := start(t, Options{Nodes: 3})
	m := spread(t, s)
	var dee LegState
	for _, l := range m.Legs {
		if l.Node == "cb3" {
			dee = l
		}
	}
	if r := do(t, s, "cb3", http.MethodDelete, "callLegs/"+dee.ID, nil); r.status != http.StatusOK || r.body != "" {
		t.Fatalf("DELETE: %d %q", r.status, r.body)
	}
	if calls := get(t, s, "cb3", "calls"); calls.attr("total") != "0" {
		t.Errorf("cb3 still hosts %s calls", calls.attr("total"))
	}
	if got := get(t, s, "cb3", "system/status").text("callLegsActive"); got != "0" {
		t.Errorf("cb3 callLegsActive %s", got)
	}
	d := get(t, s, "cb1", "calls/"+m.Calls["cb1"])
	if d.text("numDistributedInstances") != "1" || d.text("numParticipantsRemote") != "1" || d.text("numCallLegs") != "3" {
		t.Errorf("cb1 after cb3 left: %v", d)
	}
	if got := get(t, s, "cb2", "participants"); got.attr("total") != "3" {
		t.Errorf("cb2 roster %s, want 3", got.attr("total"))
	}
	info, _ := s.Meeting(m.Correlator)
	if _, ok := info.Calls["cb3"]; ok || len(info.Legs) != 3 {
		t.Errorf("meeting after leave: %+v", info)
	}
	for _, l := range info.Legs {
		s.RemoveLeg(l.ID)
	}
	if _, ok := s.Meeting(m.Correlator); ok {
		t.Error("meeting survives its last participant")
	}
	if got := get(t, s, "cb1", "coSpaces").attr("total"); got != "1" {
		t.Errorf("coSpace (database) should outlive the call: total %s", got)
	}
}
