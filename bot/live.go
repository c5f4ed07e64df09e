package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/store"
	"github.com/slack-go/slack"
)

// Live messages: a roster, the calls list or a follow thread that keeps itself current from
// the cluster's live state (commands.LiveFeed). One loop owns them all: it marks the messages a
// change touches, and updates each when the changes pause (liveQuiet) or at the latest
// liveMaxWait after the first unshown change, never more often than liveMinSpacing. Every
// chat.update (and every App Home views.publish) spends a token of one app-wide budget
// (Tier 3: about 50 a minute); when it is empty, updates wait and coalesce more, and a 429
// pauses the budget for Retry-After. So a burst slows updates down, never into errors.

// Live message kinds, as stored (store.LiveMessage.Kind).
const (
	liveRoster = "roster"
	liveCalls  = "calls"
	liveFollow = "follow"
)

// Action ids of the live controls.
const (
	actLive       = "nfmm_live"        // button on a roster, value: correlator → a live roster
	actLiveStop   = "nfmm_live_stop"   // button, value: liveKey.encode()
	actLiveResume = "nfmm_live_resume" // button, value: liveKey.encode()
)

// The update timing; see the package comment above. With changes arriving without pause, a
// message updates every liveMaxWait: 100 joins in 10 s give 5 updates, each change shown within
// liveMaxWait of happening (plus the read and the update).
const (
	liveQuiet      = 400 * time.Millisecond
	liveMaxWait    = 2 * time.Second
	liveMinSpacing = time.Second
	liveRetry      = 5 * time.Second  // after a failed read or update
	liveOpTimeout  = 15 * time.Second // one read plus one update
	liveThreadMax  = 20               // follow lines per threaded post
)

// Defaults of the configurable parts.
const (
	DefaultLiveTTL       = 4 * time.Hour
	DefaultUpdatesPerMin = 50 // chat.update is Tier 3
	liveBurst            = 10 // updates at once after a quiet spell; a fifth of the minute's budget at most
)

// LiveStore keeps the references of live messages so a restart (or a new leader) resumes
// them; *store.Store implements it. The default keeps them in memory.
type LiveStore interface {
	PutLiveMessage(ctx context.Context, m store.LiveMessage) error
	DeleteLiveMessage(ctx context.Context, channel, ts string) error
	LiveMessages(ctx context.Context, kind string) ([]store.LiveMessage, error)
}

var _ LiveStore = (*store.Store)(nil)

// memLiveStore is the LiveStore without a database: a restart of the process forgets.
type memLiveStore struct {
	mu   sync.Mutex
	msgs map[[2]string]store.LiveMessage
}

func newMemLiveStore() *memLiveStore { return &memLiveStore{msgs: map[[2]string]store.LiveMessage{}} }

// NewMemoryLiveStore is a LiveStore in memory, for tests and for a replica without a database.
func NewMemoryLiveStore() LiveStore { return newMemLiveStore() }

func (s *memLiveStore) PutLiveMessage(_ context.Context, m store.LiveMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs[[2]string{m.Channel, m.TS}] = m
	return nil
}

func (s *memLiveStore) DeleteLiveMessage(_ context.Context, channel, ts string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.msgs, [2]string{channel, ts})
	return nil
}

