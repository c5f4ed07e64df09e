package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// Runner is the part of commands.Service the bot uses (consumer-side, so tests may fake it).
type Runner interface {
	Run(ctx context.Context, a commands.Actor, text string) (commands.Result, error)
	Execute(ctx context.Context, a commands.Actor, c commands.Command) (commands.Result, error)
	RoleOf(a commands.Actor) commands.Role
	Allowed(a commands.Actor, op commands.Op) error
}

// Metrics receives what the ops endpoint exports. Every method must be safe for concurrent use.
type Metrics interface {
	Ack(d time.Duration)        // time from reading an envelope to handing its ack to the socket
	Reconnect()                 // a socket re-opened after the first connection
	Command(op, outcome string) // outcome: ok, error, denied, usage, panic, busy (shed, full queue)
}

type noMetrics struct{}

func (noMetrics) Ack(time.Duration)      {}
func (noMetrics) Reconnect()             {}
func (noMetrics) Command(string, string) {}

// Config is what New needs. Tokens are plain strings handed over by main; the bot never logs them.
type Config struct {
	BotToken   string // xoxb-…: every Web API call
	AppToken   string // xapp-…: apps.connections.open only
	APIURL     string // Slack Web API base with a trailing slash; empty = https://slack.com/api/
	Service    Runner
	Logger     *slog.Logger
	Metrics    Metrics        // nil = no metrics
	Location   *time.Location // for clock times in notes; nil = UTC
	HTTPClient *http.Client   // nil = a client with a slackHTTPTimeout timeout

	Workers      int           // handler pool size; default 16
	QueueSize    int           // envelopes waiting for a worker; default 256
	PostInterval time.Duration // minimum spacing of new posts per channel; default 1 s (Slack: ~1 msg/s/channel)
	DrainTimeout time.Duration // how long shutdown waits for in-flight work; default 10 s
	JobTimeout   time.Duration // bound on one handler's work; default 2 min
	PingInterval time.Duration // reconnect when Slack sends no PING for this long; 0 = slack-go's 30 s
	Now          func() time.Time

	// Scheduled reports (NFMM_REPORT_SCHEDULE): Run starts them and stops them on shutdown. When
	// Metrics also has ReportRun(outcome) (ops.Metrics does), every run is counted.
	Reports        []Report
	ReportQuiet    bool           // post nothing when there are no calls
	ReportLocation *time.Location // zone of specs without CRON_TZ; nil = time.Local (cron's default)
	ReportCatchup  time.Duration  // NFMM_REPORT_CATCHUP; 0 = 10 min, negative = off
	// Leadership, when set, runs the report scheduler only while this replica leads; nil runs
	// it always (one process).
	Leadership Leadership
	// Claims, when set, claims every envelope before it is acted on (the store: dedupe across
	// replicas and restarts); nil remembers envelope ids in memory for dedupeTTL.
	Claims Claims

	// UserGroups are the Slack user-group ids (S…) named in the policy (see UserGroupIDs): every
	// actor gets the ones it belongs to, read with usergroups.users.list and cached for GroupTTL
	// (default 5 min).
	UserGroups []string
	GroupTTL   time.Duration
	// Audit, when set, receives the audit records (see AuditHandler); Run posts them as lines.
	Audit *AuditHandler

	// Live messages (watch, follow, calls live) and the App Home: LiveStore keeps their
	// references so a restart resumes them (nil: in memory, a restart forgets), LiveTTL stops
	// each after that long (NFMM_LIVE_TTL, default 4 h), LiveUpdatesPerMinute is the app-wide
	// budget of their updates (default 50, chat.update's Tier 3).
	LiveStore            LiveStore
	LiveTTL              time.Duration
	LiveUpdatesPerMinute int
}

