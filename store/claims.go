package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ClaimEnvelope claims a Slack delivery: the envelope id and, when the payload has one, the
// Events API event id (Slack may deliver one event in two envelopes). It returns true when
// this call made the claim and the caller must do the work, false when some replica (maybe
// this one, before a restart) already claimed either key. A non-nil error wraps
// ErrUnavailable: nobody knows whether the work was done, so state-changing work must not run.
func (s *Store) ClaimEnvelope(ctx context.Context, envelopeID, eventID string) (bool, error) {
	if envelopeID == "" && eventID == "" {
		return true, nil // lifecycle messages carry no id and no work
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	now := ms(s.now())
	if eventID == "" {
		ok, err := s.insertClaim(ctx, s.db, "envelope", envelopeID, now)
		return ok, s.observe(err)
	}
	// Both keys or neither: a transaction, so a crash between the two inserts claims nothing.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, s.observe(err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, k := range [][2]string{{"envelope", envelopeID}, {"event", eventID}} {
		if k[1] == "" {
			continue
		}
		ok, err := s.insertClaim(ctx, tx, k[0], k[1], now)
		if err != nil || !ok {
			return false, s.observe(err)
		}
	}
	return true, s.observe(tx.Commit())
}

// ReclaimEnvelope is ClaimEnvelope for a retry after an attempt that failed without an answer:
// a timed-out insert may still have landed, so a claim this replica already holds counts as
// its own (true), where ClaimEnvelope would report a duplicate and the envelope would be run by
// nobody. Only a retry within the job that made the first attempt may call it: anything else
// would run a same-process redelivery twice.
func (s *Store) ReclaimEnvelope(ctx context.Context, envelopeID, eventID string) (bool, error) {
	ok, err := s.ClaimEnvelope(ctx, envelopeID, eventID)
	if err != nil || ok {
		return ok, err
	}
	kind, id := "envelope", envelopeID
	if id == "" {
		kind, id = "event", eventID
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	var holder string
	err = s.db.QueryRowContext(ctx, `SELECT replica FROM envelope_claims WHERE kind = $1 AND id = $2`, kind, id).Scan(&holder)
	if err != nil {
		return false, s.observe(fmt.Errorf("claim %s %s: %w", kind, id, err))
	}
	return holder == s.replica, s.observe(nil)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) insertClaim(ctx context.Context, db execer, kind, id string, now int64) (bool, error) {
	res, err := db.ExecContext(ctx,
		`INSERT INTO envelope_claims (kind, id, replica, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		kind, id, s.replica, now)
	if err != nil {
		return false, fmt.Errorf("claim %s %s: %w", kind, id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Firing is one claimed report firing.
type Firing struct {
	Report     string
	FireAt     time.Time // the scheduled time: the key
	Replica    string
	Epoch      int64
	Late       bool
	ClaimedAt  time.Time
	Outcome    string // "" while the firing runs
	FinishedAt time.Time
}

// ClaimFiring claims the firing of report at its scheduled time fireAt for the leader term
// fence. It returns true when the caller must post it, false when the firing was already
// claimed or fence is no longer the current lease (a deposed leader claims nothing).
func (s *Store) ClaimFiring(ctx context.Context, fence Fence, report string, fireAt time.Time, late bool) (bool, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	// The EXISTS is the fence: the insert lands only while this replica still holds the lease
	// with this epoch, judged by the database's clock.
	res, err := s.db.ExecContext(ctx, `INSERT INTO report_firings (report, fire_at, replica, epoch, late, claimed_at)
		SELECT $1, $2, $3, $4, $5, $6
		WHERE EXISTS (SELECT 1 FROM leases WHERE name = $7 AND holder = $3 AND epoch = $4 AND expires_at > `+s.dbNow+`)
		ON CONFLICT DO NOTHING`,
		report, ms(fireAt), s.replica, fence.Epoch, boolInt(late), ms(s.now()), fence.Name)
	if err != nil {
		return false, s.observe(fmt.Errorf("claim firing %s at %s: %w", report, fireAt.UTC().Format(time.RFC3339), err))
	}
	s.observe(nil)
	n, err := res.RowsAffected()
	return n == 1, err
}

// FinishFiring records how a claimed firing ended (posted, quiet, error, …).
func (s *Store) FinishFiring(ctx context.Context, report string, fireAt time.Time, outcome string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `UPDATE report_firings SET outcome = $1, finished_at = $2 WHERE report = $3 AND fire_at = $4`,
		outcome, ms(s.now()), report, ms(fireAt))
	return s.observe(err)
}

// LastFiring is the latest claimed firing of report; ok is false when it never fired.
func (s *Store) LastFiring(ctx context.Context, report string) (f Firing, ok bool, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var late int
	var fireAt, claimedAt, finishedAt int64
	err = s.db.QueryRowContext(ctx, `SELECT report, fire_at, replica, epoch, late, claimed_at, outcome, finished_at
		FROM report_firings WHERE report = $1 ORDER BY fire_at DESC LIMIT 1`, report).
		Scan(&f.Report, &fireAt, &f.Replica, &f.Epoch, &late, &claimedAt, &f.Outcome, &finishedAt)
	if err == sql.ErrNoRows {
		return Firing{}, false, s.observe(nil)
	}
	if err != nil {
		return Firing{}, false, s.observe(err)
	}
	f.FireAt, f.ClaimedAt, f.FinishedAt, f.Late = fromMS(fireAt), fromMS(claimedAt), fromMS(finishedAt), late == 1
	return f, true, s.observe(nil)
}

// Firings lists report's firings from since on, oldest first (tests and the audit view).
func (s *Store) Firings(ctx context.Context, report string, since time.Time) ([]Firing, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT report, fire_at, replica, epoch, late, claimed_at, outcome, finished_at
		FROM report_firings WHERE report = $1 AND fire_at >= $2 ORDER BY fire_at`, report, ms(since))
	if err != nil {
		return nil, s.observe(err)
	}
	defer rows.Close()
	var out []Firing
	for rows.Next() {
		var f Firing
		var late int
		var fireAt, claimedAt, finishedAt int64
		if err := rows.Scan(&f.Report, &fireAt, &f.Replica, &f.Epoch, &late, &claimedAt, &f.Outcome, &finishedAt); err != nil {
			return nil, s.observe(err)
		}
		f.FireAt, f.ClaimedAt, f.FinishedAt, f.Late = fromMS(fireAt), fromMS(claimedAt), fromMS(finishedAt), late == 1
		out = append(out, f)
	}
	return out, s.observe(rows.Err())
}