func (s *memLiveStore) LiveMessages(_ context.Context, kind string) ([]store.LiveMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.LiveMessage
	now := time.Now()
	for _, m := range s.msgs {
		if (kind == "" || m.Kind == kind) && m.ExpiresAt.After(now) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b store.LiveMessage) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// liveSource is the part of commands.Service that has the change stream.
type liveSource interface {
	Subscribe(loc *time.Location) *commands.LiveFeed
}

// liveDoc is what a live message stores beside its reference: who it renders for and what the
// final state needs.
type liveDoc struct {
	User    string    `json:"user"`    // who started it: it renders with their role
	Channel string    `json:"channel"` // where they asked (the policy's channel)
	Name    string    `json:"name,omitempty"`
	Started time.Time `json:"started,omitzero"`  // the meeting's start
	People  []string  `json:"people,omitempty"`  // everyone seen in it (address or name)
	Stop    string    `json:"stop,omitempty"`    // a Stop clicked on a replica that does not lead
	Cluster string    `json:"cluster,omitempty"` // the cluster it follows, with several
}

type liveMsg struct {
	channel, ts, kind, subject string // subject: the meeting's correlator ("" for calls)
	doc                        liveDoc
	created, expires           time.Time

	dirtyAt, lastChange, lastUpdate time.Time
	ended                           bool
	endedAt                         time.Time
	lines                           []string // follow: lines not posted yet
	stop                            string   // why to stop ("" = keep going)
	busyUntil                       time.Time
}

func (m *liveMsg) key() string { return m.channel + "/" + m.ts }

// due is when m should next be updated (zero: nothing to show).
func (m *liveMsg) due() time.Time {
	if m.stop != "" || m.ended {
		return m.busyUntil
	}
	if m.dirtyAt.IsZero() && len(m.lines) == 0 {
		return time.Time{}
	}
	var at time.Time
	if !m.dirtyAt.IsZero() {
		at = m.dirtyAt.Add(liveMaxWait)
		if q := m.lastChange.Add(liveQuiet); q.Before(at) {
			at = q
		}
		at = laterOf(at, m.lastUpdate.Add(liveMinSpacing))
	}
	if len(m.lines) > 0 && (at.IsZero() || m.lastChange.Add(liveQuiet).Before(at)) {
		at = m.lastChange.Add(liveQuiet) // thread lines are posts, outside the update budget
	}
	return laterOf(at, m.busyUntil)
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (m *liveMsg) seen(who string) {
	if who != "" && !slices.Contains(m.doc.People, who) {
		m.doc.People = append(m.doc.People, who)
	}
}

// budget is the app-wide token bucket of live updates.
type budget struct {
	mu     sync.Mutex
	per    time.Duration // one token every per
	burst  float64
	tokens float64
	at     time.Time
	paused time.Time // after a 429: no update before this
}

func newBudget(perMinute int, now time.Time) *budget {
	burst := float64(max(1, min(liveBurst, perMinute/5)))
	return &budget{per: time.Minute / time.Duration(perMinute), burst: burst, tokens: burst, at: now}
}

func (b *budget) refill(now time.Time) {
	if now.After(b.at) {
		b.tokens = min(b.burst, b.tokens+float64(now.Sub(b.at))/float64(b.per))
		b.at = now
	}
}

// take spends a token, or says when the next one is there.
func (b *budget) take(now time.Time) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.paused) {
		return false, b.paused
	}
	b.refill(now)
	if b.tokens >= 1 {
		b.tokens--
		return true, time.Time{}
	}
	return false, now.Add(time.Duration((1 - b.tokens) * float64(b.per)))
}

// pause honours a 429's Retry-After for every live message.
func (b *budget) pause(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(b.paused) {
		b.paused = until
	}
}

// liveManager owns the live messages and the App Home views.
type liveManager struct {
	b         *Bot
	store     LiveStore
	ttl       time.Duration
	budget    *budget
	src       liveSource
	available bool // the cluster keeps live state: live messages work

	leading atomic.Bool // the loop runs here (this replica leads)

	mu    sync.Mutex
	msgs  map[string]*liveMsg
	homes map[string]*homeView
	wake  chan struct{}
}

func newLiveManager(b *Bot) *liveManager {
	st := b.cfg.LiveStore
	if st == nil {
		st = newMemLiveStore()
	}
	lm := &liveManager{b: b, store: st, ttl: cmp.Or(b.cfg.LiveTTL, DefaultLiveTTL),
		budget: newBudget(cmp.Or(b.cfg.LiveUpdatesPerMinute, DefaultUpdatesPerMin), b.cfg.Now()),
		msgs:   map[string]*liveMsg{}, homes: map[string]*homeView{}, wake: make(chan struct{}, 1)}
	if src, ok := b.cfg.Service.(liveSource); ok { // b.svc wraps it
		if f := src.Subscribe(b.cfg.Location); f != nil {
			f.Close() // the loop subscribes while this replica leads
			lm.src, lm.available = src, true
		}
	}
	return lm
}

// now is the bot's clock (Config.Now): every live timing decision reads it, so a test can
// drive the coalescing rules in fake time, where a loaded machine cannot stretch them.
func (lm *liveManager) now() time.Time { return lm.b.cfg.Now() }

func (lm *liveManager) poke() {
	select {
	case lm.wake <- struct{}{}:
	default:
	}
}

