package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// Two clusters feed one evaluator: a node down on emea fires once, names emea, and the other
// cluster's rounds (which do not see it) never resolve it.
func TestSeveralClustersKeepTheirAlerts(t *testing.T) {
	clock := newFakeClock()
	cluster := func() (*cmssim.Sim, *cms.Cluster) {
		sim, err := cmssim.Start(cmssim.Options{Nodes: 2, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		var nodes []*cms.Node
		for _, ni := range sim.Nodes() {
			n, err := cms.NewNode(cms.NodeConfig{Name: ni.Name, BaseURL: ni.URL, Username: sim.Username,
				Password: sim.Password, HTTPClient: sim.HTTPClient(), Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			nodes = append(nodes, n)
		}
		return sim, cms.NewCluster(nodes)
	}
	emeaSim, emea := cluster()
	amerSim, amer := cluster()
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
