package alerts

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// twoClusters are the emulators of clusters emea and amer, two nodes each, and their sources.
func twoClusters(t *testing.T, clock *fakeClock) (emeaSim, amerSim *cmssim.Sim, srcs []Source) {
	t.Helper()
	emeaSim, emea := simCluster(t, 2, clock)
	amerSim, amer := simCluster(t, 2, clock)
	srcs = append(Sources(SourceConfig{Cluster: emea, ClusterName: "emea", Clock: clock.Now}),
		Sources(SourceConfig{Cluster: amer, ClusterName: "amer", Clock: clock.Now})...)
	return emeaSim, amerSim, srcs
}

// Two clusters feed one evaluator: a node down on emea fires once, names emea, and the other
// cluster's rounds (which do not see it) never resolve it.
func TestSeveralClustersKeepTheirAlerts(t *testing.T) {
	clock := newFakeClock()
	emeaSim, amerSim, srcs := twoClusters(t, clock)
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

// clusterCounts records AlertsActive as "cluster/kind" -> n.
type clusterCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *clusterCounts) AlertsActive(cluster, kind string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[cluster+"/"+kind] = n
}

func (c *clusterCounts) AlertNotification(string) {}

func (c *clusterCounts) get(key string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.n[key]
	return n, ok
}

// TestActiveCountsPerCluster: nfmm_alerts_active is counted per cluster and kind: both
// clusters' cb1 down are one node_down each (not two of one series), every kind of every
// configured cluster is reported from the first tick, a recovery drops only its cluster back
// to 0, and a replica that stops leading drops to 0 (max or sum over replicas stays right).
func TestActiveCountsPerCluster(t *testing.T) {
	clock := newFakeClock()
	emeaSim, amerSim, srcs := twoClusters(t, clock)
	counts := &clusterCounts{n: map[string]int{}}
	var leading atomic.Bool
	leading.Store(true)
	r := &rig{t: t, clock: clock, note: &fakeNotifier{}, store: NewMemoryStore()}
	r.ev = New(Options{Sources: srcs, Notifier: r.note, Store: r.store, Clock: clock.Now, Route: func(Key) string { return "C0OPS" },
		Metrics: counts, Clusters: []string{"emea", "amer"}, Leader: leading.Load})
	want := func(when string, w map[string]int) {
		t.Helper()
		for k, n := range w {
			if got, ok := counts.get(k); !ok || got != n {
				t.Errorf("%s: %s = %d (reported %v), want %d", when, k, got, ok, n)
			}
		}
	}
	r.step(time.Second)
	first := map[string]int{}
	for _, c := range []string{"emea", "amer"} {
		for _, k := range Kinds {
			first[c+"/"+string(k)] = 0
		}
	}
	want("first tick", first)
	if _, ok := counts.get(DefaultCluster + "/node_down"); ok {
		t.Error("a default cluster was reported though the clusters are emea and amer")
	}
	emeaSim.SetDown("cb1", true)
	amerSim.SetDown("cb1", true)
	r.step(32 * time.Second)
	want("both cb1 down", map[string]int{"emea/node_down": 1, "amer/node_down": 1, "emea/alarm": 0})
	emeaSim.SetDown("cb1", false)
	r.step(10 * time.Second)
	want("emea's cb1 back", map[string]int{"emea/node_down": 0, "amer/node_down": 1})
	// A replica that no longer leads reports none: the new leader's counts are the ones.
	leading.Store(false)
	r.step(time.Second)
	want("no longer leading", map[string]int{"emea/node_down": 0, "amer/node_down": 0})
}