// liveOff answers watch/follow where no live state exists.
var liveOff = message{Text: "⚠️ Live messages need the cluster's live state, which this NFMM does not keep."}

// liveReload is how often the leader looks for live messages other replicas started or
// stopped (a slash command reaches whichever replica holds the socket).
const liveReload = 5 * time.Second

// start runs the loop while this replica leads (under Leadership), else at once; the channel
// closes when it has stopped after ctx ended.
func (lm *liveManager) start(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if !lm.available {
			return
		}
		if lm.b.cfg.Leadership == nil {
			lm.run(ctx)
			return
		}
		lm.b.cfg.Leadership.Run(ctx, func(ctx context.Context, _ Firings) { lm.run(ctx) })
	}()
	return done
}

// run is the loop of one leader term; it returns when ctx is done.
func (lm *liveManager) run(ctx context.Context) {
	feed := lm.src.Subscribe(lm.b.cfg.Location)
	if feed == nil {
		return
	}
	defer feed.Close()
	lm.leading.Store(true)
	defer lm.leading.Store(false)
	lm.resume(ctx)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	reload := time.NewTicker(liveReload)
	defer reload.Stop()
	for {
		next := lm.step(ctx)
		d := time.Hour
		if !next.IsZero() {
			d = max(next.Sub(lm.now()), time.Millisecond)
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return
		case <-feed.Ready():
			lm.apply(feed.Next(), lm.now())
		case <-reload.C:
			lm.resume(ctx)
		case <-lm.wake:
		case <-timer.C:
		}
	}
}

// resume picks up the live messages a previous run left, showing their current state at once.
func (lm *liveManager) resume(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, liveOpTimeout)
	defer cancel()
	stored, err := lm.store.LiveMessages(rctx, "")
	if err != nil {
		lm.b.log.Error("could not read the live messages to resume; they stay as they are", "err", err)
		return
	}
	now := lm.now()
	lm.mu.Lock()
	defer lm.mu.Unlock()
	added := 0
	for _, s := range stored {
		if s.Kind != liveRoster && s.Kind != liveCalls && s.Kind != liveFollow {
			continue
		}
		var doc liveDoc
		if err := json.Unmarshal(s.State, &doc); err != nil || doc.User == "" {
			lm.b.log.Warn("live message with an unreadable state; not resumed", "channel", s.Channel, "ts", s.TS)
			continue
		}
		if m := lm.msgs[s.Channel+"/"+s.TS]; m != nil {
			if doc.Stop != "" && m.stop == "" {
				m.stop = doc.Stop // stopped through another replica
			}
			continue
		}
		m := &liveMsg{channel: s.Channel, ts: s.TS, kind: s.Kind, subject: s.Subject, doc: doc,
			created: s.CreatedAt, expires: s.ExpiresAt, dirtyAt: now, lastChange: now, stop: doc.Stop}
		lm.msgs[m.key()] = m
		added++
	}
	if added > 0 {
		lm.b.log.Info("resumed live messages", "count", added)
	}
}

// hold registers a message about to be posted: it collects changes, and step leaves it
// alone until add gives it its ts. release drops the placeholder.
func (lm *liveManager) hold(m *liveMsg) string {
	key := fmt.Sprintf("pending/%p", m)
	lm.mu.Lock()
	lm.msgs[key] = m
	lm.mu.Unlock()
	return key
}

// posted gives a held message its ts, atomically: from now on it is live under it.
func (lm *liveManager) posted(ctx context.Context, key string, m *liveMsg, ts string) error {
	now := lm.now()
	lm.mu.Lock()
	delete(lm.msgs, key)
	m.ts = ts
	m.created, m.expires, m.lastUpdate = now, now.Add(lm.ttl), now
	lm.msgs[m.key()] = m
	lm.mu.Unlock()
	lm.poke()
	return lm.save(ctx, m)
}

// hasPending reports whether a live message is being posted in channel.
func (lm *liveManager) hasPending(channel string) bool {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	for _, m := range lm.msgs {
		if m.ts == "" && m.channel == channel {
			return true
		}
	}
	return false
}

func (lm *liveManager) release(key string) {
	lm.mu.Lock()
	delete(lm.msgs, key)
	lm.mu.Unlock()
}

