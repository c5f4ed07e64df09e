package ops

import (
	"sync"

	"github.com/nfmm/nfmm/cms"
	"github.com/prometheus/client_golang/prometheus"
)

// LiveMetrics are the live state's collectors: events sockets, messages, resyncs, polling and
// published changes. A nil *LiveMetrics records nothing.
type LiveMetrics struct {
	connected *prometheus.GaugeVec
	messages  *prometheus.CounterVec
	resyncs   *prometheus.CounterVec
	polled    prometheus.Gauge
	changes   *prometheus.CounterVec
	refused   *prometheus.CounterVec

	mu       sync.Mutex
	isPolled map[string]bool
}

// NewLiveMetrics creates the live-state collectors and registers them with reg.
func NewLiveMetrics(reg prometheus.Registerer) (*LiveMetrics, error) {
	m := &LiveMetrics{
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nfmm_cms_events_connected",
			Help: "1 while the node's Events API socket is open.",
		}, []string{"node"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_cms_events_received_total",
			Help: "Events API messages received, by message type (rosterUpdate, callListUpdate, …).",
		}, []string{"type"}),
		resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_cms_resyncs_total",
			Help: "Full REST reads of a node's calls and rosters (after every events (re)connect, and every poll).",
		}, []string{"node"}),
		polled: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nfmm_cms_polled_nodes",
			Help: "Nodes kept current by REST polling (no Events API, or CMS_EVENTS=off).",
		}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_live_changes_total",
			Help: "Changes published by the live state, by type (participant_joined, …).",
		}, []string{"type"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_cms_events_tokens_refused_total",
			Help: "Events API tokens refused on the websocket upgrade (each is replaced).",
		}, []string{"node"}),
		isPolled: map[string]bool{},
	}
	for _, c := range []prometheus.Collector{m.connected, m.messages, m.resyncs, m.polled, m.changes, m.refused} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe records one live-state statistic (cms.LiveConfig.Observe).
func (m *LiveMetrics) Observe(s cms.LiveStat) {
	if m == nil {
		return
	}
	switch s.Kind {
	case cms.StatConnected:
		m.connected.WithLabelValues(s.Node).Set(float64(s.Value))
	case cms.StatMessage:
		m.messages.WithLabelValues(s.MessageType).Inc()
	case cms.StatResync:
		m.resyncs.WithLabelValues(s.Node).Inc()
	case cms.StatChange:
		m.changes.WithLabelValues(s.MessageType).Inc()
	case cms.StatTokenRefused:
		m.refused.WithLabelValues(s.Node).Inc()
	case cms.StatPolled:
		m.mu.Lock()
		m.isPolled[s.Node] = s.Value == 1
		n := 0
		for _, on := range m.isPolled {
			if on {
				n++
			}
		}
		m.mu.Unlock()
		m.polled.Set(float64(n))
	}
}
