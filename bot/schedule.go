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
	// Cluster is the cluster reported on ("all" for every one); "" is the channel's cluster,
	// or every cluster when the channel has no binding.
	Cluster string
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
	// Catchup is how late a missed firing is still posted (marked late) when a term starts:
	// NFMM_REPORT_CATCHUP, default 10 min; negative disables catch-up.
	Catchup time.Duration
	Now     func() time.Time
}

// Firings records report firings so each (report, fire time) is posted once across replicas
// and restarts. The store's implementation is fenced to the leader term it was handed with.
type Firings interface {
	// ClaimFiring returns true when the caller must post the firing of report at its
	// scheduled time at; false when it was claimed before (or the term is over).
	ClaimFiring(ctx context.Context, report string, at time.Time, late bool) (bool, error)
	FinishFiring(ctx context.Context, report string, at time.Time, outcome string) error
	// LastFiring is the latest claimed fire time of report; ok is false if it never fired.
	LastFiring(ctx context.Context, report string) (at time.Time, ok bool, err error)
}

// Leadership runs lead while this replica is the leader, once per term, until ctx is done.
// lead's context ends with the term. The store's Elector implements it in package app.
type Leadership interface {
	Run(ctx context.Context, lead func(ctx context.Context, f Firings))
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

	mu       sync.Mutex // guards started, stopped and the wg.Add/Wait ordering
	started  bool
	stopped  bool
	runs     sync.WaitGroup
	terms    sync.WaitGroup // Lead calls in progress
	stopOnce sync.Once
	stopping chan struct{} // closed when Stop begins: every Lead returns
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
	Cluster     string    // the report's cluster ("all"); "" = the channel's
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
	s := &Scheduler{cfg: cfg, log: cfg.Logger.With("component", "scheduler"), post: p, done: make(chan struct{}), stopping: make(chan struct{})}
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
	if cfg.Catchup == 0 {
		cfg.Catchup = 10 * time.Minute
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

// Start begins ticking with firings kept in memory (no store: one process); the scheduler
// stops by itself when ctx is done. Starting twice is a no-op; starting after Stop returns
// ErrSchedulerStopped.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrSchedulerStopped
	}
	if s.started {
		s.mu.Unlock()
		return nil
	}
	s.started = true
	s.mu.Unlock()
	go s.Lead(ctx, nil)
	go func() {
		select {
		case <-ctx.Done():
			s.Stop()
		case <-s.done:
		}
	}()
	return nil
}

// Lead ticks every entry until ctx ends or Stop is called, claiming each firing in f first
// (nil: in memory), and returns once its in-flight runs have returned. A term's runs are
// cancelled termGrace after the term ends: the lease is gone, and the fence already stops
// new claims. At the start it catches up: an entry whose latest fire time passed less than
// Catchup ago without being claimed is posted now, marked late.
func (s *Scheduler) Lead(ctx context.Context, f Firings) {
	if f == nil {
		f = newMemFirings()
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.terms.Add(1)
	s.mu.Unlock()
	defer s.terms.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.base, cancel)
	defer stop()
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	// Runs get their own context: a term that ends mid-post lets the post finish briefly.
	runCtx, cancelRuns := context.WithCancel(s.base)
	defer cancelRuns()
	grace := context.AfterFunc(ctx, func() { time.AfterFunc(termGrace, cancelRuns) })
	defer grace()
	var wg sync.WaitGroup
	for i, e := range s.entries {
		s.log.Info("report scheduled", "spec", e.Spec, "channel", e.Channel, "next", s.next(e))
		wg.Go(func() { s.tick(ctx, runCtx, i, e, f) })
	}
	wg.Wait()
}

// termGrace is how long a run may go on after its term ended.
const termGrace = 3 * time.Second