func (c *Config) applyDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = noMetrics{}
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.HTTPClient == nil {
		// Every Web API call also carries a ctx; this bounds the ones whose ctx lives long
		// (start-up, socket open) against a Slack that accepts and never answers.
		c.HTTPClient = &http.Client{Timeout: slackHTTPTimeout}
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 256
	}
	if c.PostInterval <= 0 {
		c.PostInterval = time.Second
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 10 * time.Second
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 2 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Shed requests are answered by a small pool of their own (never the read loop), each answer
// bounded so a slow Slack cannot pile them up.
const (
	shedWorkers     = 2
	shedTellTimeout = 10 * time.Second
)

// urgentWorkers serve only jobs that must reach Slack within 3 s of the click (views.open with
// a trigger_id), so they never wait behind slow CMS work in the main pool.
const urgentWorkers = 4

// dedupeTTL covers Slack's redelivery window with a wide margin.
const dedupeTTL = 10 * time.Minute

// Bot is the Socket Mode runtime. Run it once.
type Bot struct {
	cfg       Config
	log       *slog.Logger
	metrics   Metrics
	svc       Runner
	api       *slack.Client
	sm        *socketmode.Client
	seen      *dedupe
	jobs      chan job
	urgent    chan job
	shed      chan interaction // requests dropped for a full queue, to be told "busy"
	connected atomic.Bool
	pacer     *pacer
	actions   map[string]actionHandler
	sched     *Scheduler // nil when no report is scheduled
	groups    *groupCache
	alerts    AlertBook // nil until SetAlerts: alerts off
	live      *liveManager
}

// New builds the bot; it does no I/O.
func New(cfg Config) (*Bot, error) {
	cfg.applyDefaults()
	if cfg.Service == nil {
		return nil, errors.New("bot: Config.Service is required")
	}
	if cfg.BotToken == "" || cfg.AppToken == "" {
		return nil, errors.New("bot: SLACK_BOT_TOKEN and SLACK_APP_TOKEN are required")
	}
	opts := []slack.Option{
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionHTTPClient(cfg.HTTPClient),
		slack.OptionLog(slogOutput{cfg.Logger}),
	}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	api := slack.New(cfg.BotToken, opts...)
	smOpts := []socketmode.Option{socketmode.OptionLog(slogOutput{cfg.Logger})}
	if cfg.PingInterval > 0 {
		smOpts = append(smOpts, socketmode.OptionPingInterval(cfg.PingInterval))
	}
	b := &Bot{
		cfg:     cfg,
		log:     cfg.Logger,
		metrics: cfg.Metrics,
		svc:     storeGuard{cfg.Service},
		api:     api,
		sm:      socketmode.New(api, smOpts...),
		seen:    newDedupe(dedupeTTL, 10000, cfg.Now),
		jobs:    make(chan job, cfg.QueueSize),
		urgent:  make(chan job, cfg.QueueSize),
		shed:    make(chan interaction, cfg.QueueSize),
		pacer:   newPacer(cfg.PostInterval),
	}
	b.actions = b.actionHandlers()
	maps.Copy(b.actions, b.alertActions())
	maps.Copy(b.actions, b.liveActions())
	b.live = newLiveManager(b)
	b.groups = newGroupCache(api, cfg.UserGroups, cfg.GroupTTL, cfg.Now, cfg.Logger)
	if err := b.newScheduler(); err != nil {
		return nil, err
	}
	return b, nil
}

// slackHTTPTimeout bounds one Slack Web API request.
const slackHTTPTimeout = 20 * time.Second

// Connected reports whether the Socket Mode connection is up (for /healthz).
func (b *Bot) Connected() bool { return b.connected.Load() }

// Run connects to Slack and serves envelopes until ctx is done; it returns nil on a clean
// shutdown and an error naming the rejected token when Slack refuses one. On shutdown it stops
// reading envelopes and closes the socket (Slack redelivers unacked envelopes), then lets
// in-flight work finish within DrainTimeout.
func (b *Bot) Run(ctx context.Context) error {
	if err := b.checkBotToken(ctx); err != nil {
		return err
	}
	// Workers outlive ctx by up to DrainTimeout so a click being handled still gets its answer.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	for range b.cfg.Workers {
		wg.Go(func() { b.worker(workCtx, b.jobs) })
	}
	for range urgentWorkers {
		wg.Go(func() { b.worker(workCtx, b.urgent) })
	}
	for range shedWorkers {
		wg.Go(func() { b.shedWorker(workCtx) })
	}

	// Read the user groups now, so the first click (maybe one that must open a modal within
	// its 3 s trigger) does not wait for usergroups.users.list.
	wg.Go(func() { b.groups.groupsOf(ctx, "") })
	leading := b.startLeader(ctx)
	stopAudit := b.startAudit(ctx)
	liveCtx, stopLive := context.WithCancel(ctx)
	liveDone := b.live.start(liveCtx)
	defer func() { stopLive(); <-liveDone }()

	sockCtx, closeSocket := context.WithCancel(ctx)
	defer closeSocket()
	sockErr := make(chan error, 1)
	go func() { sockErr <- b.sm.RunContext(sockCtx) }()

	err := b.readLoop(ctx, sockErr)
	// The socket closes with ctx: envelopes Slack sends from now on go unacked and are
	// redelivered to whichever instance is connected (a rolling restart loses nothing).
	closeSocket()
	b.connected.Store(false)
	// readLoop was the only producer of the queues.
	close(b.jobs)
	close(b.urgent)
	close(b.shed)
	schedStopped := b.stopScheduler(leading) // a running report finishes alongside the handlers
	b.drain(&wg, stopWork)
	<-schedStopped
	stopAudit() // after the handlers: their last audit lines are posted too
	if err == nil {
		b.log.Info("Slack bot stopped")
	}
	return err
}

