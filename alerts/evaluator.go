package alerts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/nfmm/nfmm/commands"
)

// Source observes one family of conditions.
type Source interface {
	Name() string
	// Interval is how often the source is asked; the evaluator's tick bounds its resolution.
	Interval() time.Duration
	// Observe reports what holds now. active lists the keys of this source's alerts that are
	// pending or firing, for sources that need memory across restarts (a recording that was on).
	Observe(ctx context.Context, active []Key) Result
}

// Result is one observation round of a source.
type Result struct {
	Observations []Observation
	// Unknown names the nodes the source could not read: their alerts neither resolve nor
	// advance this round.
	Unknown []string
	// Err means the source could not look at all: nothing changes this round.
	Err error
}

// Notifier delivers alerts, in Slack in production. Errors are retried with backoff; an error
// implementing RetryAfter() time.Duration sets the wait (Slack's 429 Retry-After). An error
// wrapping ErrMaybeSent says Slack may have stored the message although its answer was lost:
// before sending it again the evaluator asks Find whether it is there.
type Notifier interface {
	// Post sends the alert's top-level message, tagged with d.ID so Find can find it, and
	// returns the channel id Slack put it in (channel may be a #name) and its ts.
	Post(ctx context.Context, channel string, a Alert, d Delivery) (channelID, ts string, err error)
	// Update redraws the top-level message from the alert's current state.
	Update(ctx context.Context, channel, ts string, a Alert) error
	// Reply adds a line, tagged with d.ID, to the thread of the message at ts.
	Reply(ctx context.Context, channel, ts string, a Alert, d Delivery) error
	// Find looks for the post or reply d that an earlier attempt may have stored, sent no
	// earlier than d.Sent (ts is the thread of a reply). found=false: it is not there, so it
	// can be sent. An error wrapping ErrCannotFind means this channel cannot be searched (a
	// missing scope, a channel given by name): it is sent again, at the risk of a duplicate.
	Find(ctx context.Context, channel, ts string, a Alert, d Delivery) (channelID, foundTS string, found bool, err error)
}

// ErrMaybeSent marks a delivery failure after the request may have reached Slack (a timeout,
// a connection lost before the answer): the message may exist.
var ErrMaybeSent = errors.New("the message may have been stored")

// ErrCannotFind marks a Find that cannot look in this channel at all.
var ErrCannotFind = errors.New("cannot look for the message")

// Metrics receives the alert counters (ops.AlertMetrics in production).
type Metrics interface {
	AlertsActive(cluster, kind string, n int)
	AlertNotification(outcome string) // ok | retry
}

type noMetrics struct{}

func (noMetrics) AlertsActive(string, string, int) {}
func (noMetrics) AlertNotification(string)         {}

// Options configure New. Zero durations take the defaults below.
type Options struct {
	Sources  []Source
	Notifier Notifier
	// Route names the channel of an alert; "" keeps it out of Slack (still listed).
	Route func(Key) string
	Store Store // nil = in memory (lost on restart)
	Clock func() time.Time

	Repeat     time.Duration // NFMM_ALERT_REPEAT: thread reminders of a long-running alert; default 4 h
	FlapWindow time.Duration // default 2 min
	FlapCount  int           // onsets within FlapWindow that make a condition flapping; default 3
	// Reopen is how soon after resolving a condition may come back and reuse its message (a
	// thread reply "again") rather than start a new one; default 10 min.
	Reopen time.Duration

	// Leader reports whether this replica evaluates; nil = always. A replica that becomes
	// leader reloads the state from the store first.
	Leader  func() bool
	Metrics Metrics
	// Clusters are the clusters whose active counts are reported from the first tick, zeros
	// included; nil: DefaultCluster. A cluster that only stored alerts name is reported too.
	Clusters []string
	Logger   *slog.Logger
	Audit    *slog.Logger // one record per Ack and Silence
	// AuditSink also gets each Ack and Silence as an audit event, with its before → after (the
	// store's audit history, which `/cms audit` reads); nil: none.
	AuditSink commands.AuditSink
}

// Defaults of Options.
const (
	DefaultRepeat     = 4 * time.Hour
	DefaultFlapWindow = 2 * time.Minute
	DefaultFlapCount  = 3
	DefaultReopen     = 10 * time.Minute
	maxBackoff        = 5 * time.Minute
)

