package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/soak/leakcheck"
)

// Reliability under Slack faults: nothing runs twice, and every action that ran is reported to
// the user or, when Slack cannot be reached, in the log and the audit record.

// gateRunner holds the first request that matches until the test opens the gate, so a fault
// can be injected while an action is in flight.
type gateRunner struct {
	Runner
	match   func(op commands.Op, text string) bool
	once    sync.Once
	held    chan struct{} // closed when a request is being held
	release chan struct{} // closed by the test to let it go on
}

func newGate(match func(commands.Op, string) bool) *gateRunner {
	return &gateRunner{match: match, held: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateRunner) hold(op commands.Op, text string) {
	if !g.match(op, text) {
		return
	}
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.held)
		<-g.release
	}
}

func (g *gateRunner) Run(ctx context.Context, a commands.Actor, text string) (commands.Result, error) {
	g.hold("", text)
	return g.Runner.Run(ctx, a, text)
}

func (g *gateRunner) Execute(ctx context.Context, a commands.Actor, c commands.Command) (commands.Result, error) {
	g.hold(c.Op, "")
	return g.Runner.Execute(ctx, a, c)
}

func (g *gateRunner) Allowed(a commands.Actor, op commands.Op) error {
	g.hold(op, "allowed")
	return g.Runner.Allowed(a, op)
}

// waitHeld waits until the gate holds a request.
func (h *harness) waitHeld(g *gateRunner) {
	h.t.Helper()
	select {
	case <-g.held:
	case <-time.After(waitTimeout):
		h.t.Fatalf("no request reached the gate within %v", waitTimeout)
	}
}

func isText(want string) func(commands.Op, string) bool {
	return func(_ commands.Op, text string) bool { return strings.HasPrefix(text, want) }
}

// The socket goes away (a clean disconnect, or a drop without a close frame) while a mute is
// being executed: the mute runs once, its answer arrives, and Slack's redelivery of the
// envelope on the new socket is acked without running it again.
func TestE2ESocketLostMidActionRunsOnceAndAnswers(t *testing.T) {
	tests := []struct {
		name string
		lose func(*slackfake.Server) error
	}{
		{"disconnect", func(f *slackfake.Server) error { return f.Disconnect("refresh_requested") }},
		{"dropped without close", (*slackfake.Server).DropConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Verify(t)
			gate := newGate(isText("mute"))
			h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { gate.Runner = c.Service; c.Service = gate }})
			m := h.board()
			alice := legByName(t, m, "Alice")
			env := h.slash(testOperator, "mute "+alice.ID)
			h.waitHeld(gate)
			opens := h.fake.Opens()
			if err := tt.lose(h.fake); err != nil {
				t.Fatal(err)
			}
			h.eventually("the bot reconnects", func() bool { return h.fake.Opens() > opens && h.bot.Connected() })
			again, err := h.fake.Redeliver(env.ID)
			if err != nil {
				t.Fatal(err)
			}
			h.waitAck(again)
			close(gate.release)
			h.waitMessage(testOperator, "the mute's answer", contains("Muted audio of Alice"))
			h.slash(testOperator, "status") // queued behind any duplicate run, if there were one
			h.waitMessage(testOperator, "the status reply", contains("cb1", "cb2", "cb3"))
			if n := strings.Count(h.audit.String(), `"op":"mute"`); n != 1 {
				t.Fatalf("mute audited %d times, want once:\n%s", n, h.audit.String())
			}
			if !h.leg(alice.ID).RxAudioMute {
				t.Errorf("Alice is not muted")
			}
		})
	}
}

