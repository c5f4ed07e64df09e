package cms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// waitFor polls cond until it holds or the deadline passes; it never asserts on elapsed time.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (g *coalescer) waiters(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.flights[key]; ok {
		return f.waiters
	}
	return 0
}

func TestCoalescerSharesOneFlight(t *testing.T) {
	var g coalescer
	var runs atomic.Int32
	release := make(chan struct{})
	fn := func(ctx context.Context) any {
		runs.Add(1)
		<-release
		return "result"
	}
	const callers = 20
	got := make([]any, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			v, err := g.do(t.Context(), "k", fn)
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			got[i] = v
		})
	}
	waitUntil(t, "every caller to join", func() bool { return g.waiters("k") == callers })
	close(release)
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Errorf("fn ran %d times, want 1", n)
	}
	for i, v := range got {
		if v != "result" {
			t.Errorf("caller %d got %v, want result", i, v)
		}
	}
	// Nothing is cached: the next call runs fn again.
	v, err := g.do(t.Context(), "k", func(context.Context) any { runs.Add(1); return "again" })
	if err != nil || v != "again" || runs.Load() != 2 {
		t.Errorf("after the flight: got %v, %v, runs %d; want again, nil, 2", v, err, runs.Load())
	}
}

func TestCoalescerCancellation(t *testing.T) {
	var g coalescer
	release := make(chan struct{})
	workCtx := make(chan context.Context, 1)
	fn := func(ctx context.Context) any {
		workCtx <- ctx
		select {
		case <-release:
			return "done"
		case <-ctx.Done():
			return "cancelled"
		}
	}
	impatient, cancelImpatient := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { _, err := g.do(impatient, "k", fn); errc <- err }()
	wctx := <-workCtx
	resc := make(chan any, 1)
	go func() { v, _ := g.do(t.Context(), "k", fn); resc <- v }()
	waitUntil(t, "two waiters", func() bool { return g.waiters("k") == 2 })

	cancelImpatient()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("impatient caller: err %v, want context.Canceled", err)
	}
	if wctx.Err() != nil {
		t.Fatal("the shared work was cancelled while a caller still waits")
	}
	close(release)
	if v := <-resc; v != "done" {
		t.Errorf("patient caller got %v, want done", v)
	}

	// The last waiter leaving cancels the work.
	last, cancelLast := context.WithCancel(t.Context())
	go func() { _, err := g.do(last, "k2", fn); errc <- err }()
	wctx = <-workCtx
	cancelLast()
	<-errc
	waitUntil(t, "the abandoned work to be cancelled", func() bool { return wctx.Err() != nil })
}

func TestMergeMeetings(t *testing.T) {
	nodes := []*Node{{cfg: NodeConfig{Name: "cb1"}}, {cfg: NodeConfig{Name: "cb2"}}, {cfg: NodeConfig{Name: "cb3"}}}
	call := func(id, corr, name string, local, dur int) CallDetail {
		return CallDetail{Call: Call{ID: id, CallCorrelator: corr, Name: name}, NumParticipantsLocal: local, DurationSeconds: dur}
	}
	res := []nodeResult[CallDetail]{
		{items: []CallDetail{call("a1", "corr-z", "Zeta", 3, 100), call("a2", "", "adhoc", 2, 5)}},
		{err: errors.New("down")},
		{items: []CallDetail{call("c1", "corr-z", "", 4, 300), call("c2", "corr-b", "beta", 1, 7)}},
	}
	got := mergeMeetings(nodes, res)
	want := []struct {
		corr, name string
		nodes      []string
		parts, dur int
	}{
		{"a2", "adhoc", []string{"cb1"}, 2, 5},
		{"corr-b", "beta", []string{"cb3"}, 1, 7},
		{"corr-z", "Zeta", []string{"cb1", "cb3"}, 7, 300},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d meetings, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		m := got[i]
		if m.Correlator != w.corr || m.Name != w.name || m.Participants != w.parts ||
			m.DurationSeconds != w.dur || !slices.Equal(m.NodeNames(), w.nodes) {
			t.Errorf("meeting %d = %s %q %v parts %d dur %d; want %+v",
				i, m.Correlator, m.Name, m.NodeNames(), m.Participants, m.DurationSeconds, w)
		}
	}
	if f := failedNodes(nodes, res); len(f) != 1 || f[0].Node != "cb2" {
		t.Errorf("failed = %v, want cb2 only", f)
	}
}

