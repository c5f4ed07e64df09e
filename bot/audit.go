package bot

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// Audit channel (NFMM_AUDIT_CHANNEL): commands writes one structured record per state-changing
// action to its Audit logger; main fans that logger out to the JSON log (the record of truth)
// and to an AuditHandler, which turns each record into one readable line that the bot posts.

const (
	defaultAuditQueue = 256
	// auditFlushTimeout bounds how long shutdown spends posting lines still queued (and never
	// more than Config.DrainTimeout).
	auditFlushTimeout = 5 * time.Second
	// Untrusted fields are cut so one line stays readable and far below Slack's 3000 chars.
	auditFieldMax = 200
	auditErrorMax = 500
)

// AuditHandler is a slog.Handler that formats audit records as mrkdwn lines and queues them
// for the bot (Config.Audit) to post to one channel. Handle never blocks: when the queue is
// full the line is dropped and a warning logged.
type AuditHandler struct {
	sink   *auditSink
	attrs  []slog.Attr
	prefix string // WithGroup prefix for the keys, "a.b."
}

type auditSink struct {
	channel string
	lines   chan string
	log     *slog.Logger
	dropped atomic.Int64
}

// NewAuditHandler queues up to queue lines (<= 0: 256) for channel; drops are reported on log.
func NewAuditHandler(channel string, queue int, log *slog.Logger) *AuditHandler {
	if queue <= 0 {
		queue = defaultAuditQueue
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &AuditHandler{sink: &auditSink{channel: channel, lines: make(chan string, queue), log: log}}
}

// Channel is where the lines go.
func (h *AuditHandler) Channel() string { return h.sink.channel }

// Dropped counts the lines dropped because the queue was full.
func (h *AuditHandler) Dropped() int64 { return h.sink.dropped.Load() }

// Enabled implements slog.Handler: commands audits at Info.
func (h *AuditHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

// WithAttrs implements slog.Handler.
func (h *AuditHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), qualify(h.prefix, as)...)
	return &c
}

// WithGroup implements slog.Handler.
func (h *AuditHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

func qualify(prefix string, as []slog.Attr) []slog.Attr {
	if prefix == "" {
		return as
	}
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = slog.Attr{Key: prefix + a.Key, Value: a.Value}
	}
	return out
}

// Handle implements slog.Handler: records without an op are not audit records and are ignored.
func (h *AuditHandler) Handle(_ context.Context, r slog.Record) error {
	rec := make(auditFields, 10)
	for _, a := range h.attrs {
		rec[a.Key] = a.Value.Resolve()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec[h.prefix+a.Key] = a.Value.Resolve()
		return true
	})
	if rec.str("op") == "" {
		return nil
	}
	line := auditLine(rec)
	select {
	case h.sink.lines <- line:
	default:
		n := h.sink.dropped.Add(1)
		h.sink.log.Warn("audit channel queue full: line dropped (the JSON audit log still has the record)",
			"channel", h.sink.channel, "dropped_total", n)
	}
	return nil
}

// auditFields are a record's attributes by key.
type auditFields map[string]slog.Value

// str is the attribute as text; "" when it is missing (a zero Value would print "<nil>").
func (f auditFields) str(key string) string {
	v, ok := f[key]
	if !ok || v.Kind() == slog.KindAny && v.Any() == nil {
		return ""
	}
	return v.String()
}

// auditVerb is how a line names an operation: done is past tense for success; do is the
// imperative for refusals and failures; prep joins the meeting.
type auditVerb struct{ done, do, prep, what string }

var auditVerbs = map[commands.Op]auditVerb{
	commands.OpMute:       {"muted", "mute", "in", "a participant"},
	commands.OpUnmute:     {"unmuted", "unmute", "in", "a participant"},
	commands.OpDisconnect: {"disconnected", "disconnect", "from", "a participant"},
	commands.OpAdd:        {"added", "add", "to", "a participant"},
	commands.OpPresenter:  {"set presenter", "set presenter", "in", "mode"},
	commands.OpLayout:     {"changed the layout of", "change the layout of", "in", "the meeting"},
}

