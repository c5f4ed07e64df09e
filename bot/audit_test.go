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

// auditRecord is the part of a commands.AuditEvent that a line shows.
type auditRecord struct {
	actor, channel, op, meeting, participant, outcome, err, media, presenter, layout string
	nodes                                                                            []string
}

// event is the AuditEvent commands would send, its sentence from the operation table.
func (r auditRecord) event() commands.AuditEvent {
	c := commands.Command{Op: commands.Op(r.op), Media: commands.Media(r.media), Off: r.presenter == "off", Layout: r.layout, URI: r.participant}
	return commands.AuditEvent{Actor: r.actor, Role: commands.RoleViewer, Channel: r.channel, Op: c.Op, Media: c.Media,
		Presenter: r.presenter, Meeting: r.meeting, Participant: r.participant, Nodes: r.nodes, Outcome: r.outcome, Error: r.err,
		Sentence: commands.SentenceOf(c, r.participant)}
}

func TestAuditLine(t *testing.T) {
	ok := commands.OutcomeOK
	tests := []struct {
		name string
		rec  auditRecord
		want string
	}{
		{"mute with media", auditRecord{actor: "U123", channel: "C1", op: "mute", meeting: "Board review", participant: "Alice", nodes: []string{"cb2"}, outcome: ok, media: "audio"},
			"✅ <@U123> muted Alice (cb2) in *Board review* · <#C1>"},
		{"disconnect", auditRecord{actor: "U1", channel: "C1", op: "disconnect", meeting: "M", participant: "Bob", nodes: []string{"cb1"}, outcome: ok},
			"✅ <@U1> disconnected Bob (cb1) from *M* · <#C1>"},
		{"add", auditRecord{actor: "U1", op: "add", meeting: "M", participant: "sip:dave@example.com", nodes: []string{"cb1", "cb2"}, outcome: ok},
			"✅ <@U1> added sip:dave@example.com (cb1, cb2) to *M*"},
		{"layout", auditRecord{actor: "U1", op: "layout", meeting: "M", participant: "Ann", layout: "stacked", outcome: ok},
			"✅ <@U1> set the layout of Ann to stacked in *M*"},
		{"layout without participant", auditRecord{actor: "U1", op: "layout", meeting: "M", layout: "stacked", outcome: ok},
			"✅ <@U1> set the layout of a participant to stacked in *M*"},
		{"refusal", auditRecord{actor: "U9", channel: "C1", op: "disconnect", meeting: "Board", participant: "Alice", outcome: commands.OutcomeDenied, err: "Only NFMM operators may change calls"},
			"⛔ <@U9> was refused: disconnect Alice from *Board* · <#C1>"},
		{"failure", auditRecord{actor: "U1", op: "unmute", meeting: "M", participant: "abc123", nodes: []string{"cb3"}, outcome: commands.OutcomeError, err: "cb3: node unreachable"},
			"⚠️ <@U1> unmute abc123 (cb3) in *M* failed: cb3: node unreachable"},
		{"video mute", auditRecord{actor: "U123", op: "mute", meeting: "M", participant: "Alice", nodes: []string{"cb2"}, outcome: ok, media: "video"},
			"✅ <@U123> stopped the video of Alice (cb2) in *M*"},
		{"unmute both", auditRecord{actor: "U123", op: "unmute", meeting: "M", participant: "Alice", outcome: ok, media: "both"},
			"✅ <@U123> unmuted Alice and restored their video in *M*"},
		{"partial", auditRecord{actor: "U1", op: "presenter", presenter: "on", meeting: "M", participant: "Carol", nodes: []string{"cb1", "cb2"}, outcome: commands.OutcomePartial},
			"⚠️ <@U1> made Carol the presenter (cb1, cb2) in *M*, partly failed"},
		{"presenter off", auditRecord{actor: "U1", op: "presenter", presenter: "off", meeting: "M", nodes: []string{"cb1", "cb2"}, outcome: ok},
			"✅ <@U1> turned presenter mode off (cb1, cb2) in *M*"},
		{"presenter off refused", auditRecord{actor: "U1", op: "presenter", presenter: "off", meeting: "M", outcome: commands.OutcomeDenied},
			"⛔ <@U1> was refused: turn presenter mode off in *M*"},
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
			h.Audit(context.Background(), tt.rec.event())
			select {
			case got := <-h.sink.lines:
				if got != tt.want {
					t.Errorf("line\n got %q\nwant %q", got, tt.want)
				}
			case got := <-h.sink.refusals:
				if tt.rec.outcome != commands.OutcomeDenied {
					t.Errorf("a %s line was queued as a refusal", tt.rec.outcome)
				}
				if got != tt.want {
					t.Errorf("line\n got %q\nwant %q", got, tt.want)
				}
			default:
				t.Fatal("no line queued")
			}
		})
	}
}

func TestAuditHandlerIgnoresEventsWithoutOp(t *testing.T) {
	h := NewAuditHandler("DAUDIT", 4, nil)
	h.Audit(context.Background(), commands.AuditEvent{Actor: "U1", Outcome: commands.OutcomeOK})
	if n := len(h.sink.lines); n != 0 {
		t.Errorf("%d lines queued from an event without an op, want 0", n)
	}
	h.Audit(context.Background(), auditRecord{actor: "U1", op: "mute", participant: "A", outcome: commands.OutcomeOK}.event())
	if n := len(h.sink.lines); n != 1 {
		t.Errorf("%d lines queued, want 1", n)
	}
}

