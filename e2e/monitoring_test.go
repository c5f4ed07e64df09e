package e2e

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
)

// fromOtherFeatures are metrics the monitoring kit already uses that this runtime does not
// export yet; each names what will export it. A name leaves this list when it appears in
// /metrics (the test then says so), so the list cannot go stale.
var fromOtherFeatures = map[string]string{
	// empty: every metric the kit uses is exported today
}

// monitorOperator is the operator the kit check acts as (the run's NFMM_OPERATORS).
const monitorOperator = "U0MONITOR1"

// prometheusOwn are series Prometheus makes itself, not NFMM.
var prometheusOwn = map[string]bool{"up": true, "ALERTS": true}

var metricName = regexp.MustCompile(`\b(nfmm_[a-z0-9_]+|up|ALERTS)\b`)

// kitMetrics returns the metric names the dashboard's queries and the alert rules use.
func kitMetrics(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{} // name -> where
	dash, err := os.ReadFile("../deploy/monitoring/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(dash, &d); err != nil {
		t.Fatalf("dashboard.json is not valid JSON: %v", err)
	}
	exprs := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			exprs++
			for _, m := range metricName.FindAllString(tg.Expr, -1) {
				used[m] = append(used[m], "dashboard panel "+p.Title)
			}
		}
	}
	rules, err := os.ReadFile("../deploy/monitoring/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	// An expression is the expr: line and the lines indented deeper than it (a | block).
	exprIndent := -1
	for _, line := range strings.Split(string(rules), "\n") {
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case strings.HasPrefix(trimmed, "#"):
			continue
		case strings.HasPrefix(trimmed, "expr:"):
			exprIndent = indent
		case exprIndent >= 0 && (indent <= exprIndent || trimmed == ""):
			exprIndent = -1
		}
		if exprIndent >= 0 {
			exprs++
			for _, m := range metricName.FindAllString(strings.TrimPrefix(trimmed, "expr:"), -1) {
				used[m] = append(used[m], "alerts.yml")
			}
		}
	}
	if exprs < 18 || len(used) < 8 {
		t.Fatalf("found %d dashboard queries and %d metric names: the parsing is broken", exprs, len(used))
	}
	return used
}

// scrapedNames are the series names in a Prometheus text exposition.
func scrapedNames(body string) map[string]bool {
	names := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	return names
}

// checkMonitoringKit drives a read and a mute (operator) through the running bot, so the
// command, ack, CMS and live-state series exist, then scrapes /metrics and
// requires every metric the dashboard and the alert rules use to be exported, except the ones
// listed as coming from features not built yet. base is the operations endpoint.
func checkMonitoringKit(t *testing.T, fake *slackfake.Server, base string) {
	t.Helper()
	for _, text := range []string{"status", "mute 6042ecc8 both"} {
		if _, err := fake.SlashCommand(monitorOperator, "C1", "/cms", text); err != nil {
			t.Fatal(err)
		}
	}
	// Every series the commands above make appear, so the check below reads a settled scrape.
	want := []string{"nfmm_commands_total", "nfmm_slack_ack_duration_seconds_bucket", "nfmm_cms_node_up", "nfmm_report_runs_total",
		"nfmm_live_changes_total", "nfmm_cms_events_received_total", "nfmm_store_claims_total"}
	var names map[string]bool
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		body, _ := get(t, base+"/metrics")
		names = scrapedNames(body)
		if !slices.ContainsFunc(want, func(n string) bool { return !names[n] }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks one of %v after a command:\n%s", want, body)
		}
	}
	used := kitMetrics(t)
	for name, where := range used {
		_, later := fromOtherFeatures[name]
		switch {
		case prometheusOwn[name]:
		case names[name] && later:
			t.Errorf("%s is exported now: remove it from fromOtherFeatures", name)
		case !names[name] && !later:
			t.Errorf("%s (used by %s) is not in /metrics", name, strings.Join(slices.Compact(slices.Sorted(slices.Values(where))), ", "))
		}
	}
	for name := range fromOtherFeatures {
		if _, ok := used[name]; !ok {
			t.Errorf("fromOtherFeatures lists %s, which the kit does not use", name)
		}
	}
}
