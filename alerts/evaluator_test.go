package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/commands"
)

// fakeClock is a manual clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeSource reports whatever the test set.
type fakeSource struct {
	mu      sync.Mutex
	obs     []Observation
	unknown []string
}

func (s *fakeSource) Name() string            { return "fake" }
func (s *fakeSource) Interval() time.Duration { return time.Second }
func (s *fakeSource) Observe(context.Context, []Key) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Result{Observations: append([]Observation(nil), s.obs...), Unknown: s.unknown}
}

func (s *fakeSource) set(obs ...Observation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.obs = obs
}

// rateLimited is a 429 with Retry-After.
type rateLimited time.Duration

func (r rateLimited) Error() string             { return "ratelimited" }
func (r rateLimited) RetryAfter() time.Duration { return time.Duration(r) }

// fakeNotifier records what reaches "Slack" as lines: post <summary>, update <state>, reply <text>.
type fakeNotifier struct {
	mu    sync.Mutex
	log   []string
	fails int // the next fails calls answer 429 with Retry-After 3 s
	posts int
	// lose: the next lose posts or replies are stored but their answer is lost (ErrMaybeSent).
	lose int
	// stored maps a delivery id to the ts "Slack" stored it under, for Find.
	stored     map[string]string
	finds      int
	cannotFind bool // Find answers ErrCannotFind (a missing scope)
	findFails  int  // the next findFails Finds time out
	onPost     func()
}

func (n *fakeNotifier) fail() error {
	if n.fails > 0 {
		n.fails--
		return rateLimited(3 * time.Second)
	}
	return nil
}

// keep stores a tagged message and says whether its answer is lost.
func (n *fakeNotifier) keep(d Delivery, ts string) error {
	if d.ID == "" {
		panic("a post or reply without a delivery id")
	}
	if n.stored == nil {
		n.stored = map[string]string{}
	}
	n.stored[d.ID] = ts
	if n.lose > 0 {
		n.lose--
		return fmt.Errorf("chat.postMessage: %w: EOF", ErrMaybeSent)
	}
	return nil
}

func (n *fakeNotifier) Post(_ context.Context, ch string, a Alert, d Delivery) (string, string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.fail(); err != nil {
		return "", "", err
	}
	if n.onPost != nil {
		n.onPost()
	}
	n.posts++
	ts := fmt.Sprintf("ts%d", n.posts)
	n.log = append(n.log, fmt.Sprintf("post %s %s", ch, a.Summary))
	if err := n.keep(d, ts); err != nil {
		return "", "", err
	}
	return ch, ts, nil
}

func (n *fakeNotifier) Update(_ context.Context, ch, ts string, a Alert) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.fail(); err != nil {
		return err
	}
	n.log = append(n.log, fmt.Sprintf("update %s %s", ts, a.State))
	return nil
}

func (n *fakeNotifier) Reply(_ context.Context, ch, ts string, a Alert, d Delivery) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.fail(); err != nil {
		return err
	}
	n.log = append(n.log, fmt.Sprintf("reply %s %s", ts, ReplyText(a, d, func(u string) string { return "@" + u })))
	return n.keep(d, "r-"+d.ID)
}

func (n *fakeNotifier) Find(_ context.Context, ch, _ string, _ Alert, d Delivery) (string, string, bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.finds++
	if n.cannotFind {
		return "", "", false, fmt.Errorf("conversations.history: %w: missing_scope", ErrCannotFind)
	}
	if n.findFails > 0 {
		n.findFails--
		return "", "", false, errors.New("conversations.history: timeout")
	}
	ts, ok := n.stored[d.ID]
	return ch, ts, ok, nil
}

func (n *fakeNotifier) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.log
	n.log = nil
	return out
}

type rig struct {
	t     *testing.T
	clock *fakeClock
	src   *fakeSource
	note  *fakeNotifier
	store *MemoryStore
	ev    *Evaluator
}

func newRig(t *testing.T) *rig {
	r := &rig{t: t, clock: newFakeClock(), src: &fakeSource{}, note: &fakeNotifier{}, store: NewMemoryStore()}
	r.ev = r.evaluator()
	return r
}

func (r *rig) evaluator() *Evaluator {
	return New(Options{Sources: []Source{r.src}, Notifier: r.note, Store: r.store, Clock: r.clock.Now,
		Route: func(Key) string { return "C0OPS" }})
}