func TestAuditHandlerDropsWhenFull(t *testing.T) {
	var logs syncBuffer
	h := NewAuditHandler("DAUDIT", 2, slog.New(slog.NewTextHandler(&logs, nil)))
	for range 5 {
		h.Audit(context.Background(), auditRecord{actor: "U1", op: "mute", outcome: commands.OutcomeOK}.event()) // must not block
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
		Audit:   commands.AuditSinks{commands.AuditLog{Logger: slog.New(slog.NewJSONHandler(h.audit, nil)).With("log", "audit")}, feed},
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
	// An action is audited after CMS has acted and before its reply is posted: the reply, not
	// the emulator's state, is the point where the action's audit has happened.
	for _, l := range m.Legs {
		h.slash(testOperator, "mute "+l.ID)
		h.eventually("the mute of "+l.Name+" reaches CMS while Slack rate-limits the audit channel",
			func() bool { return h.leg(l.ID).RxAudioMute })
		h.waitMessage(testOperator, "the reply to the mute of "+l.Name, contains("Muted audio of "+l.Name))
	}
	h.slash(testOperator, "unmute "+m.Legs[0].ID)
	h.eventually("the unmute reaches CMS", func() bool { return !h.leg(m.Legs[0].ID).RxAudioMute })
	h.waitMessage(testOperator, "the reply to the unmute", contains("Unmuted audio of "+m.Legs[0].Name))
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

// Refusals are collapsed to one line per actor per minute and summed up when the minute ends;
// refusals of users with no role are not posted at all (issue 12 item 5).
func TestAuditHandlerCollapsesRefusals(t *testing.T) {
	clock := newTestClock()
	h := NewAuditHandler("DAUDIT", 0, nil)
	h.sink.now = clock.Now
	refusal := func(actor string, role commands.Role) commands.AuditEvent {
		e := auditRecord{actor: actor, channel: "C1", op: "mute", participant: "Alice", outcome: commands.OutcomeDenied}.event()
		e.Role = role
		return e
	}
	for range 300 {
		h.Audit(context.Background(), refusal("U1", commands.RoleViewer))
		h.Audit(context.Background(), refusal("UNOBODY", commands.RoleNone))
	}
	h.Audit(context.Background(), refusal("U2", commands.RoleViewer))
	h.Audit(context.Background(), auditRecord{actor: "UOP", op: "disconnect", participant: "Bob", outcome: commands.OutcomeOK}.event())
	if got := drainLines(h.sink.lines); len(got) != 1 || !strings.Contains(got[0], "disconnected Bob") {
		t.Errorf("action lines = %q, want the disconnect alone", got)
	}
	got := drainLines(h.sink.refusals)
	if len(got) != 2 || !strings.Contains(got[0], "<@U1> was refused: mute Alice") || !strings.Contains(got[1], "<@U2>") {
		t.Errorf("refusal lines = %q, want one for U1 and one for U2, none for a user with no role", got)
	}
	clock.Advance(30 * time.Second)
	h.sink.flushRefusals(clock.Now(), false)
	if got := drainLines(h.sink.refusals); len(got) != 0 {
		t.Errorf("summed up before the minute ended: %q", got)
	}
	clock.Advance(31 * time.Second)
	h.sink.flushRefusals(clock.Now(), false)
	if got := drainLines(h.sink.refusals); len(got) != 1 || !strings.Contains(got[0], "<@U1> was refused 299 times more in the minute after") {
		t.Errorf("summary lines = %q, want one for U1's 299 further refusals (U2 had no more)", got)
	}
	// A new minute starts with a line again.
	h.Audit(context.Background(), refusal("U1", commands.RoleViewer))
	if got := drainLines(h.sink.refusals); len(got) != 1 || !strings.Contains(got[0], "<@U1> was refused: mute") {
		t.Errorf("after the window: %q, want U1's refusal line", got)
	}
	if h.Dropped() != 0 {
		t.Errorf("Dropped() = %d, want 0", h.Dropped())
	}
}

func drainLines(q chan string) []string {
	var out []string
	for {
		select {
		case l := <-q:
			out = append(out, l)
		default:
			return out
		}
	}
}

// A flood of refused commands never keeps an operator's action out of the audit channel: the
// poster is stuck on a rate limit while 300 refusals and then a real disconnect arrive
// (issue 12 item 5).
func TestE2EAuditRefusalFloodCannotCrowdOutActions(t *testing.T) {
	feed := NewAuditHandler(testAuditChannel, 16, nil)
	h := newAuditHarness(t, feed, 5*time.Second)
	m := h.board()
	alice, bob := legByName(t, m, "Alice"), legByName(t, m, "Bob")
	h.fake.Fail("chat.postMessage", 1, 2*time.Second) // the first audit post waits out a 429
	for i := range 300 {
		env, err := h.fake.SlashCommand(testViewer, testChannel, slashCommand, "mute "+alice.ID)
		if err != nil {
			t.Fatalf("refused mute %d: %v", i, err)
		}
		h.waitAck(env)
	}
	h.eventually("the 300 refusals are audited", func() bool {
		return strings.Count(h.audit.String(), `"outcome":"denied"`) == 300
	})
	h.slash(testOperator, "disconnect "+bob.ID)
	want := "✅ <@" + testOperator + "> disconnected Bob (cb2) from *Board review*"
	h.eventually("the operator's disconnect reaches the audit channel", func() bool {
		for _, l := range h.auditLines(1) {
			if strings.HasPrefix(l, want) {
				return true
			}
		}
		return false
	})
	refusals := 0
	for _, l := range h.auditLines(1) {
		if strings.Contains(l, "was refused") {
			refusals++
		}
	}
	if refusals > 2 {
		t.Errorf("%d refusal lines for one viewer's 300 refusals within a minute, want 1 (plus at most its summary)", refusals)
	}
}
