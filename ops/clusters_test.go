package ops

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/prometheus/client_golang/prometheus"
)

// clusterRig is every collector that carries a cluster label, on one registry.
type clusterRig struct {
	reg   *prometheus.Registry
	m     *Metrics
	live  *LiveMetrics
	alert *AlertMetrics
}

func newClusterRig(t *testing.T) clusterRig {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	live, err := NewLiveMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	alert, err := NewAlertMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return clusterRig{reg: reg, m: m, live: live, alert: alert}
}

// series maps each series of the named metric, as its sorted "label=value,…" list, to its
// value: a gauge's or counter's value, a histogram's sample count.
func (r clusterRig) series(t *testing.T, name string) map[string]float64 {
	t.Helper()
	fams, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			var labels []string
			for _, l := range mt.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			slices.Sort(labels)
			var v float64
			switch {
			case mt.GetHistogram() != nil:
				v = float64(mt.GetHistogram().GetSampleCount())
			case mt.GetCounter() != nil:
				v = mt.GetCounter().GetValue()
			default:
				v = mt.GetGauge().GetValue()
			}
			out[strings.Join(labels, ",")] = v
		}
	}
	return out
}

// TestSameNodeNameInTwoClusters: every per-node and per-cluster metric carries the cluster,
// so emea's cb1 and amer's cb1 are two series with the label set the docs list (before, the
// request histogram and the live metrics had no cluster and the two nodes were one series).
func TestSameNodeNameInTwoClusters(t *testing.T) {
	tests := []struct {
		metric string
		record func(r clusterRig, cluster string)
		labels string // for cluster "C"
	}{
		{"nfmm_cms_request_duration_seconds", func(r clusterRig, c string) {
			r.m.CMSRequest(c, "cb1", "GET", 200, 20*time.Millisecond)
		}, "cluster=C,code=200,method=GET,node=cb1"},
		{"nfmm_cms_request_duration_seconds", func(r clusterRig, c string) {
			r.m.ObserveCMS(c, cms.RequestStat{Node: "cb1", Method: "PUT", Path: "/api/v1/callLegs/x", Status: 0})
		}, "cluster=C,code=error,method=PUT,node=cb1"},
		{"nfmm_cms_node_up", func(r clusterRig, c string) { r.m.NodeProbe(c, "cb1", true) }, "cluster=C,node=cb1"},
		{"nfmm_cms_events_connected", func(r clusterRig, c string) {
			r.live.ObserveFor(c)(cms.LiveStat{Kind: cms.StatConnected, Node: "cb1", Value: 1})
		}, "cluster=C,node=cb1"},
		{"nfmm_cms_events_received_total", func(r clusterRig, c string) {
			r.live.ObserveFor(c)(cms.LiveStat{Kind: cms.StatMessage, Node: "cb1", MessageType: "rosterUpdate"})
		}, "cluster=C,type=rosterUpdate"},
		{"nfmm_cms_resyncs_total", func(r clusterRig, c string) {
			r.live.ObserveFor(c)(cms.LiveStat{Kind: cms.StatResync, Node: "cb1"})
		}, "cluster=C,node=cb1"},
		{"nfmm_cms_polled_nodes", func(r clusterRig, c string) {
			r.live.ObserveFor(c)(cms.LiveStat{Kind: cms.StatPolled, Node: "cb1", Value: 1})
		}, "cluster=C"},
		{"nfmm_live_changes_total", func(r clusterRig, c string) {
			r.live.ObserveFor(c)(cms.LiveStat{Kind: cms.StatChange, MessageType: "participant_joined"})
		}, "cluster=C,type=participant_joined"},
		{"nfmm_cms_events_tokens_refused_total", func(r clusterRig, c string) {
			r.live.ObserveFor(c)(cms.LiveStat{Kind: cms.StatTokenRefused, Node: "cb1"})
		}, "cluster=C,node=cb1"},
		{"nfmm_alerts_active", func(r clusterRig, c string) { r.alert.AlertsActive(c, "node_down", 1) }, "cluster=C,kind=node_down"},
	}
	for _, tt := range tests {
		t.Run(tt.metric+"/"+tt.labels, func(t *testing.T) {
			r := newClusterRig(t)
			for _, c := range []string{"emea", "amer"} {
				tt.record(r, c)
			}
			want := map[string]float64{}
			for _, c := range []string{"emea", "amer"} {
				want[strings.Replace(tt.labels, "cluster=C", "cluster="+c, 1)] = 1
			}
			got := r.series(t, tt.metric)
			if len(got) != len(want) {
				t.Errorf("%s series %v, want %v", tt.metric, got, want)
			}
			for l, v := range want {
				if g, ok := got[l]; !ok || g != v {
					t.Errorf("%s{%s} = %v (present %v), want %v; all: %v", tt.metric, l, g, ok, v, got)
				}
			}
		})
	}
}

// TestPolledNodesPerCluster: nfmm_cms_polled_nodes counts each cluster's polled nodes; a node
// named like one of another cluster neither adds to nor takes from it.
func TestPolledNodesPerCluster(t *testing.T) {
	r := newClusterRig(t)
	r.live.ObserveFor("emea")
	if got := r.series(t, "nfmm_cms_polled_nodes"); len(got) != 1 || got["cluster=emea"] != 0 {
		t.Errorf("before any poll: %v, want emea's 0 alone", got)
	}
	polled := func(c, node string, on bool) {
		v := 0
		if on {
			v = 1
		}
		r.live.Observe(c, cms.LiveStat{Kind: cms.StatPolled, Node: node, Value: v})
	}
	steps := []struct {
		cluster, node string
		on            bool
		want          map[string]float64
	}{
		{"emea", "cb1", true, map[string]float64{"cluster=emea": 1}},
		{"emea", "cb2", true, map[string]float64{"cluster=emea": 2}},
		{"amer", "cb1", true, map[string]float64{"cluster=emea": 2, "cluster=amer": 1}},
		{"amer", "cb1", false, map[string]float64{"cluster=emea": 2, "cluster=amer": 0}},
		{"emea", "cb1", false, map[string]float64{"cluster=emea": 1, "cluster=amer": 0}},
	}
	for i, s := range steps {
		polled(s.cluster, s.node, s.on)
		got := r.series(t, "nfmm_cms_polled_nodes")
		if len(got) != len(s.want) {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
		for l, v := range s.want {
			if got[l] != v {
				t.Errorf("step %d (%s %s polled=%v): nfmm_cms_polled_nodes{%s} = %v, want %v", i, s.cluster, s.node, s.on, l, got[l], v)
			}
		}
	}
}
