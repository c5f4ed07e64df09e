package slackfake_test

import (
	"context"
	"io"
	"log"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

const (
	testBotToken = "xoxb-test-bot"
	testAppToken = "xapp-test-app"
	waitLimit    = 30 * time.Second // a budget for a loaded machine: every wait ends as soon as it can
)

// testBot is a real slack-go socket-mode client pointed at the fake. handle runs in the event
// goroutine for every event; tests pass a func that acks and records what they assert on.
type testBot struct {
	api *slack.Client
	sm  *socketmode.Client
}

func newFake(t *testing.T) *slackfake.Server {
	t.Helper()
	return slackfake.NewTest(t, fixtures())
}

func fixtures() slackfake.Options {
	return slackfake.Options{
		Users:    map[string]slackfake.User{"U1": {Name: "alice", RealName: "Alice A", TZ: "Europe/Oslo"}},
		Channels: map[string]slackfake.Channel{"C1": {Name: "ops"}},
	}
}

// newFrozenFake has a clock that only moves with Advance, for exact expiry boundaries.
func newFrozenFake(t *testing.T) *slackfake.Server {
	t.Helper()
	o := fixtures()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	o.Clock = func() time.Time { return start }
	return slackfake.NewTest(t, o)
}

func startBot(t *testing.T, fake *slackfake.Server, handle func(ctx context.Context, sm *socketmode.Client, evt socketmode.Event)) *testBot {
	t.Helper()
	api := slack.New(testBotToken, slack.OptionAppLevelToken(testAppToken), slack.OptionAPIURL(fake.APIURL()))
	sm := socketmode.New(api, socketmode.OptionLog(log.New(io.Discard, "", 0)))
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan struct{})
	loopDone := make(chan struct{})
	go func() {
		defer close(runDone)
		_ = sm.RunContext(ctx)
	}()
	go func() {
		defer close(loopDone)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				if handle != nil {
					handle(ctx, sm, evt)
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-runDone
		<-loopDone
	})
	return &testBot{api: api, sm: sm}
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// recv takes one value from ch or fails the test after waitLimit.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting for %T", *new(T))
		panic("unreachable")
	}
}