func TestUnknownNode(t *testing.T) {
	c := NewCluster([]*Node{{cfg: NodeConfig{Name: "cb1"}}})
	ctx := t.Context()
	actions := map[string]func() error{
		"Leg":               func() error { _, err := c.Leg(ctx, "cbX", "l"); return err },
		"UpdateLeg":         func() error { return c.UpdateLeg(ctx, "cbX", "l", LegUpdate{}) },
		"DeleteLeg":         func() error { return c.DeleteLeg(ctx, "cbX", "l") },
		"AddLeg":            func() error { _, err := c.AddLeg(ctx, "cbX", "c", "sip:x"); return err },
		"UpdateCall":        func() error { return c.UpdateCall(ctx, "cbX", "c", CallUpdate{}) },
		"UpdateParticipant": func() error { return c.UpdateParticipant(ctx, "cbX", "p", ParticipantUpdate{}) },
		"ParticipantOfRosterLeg": func() error {
			_, err := c.ParticipantOfRosterLeg(ctx, RosterEntry{Node: "cbX", Leg: CallLegDetail{CallLeg: CallLeg{ID: "l"}}})
			return err
		},
	}
	for name, act := range actions {
		t.Run(name, func(t *testing.T) {
			err := act()
			if !errors.Is(err, ErrUnknownNode) {
				t.Fatalf("err = %v, want ErrUnknownNode", err)
			}
			if msg := err.Error(); !strings.Contains(msg, `"cbX"`) || !strings.Contains(msg, "cb1") {
				t.Errorf("message %q should name the bad node and the configured ones", msg)
			}
		})
	}
}

// simCluster starts an emulator and a Cluster over all its nodes; tweak adjusts each node's
// config (timeouts for fault tests).
func newSimCluster(t *testing.T, opts cmssim.Options, tweak func(*NodeConfig)) (*cmssim.Sim, *Cluster) {
	t.Helper()
	sim, err := cmssim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var nodes []*Node
	for _, ni := range sim.Nodes() {
		cfg := NodeConfig{Name: ni.Name, BaseURL: ni.URL, Username: sim.Username, Password: sim.Password,
			HTTPClient: sim.HTTPClient(), Timeout: 5 * time.Second}
		if tweak != nil {
			tweak(&cfg)
		}
		n, err := NewNode(cfg)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	return sim, NewCluster(nodes)
}

// boardSpec is a meeting spread over three nodes: 2 participants on cb1, 1 on cb2, 3 on cb3.
func clusterBoardSpec() cmssim.MeetingSpec {
	return cmssim.MeetingSpec{Name: "Board review", Participants: []cmssim.ParticipantSpec{
		{Name: "Alice", Node: "cb1"}, {Name: "Bob", Node: "cb2", RxAudioMute: true}, {Name: "Carol", Node: "cb3"},
		{Name: "Dave", Node: "cb1"}, {Name: "Erin", Node: "cb3"}, {Name: "Frank", Node: "cb3"},
	}}
}

func findMeeting(t *testing.T, ms []Meeting, corr string) Meeting {
	t.Helper()
	for _, m := range ms {
		if m.Correlator == corr {
			return m
		}
	}
	t.Fatalf("meeting %s not listed among %d", corr, len(ms))
	return Meeting{}
}

func sortedNodeKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestMeetingsMergeDistributedMeeting(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, nil)
	board := sim.AddMeeting(clusterBoardSpec())
	solo := sim.AddMeeting(cmssim.MeetingSpec{Name: "Solo", Participants: []cmssim.ParticipantSpec{{Name: "Zed", Node: "cb2"}}})

	list := c.Meetings(t.Context())
	if len(list.Failed) != 0 {
		t.Fatalf("failed nodes: %v", list.Failed)
	}
	if len(list.Meetings) != 2 {
		t.Fatalf("got %d meetings, want 2: %+v", len(list.Meetings), list.Meetings)
	}
	m := findMeeting(t, list.Meetings, board.Correlator)
	if m.Name != "Board review" || m.Participants != 6 || !slices.Equal(m.NodeNames(), []string{"cb1", "cb2", "cb3"}) {
		t.Errorf("board = %q, %d participants on %v; want Board review, 6 on cb1..cb3", m.Name, m.Participants, m.NodeNames())
	}
	for _, in := range m.Instances {
		if in.Call.ID != board.Calls[in.Node] || in.Call.CallCorrelator != board.Correlator {
			t.Errorf("instance on %s is call %s (corr %s), want %s", in.Node, in.Call.ID, in.Call.CallCorrelator, board.Calls[in.Node])
		}
	}
	if s := findMeeting(t, list.Meetings, solo.Correlator); s.Participants != 1 || !slices.Equal(s.NodeNames(), []string{"cb2"}) {
		t.Errorf("solo = %d participants on %v, want 1 on cb2", s.Participants, s.NodeNames())
	}
}

