package main

import (
	"bytes"
	"context"
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

func TestRunRefusesIncompleteConfiguration(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "")
	t.Setenv("SLACK_APP_TOKEN", "xapp-1-secret-value")
	t.Setenv("CMS_NODES", "sim")
	var out, errOut bytes.Buffer
	if code := dispatch(context.Background(), []string{"run"}, &out, &errOut); code != 2 {
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
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-1111111111-2222222222-runtesttokenvalue")
	t.Setenv("SLACK_APP_TOKEN", "xapp-1-A0123456789-3333333333-runtesttokenvalue")
	t.Setenv("SLACK_API_URL", fake.APIURL())
	t.Setenv("CMS_NODES", "sim")
	t.Setenv("NFMM_OPERATORS", "U0RUNTEST1")
	t.Setenv("NFMM_HTTP_ADDR", "off")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	code := make(chan int, 1)
	go func() { code <- dispatch(ctx, []string{"run"}, &bytes.Buffer{}, &stderr) }()

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
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d after cancellation, want 0\n%s", c, stderr.String())
		}
	case <-wctx.Done():
		t.Fatal("nfmm run did not stop after cancellation")
	}
	if strings.Contains(stderr.String(), "xoxb-1111111111-2222222222-runtesttokenvalue") || strings.Contains(stderr.String(), "xapp-1-A0123456789-3333333333-runtesttokenvalue") {
		t.Errorf("the log contains a token")
	}
}
