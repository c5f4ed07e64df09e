package bot

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
)

// auditRecord is what commands.Service writes for one state-changing action.
type auditRecord struct {
	actor, channel, op, meeting, participant, outcome, err, media string
	nodes                                                         []string
}

func (r auditRecord) log(l *slog.Logger) {
	attrs := []slog.Attr{
		slog.String("actor", r.actor), slog.String("channel", r.channel), slog.String("op", r.op),
		slog.String("meeting", r.meeting), slog.String("participant", r.participant),
		slog.Any("nodes", r.nodes), slog.String("outcome", r.outcome), slog.String("error", r.err),
	}
	if r.media != "" {
		attrs = append(attrs, slog.String("media", r.media))
	}
	l.LogAttrs(context.Background(), slog.LevelInfo, "audit", attrs...)
}

func TestAuditLine(t *testing.T) {
	ok := commands.OutcomeOK
	tests := []struct {
		name string
		rec  auditRecord
		want string
	}{
		{"mute with media", auditRecord{actor: "U123", channel: "C1", op: "mute", meeting: "Board review", participant: "Alice", nodes: []string{"cb2"}, outcome: ok, media: "audio"},
			"✅ <@U123> muted audio of Alice (cb2) in *Board review* · <#C1>"},
		{"disconnect", auditRecord{actor: "U1", channel: "C1", op: "disconnect", meeting: "M", participant: "Bob", nodes: []string{"cb1"}, outcome: ok},
			"✅ <@U1> disconnected Bob (cb1) from *M* · <#C1>"},
		{"add", auditRecord{actor: "U1", op: "add", meeting: "M", participant: "sip:dave@example.com", nodes: []string{"cb1", "cb2"}, outcome: ok},
			"✅ <@U1> added sip:dave@example.com (cb1, cb2) to *M*"},
		{"layout without participant", auditRecord{actor: "U1", op: "layout", meeting: "M", outcome: ok},
			"✅ <@U1> changed the layout of the meeting in *M*"},
		{"refusal", auditRecord{actor: "U9", channel: "C1", op: "disconnect", meeting: "Board", participant: "Alice", outcome: commands.OutcomeDenied, err: "Only NFMM operators may change calls"},
			"⛔ <@U9> was refused: disconnect Alice from *Board* · <#C1>"},
		{"failure", auditRecord{actor: "U1", op: "unmute", meeting: "M", participant: "abc123", nodes: []string{"cb3"}, outcome: commands.OutcomeError, err: "cb3: node unreachable"},
			"⚠️ <@U1> unmute abc123 (cb3) in *M* failed: cb3: node unreachable"},
		{"partial", auditRecord{actor: "U1", op: "presenter", meeting: "M", participant: "Carol", nodes: []string{"cb1", "cb2"}, outcome: commands.OutcomePartial},
			"⚠️ <@U1> set presenter Carol (cb1, cb2) in *M*, partly failed"},
		{"names escaped", auditRecord{actor: "U1", channel: "C1", op: "mute", meeting: "*bold* <@U2>", participant: "<!channel>", nodes: []string{"<!here>"}, outcome: commands.OutcomeError, err: "<https://evil|x>"},
			"⚠️ <@U1> mute &lt;!channel&gt; (&lt;!here&gt;) in *\u200d*\u200dbold\u200d*\u200d &lt;@U2&gt;* failed: &lt;https://evil|x&gt; · <#C1>"},
		{"ids that are not Slack ids are not linked", auditRecord{actor: "U1><!everyone", channel: "local", op: "mute", meeting: "M", participant: "A", outcome: ok},
			"✅ U1&gt;&lt;!everyone muted A in *M* · local"},
		{"newlines cannot forge lines", auditRecord{actor: "U1", op: "mute", meeting: "M\n✅ fake", participant: "A\nB", outcome: ok},
			"✅ <@U1> muted A B in *M ✅ fake*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewAuditHandler("DAUDIT", 4, nil)
			tt.rec.log(slog.New(h).With("log", "audit"))
			select {
			case got := <-h.sink.lines:
				if got != tt.want {
					t.Errorf("line\n got %q\nwant %q", got, tt.want)
				}
			default:
				t.Fatal("no line queued")
			}
		})
	}
}

func TestAuditHandlerIgnoresOtherRecordsAndGroups(t *testing.T) {
	h := NewAuditHandler("DAUDIT", 4, nil)
	l := slog.New(h)
	l.Info("not an audit record", "x", 1)
	l.Debug("audit", "op", "mute")
	auditRecord{actor: "U1", op: "mute", outcome: commands.OutcomeOK}.log(l.WithGroup("g"))
	if n := len(h.sink.lines); n != 0 {
		t.Errorf("%d lines queued from records without a top-level op, want 0", n)
	}
	auditRecord{actor: "U1", op: "mute", participant: "A", outcome: commands.OutcomeOK}.log(l.WithGroup(""))
	if n := len(h.sink.lines); n != 1 {
		t.Errorf("%d lines queued, want 1", n)
	}
}

func TestAuditHandlerDropsWhenFull(t *testing.T) {
	var logs syncBuffer
	h := NewAuditHandler("DAUDIT", 2, slog.New(slog.NewTextHandler(&logs, nil)))
	l := slog.New(h)
	for range 5 {
		auditRecord{actor: "U1", op: "mute", outcome: commands.OutcomeOK}.log(l) // must not block
	}
	if got := h.Dropped(); got != 3 {
		t.Errorf("Dropped() = %d, want 3", got)
	}
	if !strings.Contains(logs.String(), "audit channel queue full") {
		t.Errorf("no warning about the drops:\n%s", logs.String())
	}
}

