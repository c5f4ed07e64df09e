package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
)

// TestRestartOnSQLiteKeepsDedupeAndCatchUp restarts `nfmm run` on one NFMM_DATA_DIR:
//   - an envelope handled before the restart and redelivered after it is acked, not run again;
//   - a report firing missed while NFMM was down is posted after the restart, marked late,
//     and only once.
func TestRestartOnSQLiteKeepsDedupeAndCatchUp(t *testing.T) {
	fake := slackfake.NewTest(t)
	env := map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-1111111111-2222222222-restarttestval",
		"SLACK_APP_TOKEN":      "xapp-1-A0123456789-3333333333-restarttestval",
		"SLACK_API_URL":        fake.APIURL(),
		"CMS_NODES":            "sim",
		"NFMM_HTTP_ADDR":       "off",
		"NFMM_DATA_DIR":        t.TempDir(),
		"NFMM_REPORT_SCHEDULE": "@every 10s > CREPORT01",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	isReport := func(m slackfake.Message) bool { return strings.Contains(m.Text, "NFMM report") }

	// Run 1: answer a command, post one scheduled report, stop.
	run := startRun(t, env)
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	cmd, err := fake.SlashCommand("U0VIEWER1", "C0123ABCD", "/cms", "help")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.WaitMessage(ctx, "C0123ABCD", func(m slackfake.Message) bool { return m.Ephemeral }); err != nil {
		t.Fatalf("no answer to help: %v\n%s", err, run.stderr.String())
	}
	if _, err := fake.WaitMessage(ctx, "CREPORT01", isReport); err != nil {
		t.Fatalf("no scheduled report: %v\n%s", err, run.stderr.String())
	}
	run.stop(ctx, t)
	answers := len(fake.EphemeralFor("U0VIEWER1", "C0123ABCD"))

	// Down across the next fire time (reports fire on multiples of 10 s).
	time.Sleep(11 * time.Second)

	// Run 2 on the same data directory.
	run = startRun(t, env)
	if _, err := fake.WaitMessage(ctx, "CREPORT01", func(m slackfake.Message) bool {
		return isReport(m) && strings.HasPrefix(m.Text, "(late)") && strings.Contains(string(m.Blocks), "Posted late")
	}); err != nil {
		t.Fatalf("the missed firing was not caught up: %v\n%s", err, run.stderr.String())
	}
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Redeliver(cmd.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // room for a second answer, if there were one
	if n := len(fake.EphemeralFor("U0VIEWER1", "C0123ABCD")); n != answers {
		t.Errorf("after the restart a redelivered envelope was answered again: %d answers, want %d", n, answers)
	}
	if !strings.Contains(run.stderr.String(), "envelope already claimed") {
		t.Errorf("the redelivery was not recognised as claimed:\n%s", run.stderr.String())
	}
	run.stop(ctx, t)
	late := 0
	for _, m := range fake.Messages("CREPORT01") {
		if isReport(m) && strings.HasPrefix(m.Text, "(late)") {
			late++
		}
	}
	if late != 1 {
		t.Errorf("%d late reports, want exactly 1", late)
	}
}
