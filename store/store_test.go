package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

// eachEngine runs f as a subtest on every engine, each with a database of its own.
func eachEngine(t *testing.T, f func(t *testing.T, cfg store.Config)) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			f(t, storetest.Config(t, e))
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func withReplica(cfg store.Config, name string) store.Config {
	cfg.Replica = name
	return cfg
}

func TestMigrationsRunOnceUnderALock(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		// Replicas starting together: every Open migrates under the lock and none fails.
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				s, err := store.Open(ctx(t), cfg)
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				v, err := s.Version(ctx(t))
				if err != nil || v < 1 {
					errs <- fmt.Errorf("version %d, %v", v, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		s := storetest.OpenConfig(t, cfg)
		got, err := s.Migrate(ctx(t))
		if err != nil || len(got) != 0 {
			t.Errorf("Migrate on a current schema applied %v, %v; want nothing", got, err)
		}
		if s.Engine() != engineOf(cfg) {
			t.Errorf("Engine() = %s", s.Engine())
		}
	})
}

func engineOf(cfg store.Config) store.Engine {
	if cfg.URL != "" {
		return store.Postgres
	}
	return store.SQLite
}

func TestClaimEnvelopeOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		a := storetest.OpenConfig(t, withReplica(cfg, "a"))
		b := storetest.OpenConfig(t, withReplica(cfg, "b"))
		tests := []struct {
			name       string
			s          *store.Store
			env, event string
			want       bool
		}{
			{"first delivery", a, "env-1", "", true},
			{"redelivered to the same replica", a, "env-1", "", false},
			{"redelivered to another replica", b, "env-1", "", false},
			{"an event", a, "env-2", "Ev1", true},
			{"the same event in another envelope", b, "env-3", "Ev1", false},
			{"the envelope of a refused event was not claimed", b, "env-3", "", true},
			{"no ids: lifecycle, always runs", a, "", "", true},
		}
		for _, tt := range tests {
			got, err := tt.s.ClaimEnvelope(ctx(t), tt.env, tt.event)
			if err != nil || got != tt.want {
				t.Errorf("%s: ClaimEnvelope(%q, %q) = %v, %v; want %v", tt.name, tt.env, tt.event, got, err, tt.want)
			}
		}
	})
}

func TestClaimEnvelopeRacingReplicas(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		stores := make([]*store.Store, 4)
		for i := range stores {
			stores[i] = storetest.OpenConfig(t, withReplica(cfg, fmt.Sprint("r", i)))
		}
		const envelopes = 50
		var won [envelopes]atomic.Int32
		var wg sync.WaitGroup
		for i := range 4 * envelopes {
			wg.Go(func() {
				n := i % envelopes
				ok, err := stores[i%len(stores)].ClaimEnvelope(ctx(t), fmt.Sprint("env-", n), "")
				if err != nil {
					t.Error(err)
				}
				if ok {
					won[n].Add(1)
				}
			})
		}
		wg.Wait()
		for n := range won {
			if got := won[n].Load(); got != 1 {
				t.Errorf("envelope %d claimed %d times, want once", n, got)
			}
		}
	})
}

// TestReclaimEnvelope: a retry after a claim whose answer was lost finds the claim it made
// itself; another replica's claim stays a duplicate.
func TestReclaimEnvelope(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		a := storetest.OpenConfig(t, withReplica(cfg, "a"))
		b := storetest.OpenConfig(t, withReplica(cfg, "b"))
		if ok, err := a.ClaimEnvelope(ctx(t), "env-lost-answer", ""); !ok || err != nil {
			t.Fatalf("claim = %v, %v", ok, err)
		}
		if ok, err := a.ReclaimEnvelope(ctx(t), "env-lost-answer", ""); !ok || err != nil {
			t.Errorf("the claimer's retry = %v, %v; want true (its own claim)", ok, err)
		}
		if ok, err := b.ReclaimEnvelope(ctx(t), "env-lost-answer", ""); ok || err != nil {
			t.Errorf("another replica's retry = %v, %v; want false (a duplicate)", ok, err)
		}
		if ok, err := b.ReclaimEnvelope(ctx(t), "env-new", ""); !ok || err != nil {
			t.Errorf("a retry of an unclaimed envelope = %v, %v; want true", ok, err)
		}
	})
}

func TestClaimsSurviveARestart(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		s, err := store.Open(ctx(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := s.ClaimEnvelope(ctx(t), "env-before", ""); !ok || err != nil {
			t.Fatalf("claim = %v, %v", ok, err)
		}
		s.Close()
		s2 := storetest.OpenConfig(t, cfg)
		if ok, err := s2.ClaimEnvelope(ctx(t), "env-before", ""); ok || err != nil {
			t.Errorf("after a restart the claim = %v, %v; want false (already handled)", ok, err)
		}
	})
}

