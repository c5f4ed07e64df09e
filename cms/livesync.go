package cms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// EventsMode is CMS_EVENTS: auto (events where the node has them, else polling), on (events
// only), off (polling only).
type EventsMode string

// The event modes.
const (
	EventsAuto EventsMode = "auto"
	EventsOn   EventsMode = "on"
	EventsOff  EventsMode = "off"
)

// LiveConfig tunes the live state. Zero values take the defaults in brackets.
type LiveConfig struct {
	Events       EventsMode    // [auto]
	PollInterval time.Duration // NFMM_POLL_INTERVAL [5s]: REST polling of a node without events
	// ProbeAfter is how long a socket may be silent before NFMM probes it; ProbeTimeout how
	// long the probe may go unanswered before the socket is dropped [20s, 10s].
	ProbeAfter, ProbeTimeout time.Duration
	// CheckEvery is the idle resync check of a live node: one GET /calls?limit=1 whose total
	// must match the live state, else a full resync [60s].
	CheckEvery time.Duration
	// BackoffMin and BackoffMax bound the reconnect backoff (exponential, jittered) [500ms, 30s].
	BackoffMin, BackoffMax time.Duration
	// EventsRetry is how often a polled node is offered the Events API again in auto mode [5m].
	EventsRetry time.Duration
	Logger      *slog.Logger // [discard]
	// Observe, when set, sees connection, message, resync and polling events (metrics); it
	// must not block.
	Observe func(LiveStat)

	observe func(LiveStat)
}

// LiveStatKind names a LiveStat.
type LiveStatKind string

// Live statistics.
const (
	StatConnected    LiveStatKind = "connected"     // events socket up (Value 1) or down (0)
	StatMessage      LiveStatKind = "message"       // a server message of MessageType
	StatResync       LiveStatKind = "resync"        // a full REST read of the node
	StatPolled       LiveStatKind = "polled"        // the node is polled (1) or not (0)
	StatChange       LiveStatKind = "change"        // a Change of MessageType was published
	StatTokenRefused LiveStatKind = "token_refused" // an events token was refused
)

// LiveStat is one observation for metrics.
type LiveStat struct {
	Kind        LiveStatKind
	Node        string
	MessageType string
	Value       int
}

func (cfg LiveConfig) withDefaults() LiveConfig {
	if cfg.Events == "" {
		cfg.Events = EventsAuto
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.PollInterval, 5*time.Second)
	def(&cfg.ProbeAfter, 20*time.Second)
	def(&cfg.ProbeTimeout, 10*time.Second)
	def(&cfg.CheckEvery, time.Minute)
	def(&cfg.BackoffMin, 500*time.Millisecond)
	def(&cfg.BackoffMax, 30*time.Second)
	def(&cfg.EventsRetry, 5*time.Minute)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.observe = cfg.Observe
	return cfg
}

// Live keeps the cluster's meetings current: one events connection (or poller) per node.
type Live struct {
	cluster *Cluster
	cfg     LiveConfig
	ls      *liveState

	readyMu sync.Mutex
	ready   map[string]chan struct{} // closed at a node's first sync or failure
	wg      sync.WaitGroup
}

// NewLive prepares the live state of the cluster; Start runs it.
func NewLive(c *Cluster, cfg LiveConfig) *Live {
	cfg = cfg.withDefaults()
	names := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		names[i] = n.Name()
	}
	l := &Live{cluster: c, cfg: cfg, ls: newLiveState(names, time.Now), ready: map[string]chan struct{}{}}
	if cfg.observe != nil {
		l.ls.observe = func(t ChangeType) { cfg.observe(LiveStat{Kind: StatChange, MessageType: string(t)}) }
	}
	for _, n := range names {
		l.ready[n] = make(chan struct{})
	}
	return l
}

// Start runs every node's events connection or poller until ctx ends; Wait waits for them.
func (l *Live) Start(ctx context.Context) {
	for _, n := range l.cluster.nodes {
		l.wg.Go(func() { l.runNode(ctx, n) })
	}
}

// Wait returns when every node's loop has stopped (after Start's ctx ended).
func (l *Live) Wait() { l.wg.Wait() }

