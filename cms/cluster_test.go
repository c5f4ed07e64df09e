package cms

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds or the deadline passes; it never asserts on elapsed time.
func waitFor(t *testing.T, what string, cond func() bool) {
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
	waitFor(t, "every caller to join", func() bool { return g.waiters("k") == callers })
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
	waitFor(t, "two waiters", func() bool { return g.waiters("k") == 2 })

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
	waitFor(t, "the abandoned work to be cancelled", func() bool { return wctx.Err() != nil })
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
		"ParticipantOfLeg":  func() error { _, err := c.ParticipantOfLeg(ctx, "cbX", "c", "l"); return err },
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
