package bot

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// Audit channel (NFMM_AUDIT_CHANNEL): commands hands one typed event per state-changing action
// to its AuditSink; the wiring fans that out to the JSON log (the record of truth) and to an
// AuditHandler, which turns each event into one readable line that the bot posts.

const (
	defaultAuditQueue = 256
	// auditFlushTimeout bounds how long shutdown spends posting lines still queued (and never
	// more than Config.DrainTimeout).
	auditFlushTimeout = 5 * time.Second
	// Untrusted fields are cut so one line stays readable and far below Slack's 3000 chars.
	auditFieldMax = 200
	auditErrorMax = 500
)

// AuditHandler is the audit channel's commands.AuditSink: it formats each event as a mrkdwn
// line and queues it for the bot (Config.Audit) to post to one channel. Audit never blocks:
// when the queue is full the line is dropped and a warning logged.
type AuditHandler struct {
	sink *auditSink
}

var _ commands.AuditSink = (*AuditHandler)(nil)

type auditSink struct {
	channel string
	lines   chan string // actions that happened or failed: posted ahead of every refusal
	log     *slog.Logger
	dropped atomic.Int64

	// Refusals cost the refused user nothing, so anyone could flood the channel with them and
	// crowd out real actions. They have their own small queue, posted only when lines is empty,
	// and each actor gets one line per refusalWindow; later refusals in the window are counted
	// and summed up in one line when it ends (flushRefusals).
	refusals chan string
	now      func() time.Time
	mu       sync.Mutex
	refused  map[string]*refusalCount // actor -> the current window
}

// refusalCount is one actor's refusals in the window that started at start.
type refusalCount struct {
	start time.Time
	more  int // refusals after the one posted
}

// Refusal collapsing: one line per actor per minute, and at most refusalQueue lines waiting.
const (
	refusalWindow = time.Minute
	refusalQueue  = 32
)

// NewAuditHandler queues up to queue lines (<= 0: 256) for channel; drops are reported on log.
func NewAuditHandler(channel string, queue int, log *slog.Logger) *AuditHandler {
	if queue <= 0 {
		queue = defaultAuditQueue
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &AuditHandler{sink: &auditSink{
		channel: channel, lines: make(chan string, queue), log: log,
		refusals: make(chan string, min(queue, refusalQueue)), now: time.Now,
		refused: make(map[string]*refusalCount),
	}}
}

// Channel is where the lines go.
func (h *AuditHandler) Channel() string { return h.sink.channel }

// Dropped counts the lines dropped because the queue was full.
func (h *AuditHandler) Dropped() int64 { return h.sink.dropped.Load() }

// Audit implements commands.AuditSink.
func (h *AuditHandler) Audit(_ context.Context, e commands.AuditEvent) {
	if e.Op == "" {
		return
	}
	if e.Outcome == commands.OutcomeDenied {
		// Someone NFMM does not serve at all is noise, not an operator's concern: the JSON
		// audit log has the record.
		if e.Role != commands.RoleNone {
			h.sink.refusal(e.Actor, auditLine(e))
		}
		return
	}
	h.sink.queue(h.sink.lines, auditLine(e))
}

// queue adds a line without blocking; a full queue drops it with a warning.
func (s *auditSink) queue(q chan string, line string) {
	select {
	case q <- line:
	default:
		n := s.dropped.Add(1)
		s.log.Warn("audit channel queue full: line dropped (the JSON audit log still has the record)",
			"channel", s.channel, "dropped_total", n)
	}
}

// refusal queues the actor's first refusal of a window and counts the rest.
func (s *auditSink) refusal(actor, line string) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.refused[actor]; c != nil && now.Sub(c.start) < refusalWindow {
		c.more++
		return
	}
	s.flushLocked(actor)
	s.refused[actor] = &refusalCount{start: now}
	s.queue(s.refusals, line)
}

