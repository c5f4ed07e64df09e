package cmssim

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDemoScenario(t *testing.T) {
	for _, nodes := range []int{1, 3, 5} {
		t.Run(strconv.Itoa(nodes), func(t *testing.T) {
			s := start(t, Options{Nodes: nodes, Scenario: ScenarioDemo, Seed: 7})
			ms := s.Meetings()
			if len(ms) != len(demoMeetings) {
				t.Fatalf("%d meetings", len(ms))
			}
			spread, overAll := 0, 0
			for _, m := range ms {
				if n := len(m.Legs); n < 2 || n > 40 {
					t.Errorf("%s: %d participants", m.Name, n)
				}
				if len(m.Calls) > 1 {
					spread++
				}
				if len(m.Calls) == nodes {
					overAll++
				}
			}
			if nodes > 1 && (spread < 2 || overAll < 1) {
				t.Errorf("%d meetings over several nodes, %d over all", spread, overAll)
			}
			// Every node's view adds up to the cluster's.
			legs := 0
			for _, n := range s.Nodes() {
				legs += len(all(t, s, n.Name, "participants?callBridgeFilter="+n.CallBridgeID))
			}
			want := 0
			for _, m := range ms {
				want += len(m.Legs)
			}
			if legs != want {
				t.Errorf("participants owned per node sum to %d, want %d", legs, want)
			}
		})
	}
}

