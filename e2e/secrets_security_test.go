package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"github.com/nfmm/nfmm/app"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
)

// Recognisable secrets: any appearance in captured output is a leak.
const (
	leakBotToken = "xoxb-5555555555-6666666666-SECRETbotTOKENvalue"
	leakAppToken = "xapp-1-A0999999999-7777777777-SECRETappTOKENvalue"
	leakCMSPass  = "S3cret-CMS-pa55word!"
	leakCMSUser  = "nfmm-api"
)

// TestSecretsNeverLeak runs `nfmm run` end to end against the fake Slack and a TLS emulator with
// a node refusing the credentials, drives reads, actions, refusals and a bad command, then
// greps everything captured (stdout, stderr with debug logs and audit records, every message
// and Web API call the fake saw, /metrics, /healthz) for the tokens and the CMS password. The
// world-readable .env it starts from must be warned about.
func TestSecretsNeverLeak(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2, TLS: true, Username: leakCMSUser, Password: leakCMSPass, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{{Name: "Alice", Node: "cb1"}, {Name: "Bob", Node: "cb2"}}})
	fake := slackfake.NewTest(t, slackfake.Options{BotToken: leakBotToken, AppToken: leakAppToken})
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	must(t, os.WriteFile(ca, sim.CertPEM(), 0o600))
	env := fmt.Sprintf("SLACK_BOT_TOKEN=%s\nSLACK_APP_TOKEN=%s\nCMS_PASSWORD=%s\n", leakBotToken, leakAppToken, leakCMSPass)
	must(t, os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o644))
	must(t, os.Chmod(filepath.Join(dir, ".env"), 0o644)) // whatever the umask
	t.Chdir(dir)
	// The real environment wins over .env; setting the same values keeps t.Setenv's cleanup.
	t.Setenv("SLACK_BOT_TOKEN", leakBotToken)
	t.Setenv("SLACK_APP_TOKEN", leakAppToken)
	t.Setenv("CMS_PASSWORD", leakCMSPass)
	t.Setenv("CMS_USERNAME", leakCMSUser)
	t.Setenv("SLACK_API_URL", fake.APIURL())
	nodes := sim.Nodes()
	t.Setenv("CMS_NODES", fmt.Sprintf("cb1=%s,cb2=%s", nodes[0].URL, nodes[1].URL))
	t.Setenv("CMS_CA_FILE", ca)
	t.Setenv("NFMM_OPERATORS", "UOP1")
	t.Setenv("NFMM_HTTP_ADDR", freeAddr(t))
	t.Setenv("NFMM_LOG_LEVEL", "debug")
	t.Setenv("NFMM_DATA_DIR", t.TempDir())

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	code := make(chan int, 1)
	go func() { code <- app.Main(ctx, "test", []string{"run"}, &stdout, &stderr) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx); err != nil {
		t.Fatalf("the bot did not connect: %v\n%s", err, stderr.String())
	}
	sim.SetAuthFailure("cb2", true)
	alice := m.Legs[0]
	for i, step := range []struct{ user, text string }{
		{"UOP1", "calls"}, {"UOP1", "call board"}, {"UOP1", "mute " + alice.ID}, {"UOP1", "status"},
		{"UOP1", "frobnicate " + leakCMSPass}, {"UVIEW1", "disconnect " + alice.ID}, {"UOP1", "participant " + alice.ID},
	} {
		if _, err := fake.SlashCommand(step.user, "CSEC00001", "/cms", step.text); err != nil {
			t.Fatal(err)
		}
		if err := fake.WaitFor(wctx, func() bool { return len(fake.Messages("CSEC00001")) > i }); err != nil {
			t.Fatalf("no answer to %q: %v\n%s", step.text, err, stderr.String())
		}
	}
	base := "http://" + opsAddr(t, stderr.String())
	metrics, _ := get(t, base+"/metrics")
	health, _ := get(t, base+"/healthz")
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("exit %d, want 0:\n%s", c, stderr.String())
	}
	captured := map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "/metrics": metrics, "/healthz": health, "slack": slackTranscript(fake)}
	assertNoSecrets(t, captured)
	if !strings.Contains(stderr.String(), "readable by every user") || !strings.Contains(stderr.String(), "chmod 600") {
		t.Errorf("no warning about the world-readable .env:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), `"op":"mute"`) {
		t.Errorf("the test did not exercise an audited action:\n%s", stderr.String())
	}
}

// slackTranscript is everything the fake Slack received: messages, calls and their answers.
func slackTranscript(fake *slackfake.Server) string {
	var b strings.Builder
	for _, ch := range fake.Channels() {
		for _, m := range fake.Messages(ch) {
			fmt.Fprintf(&b, "%s %s %s\n", m.Text, m.Blocks, m.VisibleTo)
		}
	}
	for _, c := range fake.Calls("") {
		fmt.Fprintf(&b, "%s %v %s %s %s\n", c.Method, c.Form, c.JSON, c.ResponseURL, c.Response)
	}
	for _, e := range fake.Envelopes() {
		fmt.Fprintf(&b, "%s\n", e.Payload)
	}
	return b.String()
}

func assertNoSecrets(t *testing.T, captured map[string]string) {
	t.Helper()
	basic := base64.StdEncoding.EncodeToString([]byte(leakCMSUser + ":" + leakCMSPass))
	secrets := map[string]string{
		"bot token": leakBotToken, "app token": leakAppToken, "CMS password": leakCMSPass,
		"Basic auth value": basic, "token tail": "SECRETbotTOKEN", "app token tail": "SECRETappTOKEN",
	}
	for where, text := range captured {
		if where == "slack" {
			// The user typed the password into a command ("frobnicate …"): Slack saw it in the
			// envelope it sent. What matters is that NFMM never repeats it.
			text = strings.ReplaceAll(text, "frobnicate "+leakCMSPass, "frobnicate <typed>")
		}
		for name, s := range secrets {
			if strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Errorf("%s contains the %s: …%s…", where, name, text[max(0, i-80):min(len(text), i+len(s)+20)])
			}
		}
	}
}

// TestInsecureSkipVerifyWarnsAtStart: the opt-in out of TLS verification is loud.
func TestInsecureSkipVerifyWarnsAtStart(t *testing.T) {
	for _, insecure := range []bool{true, false} {
		var logs bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		cfg := config.Config{InsecureSkipVerify: insecure, CMSTimeout: time.Second,
			Nodes: []config.Node{{Name: "cb1", URL: "https://127.0.0.1:1", Username: "u"}}}
		_, release, err := app.NewCluster(context.Background(), cfg, app.Options{Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		release()
		if got := strings.Contains(logs.String(), "CMS_INSECURE_SKIP_VERIFY"); got != insecure {
			t.Errorf("insecure=%v: warning logged = %v:\n%s", insecure, got, logs.String())
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
