package cms

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// Foreign receivers sit on closed loopback ports: the emulator really posts to them.
var foreign = []string{
	"http://127.0.0.1:9/meetings/cdr/1/?token=cmm",
	"http://127.0.0.1:9/billing",
	"https://127.0.0.1:9/recorder",
	"http://127.0.0.1:9/other",
}

func TestEnsureCDRReceivers(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 3})
	for _, u := range foreign[:3] {
		if _, ok := sim.AddCDRReceiver("cb2", u); !ok {
			t.Fatal("cb2 full")
		}
	}
	for _, u := range foreign {
		if _, ok := sim.AddCDRReceiver("cb3", u); !ok {
			t.Fatal("cb3 full")
		}
	}
	before := map[string][]cmssim.CDRReceiver{}
	for _, n := range []string{"cb1", "cb2", "cb3"} {
		before[n] = sim.CDRReceivers(n)
	}
	c := NewCluster([]*Node{nodes["cb1"], nodes["cb2"], nodes["cb3"]})
	uri := func(node string) string { return "http://127.0.0.1:9/cdr/tok?node=" + node }
	ctx := context.Background()

	regs := c.EnsureCDRReceivers(ctx, uri)
	states := map[string]CDRState{}
	for _, r := range regs {
		states[r.Node] = r.State
		if r.Err != nil {
			t.Errorf("%s: %v", r.Node, r.Err)
		}
		if r.Maximum != 4 {
			t.Errorf("%s: maximum %d, want 4", r.Node, r.Maximum)
		}
	}
	want := map[string]CDRState{"cb1": CDRAdded, "cb2": CDRAdded, "cb3": CDRFull}
	if !equalMaps(states, want) {
		t.Errorf("states = %v, want %v", states, want)
	}
	if f := regs[2].Foreign(); len(f) != 4 {
		t.Errorf("cb3 foreign = %v, want the 4 others", f)
	}

	// Idempotent: a second run adds nothing.
	for _, r := range c.EnsureCDRReceivers(ctx, uri) {
		if w := map[string]CDRState{"cb1": CDRPresent, "cb2": CDRPresent, "cb3": CDRFull}[r.Node]; r.State != w {
			t.Errorf("second run: %s %s, want %s", r.Node, r.State, w)
		}
	}
	for _, n := range []string{"cb1", "cb2"} {
		got := sim.CDRReceivers(n)
		if len(got) != len(before[n])+1 || got[len(got)-1].URI != uri(n) {
			t.Errorf("%s receivers = %v, want the old ones plus %s", n, got, uri(n))
		}
		if !slices.Equal(got[:len(before[n])], before[n]) {
			t.Errorf("%s: a foreign receiver changed: %v -> %v", n, before[n], got)
		}
	}
	if got := sim.CDRReceivers("cb3"); !slices.Equal(got, before["cb3"]) {
		t.Errorf("cb3 changed: %v -> %v", before["cb3"], got)
	}

	// The limit as CMS enforces it.
	_, err := nodes["cb3"].AddCDRReceiver(ctx, uri("cb3"))
	var api *APIError
	if !errors.As(err, &api) || api.Reason != "tooManyCdrReceivers" {
		t.Errorf("fifth receiver: %v, want tooManyCdrReceivers", err)
	}
}

func TestEnsureCDRReceiversNodeDown(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 2})
	sim.SetDown("cb2", true)
	regs := NewCluster([]*Node{nodes["cb1"], nodes["cb2"]}).EnsureCDRReceivers(context.Background(),
		func(node string) string { return "http://127.0.0.1:9/cdr/t?node=" + node })
	if regs[0].State != CDRAdded || regs[1].State != CDRFailed || !errors.Is(regs[1].Err, ErrUnavailable) {
		t.Errorf("regs = %+v", regs)
	}
}

func equalMaps[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
