package cmssim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	tests := []struct {
		name       string
		user, pass string
		want       int
	}{
		{"no credentials", "", "", http.StatusUnauthorized},
		{"wrong password", s.Username, "nope", http.StatusUnauthorized},
		{"wrong user", "bob", s.Password, http.StatusUnauthorized},
		{"right", s.Username, s.Password, http.StatusOK},
	}
	for _, tt := range tests {
		for _, path := range []string{"calls", "system/status", "no/such/thing"} {
			t.Run(tt.name+"/"+path, func(t *testing.T) {
				r := doAuth(t, s, "cb2", http.MethodGet, path, nil, tt.user, tt.pass)
				want := tt.want
				if want == http.StatusOK && path == "no/such/thing" {
					want = http.StatusNotFound
				}
				if r.status != want {
					t.Fatalf("status %d, want %d", r.status, want)
				}
				if want != http.StatusUnauthorized {
					return
				}
				if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="acano"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
				if r.body != "" {
					t.Errorf("401 body %q, want empty", r.body)
				}
			})
		}
	}
}

func TestPathsAreCaseInsensitive(t *testing.T) {
	s := start(t, Options{Nodes: 2, Scenario: ScenarioDemo})
	m := s.Meetings()[0]
	callID := m.Calls["cb1"]
	for _, path := range []string{
		"calls", "CALLS", "Calls/" + callID, "calls/" + callID + "/calllegs", "calls/" + callID + "/CallLegs",
		"calllegs", "CALLLEGS", "participants", "PARTICIPANTS", "system/STATUS", "System/Configuration/Cluster",
		"callbridges", "CALLBRIDGES", "cospaces", "coSpaces/" + m.CoSpace, "callLegs/",
	} {
		t.Run(path, func(t *testing.T) {
			r := do(t, s, "cb1", http.MethodGet, path, nil)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "text/xml" {
				t.Errorf("Content-Type %q", ct)
			}
			decode(t, r.body)
		})
	}
	t.Run("POST lowercase calllegs", func(t *testing.T) {
		r := do(t, s, "cb1", http.MethodPost, "calls/"+callID+"/calllegs", values("remoteParty", "desk.ex90@example.com"))
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Location"), "/api/v1/callLegs/") {
			t.Fatalf("status %d, Location %q", r.status, r.header.Get("Location"))
		}
	})
}

func TestUnknownPathsAndMethods(t *testing.T) {
	s := start(t, Options{Nodes: 1, Scenario: ScenarioDemo})
	tests := []struct {
		method, path string
		status       int
		reason       string
	}{
		{http.MethodGet, "system/profile", http.StatusNotFound, "unrecognizedObject"},
		{http.MethodGet, "calls/x/y/z", http.StatusNotFound, "unrecognizedObject"},
		{http.MethodGet, "", http.StatusNotFound, "unrecognizedObject"},
		{http.MethodDelete, "system/status", http.StatusMethodNotAllowed, "invalidOperation"},
		{http.MethodPost, "callBridges", http.StatusMethodNotAllowed, "invalidOperation"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := do(t, s, "cb1", tt.method, tt.path, nil)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d", r.status, tt.status)
			}
			if got := failureReason(t, r); got != tt.reason {
				t.Errorf("reason %s, want %s", got, tt.reason)
			}
		})
	}
}

func TestGetMissingObjects(t *testing.T) {
	const bad = "00000000-0000-4000-8000-000000000000"
	for _, status := range []int{0, http.StatusBadRequest} {
		s := start(t, Options{Nodes: 2, GetMissingStatus: status})
		want := status
		if want == 0 {
			want = http.StatusNotFound
		}
		for path, reason := range map[string]string{
			"calls/" + bad: "callDoesNotExist", "calls/" + bad + "/callLegs": "callDoesNotExist",
			"calls/" + bad + "/participants": "callDoesNotExist", "callLegs/" + bad: "callLegDoesNotExist",
			"participants/" + bad: participantDoesNotExist, "participants/" + bad + "/callLegs": participantDoesNotExist,
			"coSpaces/" + bad: "coSpaceDoesNotExist", "callBridges/" + bad: "callBridgeDoesNotExist",
		} {
			t.Run(fmt.Sprint(status, path), func(t *testing.T) {
				r := do(t, s, "cb1", http.MethodGet, path, nil)
				if r.status != want {
					t.Fatalf("status %d, want %d", r.status, want)
				}
				if got := failureReason(t, r); got != reason {
					t.Errorf("reason %s, want %s", got, reason)
				}
				if !strings.Contains(r.body, "<"+reason+" />") {
					t.Errorf("want the self-closing CMS form, got %s", r.body)
				}
			})
		}
	}
}

func TestEmptyLists(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	for _, name := range []string{"calls", "callLegs", "participants", "coSpaces"} {
		r := do(t, s, "cb1", http.MethodGet, name, nil)
		want := `<?xml version="1.0"?>` + "\n" + `<` + name + ` total="0"></` + name + `>`
		if r.status != http.StatusOK || r.body != want {
			t.Errorf("%s: %d %q, want %q", name, r.status, r.body, want)
		}
	}
}