// TestDemoVariety reads every participant leg over HTTP and checks the demo has what the bot's
// reports need: codecs, muted legs, layouts, bad links, all address kinds.
func TestDemoVariety(t *testing.T) {
	s := start(t, Options{Scenario: ScenarioDemo, Seed: 1})
	seen := map[string]int{}
	for _, m := range s.Meetings() {
		for _, l := range m.Legs {
			e := get(t, s, l.Node, "callLegs/"+l.ID)
			seen["audio:"+e.text("status/rxAudio/codec")]++
			if v := e.text("status/rxVideo/codec"); v != "" {
				seen["video:"+v]++
				seen["res:"+e.text("status/rxVideo/height")]++
				checkRange(t, "frameRate", e.text("status/rxVideo/frameRate"), 1, 30)
				checkRange(t, "video bitRate", e.text("status/rxVideo/bitRate"), 10_000, 8_000_000)
			} else {
				seen["audio-only"]++
			}
			checkRange(t, "packetLoss", e.text("status/rxAudio/packetLossPercentage"), 0, 20)
			checkRange(t, "jitter", e.text("status/rxAudio/jitter"), 0, 200)
			checkRange(t, "rtt", e.text("status/txAudio/roundTripTime"), 0, 500)
			if num(t, e.text("status/rxAudio/packetLossPercentage")) > 3 {
				seen["loss>3"]++
			}
			if num(t, e.text("status/rxAudio/jitter")) > 40 {
				seen["jitter>40"]++
			}
			if e.has("alarms") {
				seen["alarms"]++
			}
			for _, f := range []string{"rxAudioMute", "rxVideoMute", "txAudioMute"} {
				if e.text("configuration/"+f) == "true" {
					seen[f]++
				}
			}
			if e.text("configuration/chosenLayout") != "" {
				seen["chosenLayout"]++
			}
			switch r := e.text("remoteParty"); {
			case strings.HasPrefix(r, "+"):
				seen["e164"]++
			case strings.HasPrefix(r, "sip:"):
				seen["sip"]++
			case strings.Contains(r, "@"):
				seen["user@domain"]++
			}
			if !strings.Contains(l.Name, " ") {
				t.Errorf("unrealistic name %q", l.Name)
			}
		}
	}
	for _, key := range []string{"audio:opus", "audio:g722", "audio:aac", "video:h264", "video:vp8", "res:1080", "res:720",
		"audio-only", "loss>3", "jitter>40", "alarms", "rxAudioMute", "rxVideoMute", "chosenLayout", "e164", "sip", "user@domain"} {
		if seen[key] == 0 {
			t.Errorf("demo has no %s (seen %v)", key, seen)
		}
	}
	if seen["loss>3"] > 15 || seen["jitter>40"] > 15 {
		t.Errorf("too many bad legs for a demo: %v", seen)
	}
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

func checkRange(t *testing.T, what, s string, lo, hi float64) {
	t.Helper()
	if f := num(t, s); f < lo || f > hi {
		t.Errorf("%s = %v outside [%v, %v]", what, f, lo, hi)
	}
}

func TestDemoIsDeterministic(t *testing.T) {
	clock := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	a := start(t, Options{Scenario: ScenarioDemo, Seed: 42, Now: clock})
	b := start(t, Options{Scenario: ScenarioDemo, Seed: 42, Now: clock})
	c := start(t, Options{Scenario: ScenarioDemo, Seed: 43, Now: clock})
	ma, mb, mc := a.Meetings(), b.Meetings(), c.Meetings()
	for i := range ma {
		if ma[i].Correlator != mb[i].Correlator || ma[i].Legs[0].Name != mb[i].Legs[0].Name || len(ma[i].Legs) != len(mb[i].Legs) {
			t.Fatalf("same seed, different meeting %d", i)
		}
	}
	if ma[0].Correlator == mc[0].Correlator {
		t.Error("different seeds, same ids")
	}
	id := ma[1].Legs[0]
	if x, y := get(t, a, id.Node, "callLegs/"+id.ID), get(t, b, id.Node, "callLegs/"+id.ID); x.text("status/rxAudio/bitRate") != y.text("status/rxAudio/bitRate") {
		t.Error("same seed and clock, different stats")
	}
}

func TestStatsDrift(t *testing.T) {
	var now atomic.Int64
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now.Store(base.UnixNano())
	s := start(t, Options{Nodes: 1, Now: func() time.Time { return time.Unix(0, now.Load()) }})
	m := s.AddMeeting(MeetingSpec{Name: "Drift", Participants: []ParticipantSpec{
		{Name: "Lossy", Media: Media{PacketLoss: 5, Jitter: 60, VideoCodec: "h264", Width: 1280, Height: 720, FrameRate: 30}},
	}})
	path := "callLegs/" + m.Legs[0].ID
	values := map[string]bool{}
	for step := range 12 {
		now.Store(base.Add(time.Duration(step) * 20 * time.Second).UnixNano())
		e := get(t, s, "cb1", path)
		values[e.text("status/rxVideo/bitRate")] = true
		checkRange(t, "loss", e.text("status/rxAudio/packetLossPercentage"), 3.01, 6)
		checkRange(t, "jitter", e.text("status/rxAudio/jitter"), 41, 70)
		checkRange(t, "frameRate", e.text("status/rxVideo/frameRate"), 25, 30)
		if e.text("status/durationSeconds") != strconv.Itoa(step*20) {
			t.Errorf("duration %s at step %d", e.text("status/durationSeconds"), step)
		}
		list := get(t, s, "cb1", "callLegs?alarms=packetLoss")
		if list.attr("total") != "1" || !list.Kids[0].has("alarms/packetLoss") || !list.Kids[0].has("alarms/excessiveJitter") {
			t.Errorf("alarms at step %d: %+v", step, list)
		}
	}
	if len(values) < 6 {
		t.Errorf("stats look frozen: %d distinct bit rates in 12 samples", len(values))
	}
}

func TestScaleScenario(t *testing.T) {
	begin := time.Now()
	s := start(t, Options{Scenario: ScenarioScale, Scale: Scale{Nodes: 24, Meetings: 500, Legs: 5000}})
	t.Logf("24 nodes × 500 meetings × 5000 legs started in %v", time.Since(begin))
	if len(s.Nodes()) != 24 {
		t.Fatalf("%d nodes", len(s.Nodes()))
	}
	meetings, calls, legs := s.Counts()
	if meetings != 500 || calls < 500 || legs < 5000 {
		t.Fatalf("counts %d meetings %d calls %d legs", meetings, calls, legs)
	}
	total := 0
	for _, m := range s.Meetings() {
		total += len(m.Legs)
	}
	if total != 5000 {
		t.Errorf("%d participant legs, want 5000", total)
	}
	sum := 0
	for _, n := range s.Nodes() {
		sum += atoi(t, get(t, s, n.Name, "calls").attr("total"))
	}
	if sum != calls {
		t.Errorf("nodes list %d calls, emulator has %d", sum, calls)
	}
	if got := get(t, s, "cb24", "callBridges").attr("total"); got != "24" {
		t.Errorf("callBridges total %s", got)
	}
}

func BenchmarkScaleStart(b *testing.B) {
	for b.Loop() {
		s, err := Start(Options{Scenario: ScenarioScale, Scale: Scale{Nodes: 24, Meetings: 500, Legs: 5000}})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"negative nodes", Options{Nodes: -1}},
		{"too many nodes", Options{Nodes: MaxNodes + 1}},
		{"bad scenario", Options{Scenario: "busy"}},
		{"port range", Options{Nodes: 3, BasePort: 65534}},
		{"scale too big", Options{Scenario: ScenarioScale, Scale: Scale{Meetings: 1, Legs: maxScaleLegs + 1}}},
		{"legs without meetings", Options{Scenario: ScenarioScale, Scale: Scale{Legs: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := Start(tt.opts); err == nil {
				s.Close()
				t.Fatal("Start accepted bad options")
			}
		})
	}
	s := start(t, Options{})
	if len(s.Nodes()) != 3 || s.Username != DefaultUsername || s.Password != DefaultPassword {
		t.Errorf("defaults: %d nodes, %q", len(s.Nodes()), s.Username)
	}
}

func TestBasePort(t *testing.T) {
	// Find two free consecutive ports; another process may grab them between the probe and
	// Start, so try a few times before giving up.
	for attempt := 0; attempt < 5; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port >= 65535 {
			continue
		}
		s, err := Start(Options{Nodes: 2, BasePort: port, Username: "u", Password: "p"})
		if err != nil {
			continue
		}
		defer s.Close()
		for i, n := range s.Nodes() {
			if want := "http://127.0.0.1:" + strconv.Itoa(port+i); n.URL != want {
				t.Errorf("%s at %s, want %s", n.Name, n.URL, want)
			}
		}
		if r := doAuth(t, s, "cb2", http.MethodGet, "calls", nil, "u", "p"); r.status != http.StatusOK {
			t.Errorf("custom credentials: %d", r.status)
		}
		return
	}
	t.Skip("no two consecutive free ports found")
}

func TestTLS(t *testing.T) {
	s := start(t, Options{Nodes: 2, TLS: true, Scenario: ScenarioDemo})
	for _, n := range s.Nodes() {
		if !strings.HasPrefix(n.URL, "https://127.0.0.1:") {
			t.Fatalf("URL %s", n.URL)
		}
		get(t, s, n.Name, "system/status")
		if addr := get(t, s, "cb1", "callBridges/"+n.CallBridgeID).text("address"); addr != n.URL {
			t.Errorf("address %s, want %s", addr, n.URL)
		}
	}
	// A client that does not trust the generated certificate must fail verification.
	plain := &http.Client{Transport: &http.Transport{}}
	defer plain.CloseIdleConnections()
	_, err := plain.Get(s.Nodes()[0].URL + "/api/v1/calls")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("untrusting client: err %v, want an unknown-authority error", err)
	}
	block, _ := pem.Decode(s.CertPEM())
	if block == nil {
		t.Fatal("CertPEM is not PEM")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		t.Errorf("CertPEM: %v", err)
	}
	if start(t, Options{Nodes: 1}).CertPEM() != nil {
		t.Error("CertPEM without TLS")
	}
}
