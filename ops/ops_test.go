package ops

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/prometheus/client_golang/prometheus"
)

func TestHealthz(t *testing.T) {
	up := NodeHealth{Name: "cb1", Reachable: true}
	down := NodeHealth{Name: "cb2", Error: "dial tcp: connection refused"}
	tests := []struct {
		name     string
		report   HealthReport
		wantCode int
		wantBody string
	}{
		{"all good", HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{up}}, 200,
			`{"status":"ok","slack":{"connected":true},"nodes":[{"name":"cb1","reachable":true}]}`},
		{"one node down", HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{up, down}}, 200,
			`{"status":"degraded","reasons":["node cb2 unreachable"],"slack":{"connected":true},"nodes":[{"name":"cb1","reachable":true},{"name":"cb2","reachable":false,"error":"dial tcp: connection refused"}]}`},
		{"slack disconnected", HealthReport{Nodes: []NodeHealth{up}}, 503,
			`{"status":"down","reasons":["Slack socket not connected"],"slack":{"connected":false},"nodes":[{"name":"cb1","reachable":true}]}`},
		{"every node down", HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{down}}, 503,
			`{"status":"down","reasons":["node cb2 unreachable","no CMS node reachable"],"slack":{"connected":true},"nodes":[{"name":"cb2","reachable":false,"error":"dial tcp: connection refused"}]}`},
		{"a user group cannot be read", HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{up},
			Degraded: []string{"Slack user group S1 cannot be read (missing_scope): its members are not trusted"}}, 200,
			`{"status":"degraded","reasons":["Slack user group S1 cannot be read (missing_scope): its members are not trusted"],"slack":{"connected":true},"nodes":[{"name":"cb1","reachable":true}]}`},
		{"store up, leading", HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{up}, Store: &StoreHealth{Engine: "postgres", Reachable: true, Leader: true}}, 200,
			`{"status":"ok","slack":{"connected":true},"nodes":[{"name":"cb1","reachable":true}],"store":{"engine":"postgres","reachable":true,"leader":true}}`},
		{"store unreachable: degraded, reads still work", HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{up}, Store: &StoreHealth{Engine: "postgres", Error: "unreachable: dial tcp 127.0.0.1:5432: connection refused"}}, 200,
			`{"status":"degraded","reasons":["store unreachable: changes are refused until it is back"],"slack":{"connected":true},"nodes":[{"name":"cb1","reachable":true}],"store":{"engine":"postgres","reachable":false,"leader":false,"error":"unreachable: dial tcp 127.0.0.1:5432: connection refused"}}`},
		{"two clusters, one node down: the reason names its cluster", HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{
			{Cluster: "emea", Name: "cb1", Reachable: true}, {Cluster: "amer", Name: "cb1", Reachable: true}, {Cluster: "amer", Name: "cb2", Error: "timeout"}}}, 200,
			`{"status":"degraded","reasons":["node amer/cb2 unreachable"],"slack":{"connected":true},"nodes":[{"cluster":"emea","name":"cb1","reachable":true},{"cluster":"amer","name":"cb1","reachable":true},{"cluster":"amer","name":"cb2","reachable":false,"error":"timeout"}]}`},
		{"two clusters, one wholly down: degraded, the other still serves", HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{
			{Cluster: "emea", Name: "cb1", Reachable: true}, {Cluster: "amer", Name: "cb1", Error: "timeout"}}}, 200,
			`{"status":"degraded","reasons":["node amer/cb1 unreachable","no CMS node of cluster amer reachable"],"slack":{"connected":true},"nodes":[{"cluster":"emea","name":"cb1","reachable":true},{"cluster":"amer","name":"cb1","reachable":false,"error":"timeout"}]}`},
		{"two clusters, every node down", HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{
			{Cluster: "emea", Name: "cb1", Error: "timeout"}, {Cluster: "amer", Name: "cb1", Error: "timeout"}}}, 503,
			`{"status":"down","reasons":["node emea/cb1 unreachable","node amer/cb1 unreachable","no CMS node reachable"],"slack":{"connected":true},"nodes":[{"cluster":"emea","name":"cb1","reachable":false,"error":"timeout"},{"cluster":"amer","name":"cb1","reachable":false,"error":"timeout"}]}`},
		{"nothing known", HealthReport{}, 503,
			`{"status":"down","reasons":["Slack socket not connected","no CMS node reachable"],"slack":{"connected":false},"nodes":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer("127.0.0.1:0", func(context.Context) HealthReport { return tt.report }, nil, nil)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != tt.wantCode {
				t.Errorf("code = %d, want %d", rec.Code, tt.wantCode)
			}
			if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
				t.Errorf("body =\n%s\nwant\n%s", got, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestHealthzPassesADeadline(t *testing.T) {
	var hadDeadline bool
	s := NewServer("127.0.0.1:0", func(ctx context.Context) HealthReport {
		_, hadDeadline = ctx.Deadline()
		return HealthReport{}
	}, nil, nil)
	s.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	if !hadDeadline {
		t.Error("health func got a context without deadline; a stuck check would hang the probe")
	}
}

func TestRoutes(t *testing.T) {
	s := NewServer("127.0.0.1:0", func(context.Context) HealthReport { return HealthReport{} }, prometheus.NewRegistry(), nil)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/metrics", 200},
		{"POST", "/healthz", 405},
		{"GET", "/", 404},
		{"GET", "/debug/pprof/", 404},
	} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.want)
		}
	}
}

func TestMetricsExposition(t *testing.T) {
	reg := NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Command("calls", "ok")
	m.CMSRequest(Cluster, "cb1", "GET", 200, 30*time.Millisecond)
	m.ObserveCMS("emea", cms.RequestStat{Node: "cb2", Method: "PUT", Path: "/api/v1/callLegs/abc", Status: 0, Duration: time.Second})
	m.Ack(12 * time.Millisecond)
	m.Reconnect()
	m.ReportRun("posted")
	m.Claim("won")
	m.Claim("duplicate")
	m.Lease("acquired")

	s := NewServer("127.0.0.1:0", func(context.Context) HealthReport { return HealthReport{} }, reg, nil)
	ctx := t.Context()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	body := get(t, "http://"+s.Addr()+"/metrics")
	for _, want := range []string{
		`nfmm_commands_total{op="calls",outcome="ok"} 1`,
		`nfmm_cms_request_duration_seconds_count{cluster="default",code="200",method="GET",node="cb1"} 1`,
		`nfmm_cms_request_duration_seconds_count{cluster="emea",code="error",method="PUT",node="cb2"} 1`,
		`nfmm_slack_ack_duration_seconds_count 1`,
		`nfmm_slack_reconnects_total 1`,
		`nfmm_report_runs_total{outcome="posted"} 1`,
		`nfmm_store_claims_total{outcome="duplicate"} 1`,
		`nfmm_store_lease_total{outcome="acquired"} 1`,
		`nfmm_leader 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, "callLegs") {
		t.Error("request path leaked into labels")
	}
}

