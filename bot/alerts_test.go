package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/alerts"
)

func testAlert() alerts.Alert {
	k := alerts.Key{Kind: alerts.KindPoorMedia, Cluster: alerts.DefaultCluster, Node: "cb2", Object: uuid("1e", 7)}
	return alerts.Alert{Key: k, Fingerprint: k.Fingerprint(), State: alerts.StateFiring,
		Summary: "Poor media: <!channel> *Bob* in Board (cb2)", Lines: []string{"worst stream: rx video main: packet loss 12.0 %"},
		Since: testAsOf.Add(-7*time.Minute - 12*time.Second), FiredAt: testAsOf.Add(-6 * time.Minute),
		Target: alerts.Target{Node: "cb2", Leg: uuid("1e", 7), Label: "Bob"}}
}

// TestGoldenAlerts pins the alert message in its states and `/cms alerts`; CMS-derived text
// is escaped (a participant called <!channel> pings nobody), every message within the limits.
func TestGoldenAlerts(t *testing.T) {
	firing := testAlert()
	acked := firing
	acked.AckedBy, acked.AckedAt = "U0OPS1", testAsOf
	silenced := firing
	silenced.SilencedBy, silenced.SilencedUntil = "U0OPS1", testAsOf.Add(time.Hour)
	resolved := firing
	resolved.State, resolved.ResolvedAt = alerts.StateResolved, testAsOf
	tests := []struct {
		name string
		msg  message
	}{
		{"alert_firing", renderAlert(firing, testAsOf, time.UTC)},
		{"alert_acked", renderAlert(acked, testAsOf, time.UTC)},
		{"alert_silenced", renderAlert(silenced, testAsOf, time.UTC)},
		{"alert_resolved", renderAlert(resolved, testAsOf, time.UTC)},
		{"alerts_list", renderAlertList(alerts.Rows([]alerts.Alert{firing, acked}, nil, testAsOf), testAsOf, time.UTC)},
		{"alerts_none", renderAlertList(alerts.Rows(nil, nil, testAsOf), testAsOf, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := checkLimits(tt.msg); len(errs) > 0 {
				t.Errorf("breaks Slack limits: %v", errs)
			}
			if raw := string(marshal(t, tt.msg)); strings.Contains(raw, "<!channel>") {
				t.Errorf("CMS text not escaped: %s", raw)
			}
			assertGolden(t, tt.name, tt.msg)
		})
	}
	if strings.Contains(string(marshal(t, renderAlert(acked, testAsOf, time.UTC))), actAlertAck) {
		t.Error("an acknowledged alert still offers Ack")
	}
	if strings.Contains(string(marshal(t, renderAlert(resolved, testAsOf, time.UTC))), actAlertSilence1h) {
		t.Error("a resolved alert still offers buttons")
	}
}

func TestAlertsListBounded(t *testing.T) {
	var many []alerts.Alert
	for range 60 {
		many = append(many, testAlert())
	}
	m := renderAlertList(alerts.Rows(many, nil, testAsOf), testAsOf, time.UTC)
	if errs := checkLimits(m); len(errs) > 0 {
		t.Errorf("60 alerts break Slack limits: %v", errs)
	}
	if !strings.Contains(string(marshal(t, m)), "and 20 more") {
		t.Error("no 'and 20 more' line")
	}
}

func TestEscapeReplyKeepsMentions(t *testing.T) {
	got := escapeReply("👀 acknowledged by <@U0OPS1> · <!channel> <@not a user>")
	if !strings.Contains(got, "<@U0OPS1>") || strings.Contains(got, "<!channel>") || strings.Contains(got, "<@not") {
		t.Errorf("escapeReply = %q", got)
	}
}