// slackID matches user and channel ids that are safe to put inside <@…> / <#…>.
var slackID = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,30}$`)

// auditLine renders one record: "✅ <@U1> muted audio of Alice (cb2) in *Board review* · <#C1>".
// Every field but the ids comes from CMS or the user and is escaped.
func auditLine(rec auditFields) string {
	op := commands.Op(rec.str("op"))
	v, ok := auditVerbs[op]
	if !ok {
		v = auditVerb{done: "did " + string(op), do: string(op), prep: "in"}
	}
	target := auditTarget(rec, v)
	where := ""
	if m := strings.TrimSpace(rec.str("meeting")); m != "" {
		where = " " + v.prep + " " + bold(m, auditFieldMax)
	}
	errText := escapeTrunc(clean(rec.str("error")), auditErrorMax)
	actor := mention("@", rec.str("actor"))
	var line string
	switch rec.str("outcome") {
	case commands.OutcomeOK:
		line = fmt.Sprintf("✅ %s %s %s%s", actor, v.done, target, where)
	case commands.OutcomeDenied:
		line = fmt.Sprintf("⛔ %s was refused: %s %s%s", actor, v.do, target, where)
	case commands.OutcomePartial:
		line = fmt.Sprintf("⚠️ %s %s %s%s, partly failed", actor, v.done, target, where)
		if errText != "" {
			line += ": " + errText
		}
	default:
		line = fmt.Sprintf("⚠️ %s %s %s%s failed", actor, v.do, target, where)
		if errText != "" {
			line += ": " + errText
		}
	}
	if ch := rec.str("channel"); ch != "" {
		line += " · " + mention("#", ch)
	}
	return line
}

// auditTarget is "audio of Alice (cb2)": what the action was applied to.
func auditTarget(rec auditFields, v auditVerb) string {
	t := escapeTrunc(strings.TrimSpace(clean(rec.str("participant"))), auditFieldMax)
	if t == "" {
		t = v.what
	}
	if m := rec.str("media"); m != "" && t != "" {
		t = escapeTrunc(clean(m), 10) + " of " + t
	}
	if nodes := auditNodes(rec["nodes"]); nodes != "" {
		t += " (" + nodes + ")"
	}
	return t
}

func auditNodes(v slog.Value) string {
	if v.Kind() == slog.KindString {
		return escapeTrunc(clean(v.String()), auditFieldMax)
	}
	ns, ok := v.Any().([]string)
	if !ok {
		return ""
	}
	return escapeTrunc(clean(strings.Join(ns, ", ")), auditFieldMax)
}

// mention links a Slack id (<@U1>, <#C1>) and shows anything else ("local") escaped.
func mention(sigil, id string) string {
	if slackID.MatchString(id) {
		return "<" + sigil + id + ">"
	}
	return escapeTrunc(clean(id), 64)
}

// startAudit runs the poster of the audit lines until the returned stop is called; stop posts
// what is still queued (bounded by auditFlushTimeout) and waits for the poster to end.
func (b *Bot) startAudit(ctx context.Context) (stop func()) {
	a := b.cfg.Audit
	if a == nil || a.sink.channel == "" {
		return func() {}
	}
	postCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	flush, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		b.auditLoop(postCtx, a.sink, flush)
	}()
	return func() {
		close(flush)
		t := time.AfterFunc(min(auditFlushTimeout, b.cfg.DrainTimeout), cancel)
		<-done
		t.Stop()
		cancel()
	}
}

// auditLoop posts lines one by one (Bot.Post paces them per channel and retries a 429 once),
// until flush is closed; then it posts what is queued and returns.
func (b *Bot) auditLoop(ctx context.Context, s *auditSink, flush <-chan struct{}) {
	for {
		select {
		case line := <-s.lines:
			b.postAuditLine(ctx, s.channel, line)
		case <-flush:
			for {
				select {
				case line := <-s.lines:
					if ctx.Err() != nil {
						return
					}
					b.postAuditLine(ctx, s.channel, line)
				default:
					return
				}
			}
		}
	}
}

func (b *Bot) postAuditLine(ctx context.Context, channel, line string) {
	m := message{Text: truncate(line, maxSectionText), Blocks: []slack.Block{textSection(line)}}
	if _, err := b.Post(ctx, channel, m); err != nil {
		b.log.Warn("audit line not posted to the audit channel (the JSON audit log has the record)", "channel", channel, "err", err)
	}
}