// The response_url expires (30 minutes) while a slow command runs: the answer still reaches
// the user through the Web API.
func TestE2EExpiredResponseURLFallsBackToWebAPI(t *testing.T) {
	gate := newGate(isText("mute"))
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { gate.Runner = c.Service; c.Service = gate }})
	m := h.board()
	bob := legByName(t, m, "Bob")
	h.slash(testOperator, "mute "+bob.ID)
	h.waitHeld(gate)
	h.fake.Advance(slackfake.ResponseURLTTL + time.Minute)
	close(gate.release)
	got := h.waitMessage(testOperator, "the answer after the response_url expired", contains("Muted audio of Bob"))
	if got.Via != "chat.postEphemeral" {
		t.Errorf("answer arrived via %s, want the chat.postEphemeral fallback", got.Via)
	}
	expired := false
	for _, c := range h.fake.Calls("response_url") {
		expired = expired || c.Error == "expired_url"
	}
	if !expired {
		t.Errorf("the response_url was never refused as expired; the test did not exercise expiry")
	}
}

// A 429 with Retry-After on the response_url answering an action: the bot waits and retries;
// the user gets exactly one answer and the action ran once.
func TestE2EAnswerRateLimitedIsRetriedOnce(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	carol := legByName(t, m, "Carol")
	h.fake.Fail("response_url", 1, time.Second)
	h.slash(testOperator, "mute "+carol.ID)
	h.waitMessage(testOperator, "the mute's answer", contains("Muted audio of Carol"))
	calls := h.fake.Calls("response_url")
	if len(calls) != 2 || calls[0].Status != 429 || calls[1].Error != "" {
		t.Fatalf("response_url calls = %+v, want a 429 then one success", calls)
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < 900*time.Millisecond {
		t.Errorf("retried after %v, before Retry-After", gap)
	}
	if n := len(h.fake.EphemeralFor(testOperator, testChannel)); n != 1 {
		t.Errorf("%d answers, want exactly one", n)
	}
	if n := strings.Count(h.audit.String(), `"op":"mute"`); n != 1 {
		t.Errorf("mute audited %d times, want once", n)
	}
}

// The trigger_id expires before the bot gets to open the add form (the bot was slow): the user
// is told to click again, and nothing is dialled.
func TestE2EExpiredTriggerIDTellsTheUser(t *testing.T) {
	gate := newGate(func(op commands.Op, text string) bool { return op == commands.OpAdd && text == "allowed" })
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { gate.Runner = c.Service; c.Service = gate }})
	m := h.board()
	r := h.roster(testOperator, m)
	h.click(testOperator, r, actAdd, "", "")
	h.waitHeld(gate)
	h.fake.ExpireTriggers()
	close(gate.release)
	h.waitMessage(testOperator, "the please-click-again answer", contains("did not open the form in time"))
	if v := h.fake.OpenViews(testOperator); len(v) != 0 {
		t.Errorf("a view opened with an expired trigger: %+v", v)
	}
	if n := len(h.sim.Legs(m.Correlator)); n != 3 {
		t.Errorf("%d legs, want the 3 we started with", n)
	}
}

// Slack cannot be reached for answers at all: the action still ran once, and the audit record
// and the log say so, since the user cannot be told.
func TestE2ESlackUnreachableActionIsAuditedAndLogged(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	alice := legByName(t, m, "Alice")
	for _, method := range []string{"response_url", "chat.postEphemeral", "chat.postMessage", "chat.update"} {
		h.fake.Inject(method, slackfake.Fault{N: 100, Status: 500})
	}
	h.slash(testOperator, "mute "+alice.ID)
	h.eventually("the action is audited", func() bool { return strings.Contains(h.audit.String(), `"op":"mute"`) })
	h.eventually("the failure to answer is logged", func() bool { return strings.Contains(h.logs.String(), "could not answer in Slack") })
	if !h.leg(alice.ID).RxAudioMute {
		t.Fatalf("Alice is not muted")
	}
	audit := h.audit.String()
	for _, want := range []string{`"actor":"` + testOperator + `"`, `"participant":"Alice"`, `"outcome":"ok"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit record lacks %s:\n%s", want, audit)
		}
	}
	if n := strings.Count(audit, `"op":"mute"`); n != 1 {
		t.Errorf("mute audited %d times, want once", n)
	}
}
