package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditEvent is one audit record as stored.
type AuditEvent struct {
	ID          string
	At          time.Time
	Cluster     string
	Actor       string // Slack user id, or "terminal"/"scheduler"
	Channel     string
	Op          string
	Meeting     string
	Participant string
	Outcome     string          // ok, partial, denied, error
	Detail      json.RawMessage // the whole record as JSON
}

// AppendAudit stores one audit record; At defaults to now and ID to a fresh time-ordered id.
func (s *Store) AppendAudit(ctx context.Context, e AuditEvent) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if e.ID == "" {
		e.ID = newID(e.At)
	}
	detail := string(e.Detail)
	if detail == "" {
		detail = "{}"
	}
	ctx, cancel := s.op(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_events (id, at, cluster, actor, channel, op, meeting, participant, outcome, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		e.ID, ms(e.At), e.Cluster, e.Actor, e.Channel, e.Op, e.Meeting, e.Participant, e.Outcome, detail)
	if err != nil {
		return s.observe(fmt.Errorf("append audit: %w", err))
	}
	return s.observe(nil)
}

// AuditQuery selects audit records. Empty fields do not filter.
type AuditQuery struct {
	Meeting string    // case-insensitive part of the meeting name or correlator
	Actor   string    // exact actor (Slack user id)
	Since   time.Time // inclusive
	Until   time.Time // exclusive
	Limit   int       // newest first; default 50, at most 1000
}

// QueryAudit returns the newest matching records first.
func (s *Store) QueryAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q.Meeting != "" {
		where = append(where, "LOWER(meeting) LIKE "+arg("%"+likeEscape(strings.ToLower(q.Meeting))+"%")+` ESCAPE '\'`)
	}
	if q.Actor != "" {
		where = append(where, "actor = "+arg(q.Actor))
	}
	if !q.Since.IsZero() {
		where = append(where, "at >= "+arg(ms(q.Since)))
	}
	if !q.Until.IsZero() {
		where = append(where, "at < "+arg(ms(q.Until)))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	query := `SELECT id, at, cluster, actor, channel, op, meeting, participant, outcome, detail FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY at DESC, id DESC LIMIT " + arg(limit)
	ctx, cancel := s.op(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.observe(fmt.Errorf("query audit: %w", err))
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &at, &e.Cluster, &e.Actor, &e.Channel, &e.Op, &e.Meeting, &e.Participant, &e.Outcome, &detail); err != nil {
			return nil, s.observe(err)
		}
		e.At, e.Detail = fromMS(at), json.RawMessage(detail)
		out = append(out, e)
	}
	return out, s.observe(rows.Err())
}

// likeEscape escapes LIKE's wildcards so a meeting called "50%" matches only itself.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