// flushRefusals sums up the windows that ended by now (all of them when all is set): one line
// per actor with refusals that were counted but not posted.
func (s *auditSink) flushRefusals(now time.Time, all bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for actor, c := range s.refused {
		if all || now.Sub(c.start) >= refusalWindow {
			s.flushLocked(actor)
		}
	}
}

func (s *auditSink) flushLocked(actor string) {
	c := s.refused[actor]
	if c == nil {
		return
	}
	delete(s.refused, actor)
	if c.more == 0 {
		return
	}
	s.queue(s.refusals, fmt.Sprintf("⛔ %s was refused %s more in the minute after %s",
		mention("@", actor), plural(c.more, "time", "times"), c.start.UTC().Format("15:04:05 UTC")))
}

// slackID matches user and channel ids that are safe to put inside <@…> / <#…>.
var slackID = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,30}$`)

// auditLine renders one event: "✅ <@U1> muted Alice (cb2) in *Board review* · <#C1>". The
// sentence comes from the operation table; every part but the ids comes from CMS or the user
// and is escaped.
func auditLine(e commands.AuditEvent) string {
	sn := e.Sentence
	if sn.Done == "" { // an event built without the table's sentence
		sn = commands.SentenceOf(commands.Command{Op: e.Op, Media: e.Media, Off: e.Presenter == "off"}, e.Participant)
	}
	what := func(s string) string {
		s = escapeTrunc(strings.TrimSpace(clean(s)), 2*auditFieldMax)
		if len(e.Nodes) > 0 {
			s += " (" + escapeTrunc(clean(strings.Join(e.Nodes, ", ")), auditFieldMax) + ")"
		}
		if m := strings.TrimSpace(e.Meeting); m != "" {
			s += " " + sn.Prep + " " + bold(m, auditFieldMax)
		}
		return s
	}
	errText := escapeTrunc(clean(e.Error), auditErrorMax)
	actor := mention("@", e.Actor)
	var line string
	switch e.Outcome {
	case commands.OutcomeOK:
		line = fmt.Sprintf("✅ %s %s", actor, what(sn.Done))
	case commands.OutcomeDenied:
		line = fmt.Sprintf("⛔ %s was refused: %s", actor, what(sn.Do))
	case commands.OutcomePartial:
		line = fmt.Sprintf("⚠️ %s %s, partly failed", actor, what(sn.Done))
		if errText != "" {
			line += ": " + errText
		}
	default:
		line = fmt.Sprintf("⚠️ %s %s failed", actor, what(sn.Do))
		if errText != "" {
			line += ": " + errText
		}
	}
	if e.Channel != "" {
		line += " · " + mention("#", e.Channel)
	}
	return line
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
// actions ahead of refusals, until flush is closed; then it posts what is queued and returns.
func (b *Bot) auditLoop(ctx context.Context, s *auditSink, flush <-chan struct{}) {
	tick := time.NewTicker(refusalWindow / 4)
	defer tick.Stop()
	for {
		select {
		case line := <-s.lines: // never behind a refusal
			b.postAuditLine(ctx, s.channel, line)
			continue
		default:
		}
		select {
		case line := <-s.lines:
			b.postAuditLine(ctx, s.channel, line)
		case line := <-s.refusals:
			b.postAuditLine(ctx, s.channel, line)
		case <-tick.C:
			s.flushRefusals(s.now(), false)
		case <-flush:
			s.flushRefusals(s.now(), true)
			for _, q := range []chan string{s.lines, s.refusals} {
				for drained := false; !drained; {
					select {
					case line := <-q:
						if ctx.Err() != nil {
							return
						}
						b.postAuditLine(ctx, s.channel, line)
					default:
						drained = true
					}
				}
			}
			return
		}
	}
}

func (b *Bot) postAuditLine(ctx context.Context, channel, line string) {
	m := message{Text: truncate(line, maxSectionText), Blocks: []slack.Block{textSection(line)}}
	if _, err := b.Post(ctx, channel, m); err != nil {
		b.log.Warn("audit line not posted to the audit channel (the JSON audit log has the record)", "channel", channel, "err", err)
	}
}