// drain waits for the workers, cancelling their work once DrainTimeout has passed.
func (b *Bot) drain(wg *sync.WaitGroup, stopWork context.CancelFunc) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(b.cfg.DrainTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		b.log.Warn("shutdown: in-flight work did not finish in time; cancelling it", "timeout", b.cfg.DrainTimeout)
		stopWork()
		<-done
	}
}

func (b *Bot) readLoop(ctx context.Context, sockErr <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-sockErr:
			if ctx.Err() != nil {
				return nil
			}
			return socketError(err)
		case evt := <-b.sm.Events:
			b.handleEvent(ctx, evt)
		}
	}
}

// fatalAuthErrors are the apps.connections.open errors slack-go gives up on.
var fatalAuthErrors = map[string]bool{"invalid_auth": true, "account_inactive": true, "not_authed": true, "token_revoked": true}

// socketError explains why the socket gave up. Only apps.connections.open can fail fatally and
// it uses the app-level token, so a rejection names SLACK_APP_TOKEN.
func socketError(err error) error {
	if err == nil {
		return errors.New("slack: socket mode stopped unexpectedly")
	}
	if fatalAuthErrors[err.Error()] {
		return fmt.Errorf("slack rejected SLACK_APP_TOKEN (%s): it must be an app-level token (xapp-…) with the connections:write scope: %w", err.Error(), err)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusNotFound {
		return fmt.Errorf("slack: apps.connections.open answered 404: check SLACK_API_URL and that Socket Mode is enabled for the app: %w", err)
	}
	return fmt.Errorf("slack socket mode: %w", err)
}

// checkBotToken asks auth.test whether the bot token works, so a wrong SLACK_BOT_TOKEN stops
// start-up with a clear message instead of failing every post later.
func (b *Bot) checkBotToken(ctx context.Context) error {
	checkCtx, cancel := context.WithTimeout(ctx, slackHTTPTimeout)
	defer cancel()
	resp, err := b.api.AuthTestContext(checkCtx)
	if err == nil {
		b.log.Info("Slack bot token accepted", "team", resp.Team, "bot_user", resp.UserID)
		return nil
	}
	if fatalAuthErrors[err.Error()] {
		return fmt.Errorf("slack rejected SLACK_BOT_TOKEN (%s): it must be the bot token (xoxb-…) of the installed app: %w", err.Error(), err)
	}
	if ctx.Err() != nil {
		return nil
	}
	// Slack may be briefly unreachable; the socket keeps retrying, so do not refuse to start.
	b.log.Warn("could not verify SLACK_BOT_TOKEN (auth.test failed); continuing", "err", err)
	return nil
}

// handleEvent runs in the read loop: it must never block on Slack or CMS.
func (b *Bot) handleEvent(ctx context.Context, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.connected.Store(false)
		if ce, ok := evt.Data.(*slack.ConnectingEvent); ok {
			b.log.Info("connecting to Slack", "attempt", ce.Attempt, "connection", ce.ConnectionCount)
		}
	case socketmode.EventTypeConnected:
		b.connected.Store(true)
		count := 0
		if ce, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
			count = ce.ConnectionCount
		}
		b.log.Info("connected to Slack", "connection", count)
		if count > 0 {
			b.metrics.Reconnect()
		}
	case socketmode.EventTypeConnectionError:
		b.connected.Store(false)
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			b.log.Warn("Slack connection error; retrying", "attempt", ce.Attempt, "backoff", ce.Backoff, "err", ce.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		b.connected.Store(false)
		b.log.Error("Slack refused the app-level token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeHello:
		b.log.Debug("Slack said hello")
	case socketmode.EventTypeSlashCommand:
		b.onSlashEnvelope(ctx, evt)
	case socketmode.EventTypeInteractive:
		b.onInteractiveEnvelope(ctx, evt)
	case socketmode.EventTypeEventsAPI:
		if evt.Request != nil {
			b.ack(ctx, evt.Request, nil, b.cfg.Now())
		}
		if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok && (evt.Request == nil || b.firstDelivery(evt.Request)) {
			b.onEventsAPI(ev)
		}
	case socketmode.EventTypeErrorBadMessage, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok && b.recoverBlockActions(ctx, bad.Message) {
			return
		}
		b.log.Warn("Slack socket problem", "type", string(evt.Type), "detail", fmt.Sprint(evt.Data))
	default:
		b.log.Debug("ignored socket event", "type", string(evt.Type))
	}
}

// ack acknowledges an envelope; a payload Slack would drop (too large) falls back to a bare ack
// so the envelope is at least not redelivered.
func (b *Bot) ack(ctx context.Context, req *socketmode.Request, payload any, start time.Time) {
	err := b.sm.AckCtx(ctx, req.EnvelopeID, payload)
	if err != nil && payload != nil && ctx.Err() == nil {
		b.log.Error("ack with payload failed; acking without it", "envelope", req.EnvelopeID, "err", err)
		err = b.sm.AckCtx(ctx, req.EnvelopeID, nil)
	}
	if err != nil {
		b.log.Error("ack failed", "envelope", req.EnvelopeID, "err", err)
		return
	}
	b.metrics.Ack(b.cfg.Now().Sub(start))
}

func (b *Bot) onSlashEnvelope(ctx context.Context, evt socketmode.Event) {
	start := b.cfg.Now()
	if evt.Request == nil {
		return
	}
	b.ack(ctx, evt.Request, nil, start)
	sc, ok := evt.Data.(slack.SlashCommand)
	if !ok || !b.firstDelivery(evt.Request) {
		return
	}
	ia := interaction{
		actor:       commands.Actor{UserID: sc.UserID, ChannelID: sc.ChannelID},
		responseURL: sc.ResponseURL,
		channel:     sc.ChannelID,
		triggerID:   sc.TriggerID,
	}
	j := b.userJob("slash_command", ia, func(ctx context.Context, ia interaction) { b.onSlash(ctx, ia, sc.Text) })
	j.claim = evt.Request.EnvelopeID
	b.enqueue(b.jobs, j)
}

func (b *Bot) onInteractiveEnvelope(ctx context.Context, evt socketmode.Event) {
	start := b.cfg.Now()
	if evt.Request == nil {
		return
	}
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok {
		b.ack(ctx, evt.Request, nil, start)
		return
	}
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		// Validation is cheap and pure, so it happens here: Slack shows the errors in the modal.
		payload, work := b.viewSubmission(cb)
		b.ack(ctx, evt.Request, payload, start)
		if work != nil && b.firstDelivery(evt.Request) {
			work.claim = evt.Request.EnvelopeID
			b.enqueue(b.jobs, *work)
		}
	case slack.InteractionTypeBlockActions:
		b.onBlockActions(ctx, evt.Request, cb, blockActions(cb, evt.Request.Payload), start)
	default:
		b.ack(ctx, evt.Request, nil, start)
	}
}

