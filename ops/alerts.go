package ops

import "github.com/prometheus/client_golang/prometheus"

// AlertMetrics are the alert evaluator's collectors (alerts.Metrics). A nil *AlertMetrics
// records nothing.
type AlertMetrics struct {
	active        *prometheus.GaugeVec
	notifications *prometheus.CounterVec
}

// NewAlertMetrics creates the alert collectors and registers them with reg.
func NewAlertMetrics(reg prometheus.Registerer) (*AlertMetrics, error) {
	m := &AlertMetrics{
		active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nfmm_alerts_active",
			Help: "Alerts firing now, by cluster and kind (node_down, alarm, licensing, poor_media, capacity, recording, presenter, cdr_receivers).",
		}, []string{"cluster", "kind"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_alert_notifications_total",
			Help: "Alert notifications sent to Slack (posts, updates, thread replies) by outcome: ok, or retry (failed, queued for a retry with backoff).",
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.active, m.notifications} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// AlertsActive sets how many alerts of kind fire on the named cluster.
func (m *AlertMetrics) AlertsActive(cluster, kind string, n int) {
	if m != nil {
		m.active.WithLabelValues(cluster, kind).Set(float64(n))
	}
}

// AlertNotification counts one delivery attempt.
func (m *AlertMetrics) AlertNotification(outcome string) {
	if m != nil {
		m.notifications.WithLabelValues(outcome).Inc()
	}
}
