package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/robfig/cron/v3"
)

// Report is one scheduled report: a cron spec as config validated it (5 fields or @descriptor,
// optional "CRON_TZ=Zone " prefix) and the channel that receives it.
type Report struct {
	Spec    string
	Channel string // channel id (C…/G…) or #name
}

// ReportMetrics is implemented by metrics that count report runs (ops.Metrics does).
type ReportMetrics interface {
	ReportRun(outcome string)
}

// ReportOutcome is how one report run ended; it is also the metric label, so the set is fixed.
type ReportOutcome string

const (
	ReportPosted      ReportOutcome = "posted"      // the report reached the channel
	ReportQuiet       ReportOutcome = "quiet"       // no calls and quiet mode: nothing posted
	ReportUnreachable ReportOutcome = "unreachable" // no node answered: a failure notice was posted
	ReportError       ReportOutcome = "error"       // CMS or Slack failed: logged, next tick retries
	ReportSkipped     ReportOutcome = "skipped"     // the previous run of this entry was still going
	ReportStopped     ReportOutcome = "stopped"     // the scheduler is shutting down
)

// ErrSchedulerStopped is returned by Start after Stop.
var ErrSchedulerStopped = errors.New("report scheduler stopped")

// poster is how the scheduler reaches Slack (*Bot.Post: paced per channel, retries a 429 once).
type poster interface {
	Post(ctx context.Context, channel string, m message) (string, error)
}

// SchedulerConfig wires a Scheduler.
type SchedulerConfig struct {
	Reports     []Report
	Quiet       bool // post nothing when there are no calls (unless nodes are unreachable)
	Service     Runner
	Logger      *slog.Logger
	Metrics     ReportMetrics  // nil = not counted
	Location    *time.Location // zone of specs without CRON_TZ; nil = time.Local (cron's default)
	Timeout     time.Duration  // bound on one run (CMS reads and the post); default 2 min
	StopTimeout time.Duration  // how long Stop waits for a run before cancelling it; default 10 s
	Now         func() time.Time
}

// Scheduler posts the report on each configured cron schedule. An entry never overlaps
// itself: a tick that finds the previous run still going is skipped (and logged). A failed run
// is logged and counted; the next tick simply tries again.
type Scheduler struct {
	cfg     SchedulerConfig
	log     *slog.Logger
	post    poster
	entries []*schedEntry

	base   context.Context // parent of every run; cancelled when Stop gives up waiting
	cancel context.CancelFunc

	mu       sync.Mutex // guards cron, started, stopped and the wg.Add/Wait ordering
	cron     *cron.Cron
	started  bool
	stopped  bool
	runs     sync.WaitGroup
	stopOnce sync.Once
	done     chan struct{} // closed when Stop has finished
}

type schedEntry struct {
	Report
	schedule cron.Schedule
	running  atomic.Bool

	mu          sync.Mutex
	lastRun     time.Time
	lastOutcome ReportOutcome
}

// ScheduleInfo is one entry as `/cms schedule` shows it.
type ScheduleInfo struct {
	Spec        string
	Channel     string
	Next        time.Time // zero when the schedule has no next time
	LastRun     time.Time // zero before the first run
	LastOutcome ReportOutcome
}

// NewScheduler parses every spec; it does no I/O and starts nothing.
func NewScheduler(cfg SchedulerConfig, p poster) (*Scheduler, error) {
	if cfg.Service == nil || p == nil {
		return nil, errors.New("bot: scheduler needs a Service and a poster")
	}
	applySchedulerDefaults(&cfg)
	s := &Scheduler{cfg: cfg, log: cfg.Logger.With("component", "scheduler"), post: p, done: make(chan struct{})}
	for i, r := range cfg.Reports {
		sched, err := parseSchedule(r.Spec)
		if err != nil {
			return nil, fmt.Errorf("report schedule %d %q: %w", i+1, r.Spec, err)
		}
		if r.Channel == "" {
			return nil, fmt.Errorf("report schedule %d %q: no channel", i+1, r.Spec)
		}
		s.entries = append(s.entries, &schedEntry{Report: r, schedule: sched})
	}
	// Runs outlive the caller's cancellation until Stop decides to cut them short.
	s.base, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func applySchedulerDefaults(cfg *SchedulerConfig) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// parseSchedule is cron.ParseStandard without its panic on a malformed CRON_TZ prefix
// (robfig/cron v3.0.1): bad input must never crash the bot.
func parseSchedule(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("invalid cron spec")
		}
	}()
	return cron.ParseStandard(spec)
}

