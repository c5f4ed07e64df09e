package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Retention is how long each table keeps its rows. A zero field takes its default; a negative
// one keeps rows forever.
type Retention struct {
	Claims    time.Duration // envelope claims; default 24 h (Slack redelivers within minutes)
	Firings   time.Duration // report firings; default 30 days (the catch-up needs only the last)
	Audit     time.Duration // audit history; default 365 days
	Alerts    time.Duration // resolved alerts, their transitions and ended silences; default 30 days
	Live      time.Duration // live-message references after they expire; default 7 days
	Presenter time.Duration // presenter snapshots never switched off; default 30 days
}

// DefaultRetention is what a zero Retention means.
var DefaultRetention = Retention{
	Claims:    24 * time.Hour,
	Firings:   30 * 24 * time.Hour,
	Audit:     365 * 24 * time.Hour,
	Alerts:    30 * 24 * time.Hour,
	Live:      7 * 24 * time.Hour,
	Presenter: 30 * 24 * time.Hour,
}

func (r Retention) withDefaults() Retention {
	pick := func(v, d time.Duration) time.Duration {
		if v == 0 {
			return d
		}
		return v
	}
	d := DefaultRetention
	return Retention{
		Claims: pick(r.Claims, d.Claims), Firings: pick(r.Firings, d.Firings), Audit: pick(r.Audit, d.Audit),
		Alerts: pick(r.Alerts, d.Alerts), Live: pick(r.Live, d.Live), Presenter: pick(r.Presenter, d.Presenter),
	}
}

// Prune deletes what r no longer keeps and returns how many rows each table lost.
func (s *Store) Prune(ctx context.Context, r Retention) (map[string]int64, error) {
	r = r.withDefaults()
	now := s.now()
	steps := []struct {
		table string
		keep  time.Duration
		query string
	}{
		{"envelope_claims", r.Claims, `DELETE FROM envelope_claims WHERE claimed_at < $1`},
		{"report_firings", r.Firings, `DELETE FROM report_firings WHERE fire_at < $1`},
		{"audit_events", r.Audit, `DELETE FROM audit_events WHERE at < $1`},
		{"alerts", r.Alerts, `DELETE FROM alerts WHERE state = 'resolved' AND resolved_at < $1`},
		{"alert_transitions", r.Alerts, `DELETE FROM alert_transitions WHERE at < $1`},
		{"silences", r.Alerts, `DELETE FROM silences WHERE ends_at < $1`},
		{"live_messages", r.Live, `DELETE FROM live_messages WHERE expires_at < $1`},
		{"presenter_snapshots", r.Presenter, `DELETE FROM presenter_snapshots WHERE created_at < $1`},
	}
	out := make(map[string]int64, len(steps))
	for _, st := range steps {
		if st.keep < 0 {
			continue
		}
		octx, cancel := s.op(ctx)
		res, err := s.db.ExecContext(octx, st.query, ms(now.Add(-st.keep)))
		cancel()
		if err != nil {
			return out, s.observe(fmt.Errorf("prune %s: %w", st.table, err))
		}
		n, _ := res.RowsAffected()
		out[st.table] = n
	}
	return out, s.observe(nil)
}

// RunRetention prunes every interval until ctx is done (the leader runs it: one replica is
// enough). Failures are logged; the next round tries again.
func (s *Store) RunRetention(ctx context.Context, r Retention, interval time.Duration) {
	if interval <= 0 {
		interval = time.Hour
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.Prune(ctx, r)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("store retention: prune failed; retrying later", "err", err)
		}
		var total int64
		for _, v := range n {
			total += v
		}
		if total > 0 {
			s.log.Info("store retention: pruned", slog.Any("rows", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
