package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/commands"
)

// homeRunner answers the Home tab's reads with fixed results.
type homeRunner struct{ nopRunner }

func (homeRunner) RoleOf(commands.Actor) commands.Role { return commands.RoleOperator }

func (homeRunner) Execute(_ context.Context, _ commands.Actor, c commands.Command) (commands.Result, error) {
	switch c.Op {
	case commands.OpStatus:
		return statusResult(), nil
	case commands.OpCalls:
		return callsResult(8), nil
	}
	return nil, &commands.UsageError{Msg: "unexpected"}
}

func liveTestMsg(kind string) *liveMsg {
	return &liveMsg{channel: "C1", ts: "1.2", kind: kind, subject: uuid("c", 1), expires: testAsOf.Add(4 * time.Hour),
		doc: liveDoc{User: "U1", Name: "Board meeting", Started: testAsOf.Add(-63 * time.Minute),
			People: []string{"a", "b", "c"}}, endedAt: testAsOf}
}

// The new message kinds of live messages and the Home tab, as Slack receives them.
func TestGoldenLive(t *testing.T) {
	lm := &liveManager{b: &Bot{cfg: Config{Location: time.UTC}}}
	roster := render(rosterResult(3), opOpts)
	tests := []struct {
		name string
		m    message
	}{
		{"live_roster", withLiveBar(roster, liveTestMsg(liveRoster), "", time.UTC)},
		{"live_roster_stopped", withLiveBar(roster, liveTestMsg(liveRoster), "stopped by <@U1>", time.UTC)},
		{"live_roster_ended", lm.finalMessage(liveTestMsg(liveRoster))},
		{"live_calls", withLiveBar(render(callsResult(3), viewerOpts), &liveMsg{kind: liveCalls, expires: testAsOf.Add(time.Hour)}, "", time.UTC)},
		{"follow_parent", lm.followParent(liveTestMsg(liveFollow), "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := checkLimits(tt.m); len(errs) > 0 {
				t.Errorf("breaks Slack limits: %v", errs)
			}
			assertGolden(t, tt.name, tt.m)
		})
	}
	if got := lm.finalMessage(liveTestMsg(liveRoster)).Text; got != "Board meeting: ended 14:02 · lasted 1h03m · 3 people" {
		t.Errorf("final text = %q", got)
	}
	b := &Bot{cfg: Config{Location: time.UTC, Now: func() time.Time { return testAsOf }}, svc: homeRunner{}}
	assertGolden(t, "view_home", b.homeView(context.Background(), commands.Actor{UserID: "U1"}))
}

// A full roster page plus the live bar stays within 50 blocks.
func TestLiveRosterPageFits(t *testing.T) {
	m := withLiveBar(render(rosterResult(120), opOpts), liveTestMsg(liveRoster), "", time.UTC)
	if errs := checkLimits(m); len(errs) > 0 {
		t.Errorf("a full live roster page breaks Slack limits: %v", errs)
	}
}

func TestLiveTiming(t *testing.T) {
	t0 := testAsOf
	tests := []struct {
		name string
		m    liveMsg
		want time.Time
	}{
		{"nothing to show", liveMsg{}, time.Time{}},
		{"a lone change waits for quiet", liveMsg{dirtyAt: t0, lastChange: t0}, t0.Add(liveQuiet)},
		{"a stream of changes waits at most liveMaxWait", liveMsg{dirtyAt: t0, lastChange: t0.Add(1900 * time.Millisecond)}, t0.Add(liveMaxWait)},
		{"never sooner than liveMinSpacing after the last update", liveMsg{dirtyAt: t0, lastChange: t0, lastUpdate: t0.Add(-100 * time.Millisecond)}, t0.Add(900 * time.Millisecond)},
	}
	for _, tt := range tests {
		if got := tt.m.due(); !got.Equal(tt.want) {
			t.Errorf("%s: due %v, want %v", tt.name, got, tt.want)
		}
	}
	// The budget: a burst, then one per minute/perMinute, and a 429 pauses it.
	bg := newBudget(50, t0)
	n := 0
	for {
		ok, _ := bg.take(t0)
		if !ok {
			break
		}
		n++
	}
	if n != liveBurst {
		t.Errorf("burst = %d, want %d", n, liveBurst)
	}
	if ok, at := bg.take(t0); ok || !at.Equal(t0.Add(1200*time.Millisecond)) {
		t.Errorf("empty budget: take = %v, next at %v; want one token every 1.2 s", ok, at)
	}
	bg.pause(t0.Add(10 * time.Second))
	if ok, at := bg.take(t0.Add(5 * time.Second)); ok || !at.Equal(t0.Add(10*time.Second)) {
		t.Errorf("paused budget: take = %v, next at %v; want none before the Retry-After", ok, at)
	}
}

func TestLiveKeyRoundTrip(t *testing.T) {
	for _, k := range []liveKey{{Kind: liveCalls}, {Kind: liveRoster, Subject: uuid("c", 1)}, {Kind: liveFollow, Subject: uuid("c", 2)}} {
		if got, ok := decodeLiveKey(k.encode()); !ok || got != k {
			t.Errorf("decode(encode(%+v)) = %+v, %v", k, got, ok)
		}
	}
	for _, bad := range []string{"", "roster", "roster|not-an-id", "calls|x", "other|" + uuid("c", 1)} {
		if _, ok := decodeLiveKey(bad); ok {
			t.Errorf("decodeLiveKey(%q) accepted", bad)
		}
	}
}

// Friction 6: status is one line per node, 24 nodes in a few blocks, and never "0 ms".
func TestStatusOneLinePerNode(t *testing.T) {
	r := &commands.StatusResult{AsOf: testAsOf}
	for i := range 24 {
		r.Nodes = append(r.Nodes, commands.NodeHealth{Node: fmt.Sprintf("cb%d", i+1), Reachable: true, Version: "3.9.2",
			Uptime: 3 * 24 * time.Hour, ActiveLegs: 55, Latency: time.Duration(i) * 500 * time.Microsecond})
	}
	m := render(r, viewerOpts)
	b := jsonUnescaper.Replace(string(marshal(t, m)))
	if !strings.Contains(b, "✅ *cb3* · 3.9.2 · up 3d00h · 55 legs · 1 ms") || !strings.Contains(b, "✅ *cb1* · 3.9.2 · up 3d00h · 55 legs · <1 ms") {
		t.Errorf("status lines:\n%s", b)
	}
	if strings.Contains(b, " 0 ms") {
		t.Errorf("status says 0 ms:\n%s", b)
	}
	if len(m.Blocks) > 5 {
		t.Errorf("24 nodes take %d blocks, want one line each in a few sections", len(m.Blocks))
	}
}
