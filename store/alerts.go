package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Alert is one alert's state (Alertmanager's model: a fingerprint per alert, a resolved state).
type Alert struct {
	Cluster        string
	Fingerprint    string
	Name           string
	Labels         json.RawMessage // JSON object
	State          string          // pending, firing, resolved
	StartedAt      time.Time
	UpdatedAt      time.Time
	ResolvedAt     time.Time
	LastNotifiedAt time.Time
	Channel        string // the first message: later changes update it and reply in its thread
	MessageTS      string
	AckedBy        string
	AckedAt        time.Time
}

// PutAlert inserts or replaces the alert's state.
func (s *Store) PutAlert(ctx context.Context, a Alert) error {
	labels := string(a.Labels)
	if labels == "" {
		labels = "{}"
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = s.now()
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO alerts (cluster, fingerprint, name, labels, state, started_at, updated_at,
			resolved_at, last_notified_at, channel, message_ts, acked_by, acked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (cluster, fingerprint) DO UPDATE SET name = excluded.name, labels = excluded.labels,
			state = excluded.state, started_at = excluded.started_at, updated_at = excluded.updated_at,
			resolved_at = excluded.resolved_at, last_notified_at = excluded.last_notified_at,
			channel = excluded.channel, message_ts = excluded.message_ts, acked_by = excluded.acked_by,
			acked_at = excluded.acked_at`,
		a.Cluster, a.Fingerprint, a.Name, labels, a.State, ms(a.StartedAt), ms(a.UpdatedAt), ms(a.ResolvedAt),
		ms(a.LastNotifiedAt), a.Channel, a.MessageTS, a.AckedBy, ms(a.AckedAt))
	if err != nil {
		return s.observe(fmt.Errorf("put alert: %w", err))
	}
	return s.observe(nil)
}

const alertColumns = `cluster, fingerprint, name, labels, state, started_at, updated_at, resolved_at,
	last_notified_at, channel, message_ts, acked_by, acked_at`

type scanner interface{ Scan(dest ...any) error }

func scanAlert(r scanner) (Alert, error) {
	var a Alert
	var labels string
	var started, updated, resolved, notified, acked int64
	err := r.Scan(&a.Cluster, &a.Fingerprint, &a.Name, &labels, &a.State, &started, &updated, &resolved,
		&notified, &a.Channel, &a.MessageTS, &a.AckedBy, &acked)
	a.Labels = json.RawMessage(labels)
	a.StartedAt, a.UpdatedAt, a.ResolvedAt = fromMS(started), fromMS(updated), fromMS(resolved)
	a.LastNotifiedAt, a.AckedAt = fromMS(notified), fromMS(acked)
	return a, err
}

// AlertOf reads one alert; ok is false when it is unknown.
func (s *Store) AlertOf(ctx context.Context, cluster, fingerprint string) (Alert, bool, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	a, err := scanAlert(s.db.QueryRowContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE cluster = $1 AND fingerprint = $2`, cluster, fingerprint))
	if errors.Is(err, sql.ErrNoRows) {
		return Alert{}, false, s.observe(nil)
	}
	if err != nil {
		return Alert{}, false, s.observe(err)
	}
	return a, true, s.observe(nil)
}

// Alerts lists the alerts not resolved (state pending or firing), oldest first.
func (s *Store) Alerts(ctx context.Context) ([]Alert, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE state <> 'resolved' ORDER BY started_at, cluster, fingerprint`)
	if err != nil {
		return nil, s.observe(err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, s.observe(err)
		}
		out = append(out, a)
	}
	return out, s.observe(rows.Err())
}

// ClaimAlertTransition claims the notification of an alert's change to state at at: true
// means this replica sends it, false that one was already claimed.
func (s *Store) ClaimAlertTransition(ctx context.Context, cluster, fingerprint, state string, at time.Time) (bool, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `INSERT INTO alert_transitions (cluster, fingerprint, state, at, replica)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, cluster, fingerprint, state, ms(at), s.replica)
	if err != nil {
		return false, s.observe(fmt.Errorf("claim alert transition: %w", err))
	}
	s.observe(nil)
	n, err := res.RowsAffected()
	return n == 1, err
}

// Silence mutes the alerts whose labels match every matcher, from StartsAt until EndsAt.
type Silence struct {
	ID        string
	Cluster   string
	Matchers  map[string]string
	CreatedBy string
	Comment   string
	StartsAt  time.Time
	EndsAt    time.Time
}

// AddSilence stores a silence; an empty ID gets a fresh one, which is returned.
func (s *Store) AddSilence(ctx context.Context, sl Silence) (string, error) {
	if sl.ID == "" {
		sl.ID = newID(s.now())
	}
	m, err := json.Marshal(sl.Matchers)
	if err != nil {
		return "", err
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err = s.db.ExecContext(ctx, `INSERT INTO silences (id, cluster, matchers, created_by, comment, starts_at, ends_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, sl.ID, sl.Cluster, string(m), sl.CreatedBy, sl.Comment, ms(sl.StartsAt), ms(sl.EndsAt))
	if err != nil {
		return "", s.observe(fmt.Errorf("add silence: %w", err))
	}
	return sl.ID, s.observe(nil)
}

// ExpireSilence ends a silence now; ok is false when it does not exist.
func (s *Store) ExpireSilence(ctx context.Context, id string) (bool, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `UPDATE silences SET ends_at = $1 WHERE id = $2 AND ends_at > $1`, ms(s.now()), id)
	if err != nil {
		return false, s.observe(err)
	}
	s.observe(nil)
	n, err := res.RowsAffected()
	return n == 1, err
}

// ActiveSilences lists the silences in force at now for cluster ("" = every cluster).
func (s *Store) ActiveSilences(ctx context.Context, cluster string) ([]Silence, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	now := ms(s.now())
	rows, err := s.db.QueryContext(ctx, `SELECT id, cluster, matchers, created_by, comment, starts_at, ends_at FROM silences
		WHERE starts_at <= $1 AND ends_at > $1 AND ($2 = '' OR cluster = $2) ORDER BY starts_at, id`, now, cluster)
	if err != nil {
		return nil, s.observe(err)
	}
	defer rows.Close()
	var out []Silence
	for rows.Next() {
		var sl Silence
		var m string
		var st, en int64
		if err := rows.Scan(&sl.ID, &sl.Cluster, &m, &sl.CreatedBy, &sl.Comment, &st, &en); err != nil {
			return nil, s.observe(err)
		}
		if err := json.Unmarshal([]byte(m), &sl.Matchers); err != nil {
			return nil, fmt.Errorf("silence %s: matchers: %w", sl.ID, err)
		}
		sl.StartsAt, sl.EndsAt = fromMS(st), fromMS(en)
		out = append(out, sl)
	}
	return out, s.observe(rows.Err())
}
