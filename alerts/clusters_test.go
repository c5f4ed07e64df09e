package alerts

import (
	"strings"
	"testing"
	"time"
)

// Two clusters feed one evaluator: a node down on emea fires once, names emea, and the other
// cluster's rounds (which do not see it) never resolve it.
func TestSeveralClustersKeepTheirAlerts(t *testing.T) {
	clock := newFakeClock()
	emeaSim, emea := simCluster(t, 2, clock)
	amerSim, amer := simCluster(t, 2, clock)
	srcs := append(Sources(SourceConfig{Cluster: emea, ClusterName: "emea", Clock: clock.Now}),
		Sources(SourceConfig{Cluster: amer, ClusterName: "amer", Clock: clock.Now})...)
	r := &rig{t: t, clock: clock, note: &fakeNotifier{}, store: NewMemoryStore()}
	r.ev = New(Options{Sources: srcs, Notifier: r.note, Store: r.store, Clock: clock.Now, Route: func(Key) string { return "C0OPS" }})
	emeaSim.SetDown("cb2", true)
	r.step(32 * time.Second)
	got := r.note.take()
	if len(got) != 1 || !strings.Contains(got[0], "[emea] cb2 is unreachable") {
		t.Fatalf("notifications %q, want one post of emea's cb2", got)
	}
	r.step(2 * time.Minute)
	if got := r.note.take(); len(got) != 0 {
		t.Errorf("amer's rounds changed emea's alert: %q", got)
	}
	// amer's cb1 fires on its own, and emea's recovery resolves only emea's.
	amerSim.SetDown("cb1", true)
	r.step(32 * time.Second)
	if got := r.note.take(); len(got) != 1 || !strings.Contains(got[0], "[amer] cb1 is unreachable") {
		t.Fatalf("notifications %q, want one post of amer's cb1", got)
	}
	emeaSim.SetDown("cb2", false)
	r.step(10 * time.Second)
	if got := r.note.take(); len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "recovered") {
		t.Errorf("emea's recovery: %q, want its message updated and a recovered reply", got)
	}
	list := r.ev.Active()
	if len(list) != 1 || list[0].Key.Cluster != "amer" || list[0].Key.Node != "cb1" {
		t.Errorf("active alerts %+v, want amer's cb1 alone", list)
	}
}