func (b *Bot) onBlockActions(ctx context.Context, req *socketmode.Request, cb slack.InteractionCallback, acts []slack.BlockAction, start time.Time) {
	b.ack(ctx, req, nil, start)
	if !b.firstDelivery(req) {
		return
	}
	for i, act := range acts {
		j, queue := b.blockActionJob(cb, act)
		j.claim = req.EnvelopeID
		if i > 0 { // Slack sends one action per envelope; should it send more, each runs once
			j.claim += fmt.Sprintf("#%d", i)
		}
		b.enqueue(queue, j)
	}
}

// recoverBlockActions runs a block_actions envelope slack-go could not parse because an action
// has no block_id (it then reads the action as an attachment's, whose text is a string): a
// payload built from an element's action_id and value alone. It reports whether msg was one.
func (b *Bot) recoverBlockActions(ctx context.Context, msg json.RawMessage) bool {
	start := b.cfg.Now()
	var req socketmode.Request
	if json.Unmarshal(msg, &req) != nil || req.Type != string(socketmode.RequestTypeInteractive) || req.EnvelopeID == "" {
		return false
	}
	cb, acts, ok := parseBlockActions(req.Payload)
	if !ok {
		return false
	}
	b.onBlockActions(ctx, &req, cb, acts, start)
	return true
}

// firstDelivery reports whether this envelope has not been handled yet. A retry (retry_attempt
// > 0) whose id we never saw still runs: its first delivery died with the old socket.
func (b *Bot) firstDelivery(req *socketmode.Request) bool {
	if b.seen.firstTime(req.EnvelopeID) {
		return true
	}
	b.log.Info("redelivered envelope acked, not run again", "envelope", req.EnvelopeID, "retry_attempt", req.RetryAttempt, "retry_reason", req.RetryReason)
	return false
}

// slogOutput adapts slog to slack-go's Output(calldepth, s) logger.
type slogOutput struct{ l *slog.Logger }

func (o slogOutput) Output(_ int, s string) error {
	o.l.Debug(strings.TrimSpace(s), "component", "slack-go")
	return nil
}