const testAuditChannel = "DAUDIT0001" // a D… id: the fake accepts it without a channel fixture

// newAuditHarness is the e2e harness with the audit records fanned out, as `nfmm run` does, to
// the JSON buffer and to feed, which the bot posts to testAuditChannel.
func newAuditHarness(t *testing.T, feed *AuditHandler, drain time.Duration) *harness {
	t.Helper()
	h := &harness{t: t, audit: &syncBuffer{}, logs: &syncBuffer{}, done: make(chan error, 1)}
	sim, err := cmssim.Start(cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioEmpty, Seed: 1})
	if err != nil {
		t.Fatalf("start cmssim: %v", err)
	}
	t.Cleanup(sim.Close)
	h.sim = sim
	h.fake = slackfake.NewTest(t, slackfake.Options{
		Users:    map[string]slackfake.User{testOperator: {Name: "olive"}, testViewer: {Name: "victor"}},
		Channels: map[string]slackfake.Channel{testChannel: {Name: "meetings"}},
	})
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.svc = commands.New(commands.Config{
		Cluster: h.cluster(logger),
		Policy:  commands.Policy{Operators: []string{testOperator}},
		Audit:   slog.New(slog.NewMultiHandler(slog.NewJSONHandler(h.audit, nil), feed)).With("log", "audit"),
		Logger:  logger,
	})
	h.bot, err = New(Config{
		BotToken: "xoxb-test-bot", AppToken: "xapp-test-app", APIURL: h.fake.APIURL(),
		Service: h.svc, Logger: logger, PostInterval: 10 * time.Millisecond, DrainTimeout: drain,
		Audit: feed,
	})
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	h.start()
	return h
}

// auditLines waits until the audit channel holds at least n messages and returns their texts.
func (h *harness) auditLines(n int) []string {
	h.t.Helper()
	var out []string
	h.eventually("audit lines arrive", func() bool {
		out = out[:0]
		for _, m := range h.fake.Messages(testAuditChannel) {
			out = append(out, m.Text)
		}
		return len(out) >= n
	})
	return out
}

func TestE2EAuditChannelLines(t *testing.T) {
	h := newAuditHarness(t, NewAuditHandler(testAuditChannel, 0, nil), 5*time.Second)
	m := h.board()
	bad := h.meeting("Hack", cmssim.ParticipantSpec{Name: "<!channel> *boom*", Node: "cb2"})
	alice, bob, evil := legByName(t, m, "Alice"), legByName(t, m, "Bob"), bad.Legs[0]

	steps := []struct{ user, text, want string }{
		{testOperator, "mute " + alice.ID, "✅ <@" + testOperator + "> muted Alice (cb1) in *Board review* · <#" + testChannel + ">"},
		{testViewer, "disconnect " + bob.ID, "⛔ <@" + testViewer + "> was refused: disconnect " + bob.ID + " · <#" + testChannel + ">"},
		{testOperator, "mute " + evil.ID, "✅ <@" + testOperator + "> muted &lt;!channel&gt; \u200d*\u200dboom\u200d*\u200d (cb2) in *Hack* · <#" + testChannel + ">"},
	}
	for i, st := range steps {
		h.slash(st.user, st.text)
		if got := h.auditLines(i + 1)[i]; got != st.want {
			t.Errorf("audit line for %q\n got %q\nwant %q", st.text, got, st.want)
		}
	}
	for _, msg := range h.fake.Messages(testAuditChannel) {
		if strings.Contains(msg.Text+jsonUnescaper.Replace(string(msg.Blocks)), "<!channel>") {
			t.Errorf("an audit line would ping the channel: %s", msg.Blocks)
		}
	}
	if got := h.leg(bob.ID); got.ID == "" {
		t.Errorf("the refused disconnect removed Bob")
	}
	if !h.leg(alice.ID).RxAudioMute || !h.leg(evil.ID).RxAudioMute {
		t.Errorf("the allowed mutes did not reach CMS")
	}
}

func TestE2EAuditQueueNeverBlocksActions(t *testing.T) {
	feed := NewAuditHandler(testAuditChannel, 1, nil)
	h := newAuditHarness(t, feed, 500*time.Millisecond)
	h.fake.Fail("chat.postMessage", 1000, 30*time.Second) // the poster waits out a long Retry-After
	m := h.board()
	for _, l := range m.Legs {
		h.slash(testOperator, "mute "+l.ID)
		h.eventually("the mute of "+l.Name+" reaches CMS while Slack rate-limits the audit channel",
			func() bool { return h.leg(l.ID).RxAudioMute })
	}
	h.slash(testOperator, "unmute "+m.Legs[0].ID)
	h.eventually("the unmute reaches CMS", func() bool { return !h.leg(m.Legs[0].ID).RxAudioMute })
	// The poster holds at most one line and the queue one more: the rest were dropped, not waited for.
	if got := feed.Dropped(); got < 2 {
		t.Errorf("Dropped() = %d after 4 actions with a stuck poster and a queue of 1, want >= 2", got)
	}
	if got := strings.Count(h.audit.String(), `"log":"audit"`); got != 4 {
		t.Errorf("%d JSON audit records, want 4 (the JSON log keeps every record)", got)
	}
	// Shutdown does not wait for the rate limit beyond its drain bound.
	start := time.Now()
	if err := h.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v with a rate-limited audit channel", d)
	}
}
