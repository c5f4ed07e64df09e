package commands

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"}, {45 * time.Second, "45 s"}, {7*time.Minute + 12*time.Second, "7 min 12 s"},
		{5 * time.Minute, "5 min"}, {2*time.Hour + 5*time.Minute + 3*time.Second, "2 h 5 min"},
		{76 * time.Hour, "3 d 4 h"},
	}
	for _, tt := range tests {
		if got := HumanDuration(tt.d); got != tt.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func sampleAlerts() *AlertsResult {
	return &AlertsResult{AsOf: asOf, Errors: []string{"cb3 did not answer in time."}, Alerts: []AlertRow{
		{Fingerprint: "0123456789abcdef", Kind: "node_down", Cluster: "default", Node: "cb2", State: "firing",
			Summary: "cb2 is unreachable", Details: []string{"cb2 did not answer in time."}, Since: asOf.Add(-7 * time.Minute), For: 30 * time.Second},
		{Fingerprint: "fedcba9876543210", Kind: "poor_media", Cluster: "default", Node: "cb1", Object: "a1b2c3d4-0000-4000-8000-000000000001",
			State: "pending", Summary: "Poor media: Bob\tTab in Board review (cb1)", Since: asOf.Add(-20 * time.Second), For: time.Minute,
			AckedBy: "U0OPS1"}}}
}

// TestAlertsJSON pins `nfmm exec --json alerts` (times in UTC; what only Slack shows, such as
// who acknowledged, stays out) and checks it against its schema.
func TestAlertsJSON(t *testing.T) {
	b, err := MarshalResult(sampleAlerts())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "alerts.json", append(b, '\n'))
	validateDoc(t, execSchemas(t), "alerts", b)
}

// TestAlertsText: one row per alert, the pending one with its delay, untrusted text on one
// line, and times in the terminal's zone.
func TestAlertsText(t *testing.T) {
	var buf bytes.Buffer
	if err := FormatText(&buf, sampleAlerts()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	want := [][]string{
		{"KIND", "NODE", "STATE", "SINCE", "SUMMARY"},
		{"node_down", "cb2", "firing", asOf.Add(-7 * time.Minute).Local().Format("2006-01-02 15:04:05"), "cb2 is unreachable"},
		{"poor_media", "cb1", "pending (fires after 1 min)", "Poor media: Bob Tab in Board review (cb1)"},
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	for i, w := range want {
		for _, part := range w {
			if !strings.Contains(lines[i], part) {
				t.Errorf("line %d lacks %q: %q", i, part, lines[i])
			}
		}
	}
	buf.Reset()
	_ = FormatText(&buf, &AlertsResult{Off: true})
	if !strings.Contains(buf.String(), "Alerts are off") {
		t.Errorf("off: %q", buf.String())
	}
}

// TestAlertsCommand: `alerts` is in the table for viewers, takes no argument, and answers
// "off" without an evaluator.
func TestAlertsCommand(t *testing.T) {
	svc := New(Config{Cluster: &fakeCluster{}, Policy: Policy{Viewers: []string{"V1"}}})
	viewer := Actor{UserID: "V1", ChannelID: "C1"}
	r, err := svc.Run(context.Background(), viewer, "alerts")
	if err != nil || !r.(*AlertsResult).Off {
		t.Fatalf("alerts without an evaluator: %#v, %v", r, err)
	}
	if _, err := svc.Run(context.Background(), Actor{UserID: "U9", ChannelID: "C1"}, "alerts"); err == nil {
		t.Error("a user with no role read the alerts")
	}
	var ue *UsageError
	if _, err := svc.Run(context.Background(), viewer, "alerts now"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "alerts takes no argument") {
		t.Errorf("alerts now: %v", err)
	}
	svc.SetAlerts(fixedAlerts{sampleAlerts()})
	r, err = svc.Run(context.Background(), viewer, "alerts")
	if err != nil || len(r.(*AlertsResult).Alerts) != 2 {
		t.Fatalf("alerts: %#v, %v", r, err)
	}
	help, _ := svc.Run(context.Background(), viewer, "help")
	var listed bool
	for _, e := range help.(*HelpResult).Entries {
		listed = listed || e.Name == "alerts"
	}
	if !listed {
		t.Error("help does not list alerts")
	}
}

type fixedAlerts struct{ r *AlertsResult }

func (f fixedAlerts) ActiveAlerts(context.Context) *AlertsResult { return f.r }
