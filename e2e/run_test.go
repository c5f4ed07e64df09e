package e2e

import (
	"bytes"
	"context"
	"github.com/nfmm/nfmm/app"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
)

// lockedBuffer collects the sub-command's stderr while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runningNfmm is `nfmm run` started in the background by startRun.
type runningNfmm struct {
	stderr lockedBuffer
	code   chan int // the exit code, once it returns
	cancel context.CancelFunc
}

// startRun sets env for the test and starts `nfmm run` in the background; the run is cancelled
// at cleanup at the latest.
func startRun(t *testing.T, env map[string]string) *runningNfmm {
	t.Helper()
	if _, ok := env["NFMM_DATA_DIR"]; !ok {
		t.Setenv("NFMM_DATA_DIR", t.TempDir()) // nfmm.db, not in the package directory
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r := &runningNfmm{code: make(chan int, 1), cancel: cancel}
	go func() { r.code <- app.Main(ctx, "test", []string{"run"}, &bytes.Buffer{}, &r.stderr) }()
	return r
}

// stop cancels the run and requires a clean exit (0) before ctx ends.
func (r *runningNfmm) stop(ctx context.Context, t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case c := <-r.code:
		if c != 0 {
			t.Fatalf("exit %d after cancellation, want 0\n%s", c, r.stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("nfmm run did not stop after cancellation")
	}
}

func TestRunRefusesIncompleteConfiguration(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_APP_TOKEN", "xapp-1-secret-value")
	t.Setenv("CMS_NODES", "sim")
	var out, errOut bytes.Buffer
	if code := app.Main(context.Background(), "test", []string{"run"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "SLACK_BOT_TOKEN") {
		t.Errorf("stderr does not name the missing variable:\n%s", errOut.String())
	}
	if strings.Contains(errOut.String(), "secret-value") {
		t.Errorf("stderr leaks a token:\n%s", errOut.String())
	}
}

// TestRunServesSlashCommandsUntilCancelled runs `nfmm run` against the fake Slack and the
// built-in emulator, answers a slash command, and stops cleanly on cancellation (SIGTERM).
func TestRunServesSlashCommandsUntilCancelled(t *testing.T) {
	fake := slackfake.NewTest(t)
	run := startRun(t, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-1111111111-2222222222-runtesttokenvalue",
		"SLACK_APP_TOKEN": "xapp-1-A0123456789-3333333333-runtesttokenvalue",
		"SLACK_API_URL":   fake.APIURL(),
		"CMS_NODES":       "sim",
		"NFMM_OPERATORS":  "U0RUNTEST1",
		"NFMM_HTTP_ADDR":  "off",
	})
	code, stderr := run.code, &run.stderr

	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	waitErr := make(chan error, 1)
	go func() { waitErr <- fake.WaitConnected(wctx) }()
	select {
	case c := <-code:
		t.Fatalf("nfmm run exited with %d before connecting:\n%s", c, stderr.String())
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("nfmm run did not connect: %v\n%s", err, stderr.String())
		}
	}
	if _, err := fake.SlashCommand("U0RUNTEST1", "C1", "/cms", "calls"); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.WaitMessage(wctx, "C1", func(m slackfake.Message) bool {
		return m.Ephemeral && m.VisibleTo == "U0RUNTEST1" && strings.Contains(string(m.Blocks), "nfmm_participants")
	}); err != nil {
		t.Fatalf("no calls list: %v\n%s", err, stderr.String())
	}
	run.stop(wctx, t)
	if strings.Contains(stderr.String(), "xoxb-1111111111-2222222222-runtesttokenvalue") || strings.Contains(stderr.String(), "xapp-1-A0123456789-3333333333-runtesttokenvalue") {
		t.Errorf("the log contains a token")
	}
}
