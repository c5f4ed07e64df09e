package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nfmm/nfmm/commands"
)

// interaction is where a request came from and how to answer it.
type interaction struct {
	actor       commands.Actor
	responseURL string // the envelope's response_url (empty for modal submissions without one)
	channel     string
	messageTS   string // the message a click came from
	ephemeral   bool   // that message is ephemeral: only response_url can change it
	triggerID   string
}

// job is one unit of work for the pool.
type job struct {
	kind string // for logs and metrics: "slash_command", "nfmm_mute_audio", …
	ia   interaction
	run  func(ctx context.Context)
	// claim is the envelope key claimed in the store before run ("" = nothing to claim).
	claim string
	// asked is when the envelope was queued: reads that started later are fresh enough for
	// it (commands.AskedAt), so jobs waiting for a worker share reads instead of repeating them.
	asked time.Time
}

// busyMessage answers a request shed because every worker is busy and the queue is full.
var busyMessage = message{Text: "⏳ NFMM is busy, try again in a moment."}

// enqueue hands a job to a worker. It runs in the read loop after the ack and never blocks:
// waiting for a free slot would delay every later envelope's ack past Slack's 3 s. When the
// queue is full the request is shed and the shed pool tells the user.
func (b *Bot) enqueue(q chan job, j job) {
	j.asked = time.Now()
	select {
	case q <- j:
		return
	default:
	}
	b.metrics.Command(j.kind, "busy")
	select {
	case b.shed <- j.ia:
		b.log.Warn("every worker busy and the queue full: request shed", "kind", j.kind, "user", j.ia.actor.UserID)
	default:
		b.log.Warn("every worker busy and the queue full: request shed without telling the user", "kind", j.kind, "user", j.ia.actor.UserID)
	}
}

// shedWorker tells the users whose requests were shed that NFMM is busy.
func (b *Bot) shedWorker(ctx context.Context) {
	for ia := range b.shed {
		tctx, cancel := context.WithTimeout(ctx, shedTellTimeout)
		b.tell(tctx, ia, busyMessage)
		cancel()
	}
}

func (b *Bot) worker(ctx context.Context, q <-chan job) {
	for j := range q {
		b.runJob(ctx, j)
	}
}

// runJob runs one job with a bound and recovers a panic so that one bad request never takes the
// bot down: the stack goes to the log, the user hears "internal error".
func (b *Bot) runJob(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeout(commands.AskedAt(ctx, j.asked), b.cfg.JobTimeout)
	defer cancel()
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		b.log.Error("handler panicked", "kind", j.kind, "user", j.ia.actor.UserID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		b.metrics.Command(j.kind, "panic")
		b.tellSafely(ctx, j.ia, message{Text: "⚠️ Internal error: NFMM could not handle that request. The details are in the NFMM log."})
	}()
	ctx, ok := b.claim(ctx, j)
	if !ok {
		return
	}
	j.run(ctx)
}

// tellSafely is tell for the panic path: a second panic there must not escape the worker.
func (b *Bot) tellSafely(ctx context.Context, ia interaction, m message) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("could not report a panic to the user", "panic", fmt.Sprint(r))
		}
	}()
	b.tell(ctx, ia, m)
}

// maxCommandText bounds what we hand to the parser; Slack caps slash text far below this anyway.
const maxCommandText = 4000

// onSlash answers `/cms <text>`: blank asks for help, a trailing `public` posts to the channel.
func (b *Bot) onSlash(ctx context.Context, ia interaction, text string) {
	text = strings.TrimSpace(text)
	if len(text) > maxCommandText {
		text = text[:maxCommandText]
	}
	// Only someone NFMM serves may post to the channel: a user with no role (or any user in a
	// channel outside NFMM_CHANNELS) gets even help privately.
	public := wantsPublic(text) && b.svc.RoleOf(ia.actor) >= commands.RoleViewer
	var (
		res commands.Result
		err error
		op  = opName(text)
	)
	if op == opSchedule { // the bot's own sub-command: schedules live here, not in commands
		b.onSchedule(ctx, ia, public)
		return
	}
	if op == string(commands.OpHelp) && (text == "" || strings.EqualFold(text, "public")) {
		res, err = b.svc.Execute(ctx, ia.actor, commands.Command{Op: commands.OpHelp, Public: public})
	} else {
		res, err = b.svc.Run(ctx, ia.actor, text)
	}
	b.metrics.Command(op, outcome(err))
	if choice := (*commands.ClusterChoiceError)(nil); errors.As(err, &choice) {
		b.tell(ctx, ia, clusterChoice(text, choice)) // several clusters, none implied: ask which
		return
	}
	if m, ok := candidateMessage(text, err); ok {
		b.tell(ctx, ia, m) // an ambiguous participant: its candidates as buttons
		return
	}
	if err != nil {
		b.replyError(ctx, ia, err)
		return
	}
	if w, ok := res.(*commands.WatchResult); ok { // watch, follow, calls live: a channel message
		b.startLive(ctx, ia, w)
		return
	}
	m := render(res, b.opts(ia.actor, 0, ""))
	if public {
		b.respond(ctx, ia, m, respondInChannel)
		return
	}
	b.respond(ctx, ia, m, respondEphemeral)
}

// replyError answers a failed request privately; a usage error shows that command's usage
// (renderError), never the whole help.
func (b *Bot) replyError(ctx context.Context, ia interaction, err error) {
	b.log.Info("request refused or failed", "user", ia.actor.UserID, "channel", ia.actor.ChannelID, "err", err)
	b.tell(ctx, ia, renderError(err))
}

func (b *Bot) opts(a commands.Actor, page int, note string) renderOpts {
	o := renderOpts{Page: page, Role: b.svc.RoleOf(a), Note: note, Now: b.cfg.Now(), Location: b.cfg.Location}
	if ro, ok := b.svc.(interface {
		RoleOn(commands.Actor, string) commands.Role
	}); ok {
		o.RoleOn = func(cluster string) commands.Role { return ro.RoleOn(a, cluster) }
	}
	return o
}

// wantsPublic reports a trailing word "public" (the grammar ignores it; the bot decides).
func wantsPublic(text string) bool {
	f := strings.Fields(text)
	return len(f) > 0 && strings.EqualFold(f[len(f)-1], "public")
}

// knownOps bounds the metric label set: arbitrary user words never become label values.
var knownOps = map[string]bool{
	"help": true, "calls": true, "call": true, "participant": true, "add": true, "presenter": true,
	"layout": true, "mute": true, "unmute": true, "disconnect": true, "status": true, "report": true,
	opSchedule: true, string(commands.OpAlerts): true, string(commands.OpAudit): true, "watch": true, "follow": true,
}

// opSchedule is `/cms schedule`, answered by the bot itself (see onSchedule).
const opSchedule = "schedule"

// opName is the operation a command text names, for metrics and logs.
func opName(text string) string {
	f := strings.Fields(strings.ToLower(text))
	if len(f) == 0 || f[0] == "public" {
		return string(commands.OpHelp)
	}
	if knownOps[f[0]] {
		return f[0]
	}
	return "unknown"
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case isDenied(err):
		return "denied"
	case isUsage(err):
		return "usage"
	default:
		return "error"
	}
}

func isUsage(err error) bool {
	var u *commands.UsageError
	return errors.As(err, &u)
}

func isDenied(err error) bool {
	var d *commands.DeniedError
	return errors.As(err, &d)
}