// add registers a message that is already posted, and stores it.
func (lm *liveManager) add(ctx context.Context, m *liveMsg) error {
	now := lm.now()
	lm.mu.Lock()
	m.created, m.expires, m.lastUpdate = now, now.Add(lm.ttl), now
	// Changes between the first read and now may not be shown yet: one update (coalesced
	// with any that follow) catches up.
	m.dirtyAt, m.lastChange = now, now
	lm.mu.Unlock()
	if err := lm.save(ctx, m); err != nil {
		return err
	}
	lm.mu.Lock()
	lm.msgs[m.key()] = m
	lm.mu.Unlock()
	lm.poke()
	return nil
}

func (lm *liveManager) save(ctx context.Context, m *liveMsg) error {
	lm.mu.Lock()
	rec, err := m.recordLocked()
	lm.mu.Unlock()
	if err != nil {
		return err
	}
	return lm.store.PutLiveMessage(ctx, rec)
}

// recordLocked is m as stored; the caller holds lm.mu.
func (m *liveMsg) recordLocked() (store.LiveMessage, error) {
	doc, err := json.Marshal(m.doc)
	if err != nil {
		return store.LiveMessage{}, fmt.Errorf("live message state: %w", err)
	}
	return store.LiveMessage{Channel: m.channel, TS: m.ts, Kind: m.kind, Cluster: m.doc.Cluster,
		Subject: m.subject, State: doc, CreatedAt: m.created, ExpiresAt: m.expires}, nil
}

// stopMessage stops a live message for why (shown on it), if it is live. On a replica that
// does not lead, the stop goes through the store to the leader.
func (lm *liveManager) stopMessage(ctx context.Context, channel, ts, why string) bool {
	if !lm.leading.Load() {
		stored, err := lm.store.LiveMessages(ctx, "")
		if err != nil {
			lm.b.log.Error("could not read the live messages", "err", err)
			return false
		}
		for _, s := range stored {
			var doc liveDoc
			if s.Channel != channel || s.TS != ts || json.Unmarshal(s.State, &doc) != nil {
				continue
			}
			doc.Stop = why
			if s.State, err = json.Marshal(doc); err == nil {
				err = lm.store.PutLiveMessage(ctx, s)
			}
			return err == nil
		}
		return false
	}
	lm.mu.Lock()
	m := lm.msgs[channel+"/"+ts]
	if m != nil {
		m.stop = why
	}
	lm.mu.Unlock()
	lm.poke()
	return m != nil
}

// isLive reports whether the message is live and staying so.
func (lm *liveManager) isLive(channel, ts string) bool {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	m := lm.msgs[channel+"/"+ts]
	return m != nil && m.stop == "" && !m.ended
}

// apply marks what the changes touch.
func (lm *liveManager) apply(cs []commands.LiveChange, now time.Time) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	for _, c := range cs {
		corr := c.Correlator()
		for _, m := range lm.msgs {
			if m.stop != "" || m.ended {
				continue
			}
			switch m.kind {
			case liveCalls:
				if c.Type == "participant_changed" {
					continue // the list shows counts, not mutes
				}
			case liveRoster, liveFollow:
				if corr != m.subject {
					continue
				}
			}
			if c.Participant != nil && c.Type == "participant_joined" {
				m.seen(cmp.Or(c.Participant.Address, c.Participant.Name))
			}
			if m.kind != liveCalls && c.Type == "meeting_ended" {
				m.ended, m.endedAt = true, now
			}
			if m.kind == liveFollow {
				if followed(c) {
					m.lines = append(m.lines, c.Line)
					m.lastChange = now
				}
				continue
			}
			if m.dirtyAt.IsZero() {
				m.dirtyAt = now
			}
			m.lastChange = now
		}
		for _, h := range lm.homes {
			if h.dirtyAt.IsZero() {
				h.dirtyAt = now
			}
		}
	}
}

// followed says whether a follow thread gets a line for c: joins, leaves, mutes, lock,
// recording, streaming and presenter changes, and the end.
func followed(c commands.LiveChange) bool {
	switch c.Type {
	case "participant_joined", "participant_left", "meeting_ended":
		return true
	case "participant_changed", "meeting_changed":
		for _, f := range c.Changes {
			switch f.Field {
			case "audio_muted", "video_muted", "presenter", "locked", "recording", "streaming":
				return true
			}
		}
	}
	return false
}