func TestMeetingsMatchDemoScenario(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioDemo, Seed: 7}, nil)
	list := c.Meetings(t.Context())
	want := sim.Meetings()
	if len(list.Failed) != 0 || len(list.Meetings) != len(want) {
		t.Fatalf("got %d meetings (failed %v), emulator has %d", len(list.Meetings), list.Failed, len(want))
	}
	for _, w := range want {
		m := findMeeting(t, list.Meetings, w.Correlator)
		nodes := slices.Sorted(slices.Values(m.NodeNames()))
		if m.Name != w.Name || m.Participants != len(w.Legs) || !slices.Equal(nodes, sortedNodeKeys(w.Calls)) {
			t.Errorf("%s: %q %d participants on %v; emulator %q %d on %v",
				w.Correlator, m.Name, m.Participants, nodes, w.Name, len(w.Legs), sortedNodeKeys(w.Calls))
		}
	}
	if !slices.IsSortedFunc(list.Meetings, func(a, b Meeting) int {
		return cmp.Or(compareNames(a.Name, b.Name), cmp.Compare(a.Correlator, b.Correlator))
	}) {
		t.Error("meetings are not sorted by name, then correlator")
	}
}

func TestRosterCoversEveryNode(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioDemo, Seed: 3}, nil)
	sim.AddMeeting(clusterBoardSpec())
	list := c.Meetings(t.Context())
	for _, m := range list.Meetings {
		r := c.Roster(t.Context(), m)
		if len(r.Failed) != 0 {
			t.Fatalf("%s: failed %v", m.Name, r.Failed)
		}
		want := map[string]string{} // leg id -> node
		for _, l := range sim.Legs(m.Correlator) {
			want[l.ID] = l.Node
		}
		got := map[string]string{}
		for _, e := range r.Legs {
			if e.Leg.IsDistributionLink() {
				t.Errorf("%s: roster holds distribution link %s", m.Name, e.Leg.ID)
			}
			got[e.Leg.ID] = e.Node
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: roster legs/nodes %v, emulator %v", m.Name, got, want)
		}
		if !slices.IsSortedFunc(r.Legs, func(a, b RosterEntry) int {
			return cmp.Or(compareNames(a.Leg.Name, b.Leg.Name), cmp.Compare(a.Leg.ID, b.Leg.ID))
		}) {
			t.Errorf("%s: roster not sorted by name, then id", m.Name)
		}
		if r.Meeting.Correlator != m.Correlator {
			t.Errorf("roster meeting = %s, want %s", r.Meeting.Correlator, m.Correlator)
		}
	}
}

func TestRosterSkipsLegThatVanished(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, nil)
	board := sim.AddMeeting(clusterBoardSpec())
	m := findMeeting(t, c.Meetings(t.Context()).Meetings, board.Correlator)
	victim := board.Legs[len(board.Legs)-1]
	// The participant hangs up after the list was read, just before their detail is.
	sim.OnRequest(func(ri cmssim.RequestInfo) {
		if strings.HasSuffix(ri.Path, "/callLegs/"+victim.ID) {
			sim.RemoveLeg(victim.ID)
		}
	})
	r := c.Roster(t.Context(), m)
	if len(r.Failed) != 0 {
		t.Fatalf("failed: %v", r.Failed)
	}
	if len(r.Legs) != len(board.Legs)-1 {
		t.Errorf("roster has %d legs, want %d", len(r.Legs), len(board.Legs)-1)
	}
	for _, e := range r.Legs {
		if e.Leg.ID == victim.ID {
			t.Error("the vanished leg is in the roster")
		}
	}
}

