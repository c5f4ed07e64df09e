package cmssim

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func rawGet(ctx context.Context, s *Sim, node, path string) (*http.Response, error) {
	var url string
	for _, n := range s.Nodes() {
		if n.Name == node {
			url = n.URL + "/api/v1/" + path
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(s.Username, s.Password)
	resp, err := s.HTTPClient().Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestLatency(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	const d = 40 * time.Millisecond
	s.SetLatency("cb1", d)
	begin := time.Now()
	get(t, s, "cb1", "calls")
	if took := time.Since(begin); took < d {
		t.Errorf("request took %v, latency %v", took, d)
	}

	s.SetLatency("cb1", time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := rawGet(ctx, s, "cb1", "calls"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow node: err %v, want deadline exceeded", err)
	}
	get(t, s, "cb2", "calls") // other nodes are unaffected
	s.SetLatency("cb1", 0)
	get(t, s, "cb1", "calls")
}

func TestCloseDoesNotWaitForLatency(t *testing.T) {
	s, err := Start(Options{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.SetLatency("cb1", time.Hour)
	go func() { _, _ = rawGet(context.Background(), s, "cb1", "calls") }()
	waitFor(t, "the request to arrive", func() bool { return s.Requests("cb1") == 1 })
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs on a request held by latency")
	}
}

func TestSetDown(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	get(t, s, "cb1", "calls") // leaves a keep-alive connection in the client's pool
	s.SetDown("cb1", true)
	for range 2 {
		if resp, err := rawGet(t.Context(), s, "cb1", "calls"); err == nil {
			t.Fatalf("down node answered %d", resp.StatusCode)
		}
	}
	get(t, s, "cb2", "calls")
	s.SetDown("cb1", false)
	get(t, s, "cb1", "calls")
}

func TestFail503(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	s.Fail503("cb2", 2)
	var got []int
	for range 3 {
		got = append(got, do(t, s, "cb2", http.MethodGet, "calls", nil).status)
	}
	if want := []int{503, 503, 200}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if r := do(t, s, "cb1", http.MethodGet, "calls", nil); r.status != http.StatusOK {
		t.Errorf("cb1: %d", r.status)
	}
}

func TestMalformed(t *testing.T) {
	s := start(t, Options{Nodes: 1, Scenario: ScenarioDemo})
	s.SetMalformed("cb1", true)
	r := do(t, s, "cb1", http.MethodGet, "calls", nil)
	var v struct{}
	if r.status != http.StatusOK || xml.Unmarshal([]byte(r.body), &v) == nil {
		t.Fatalf("want 200 with broken XML, got %d %q", r.status, r.body)
	}
	s.SetMalformed("cb1", false)
	get(t, s, "cb1", "calls")
}

func TestAuthFailure(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	s.SetAuthFailure("cb2", true)
	r := do(t, s, "cb2", http.MethodGet, "calls", nil)
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != `Basic realm="acano"` || r.body != "" {
		t.Fatalf("%d %v %q", r.status, r.header, r.body)
	}
	get(t, s, "cb1", "calls")
	s.SetAuthFailure("cb2", false)
	get(t, s, "cb2", "calls")
}

func TestOnRequestRemovesLegMidway(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	m := s.AddMeeting(MeetingSpec{Name: "Hook", Participants: []ParticipantSpec{{Name: "A", Node: "cb2"}, {Name: "B", Node: "cb2"}}})
	target := m.Legs[0].ID
	var seen []RequestInfo
	var mu sync.Mutex
	s.OnRequest(func(ri RequestInfo) {
		mu.Lock()
		seen = append(seen, ri)
		mu.Unlock()
		if ri.Method == http.MethodPut && strings.HasSuffix(ri.Path, target) {
			s.RemoveLeg(target) // the participant hangs up while the request is in flight
		}
	})
	r := do(t, s, "cb2", http.MethodPut, "callLegs/"+target+"?x=1", values("rxAudioMute", "true"))
	if r.status != http.StatusBadRequest || failureReason(t, r) != "callLegDoesNotExist" {
		t.Fatalf("PUT after the hook removed the leg: %d %s", r.status, r.body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0].Node != "cb2" || seen[0].Path != "/api/v1/callLegs/"+target || seen[0].Query.Get("x") != "1" {
		t.Errorf("hook saw %+v", seen)
	}
	s.OnRequest(nil)
}

func TestCountersAndMaxInFlight(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	const n = 5
	var mu sync.Mutex
	arrived := 0
	release := make(chan struct{})
	s.OnRequest(func(RequestInfo) {
		mu.Lock()
		arrived++
		if arrived == n {
			close(release) // all n are in flight at once now
		}
		mu.Unlock()
		select { // bounded, so a failing test cannot hang Close
		case <-release:
		case <-time.After(5 * time.Second):
		}
	})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { _, _ = rawGet(t.Context(), s, "cb1", "calls") })
	}
	wg.Wait()
	if got := s.MaxInFlight("cb1"); got != n {
		t.Errorf("MaxInFlight %d, want %d", got, n)
	}
	if got := s.Requests("cb1"); got != n {
		t.Errorf("Requests %d, want %d", got, n)
	}
	if s.Requests("cb2") != 0 || s.MaxInFlight("cb2") != 0 {
		t.Error("cb2 counted requests it never got")
	}
	s.OnRequest(nil)
	s.ResetCounters()
	if s.Requests("cb1") != 0 || s.MaxInFlight("cb1") != 0 {
		t.Errorf("after reset: %d %d", s.Requests("cb1"), s.MaxInFlight("cb1"))
	}
	get(t, s, "cb1", "calls")
	if s.Requests("cb1") != 1 || s.MaxInFlight("cb1") != 1 {
		t.Errorf("after one request: %d %d", s.Requests("cb1"), s.MaxInFlight("cb1"))
	}
	if s.Requests("nope") != 0 { // unknown names are harmless
		t.Error("unknown node has requests")
	}
}