// Ready waits until every node was synced once or found unreachable, or ctx ends.
func (l *Live) Ready(ctx context.Context) error {
	for _, ch := range l.ready {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (l *Live) settled(node string) {
	l.readyMu.Lock()
	defer l.readyMu.Unlock()
	ch := l.ready[node]
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// Subscribe returns every Change from now on, in order; Close it when done.
func (l *Live) Subscribe() *Subscription { return l.ls.subscribe() }

// Meetings returns the live meetings, sorted by name then correlator.
func (l *Live) Meetings() []LiveMeeting { return l.ls.snapshot() }

// Nodes says, per node, where its live state comes from and since when.
func (l *Live) Nodes() []NodeLiveness { return l.ls.liveness() }

func (l *Live) stat(s LiveStat) {
	if l.cfg.observe != nil {
		l.cfg.observe(s)
	}
}

// runNode is one node's supervisor: events with reconnects, or polling.
func (l *Live) runNode(ctx context.Context, n *Node) {
	name := n.Name()
	log := l.cfg.Logger.With("node", name)
	if l.cfg.Events == EventsOff {
		log.Info("CMS events off (CMS_EVENTS=off): polling", "every", l.cfg.PollInterval)
		l.poll(ctx, n, nil)
		return
	}
	attempt, refused, upgrades := 0, 0, 0
	loggedPoll := false
	pollInstead := func(why string, err error) {
		if !loggedPoll {
			log.Warn(why+": polling it instead", "every", l.cfg.PollInterval, "err", err)
			loggedPoll = true
		}
		retry := time.NewTimer(l.cfg.EventsRetry)
		l.poll(ctx, n, retry.C)
		retry.Stop()
	}
	for ctx.Err() == nil {
		connected, err := l.session(ctx, n)
		if ctx.Err() != nil {
			return
		}
		if connected {
			attempt, refused, upgrades = 0, 0, 0
		}
		switch {
		case errors.Is(err, ErrNoEvents) && l.cfg.Events == EventsAuto:
			pollInstead("node has no Events API", err)
			continue
		case errors.Is(err, ErrUpgradeFailed) && l.cfg.Events == EventsAuto:
			// REST answers (it gave a token) but the socket does not open: after a second
			// failure in a row, poll rather than leave the node dark.
			if upgrades++; upgrades >= 2 {
				upgrades = 0
				pollInstead("events socket cannot be opened", err)
				continue
			}
		case errors.Is(err, ErrTokenRejected):
			l.stat(LiveStat{Kind: StatTokenRefused, Node: name})
			if refused++; refused <= 2 {
				log.Info("events token refused: fetching a new one", "err", err)
				continue // a fresh token right away
			}
		}
		switch {
		case connected:
			log.Info("events socket lost: reconnecting", "err", err)
		case errors.Is(err, ErrUpgradeFailed):
			log.Info("events socket did not open; trying once more before polling", "err", err)
		default:
			l.ls.batch(func() { l.ls.setMode(name, ModeDown, errText(err)) })
			l.settled(name)
			log.Warn("events connection failed", "err", err, "attempt", attempt+1)
		}
		if !sleep(ctx, backoff(l.cfg.BackoffMin, l.cfg.BackoffMax, attempt, connected)) {
			return
		}
		attempt++
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// backoff is min·2^attempt capped at max, with jitter in [d/2, d); right after a connection
// that worked, the first retry is quick.
func backoff(lo, hi time.Duration, attempt int, wasConnected bool) time.Duration {
	if wasConnected {
		return lo/4 + rand.N(lo/4+1)
	}
	d := lo << min(attempt, 20)
	if d > hi || d <= 0 {
		d = hi
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// session runs one events connection: token, upgrade, subscribe, resync, read until it
// fails. connected reports whether the socket was opened.
func (l *Live) session(ctx context.Context, n *Node) (connected bool, err error) {
	name := n.Name()
	tok, err := n.eventsToken(ctx)
	if err != nil {
		return false, err
	}
	ws, err := n.dialEvents(ctx, tok)
	if err != nil {
		return false, err
	}
	defer ws.Close()
	l.stat(LiveStat{Kind: StatConnected, Node: name, Value: 1})
	defer l.stat(LiveStat{Kind: StatConnected, Node: name, Value: 0})

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bg sync.WaitGroup
	defer bg.Wait()
	defer cancel()
	legs := make(chan [2]string, 1024)
	// requeue offers resolveLegs every participant whose leg id or lobby is still unknown.
	requeue := func() {
		for _, x := range l.ls.missingLegs(n.Name()) {
			select {
			case legs <- x:
			default:
			}
		}
	}
	var resynced atomic.Bool
	s := &session{node: n, ls: l.ls, cfg: &l.cfg, ws: ws}
	s.onActive = func() {
		bg.Go(func() {
			l.liveResync(sctx, n, s)
			resynced.Store(true)
			requeue() // joins the REST read just missed still need their leg ids
		})
	}
	s.onNewPart = func(callID, pid string) {
		if !resynced.Load() {
			return // the resync after connect brings every leg id at once
		}
		select {
		case legs <- [2]string{callID, pid}:
		default: // the leg id stays unknown; reads needing it fall back to REST
		}
	}
	bg.Go(func() { l.resolveLegs(sctx, n, legs) })
	bg.Go(func() { l.checkLoop(sctx, n, s, requeue) })
	err = s.run(sctx)
	cancel() // before the mode changes: a resync still under way must not mark the node live
	l.ls.batch(func() {
		if nd := l.ls.nodes[name]; nd != nil && nd.mode == ModeLive {
			l.ls.setMode(name, ModeConnecting, errText(err)) // stale until resynced
		}
	})
	return true, err
}

// liveResync reads the node over REST after a (re)connect and reconciles, then marks it live.
func (l *Live) liveResync(ctx context.Context, n *Node, s *session) {
	name := n.Name()
	err := l.resync(ctx, n, s)
	if err != nil && ctx.Err() == nil {
		l.cfg.Logger.Warn("resync after connect failed; events keep the state current", "node", name, "err", err)
	}
	// Once the session has ended (ctx is cancelled before it marks the node connecting) its
	// socket is gone: the node is not live, and the next session resyncs and marks it.
	live := false
	l.ls.batch(func() {
		if live = ctx.Err() == nil; live {
			l.ls.setMode(name, ModeLive, "")
		}
	})
	if !live {
		return
	}
	l.settled(name)
	if want := l.ls.callIDs(name); ctx.Err() == nil {
		_ = s.subscribe(want) // calls REST found that events have not announced yet
	}
}

// resync reads the node over REST and reconciles its live state with what it found. With an
// events socket (s), the reconcile waits for the frames CMS sent before the read ended: a frame
// still unread would otherwise be applied after it and bring back an older state (a layout or
// mute flipping back and forth).
func (l *Live) resync(ctx context.Context, n *Node, s *session) error {
	name := n.Name()
	var start uint64
	l.ls.batch(func() { start = l.ls.tick() })
	snap, err := restSnapshot(ctx, n)
	l.stat(LiveStat{Kind: StatResync, Node: name})
	if err != nil {
		return err
	}
	t0 := time.Now()
	sys, serr := n.SystemStatus(ctx)
	took := time.Since(t0)
	apply := func() {
		l.ls.batch(func() {
			l.ls.reconcile(name, snap, start)
			l.ls.markSynced(name)
			if serr == nil {
				l.ls.setSystem(name, sys, took)
			}
		})
	}
	if s == nil {
		apply() // polled: no frames in flight
		return nil
	}
	return s.afterFramesSoFar(ctx, apply)
}

// checkLoop is the idle resync check: one request per CheckEvery. Each check also offers the
// leg lookup again the participants whose leg or lobby it could not read.
func (l *Live) checkLoop(ctx context.Context, n *Node, s *session, requeue func()) {
	t := time.NewTicker(l.cfg.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		requeue()
		t0 := time.Now()
		total, err := callsTotal(ctx, n)
		if err != nil {
			continue // the socket's own liveness decides about the node
		}
		l.ls.setLatency(n.Name(), time.Since(t0))
		if total != len(l.ls.callIDs(n.Name())) {
			l.cfg.Logger.Info("live state disagrees with REST: resyncing", "node", n.Name(), "rest_calls", total)
			if l.resync(ctx, n, s) == nil {
				_ = s.subscribe(l.ls.callIDs(n.Name()))
			}
		}
	}
}

// callsTotal reads the node's call count with one request.
func callsTotal(ctx context.Context, n *Node) (int, error) {
	resp, err := n.send(ctx, request{method: http.MethodGet, segs: []string{"calls"},
		query: url.Values{"limit": {"1"}}, page: true})
	if err != nil {
		return 0, err
	}
	total, _, err := decodeCalls(resp.body)
	return total, err
}

// legTries is how many times resolveLegs reads a participant's leg before it leaves the
// participant to the next idle check or resync.
const legTries = 4

// resolveLegs finds the leg id of participants the events announced (events carry none) and,
// in a meeting that may be locked, whether they wait in the lobby (no event says so either).
// A failed read is logged and tried again after a backoff; after legTries the next idle check
// or resync tries again. Meanwhile the participant keeps what live state knew: no leg id (reads
// that need it go to REST) and the lobby as it was.
func (l *Live) resolveLegs(ctx context.Context, n *Node, in <-chan [2]string) {
	type retry struct {
		x     [2]string
		tries int
	}
	again := make(chan retry)
	for {
		var r retry
		select {
		case <-ctx.Done():
			return
		case r.x = <-in:
		case r = <-again:
		}
		err := l.resolveLeg(ctx, n, r.x)
		if err == nil || ctx.Err() != nil {
			continue
		}
		r.tries++
		log := l.cfg.Logger.With("node", n.Name(), "call", r.x[0], "participant", r.x[1], "attempt", r.tries, "err", err)
		if r.tries >= legTries {
			log.Warn("participant's leg still not read: the next idle check or resync reads it")
			continue
		}
		log.Warn("participant's leg not read: retrying")
		time.AfterFunc(backoff(l.cfg.BackoffMin, l.cfg.BackoffMax, r.tries-1, false), func() {
			select {
			case again <- r:
			case <-ctx.Done():
			}
		})
	}
}

// resolveLeg reads the leg id of participant x = (call id, participant id) and, when its
// meeting may be locked, its lobby. nil means nothing is left to learn, also when the
// participant has left.
func (l *Live) resolveLeg(ctx context.Context, n *Node, x [2]string) error {
	name, callID, pid := n.Name(), x[0], x[1]
	legID, need := l.ls.needsLeg(name, callID, pid)
	if !need {
		return nil // a resync found it meanwhile, or the participant left
	}
	if legID == "" {
		legs, err := n.ParticipantCallLegs(ctx, pid)
		switch {
		case errors.Is(err, ErrParticipantNotFound):
			return nil // left; its roster event removes it
		case err != nil:
			return err
		case len(legs) == 0:
			return fmt.Errorf("cms node %q: participant %s lists no call leg yet", name, pid)
		}
		legID = legs[0].ID
	}
	// A join into a locked meeting waits in the lobby (lockMode all); no event says so, the
	// leg's detail does. Unlocked meetings are not read: CMS fills the lobby behind a lock.
	var lobby *bool
	var lobbyErr error
	if l.ls.mayBeLocked(name, callID) {
		d, err := n.CallLeg(ctx, legID)
		switch {
		case errors.Is(err, ErrCallLegNotFound):
			return nil // left; its roster event removes it
		case err != nil:
			lobbyErr = err
		default:
			lobby = ptr(d.Status.Deactivated)
		}
	}
	l.ls.batch(func() {
		l.ls.setLegID(name, callID, pid, legID)
		l.ls.setLobbyUnread(name, callID, pid, lobbyErr != nil)
		if lobby != nil {
			l.ls.setLobby(name, pid, *lobby)
		}
	})
	return lobbyErr
}

// poll reads the node over REST every PollInterval until ctx ends or stop fires.
func (l *Live) poll(ctx context.Context, n *Node, stop <-chan time.Time) {
	name := n.Name()
	l.stat(LiveStat{Kind: StatPolled, Node: name, Value: 1})
	defer l.stat(LiveStat{Kind: StatPolled, Node: name, Value: 0})
	for {
		err := l.resync(ctx, n, nil)
		if ctx.Err() != nil {
			return
		}
		l.ls.batch(func() {
			if err != nil {
				l.ls.setMode(name, ModeDown, errText(err))
			} else {
				l.ls.setMode(name, ModePolled, "")
			}
		})
		l.settled(name)
		t := time.NewTimer(l.cfg.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-stop:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// restCall is one call as REST shows it, with its local participants.
type restCall struct {
	detail CallDetail
	parts  []restPart
}

type restPart struct {
	id  string
	leg CallLegDetail
	imp *int
}

// restSnapshot reads every call of the node with its participant legs. Any failure fails the
// whole snapshot: a partial one must never make participants "leave".
func restSnapshot(ctx context.Context, n *Node) ([]restCall, error) {
	calls, err := nodeCalls(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]restCall, len(calls))
	errs := make([]error, len(calls))
	forEachBounded(max(detailLimit(n)/2, 1), len(calls), func(i int) {
		out[i].detail = calls[i]
		out[i].parts, errs[i] = restParticipants(ctx, n, calls[i].ID)
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// restParticipants maps the call's local legs to participant ids: the leg's status/groupId or
// its own id when the participant list has it, else the participant's leg list.
func restParticipants(ctx context.Context, n *Node, callID string) ([]restPart, error) {
	legs, err := instanceLegs(ctx, n, callID, nil)
	if err != nil {
		return nil, err
	}
	parts, err := n.CallParticipants(ctx, callID, "")
	if err != nil && !errors.Is(err, ErrCallNotFound) {
		return nil, err
	}
	local := map[string]*Participant{}
	for i := range parts {
		if parts[i].CallBridge == "" {
			local[parts[i].ID] = &parts[i]
		}
	}
	var out []restPart
	claimed := map[string]bool{}
	var unmatched []RosterEntry
	for _, e := range legs {
		pid := ""
		for _, cand := range []string{e.Leg.Status.GroupID, e.Leg.ID} {
			if _, ok := local[cand]; ok && cand != "" && !claimed[cand] {
				pid = cand
				break
			}
		}
		if pid == "" {
			unmatched = append(unmatched, e)
			continue
		}
		claimed[pid] = true
		out = append(out, restPart{id: pid, leg: e.Leg, imp: local[pid].Importance})
	}
	for pid, p := range local {
		if claimed[pid] || len(unmatched) == 0 {
			continue
		}
		pl, err := n.ParticipantCallLegs(ctx, pid)
		if err != nil {
			continue
		}
		for i, e := range unmatched {
			if len(pl) > 0 && pl[0].ID == e.Leg.ID {
				out = append(out, restPart{id: pid, leg: e.Leg, imp: p.Importance})
				unmatched = append(unmatched[:i], unmatched[i+1:]...)
				break
			}
		}
	}
	return out, nil
}

// reconcile applies a REST snapshot of node taken after seq start: what events touched since
// then is newer and kept; what REST no longer shows and no event touched is gone.
func (ls *liveState) reconcile(node string, snap []restCall, start uint64) {
	nd := ls.nodes[node]
	if nd == nil {
		return
	}
	now := ls.now()
	seen := map[string]bool{}
	for _, rc := range snap {
		d := rc.detail
		seen[d.ID] = true
		started := now.Add(-time.Duration(d.DurationSeconds) * time.Second)
		cor := d.CallCorrelator
		f := callFields{listed: true, correlator: &cor, name: ptr(d.Name), participants: ptr(d.NumParticipantsLocal),
			instances: ptr(d.NumDistributedInstances), locked: ptr(d.Locked), recording: ptr(d.Recording),
			streaming: ptr(d.Streaming), joinMute: ptr(d.JoinAudioMuteOverride), restStarted: &started,
			banner: ptr(bannerOfDetail(d, now))}
		c := ls.upsertCall(node, d.ID, f, start)
		if c == nil {
			continue
		}
		inREST := map[string]bool{}
		for _, p := range rc.parts {
			inREST[p.id] = true
			leg := p.leg
			layout := leg.Status.Layout
			if layout == "" {
				layout = leg.Config.ChosenLayout
			}
			since := now.Add(-time.Duration(leg.Status.DurationSeconds) * time.Second)
			isNew := c.roster[p.id] == nil
			ls.upsertPart(node, d.ID, p.id, partFields{name: ptr(leg.Name), uri: ptr(leg.RemoteParty),
				state: ptr(leg.Status.State), direction: ptr(leg.Direction), layout: ptr(layout),
				audio: ptr(leg.Config.RxAudioMute), video: ptr(leg.Config.RxVideoMute),
				presenter:  ptr(d.PresenterCallLeg != "" && d.PresenterCallLeg == leg.ID),
				importance: ptr(p.imp), legID: ptr(leg.ID), lobby: ptr(leg.Status.Deactivated)}, start)
			if isNew {
				if x := c.roster[p.id]; x != nil {
					x.since = since
				}
			}
		}
		for _, p := range sortedParts(c.roster) {
			if !inREST[p.id] && p.touched < start {
				ls.removePart(node, d.ID, p.id, "")
			}
		}
	}
	for id, c := range nd.calls {
		if !seen[id] && c.touched < start {
			ls.removeCall(node, id, "")
		}
	}
}

// String helps logs: "cb1: live since 14:02:07".
func (n NodeLiveness) String() string {
	return fmt.Sprintf("%s: %s since %s", n.Node, n.Mode, n.Since.Format(time.TimeOnly))
}
