package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Fence is one term of a lease: its name and epoch. Work claimed with a Fence lands only while
// that term is current, so a deposed leader that has not noticed yet claims nothing.
type Fence struct {
	Name  string
	Epoch int64
}

// AcquireLease takes the lease name for valid, or renews it when this replica holds it. ok is
// false while another replica's lease is still valid. Expiry is judged by the database's
// clock, so replicas whose clocks disagree still agree on who leads.
func (s *Store) AcquireLease(ctx context.Context, name string, valid time.Duration) (f Fence, ok bool, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	// A new holder, or the same holder after its lease ran out, starts a new epoch.
	q := `INSERT INTO leases (name, holder, epoch, expires_at, renewed_at)
		VALUES ($1, $2, 1, ` + s.dbNow + ` + $3, ` + s.dbNow + `)
		ON CONFLICT (name) DO UPDATE SET
			epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.renewed_at
				THEN leases.epoch ELSE leases.epoch + 1 END,
			holder = excluded.holder,
			expires_at = excluded.expires_at,
			renewed_at = excluded.renewed_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.renewed_at
		RETURNING epoch`
	var epoch int64
	err = s.db.QueryRowContext(ctx, q, name, s.replica, valid.Milliseconds()).Scan(&epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return Fence{}, false, s.observe(nil)
	}
	if err != nil {
		return Fence{}, false, s.observe(err)
	}
	return Fence{Name: name, Epoch: epoch}, true, s.observe(nil)
}

