package app

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/store"
)

// alertStore keeps the evaluator's alerts in the store's alerts table: the columns hold what
// other replicas and tools read (state, times, the message, the ack), the labels column the
// whole alert as JSON (its silence, flap history and undelivered notifications), so a restart
// or a new leader carries on exactly where the last one stopped.
type alertStore struct{ s *store.Store }

// newAlertStore adapts s to alerts.Store.
func newAlertStore(s *store.Store) alerts.Store { return alertStore{s} }

// storedState is the row's state: a resolved alert whose notifications are still queued
// stays listed (the store lists only alerts not resolved) until they are sent.
func storedState(a alerts.Alert) string {
	if a.State == alerts.StateResolved && len(a.Outbox) == 0 {
		return string(alerts.StateResolved)
	}
	if a.State == alerts.StateResolved {
		return string(alerts.StateFiring)
	}
	return string(a.State)
}

func (st alertStore) SaveAlert(ctx context.Context, a alerts.Alert) error {
	doc, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("alert %s: %w", a.Fingerprint, err)
	}
	return st.s.PutAlert(ctx, store.Alert{
		Cluster: a.Key.Cluster, Fingerprint: a.Fingerprint, Name: string(a.Key.Kind), Labels: doc,
		State: storedState(a), StartedAt: a.Since, ResolvedAt: a.ResolvedAt, LastNotifiedAt: a.LastRepeat,
		Channel: a.Channel, MessageTS: a.TS, AckedBy: a.AckedBy, AckedAt: a.AckedAt,
	})
}

func (st alertStore) LoadAlerts(ctx context.Context) ([]alerts.Alert, error) {
	rows, err := st.s.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]alerts.Alert, 0, len(rows))
	for _, r := range rows {
		var a alerts.Alert
		if err := json.Unmarshal(r.Labels, &a); err != nil || a.Fingerprint != r.Fingerprint {
			// A row another writer made, or from an older shape: not ours to act on.
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// DeleteAlert leaves the row: the evaluator forgets only alerts already saved as resolved,
// and the store's retention removes those.
func (st alertStore) DeleteAlert(context.Context, string) error { return nil }
