package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// promtool finds promtool (Debian's prometheus package); CI sets NFMM_REQUIRE_PROMTOOL=1 so
// the checks cannot silently skip there.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("NFMM_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("promtool not found and NFMM_REQUIRE_PROMTOOL=1 (apt-get install prometheus)")
		}
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	return p
}

func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = "monitoring"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestAlertRules: the rules load, and their unit tests (alerts_test.yml) pass.
func TestAlertRules(t *testing.T) {
	runPromtool(t, "check", "rules", "alerts.yml")
	runPromtool(t, "test", "rules", "alerts_test.yml")
	runPromtool(t, "check", "config", "prometheus.yml")
}

// dashboard is what the tests read of monitoring/dashboard.json.
type dashboard struct {
	UID    string `json:"uid"`
	Panels []struct {
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			Expr   string `json:"expr"`
			Legend string `json:"legendFormat"`
		} `json:"targets"`
	} `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile("monitoring/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	return d
}

// TestDashboardQueriesParse: every query of the Grafana dashboard is valid PromQL, checked by
// promtool as recording rules with the dashboard variables filled in.
func TestDashboardQueriesParse(t *testing.T) {
	tool := promtool(t)
	d := readDashboard(t)
	if d.UID == "" {
		t.Error("dashboard.json has no uid (links and provisioning need one)")
	}
	vars := strings.NewReplacer("$job", "nfmm", "$instance", ".*", "$cluster", ".*", "$__rate_interval", "5m")
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, p := range d.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			n++
			q, _ := json.Marshal(vars.Replace(tg.Expr)) // a JSON string is a YAML string
			fmt.Fprintf(&rules, "      - record: dashboard:query%d\n        expr: %s\n", n, q)
		}
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(path, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("dashboard queries are not valid PromQL: %v\n%s\n%s", err, out, rules.String())
	}
}

// clusterMetric matches the metrics that carry a cluster label (ops: every per-node and
// per-cluster series).
var clusterMetric = regexp.MustCompile(`\bnfmm_(cms_[a-z_]+|live_changes_total|alerts_active)\b`)

// TestDashboardKeepsClustersApart: two clusters may both have a node cb1, so every dashboard
// query of a cluster-labelled metric follows the $cluster variable, groups by cluster when it
// aggregates, and names the cluster in its legend.
func TestDashboardKeepsClustersApart(t *testing.T) {
	d := readDashboard(t)
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if !clusterMetric.MatchString(tg.Expr) {
				continue
			}
			n++
			if !strings.Contains(tg.Expr, `cluster=~"$cluster"`) {
				t.Errorf("panel %q: %s does not follow the cluster variable", p.Title, tg.Expr)
			}
			for _, by := range groupBy.FindAllStringSubmatch(tg.Expr, -1) {
				if !slices.Contains(strings.Split(strings.ReplaceAll(by[1], " ", ""), ","), "cluster") {
					t.Errorf("panel %q: %s aggregates the clusters together", p.Title, tg.Expr)
				}
			}
			if !strings.Contains(tg.Legend, "{{cluster}}") {
				t.Errorf("panel %q: legend %q does not name the cluster", p.Title, tg.Legend)
			}
		}
	}
	if n < 8 {
		t.Fatalf("found %d queries of cluster-labelled metrics: the parsing is broken", n)
	}
}

var groupBy = regexp.MustCompile(`\bby \(([^)]*)\)`)
