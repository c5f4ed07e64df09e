package bot

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestFireTimes(t *testing.T) {
	at := func(h, m, s int) time.Time { return time.Date(2026, 12, 1, h, m, s, 0, time.UTC) }
	tests := []struct {
		spec     string
		now      time.Time
		window   time.Duration
		next     time.Time
		previous time.Time // zero: none within the window
	}{
		{"@every 10s", at(8, 0, 3), 10 * time.Minute, at(8, 0, 10), at(8, 0, 0)},
		{"@every 10s", at(8, 0, 10), 10 * time.Minute, at(8, 0, 20), at(8, 0, 10)}, // on the boundary: fired now
		{"@every 1h", at(8, 59, 0), 10 * time.Minute, at(9, 0, 0), time.Time{}},    // 08:00 is 59 min ago
		{"@every 1h", at(8, 9, 0), 10 * time.Minute, at(9, 0, 0), at(8, 0, 0)},
		{"0 8 * * *", at(8, 4, 0), 10 * time.Minute, at(8, 0, 0).AddDate(0, 0, 1), at(8, 0, 0)},
		{"0 8 * * *", at(8, 11, 0), 10 * time.Minute, at(8, 0, 0).AddDate(0, 0, 1), time.Time{}},
		{"0 8 * * *", at(8, 0, 0), 10 * time.Minute, at(8, 0, 0).AddDate(0, 0, 1), at(8, 0, 0)},
		{"*/5 * * * *", at(8, 12, 0), 10 * time.Minute, at(8, 15, 0), at(8, 10, 0)}, // the latest of several
	}
	for _, tt := range tests {
		sched, err := cron.ParseStandard(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := nextFire(sched, tt.now); !got.Equal(tt.next) {
			t.Errorf("nextFire(%s, %v) = %v, want %v", tt.spec, tt.now, got, tt.next)
		}
		if got := prevFire(sched, tt.now, tt.window); !got.Equal(tt.previous) {
			t.Errorf("prevFire(%s, %v, %v) = %v, want %v", tt.spec, tt.now, tt.window, got, tt.previous)
		}
	}
}

// movingClock runs at wall-clock speed from start.
func movingClock(start time.Time) func() time.Time {
	t0 := time.Now()
	return func() time.Time { return start.Add(time.Since(t0)) }
}

// TestSchedulersSharingFiringsPostOnce: two schedulers (two replicas whose terms overlap, the
// worst case the fence prevents) claim from one record of firings: the firing is posted once.
func TestSchedulersSharingFiringsPostOnce(t *testing.T) {
	h := schedHarness(t)
	h.board()
	boundary := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	clock := movingClock(boundary.Add(-300 * time.Millisecond))
	shared := newMemFirings()
	cfg := SchedulerConfig{Reports: []Report{{Spec: "@every 10s", Channel: reportChannel}}, Now: clock}
	a, b := h.scheduler(cfg), h.scheduler(cfg)
	ctx, cancel := context.WithCancel(h.ctx())
	var wg sync.WaitGroup
	wg.Go(func() { a.Lead(ctx, shared) })
	wg.Go(func() { b.Lead(ctx, shared) })
	if _, err := h.fake.WaitMessage(h.ctx(), reportChannel, contains("NFMM report")); err != nil {
		t.Fatalf("no report at the fire time: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // room for a second post, if there were one
	cancel()
	wg.Wait()
	if n := len(h.reports()); n != 1 {
		t.Errorf("%d reports posted for one firing, want 1", n)
	}
	if last, ok, _ := shared.LastFiring(h.ctx(), reportChannel+" @every 10s"); !ok || !last.Equal(boundary) {
		t.Errorf("claimed firing = %v %v, want %v", last, ok, boundary)
	}
}

// TestSchedulerCatchUp: a firing missed while no replica ran is posted late, marked late, once;
// a schedule that never fired does not post on its first start; one missed by more than the
// catch-up window is not posted.
func TestSchedulerCatchUp(t *testing.T) {
	due := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	const spec = "0 8 * * *"
	tests := []struct {
		name     string
		now      time.Time
		history  bool // the report fired the day before
		wantLate bool
	}{
		{"missed by 4 min", due.Add(4 * time.Minute), true, true},
		{"never fired before", due.Add(4 * time.Minute), false, false},
		{"missed by more than the window", due.Add(11 * time.Minute), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := schedHarness(t)
			h.board()
			f := newMemFirings()
			if tt.history {
				if _, err := f.ClaimFiring(h.ctx(), reportChannel+" "+spec, due.AddDate(0, 0, -1), false); err != nil {
					t.Fatal(err)
				}
			}
			cfg := SchedulerConfig{Reports: []Report{{Spec: spec, Channel: reportChannel}}, Now: movingClock(tt.now), Location: time.UTC, Catchup: 10 * time.Minute}
			for restart := range 2 { // the second term must not post it again
				s := h.scheduler(cfg)
				ctx, cancel := context.WithCancel(h.ctx())
				led := make(chan struct{})
				go func() { defer close(led); s.Lead(ctx, f) }()
				if tt.wantLate && restart == 0 {
					// The term lasts until the late report is posted: a fixed term (plus the
					// scheduler's 3 s grace) is a deadline a loaded machine may miss.
					if _, err := h.fake.WaitMessage(h.ctx(), reportChannel, contains("(late) NFMM report", "Posted late", "due at 08:00")); err != nil {
						t.Fatalf("term %d: no late report: %v", restart, err)
					}
				} else {
					time.Sleep(500 * time.Millisecond) // a term with nothing to post: room for a post, if there were one
				}
				cancel()
				<-led
			}
			want := 0
			if tt.wantLate {
				want = 1
			}
			if n := len(h.reports()); n != want {
				t.Errorf("%d reports posted, want %d", n, want)
			}
		})
	}
}

// fakeClaims answers every envelope claim the same way.
type fakeClaims struct {
	ok  bool
	err error

	mu  sync.Mutex
	ids []string
}

func (f *fakeClaims) ClaimEnvelope(_ context.Context, env, _ string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids = append(f.ids, env)
	return f.ok, f.err
}

// TestClaimsFailClosed: when the store cannot claim an envelope, a read still answers and a
// state-changing command is refused with a clear message before it reaches CMS.
func TestClaimsFailClosed(t *testing.T) {
	claims := &fakeClaims{err: errors.New("the NFMM database is unavailable: dial tcp 127.0.0.1:5432: connection refused")}
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { c.Claims = claims }})
	m := h.board()
	alice := legByName(t, m, "Alice")
	h.slash(testOperator, "calls")
	h.waitMessage(testOperator, "the calls list", contains("Board review"))
	h.slash(testOperator, "mute "+alice.ID)
	h.waitMessage(testOperator, "the refusal", contains("cannot reach its database", "Nothing was changed"))
	if h.leg(alice.ID).RxAudioMute {
		t.Error("Alice was muted although the envelope could not be claimed")
	}
	if strings.Contains(h.logs.String(), "panic") {
		t.Errorf("log mentions a panic:\n%s", h.logs.String())
	}
}