func TestLeaseEpochsAndFencing(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		a := storetest.OpenConfig(t, withReplica(cfg, "a"))
		b := storetest.OpenConfig(t, withReplica(cfg, "b"))
		// A lease the test holds must not run out under a stalled, loaded machine; the one it
		// lets run out is brief, and the test sleeps past it.
		const hold, brief = time.Minute, 400 * time.Millisecond
		fa, ok, err := a.AcquireLease(ctx(t), "leader", hold)
		if err != nil || !ok || fa.Epoch != 1 {
			t.Fatalf("a: %+v %v %v; want epoch 1", fa, ok, err)
		}
		if _, ok, err := b.AcquireLease(ctx(t), "leader", hold); ok || err != nil {
			t.Fatalf("b took a valid lease: %v %v", ok, err)
		}
		if f, ok, _ := a.AcquireLease(ctx(t), "leader", hold); !ok || f.Epoch != 1 {
			t.Fatalf("a's renewal = %+v %v; want the same epoch", f, ok)
		}
		fire := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		if ok, err := a.ClaimFiring(ctx(t), fa, "C1 @daily", fire, false); !ok || err != nil {
			t.Fatalf("leader's claim = %v %v", ok, err)
		}
		if ok, _ := a.ClaimFiring(ctx(t), fa, "C1 @daily", fire, false); ok {
			t.Error("a firing was claimed twice")
		}
		if ok, _ := b.ClaimFiring(ctx(t), store.Fence{Name: "leader", Epoch: 1}, "C1 @daily", fire.Add(time.Hour), false); ok {
			t.Error("a replica that does not hold the lease claimed a firing")
		}
		if f, ok, _ := a.AcquireLease(ctx(t), "leader", brief); !ok || f.Epoch != 1 {
			t.Fatalf("a's brief renewal = %+v %v; want the same epoch", f, ok)
		}
		time.Sleep(brief + 100*time.Millisecond)
		if ok, _ := a.ClaimFiring(ctx(t), fa, "C1 @daily", fire.Add(time.Hour), false); ok {
			t.Error("a leader whose lease expired claimed a firing")
		}
		fb, ok, err := b.AcquireLease(ctx(t), "leader", hold)
		if err != nil || !ok || fb.Epoch != 2 {
			t.Fatalf("b after expiry: %+v %v %v; want epoch 2", fb, ok, err)
		}
		if _, ok, _ := a.AcquireLease(ctx(t), "leader", hold); ok {
			t.Error("the old leader renewed a lease another replica holds")
		}
		if ok, _ := a.ClaimFiring(ctx(t), fa, "C1 @daily", fire.Add(2*time.Hour), false); ok {
			t.Error("the deposed leader's stale fence claimed a firing")
		}
		if ok, _ := b.ClaimFiring(ctx(t), fb, "C1 @daily", fire.Add(2*time.Hour), true); !ok {
			t.Error("the new leader could not claim")
		}
		if err := b.ReleaseLease(ctx(t), fb); err != nil {
			t.Fatal(err)
		}
		if f, ok, _ := a.AcquireLease(ctx(t), "leader", hold); !ok || f.Epoch != 3 {
			t.Errorf("after release a got %+v %v; want epoch 3 at once", f, ok)
		}
		l, ok, err := a.LeaseOf(ctx(t), "leader")
		if err != nil || !ok || l.Holder != "a" || l.Epoch != 3 {
			t.Errorf("LeaseOf = %+v %v %v", l, ok, err)
		}
		last, ok, err := b.LastFiring(ctx(t), "C1 @daily")
		if err != nil || !ok || !last.FireAt.Equal(fire.Add(2*time.Hour)) || !last.Late || last.Replica != "b" || last.Epoch != 2 {
			t.Errorf("LastFiring = %+v %v %v", last, ok, err)
		}
		if err := b.FinishFiring(ctx(t), "C1 @daily", last.FireAt, "posted"); err != nil {
			t.Fatal(err)
		}
		fs, err := a.Firings(ctx(t), "C1 @daily", fire)
		if err != nil || len(fs) != 2 || fs[1].Outcome != "posted" || fs[0].Outcome != "" {
			t.Errorf("Firings = %+v %v", fs, err)
		}
	})
}

