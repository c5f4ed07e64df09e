package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
)

// TestRunPostsScheduledReportsAndServesOps runs `nfmm run` with a report schedule and the
// operations endpoint on a free loopback port: the report reaches its channel, /healthz is
// healthy, /metrics counts the report run and exports what the monitoring kit uses.
func TestRunPostsScheduledReportsAndServesOps(t *testing.T) {
	fake := slackfake.NewTest(t)
	run := startRun(t, map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-1111111111-2222222222-reporttestvalue",
		"SLACK_APP_TOKEN":      "xapp-1-A0123456789-3333333333-reporttestvalue",
		"SLACK_API_URL":        fake.APIURL(),
		"CMS_NODES":            "sim",
		"NFMM_HTTP_ADDR":       freeAddr(t),
		"NFMM_REPORT_SCHEDULE": "@every 10s > CREPORT01", // the shortest interval config accepts
		"NFMM_OPERATORS":       monitorOperator,
		"NFMM_ALERT_CHANNEL":   "CALERTS01", // nfmm_alerts_active, which the dashboard shows
	})
	code, stderr := run.code, &run.stderr

	wctx, wcancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer wcancel()
	posted := make(chan error, 1)
	go func() {
		_, err := fake.WaitMessage(wctx, "CREPORT01", func(m slackfake.Message) bool {
			return strings.Contains(m.Text, "NFMM report")
		})
		posted <- err
	}()
	select {
	case c := <-code:
		t.Fatalf("nfmm run exited with %d before posting a report:\n%s", c, stderr.String())
	case err := <-posted:
		if err != nil {
			t.Fatalf("no scheduled report: %v\n%s", err, stderr.String())
		}
	}
	base := "http://" + opsAddr(t, stderr.String())
	if err := fake.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	if body, status := get(t, base+"/healthz"); status != http.StatusOK || !strings.Contains(body, `"connected":true`) {
		t.Errorf("/healthz = %d %s, want 200 with Slack connected", status, body)
	}
	// Every emulated node has the Events API: /healthz says each is live, and since when.
	for body, _ := get(t, base+"/healthz"); strings.Count(body, `"live":"live","live_since":`) != 3; body, _ = get(t, base+"/healthz") {
		if wctx.Err() != nil {
			t.Fatalf("/healthz does not say every node is live:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The run is counted just after its post lands, so give the counter until the deadline.
	for body, _ := get(t, base+"/metrics"); !strings.Contains(body, `nfmm_report_runs_total{outcome="posted"}`); body, _ = get(t, base+"/metrics") {
		if wctx.Err() != nil {
			t.Fatalf("/metrics does not count the posted report:\n%s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkMonitoringKit(t, fake, base) // deploy/monitoring against this running instance
	// CMS_NODES is one cluster, "default": its per-node and per-cluster series say so.
	body, _ := get(t, base+"/metrics")
	for _, want := range []string{`nfmm_cms_request_duration_seconds_count{cluster="default",code="200",method="GET",node="cb1"} `,
		`nfmm_cms_events_connected{cluster="default",node="cb1"} 1`, `nfmm_cms_polled_nodes{cluster="default"} 0`,
		`nfmm_cms_events_received_total{cluster="default",type="rosterUpdate"} `, `nfmm_alerts_active{cluster="default",kind="node_down"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	run.stop(wctx, t)
}

// freeAddr is a loopback address with a port that was free a moment ago (the configuration
// does not accept port 0).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// opsAddr finds the operations endpoint's address in the JSON log.
func opsAddr(t *testing.T, log string) string {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "operations endpoint listening" {
			return rec.Addr
		}
	}
	t.Fatalf("the log does not say where the operations endpoint listens:\n%s", log)
	return ""
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return string(b), resp.StatusCode
}
