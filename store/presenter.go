package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// PresenterSnapshot is what presenter mode on changed in one meeting, so presenter off can
// restore it even after a restart. Snapshot is the caller's JSON (each leg's layout and mute
// flags, each call's join-mute override); the store does not interpret it.
type PresenterSnapshot struct {
	Cluster   string
	Meeting   string // callCorrelator
	Presenter string // the presenter's call leg id
	Snapshot  json.RawMessage
	CreatedBy string
	CreatedAt time.Time
}

// SavePresenterSnapshot stores the snapshot taken before presenter mode went on. A second
// presenter-on in the same meeting keeps the first snapshot (the state before presenter
// mode, not the presenter-mode state) and only records the new presenter; it returns the
// snapshot that is now stored.
func (s *Store) SavePresenterSnapshot(ctx context.Context, p PresenterSnapshot) (PresenterSnapshot, error) {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now()
	}
	snap := string(p.Snapshot)
	if snap == "" {
		snap = "{}"
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO presenter_snapshots (cluster, meeting, presenter, snapshot, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (cluster, meeting) DO UPDATE SET presenter = excluded.presenter`,
		p.Cluster, p.Meeting, p.Presenter, snap, p.CreatedBy, ms(p.CreatedAt))
	if err != nil {
		return PresenterSnapshot{}, s.observe(fmt.Errorf("save presenter snapshot: %w", err))
	}
	got, _, err := s.PresenterSnapshot(ctx, p.Cluster, p.Meeting)
	return got, err
}

// PresenterSnapshot reads the meeting's snapshot; ok is false when presenter mode is not on.
func (s *Store) PresenterSnapshot(ctx context.Context, cluster, meeting string) (p PresenterSnapshot, ok bool, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var snap string
	var at int64
	err = s.db.QueryRowContext(ctx, `SELECT cluster, meeting, presenter, snapshot, created_by, created_at
		FROM presenter_snapshots WHERE cluster = $1 AND meeting = $2`, cluster, meeting).
		Scan(&p.Cluster, &p.Meeting, &p.Presenter, &snap, &p.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return PresenterSnapshot{}, false, s.observe(nil)
	}
	if err != nil {
		return PresenterSnapshot{}, false, s.observe(err)
	}
	p.Snapshot, p.CreatedAt = json.RawMessage(snap), fromMS(at)
	return p, true, s.observe(nil)
}

// TakePresenterSnapshot removes and returns the meeting's snapshot (presenter off). ok is
// false when there was none, e.g. another replica's presenter off took it first.
func (s *Store) TakePresenterSnapshot(ctx context.Context, cluster, meeting string) (p PresenterSnapshot, ok bool, err error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	var snap string
	var at int64
	err = s.db.QueryRowContext(ctx, `DELETE FROM presenter_snapshots WHERE cluster = $1 AND meeting = $2
		RETURNING cluster, meeting, presenter, snapshot, created_by, created_at`, cluster, meeting).
		Scan(&p.Cluster, &p.Meeting, &p.Presenter, &snap, &p.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return PresenterSnapshot{}, false, s.observe(nil)
	}
	if err != nil {
		return PresenterSnapshot{}, false, s.observe(err)
	}
	p.Snapshot, p.CreatedAt = json.RawMessage(snap), fromMS(at)
	return p, true, s.observe(nil)
}