// flakyClaims fails the first claim of each envelope (a timeout while the process was stalled)
// and then answers that another replica has it.
type flakyClaims struct {
	mu    sync.Mutex
	tries map[string]int
}

func (f *flakyClaims) ClaimEnvelope(_ context.Context, env, _ string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries[env]++
	if f.tries[env] == 1 {
		return false, errors.New("the NFMM database is unavailable: context deadline exceeded")
	}
	return false, nil
}

// TestClaimRetriedBeforeFailingClosed: a claim that fails once is asked again; when the
// envelope turns out to be another replica's, nothing runs here and nothing is answered (no
// "cannot reach its database" beside the other replica's answer).
func TestClaimRetriedBeforeFailingClosed(t *testing.T) {
	claims := &flakyClaims{tries: map[string]int{}}
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { c.Claims = claims }})
	m := h.board()
	alice := legByName(t, m, "Alice")
	env := h.slash(testOperator, "mute "+alice.ID)
	h.eventually("the claim is asked twice", func() bool {
		claims.mu.Lock()
		defer claims.mu.Unlock()
		return claims.tries[env.ID] == 2
	})
	time.Sleep(200 * time.Millisecond)
	if h.leg(alice.ID).RxAudioMute {
		t.Error("an envelope claimed by another replica was run here too")
	}
	if n := len(h.fake.EphemeralFor(testOperator, testChannel)); n != 0 {
		t.Errorf("%d answers to an envelope another replica handles, want 0: %+v", n, h.fake.EphemeralFor(testOperator, testChannel))
	}
}

// landedClaims loses the answer of the first claim (a timeout) although the insert landed; the
// retry, through ReclaimEnvelope, finds the claim this replica holds.
type landedClaims struct {
	mu      sync.Mutex
	reclaim int
}

func (f *landedClaims) ClaimEnvelope(context.Context, string, string) (bool, error) {
	return false, errors.New("the NFMM database is unavailable: context deadline exceeded")
}

func (f *landedClaims) ReclaimEnvelope(context.Context, string, string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reclaim++
	return true, nil
}

// TestClaimWhoseAnswerWasLostIsRun: when the first claim timed out but landed, the retry finds
// it is this replica's, and the action runs (once) instead of being dropped by everyone.
func TestClaimWhoseAnswerWasLostIsRun(t *testing.T) {
	claims := &landedClaims{}
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { c.Claims = claims }})
	m := h.board()
	alice := legByName(t, m, "Alice")
	h.slash(testOperator, "mute "+alice.ID)
	h.waitMessage(testOperator, "the answer", contains("Muted audio"))
	if !h.leg(alice.ID).RxAudioMute {
		t.Error("the action was not run")
	}
	claims.mu.Lock()
	defer claims.mu.Unlock()
	if claims.reclaim != 1 {
		t.Errorf("ReclaimEnvelope called %d times, want once", claims.reclaim)
	}
}

// TestClaimedElsewhereIsNotRun: an envelope another replica claimed is acked and not run.
func TestClaimedElsewhereIsNotRun(t *testing.T) {
	claims := &fakeClaims{ok: false}
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { c.Claims = claims }})
	m := h.board()
	alice := legByName(t, m, "Alice")
	env := h.slash(testOperator, "mute "+alice.ID)
	h.eventually("the claim is asked", func() bool {
		claims.mu.Lock()
		defer claims.mu.Unlock()
		return len(claims.ids) == 1 && claims.ids[0] == env.ID
	})
	time.Sleep(200 * time.Millisecond)
	if h.leg(alice.ID).RxAudioMute {
		t.Error("an envelope claimed by another replica was run here too")
	}
	if n := len(h.fake.EphemeralFor(testOperator, testChannel)); n != 0 {
		t.Errorf("%d answers to an envelope another replica handles, want 0", n)
	}
}
