package cms

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// Tests of the performance work (issue 7): slot scheduling, the per-node cap under mixed load,
// write generations and ReadsNotBefore. They assert orders and request counts, never time.

func queued(n *Node) (pages, other int) {
	n.queue.mu.Lock()
	defer n.queue.mu.Unlock()
	return len(n.queue.pages), len(n.queue.other)
}

func TestSlotQueueServesPagesFirst(t *testing.T) {
	n, err := NewNode(NodeConfig{Name: "cb1", BaseURL: "http://127.0.0.1:1", MaxConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := n.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	wait := func(kind string, page bool) {
		wg.Go(func() {
			if err := n.acquire(ctx, page); err != nil {
				t.Errorf("%s: %v", kind, err)
				return
			}
			mu.Lock()
			order = append(order, kind)
			mu.Unlock()
			n.release()
		})
	}
	wait("detail", false)
	waitUntil(t, "the detail read to queue", func() bool { _, o := queued(n); return o == 1 })
	wait("page", true)
	waitUntil(t, "the page to queue", func() bool { p, _ := queued(n); return p == 1 })
	n.release()
	wg.Wait()
	if fmt.Sprint(order) != "[page detail]" {
		t.Errorf("slots went to %v, want the page before the earlier detail read", order)
	}
	if len(n.sem) != 0 {
		t.Errorf("%d slots still held after every release", len(n.sem))
	}
}

func TestSlotQueueCancelledWaiterLeavesNoSlotBehind(t *testing.T) {
	n, err := NewNode(NodeConfig{Name: "cb1", BaseURL: "http://127.0.0.1:1", MaxConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.acquire(t.Context(), false); err != nil {
		t.Fatal(err)
	}
	for _, page := range []bool{false, true} {
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- n.acquire(ctx, page) }()
		waitUntil(t, "the waiter to queue", func() bool { p, o := queued(n); return p+o == 1 })
		cancel()
		if err := <-errc; err == nil {
			t.Fatalf("page=%v: a cancelled waiter got a slot", page)
		}
		if p, o := queued(n); p+o != 0 {
			t.Fatalf("page=%v: cancelled waiter still queued", page)
		}
	}
	n.release()
	if len(n.sem) != 0 {
		t.Fatalf("%d slots held after the last release, want 0", len(n.sem))
	}
	if err := n.acquire(t.Context(), true); err != nil {
		t.Fatalf("the freed slot is not available: %v", err)
	}
}

// bigMeetingSpec spreads size participants round-robin over the nodes.
func bigMeetingSpec(nodes []cmssim.NodeInfo, size int) cmssim.MeetingSpec {
	ps := make([]cmssim.ParticipantSpec, size)
	for i := range ps {
		ps[i] = cmssim.ParticipantSpec{Name: fmt.Sprintf("Person %03d", i), Node: nodes[i%len(nodes)].Name}
	}
	return cmssim.MeetingSpec{Name: "Town hall", Participants: ps}
}

func TestNodeCapHoldsUnderMixedLoad(t *testing.T) {
	const k = 3
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2, PageCaps: map[string]int{"callLegs": 5, "participants": 5}},
		func(cfg *NodeConfig) { cfg.MaxConcurrency = k })
	info := sim.AddMeeting(bigMeetingSpec(sim.Nodes(), 60))
	for _, n := range sim.Nodes() {
		sim.SetLatency(n.Name, 2*time.Millisecond)
	}
	ctx := t.Context()
	m := findMeeting(t, c.Meetings(ctx).Meetings, info.Correlator)
	sim.ResetCounters()
	var wg sync.WaitGroup
	wg.Go(func() { c.Meetings(ctx) })
	wg.Go(func() { c.Roster(ctx, m) })
	for _, in := range m.Instances {
		wg.Go(func() {
			if _, err := c.LocalParticipants(ctx, in.Node, in.Call.ID); err != nil {
				t.Errorf("LocalParticipants %s: %v", in.Node, err)
			}
		})
	}
	for _, l := range info.Legs {
		wg.Go(func() {
			if err := c.UpdateLeg(ctx, l.Node, l.ID, LegUpdate{RxAudioMute: Set(true)}); err != nil {
				t.Errorf("UpdateLeg %s: %v", l.ID, err)
			}
		})
	}
	wg.Wait()
	for _, n := range sim.Nodes() {
		if got := sim.MaxInFlight(n.Name); got > k || got < 2 {
			t.Errorf("%s: %d requests in flight at most; want 2..%d (the cap, and used)", n.Name, got, k)
		}
	}
}

func TestWritesEndReuseOfEarlierReads(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	info := sim.AddMeeting(clusterBoardSpec())
	asked := time.Now()
	ctx := ReadsNotBefore(t.Context(), asked)

	sim.ResetCounters()
	first := c.Meetings(ctx)
	if simTotalRequests(sim) == 0 || len(first.Meetings) != 1 {
		t.Fatalf("first read: %d requests, %d meetings", simTotalRequests(sim), len(first.Meetings))
	}
	sim.ResetCounters()
	again := c.Meetings(ctx)
	if n := simTotalRequests(sim); n != 0 || len(again.Meetings) != 1 {
		t.Errorf("a read started after the request was asked was not reused: %d requests", n)
	}
	if n := func() int { sim.ResetCounters(); c.Meetings(t.Context()); return simTotalRequests(sim) }(); n == 0 {
		t.Errorf("without ReadsNotBefore a read was reused")
	}
	legs := sim.Legs(info.Correlator)
	if err := c.UpdateLeg(t.Context(), legs[0].Node, legs[0].ID, LegUpdate{RxAudioMute: Set(true)}); err != nil {
		t.Fatal(err)
	}
	sim.ResetCounters()
	c.Meetings(ctx)
	if simTotalRequests(sim) == 0 {
		t.Errorf("a read from before a write was reused after it")
	}
	sim.ResetCounters()
	c.Meetings(ReadsNotBefore(t.Context(), time.Now().Add(time.Hour)))
	if simTotalRequests(sim) == 0 {
		t.Errorf("a read that started before the request was asked was reused")
	}
}

func TestCoalescerGenerations(t *testing.T) {
	var g coalescer
	release := make(chan struct{})
	runs := make(chan uint64, 4)
	fn := func(gen uint64) func(context.Context) any {
		return func(context.Context) any { runs <- gen; <-release; return gen }
	}
	var wg sync.WaitGroup
	got := make([]any, 3)
	wg.Go(func() { got[0], _ = g.doGen(t.Context(), "k", 0, fn(0)) })
	<-runs
	wg.Go(func() { got[1], _ = g.doGen(t.Context(), "k", 1, fn(1)) })
	if gen := <-runs; gen != 1 {
		t.Fatalf("second flight ran for generation %d, want 1", gen)
	}
	wg.Go(func() { got[2], _ = g.doGen(t.Context(), "k", 1, fn(1)) })
	waitUntil(t, "the third caller to join generation 1", func() bool { return g.waiters("k") == 2 })
	close(release)
	wg.Wait()
	if fmt.Sprint(got) != "[0 1 1]" {
		t.Errorf("results %v, want [0 1 1]: a generation never gets another's result", got)
	}
}

func TestPresenterHelpersReadLittle(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, PageCaps: map[string]int{"participants": 5}}, nil)
	info := sim.AddMeeting(bigMeetingSpec(sim.Nodes(), 30))
	ctx := t.Context()
	m := findMeeting(t, c.Meetings(ctx).Meetings, info.Correlator)
	ro := c.Roster(ctx, m)
	e := ro.Legs[0]
	sim.ResetCounters()
	pid, err := c.ParticipantOfRosterLeg(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := sim.Leg(e.Leg.ID); pid != want.ParticipantID || simTotalRequests(sim) != 1 {
		t.Errorf("participant %s in %d requests; want %s in 1", pid, simTotalRequests(sim), want.ParticipantID)
	}
	for _, in := range m.Instances {
		c.LocalParticipants(ctx, in.Node, in.Call.ID) // learns the node's bridge id
		sim.ResetCounters()
		ps, err := c.LocalParticipants(ctx, in.Node, in.Call.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 10 || simTotalRequests(sim) != 2 {
			t.Errorf("%s: %d local participants in %d requests; want 10 in 2 pages", in.Node, len(ps), simTotalRequests(sim))
		}
		for _, p := range ps {
			if owner, _ := sim.Participant(p.ID); owner.Node != in.Node {
				t.Errorf("%s listed %s, hosted by %s", in.Node, p.Name, owner.Node)
			}
		}
	}
}