// TestNodeAndSlackMetrics: node up follows the probes, the last success moves with every 2xx
// (request or probe) and never with a failure, and the Slack gauge is read at scrape time.
func TestNodeAndSlackMetrics(t *testing.T) {
	reg := NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	connected := false
	if err := m.WatchSlack(func() bool { return connected }); err != nil {
		t.Fatal(err)
	}
	value := func(name string, labels ...string) (float64, bool) {
		t.Helper()
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() != name {
				continue
			}
			for _, mt := range f.GetMetric() {
				got := []string{}
				for _, l := range mt.GetLabel() {
					got = append(got, l.GetName()+"="+l.GetValue())
				}
				if strings.Join(got, ",") == strings.Join(labels, ",") {
					return mt.GetGauge().GetValue(), true
				}
			}
		}
		return 0, false
	}
	before := float64(time.Now().Unix())
	m.NodeProbe(Cluster, "cb1", true)
	m.NodeProbe(Cluster, "cb2", false)
	m.CMSRequest(Cluster, "cb3", "GET", 503, time.Millisecond)
	m.CMSRequest(Cluster, "cb3", "GET", 0, time.Millisecond)
	if v, _ := value("nfmm_cms_node_up", "cluster=default", "node=cb1"); v != 1 {
		t.Errorf("cb1 up = %v, want 1", v)
	}
	if v, ok := value("nfmm_cms_node_up", "cluster=default", "node=cb2"); !ok || v != 0 {
		t.Errorf("cb2 up = %v (%v), want 0", v, ok)
	}
	if v, _ := value("nfmm_cms_node_last_success_timestamp_seconds", "cluster=default", "node=cb1"); v < before {
		t.Errorf("cb1 last success = %v, want >= %v", v, before)
	}
	for _, n := range []string{"cb2", "cb3"} {
		if _, ok := value("nfmm_cms_node_last_success_timestamp_seconds", "cluster=default", "node="+n); ok {
			t.Errorf("%s has a last success, but it never succeeded", n)
		}
	}
	m.CMSRequest(Cluster, "cb3", "GET", 200, time.Millisecond)
	if v, _ := value("nfmm_cms_node_last_success_timestamp_seconds", "cluster=default", "node=cb3"); v < before {
		t.Errorf("cb3 last success after a 200 = %v", v)
	}
	m.StoreProbe("sqlite", false)
	if v, ok := value("nfmm_store_up", "engine=sqlite"); !ok || v != 0 {
		t.Errorf("store up after a failed ping = %v (%v), want 0", v, ok)
	}
	m.StoreProbe("sqlite", true)
	if v, _ := value("nfmm_store_up", "engine=sqlite"); v != 1 {
		t.Errorf("store up after a good ping = %v, want 1", v)
	}
	if v, _ := value("nfmm_slack_socket_connected"); v != 0 {
		t.Errorf("slack connected = %v, want 0", v)
	}
	connected = true
	if v, _ := value("nfmm_slack_socket_connected"); v != 1 {
		t.Errorf("slack connected = %v, want 1 once connected", v)
	}
}