// TestElectorOneLeaderAtATime runs three electors and checks that at no moment two leads
// overlap, that the lease moves on when the leader stops, and that a stopped leader releases
// it: the term is far longer than the test waits for the next leader, so only a release can
// move it. (A short term would make the test's verdict depend on the machine never stalling
// for longer than the renew interval.)
func TestElectorOneLeaderAtATime(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		var active, maxActive, terms atomic.Int32
		var mu sync.Mutex
		epochs := map[int64]string{}
		type rep struct {
			cancel context.CancelFunc
			done   chan struct{}
			el     *store.Elector
		}
		const term, wait = 2 * time.Minute, 30 * time.Second
		reps := make([]*rep, 3)
		for i := range reps {
			s := storetest.OpenConfig(t, withReplica(cfg, fmt.Sprint("r", i)))
			el := s.NewElector(store.ElectorConfig{Renew: 50 * time.Millisecond, Valid: term})
			c, cancel := context.WithCancel(ctx(t))
			r := &rep{cancel: cancel, done: make(chan struct{}), el: el}
			reps[i] = r
			go func() {
				defer close(r.done)
				el.Run(c, func(c context.Context, f store.Fence) {
					n := active.Add(1)
					for m := maxActive.Load(); n > m && !maxActive.CompareAndSwap(m, n); m = maxActive.Load() {
					}
					terms.Add(1)
					mu.Lock()
					if prev, dup := epochs[f.Epoch]; dup {
						t.Errorf("epoch %d given to %s and %s", f.Epoch, prev, s.Replica())
					}
					epochs[f.Epoch] = s.Replica()
					mu.Unlock()
					<-c.Done()
					active.Add(-1)
				})
			}()
		}
		leader := func() int {
			deadline := time.Now().Add(wait)
			for time.Now().Before(deadline) {
				for i, r := range reps {
					if r != nil {
						if _, ok := r.el.Leading(); ok {
							return i
						}
					}
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Fatalf("no leader within %v", wait)
			return -1
		}
		for range 2 {
			i := leader()
			reps[i].cancel()
			<-reps[i].done
			reps[i] = nil
			leader() // within wait, long before the term could run out: the lease was released
		}
		for _, r := range reps {
			if r != nil {
				r.cancel()
				<-r.done
			}
		}
		if maxActive.Load() != 1 || terms.Load() < 3 {
			t.Errorf("max concurrent leaders %d over %d terms; want 1 over at least 3", maxActive.Load(), terms.Load())
		}
	})
}

// TestElectorStepsDownWhenTheStoreFails: a leader whose renewals fail stops leading before
// its lease could expire, so no other replica ever leads alongside it.
func TestElectorStepsDownWhenTheStoreFails(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		s, err := store.Open(ctx(t), withReplica(cfg, "a"))
		if err != nil {
			t.Fatal(err)
		}
		// A term long next to the renew interval: the leader steps down about a term after its
		// last renewal, and the margin to the check below is most of a term, not a stall.
		const renew, valid = 50 * time.Millisecond, 2 * time.Second
		el := s.NewElector(store.ElectorConfig{Renew: renew, Valid: valid})
		ended := make(chan time.Time, 1)
		started := make(chan struct{})
		go el.Run(ctx(t), func(c context.Context, f store.Fence) {
			close(started)
			<-c.Done()
			ended <- time.Now()
		})
		<-started
		l, _, err := s.LeaseOf(ctx(t), "leader")
		if err != nil {
			t.Fatal(err)
		}
		s.Close() // every renewal fails from now on
		select {
		case at := <-ended:
			// The lease row says when others may take over; the leader must be gone by then.
			if !at.Before(l.ExpiresAt.Add(valid)) {
				t.Errorf("stepped down at %v, after the lease could have moved (%v)", at, l.ExpiresAt.Add(valid))
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the leader kept leading with a dead store")
		}
		if _, ok := el.Leading(); ok {
			t.Error("Leading() still true")
		}
	})
}

func TestUnavailableIsTyped(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		s, err := store.Open(ctx(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if h := s.Health(ctx(t)); !h.OK || h.Engine != engineOf(cfg) {
			t.Errorf("Health = %+v, want ok", h)
		}
		s.Close()
		_, err = s.ClaimEnvelope(ctx(t), "env-x", "")
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("claim on a closed store: %v, want ErrUnavailable", err)
		}
		if h := s.Health(ctx(t)); h.OK || h.Error == "" {
			t.Errorf("Health = %+v, want not ok with an error", h)
		}
	})
}