// tick is one entry's loop: catch up, then wait for each fire time and fire.
func (s *Scheduler) tick(ctx, runCtx context.Context, i int, e *schedEntry, f Firings) {
	s.catchUp(ctx, runCtx, i, e, f)
	for {
		now := s.cfg.Now()
		at := nextFire(e.schedule, now)
		if at.IsZero() {
			return
		}
		t := time.NewTimer(at.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		s.fire(ctx, runCtx, i, e, f, at, false)
	}
}

// catchUp posts the entry's latest missed firing, if it was due less than Catchup ago and
// the report has fired before (a new schedule does not post on its first start).
func (s *Scheduler) catchUp(ctx, runCtx context.Context, i int, e *schedEntry, f Firings) {
	if s.cfg.Catchup < 0 {
		return
	}
	now := s.cfg.Now()
	due := prevFire(e.schedule, now, s.cfg.Catchup)
	if due.IsZero() {
		return
	}
	last, ok, err := f.LastFiring(ctx, e.key())
	switch {
	case err != nil:
		s.log.Warn("report catch-up: the store did not answer; not catching up", "spec", e.Spec, "channel", e.Channel, "err", err)
		return
	case !ok || !last.Before(due):
		return
	}
	s.log.Info("report catch-up: posting a missed firing late", "spec", e.Spec, "channel", e.Channel, "due", due)
	s.fire(ctx, runCtx, i, e, f, due, true)
}

// fire claims the firing at and runs it when the claim is ours. A claim the store cannot
// answer is retried every few seconds while the firing is within Catchup (then posted late):
// posting without a claim could post it twice.
func (s *Scheduler) fire(ctx, runCtx context.Context, i int, e *schedEntry, f Firings, at time.Time, late bool) {
	log := s.log.With("spec", e.Spec, "channel", e.Channel, "fire_at", at)
	for {
		ok, err := f.ClaimFiring(ctx, e.key(), at, late)
		if err == nil && !ok {
			log.Debug("report firing already claimed; not posting it again")
			return
		}
		if err == nil {
			out := s.runEntry(runCtx, i, at, late)
			fctx, cancel := context.WithTimeout(context.WithoutCancel(runCtx), 5*time.Second)
			if err := f.FinishFiring(fctx, e.key(), at, string(out)); err != nil {
				log.Warn("could not record how the report firing ended", "err", err)
			}
			cancel()
			return
		}
		if ctx.Err() != nil {
			return
		}
		if s.cfg.Now().Sub(at) >= s.cfg.Catchup {
			log.Error("report firing dropped: the store could not claim it within the catch-up window", "err", err)
			s.count(ReportError)
			return
		}
		log.Warn("report firing: the store could not claim it; retrying", "err", err)
		late = true
		t := time.NewTimer(claimRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// claimRetry spaces claim attempts while the store is down.
const claimRetry = 2 * time.Second

// key names the entry in the store: channel and spec, so editing either makes a new report.
func (e *schedEntry) key() string {
	if e.Cluster != "" { // two entries alike but for their cluster are two reports
		return e.Channel + " " + e.Spec + " @" + e.Cluster
	}
	return e.Channel + " " + e.Spec
}

// Stop ends ticking and waits for a running report up to StopTimeout, then cancels it and
// waits for it to return. It is safe to call more than once and before Start.
func (s *Scheduler) Stop() {
	s.stopOnce.Do(func() {
		defer close(s.done)
		defer s.cancel()
		s.mu.Lock()
		s.stopped = true
		close(s.stopping)
		s.mu.Unlock()
		finished := make(chan struct{})
		go func() { s.terms.Wait(); s.runs.Wait(); close(finished) }()
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

// RunNow runs report i at once, exactly as a tick would (same overlap guard, same posting)
// but without a claim, and returns how it ended. It is the immediate trigger for tests and
// operators.
func (s *Scheduler) RunNow(ctx context.Context, i int) ReportOutcome {
	if i < 0 || i >= len(s.entries) {
		s.log.Error("no such report schedule", "index", i)
		return ReportError
	}
	return s.runEntry(ctx, i, time.Time{}, false)
}

// runEntry runs entry i for its fire time due (zero: on demand); late marks a catch-up.
func (s *Scheduler) runEntry(ctx context.Context, i int, due time.Time, late bool) ReportOutcome {
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
	out := s.runSafely(ctx, e, due, late)
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
func (s *Scheduler) runSafely(ctx context.Context, e *schedEntry, due time.Time, late bool) (out ReportOutcome) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("report run panicked", "spec", e.Spec, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			out = ReportError
		}
	}()
	return s.run(ctx, e, due, late)
}

// schedulerActor is who the scheduler acts as. It is a local actor because the report is
// configured by the administrator, not requested by a Slack user: NFMM_VIEWERS and
// NFMM_CHANNELS (which gate people) must not silently mute it. It only ever runs OpReport, a
// read, so it never uses more than viewer rights.
func schedulerActor(channel string) commands.Actor {
	return commands.Actor{UserID: "scheduler", ChannelID: channel, Local: true}
}

// run reads the report, decides what (if anything) to post, and posts it.
func (s *Scheduler) run(ctx context.Context, e *schedEntry, due time.Time, late bool) ReportOutcome {
	log := s.log.With("spec", e.Spec, "channel", e.Channel)
	res, err := s.cfg.Service.Execute(ctx, schedulerActor(e.Channel), commands.Command{Op: commands.OpReport, Cluster: e.Cluster})
	if choice := (*commands.ClusterChoiceError)(nil); errors.As(err, &choice) {
		// Several clusters and a channel without a binding: the report covers them all.
		res, err = s.cfg.Service.Execute(ctx, schedulerActor(e.Channel), commands.Command{Op: commands.OpReport, Cluster: commands.AllClusters})
	}
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
	if late {
		m = markLate(m, due.In(s.cfg.Location), s.cfg.Now().In(s.cfg.Location))
	}
	if _, err := s.post.Post(ctx, e.Channel, m); err != nil {
		log.Error("could not post the report; retrying at the next tick", "err", err)
		return ReportError
	}
	log.Info("report posted", "outcome", string(out), "late", late, "meetings", r.Meetings, "participants", r.Participants)
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
		info := ScheduleInfo{Spec: e.Spec, Channel: e.Channel, Cluster: e.Cluster, Next: s.next(e), LastRun: e.lastRun, LastOutcome: e.lastOutcome}
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
	t := nextFire(sched, now.In(loc))
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
		out = append(out, ScheduleInfo{Spec: r.Spec, Channel: r.Channel, Cluster: r.Cluster, Next: nextRun(sched, loc, now)})
	}
	return out, nil
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
		Catchup: b.cfg.ReportCatchup,
	}, b)
	if err != nil {
		return fmt.Errorf("bot: %w", err)
	}
	b.sched = s
	return nil
}

// Scheduler is the bot's report scheduler, nil when no report is configured.
func (b *Bot) Scheduler() *Scheduler { return b.sched }

// startLeader runs the singleton loops (the report scheduler) while this replica leads:
// under cfg.Leadership when set, else at once (a single process). The channel closes when
// the last term has ended after ctx was cancelled.
func (b *Bot) startLeader(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	lead := func(ctx context.Context, f Firings) {
		if b.sched == nil {
			<-ctx.Done()
			return
		}
		b.sched.Lead(ctx, f)
	}
	go func() {
		defer close(done)
		if b.cfg.Leadership == nil {
			if b.sched != nil {
				lead(ctx, nil)
			}
			return
		}
		b.cfg.Leadership.Run(ctx, lead)
	}()
	return done
}

// stopScheduler waits for the leader loops (ctx is already cancelled), then stops the
// scheduler for good; the channel closes when it has.
func (b *Bot) stopScheduler(leading <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if b.sched != nil {
			b.sched.Stop()
		}
		<-leading
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
	v := scheduleView{Quiet: b.cfg.ReportQuiet, Now: b.cfg.Now()}
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