// step does what is due and returns when to look again (zero: nothing pending).
func (lm *liveManager) step(ctx context.Context) time.Time {
	now := lm.now()
	lm.mu.Lock()
	var due []*liveMsg
	var next time.Time
	for _, m := range lm.msgs {
		if m.ts == "" {
			continue // being posted
		}
		if m.stop == "" && !m.ended && !now.Before(m.expires) {
			m.stop = "after " + commands.FormatDuration(lm.ttl)
		}
		next = earliest(next, m.expires)
		at := m.due()
		if m.stop != "" || m.ended {
			at = laterOf(now, m.busyUntil)
		}
		if at.IsZero() {
			continue
		}
		if at.After(now) {
			next = earliest(next, at)
			continue
		}
		due = append(due, m)
	}
	lm.mu.Unlock()
	slices.SortFunc(due, func(a, b *liveMsg) int { return a.dirtyAt.Compare(b.dirtyAt) })
	for _, m := range due {
		if ctx.Err() != nil {
			return time.Time{}
		}
		if at := lm.work(ctx, m); !at.IsZero() {
			next = earliest(next, at)
		}
	}
	if at := lm.stepHomes(ctx, now); !at.IsZero() {
		next = earliest(next, at)
	}
	return next
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// work brings one due message up to date; it returns when to retry when it could not.
func (lm *liveManager) work(ctx context.Context, m *liveMsg) time.Time {
	ctx, cancel := context.WithTimeout(ctx, liveOpTimeout)
	defer cancel()
	lm.mu.Lock()
	lines := m.lines
	m.lines = nil
	stop, ended, dirty := m.stop, m.ended, !m.dirtyAt.IsZero()
	lm.mu.Unlock()
	if len(lines) > 0 {
		lm.postLines(ctx, m, lines)
	}
	if !dirty && !ended && stop == "" {
		return time.Time{}
	}
	ok, at := lm.budget.take(lm.now())
	if !ok {
		return at
	}
	started := lm.now() // the read starts: later changes may not be in it
	msg, gone := lm.render(ctx, m, stop)
	if gone && !ended {
		lm.mu.Lock()
		m.ended, m.endedAt = true, lm.now()
		lm.mu.Unlock()
		ended = true
	}
	if ended {
		msg = lm.finalMessage(m)
	}
	err := lm.b.updateOnce(ctx, m.channel, m.ts, msg)
	var rl *slack.RateLimitedError
	switch {
	case errors.As(err, &rl):
		until := lm.now().Add(max(rl.RetryAfter, time.Second))
		lm.budget.pause(until)
		lm.b.log.Warn("Slack rate limit on a live update; every live message waits", "retry_after", rl.RetryAfter)
		return until
	case err != nil && isGoneMessage(err):
		lm.b.log.Info("live message deleted or unreachable; no longer updated", "channel", m.channel, "ts", m.ts, "err", err)
		lm.forget(ctx, m)
		return time.Time{}
	case err != nil:
		lm.b.log.Warn("live update failed; retrying", "channel", m.channel, "ts", m.ts, "err", err)
		lm.mu.Lock()
		m.busyUntil = lm.now().Add(liveRetry)
		lm.mu.Unlock()
		return m.busyUntil
	}
	if ended || stop != "" {
		lm.mu.Lock()
		rest := m.lines
		m.lines = nil
		lm.mu.Unlock()
		if m.kind == liveFollow && len(rest) > 0 {
			lm.postLines(ctx, m, rest)
		}
		lm.forget(ctx, m)
		return time.Time{}
	}
	lm.mu.Lock()
	// Changes that arrived while reading and updating are still to be shown.
	if m.lastChange.Before(started) {
		m.dirtyAt = time.Time{}
	} else {
		m.dirtyAt = started
	}
	m.lastUpdate = lm.now()
	rec, rerr := m.recordLocked()
	lm.mu.Unlock()
	if rerr == nil {
		rerr = lm.store.PutLiveMessage(ctx, rec)
	}
	if rerr != nil {
		lm.b.log.Warn("could not store a live message's state", "err", rerr)
	}
	return time.Time{}
}

// forget stops updating m and removes its reference, unless it was resumed meanwhile.
func (lm *liveManager) forget(ctx context.Context, m *liveMsg) {
	lm.mu.Lock()
	mine := lm.msgs[m.key()] == m
	if mine {
		delete(lm.msgs, m.key())
	}
	lm.mu.Unlock()
	if !mine {
		return
	}
	if err := lm.store.DeleteLiveMessage(ctx, m.channel, m.ts); err != nil {
		lm.b.log.Warn("could not forget a live message; it may resume after a restart", "err", err)
	}
}

// isGoneMessage: the message or channel is gone, or the bot may no longer write there.
func isGoneMessage(err error) bool {
	s := err.Error()
	for _, code := range []string{"message_not_found", "channel_not_found", "cant_update_message", "not_in_channel", "is_archived"} {
		if strings.Contains(s, code) {
			return true
		}
	}
	return false
}

// actor is who the message renders for.
func (m *liveMsg) actor() commands.Actor {
	return commands.Actor{UserID: m.doc.User, ChannelID: m.doc.Channel, Cluster: m.doc.Cluster}
}

// render reads the current state and renders the message; gone reports that the meeting is
// no longer there (it ended).
func (lm *liveManager) render(ctx context.Context, m *liveMsg, stop string) (msg message, gone bool) {
	b := lm.b
	a := m.actor()
	if m.kind == liveFollow {
		return lm.followParent(m, stop), false
	}
	cmd := commands.Command{Op: commands.OpCalls}
	if m.kind == liveRoster {
		cmd = commands.Command{Op: commands.OpCall, Meeting: m.subject}
	}
	res, err := b.svc.Execute(ctx, a, cmd)
	if err != nil {
		var re *commands.RefError
		if errors.As(err, &re) && !re.Ambiguous && len(re.Unsearched) == 0 {
			return message{}, true
		}
		msg = renderError(err)
	} else {
		if rr, ok := res.(*commands.RosterResult); ok {
			lm.noteRoster(m, rr)
		}
		msg = render(res, b.opts(a, 0, ""))
	}
	return withLiveBar(msg, m, stop, b.cfg.Location), false
}

// noteRoster remembers what the final state needs.
func (lm *liveManager) noteRoster(m *liveMsg, r *commands.RosterResult) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	m.doc.Name = cmp.Or(r.Meeting.Name, m.doc.Name)
	if m.doc.Started.IsZero() && !r.AsOf.IsZero() {
		m.doc.Started = r.AsOf.Add(-r.Meeting.Duration)
	}
	for _, p := range r.Participants {
		m.seen(cmp.Or(p.Address, p.Name))
	}
}