func simTotalRequests(sim *cmssim.Sim) int {
	sum := 0
	for _, ni := range sim.Nodes() {
		sum += sim.Requests(ni.Name)
	}
	return sum
}

func TestLegActionsGoToOwningNodeOnly(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, nil)
	board := sim.AddMeeting(clusterBoardSpec())
	var bob cmssim.LegState
	for _, l := range board.Legs {
		if l.Name == "Bob" {
			bob = l
		}
	}
	ctx := t.Context()

	sim.ResetCounters()
	if err := c.UpdateLeg(ctx, "cb2", bob.ID, LegUpdate{RxAudioMute: Set(false), ChosenLayout: Set("speakerOnly")}); err != nil {
		t.Fatal(err)
	}
	if st, _ := sim.Leg(bob.ID); st.RxAudioMute || st.ChosenLayout != "speakerOnly" {
		t.Errorf("after update: rxAudioMute %v layout %q; want false, speakerOnly", st.RxAudioMute, st.ChosenLayout)
	}
	if sim.Requests("cb1") != 0 || sim.Requests("cb3") != 0 || sim.Requests("cb2") == 0 {
		t.Errorf("requests cb1/cb2/cb3 = %d/%d/%d, want only cb2", sim.Requests("cb1"), sim.Requests("cb2"), sim.Requests("cb3"))
	}

	// A wrong node does not know the leg, and the error says which node refused.
	err := c.UpdateLeg(ctx, "cb1", bob.ID, LegUpdate{RxAudioMute: Set(true)})
	var ne NodeError
	if !errors.Is(err, ErrCallLegNotFound) || !errors.As(err, &ne) || ne.Node != "cb1" {
		t.Errorf("update on the wrong node: %v, want ErrCallLegNotFound from cb1", err)
	}
	if st, _ := sim.Leg(bob.ID); st.RxAudioMute {
		t.Error("a refused update changed the leg")
	}
	if d, err := c.Leg(ctx, "cb2", bob.ID); err != nil || d.Name != "Bob" || d.Config.ChosenLayout != "speakerOnly" {
		t.Errorf("Leg = %q layout %q, %v", d.Name, d.Config.ChosenLayout, err)
	}

	id, err := c.AddLeg(ctx, "cb3", board.Calls["cb3"], "grace@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := sim.Leg(id); !ok || st.Node != "cb3" || st.CallID != board.Calls["cb3"] {
		t.Errorf("new leg %s: %+v (found %v), want on cb3", id, st, ok)
	}
	if err := c.DeleteLeg(ctx, "cb3", id); err != nil {
		t.Fatal(err)
	}
	if _, ok := sim.Leg(id); ok {
		t.Error("deleted leg still present")
	}

}

func TestCallAndParticipantActionsGoToTheirNode(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, nil)
	board := sim.AddMeeting(clusterBoardSpec())
	bob := board.Legs[slices.IndexFunc(board.Legs, func(l cmssim.LegState) bool { return l.Name == "Bob" })]
	ctx := t.Context()

	if err := c.UpdateCall(ctx, "cb2", board.Calls["cb2"], CallUpdate{Locked: Set(true)}); err != nil {
		t.Fatal(err)
	}
	if st, _ := sim.CallState("cb2", board.Calls["cb2"]); !st.Locked {
		t.Error("call on cb2 not locked")
	}
	if st, _ := sim.CallState("cb1", board.Calls["cb1"]); st.Locked {
		t.Error("UpdateCall on cb2 locked the instance on cb1")
	}

	if err := c.UpdateParticipant(ctx, "cb1", bob.ParticipantID, ParticipantUpdate{Importance: Set(5)}); !errors.Is(err, ErrParticipantCannotBeModified) {
		t.Errorf("participant update on a non-owner: %v, want ErrParticipantCannotBeModified", err)
	}
	if err := c.UpdateParticipant(ctx, "cb2", bob.ParticipantID, ParticipantUpdate{Importance: Set(5)}); err != nil {
		t.Fatal(err)
	}
	if st, _ := sim.Leg(bob.ID); st.Importance == nil || *st.Importance != 5 {
		t.Errorf("importance = %v, want 5", st.Importance)
	}
}

