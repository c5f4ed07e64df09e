package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// trapRunner wraps the real service: it panics on one command text and can hold one up.
type trapRunner struct {
	Runner
	panicOn string
	holdOn  string
	started chan struct{}
	release chan struct{}
}

func (r *trapRunner) Run(ctx context.Context, a commands.Actor, text string) (commands.Result, error) {
	switch text {
	case r.panicOn:
		panic("trap: " + text)
	case r.holdOn:
		close(r.started)
		<-r.release
	}
	return r.Runner.Run(ctx, a, text)
}

func TestE2EPanicInHandlerIsContained(t *testing.T) {
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) {
		c.Service = &trapRunner{Runner: c.Service, panicOn: "calls"}
	}})
	h.board()
	h.slash(testOperator, "calls")
	h.waitMessage(testOperator, "the internal-error reply", contains("Internal error"))
	if !strings.Contains(h.logs.String(), "handler panicked") || !strings.Contains(h.logs.String(), "goroutine") {
		t.Errorf("the panic and its stack are not in the log")
	}
	// The bot keeps serving.
	h.slash(testOperator, "call board")
	h.waitMessage(testOperator, "the roster after the panic", contains("Alice", actMuteAudio))
}

func TestE2ETamperedButtonsAreRejected(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	// A message with the bot's action ids but forged values, as if someone replayed a payload.
	api := slack.New("xoxb-test-bot", slack.OptionAPIURL(h.fake.APIURL()))
	btn := func(action, value string) slack.BlockElement {
		return slack.NewButtonBlockElement(action, value, slack.NewTextBlockObject(slack.PlainTextType, action, false, false))
	}
	forged := []struct{ action, value string }{
		{actMuteAudio, m.Correlator + "|cb1|<!channel>"},
		{actDisconnect, "not|a|leg|ref"},
		{actParticipants, "../../etc/passwd"},
		{actPage, "garbage"},
		{actDetails, strings.Repeat("a", 1900)},
		{actAdd, "<@U123>"},
		{actPresenterOff, ""},
	}
	var blocks []slack.Block
	for i, f := range forged {
		blocks = append(blocks, slack.NewActionBlock("forged"+string(rune('a'+i)), btn(f.action, f.value)))
	}
	_, ts, err := api.PostMessage(testChannel, slack.MsgOptionText("forged", false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatalf("post the forged message: %v", err)
	}
	msg, _ := h.fake.Message(testChannel, ts)
	for i, f := range forged {
		h.click(testOperator, msg, f.action, "forged"+string(rune('a'+i)), "")
	}
	h.eventually("every forged click is answered", func() bool {
		n := 0
		for _, e := range h.fake.EphemeralFor(testOperator, testChannel) {
			if strings.Contains(e.Text, "no longer valid") {
				n++
			}
		}
		return n == len(forged)
	})
	for _, l := range m.Legs {
		got, ok := h.sim.Leg(l.ID)
		if !ok || got.RxAudioMute {
			t.Errorf("forged clicks changed %s: %+v present=%v", l.Name, got, ok)
		}
	}
	if strings.Contains(h.audit.String(), `"op"`) {
		t.Errorf("forged clicks reached an operation: %s", h.audit.String())
	}
}

func TestE2EStaleClickRefreshesRoster(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	bob := legByName(t, m, "Bob")
	r := h.roster(testOperator, m)
	h.sim.RemoveLeg(bob.ID) // Bob hangs up while the roster is on screen
	h.click(testOperator, r, actMuteAudio, legControls(m, bob), "")
	h.waitMessage(testOperator, "the refreshed roster without Bob", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("2 participants")(msg) && !contains("Bob")(msg)
	})
	h.waitMessage(testOperator, "a clear answer about Bob", func(msg slackfake.Message) bool {
		return msg.TS != r.TS && msg.Ephemeral && strings.Contains(msg.Text, "⚠️")
	})
	for _, l := range m.Legs {
		if got, ok := h.sim.Leg(l.ID); ok && got.RxAudioMute {
			t.Errorf("the stale click muted %s", l.Name)
		}
	}
}

func TestE2EGracefulShutdownFinishesInFlightWork(t *testing.T) {
	trap := &trapRunner{holdOn: "call board", started: make(chan struct{}), release: make(chan struct{})}
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { trap.Runner = c.Service; c.Service = trap }})
	h.board()
	h.slash(testOperator, "call board")
	<-trap.started
	stopped := make(chan error, 1)
	go func() { stopped <- h.shutdown() }()
	h.eventually("the socket closes at once", func() bool { return !h.bot.Connected() })
	close(trap.release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run returned %v, want nil", err)
	}
	// The request that was in flight still got its answer.
	if len(h.fake.EphemeralFor(testOperator, testChannel)) != 1 {
		t.Fatalf("the in-flight request was not answered before shutdown completed")
	}
}

func TestE2EHelpForBlankAndUnknown(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.slash(testOperator, "")
	h.waitMessage(testOperator, "help", contains(actRun, "calls"))
	h.waitMessage(testOperator, "help listing the bot's own schedule command", contains("the scheduled reports and their next run times"))
	h.slash(testOperator, "frobnicate")
	h.waitMessage(testOperator, "unknown command with help", contains("frobnicate", actRun))
	h.slash(testViewer, "help public")
	h.waitMessage(testViewer, "public help", func(msg slackfake.Message) bool { return !msg.Ephemeral && contains(actRun)(msg) })
}

func TestE2EPostHonoursRetryAfter(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.fake.Fail("chat.postMessage", 1, time.Second)
	ts, err := h.bot.Post(h.ctx(), testChannel, message{Text: "daily report"})
	if err != nil || ts == "" {
		t.Fatalf("Post = %q, %v; want it to succeed after the 429", ts, err)
	}
	calls := h.fake.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Error != "" {
		t.Fatalf("calls = %+v, want one 429 then one success", calls)
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < 900*time.Millisecond {
		t.Errorf("retried after %v, before Retry-After", gap)
	}
}

func TestRunNamesTheRejectedToken(t *testing.T) {
	tests := []struct {
		bot, app string
		want     string
	}{
		{"xoxb-wrong", "xapp-right", "SLACK_BOT_TOKEN"},
		{"xoxb-right", "xapp-wrong", "SLACK_APP_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			fake := slackfake.NewTest(t, slackfake.Options{BotToken: "xoxb-right", AppToken: "xapp-right"})
			b, err := New(Config{BotToken: tt.bot, AppToken: tt.app, APIURL: fake.APIURL(), Service: &trapRunner{}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			err = b.Run(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run = %v, want an error naming %s", err, tt.want)
			}
			for _, secret := range []string{tt.bot, tt.app} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains a token", err)
				}
			}
		})
	}
}

func TestE2EUsedUpResponseURLFallsBackToWebAPI(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.board()
	h.fake.Inject("response_url", slackfake.Fault{N: 1, Status: 404})
	h.slash(testOperator, "calls")
	got := h.waitMessage(testOperator, "the calls list", contains("Board review", actParticipants))
	if got.Via != "chat.postEphemeral" || !got.Ephemeral {
		t.Fatalf("answer arrived via %s (ephemeral=%v), want chat.postEphemeral", got.Via, got.Ephemeral)
	}
}