// withLiveBar adds the live line and its button: Stop while live, Resume once stopped.
func withLiveBar(msg message, m *liveMsg, stop string, loc *time.Location) message {
	val := liveKey{Kind: m.kind, Subject: m.subject}.encode()
	var line string
	var btn *slack.ButtonBlockElement
	if stop == "" {
		line = "🔴 *Live* · updates by itself until " + hhmm(m.expires, loc)
		btn = button(actLiveStop, "Stop", val)
	} else {
		line = "⏸ *No longer live* (" + stop + ")" // stop is NFMM's own words and a <@user>
		btn = button(actLiveResume, "Resume", val)
	}
	blocks := msg.Blocks
	if len(blocks)+2 > maxMessageBlocks {
		blocks = blocks[:maxMessageBlocks-2]
	}
	bar := slack.NewActionBlock("nfmm_live", btn)
	if c := m.doc.Cluster; c != "" { // the live message's cluster, like the rest of it
		stampBlock(bar, c, "")
	}
	msg.Blocks = append(slices.Clip(blocks), slack.NewContextBlock("", md(line, maxContextText)), bar)
	return msg
}

// followParent is the follow thread's parent.
func (lm *liveManager) followParent(m *liveMsg, stop string) message {
	name := cmp.Or(m.doc.Name, "the meeting")
	text := "👀 Following " + bold(name, 500) + ": a line in the thread for each join, leave, mute, lock, recording and presenter change."
	msg := message{Text: "Following " + escapeTrunc(name, 200), Blocks: []slack.Block{textSection(text)}}
	return withLiveBar(msg, m, stop, lm.b.cfg.Location)
}

