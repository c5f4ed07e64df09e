package bot

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/slack-go/slack"
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

// TestSendErrTellsLostAnswers: only a failure after which Slack may hold the message wraps
// alerts.ErrMaybeSent (the evaluator then looks before sending again); a failure Slack answered,
// or a connection never made, does not.
func TestSendErrTellsLostAnswers(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		maybe bool
	}{
		{"429", &slack.RateLimitedError{RetryAfter: time.Second}, false},
		{"slack error code", slack.SlackErrorResponse{Err: "channel_not_found"}, false},
		{"4xx", slack.StatusCodeError{Code: 400, Status: "400 Bad Request"}, false},
		{"5xx", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, true},
		{"refused", &url.Error{Op: "Post", URL: "http://127.0.0.1:1/api/chat.postMessage", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, false},
		{"reset after the request", &url.Error{Op: "Post", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}, true},
		{"EOF", &url.Error{Op: "Post", Err: io.EOF}, true},
		{"timeout", &url.Error{Op: "Post", Err: context.DeadlineExceeded}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sendErr("chat.postMessage", tc.err)
			if got := errors.Is(err, alerts.ErrMaybeSent); got != tc.maybe {
				t.Errorf("sendErr(%v) maybe sent = %v, want %v", tc.err, got, tc.maybe)
			}
			if !strings.Contains(err.Error(), tc.err.Error()) {
				t.Errorf("sendErr lost the cause: %v", err)
			}
		})
	}
	var ra alerts.RetryAfterError
	if !errors.As(sendErr("chat.postMessage", &slack.RateLimitedError{RetryAfter: 3 * time.Second}), &ra) || ra.RetryAfter() != 3*time.Second {
		t.Error("a 429 lost its Retry-After")
	}
}

// TestFindErr: a missing scope or an unreadable channel cannot be looked in (ErrCannotFind,
// naming the scope); anything else is retried.
func TestFindErr(t *testing.T) {
	tests := []struct {
		err    error
		cannot bool
		says   string
	}{
		{slack.SlackErrorResponse{Err: "missing_scope"}, true, "channels:history"},
		{slack.SlackErrorResponse{Err: "not_in_channel"}, true, "/invite"},
		{slack.SlackErrorResponse{Err: "internal_error"}, false, "internal_error"},
		{&slack.RateLimitedError{RetryAfter: time.Second}, false, "rate limit"},
	}
	for _, tc := range tests {
		err := findErr("conversations.history", tc.err)
		if errors.Is(err, alerts.ErrCannotFind) != tc.cannot || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("findErr(%v) = %v, want cannot-find %v, saying %q", tc.err, err, tc.cannot, tc.says)
		}
	}
	n := alertNotifier{}
	if _, _, _, err := n.Find(context.Background(), "#ops", "", testAlert(), alerts.Delivery{Kind: alerts.DeliverPost}); !errors.Is(err, alerts.ErrCannotFind) {
		t.Errorf("Find in a channel given by name: %v, want ErrCannotFind", err)
	}
}