// TestPartialResults breaks cb2 in every way a node breaks and checks that the cluster still
// answers with the other nodes' data plus an error naming cb2.
func TestPartialResults(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*cmssim.Sim)
		want  error
	}{
		{"down", func(s *cmssim.Sim) { s.SetDown("cb2", true) }, ErrUnavailable},
		{"auth refused", func(s *cmssim.Sim) { s.SetAuthFailure("cb2", true) }, ErrAuth},
		{"503 burst", func(s *cmssim.Sim) { s.Fail503("cb2", 1000) }, ErrUnavailable},
		{"malformed XML", func(s *cmssim.Sim) { s.SetMalformed("cb2", true) }, ErrMalformedResponse},
		{"slow past timeout", func(s *cmssim.Sim) { s.SetLatency("cb2", time.Minute) }, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, func(cfg *NodeConfig) { cfg.Timeout = 300 * time.Millisecond })
			board := sim.AddMeeting(clusterBoardSpec())
			healthy := c.Meetings(t.Context())
			m := findMeeting(t, healthy.Meetings, board.Correlator)
			tt.fault(sim)

			list := c.Meetings(t.Context())
			checkOnlyCB2Failed(t, "meetings", list.Failed, tt.want)
			got := findMeeting(t, list.Meetings, board.Correlator)
			if !slices.Equal(got.NodeNames(), []string{"cb1", "cb3"}) || got.Participants != 5 {
				t.Errorf("partial meeting on %v with %d participants, want cb1,cb3 with 5", got.NodeNames(), got.Participants)
			}

			r := c.Roster(t.Context(), m)
			checkOnlyCB2Failed(t, "roster", r.Failed, tt.want)
			if len(r.Legs) != 5 {
				t.Errorf("roster has %d legs, want the 5 outside cb2", len(r.Legs))
			}

			for _, st := range c.Status(t.Context()) {
				if (st.Err != nil) != (st.Node == "cb2") {
					t.Errorf("status %s: err %v", st.Node, st.Err)
				}
			}
		})
	}
}

func checkOnlyCB2Failed(t *testing.T, what string, failed []NodeError, want error) {
	t.Helper()
	if len(failed) != 1 || failed[0].Node != "cb2" {
		t.Fatalf("%s: failed = %v, want cb2 only", what, failed)
	}
	if !errors.Is(failed[0], want) {
		t.Errorf("%s: cb2 error %v, want %v", what, failed[0].Err, want)
	}
	if !strings.Contains(failed[0].Error(), "cb2") {
		t.Errorf("%s: error %q does not name the node", what, failed[0].Error())
	}
}

func TestBriefBusyNodeIsRetried(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioDemo, Seed: 1}, nil)
	sim.Fail503("cb2", 1)
	list := c.Meetings(t.Context())
	if len(list.Failed) != 0 || len(list.Meetings) != len(sim.Meetings()) {
		t.Errorf("after one 503: %d meetings, failed %v; want all %d", len(list.Meetings), list.Failed, len(sim.Meetings()))
	}
}

// gateRequests holds every emulator request until release is closed, so a test can line up
// concurrent callers before any work finishes.
func gateRequests(sim *cmssim.Sim) (release func()) {
	gate := make(chan struct{})
	sim.OnRequest(func(cmssim.RequestInfo) { <-gate })
	return sync.OnceFunc(func() { close(gate) })
}