// Start begins ticking; the scheduler stops by itself when ctx is done. Starting twice is a
// no-op; starting after Stop returns ErrSchedulerStopped.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ErrSchedulerStopped
	}
	if s.started {
		return nil
	}
	s.started = true
	s.cron = cron.New(cron.WithLocation(s.cfg.Location), cron.WithLogger(cronLogger{s.log}))
	for i, e := range s.entries {
		s.cron.Schedule(e.schedule, cron.FuncJob(func() { s.RunNow(s.base, i) }))
		s.log.Info("report scheduled", "spec", e.Spec, "channel", e.Channel, "next", s.next(e))
	}
	s.cron.Start()
	go func() {
		select {
		case <-ctx.Done():
			s.Stop()
		case <-s.done:
		}
	}()
	return nil
}

// Stop ends ticking and waits for a running report up to StopTimeout, then cancels it and
// waits for it to return. It is safe to call more than once and before Start.
func (s *Scheduler) Stop() {
	s.stopOnce.Do(func() {
		defer close(s.done)
		defer s.cancel()
		s.mu.Lock()
		s.stopped = true
		if s.cron != nil {
			s.cron.Stop() // our runs are tracked in s.runs, so cron's own wait is not needed
		}
		s.mu.Unlock()
		finished := make(chan struct{})
		go func() { s.runs.Wait(); close(finished) }()
		t := time.NewTimer(s.cfg.StopTimeout)
		defer t.Stop()
		select {
		case <-finished:
		case <-t.C:
			s.log.Warn("shutdown: a report run did not finish in time; cancelling it", "timeout", s.cfg.StopTimeout)
			s.cancel()
			<-finished
		}
	})
	<-s.done
}

// track registers a run unless the scheduler is stopping.
func (s *Scheduler) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	s.runs.Add(1)
	return true
}

// Len is the number of configured reports.
func (s *Scheduler) Len() int { return len(s.entries) }

// RunNow runs report i at once, exactly as a tick would (same overlap guard, same posting),
// and returns how it ended. It is the immediate trigger for tests and operators.
func (s *Scheduler) RunNow(ctx context.Context, i int) ReportOutcome {
	if i < 0 || i >= len(s.entries) {
		s.log.Error("no such report schedule", "index", i)
		return ReportError
	}
	e := s.entries[i]
	if !e.running.CompareAndSwap(false, true) {
		s.log.Warn("report skipped: the previous run is still going", "spec", e.Spec, "channel", e.Channel)
		s.count(ReportSkipped)
		return ReportSkipped
	}
	defer e.running.Store(false)
	if !s.track() {
		return ReportStopped
	}
	defer s.runs.Done()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	stop := context.AfterFunc(s.base, cancel) // Stop's deadline cancels RunNow callers' runs too
	defer stop()
	out := s.runSafely(ctx, e)
	e.mu.Lock()
	e.lastRun, e.lastOutcome = s.cfg.Now(), out
	e.mu.Unlock()
	s.count(out)
	return out
}

func (s *Scheduler) count(out ReportOutcome) {
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.ReportRun(string(out))
	}
}

// runSafely is run with a recover: one bad report must not take the process down.
func (s *Scheduler) runSafely(ctx context.Context, e *schedEntry) (out ReportOutcome) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("report run panicked", "spec", e.Spec, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			out = ReportError
		}
	}()
	return s.run(ctx, e)
}

// schedulerActor is who the scheduler acts as. It is a local actor because the report is
// configured by the administrator, not requested by a Slack user: NFMM_VIEWERS and
// NFMM_CHANNELS (which gate people) must not silently mute it. It only ever runs OpReport, a
// read, so it never uses more than viewer rights.
func schedulerActor(channel string) commands.Actor {
	return commands.Actor{UserID: "scheduler", ChannelID: channel, Local: true}
}

// run reads the report, decides what (if anything) to post, and posts it.
func (s *Scheduler) run(ctx context.Context, e *schedEntry) ReportOutcome {
	log := s.log.With("spec", e.Spec, "channel", e.Channel)
	res, err := s.cfg.Service.Execute(ctx, schedulerActor(e.Channel), commands.Command{Op: commands.OpReport})
	if err != nil {
		log.Error("report failed; retrying at the next tick", "err", err)
		return ReportError
	}
	r, ok := res.(*commands.ReportResult)
	if !ok {
		log.Error("report returned an unexpected result", "type", fmt.Sprintf("%T", res))
		return ReportError
	}
	var (
		m   message
		out = ReportPosted
	)
	switch {
	case allUnreachable(r):
		m, out = renderReportFailure(r, s.next(e)), ReportUnreachable
		log.Warn("report: no CMS node answered; posting a failure notice", "nodes", len(r.Nodes))
	case s.cfg.Quiet && r.Meetings == 0 && len(r.Unreachable) == 0:
		log.Info("report: no calls; staying quiet")
		return ReportQuiet
	default:
		m = render(r, renderOpts{Role: commands.RoleViewer, Now: s.cfg.Now(), Location: s.cfg.Location})
	}
	if _, err := s.post.Post(ctx, e.Channel, m); err != nil {
		log.Error("could not post the report; retrying at the next tick", "err", err)
		return ReportError
	}
	log.Info("report posted", "outcome", string(out), "meetings", r.Meetings, "participants", r.Participants)
	return out
}

