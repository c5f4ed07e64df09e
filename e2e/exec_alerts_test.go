package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/commands"
)

// TestExecAlerts checks every alert source once against the demo emulator: its participants
// with poor media show as pending poor_media alerts (a one-shot run cannot wait out
// NFMM_ALERT_MEDIA_AFTER), in text and in the versioned JSON document.
func TestExecAlerts(t *testing.T) {
	t.Setenv("CMS_NODES", "sim")
	code, out, errOut := runExec(t, "--json", "alerts")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Version int    `json:"version"`
		Kind    string `json:"kind"`
		Result  struct {
			Alerts []struct {
				Fingerprint string   `json:"fingerprint"`
				Kind        string   `json:"kind"`
				Node        string   `json:"node"`
				State       string   `json:"state"`
				Summary     string   `json:"summary"`
				Details     []string `json:"details"`
				ForSeconds  int      `json:"for_seconds"`
			} `json:"alerts"`
			Errors []string `json:"errors"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Version != commands.JSONVersion || doc.Kind != "alerts" || doc.Result.Errors == nil {
		t.Fatalf("envelope %+v", doc)
	}
	poor := 0
	for _, a := range doc.Result.Alerts {
		if a.Kind == "poor_media" {
			poor++
			if a.State != "pending" || a.ForSeconds != 60 || len(a.Fingerprint) != 16 || !strings.HasPrefix(a.Summary, "Poor media: ") {
				t.Errorf("poor media alert %+v", a)
			}
		}
	}
	if poor == 0 {
		t.Errorf("no poor_media alert from the demo's bad legs: %s", out)
	}

	code, out, errOut = runExec(t, "alerts")
	if code != 0 || !strings.Contains(out, "poor_media") || !strings.Contains(out, "pending (fires after 1 min)") {
		t.Errorf("text: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut = runExec(t, "alerts", "now"); code != 2 || !strings.Contains(errOut, "alerts takes no argument") {
		t.Errorf("alerts now: exit %d, %s", code, errOut)
	}
}