func TestConcurrentReadsAreCoalesced(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioDemo, Seed: 2}, nil)
	ctx := t.Context()
	sim.ResetCounters()
	one := c.Meetings(ctx)
	single := simTotalRequests(sim)
	m := one.Meetings[0]
	sim.ResetCounters()
	c.Roster(ctx, m)
	singleRoster := simTotalRequests(sim)

	const callers = 20
	sim.ResetCounters()
	release := gateRequests(sim)
	defer release()
	var wg sync.WaitGroup
	lists := make([]MeetingList, callers)
	rosters := make([]Roster, callers)
	for i := range callers {
		wg.Go(func() { lists[i] = c.Meetings(ctx) })
		wg.Go(func() { rosters[i] = c.Roster(ctx, m) })
	}
	waitUntil(t, "every caller to join the shared reads", func() bool {
		return c.flights.waiters("meetings") == callers && c.flights.waiters(rosterKey(m)) == callers
	})
	release()
	wg.Wait()

	if got := simTotalRequests(sim); got > single+singleRoster {
		t.Errorf("%d concurrent Meetings+Roster made %d requests; one of each makes %d+%d", callers, got, single, singleRoster)
	}
	for i := range callers {
		if len(lists[i].Meetings) != len(one.Meetings) || len(lists[i].Failed) != 0 {
			t.Fatalf("caller %d: %d meetings, failed %v; want %d", i, len(lists[i].Meetings), lists[i].Failed, len(one.Meetings))
		}
		if len(rosters[i].Legs) != m.Participants {
			t.Fatalf("caller %d: roster of %d legs, want %d", i, len(rosters[i].Legs), m.Participants)
		}
	}
}

func TestStatus(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioDemo, Seed: 4}, nil)
	legs := map[string]int{}
	for _, m := range sim.Meetings() {
		for _, l := range m.Legs {
			legs[l.Node]++
		}
	}
	got := c.Status(t.Context())
	if len(got) != 3 {
		t.Fatalf("got %d statuses, want 3", len(got))
	}
	for i, st := range got {
		if st.Node != sim.Nodes()[i].Name || st.Err != nil || st.Latency <= 0 {
			t.Errorf("status %d = %s err %v latency %v", i, st.Node, st.Err, st.Latency)
		}
		// callLegsActive counts distribution links too, so it is at least the participant legs.
		if st.Status.CallLegsActive < legs[st.Node] {
			t.Errorf("%s: callLegsActive %d < %d participant legs", st.Node, st.Status.CallLegsActive, legs[st.Node])
		}
	}
}

// TestDetailReadsOverlapPaging holds the later pages of GET /calls until a call detail has been
// requested: a cluster that waited for every page before reading details would never get there.
func TestDetailReadsOverlapPaging(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 1}, nil)
	for i := range 25 { // three pages at the emulator's cap of 10
		sim.AddMeeting(cmssim.MeetingSpec{Name: fmt.Sprintf("M%02d", i), Participants: []cmssim.ParticipantSpec{{Name: "P"}}})
	}
	detailSeen := make(chan struct{})
	seen := sync.OnceFunc(func() { close(detailSeen) })
	var heldTooLong atomic.Bool
	sim.OnRequest(func(ri cmssim.RequestInfo) {
		segs := strings.Split(strings.Trim(strings.ToLower(ri.Path), "/"), "/") // api v1 calls [id]
		switch {
		case len(segs) == 4 && segs[2] == "calls":
			seen()
		case len(segs) == 3 && segs[2] == "calls" && ri.Query.Get("offset") != "":
			select {
			case <-detailSeen:
			case <-time.After(5 * time.Second):
				heldTooLong.Store(true)
			}
		}
	})
	list := c.Meetings(t.Context())
	if heldTooLong.Load() {
		t.Error("no call detail was read before the later pages of /calls")
	}
	if len(list.Meetings) != 25 || len(list.Failed) != 0 {
		t.Errorf("got %d meetings, failed %v; want 25", len(list.Meetings), list.Failed)
	}
}

func TestFanOutRespectsNodeConcurrency(t *testing.T) {
	const limit = 2
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioDemo, Seed: 5},
		func(cfg *NodeConfig) { cfg.MaxConcurrency = limit })
	sim.ResetCounters()
	for _, m := range c.Meetings(t.Context()).Meetings {
		c.Roster(t.Context(), m)
	}
	for _, ni := range sim.Nodes() {
		if got := sim.MaxInFlight(ni.Name); got > limit || got == 0 {
			t.Errorf("%s: %d requests in flight at most, want 1..%d", ni.Name, got, limit)
		}
	}
}

func TestNewClusterSkipsNilNodes(t *testing.T) {
	c := NewCluster([]*Node{nil, {cfg: NodeConfig{Name: "cb1"}}, nil})
	if len(c.Nodes()) != 1 || c.Nodes()[0].Name() != "cb1" {
		t.Errorf("nodes = %v, want cb1 only", c.Nodes())
	}
	if _, ok := c.Node("cb1"); !ok {
		t.Error("cb1 not found by name")
	}
}
