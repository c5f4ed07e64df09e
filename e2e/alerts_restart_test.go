package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// TestAlertSurvivesProcessRestart runs `nfmm run` (the whole runtime, real clock) against an
// emulator and the fake Slack with NFMM_DATA_DIR: a node goes down and its alert is posted;
// NFMM stops and starts again (a new process' worth of state, from SQLite); the alert is not
// posted again, and the recovery lands in the first message's thread.
func TestAlertSurvivesProcessRestart(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var nodes []string
	for _, n := range sim.Nodes() {
		nodes = append(nodes, n.Name+"="+n.URL)
	}
	fake := slackfake.NewTest(t)
	env := map[string]string{
		"SLACK_BOT_TOKEN":            "xoxb-1111111111-2222222222-alertrestartvalue",
		"SLACK_APP_TOKEN":            "xapp-1-A0123456789-3333333333-alertrestartvalue",
		"SLACK_API_URL":              fake.APIURL(),
		"CMS_NODES":                  strings.Join(nodes, ","),
		"CMS_USERNAME":               sim.Username,
		"CMS_PASSWORD":               sim.Password,
		"CMS_TIMEOUT":                "1s",
		"NFMM_HTTP_ADDR":             "off",
		"NFMM_ALERT_CHANNEL":         alertChannel,
		"NFMM_ALERT_NODE_DOWN_AFTER": "2s",
		"NFMM_DATA_DIR":              t.TempDir(),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tops := func() []slackfake.Message {
		var out []slackfake.Message
		for _, m := range fake.Messages(alertChannel) {
			if m.ThreadTS == "" {
				out = append(out, m)
			}
		}
		return out
	}

	run := startRun(t, env)
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatalf("not connected: %v\n%s", err, run.stderr.String())
	}
	sim.SetDown("cb2", true)
	top, err := fake.WaitMessage(ctx, alertChannel, func(m slackfake.Message) bool {
		return m.ThreadTS == "" && strings.Contains(m.Text, "cb2 is unreachable")
	})
	if err != nil {
		t.Fatalf("no alert: %v\n%s", err, run.stderr.String())
	}
	run.stop(ctx, t)
	first := run.stderr.String()

	run = startRun(t, env)
	defer run.stop(ctx, t)
	// Long enough for the new process to probe cb2 several times and fire if it had forgotten.
	time.Sleep(6 * time.Second)
	if got := tops(); len(got) != 1 {
		t.Fatalf("after the restart %d top-level messages, want the one: %s\n%s", len(got), texts(got), first+"\n---\n"+run.stderr.String())
	}
	sim.SetDown("cb2", false)
	if _, err := fake.WaitMessage(ctx, alertChannel, func(m slackfake.Message) bool {
		return m.ThreadTS == top.TS && strings.Contains(m.Text, "✅ recovered after")
	}); err != nil {
		t.Fatalf("no recovery in the first message's thread: %v\n%s", err, run.stderr.String())
	}
	if got := tops(); len(got) != 1 {
		t.Errorf("top-level messages %s, want one", texts(got))
	}
}

func texts(ms []slackfake.Message) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  %s %q", m.TS, m.Text)
	}
	return b.String()
}