// Evaluator runs the sources, keeps the alerts and delivers their notifications.
type Evaluator struct {
	opts Options

	mu       sync.Mutex
	alerts   map[string]*Alert // by fingerprint
	next     map[string]time.Time
	loaded   bool
	wasLead  bool
	dirty    map[string]bool
	deliverM sync.Mutex // one delivery pass at a time: nothing is sent twice

	countM   sync.Mutex
	reported map[string]bool // clusters countActive has reported, so each drops back to 0
}

// New builds an evaluator; it does no I/O (Load or the first Tick reads the store).
func New(opts Options) *Evaluator {
	if opts.Store == nil {
		opts.Store = NewMemoryStore()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Route == nil {
		opts.Route = func(Key) string { return "" }
	}
	if opts.Repeat <= 0 {
		opts.Repeat = DefaultRepeat
	}
	if opts.FlapWindow <= 0 {
		opts.FlapWindow = DefaultFlapWindow
	}
	if opts.FlapCount <= 0 {
		opts.FlapCount = DefaultFlapCount
	}
	if opts.Reopen <= 0 {
		opts.Reopen = DefaultReopen
	}
	if opts.Metrics == nil {
		opts.Metrics = noMetrics{}
	}
	if len(opts.Clusters) == 0 {
		opts.Clusters = []string{DefaultCluster}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Audit == nil {
		opts.Audit = slog.New(slog.DiscardHandler)
	}
	return &Evaluator{opts: opts, alerts: map[string]*Alert{}, next: map[string]time.Time{}, dirty: map[string]bool{}}
}

// Load reads the stored alerts, replacing what the evaluator holds.
func (e *Evaluator) Load(ctx context.Context) error {
	stored, err := e.opts.Store.LoadAlerts(ctx)
	if err != nil {
		return fmt.Errorf("alerts: load: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.alerts = make(map[string]*Alert, len(stored))
	for _, a := range stored {
		e.alerts[a.Fingerprint] = &a
	}
	e.loaded = true
	return nil
}

// Run ticks every interval until ctx is done. It reloads the stored state first: a replica
// that (again) becomes the leader carries on from what the last leader stored.
func (e *Evaluator) Run(ctx context.Context, interval time.Duration) {
	e.mu.Lock()
	e.loaded = false
	e.mu.Unlock()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		e.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick runs the sources that are due, advances the timers, delivers what is queued and saves
// what changed. A replica that is not the leader does nothing.
func (e *Evaluator) Tick(ctx context.Context) {
	lead := e.opts.Leader == nil || e.opts.Leader()
	e.mu.Lock()
	gained := lead && (!e.wasLead || !e.loaded)
	e.wasLead = lead
	e.mu.Unlock()
	if !lead {
		e.countActive(nil) // the leader reports the counts; a stale copy here would add to them
		return
	}
	if gained {
		e.opts.Logger.Debug("alerts: loading the stored state")
		if err := e.Load(ctx); err != nil {
			e.opts.Logger.Error("alerts: could not read the alert state; will retry", "err", err)
			e.mu.Lock()
			e.wasLead = false
			e.mu.Unlock()
			return
		}
	}
	// The due sources look concurrently (a node that hangs holds up only its own source) and
	// are applied in order, each at the time it started looking.
	due := e.dueSources()
	results := make([]Result, len(due))
	started := make([]time.Time, len(due))
	var wg sync.WaitGroup
	for i, s := range due {
		started[i] = e.opts.Clock()
		active := e.activeKeys(s.Name())
		wg.Go(func() { results[i] = s.Observe(ctx, active) })
	}
	wg.Wait()
	for i, s := range due {
		if results[i].Err != nil {
			e.opts.Logger.Warn("alerts: source could not look", "source", s.Name(), "err", results[i].Err)
			continue
		}
		e.apply(s.Name(), results[i], started[i])
	}
	e.advance(e.opts.Clock())
	e.save(ctx)
	e.Deliver(ctx)
	// What was sent is stored even when ctx ended meanwhile: a stored ts is what keeps the next
	// leader from posting it again.
	e.save(context.WithoutCancel(ctx))
	e.countActive(e.Active())
}

func (e *Evaluator) dueSources() []Source {
	now := e.opts.Clock()
	e.mu.Lock()
	defer e.mu.Unlock()
	var due []Source
	for _, s := range e.opts.Sources {
		if n, ok := e.next[s.Name()]; ok && now.Before(n) {
			continue
		}
		e.next[s.Name()] = now.Add(s.Interval())
		due = append(due, s)
	}
	return due
}

func (e *Evaluator) activeKeys(source string) []Key {
	e.mu.Lock()
	defer e.mu.Unlock()
	var keys []Key
	for _, a := range e.alerts {
		if a.Source == source && (a.State == StatePending || a.State == StateFiring) {
			keys = append(keys, a.Key)
		}
	}
	return keys
}

// apply folds one source round into the alerts.
func (e *Evaluator) apply(source string, res Result, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[string]bool{}
	for _, o := range res.Observations {
		fp := o.Key.Fingerprint()
		seen[fp] = true
		a := e.alerts[fp]
		if a == nil {
			a = &Alert{Key: o.Key, Fingerprint: fp, Source: source}
			e.alerts[fp] = a
		}
		e.observed(a, o, at)
		e.dirty[fp] = true
	}
	for fp, a := range e.alerts {
		if a.Source != source || seen[fp] || slices.Contains(res.Unknown, a.Key.Node) {
			continue
		}
		if e.missing(a, at) {
			e.dirty[fp] = true
		}
	}
}

// observed handles a condition that holds at at.
func (e *Evaluator) observed(a *Alert, o Observation, at time.Time) {
	onset := a.State == "" || a.State == StateResolved || a.Absent
	a.Absent = false
	if onset {
		a.Onsets = append(recent(a.Onsets, at, e.opts.FlapWindow), at)
	}
	if a.State == "" || a.State == StateResolved {
		a.State = StatePending
		a.Since = at
		if !o.Since.IsZero() && o.Since.Before(at) {
			a.Since = o.Since
		}
	}
	a.For = o.For
	a.LastSeen = at
	changed := a.Summary != o.Summary
	a.Summary, a.Lines, a.Target = o.Summary, o.Lines, o.Target
	if !a.Flapping && len(a.Onsets) >= e.opts.FlapCount {
		a.Flapping = true
		if a.State == StateFiring {
			e.enqueue(a, Delivery{Kind: DeliverReply, Event: EventFlapping, Count: len(a.Onsets), Window: e.opts.FlapWindow}, false)
		}
	}
	if changed && a.State == StateFiring {
		e.enqueue(a, Delivery{Kind: DeliverUpdate}, false)
	}
}

// missing handles a condition the source no longer sees; it reports a change.
func (e *Evaluator) missing(a *Alert, at time.Time) bool {
	switch a.State {
	case StatePending:
		// Never announced: drop quietly, but keep the onsets for flap detection.
		a.State, a.ResolvedAt = StateResolved, at
		return true
	case StateFiring:
		if a.Flapping && at.Sub(a.LastSeen) < e.opts.FlapWindow {
			if !a.Absent {
				a.Absent = true
				return true
			}
			return false
		}
		e.resolve(a, at)
		return true
	}
	return false
}

func (e *Evaluator) resolve(a *Alert, at time.Time) {
	a.State, a.ResolvedAt = StateResolved, at
	if a.Absent {
		a.ResolvedAt = a.LastSeen // it has been gone since it was last seen
	}
	a.Absent, a.Flapping = false, false
	quiet := a.Silenced(at)
	a.SilenceUntilResolved = false
	e.enqueue(a, Delivery{Kind: DeliverUpdate}, false)
	e.enqueue(a, Delivery{Kind: DeliverReply, Event: EventResolved, Dur: a.Duration(at)}, quiet)
}

// advance fires pending alerts whose For has passed, posts firing alerts a silence held back,
// sends repeats and forgets old resolved alerts.
func (e *Evaluator) advance(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for fp, a := range e.alerts {
		switch a.State {
		case StatePending:
			if a.Flapping || now.Sub(a.Since) >= a.For {
				e.fire(a, now)
				e.dirty[fp] = true
			}
		case StateFiring:
			if e.unposted(a, now) {
				e.enqueue(a, Delivery{Kind: DeliverPost}, false)
				e.dirty[fp] = true
			}
			last := a.LastRepeat
			if last.Before(a.FiredAt) {
				last = a.FiredAt
			}
			if a.TS != "" && a.AckedBy == "" && !a.Silenced(now) && now.Sub(last) >= e.opts.Repeat {
				a.LastRepeat = now
				e.enqueue(a, Delivery{Kind: DeliverReply, Event: EventRepeat, Dur: a.Duration(now)}, false)
				e.dirty[fp] = true
			}
		case StateResolved:
			if len(a.Outbox) == 0 && now.Sub(a.ResolvedAt) > max(e.opts.Reopen, e.opts.FlapWindow) && !now.Before(a.SilencedUntil) {
				delete(e.alerts, fp)
				e.dirty[fp] = true
			}
		}
	}
}

// unposted reports a firing alert that has a channel but no message and none queued.
func (e *Evaluator) unposted(a *Alert, now time.Time) bool {
	if a.TS != "" || a.Silenced(now) || e.opts.Route(a.Key) == "" {
		return false
	}
	return !slices.ContainsFunc(a.Outbox, func(d Delivery) bool { return d.Kind == DeliverPost })
}

func (e *Evaluator) fire(a *Alert, now time.Time) {
	// Reuse the message when the condition comes back soon, or while notifications of the last
	// episode are still queued (Slack down): they belong to that message.
	hasMessage := a.TS != "" || slices.ContainsFunc(a.Outbox, func(d Delivery) bool { return d.Kind == DeliverPost })
	reopen := hasMessage && (len(a.Outbox) > 0 || (!a.ResolvedAt.IsZero() && now.Sub(a.ResolvedAt) <= e.opts.Reopen))
	wasFlapping := a.Flapping
	a.State, a.FiredAt, a.LastRepeat = StateFiring, now, time.Time{}
	if reopen {
		a.ResolvedAt = time.Time{}
		e.enqueue(a, Delivery{Kind: DeliverUpdate}, false)
		ev := Delivery{Kind: DeliverReply, Event: EventAgain}
		if wasFlapping {
			ev = Delivery{Kind: DeliverReply, Event: EventFlapping, Count: len(a.Onsets), Window: e.opts.FlapWindow}
		}
		e.enqueue(a, ev, a.Silenced(now))
		return
	}
	// A new episode: a new message, a fresh ack; a timed silence on the fingerprint still holds.
	a.ResolvedAt, a.TS, a.Channel = time.Time{}, "", ""
	a.AckedBy, a.AckedAt = "", time.Time{}
	if e.unposted(a, now) {
		e.enqueue(a, Delivery{Kind: DeliverPost}, false)
	}
}

// enqueue queues d unless quiet; consecutive updates collapse into one.
func (e *Evaluator) enqueue(a *Alert, d Delivery, quiet bool) {
	if quiet {
		return
	}
	if d.Kind == DeliverPost {
		a.Channel = e.opts.Route(a.Key)
		e.opts.Logger.Debug("alerts: new message queued", "alert", a.Fingerprint, "kind", string(a.Key.Kind), "state", string(a.State),
			"channel", a.Channel, "ts", a.TS)
	}
	if a.Channel == "" {
		return
	}
	if d.Kind == DeliverUpdate && len(a.Outbox) > 0 && a.Outbox[len(a.Outbox)-1].Kind == DeliverUpdate {
		return
	}
	if d.Kind != DeliverPost && a.TS == "" && !slices.ContainsFunc(a.Outbox, func(d Delivery) bool { return d.Kind == DeliverPost }) {
		return // nothing to update or reply to
	}
	a.Outbox = append(a.Outbox, d)
}

func recent(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	return slices.DeleteFunc(ts, func(t time.Time) bool { return now.Sub(t) >= window })
}

// ErrNoAlert is returned for a fingerprint the evaluator does not hold (or no longer fires).
var ErrNoAlert = errors.New("no such active alert")

// Ack marks a firing alert as handled by user: its message says so and the repeats stop.
func (e *Evaluator) Ack(ctx context.Context, user, channel, fp string) (Alert, error) {
	a, err := e.change(ctx, user, channel, fp, "alert_ack", func(a *Alert, now time.Time) {
		a.AckedBy, a.AckedAt = user, now
		e.enqueue(a, Delivery{Kind: DeliverUpdate}, false)
		e.enqueue(a, Delivery{Kind: DeliverReply, Event: EventAcked, Actor: user}, false)
	})
	return a, err
}

// Silence silences a firing alert for d, or until it resolves when d is 0.
func (e *Evaluator) Silence(ctx context.Context, user, channel, fp string, d time.Duration) (Alert, error) {
	return e.change(ctx, user, channel, fp, "alert_silence", func(a *Alert, now time.Time) {
		a.SilencedBy = user
		if d > 0 {
			a.SilencedUntil, a.SilenceUntilResolved = now.Add(d), false
		} else {
			a.SilencedUntil, a.SilenceUntilResolved = time.Time{}, true
		}
		e.enqueue(a, Delivery{Kind: DeliverUpdate}, false)
		e.enqueue(a, Delivery{Kind: DeliverReply, Event: EventSilenced, Actor: user, Dur: d}, false)
	})
}

func (e *Evaluator) change(ctx context.Context, user, channel, fp, op string, fn func(*Alert, time.Time)) (Alert, error) {
	now := e.opts.Clock()
	e.mu.Lock()
	a := e.alerts[fp]
	if a == nil || a.State != StateFiring {
		e.mu.Unlock()
		e.audit(ctx, op, user, channel, fp, nil, nil, ErrNoAlert)
		return Alert{}, ErrNoAlert
	}
	before := a.clone()
	fn(a, now)
	e.dirty[fp] = true
	snap := a.clone()
	e.mu.Unlock()
	e.audit(ctx, op, user, channel, fp, &before, &snap, nil)
	e.save(ctx)
	e.Deliver(ctx)
	e.save(context.WithoutCancel(ctx))
	return snap, nil
}

// audit records an Ack or Silence of the alert fp: a is the alert after it (nil when there
// was none to change), before the alert before it.
func (e *Evaluator) audit(ctx context.Context, op, user, channel, fp string, before, a *Alert, err error) {
	attrs := []slog.Attr{slog.String("actor", user), slog.String("channel", channel), slog.String("op", op),
		slog.String("alert", fp)}
	outcome := "ok"
	if err != nil {
		outcome = "error"
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	if a != nil {
		attrs = append(attrs, slog.String("kind", string(a.Key.Kind)), slog.String("node", a.Key.Node),
			slog.String("object", a.Key.Object))
		if a.SilenceUntilResolved {
			attrs = append(attrs, slog.String("until", "resolved"))
		} else if !a.SilencedUntil.IsZero() && op == "alert_silence" {
			attrs = append(attrs, slog.Time("until", a.SilencedUntil))
		}
	}
	attrs = append(attrs, slog.String("outcome", outcome))
	e.opts.Audit.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
	if e.opts.AuditSink != nil {
		e.opts.AuditSink.Audit(ctx, auditEvent(e.opts.Clock(), op, user, channel, fp, before, a, err))
	}
}

// auditEvent is an Ack or Silence as the audit history keeps it: the alert's summary as what
// was acted on, its node, and the acknowledgement or silence before → after.
func auditEvent(now time.Time, op, user, channel, fp string, before, a *Alert, err error) commands.AuditEvent {
	ev := commands.AuditEvent{Time: now, Actor: user, Channel: channel, Op: commands.Op(op), Participant: "alert " + fp,
		Outcome: commands.OutcomeOK}
	if err != nil {
		ev.Outcome, ev.Error = commands.OutcomeError, "That alert is no longer active: nothing to acknowledge or silence."
	}
	if a == nil || before == nil {
		return ev
	}
	ev.Participant = a.Summary
	if a.Key.Node != "" {
		ev.Nodes = []string{a.Key.Node}
	}
	field, was, is := "acknowledged", ackText(*before), ackText(*a)
	if op == "alert_silence" {
		field, was, is = "silenced", silenceText(*before, now), silenceText(*a, now)
	}
	ev.Changes = []commands.Change{{Subject: a.Summary, Field: field, Before: was, After: is}}
	return ev
}

func ackText(a Alert) string {
	if a.AckedBy == "" {
		return "no"
	}
	return "by " + a.AckedBy
}

// silenceText is the silence holding at now ("no" once it has run out).
func silenceText(a Alert, now time.Time) string {
	switch {
	case a.SilenceUntilResolved:
		return "until resolved, by " + a.SilencedBy
	case now.Before(a.SilencedUntil):
		return "until " + a.SilencedUntil.UTC().Format("2006-01-02 15:04 UTC") + ", by " + a.SilencedBy
	}
	return "no"
}

// Get returns the alert with this fingerprint.
func (e *Evaluator) Get(fp string) (Alert, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.alerts[fp]
	if a == nil {
		return Alert{}, false
	}
	return a.clone(), true
}

// Active lists the firing alerts, oldest first.
func (e *Evaluator) Active() []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Alert
	for _, a := range e.alerts {
		if a.State == StateFiring {
			out = append(out, a.clone())
		}
	}
	slices.SortFunc(out, func(x, y Alert) int {
		return cmp.Or(x.FiredAt.Compare(y.FiredAt), cmp.Compare(x.Fingerprint, y.Fingerprint))
	})
	return out
}

// ActiveAlerts answers `alerts` (commands.Alerts): the firing alerts, oldest first.
func (e *Evaluator) ActiveAlerts(context.Context) *commands.AlertsResult {
	return Rows(e.Active(), nil, e.opts.Clock())
}

// countActive reports how many of firing there are per cluster and kind. Every kind of every
// cluster it has reported before is reported again, zeros included, so a resolved alert's
// series drops back to 0 instead of keeping its last count.
func (e *Evaluator) countActive(firing []Alert) {
	type clusterKind struct {
		cluster string
		kind    Kind
	}
	counts := map[clusterKind]int{}
	e.countM.Lock()
	defer e.countM.Unlock()
	if e.reported == nil {
		e.reported = map[string]bool{}
		for _, c := range e.opts.Clusters {
			e.reported[c] = true
		}
	}
	for _, a := range firing {
		c := cmp.Or(a.Key.Cluster, DefaultCluster) // a key that names no cluster is the default one's
		counts[clusterKind{c, a.Key.Kind}]++
		e.reported[c] = true
	}
	for _, c := range slices.Sorted(maps.Keys(e.reported)) {
		for _, k := range Kinds {
			e.opts.Metrics.AlertsActive(c, string(k), counts[clusterKind{c, k}])
		}
	}
}

// save writes the alerts that changed; a failed write stays dirty and is retried next tick.
func (e *Evaluator) save(ctx context.Context) {
	e.mu.Lock()
	type op struct {
		fp string
		a  *Alert
	}
	var ops []op
	for fp := range e.dirty {
		var snap *Alert
		if a := e.alerts[fp]; a != nil {
			c := a.clone()
			snap = &c
		}
		ops = append(ops, op{fp, snap})
	}
	clear(e.dirty)
	e.mu.Unlock()
	for _, o := range ops {
		var err error
		if o.a == nil {
			err = e.opts.Store.DeleteAlert(ctx, o.fp)
		} else {
			err = e.opts.Store.SaveAlert(ctx, *o.a)
		}
		if err != nil {
			e.opts.Logger.Error("alerts: could not store an alert; will retry", "alert", o.fp, "err", err)
			e.mu.Lock()
			e.dirty[o.fp] = true
			e.mu.Unlock()
		}
	}
}

// Check runs every source once and returns what holds now, as alerts that are firing when
// their condition is already older than its For, else pending. It is for a one-shot process
// (`nfmm exec alerts`): without history it cannot wait out a For or remember a recording.
func Check(ctx context.Context, sources []Source, now time.Time) ([]Alert, []error) {
	var out []Alert
	var errs []error
	for _, s := range sources {
		res := s.Observe(ctx, nil)
		if res.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name(), res.Err))
			continue
		}
		for _, o := range res.Observations {
			a := Alert{Key: o.Key, Fingerprint: o.Key.Fingerprint(), Source: s.Name(), Summary: o.Summary,
				Lines: o.Lines, Target: o.Target, State: StatePending, Since: now, For: o.For, LastSeen: now}
			if !o.Since.IsZero() && o.Since.Before(now) {
				a.Since = o.Since
			}
			if now.Sub(a.Since) >= a.For {
				a.State = StateFiring
			}
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y Alert) int {
		return cmp.Or(cmp.Compare(x.Key.Kind, y.Key.Kind), cmp.Compare(x.Key.Node, y.Key.Node), cmp.Compare(x.Key.Object, y.Key.Object))
	})
	return out, errs
}
