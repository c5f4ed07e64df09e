package commands

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// Tests of the pipelined presenter mode (cms.Cluster.UpdateMeeting): every request sent once,
// the emulator left in the state the result reports, writes only once decided, a leg's PUT
// only after its own read, and never more than the node cap in flight. They assert counts and
// orders, never time.

const pipeCap = 3 // per-node concurrency cap of these tests

type pipeEnv struct {
	sim        *cmssim.Sim
	stream     *Service
	m          cmssim.MeetingInfo
	op         Actor
	mu         sync.Mutex
	log        []cmssim.RequestInfo
	hold       func(cmssim.RequestInfo) // runs in the emulator before the request is handled
	holdMu     sync.Mutex
	presenter  cmssim.LegState
	otherOnCb1 cmssim.LegState
}

func newPipeEnv(t *testing.T) *pipeEnv {
	t.Helper()
	sim, err := cmssim.Start(cmssim.Options{Nodes: 3, Seed: 7,
		PageCaps: map[string]int{"callLegs": 5, "participants": 5, "calls": 5}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var ns []*cms.Node
	for _, n := range sim.Nodes() {
		node, err := cms.NewNode(cms.NodeConfig{Name: n.Name, BaseURL: n.URL, Username: sim.Username,
			Password: sim.Password, HTTPClient: sim.HTTPClient(), Timeout: 5 * time.Second, MaxConcurrency: pipeCap})
		if err != nil {
			t.Fatal(err)
		}
		ns = append(ns, node)
		sim.SetLatency(n.Name, time.Millisecond)
	}
	c := cms.NewCluster(ns)
	e := &pipeEnv{sim: sim, op: Actor{UserID: "local", Local: true},
		stream: New(Config{Cluster: c, Policy: Policy{}})}
	e.m = sim.AddMeeting(cmssim.MeetingSpec{Name: "All hands", Participants: people([]string{"cb1", "cb2", "cb3"}, 12)})
	e.presenter = legOn(t, e.m, "cb2")
	e.otherOnCb1 = legOn(t, e.m, "cb1")
	sim.OnRequest(func(ri cmssim.RequestInfo) {
		e.mu.Lock()
		e.log = append(e.log, ri)
		e.mu.Unlock()
		e.holdMu.Lock()
		hold := e.hold
		e.holdMu.Unlock()
		if hold != nil {
			hold(ri)
		}
	})
	return e
}

func (e *pipeEnv) run(t *testing.T, svc *Service, text string) *ActionResult {
	t.Helper()
	r, err := svc.Run(context.Background(), e.op, text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return r.(*ActionResult)
}

// measured runs text after setup and returns its result and the requests it sent.
func (e *pipeEnv) measured(t *testing.T, svc *Service, setup, text string) (*ActionResult, []cmssim.RequestInfo) {
	t.Helper()
	e.run(t, e.stream, setup)
	e.take()
	e.sim.ResetCounters()
	r := e.run(t, svc, text)
	return r, e.take()
}

func (e *pipeEnv) take() []cmssim.RequestInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.log
	e.log = nil
	return out
}

func isLegPUT(ri cmssim.RequestInfo) bool {
	return ri.Method == "PUT" && strings.HasPrefix(ri.Path, "/api/v1/callLegs/")
}

func isLegGET(ri cmssim.RequestInfo) bool {
	return ri.Method == "GET" && strings.HasPrefix(ri.Path, "/api/v1/callLegs/")
}

// requestSet counts requests by method and path (ids included), whatever their order.
func requestSet(reqs []cmssim.RequestInfo) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		out[r.Node+" "+r.Method+" "+r.Path+"?"+r.Query.Encode()]++
	}
	return out
}