// finalMessage is the ended meeting: "ended 14:32 · lasted 1h03m · 23 people".
func (lm *liveManager) finalMessage(m *liveMsg) message {
	lm.mu.Lock()
	doc, endedAt := m.doc, m.endedAt
	lm.mu.Unlock()
	if endedAt.IsZero() {
		endedAt = lm.now()
	}
	parts := []string{"ended " + hhmm(endedAt, lm.b.cfg.Location)}
	if !doc.Started.IsZero() && endedAt.After(doc.Started) {
		parts = append(parts, "lasted "+commands.FormatDuration(endedAt.Sub(doc.Started)))
	}
	if m.kind != liveCalls {
		parts = append(parts, plural(len(doc.People), "person", "people"))
	}
	line := strings.Join(parts, " · ")
	name := cmp.Or(doc.Name, "Meeting")
	if m.kind == liveCalls {
		name = "Active meetings"
	}
	return message{Text: escapeTrunc(name, 200) + ": " + line, Blocks: []slack.Block{
		header(name), textSection("⏹ " + escapeTrunc(line, 500)),
	}}
}

// postLines posts follow lines in the parent's thread, liveThreadMax a post.
func (lm *liveManager) postLines(ctx context.Context, m *liveMsg, lines []string) {
	for len(lines) > 0 {
		n := min(len(lines), liveThreadMax)
		text := escapeTrunc(strings.Join(lines[:n], "\n"), maxTopText)
		lines = lines[n:]
		if _, err := lm.b.postThread(ctx, m.channel, m.ts, message{Text: text, Blocks: []slack.Block{textSection(text)}}); err != nil {
			lm.b.log.Warn("could not post a follow line", "channel", m.channel, "err", err)
			return
		}
	}
}

// hhmm is a clock time to the minute, "14:32".
func hhmm(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("15:04")
}

// liveKey is what the Stop and Resume buttons carry: what the message shows.
type liveKey struct{ Kind, Subject string }

func (k liveKey) encode() string { return k.Kind + "|" + k.Subject }

func decodeLiveKey(s string) (liveKey, bool) {
	kind, subject, ok := strings.Cut(s, "|")
	if !ok {
		return liveKey{}, false
	}
	switch kind {
	case liveCalls:
		return liveKey{Kind: kind}, subject == ""
	case liveRoster, liveFollow:
		return liveKey{Kind: kind, Subject: subject}, idPattern.MatchString(subject)
	}
	return liveKey{}, false
}

// updateOnce is chat.update without the retry: the live loop handles 429 itself, for every
// live message at once.
func (b *Bot) updateOnce(ctx context.Context, channel, ts string, m message) error {
	b.checkBeforePost("chat.update", m)
	_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...)
	return redactURLs(err)
}