func TestAuditHistory(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		s := storetest.OpenConfig(t, cfg)
		base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		events := []store.AuditEvent{
			{At: base, Actor: "U1", Op: "mute", Meeting: "Incident bridge – payments", Participant: "6042ecc8", Outcome: "ok", Detail: json.RawMessage(`{"op":"mute"}`)},
			{At: base.Add(time.Minute), Actor: "U2", Op: "disconnect", Meeting: "Board review", Outcome: "ok"},
			{At: base.Add(2 * time.Minute), Actor: "U1", Op: "layout", Meeting: "100%_done", Outcome: "denied"},
			{At: base.Add(-24 * time.Hour), Actor: "U1", Op: "mute", Meeting: "Board review", Outcome: "error"},
		}
		for _, e := range events {
			if err := s.AppendAudit(ctx(t), e); err != nil {
				t.Fatal(err)
			}
		}
		day := base.Truncate(24 * time.Hour)
		tests := []struct {
			name string
			q    store.AuditQuery
			want []string // ops, newest first
		}{
			{"all", store.AuditQuery{}, []string{"layout", "disconnect", "mute", "mute"}},
			{"by meeting, any case", store.AuditQuery{Meeting: "BOARD"}, []string{"disconnect", "mute"}},
			{"by actor", store.AuditQuery{Actor: "U1"}, []string{"layout", "mute", "mute"}},
			{"today", store.AuditQuery{Since: day, Until: day.Add(24 * time.Hour)}, []string{"layout", "disconnect", "mute"}},
			{"wildcards are literal", store.AuditQuery{Meeting: "0%_d"}, []string{"layout"}},
			{"an _ matches only an _", store.AuditQuery{Meeting: "_"}, []string{"layout"}},
			{"limit", store.AuditQuery{Limit: 1}, []string{"layout"}},
			{"no match", store.AuditQuery{Actor: "U9"}, nil},
		}
		for _, tt := range tests {
			got, err := s.QueryAudit(ctx(t), tt.q)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			var ops []string
			for _, e := range got {
				ops = append(ops, e.Op)
			}
			if fmt.Sprint(ops) != fmt.Sprint(tt.want) {
				t.Errorf("%s: ops %v, want %v", tt.name, ops, tt.want)
			}
		}
		got, _ := s.QueryAudit(ctx(t), store.AuditQuery{Actor: "U1", Limit: 3})
		if len(got) != 3 || string(got[2].Detail) != `{}` || string(got[1].Detail) != `{"op":"mute"}` || got[1].Participant != "6042ecc8" || !got[1].At.Equal(base) || got[1].ID == "" {
			t.Errorf("stored record = %+v", got)
		}
	})
}

func TestLiveMessages(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		cfg.Now = func() time.Time { return now }
		s := storetest.OpenConfig(t, cfg)
		msgs := []store.LiveMessage{
			{Channel: "C1", TS: "1.1", Kind: "roster", Cluster: "main", Subject: "corr-1", State: json.RawMessage(`{"page":2}`), ExpiresAt: now.Add(time.Hour)},
			{Channel: "C1", TS: "1.2", Kind: "calls", ExpiresAt: now.Add(time.Hour)},
			{Channel: "C2", TS: "2.1", Kind: "roster", ExpiresAt: now.Add(-time.Minute)}, // expired
		}
		for _, m := range msgs {
			if err := s.PutLiveMessage(ctx(t), m); err != nil {
				t.Fatal(err)
			}
		}
		// Replacing keeps one row per message.
		msgs[0].State = json.RawMessage(`{"page":3}`)
		if err := s.PutLiveMessage(ctx(t), msgs[0]); err != nil {
			t.Fatal(err)
		}
		got, err := s.LiveMessages(ctx(t), "roster")
		if err != nil || len(got) != 1 || got[0].TS != "1.1" || string(got[0].State) != `{"page":3}` || got[0].Subject != "corr-1" {
			t.Fatalf("roster messages = %+v, %v", got, err)
		}
		all, _ := s.LiveMessages(ctx(t), "")
		if len(all) != 2 {
			t.Errorf("all live = %d, want 2 (one expired)", len(all))
		}
		if err := s.DeleteLiveMessage(ctx(t), "C1", "1.2"); err != nil {
			t.Fatal(err)
		}
		if all, _ := s.LiveMessages(ctx(t), ""); len(all) != 1 {
			t.Errorf("after delete: %d, want 1", len(all))
		}
	})
}

