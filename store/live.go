package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// LiveMessage is a Slack message NFMM keeps updating, stored so updates resume after a
// restart (and on whichever replica leads).
type LiveMessage struct {
	Channel   string
	TS        string
	Kind      string // roster, calls, status, alert, …
	Cluster   string
	Subject   string          // what it shows, e.g. a meeting's callCorrelator
	State     json.RawMessage // what the renderer needs; "{}" when empty
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time // stop updating after this
}

// PutLiveMessage inserts or replaces the message (channel, ts).
func (s *Store) PutLiveMessage(ctx context.Context, m LiveMessage) error {
	now := s.now()
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.UpdatedAt = now
	state := string(m.State)
	if state == "" {
		state = "{}"
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO live_messages (channel, ts, kind, cluster, subject, state, created_at, updated_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (channel, ts) DO UPDATE SET kind = excluded.kind, cluster = excluded.cluster, subject = excluded.subject,
			state = excluded.state, updated_at = excluded.updated_at, expires_at = excluded.expires_at`,
		m.Channel, m.TS, m.Kind, m.Cluster, m.Subject, state, ms(m.CreatedAt), ms(m.UpdatedAt), ms(m.ExpiresAt))
	if err != nil {
		return s.observe(fmt.Errorf("put live message: %w", err))
	}
	return s.observe(nil)
}

// DeleteLiveMessage forgets the message (it was deleted, or NFMM stopped updating it).
func (s *Store) DeleteLiveMessage(ctx context.Context, channel, ts string) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `DELETE FROM live_messages WHERE channel = $1 AND ts = $2`, channel, ts)
	return s.observe(err)
}

// LiveMessages lists the messages still to be updated at now (not expired), oldest first;
// kind "" lists every kind.
func (s *Store) LiveMessages(ctx context.Context, kind string) ([]LiveMessage, error) {
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT channel, ts, kind, cluster, subject, state, created_at, updated_at, expires_at
		FROM live_messages WHERE expires_at > $1 AND ($2 = '' OR kind = $2) ORDER BY created_at, channel, ts`, ms(s.now()), kind)
	if err != nil {
		return nil, s.observe(err)
	}
	defer rows.Close()
	var out []LiveMessage
	for rows.Next() {
		var m LiveMessage
		var state string
		var c, u, e int64
		if err := rows.Scan(&m.Channel, &m.TS, &m.Kind, &m.Cluster, &m.Subject, &state, &c, &u, &e); err != nil {
			return nil, s.observe(err)
		}
		m.State, m.CreatedAt, m.UpdatedAt, m.ExpiresAt = json.RawMessage(state), fromMS(c), fromMS(u), fromMS(e)
		out = append(out, m)
	}
	return out, s.observe(rows.Err())
}