// allUnreachable reports whether no node answered: the numbers would be all zeros, which would
// read as "no calls", so a failure notice goes out instead.
func allUnreachable(r *commands.ReportResult) bool {
	return len(r.Nodes) > 0 && len(r.Unreachable) >= len(r.Nodes)
}

// Entries lists the schedules with their next run times (for `/cms schedule`).
func (s *Scheduler) Entries() []ScheduleInfo {
	out := make([]ScheduleInfo, 0, len(s.entries))
	for _, e := range s.entries {
		e.mu.Lock()
		info := ScheduleInfo{Spec: e.Spec, Channel: e.Channel, Next: s.next(e), LastRun: e.lastRun, LastOutcome: e.lastOutcome}
		e.mu.Unlock()
		out = append(out, info)
	}
	return out
}

// next is the entry's next run after now, computed as cron does (specs without CRON_TZ in the
// scheduler's location), so it is right before Start and under a test clock. It is expressed
// in the spec's own CRON_TZ zone, which is how the people who wrote the spec read it.
func (s *Scheduler) next(e *schedEntry) time.Time {
	return nextRun(e.schedule, s.cfg.Location, s.cfg.Now())
}

func nextRun(sched cron.Schedule, loc *time.Location, now time.Time) time.Time {
	t := sched.Next(now.In(loc))
	if ss, ok := sched.(*cron.SpecSchedule); ok && ss.Location != time.Local && !t.IsZero() {
		t = t.In(ss.Location)
	}
	return t
}

// Upcoming lists reports with their next run after now, as a scheduler in loc (nil: local
// time) would run them, without starting one: `nfmm exec schedule` runs no scheduler.
func Upcoming(reports []Report, loc *time.Location, now time.Time) ([]ScheduleInfo, error) {
	if loc == nil {
		loc = time.Local
	}
	out := make([]ScheduleInfo, 0, len(reports))
	for i, r := range reports {
		sched, err := parseSchedule(r.Spec)
		if err != nil {
			return nil, fmt.Errorf("report schedule %d %q: %w", i+1, r.Spec, err)
		}
		out = append(out, ScheduleInfo{Spec: r.Spec, Channel: r.Channel, Next: nextRun(sched, loc, now)})
	}
	return out, nil
}

// cronLogger routes cron's own messages to slog; its routine chatter is debug.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}

// newScheduler builds the bot's scheduler from Config.Reports (none: no scheduler).
func (b *Bot) newScheduler() error {
	if len(b.cfg.Reports) == 0 {
		return nil
	}
	rm, _ := b.cfg.Metrics.(ReportMetrics)
	s, err := NewScheduler(SchedulerConfig{
		Reports: b.cfg.Reports, Quiet: b.cfg.ReportQuiet, Service: b.svc, Logger: b.log, Metrics: rm,
		Location: b.cfg.ReportLocation, Timeout: b.cfg.JobTimeout, StopTimeout: b.cfg.DrainTimeout, Now: b.cfg.Now,
	}, b)
	if err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	b.sched = s
	return nil
}

// Scheduler is the bot's report scheduler, nil when no report is configured.
func (b *Bot) Scheduler() *Scheduler { return b.sched }

func (b *Bot) startScheduler(ctx context.Context) {
	if b.sched == nil {
		return
	}
	if err := b.sched.Start(ctx); err != nil {
		b.log.Error("report scheduler did not start", "err", err)
	}
}

// stopScheduler stops the scheduler in the background; the channel closes when it has.
func (b *Bot) stopScheduler() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if b.sched != nil {
			b.sched.Stop()
		}
	}()
	return done
}

// onSchedule answers `/cms schedule`: the report schedules and their next runs. Anyone who may
// read reports may see when they run.
func (b *Bot) onSchedule(ctx context.Context, ia interaction, public bool) {
	if err := b.svc.Allowed(ia.actor, commands.OpReport); err != nil {
		b.metrics.Command("schedule", outcome(err))
		b.replyError(ctx, ia, err)
		return
	}
	v := scheduleView{Quiet: b.cfg.ReportQuiet, Off: b.cfg.ReportsOff, Now: b.cfg.Now()}
	if b.sched != nil {
		v.Entries = b.sched.Entries()
	}
	b.metrics.Command("schedule", "ok")
	mode := respondEphemeral
	if public {
		mode = respondInChannel
	}
	b.respond(ctx, ia, renderSchedules(v), mode)
}