// postThread posts a reply in a thread, paced like every post to the channel.
func (b *Bot) postThread(ctx context.Context, channel, threadTS string, m message) (string, error) {
	b.checkBeforePost("chat.postMessage", m)
	if err := b.pacer.wait(ctx, channel); err != nil {
		return "", err
	}
	var ts string
	err := b.withRetry(ctx, "chat.postMessage", func() error {
		var err error
		_, ts, err = b.api.PostMessageContext(ctx, channel, append(msgOptions(m), slack.MsgOptionTS(threadTS))...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("chat.postMessage to %s: %w", channel, err)
	}
	return ts, nil
}

// startLive answers watch, follow and `calls live`: it posts the message in the channel and
// keeps it current.
func (b *Bot) startLive(ctx context.Context, ia interaction, w *commands.WatchResult) {
	if !b.live.available {
		b.tell(ctx, ia, liveOff)
		return
	}
	m := &liveMsg{channel: ia.channel, kind: liveCalls, subject: w.Meeting,
		doc: liveDoc{User: ia.actor.UserID, Channel: ia.actor.ChannelID, Cluster: w.Cluster}}
	switch {
	case w.Follow:
		m.kind = liveFollow
	case w.Meeting != "":
		m.kind = liveRoster
	}
	if rr, ok := w.Snapshot.(*commands.RosterResult); ok {
		b.live.noteRoster(m, rr)
	}
	m.expires = b.live.now().Add(b.live.ttl)
	// Listen before posting: a change between the read and the post still reaches the
	// message (a follow line cannot be re-read later).
	pending := b.live.hold(m)
	var first message
	if m.kind == liveFollow {
		first = b.live.followParent(m, "")
	} else {
		first = withLiveBar(render(w.Snapshot, b.opts(ia.actor, 0, "")), m, "", b.cfg.Location)
	}
	ts, err := b.Post(ctx, ia.channel, first)
	if err != nil {
		b.live.release(pending)
		b.log.Error("could not post a live message", "channel", ia.channel, "err", err)
		b.tell(ctx, ia, message{Text: "⚠️ NFMM could not post the live message in this channel. Is the NFMM app a member of it?"})
		return
	}
	if err := b.live.posted(ctx, pending, m, ts); err != nil {
		b.log.Error("could not store a live message; it stays live, but not after a restart", "err", err)
	}
}

// liveActions are the live controls' handlers.
func (b *Bot) liveActions() map[string]actionHandler {
	return map[string]actionHandler{
		actLive:       b.onLive,
		actLiveStop:   b.onLiveStop,
		actLiveResume: b.onLiveResume,
		actRunCalls:   b.onRun,
		actRunStatus:  b.onRun,
		actRunReport:  b.onRun,
	}
}

// onLive turns a roster into a live one: in place for a channel message (when the clicker may
// change it for everyone), else as a new message in the channel.
func (b *Bot) onLive(ctx context.Context, ia interaction, act slack.BlockAction) {
	corr, ok := decodeCorrelator(act.Value)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	b.goLive(ctx, ia, liveKey{Kind: liveRoster, Subject: corr})
}

func (b *Bot) onLiveResume(ctx context.Context, ia interaction, act slack.BlockAction) {
	k, ok := decodeLiveKey(act.Value)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	b.goLive(ctx, ia, k)
}

func (b *Bot) goLive(ctx context.Context, ia interaction, k liveKey) {
	cmd := commands.Command{Op: commands.OpWatch, Meeting: k.Subject}
	if k.Kind == liveFollow {
		cmd.Op = commands.OpFollow
	}
	res, err := b.svc.Execute(ctx, ia.actor, cmd)
	b.metrics.Command(string(cmd.Op), outcome(err))
	if err != nil {
		b.replyError(ctx, ia, err)
		return
	}
	w, ok := res.(*commands.WatchResult)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	if ia.ephemeral || ia.messageTS == "" || ia.channel == "" || !b.mayRewrite(ia) {
		b.startLive(ctx, ia, w) // a message of its own in the channel
		return
	}
	if !b.live.available {
		b.tell(ctx, ia, liveOff)
		return
	}
	if b.live.isLive(ia.channel, ia.messageTS) {
		return // a second click: it is live already
	}
	m := &liveMsg{channel: ia.channel, ts: ia.messageTS, kind: k.Kind, subject: w.Meeting,
		doc: liveDoc{User: ia.actor.UserID, Channel: ia.actor.ChannelID, Cluster: w.Cluster}}
	if rr, ok := w.Snapshot.(*commands.RosterResult); ok {
		b.live.noteRoster(m, rr)
	}
	if err := b.live.add(ctx, m); err != nil {
		b.log.Error("could not store a live message", "err", err)
	}
	// Show the live bar now; the loop takes it from here.
	b.live.mu.Lock()
	m.dirtyAt, m.lastChange = b.live.now().Add(-liveMaxWait), b.live.now().Add(-liveQuiet)
	m.lastUpdate = time.Time{}
	b.live.mu.Unlock()
	b.live.poke()
}

// onLiveStop stops a live message; only someone who may change it for everyone may.
func (b *Bot) onLiveStop(ctx context.Context, ia interaction, act slack.BlockAction) {
	if _, ok := decodeLiveKey(act.Value); !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	if !b.mayRewrite(ia) && !b.live.startedBy(ia.channel, ia.messageTS, ia.actor.UserID) {
		b.tell(ctx, ia, message{Text: "Only an operator, or whoever started it, can stop a shared live message."})
		return
	}
	why := "stopped by <@" + ia.actor.UserID + ">"
	stopped := b.live.stopMessage(ctx, ia.channel, ia.messageTS, why)
	// A click right after the post may beat its registration: wait for it briefly.
	for i := 0; !stopped && i < 20 && b.live.hasPending(ia.channel); i++ {
		time.Sleep(100 * time.Millisecond)
		stopped = b.live.stopMessage(ctx, ia.channel, ia.messageTS, why)
	}
	if !stopped {
		b.tell(ctx, ia, message{Text: "That message is no longer live."})
	}
}

func (lm *liveManager) startedBy(channel, ts, user string) bool {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	m := lm.msgs[channel+"/"+ts]
	return m != nil && m.doc.User == user
}
