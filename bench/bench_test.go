package main

import (
	"image/color"
	"testing"
	"time"
)

func TestListRounds(t *testing.T) {
	tests := []struct {
		name    string
		n, p, k int
		want    int
	}{
		{"empty list: one page", 0, 10, 8, 1},
		{"one page, details fit in a round", 5, 10, 8, 2},
		{"one page, details need two rounds", 10, 10, 8, 3},
		{"scenario 1 node: 5 pages + 50 details", 50, 10, 8, 8},       // 1 + ⌈54/8⌉ = 8
		{"scenario 2 node: 5 pages + 45 legs", 45, 10, 8, 8},          // 1 + ⌈49/8⌉ = 8
		{"chain dominates with many slots", 50, 10, 100, 3},           // page -> page -> detail
		{"sequential client is the work", 50, 10, 1, 5 + 50},          // k = 1: every request
		{"scale node: 25 calls", 25, 10, 8, max(3, 1+ceilDiv(27, 8))}, // 3 pages + 25 details
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listRounds(tt.n, tt.p, tt.k); got != tt.want {
				t.Errorf("listRounds(%d, %d, %d) = %d, want %d", tt.n, tt.p, tt.k, got, tt.want)
			}
		})
	}
}

func TestMeetingBounds(t *testing.T) {
	// 300 participants on 8 nodes: 4 nodes with 38, 4 with 37, plus 7 distribution links each.
	var ns []meetingNode
	for i := range 8 {
		parts := 37
		if i < 4 {
			parts = 38
		}
		ns = append(ns, meetingNode{calls: 1, parts: parts, legs: parts + 7})
	}
	if got := rosterRounds(ns, 10, 8); got != 1+8 {
		t.Errorf("roster bound %d, want 9 (find + 1 + ⌈49/8⌉)", got)
	}
	on := append([]meetingNode(nil), ns...)
	on[0].presenter = true
	// Work on the presenter's node: roster 50 + leg PUTs 38 + call read and PUT 2 + participants
	// 4 pages + verify and importance 2 = 96; after the find only 3 can start, so
	// 1 + 1 + ⌈93/8⌉ = 14.
	if got := presenterRounds(on, 10, 8, false); got != 14 {
		t.Errorf("presenter on (exact leg id) bound %d, want 14", got)
	}
	// By name the PUTs wait for the whole roster: 1 + 8 + ⌈38/8⌉ = 14 as well.
	if got := presenterRounds(on, 10, 8, true); got != 14 {
		t.Errorf("presenter on (by name) bound %d, want 14", got)
	}
	off := append([]meetingNode(nil), ns...)
	off[0].clears = 1
	// 50 + 38 + 2 + 4 + 1 = 95: 1 + 1 + ⌈92/8⌉ = 14.
	if got := presenterRounds(off, 10, 8, false); got != 14 {
		t.Errorf("presenter off bound %d, want 14", got)
	}
	// With many slots the chain decides: find, first page, a later page, a detail, its PUT.
	if got := presenterRounds(off, 10, 1000, false); got != 1+3+1 {
		t.Errorf("presenter off bound with k=1000: %d, want 5", got)
	}
	// A sequential client (k = 1) does all the work one request after another.
	if got, want := presenterRounds(off[1:2], 10, 1, false), 1+listWork(45, 10)+presenterWrites(off[1], 10); got != want {
		t.Errorf("presenter off bound with k=1: %d, want %d", got, want)
	}
}

func TestSlowestBound(t *testing.T) {
	nodes := func(perNode int) []int {
		out := make([]int, clusterNodes)
		for i := range out {
			out[i] = perNode
		}
		return out
	}
	var lat []time.Duration
	var load [][]int
	for _, c := range allClusters {
		lat, load = append(lat, c.latency), append(load, nodes(c.perNode))
	}
	// emea 1 + ⌈54/8⌉ = 8 RTT × 25 ms, amer 1 + ⌈32/8⌉ = 5 × 40 ms, apac 1 + ⌈21/8⌉ = 4 × 60 ms.
	d, rtt, at := slowestBound(lat, load, 10, 8)
	if d != 240*time.Millisecond || rtt != 4 || allClusters[at].name != "apac" {
		t.Errorf("bound %v (%d RTT, %s), want 240ms (4 RTT, apac)", d, rtt, allClusters[at].name)
	}
	// One busy node decides its cluster; one cluster alone is its own bound.
	load[1][3] = 200 // 1 + ⌈219/8⌉ = 29 RTT × 40 ms
	if d, rtt, at := slowestBound(lat, load, 10, 8); d != 29*40*time.Millisecond || rtt != 29 || at != 1 {
		t.Errorf("busy amer node: %v (%d RTT, cluster %d)", d, rtt, at)
	}
	if d, _, _ := slowestBound(lat[:1], load[:1], 10, 8); d != 200*time.Millisecond {
		t.Errorf("emea alone: %v", d)
	}
}

func TestMedian(t *testing.T) {
	if got := median([]time.Duration{5, 1, 3}); got != 3 {
		t.Errorf("median = %v, want 3", got)
	}
	if got := median([]int{}); got != 0 {
		t.Errorf("median of nothing = %v, want 0", got)
	}
}

func TestDrawPlotShowsEverySeries(t *testing.T) {
	var rows []row
	for _, n := range plotNodes {
		rows = append(rows, row{Wall: 230 * time.Millisecond, Bound: 200 * time.Millisecond,
			Baseline: time.Duration(n) * 1400 * time.Millisecond})
	}
	img := drawPlot(rows)
	seen := map[[4]uint8]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.RGBAAt(x, y)
			seen[[4]uint8{c.R, c.G, c.B, c.A}]++
		}
	}
	for name, c := range map[string]color.RGBA{"nfmm": nfmmCol, "bound": boundCol, "baseline": baseCol} {
		if col := [4]uint8{c.R, c.G, c.B, c.A}; seen[col] < 100 {
			t.Errorf("series %s: %d pixels drawn, want a line", name, seen[col])
		}
	}
}