// ReleaseLease gives the lease up at once (clean shutdown), so another replica takes over
// at its next attempt instead of waiting for expiry. It does nothing if f is not current.
func (s *Store) ReleaseLease(ctx context.Context, f Fence) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2 AND epoch = $3`,
		f.Name, s.replica, f.Epoch)
	return s.observe(err)
}

// Lease is a lease row as stored.
type Lease struct {
	Name      string
	Holder    string
	Epoch     int64
	ExpiresAt time.Time
}

// LeaseOf reads the lease name; ok is false when nobody ever held it.
func (s *Store) LeaseOf(ctx context.Context, name string) (l Lease, ok bool, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var exp int64
	err = s.db.QueryRowContext(ctx, `SELECT name, holder, epoch, expires_at FROM leases WHERE name = $1`, name).
		Scan(&l.Name, &l.Holder, &l.Epoch, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, false, s.observe(nil)
	}
	if err != nil {
		return Lease{}, false, s.observe(err)
	}
	l.ExpiresAt = fromMS(exp)
	return l, true, s.observe(nil)
}

// Lease outcomes, as Elector reports them to ElectorConfig.Observe (and the metrics label).
const (
	LeaseAcquired = "acquired" // this replica became leader
	LeaseRenewed  = "renewed"  // the leader renewed its term
	LeaseStandby  = "standby"  // another replica holds a valid lease
	LeaseLost     = "lost"     // the leader found another holder and stepped down
	LeaseExpired  = "expired"  // the leader could not renew in time and stepped down
	LeaseError    = "error"    // the database did not answer
	LeaseReleased = "released" // the leader gave the lease up on shutdown
)

// ElectorConfig configures an Elector.
type ElectorConfig struct {
	Name   string        // the lease row; default "leader"
	Renew  time.Duration // how often the leader renews and a standby tries; default 5 s
	Valid  time.Duration // how long a renewal is valid; default 15 s (must exceed 2×Renew)
	Logger *slog.Logger
	// Observe, when set, receives every lease outcome (metrics).
	Observe func(outcome string)
}

// Elector runs singleton loops on one replica at a time.
//
// The leader's own deadline is measured from the moment it sent its last successful renewal
// and ends Renew before the lease's expiry: by the time any other replica could acquire the
// lease, the old leader has cancelled its term and waited for its loops to return.
type Elector struct {
	s   *Store
	cfg ElectorConfig
	log *slog.Logger

	mu      sync.Mutex
	fence   Fence
	leading bool
}

// NewElector returns an Elector for the lease cfg.Name.
func (s *Store) NewElector(cfg ElectorConfig) *Elector {
	if cfg.Name == "" {
		cfg.Name = "leader"
	}
	if cfg.Renew <= 0 {
		cfg.Renew = 5 * time.Second
	}
	if cfg.Valid <= 2*cfg.Renew {
		cfg.Valid = 3 * cfg.Renew
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string) {}
	}
	log := cfg.Logger
	if log == nil {
		log = s.log
	}
	return &Elector{s: s, cfg: cfg, log: log.With("lease", cfg.Name)}
}

// Leading reports whether this replica leads now, and its term.
func (e *Elector) Leading() (Fence, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fence, e.leading
}

func (e *Elector) set(f Fence, leading bool) {
	e.mu.Lock()
	e.fence, e.leading = f, leading
	e.mu.Unlock()
}

// Run campaigns until ctx is done. Each time this replica wins a term it calls lead with a
// context that ends with the term; lead must return soon after that context ends. Run
// returns after the last term's lead has returned (and the lease was released).
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context, f Fence)) {
	var (
		termCancel context.CancelFunc
		termDone   chan struct{}
		fence      Fence
		deadline   time.Time
	)
	stepDown := func(outcome string) {
		if termCancel == nil {
			return
		}
		// Not leading from the moment the term is given up, not once its loops have wound
		// down: whoever asks Leading() meanwhile must not act as the leader.
		e.set(Fence{}, false)
		termCancel()
		<-termDone
		termCancel, termDone = nil, nil
		e.cfg.Observe(outcome)
		e.log.Warn("leadership ended", "epoch", fence.Epoch, "why", outcome)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			if termCancel != nil {
				stepDown(LeaseReleased)
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.s.opTimeout)
				if err := e.s.ReleaseLease(rctx, fence); err != nil {
					e.log.Warn("could not release the lease; another replica takes over when it expires", "err", err)
				}
				cancel()
			}
			return
		case <-timer.C:
		}
		if termCancel != nil && !time.Now().Before(deadline) {
			stepDown(LeaseExpired)
		}
		sent := time.Now()
		actx, cancel := ctx, context.CancelFunc(func() {})
		if termCancel != nil {
			actx, cancel = context.WithDeadline(ctx, deadline) // a hung renewal must not outlive the term
		}
		f, ok, err := e.s.AcquireLease(actx, e.cfg.Name, e.cfg.Valid)
		cancel()
		switch {
		case ctx.Err() != nil:
			// Shutting down: the next loop releases.
		case err != nil:
			e.cfg.Observe(LeaseError)
			e.log.Warn("lease renewal failed", "err", err, "leading", termCancel != nil)
		case !ok:
			if termCancel != nil {
				stepDown(LeaseLost)
			} else {
				e.cfg.Observe(LeaseStandby)
			}
		case termCancel != nil && f.Epoch == fence.Epoch:
			deadline = sent.Add(e.cfg.Valid - e.cfg.Renew)
			e.cfg.Observe(LeaseRenewed)
		default:
			stepDown(LeaseLost) // a new epoch for us means our old term lapsed meanwhile
			fence, deadline = f, sent.Add(e.cfg.Valid-e.cfg.Renew)
			var termCtx context.Context
			termCtx, termCancel = context.WithCancel(ctx)
			termDone = make(chan struct{})
			e.set(f, true)
			e.cfg.Observe(LeaseAcquired)
			e.log.Info("leadership acquired", "epoch", f.Epoch, "replica", e.s.replica)
			go func(done chan struct{}) {
				defer close(done)
				lead(termCtx, f)
			}(termDone)
		}
		wait := e.cfg.Renew
		if termCancel != nil {
			wait = min(wait, time.Until(deadline))
		}
		timer.Reset(max(wait, 0))
	}
}
