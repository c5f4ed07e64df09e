package ops

import (
	"strconv"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds NFMM's collectors. A nil *Metrics is valid and records nothing, so callers
// (and tests) need no metrics wiring.
type Metrics struct {
	reg         prometheus.Registerer
	commands    *prometheus.CounterVec
	cms         *prometheus.HistogramVec
	nodeUp      *prometheus.GaugeVec
	nodeSuccess *prometheus.GaugeVec
	storeUp     *prometheus.GaugeVec
	acks        prometheus.Histogram
	reconnects  prometheus.Counter
	reports     *prometheus.CounterVec
	claims      *prometheus.CounterVec
	leases      *prometheus.CounterVec
	leader      prometheus.Gauge
}

// Cluster is the cluster label of CMS_NODES's one cluster; with CMS_CLUSTERS every per-node
// and per-cluster series carries its cluster's name, so two clusters' nodes of the same name
// (each has its "cb1") stay two series. Cluster names are configured and at most 32
// characters (internal/names), so the label's values are bounded.
const Cluster = "default"

// NewRegistry returns a registry with the Go runtime and process collectors, ready for NewMetrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// NewMetrics creates NFMM's collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		reg: reg,
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_commands_total",
			Help: "Commands handled, by operation and outcome (ok, denied, error, …).",
		}, []string{"op", "outcome"}),
		cms: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nfmm_cms_request_duration_seconds",
			Help: "CMS API request latency by cluster, node, HTTP method and status code (\"error\" for transport failures).",
			// CMS answers in milliseconds when healthy; the tail matters up to CMS_TIMEOUT.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"cluster", "node", "method", "code"}),
		nodeUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nfmm_cms_node_up",
			Help: "1 when the node answered NFMM's last status probe, 0 when it did not (down, refused NFMM's credentials, 5xx).",
		}, []string{"cluster", "node"}),
		nodeSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nfmm_cms_node_last_success_timestamp_seconds",
			Help: "Unix time of the node's last successful (2xx) CMS API request or status probe.",
		}, []string{"cluster", "node"}),
		storeUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nfmm_store_up",
			Help: "1 when the store's database answered NFMM's last ping (every 15 s and on /healthz), else 0.",
		}, []string{"engine"}),
		acks: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "nfmm_slack_ack_duration_seconds",
			Help: "Time from receiving a Slack envelope to acknowledging it; Slack retries after 3 s.",
			// Slack's 3 s deadline: https://api.slack.com/apis/socket-mode#acknowledge
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5},
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nfmm_slack_reconnects_total",
			Help: "Socket-mode reconnections.",
		}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_report_runs_total",
			Help: "Scheduled report runs by outcome (posted, quiet, error).",
		}, []string{"outcome"}),
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_store_claims_total",
			Help: "Envelope claims in the store by outcome (won: acted on; duplicate: claimed before; error: store unavailable).",
		}, []string{"outcome"}),
		leases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nfmm_store_lease_total",
			Help: "Leader lease attempts by outcome (acquired, renewed, standby, lost, expired, error, released).",
		}, []string{"outcome"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nfmm_leader",
			Help: "1 while this replica holds the leader lease and runs the singleton loops (report scheduler).",
		}),
	}
	for _, c := range []prometheus.Collector{m.commands, m.cms, m.nodeUp, m.nodeSuccess, m.storeUp, m.acks, m.reconnects, m.reports, m.claims, m.leases, m.leader} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Command counts one handled command.
func (m *Metrics) Command(op, outcome string) {
	if m != nil {
		m.commands.WithLabelValues(op, outcome).Inc()
	}
}

// CMSRequest records one CMS API request to a node of the named cluster; status 0 means a
// transport error.
func (m *Metrics) CMSRequest(cluster, node, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	code := "error"
	if status > 0 {
		code = strconv.Itoa(status)
	}
	m.cms.WithLabelValues(cluster, node, method, code).Observe(d.Seconds())
	if status >= 200 && status < 300 {
		m.nodeSuccess.WithLabelValues(cluster, node).SetToCurrentTime()
	}
}

// NodeProbe records one status probe of a node of the named cluster: up, and when it
// answered, its last success.
func (m *Metrics) NodeProbe(cluster, node string, ok bool) {
	if m == nil {
		return
	}
	up := 0.0
	if ok {
		up = 1
		m.nodeSuccess.WithLabelValues(cluster, node).SetToCurrentTime()
	}
	m.nodeUp.WithLabelValues(cluster, node).Set(up)
}

// StoreProbe records one ping of the store's database (engine: sqlite or postgres).
func (m *Metrics) StoreProbe(engine string, ok bool) {
	if m == nil {
		return
	}
	up := 0.0
	if ok {
		up = 1
	}
	m.storeUp.WithLabelValues(engine).Set(up)
}

// WatchSlack exports nfmm_slack_socket_connected, read from connected at every scrape.
func (m *Metrics) WatchSlack(connected func() bool) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "nfmm_slack_socket_connected",
		Help: "1 while the Slack socket-mode connection is open, else 0.",
	}, func() float64 {
		if connected() {
			return 1
		}
		return 0
	}))
}

// ObserveCMS records st, a request to a node of the named cluster (cms.NodeConfig.Observe
// through a per-cluster closure). The request path is deliberately not a label: it carries
// call and leg ids, which would explode the series count.
func (m *Metrics) ObserveCMS(cluster string, st cms.RequestStat) {
	m.CMSRequest(cluster, st.Node, st.Method, st.Status, st.Duration)
}

// Ack records how long a Slack envelope waited for its acknowledgement.
func (m *Metrics) Ack(d time.Duration) {
	if m != nil {
		m.acks.Observe(d.Seconds())
	}
}

// Reconnect counts one socket-mode reconnection.
func (m *Metrics) Reconnect() {
	if m != nil {
		m.reconnects.Inc()
	}
}

// ReportRun counts one scheduled report run.
func (m *Metrics) ReportRun(outcome string) {
	if m != nil {
		m.reports.WithLabelValues(outcome).Inc()
	}
}

// Claim counts one envelope claim outcome.
func (m *Metrics) Claim(outcome string) {
	if m != nil {
		m.claims.WithLabelValues(outcome).Inc()
	}
}

// Lease counts one leader-lease outcome and keeps nfmm_leader current.
func (m *Metrics) Lease(outcome string) {
	if m == nil {
		return
	}
	m.leases.WithLabelValues(outcome).Inc()
	switch outcome {
	case "acquired":
		m.leader.Set(1)
	case "lost", "expired", "released":
		m.leader.Set(0)
	}
}
