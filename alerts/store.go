package alerts

import (
	"context"
	"slices"
	"sync"
)

// Store keeps the alerts (state, silences, message refs, outbox) across restarts. SQL lives in
// the store package; NFMM uses MemoryStore until that is wired in.
type Store interface {
	LoadAlerts(ctx context.Context) ([]Alert, error)
	SaveAlert(ctx context.Context, a Alert) error
	DeleteAlert(ctx context.Context, fingerprint string) error
}

// MemoryStore is a Store in this process's memory: an evaluator rebuilt on the same
// MemoryStore (a bot restarted in tests) carries on, a process restart forgets everything.
type MemoryStore struct {
	mu     sync.Mutex
	alerts map[string]Alert
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{alerts: map[string]Alert{}} }

// LoadAlerts returns every stored alert.
func (m *MemoryStore) LoadAlerts(context.Context) ([]Alert, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Alert, 0, len(m.alerts))
	for _, a := range m.alerts {
		out = append(out, a.clone())
	}
	slices.SortFunc(out, func(x, y Alert) int { return x.FiredAt.Compare(y.FiredAt) })
	return out, nil
}

// SaveAlert stores a copy of a.
func (m *MemoryStore) SaveAlert(_ context.Context, a Alert) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.alerts[a.Fingerprint] = a.clone()
	return nil
}

// DeleteAlert forgets the alert.
func (m *MemoryStore) DeleteAlert(_ context.Context, fp string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.alerts, fp)
	return nil
}