func TestNilMetricsIsANoOp(t *testing.T) {
	var m *Metrics
	m.Command("calls", "ok")
	m.CMSRequest(Cluster, "cb1", "GET", 200, time.Millisecond)
	m.ObserveCMS(Cluster, cms.RequestStat{})
	m.Ack(time.Millisecond)
	m.Reconnect()
	m.ReportRun("error")
	m.NodeProbe(Cluster, "cb1", true)
	if err := m.WatchSlack(func() bool { return true }); err != nil {
		t.Error(err)
	}
	m.Claim("error")
	m.Lease("lost")
	var lm *LiveMetrics
	lm.Observe(Cluster, cms.LiveStat{Kind: cms.StatPolled, Node: "cb1", Value: 1})
	lm.ObserveFor(Cluster)(cms.LiveStat{Kind: cms.StatConnected, Node: "cb1", Value: 1})
	var am *AlertMetrics
	am.AlertsActive(Cluster, "node_down", 1)
	am.AlertNotification("ok")
	if _, err := NewMetrics(prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
}

func TestDoubleRegistrationFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	var are prometheus.AlreadyRegisteredError
	if _, err := NewMetrics(reg); !errors.As(err, &are) {
		t.Errorf("second NewMetrics err = %v, want AlreadyRegisteredError", err)
	}
}

func TestStartReportsBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := NewServer(ln.Addr().String(), nil, nil, nil)
	if err := s.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "ops: listen on") {
		t.Errorf("Start on a busy port = %v, want a listen error", err)
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Errorf("Shutdown of a never-started server = %v", err)
	}
}

func TestRunShutsDownGracefullyOnCancel(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	s := NewServer("127.0.0.1:0", func(context.Context) HealthReport {
		close(entered)
		<-release // an in-flight request that must be allowed to finish
		return HealthReport{Slack: SlackHealth{Connected: true}, Nodes: []NodeHealth{{Name: "cb1", Reachable: true}}}
	}, nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() { runErr <- s.Run(ctx, 10*time.Second) }()

	addr := waitForAddr(t, s)
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-entered
	cancel()
	close(release)
	if code := <-got; code != 200 {
		t.Errorf("in-flight request during shutdown got %d, want 200", code)
	}
	select {
	case err := <-runErr:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("still accepting connections after shutdown")
	}
}

func waitForAddr(t *testing.T, s *Server) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if a := s.Addr(); !strings.HasSuffix(a, ":0") {
			return a
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline, not a fixed wait
	}
	t.Fatal("server never started listening")
	return ""
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
