package ops

import (
	"sync"

	"github.com/nfmm/nfmm/cms"
	"github.com/prometheus/client_golang/prometheus"
)

// LiveMetrics are the live state's collectors: events sockets, messages, resyncs, polling and
// published changes, each labelled with its cluster (one cms.Live per cluster reports through
// ObserveFor). A nil *LiveMetrics records nothing.
type LiveMetrics struct {
	connected *prometheus.GaugeVec
	messages  *prometheus.CounterVec
	resyncs   *prometheus.CounterVec
	polled    *prometheus.GaugeVec
	changes   *prometheus.CounterVec
	refused   *prometheus.CounterVec

	mu       sync.Mutex
	isPolled map[polledNode]bool
}

// polledNode names a node across clusters: two clusters may both have a "cb1".
type polledNode struct{ cluster, node string }

// NewLiveMetrics creates the live-state collectors and registers them with reg.
func NewLiveMetrics(reg prometheus.Registerer) (*LiveMetrics, error) {
	m := &LiveMetrics{
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nfmm_cms_events_connected",
			Help: "1 while the node's Events API socket is open.",
		}, []string{"cluster", "node"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_cms_events_received_total",
			Help: "Events API messages received, by cluster and message type (rosterUpdate, callListUpdate, …).",
		}, []string{"cluster", "type"}),
		resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_cms_resyncs_total",
			Help: "Full REST reads of a node's calls and rosters (after every events (re)connect, and every poll).",
		}, []string{"cluster", "node"}),
		polled: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nfmm_cms_polled_nodes",
			Help: "Nodes of the cluster kept current by REST polling (no Events API, or CMS_EVENTS=off).",
		}, []string{"cluster"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_live_changes_total",
			Help: "Changes published by the live state, by cluster and type (participant_joined, …).",
		}, []string{"cluster", "type"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_cms_events_tokens_refused_total",
			Help: "Events API tokens refused on the websocket upgrade (each is replaced).",
		}, []string{"cluster", "node"}),
		isPolled: map[polledNode]bool{},
	}
	for _, c := range []prometheus.Collector{m.connected, m.messages, m.resyncs, m.polled, m.changes, m.refused} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ObserveFor is cms.LiveConfig.Observe for the live state of the named cluster. The
// cluster's polled count is exported from now on, 0 until a node of it is polled.
func (m *LiveMetrics) ObserveFor(cluster string) func(cms.LiveStat) {
	if m != nil {
		m.polled.WithLabelValues(cluster)
	}
	return func(s cms.LiveStat) { m.Observe(cluster, s) }
}

// Observe records one live-state statistic of the named cluster.
func (m *LiveMetrics) Observe(cluster string, s cms.LiveStat) {
	if m == nil {
		return
	}
	switch s.Kind {
	case cms.StatConnected:
		m.connected.WithLabelValues(cluster, s.Node).Set(float64(s.Value))
	case cms.StatMessage:
		m.messages.WithLabelValues(cluster, s.MessageType).Inc()
	case cms.StatResync:
		m.resyncs.WithLabelValues(cluster, s.Node).Inc()
	case cms.StatChange:
		m.changes.WithLabelValues(cluster, s.MessageType).Inc()
	case cms.StatTokenRefused:
		m.refused.WithLabelValues(cluster, s.Node).Inc()
	case cms.StatPolled:
		m.mu.Lock()
		m.isPolled[polledNode{cluster, s.Node}] = s.Value == 1
		n := 0
		for k, on := range m.isPolled {
			if on && k.cluster == cluster {
				n++
			}
		}
		// Set under the lock: two nodes' updates must not land in the reverse order.
		m.polled.WithLabelValues(cluster).Set(float64(n))
		m.mu.Unlock()
	}
}
