package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
)

const (
	auditOp     = "U0AUDITOP1"
	auditViewer = "U0AUDITVW1"
)

// TestAuditThroughSlackAndExec: an operator mutes a participant and a viewer tries to
// disconnect one, through the real runtime and the fake Slack; `/cms audit` then tells who did
// what, before → after, newest first, by meeting, by user and for today; a viewer may not read
// it; bad input gets the usage. After the runtime stops, `nfmm exec audit` reads the same
// store.
func TestAuditThroughSlackAndExec(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddMeeting(cmssim.MeetingSpec{Name: "Board meeting", Participants: []cmssim.ParticipantSpec{
		{Name: "Ann Smith", URI: "ann.smith@corp.test", Node: "cb1"},
		{Name: "Bob Jones", URI: "bob.jones@corp.test", Node: "cb2"},
	}})
	sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{{Name: "Dee Park", Node: "cb2"}}})

	fake := slackfake.NewTest(t)
	dataDir := t.TempDir()
	nodes := cmsNodesValue(sim)
	cfg, err := config.LoadEnviron([]string{
		"SLACK_BOT_TOKEN=xoxb-1111111111-2222222222-audittestvalue00",
		"SLACK_APP_TOKEN=xapp-1-A0123456789-3333333333-audittestvalue00",
		"SLACK_API_URL=" + fake.APIURL(),
		"CMS_NODES=" + nodes, "CMS_USERNAME=" + sim.Username, "CMS_PASSWORD=" + sim.Password,
		"NFMM_HTTP_ADDR=off", "NFMM_DATA_DIR=" + dataDir,
		"NFMM_OPERATORS=" + auditOp, "NFMM_VIEWERS=" + auditViewer,
	}, config.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	// Each action a minute after the last, so newest first is one order (the store orders
	// events of the same millisecond by id).
	now := time.Now()
	clk := &testClock{t: time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, time.Local)}
	rt, err := app.New(ctx, cfg, app.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(rctx) }()
	stopped := false
	stopRuntime := func() {
		if !stopped {
			stopped = true
			stop()
			<-done
			rt.Close()
		}
	}
	defer stopRuntime()
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	// ask sends a command and waits for a new answer to user that matches.
	ask := func(user, text string, match func(slackfake.Message) bool) slackfake.Message {
		t.Helper()
		seen := map[string]bool{}
		for _, m := range fake.Messages("C0AUDIT") {
			seen[m.TS] = true
		}
		if _, err := fake.SlashCommand(user, "C0AUDIT", "/cms", text); err != nil {
			t.Fatal(err)
		}
		m, err := fake.WaitMessage(ctx, "C0AUDIT", func(m slackfake.Message) bool { return !seen[m.TS] && m.VisibleTo == user && match(m) })
		if err != nil {
			for _, m := range fake.Messages("C0AUDIT") {
				t.Logf("%s eph=%v: %s %s", m.VisibleTo, m.Ephemeral, m.Text, m.Blocks)
			}
			t.Fatalf("/cms %s: no answer: %v", text, err)
		}
		return m
	}
	// blocks is a message's blocks as text, with JSON's escapes of <, > and & undone.
	blocks := func(m slackfake.Message) string {
		return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(m.Blocks))
	}
	has := func(s string) func(slackfake.Message) bool {
		return func(m slackfake.Message) bool { return strings.Contains(blocks(m), s) || strings.Contains(m.Text, s) }
	}

	ask(auditOp, "mute bob", has("Bob Jones"))
	clk.Advance(time.Minute)
	ask(auditOp, "layout park speakerOnly", has("Dee Park"))
	clk.Advance(time.Minute)
	ask(auditViewer, "disconnect ann", has("operators"))
	clk.Advance(time.Minute)

	// By meeting: the mute, with its before → after, and not the standup's layout. (The
	// viewer's refused disconnect named no meeting: it was refused before NFMM looked.)
	b := blocks(ask(auditOp, "audit board", has("audit event")))
	for _, want := range []string{"1 audit event", "*mute (audio)*", "Bob Jones", "audio: unmuted → muted", "<@" + auditOp + ">", "in *Board meeting* (cb2)"} {
		if !strings.Contains(b, want) {
			t.Errorf("audit board lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(b, "Dee Park") {
		t.Errorf("the standup's layout is in the board's audit:\n%s", b)
	}
	// By user, as a mention: only that user's events, newest first.
	b = blocks(ask(auditOp, "audit <@"+auditOp+"|olivia>", has("audit events")))
	if !strings.Contains(b, "2 audit events") || strings.Contains(b, "*disconnect*") {
		t.Errorf("audit by the operator:\n%s", b)
	}
	if i, j := strings.Index(b, "layout: (default) → speakerOnly"), strings.Index(b, "audio: unmuted → muted"); i < 0 || j < 0 || i > j {
		t.Errorf("not newest first:\n%s", b)
	}
	b = blocks(ask(auditOp, "audit <@"+auditViewer+">", has("audit event")))
	if !strings.Contains(b, "*disconnect*") || !strings.Contains(b, "refused: Only NFMM operators") {
		t.Errorf("audit by the viewer:\n%s", b)
	}
	b = blocks(ask(auditOp, "audit today", has("audit events")))
	if !strings.Contains(b, "3 audit events") {
		t.Errorf("audit today:\n%s", b)
	}
	// A viewer may not read it; bad input gets audit's usage.
	if m := ask(auditViewer, "audit", has("⚠️")); !m.Ephemeral || !strings.Contains(m.Text+blocks(m), "operators") {
		t.Errorf("a viewer's audit: %s %s", m.Text, m.Blocks)
	}
	if m := ask(auditOp, "audit <@nobody>", has("usage")); !strings.Contains(blocks(m), "audit [<meeting>|<user>|today]") {
		t.Errorf("bad mention: %s", m.Blocks)
	}
	// Slack sends /cms text unescaped: a typed @name is a name, which the history does not keep.
	if m := ask(auditOp, "audit @olivia", has("usage")); !strings.Contains(blocks(m), "Copy member ID") {
		t.Errorf("@name: %s", m.Blocks)
	}

	// The terminal reads the same store once the runtime has stopped.
	stopRuntime()
	t.Setenv("CMS_NODES", "sim")
	t.Setenv("NFMM_DATA_DIR", dataDir)
	code, out, errOut := runExec(t, "--json", "audit", "today")
	if code != 0 {
		t.Fatalf("exec audit: exit %d: %s", code, errOut)
	}
	var doc struct {
		Kind   string `json:"kind"`
		Result struct {
			Search string `json:"search"`
			Events []struct {
				Actor   string `json:"actor"`
				Op      string `json:"op"`
				Outcome string `json:"outcome"`
				Changes []struct {
					Field, Before, After string
				} `json:"changes"`
			} `json:"events"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	ev := doc.Result.Events
	if doc.Kind != "audit" || doc.Result.Search != "today" || len(ev) != 3 || ev[0].Op != "disconnect" || ev[0].Outcome != "denied" ||
		ev[2].Op != "mute" || ev[2].Actor != auditOp || len(ev[2].Changes) != 1 || ev[2].Changes[0].Before != "unmuted" || ev[2].Changes[0].After != "muted" {
		t.Errorf("exec --json audit today:\n%s", out)
	}
	code, out, _ = runExec(t, "audit", auditViewer)
	if code != 0 || !strings.Contains(out, "disconnect") || !strings.Contains(out, "denied") || strings.Contains(out, "mute (audio)") {
		t.Errorf("exec audit %s: exit %d\n%s", auditViewer, code, out)
	}
	if code, _, errOut = runExec(t, "audit", "<@bad"); code != 2 || !strings.Contains(errOut, "audit [<meeting>|<user>|today]") {
		t.Errorf("exec audit <@bad: exit %d, %s", code, errOut)
	}
	// Where there is no store, exec says so and creates none.
	empty := t.TempDir()
	t.Setenv("NFMM_DATA_DIR", empty)
	if code, _, errOut = runExec(t, "audit"); code != 1 || !strings.Contains(errOut, "No audit history here") {
		t.Errorf("exec audit without a store: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(empty, "nfmm.db")); err == nil {
		t.Error("exec audit created an empty store")
	}
}