func TestPresenterSendsEachRequestOnceAndDoesWhatItSays(t *testing.T) {
	e := newPipeEnv(t)
	on, off := "presenter all hands "+e.presenter.ID, "presenter all hands off"
	for _, tt := range []struct {
		name, setup, text string
		on                bool
	}{
		{"on by leg id", off, on, true},
		{"on by name", off, `presenter "all hands" "` + e.presenter.Name + `"`, true},
		{"on again", on, on, true},
		{"off", on, off, false},
		{"off again", off, off, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, reqs := e.measured(t, e.stream, tt.setup, tt.text)
			for _, n := range e.sim.Nodes() {
				if mif := e.sim.MaxInFlight(n.Name); mif > pipeCap {
					t.Errorf("%s: %d requests in flight, cap %d", n.Name, mif, pipeCap)
				}
			}
			for k, n := range requestSet(reqs) {
				if n > 1 {
					t.Errorf("%s sent %d times", k, n)
				}
			}
			if got.Updated != len(e.m.Legs) || len(got.Failed)+len(got.Gone) != 0 {
				t.Errorf("updated %d of %d legs, failed %v, gone %v", got.Updated, len(e.m.Legs), got.Failed, got.Gone)
			}
			for _, l := range e.m.Legs {
				st, _ := e.sim.Leg(l.ID)
				isPres := tt.on && l.ID == e.presenter.ID
				wantLayout := map[bool]string{true: "speakerOnly", false: ""}[tt.on]
				if st.RxAudioMute != (tt.on && !isPres) || st.ChosenLayout != wantLayout {
					t.Errorf("%s: muted %v layout %q after %q", l.Name, st.RxAudioMute, st.ChosenLayout, tt.text)
				}
			}
			if tt.on && (got.LegID != e.presenter.ID || got.Participant != e.presenter.Name) {
				t.Errorf("presenter %s (%s), want %s", got.Participant, got.LegID, e.presenter.Name)
			}
		})
	}
}

// TestPresenterLegPUTFollowsItsRead holds one leg's detail read in the emulator until some
// leg's PUT arrives: only a pipelined presenter sends PUTs while a roster read is still open.
func TestPresenterLegPUTFollowsItsRead(t *testing.T) {
	e := newPipeEnv(t)
	for _, tt := range []struct{ name, setup, text string }{
		{"off", "presenter all hands " + e.presenter.ID, "presenter all hands off"},
		{"on by leg id", "presenter all hands off", "presenter all hands " + e.presenter.ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.run(t, e.stream, tt.setup)
			e.take()
			put := make(chan struct{})
			var once sync.Once
			var sawPUT bool
			e.holdMu.Lock()
			e.hold = func(ri cmssim.RequestInfo) {
				switch {
				case isLegPUT(ri):
					once.Do(func() { close(put) })
				case ri.Method == "GET" && ri.Path == "/api/v1/callLegs/"+e.otherOnCb1.ID:
					select {
					case <-put:
						sawPUT = true
					case <-time.After(5 * time.Second):
					}
				}
			}
			e.holdMu.Unlock()
			r := e.run(t, e.stream, tt.text)
			e.holdMu.Lock()
			e.hold = nil
			e.holdMu.Unlock()
			if !sawPUT {
				t.Errorf("no leg PUT was sent while a leg's read was open: the writes wait for the whole roster")
			}
			if r.Updated != len(e.m.Legs) || len(r.Failed)+len(r.Gone) != 0 {
				t.Errorf("updated %d, failed %v, gone %v", r.Updated, r.Failed, r.Gone)
			}
			assertPUTAfterGET(t, e.take())
		})
	}
}

// assertPUTAfterGET checks that every leg's PUT reached the emulator after that leg's read.
func assertPUTAfterGET(t *testing.T, reqs []cmssim.RequestInfo) {
	t.Helper()
	read := map[string]bool{}
	for _, r := range reqs {
		switch {
		case isLegGET(r):
			read[r.Path] = true
		case isLegPUT(r) && !read[r.Path]:
			t.Errorf("%s PUT before its read", r.Path)
		}
	}
}

func TestPresenterByNameWritesAfterWholeRoster(t *testing.T) {
	e := newPipeEnv(t)
	_, reqs := e.measured(t, e.stream, "presenter all hands off", `presenter "all hands" "`+e.presenter.Name+`"`)
	lastGET, firstWrite := -1, len(reqs)
	for i, r := range reqs {
		if isLegGET(r) && !strings.Contains(r.Path, "participants") {
			lastGET = i
		}
		if r.Method == "PUT" && firstWrite == len(reqs) {
			firstWrite = i
		}
	}
	if lastGET < 0 || firstWrite < lastGET {
		t.Errorf("a write (request %d) before the last leg read (request %d): the presenter was not known yet", firstWrite, lastGET)
	}
}

func TestPresenterRefusedWritesNothing(t *testing.T) {
	e := newPipeEnv(t)
	e.run(t, e.stream, "presenter all hands off")
	for _, text := range []string{
		"presenter all hands person",                               // ambiguous: every leg
		"presenter all hands 00000000-0000-0000-0000-000000000000", // no such leg
		"presenter nosuchmeeting off",
	} {
		e.take()
		_, err := e.stream.Run(context.Background(), e.op, text)
		var re *RefError
		if !errors.As(err, &re) {
			t.Errorf("%s: err %v, want a *RefError", text, err)
		}
		for _, r := range e.take() {
			if r.Method != "GET" {
				t.Errorf("%s: refused, yet sent %s %s", text, r.Method, r.Path)
			}
		}
	}
}