func TestPresenterSnapshots(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		s := storetest.OpenConfig(t, cfg)
		first := store.PresenterSnapshot{Cluster: "main", Meeting: "corr-1", Presenter: "leg-a", Snapshot: json.RawMessage(`{"legs":{"leg-a":"allEqual"}}`), CreatedBy: "U1"}
		got, err := s.SavePresenterSnapshot(ctx(t), first)
		if err != nil || got.Presenter != "leg-a" {
			t.Fatalf("save = %+v, %v", got, err)
		}
		// Presenter on again with someone else: the pre-presenter state stays, the presenter changes.
		second := first
		second.Presenter, second.Snapshot = "leg-b", json.RawMessage(`{"legs":{"leg-a":"speakerOnly"}}`)
		got, err = s.SavePresenterSnapshot(ctx(t), second)
		if err != nil || got.Presenter != "leg-b" || string(got.Snapshot) != string(first.Snapshot) {
			t.Fatalf("second save = %+v, %v; want the first snapshot with presenter leg-b", got, err)
		}
		taken, ok, err := s.TakePresenterSnapshot(ctx(t), "main", "corr-1")
		if err != nil || !ok || string(taken.Snapshot) != string(first.Snapshot) {
			t.Fatalf("take = %+v %v %v", taken, ok, err)
		}
		if _, ok, _ := s.TakePresenterSnapshot(ctx(t), "main", "corr-1"); ok {
			t.Error("a snapshot was taken twice")
		}
		if _, ok, _ := s.PresenterSnapshot(ctx(t), "main", "corr-1"); ok {
			t.Error("snapshot still there after presenter off")
		}
	})
}

func TestAlertsAndSilences(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		cfg.Now = func() time.Time { return now }
		s := storetest.OpenConfig(t, cfg)
		a := store.Alert{Cluster: "main", Fingerprint: "fp1", Name: "NodeDown", Labels: json.RawMessage(`{"node":"cb2"}`), State: "firing", StartedAt: now, Channel: "C1", MessageTS: "1.1"}
		if err := s.PutAlert(ctx(t), a); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.AlertOf(ctx(t), "main", "fp1")
		if err != nil || !ok || got.State != "firing" || got.MessageTS != "1.1" || !got.StartedAt.Equal(now) || string(got.Labels) != `{"node":"cb2"}` {
			t.Fatalf("AlertOf = %+v %v %v", got, ok, err)
		}
		for i, want := range []bool{true, false} {
			if ok, err := s.ClaimAlertTransition(ctx(t), "main", "fp1", "firing", now); ok != want || err != nil {
				t.Errorf("transition claim %d = %v %v, want %v", i, ok, err, want)
			}
		}
		a.State, a.ResolvedAt = "resolved", now
		if err := s.PutAlert(ctx(t), a); err != nil {
			t.Fatal(err)
		}
		if open, _ := s.Alerts(ctx(t)); len(open) != 0 {
			t.Errorf("open alerts = %+v, want none", open)
		}
		id, err := s.AddSilence(ctx(t), store.Silence{Cluster: "main", Matchers: map[string]string{"node": "cb2"}, CreatedBy: "U1", StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		act, err := s.ActiveSilences(ctx(t), "main")
		if err != nil || len(act) != 1 || act[0].ID != id || act[0].Matchers["node"] != "cb2" {
			t.Fatalf("ActiveSilences = %+v %v", act, err)
		}
		if ok, err := s.ExpireSilence(ctx(t), id); !ok || err != nil {
			t.Fatalf("expire = %v %v", ok, err)
		}
		if act, _ := s.ActiveSilences(ctx(t), ""); len(act) != 0 {
			t.Errorf("silence still active: %+v", act)
		}
	})
}

func TestRetention(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		clock := now.Add(-48 * time.Hour)
		cfg.Now = func() time.Time { return clock }
		s := storetest.OpenConfig(t, cfg)
		if _, err := s.ClaimEnvelope(ctx(t), "old", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendAudit(ctx(t), store.AuditEvent{Actor: "U1", Op: "mute", Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
		clock = now
		if _, err := s.ClaimEnvelope(ctx(t), "new", ""); err != nil {
			t.Fatal(err)
		}
		n, err := s.Prune(ctx(t), store.Retention{Audit: -1})
		if err != nil || n["envelope_claims"] != 1 || n["audit_events"] != 0 {
			t.Fatalf("Prune = %v %v; want one claim pruned (24 h) and the audit kept (forever)", n, err)
		}
		if ok, _ := s.ClaimEnvelope(ctx(t), "new", ""); ok {
			t.Error("a fresh claim was pruned")
		}
		if n, _ := s.Prune(ctx(t), store.Retention{Audit: time.Hour}); n["audit_events"] != 1 {
			t.Errorf("audit not pruned with a 1 h retention: %v", n)
		}
	})
}