func TestPaging(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	for i := range 25 {
		s.AddMeeting(MeetingSpec{Name: fmt.Sprintf("M%02d", i), Participants: []ParticipantSpec{{Name: "A"}}})
	}
	tests := []struct {
		path      string
		wantItems int
		wantTotal int
		firstName string
	}{
		{"calls", 10, 25, "M00"},
		{"calls?limit=3", 3, 25, "M00"},
		{"calls?limit=50", 10, 25, "M00"},
		{"calls?offset=20&limit=10", 5, 25, "M20"},
		{"calls?offset=24", 1, 25, "M24"},
		{"calls?offset=25", 0, 25, ""},
		{"calls?offset=99", 0, 25, ""},
		{"coSpaces", 20, 25, "M00"},
		{"coSpaces?offset=20", 5, 25, "M20"},
		{"participants", 10, 25, "A"},
		{"callLegs?offset=10&limit=4", 4, 25, "A"},
		{"calls?filter=m1", 10, 10, "M10"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			page := get(t, s, "cb1", tt.path)
			if len(page.Kids) != tt.wantItems || page.attr("total") != itoa(tt.wantTotal) {
				t.Fatalf("%d items total %s, want %d total %d", len(page.Kids), page.attr("total"), tt.wantItems, tt.wantTotal)
			}
			if tt.firstName != "" && page.Kids[0].text("name") != tt.firstName {
				t.Errorf("first %q, want %q", page.Kids[0].text("name"), tt.firstName)
			}
		})
	}
	for _, path := range []string{"calls?limit=0", "calls?limit=x", "calls?offset=-1"} {
		r := do(t, s, "cb1", http.MethodGet, path, nil)
		if r.status != http.StatusBadRequest || failureReason(t, r) != "parameterError" {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	if got := len(all(t, s, "cb1", "calls")); got != 25 {
		t.Errorf("paging through calls gave %d", got)
	}
}

func TestPageCapsOption(t *testing.T) {
	s := start(t, Options{Nodes: 4, PageCaps: map[string]int{"callBridges": 3, "calls": 2}})
	for i := range 5 {
		s.AddMeeting(MeetingSpec{Name: fmt.Sprint(i), Participants: []ParticipantSpec{{Name: "A"}}})
	}
	if page := get(t, s, "cb1", "callBridges"); len(page.Kids) != 3 || page.attr("total") != "4" {
		t.Errorf("callBridges page %d/%s", len(page.Kids), page.attr("total"))
	}
	if page := get(t, s, "cb1", "calls"); len(page.Kids) != 2 || page.attr("total") != "5" {
		t.Errorf("calls page %d/%s", len(page.Kids), page.attr("total"))
	}
	if got := len(all(t, s, "cb1", "callBridges")); got != 4 {
		t.Errorf("all callBridges: %d", got)
	}
}

// TestShapes checks element names and order against the cms-api.md samples.
func TestShapes(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	yes := true
	m := s.AddMeeting(MeetingSpec{Name: "Dev Space", Owner: "Bjarne Stroustrup", JoinAudioMuteOverride: &yes,
		Participants: []ParticipantSpec{
			{Name: "Bjarne Stroustrup", URI: "bjarne@ciscolabs.com", Node: "cb1", ChosenLayout: "allEqual",
				Media: Media{AudioCodec: "opus", VideoCodec: "h264", Width: 1280, Height: 720, FrameRate: 30}},
			{Name: "Ken Thompson", URI: "ken@ciscolabs.com", Node: "cb2"},
		}})
	leg := m.Legs[0]
	tests := []struct {
		path string
		root string
		want []string // child element names in order
	}{
		{"calls", "calls", []string{"call"}},
		{"calls/" + m.Calls["cb1"], "call", []string{"name", "callType", "coSpace", "ownerName", "callCorrelator",
			"durationSeconds", "numCallLegs", "maxCallLegs", "numParticipantsLocal", "numParticipantsRemote",
			"numDistributedInstances", "locked", "recording", "streaming", "allowAllMuteSelf",
			"allowAllPresentationContribution", "joinAudioMuteOverride", "messagePosition", "messageDuration",
			"activeWhenEmpty", "endpointRecording"}},
		{"callLegs/" + leg.ID, "callLeg", []string{"name", "remoteParty", "originalRemoteParty", "call", "type",
			"direction", "canMove", "configuration", "status"}},
		{"participants/" + leg.ParticipantID, "participant", []string{"call", "numCallLegs", "name", "uri",
			"originalUri", "isActivator", "canMove", "configuration", "status"}},
		{"system/status", "status", []string{"hostId", "softwareVersion", "uptimeSeconds", "cdrTime", "activated",
			"clusterEnabled", "callLegsActive", "callLegsMaxActive", "callLegsCompleted", "audioBitRateOutgoing",
			"audioBitRateIncoming", "videoBitRateOutgoing", "videoBitRateIncoming"}},
		{"system/configuration/cluster", "cluster", []string{"uniqueName", "peerLinkBitRate", "maxPeerVideoStreams",
			"participantLimit", "loadLimit", "newConferenceLoadLimitBasisPoints", "existingConferenceLoadLimitBasisPoints"}},
		{"callBridges", "callBridges", []string{"callBridge", "callBridge"}},
		{"callBridges/" + s.Nodes()[1].CallBridgeID, "callBridge", []string{"name", "address", "sipDomain"}},
		{"coSpaces/" + m.CoSpace, "coSpace", []string{"name", "autoGenerated", "uri", "callId"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			e := get(t, s, "cb1", tt.path)
			if e.XMLName.Local != tt.root {
				t.Fatalf("root %s, want %s", e.XMLName.Local, tt.root)
			}
			if got := e.names(); !slices.Equal(got, tt.want) {
				t.Errorf("children\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestCallLegDetail(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	m := s.AddMeeting(MeetingSpec{Name: "Detail", Participants: []ParticipantSpec{
		{Name: "Video", URI: "video@example.com", ChosenLayout: "speakerOnly", RxAudioMute: true,
			Media: Media{AudioCodec: "g722", VideoCodec: "vp8", Width: 1920, Height: 1080, FrameRate: 30}},
		{Name: "Phone", URI: "+14155550100@gw.example.com", Media: Media{AudioOnly: true, AudioCodec: "g711u"}},
	}})
	e := get(t, s, "cb1", "callLegs/"+m.Legs[0].ID)
	for path, want := range map[string]string{
		"name": "Video", "remoteParty": "video@example.com", "call": m.Calls["cb1"], "type": "sip",
		"direction": "incoming", "configuration/chosenLayout": "speakerOnly", "configuration/rxAudioMute": "true",
		"status/state": "connected", "status/encryptedMedia": "true", "status/layout": "speakerOnly",
		"status/groupId": m.Legs[0].ParticipantID, "status/rxAudio/codec": "g722", "status/rxVideo/codec": "vp8",
		"status/rxVideo/width": "1920", "status/rxVideo/height": "1080", "status/txVideo/codec": "vp8",
	} {
		if got := e.text(path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	for _, path := range []string{"configuration/txAudioMute", "subType", "status/rxAudio/roundTripTime",
		"status/rxVideo/roundTripTime"} {
		if e.has(path) {
			t.Errorf("%s present, want it omitted", path)
		}
	}
	for _, path := range []string{"status/cipherSuite", "status/durationSeconds", "status/txAudio/roundTripTime",
		"status/txVideo/roundTripTime", "status/rxVideo/frameRate", "status/rxVideo/packetLossPercentage",
		"status/rxVideo/jitter", "status/rxVideo/bitRate", "status/txAudio/packetLossPercentage"} {
		if e.text(path) == "" {
			t.Errorf("%s missing", path)
		}
	}
	if rx, _ := e.child("status"); !hasRole(rx, "rxVideo", "main") || !hasRole(rx, "txVideo", "main") {
		t.Errorf("video streams need role=main: %v", rx.names())
	}
	phone := get(t, s, "cb1", "callLegs/"+m.Legs[1].ID)
	if phone.has("status/rxVideo") || phone.text("status/rxAudio/codec") != "g711u" {
		t.Errorf("audio-only leg: %v", phone)
	}
}

func hasRole(status elem, name, role string) bool {
	v, ok := status.child(name)
	return ok && v.attr("role") == role
}

func TestSystemStatusAndDiscovery(t *testing.T) {
	s := start(t, Options{Nodes: 3})
	s.AddMeeting(MeetingSpec{Name: "x", Participants: []ParticipantSpec{{Name: "a", Node: "cb2"}, {Name: "b", Node: "cb2"}}})
	for _, n := range s.Nodes() {
		st := get(t, s, n.Name, "system/status")
		want := map[string]string{"cb1": "0", "cb2": "2", "cb3": "0"}[n.Name]
		if st.text("callLegsActive") != want || st.text("clusterEnabled") != "true" {
			t.Errorf("%s: callLegsActive %s clusterEnabled %s", n.Name, st.text("callLegsActive"), st.text("clusterEnabled"))
		}
		if got := get(t, s, n.Name, "system/configuration/cluster").text("uniqueName"); got != n.Name {
			t.Errorf("%s: uniqueName %q", n.Name, got)
		}
		bridges := get(t, s, n.Name, "callBridges")
		for i, b := range bridges.Kids {
			peer := s.Nodes()[i]
			if b.attr("id") != peer.CallBridgeID || b.text("name") != peer.Name || b.has("address") {
				t.Errorf("%s lists %v", n.Name, b)
			}
			if addr := get(t, s, n.Name, "callBridges/"+b.attr("id")).text("address"); addr != peer.URL {
				t.Errorf("%s: address of %s = %q, want %q", n.Name, peer.Name, addr, peer.URL)
			}
		}
	}
	single := start(t, Options{Nodes: 1})
	if got := get(t, single, "cb1", "system/status").text("clusterEnabled"); got != "false" {
		t.Errorf("one node: clusterEnabled %s", got)
	}
}