// step advances the clock by d in 1 s ticks.
func (r *rig) step(d time.Duration) {
	for i := time.Duration(0); i < d; i += time.Second {
		r.clock.Advance(time.Second)
		r.ev.Tick(context.Background())
	}
}

func (r *rig) want(want ...string) {
	r.t.Helper()
	got := r.note.take()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		r.t.Errorf("Slack saw:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

var cb2Down = Observation{Key: Key{Kind: KindNodeDown, Cluster: DefaultCluster, Node: "cb2"},
	Summary: "cb2 is unreachable", For: 30 * time.Second}

func TestFiresOnceAfterForAndResolvesWithDuration(t *testing.T) {
	r := newRig(t)
	r.src.set(cb2Down)
	r.step(29 * time.Second)
	r.want() // still within NFMM_ALERT_NODE_DOWN_AFTER
	r.step(2 * time.Second)
	r.want("post C0OPS cb2 is unreachable")
	r.step(10 * time.Minute)
	r.want() // no repeat before NFMM_ALERT_REPEAT
	if got := r.ev.Active(); len(got) != 1 || got[0].TS != "ts1" {
		t.Fatalf("Active = %+v, want the posted alert", got)
	}
	r.src.set()
	r.step(time.Second)
	r.want("update ts1 resolved", "reply ts1 ✅ recovered after 10 min 31 s")
	if got := r.ev.Active(); len(got) != 0 {
		t.Errorf("Active after resolve = %+v", got)
	}
}

func TestRepeatGoesToTheThreadUntilAcked(t *testing.T) {
	r := newRig(t)
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	r.want("post C0OPS cb2 is unreachable")
	r.step(4 * time.Hour)
	r.want("reply ts1 ⏳ still down · 4 h")
	fp := cb2Down.Key.Fingerprint()
	if _, err := r.ev.Ack(context.Background(), "U1", "C0OPS", fp); err != nil {
		t.Fatal(err)
	}
	r.want("update ts1 firing", "reply ts1 👀 acknowledged by @U1 · no more reminders")
	r.step(9 * time.Hour)
	r.want()
	if a, _ := r.ev.Get(fp); a.AckedBy != "U1" {
		t.Errorf("AckedBy = %q", a.AckedBy)
	}
}

func TestFlapGivesOneMessage(t *testing.T) {
	r := newRig(t)
	// Down 10 s, up 10 s, three times: never down for 30 s, but flapping.
	for range 3 {
		r.src.set(cb2Down)
		r.step(10 * time.Second)
		r.src.set()
		r.step(10 * time.Second)
	}
	r.want("post C0OPS cb2 is unreachable")
	// It keeps flapping: still the one message, no resolve while it flaps.
	for range 3 {
		r.src.set(cb2Down)
		r.step(10 * time.Second)
		r.src.set()
		r.step(10 * time.Second)
	}
	r.want()
	r.step(2 * time.Minute)
	got := r.note.take()
	if len(got) != 2 || got[0] != "update ts1 resolved" || !strings.HasPrefix(got[1], "reply ts1 ✅ recovered after") {
		t.Errorf("after it settles: %q, want the one message resolved", got)
	}
}

func TestBackSoonReusesTheMessage(t *testing.T) {
	r := newRig(t)
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	r.src.set()
	r.step(time.Minute)
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	r.want("post C0OPS cb2 is unreachable", "update ts1 resolved", "reply ts1 ✅ recovered after 31 s",
		"update ts1 firing", "reply ts1 🔁 again: cb2 is unreachable")
	// Long after it resolved, a new episode is a new message.
	r.src.set()
	r.step(time.Second)
	r.take()
	r.step(DefaultReopen + time.Minute)
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	r.want("post C0OPS cb2 is unreachable")
}

func (r *rig) take() { r.note.take() }

func TestSilenceHolds(t *testing.T) {
	r := newRig(t)
	fp := cb2Down.Key.Fingerprint()
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	if _, err := r.ev.Silence(context.Background(), "U1", "C0OPS", fp, time.Hour); err != nil {
		t.Fatal(err)
	}
	r.want("post C0OPS cb2 is unreachable", "update ts1 firing", "reply ts1 🔕 silenced for 1 h by @U1")
	// Resolve and come back within the hour: the message is updated, the thread stays quiet.
	r.src.set()
	r.step(time.Second)
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	r.want("update ts1 resolved", "update ts1 firing")
	// After the hour the reminders resume.
	r.step(4 * time.Hour)
	r.want("reply ts1 ⏳ still down · 4 h")

	// Until resolved: holds through repeats, ends with the resolve.
	if _, err := r.ev.Silence(context.Background(), "U2", "C0OPS", fp, 0); err != nil {
		t.Fatal(err)
	}
	r.take()
	r.step(9 * time.Hour)
	r.want()
	r.src.set()
	r.step(time.Second)
	r.want("update ts1 resolved")
	if a, _ := r.ev.Get(fp); a.Silenced(r.clock.Now()) {
		t.Errorf("silence until resolved still holds after the resolve: %+v", a)
	}
}

func TestRestartDoesNotRefire(t *testing.T) {
	r := newRig(t)
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	r.want("post C0OPS cb2 is unreachable")
	r.ev = r.evaluator() // a new process on the same store
	r.step(time.Minute)
	r.want()
	r.src.set()
	r.step(time.Second)
	r.want("update ts1 resolved", "reply ts1 ✅ recovered after 1 min 31 s")
}

func TestRateLimitRetriedWithoutDuplicate(t *testing.T) {
	r := newRig(t)
	r.note.fails = 2
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	r.want() // 429
	r.step(2 * time.Second)
	r.want() // Retry-After 3 s not over
	r.step(10 * time.Second)
	r.want("post C0OPS cb2 is unreachable")
	r.step(time.Minute)
	r.want()
	if a, _ := r.ev.Get(cb2Down.Key.Fingerprint()); a.TS != "ts1" || len(a.Outbox) != 0 {
		t.Errorf("alert after retries: ts %q, outbox %v", a.TS, a.Outbox)
	}
}

// A post or reply whose answer is lost after Slack stored it is looked for, found and adopted:
// never sent twice, and what follows goes to the message that exists.
func TestLostAnswerIsFoundNotSentTwice(t *testing.T) {
	tests := []struct {
		name      string
		findFails int
	}{
		{"found at once", 0},
		{"the look itself times out first", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.note.lose, r.note.findFails = 1, tc.findFails
			r.src.set(cb2Down)
			r.step(31 * time.Second)
			r.want("post C0OPS cb2 is unreachable") // stored, answer lost
			r.step(time.Minute)
			r.want() // looked for (and, after any failed looks, found): not posted again
			a, _ := r.ev.Get(cb2Down.Key.Fingerprint())
			if a.TS != "ts1" || len(a.Outbox) != 0 {
				t.Fatalf("alert after the lost answer: ts %q, outbox %+v", a.TS, a.Outbox)
			}
			if r.note.finds != tc.findFails+1 {
				t.Errorf("Find called %d times, want %d", r.note.finds, tc.findFails+1)
			}
			// A reply whose answer is lost: found, not repeated.
			r.note.lose = 1
			r.src.set()
			r.step(2 * time.Second)
			r.want("update ts1 resolved", "reply ts1 ✅ recovered after 1 min 31 s")
			r.step(time.Minute)
			r.want()
		})
	}
}

// Without a way to look (a missing history scope) a lost answer is sent again: never lost,
// possibly twice, with a warning.
func TestLostAnswerWithoutLookIsSentAgain(t *testing.T) {
	r := newRig(t)
	r.note.lose, r.note.cannotFind = 1, true
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	r.want("post C0OPS cb2 is unreachable")
	r.step(5 * time.Second)
	r.want("post C0OPS cb2 is unreachable")
	if a, _ := r.ev.Get(cb2Down.Key.Fingerprint()); a.TS != "ts2" {
		t.Errorf("ts %q, want the second post's", a.TS)
	}
}

// A definite failure (Slack answered 429) stores nothing: the retry does not look first.
func TestDefiniteFailureDoesNotLook(t *testing.T) {
	r := newRig(t)
	r.note.fails = 1
	r.src.set(cb2Down)
	r.step(40 * time.Second)
	r.want("post C0OPS cb2 is unreachable")
	if r.note.finds != 0 {
		t.Errorf("Find called %d times after a 429", r.note.finds)
	}
}

// The mark goes to the store before the send: a process that dies during the send leaves it,
// and the next one looks before posting.
func TestCrashDuringSendLooksFirst(t *testing.T) {
	r := newRig(t)
	var during []Alert // what the store holds while the post is under way
	r.note.onPost = func() { during = mustLoad(t, r.store) }
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	r.want("post C0OPS cb2 is unreachable")
	if len(during) != 1 || len(during[0].Outbox) != 1 || !during[0].Outbox[0].MaybeSent || during[0].Outbox[0].ID == "" {
		t.Fatalf("the store during the send: %+v, want the post queued and marked", during)
	}
	// The process died there: a new one starts from that store, Slack still has the message.
	crashed := NewMemoryStore()
	if err := crashed.SaveAlert(context.Background(), during[0]); err != nil {
		t.Fatal(err)
	}
	r.store, r.note.onPost = crashed, nil
	r.ev = r.evaluator()
	r.step(time.Second)
	r.want()
	if got, _ := r.ev.Get(during[0].Fingerprint); got.TS != "ts1" || r.note.finds != 1 {
		t.Errorf("after the crash: ts %q, finds %d; want the stored message adopted", got.TS, r.note.finds)
	}
}

func mustLoad(t *testing.T, s Store) []Alert {
	t.Helper()
	out, err := s.LoadAlerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUnknownNodeKeepsItsAlerts(t *testing.T) {
	r := newRig(t)
	alarm := Observation{Key: Key{Kind: KindAlarm, Cluster: DefaultCluster, Node: "cb2", Object: "cdrConnectionFailure"},
		Summary: "cdrConnectionFailure on cb2"}
	r.src.set(alarm)
	r.step(time.Second)
	r.want("post C0OPS cdrConnectionFailure on cb2")
	r.src.set()
	r.src.unknown = []string{"cb2"}
	r.step(time.Minute)
	r.want()
	r.src.unknown = nil
	r.step(time.Second)
	r.want("update ts1 resolved", "reply ts1 ✅ alarm cleared after 1 min 1 s")
}

func TestAckOfAResolvedAlertIsRefused(t *testing.T) {
	r := newRig(t)
	if _, err := r.ev.Ack(context.Background(), "U1", "C0OPS", "0123456789abcdef"); err != ErrNoAlert {
		t.Errorf("Ack of an unknown alert: %v, want ErrNoAlert", err)
	}
}

type recordedAudit struct {
	mu     sync.Mutex
	events []commands.AuditEvent
}

func (r *recordedAudit) Audit(_ context.Context, e commands.AuditEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// TestAckAndSilenceReachTheAuditHistory: each Ack and Silence, and one of an alert that is
// gone, is an audit event with its before → after, for `/cms audit`.
func TestAckAndSilenceReachTheAuditHistory(t *testing.T) {
	r := newRig(t)
	sink := &recordedAudit{}
	r.ev = New(Options{Sources: []Source{r.src}, Notifier: r.note, Store: r.store, Clock: r.clock.Now,
		Route: func(Key) string { return "C0OPS" }, AuditSink: sink})
	fp := cb2Down.Key.Fingerprint()
	r.src.set(cb2Down)
	r.step(31 * time.Second)
	ctx := context.Background()
	if _, err := r.ev.Ack(ctx, "U1", "C0OPS", fp); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ev.Silence(ctx, "U2", "C0OPS", fp, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ev.Silence(ctx, "U2", "C0OPS", fp, 0); err != nil {
		t.Fatal(err)
	}
	_, _ = r.ev.Ack(ctx, "U1", "C0OPS", "0123456789abcdef")
	until := r.clock.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04 UTC")
	want := []struct{ op, actor, outcome, before, after string }{
		{"alert_ack", "U1", "ok", "no", "by U1"},
		{"alert_silence", "U2", "ok", "no", "until " + until + ", by U2"},
		{"alert_silence", "U2", "ok", "until " + until + ", by U2", "until resolved, by U2"},
		{"alert_ack", "U1", "error", "", ""},
	}
	if len(sink.events) != len(want) {
		t.Fatalf("%d audit events, want %d: %+v", len(sink.events), len(want), sink.events)
	}
	for i, w := range want {
		e := sink.events[i]
		var before, after string
		if len(e.Changes) == 1 {
			before, after = e.Changes[0].Before, e.Changes[0].After
		}
		if string(e.Op) != w.op || e.Actor != w.actor || e.Channel != "C0OPS" || e.Outcome != w.outcome || before != w.before || after != w.after {
			t.Errorf("event %d = %+v, want %+v", i, e, w)
		}
		if w.outcome == "ok" && (e.Participant != "cb2 is unreachable" || len(e.Nodes) != 1 || e.Nodes[0] != "cb2") {
			t.Errorf("event %d names %q on %v", i, e.Participant, e.Nodes)
		}
	}
}
