package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nfmm/nfmm/bot"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/store"
)

// OpenStore opens (and migrates) the database the configuration names: PostgreSQL for
// NFMM_DATABASE_URL, else nfmm.db in NFMM_DATA_DIR.
func OpenStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (*store.Store, error) {
	sc := store.Config{URL: cfg.Store.DatabaseURL.Reveal(), DataDir: cfg.Store.DataDir, Logger: logger}
	octx, cancel := context.WithTimeout(ctx, 2*time.Minute) // migrations wait for each other's lock
	defer cancel()
	st, err := store.Open(octx, sc)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	logger.Info("store open", "where", st.Where(), "replica", st.Replica())
	return st, nil
}

func storeRetention(r config.Retention) store.Retention {
	return store.Retention{Claims: r.Claims, Firings: r.Firings, Audit: r.Audit, Alerts: r.Alerts, Live: r.Live, Presenter: r.Presenter}
}

// leadership is bot.Leadership over the store's leader lease. Each term also runs the
// store's retention loop: one replica prunes for all.
type leadership struct {
	st        *store.Store
	el        *store.Elector
	retention store.Retention
}

func newLeadership(st *store.Store, r store.Retention, logger *slog.Logger, observe func(string)) *leadership {
	return &leadership{st: st, retention: r, el: st.NewElector(store.ElectorConfig{Logger: logger, Observe: observe})}
}

func (l *leadership) Run(ctx context.Context, lead func(context.Context, bot.Firings)) {
	l.el.Run(ctx, func(ctx context.Context, f store.Fence) {
		var wg sync.WaitGroup
		wg.Go(func() { l.st.RunRetention(ctx, l.retention, time.Hour) })
		lead(ctx, fencedFirings{st: l.st, fence: f})
		wg.Wait()
	})
}

// Leading reports whether this replica holds the lease (for /healthz).
func (l *leadership) Leading() bool {
	_, ok := l.el.Leading()
	return ok
}

// fencedFirings is bot.Firings for one leader term.
type fencedFirings struct {
	st    *store.Store
	fence store.Fence
}

func (f fencedFirings) ClaimFiring(ctx context.Context, report string, at time.Time, late bool) (bool, error) {
	return f.st.ClaimFiring(ctx, f.fence, report, at, late)
}

func (f fencedFirings) FinishFiring(ctx context.Context, report string, at time.Time, outcome string) error {
	return f.st.FinishFiring(ctx, report, at, outcome)
}

func (f fencedFirings) LastFiring(ctx context.Context, report string) (time.Time, bool, error) {
	last, ok, err := f.st.LastFiring(ctx, report)
	return last.FireAt, ok, err
}

// storeAudit writes every audit event to the store's audit history (`/cms audit`).
type storeAudit struct {
	st  *store.Store
	log *slog.Logger
}

// Audit implements commands.AuditSink. A failed write is logged loudly: the JSON audit on
// stderr still has the record.
func (a storeAudit) Audit(ctx context.Context, e commands.AuditEvent) {
	detail, err := json.Marshal(auditDetail(e))
	if err != nil {
		a.log.Error("audit: could not encode the record for the store", "err", err)
		return
	}
	err = a.st.AppendAudit(context.WithoutCancel(ctx), store.AuditEvent{
		At: e.Time, Cluster: e.Cluster, Actor: e.Actor, Channel: e.Channel, Op: string(e.Op), Meeting: e.Meeting,
		Participant: e.Participant, Outcome: e.Outcome, Detail: detail,
	})
	if err != nil {
		a.log.Error("audit: could not write the record to the store (it is in the JSON audit log)", "op", string(e.Op), "actor", e.Actor, "err", err)
	}
}

// auditDetail is the stored JSON of an event, in the JSON audit log's key names.
func auditDetail(e commands.AuditEvent) map[string]any {
	d := map[string]any{
		"actor": e.Actor, "channel": e.Channel, "op": string(e.Op), "meeting": e.Meeting,
		"participant": e.Participant, "nodes": e.Nodes, "outcome": e.Outcome, "leg_id": e.LegID,
		"changes": e.Changes,
	}
	if e.Cluster != "" {
		d["cluster"] = e.Cluster
	}
	if e.Media != "" {
		d["media"] = string(e.Media)
	}
	if e.Presenter != "" {
		d["presenter"] = e.Presenter
	}
	if e.Error != "" {
		d["error"] = e.Error
	}
	return d
}

// AuditEvents implements commands.AuditHistory: `audit` reads the history storeAudit wrote.
func (a storeAudit) AuditEvents(ctx context.Context, q commands.AuditQuery) ([]commands.AuditEntry, error) {
	rows, err := a.st.QueryAudit(ctx, store.AuditQuery{Meeting: q.Meeting, Actor: q.Actor, Since: q.Since, Until: q.Until, Limit: q.Limit})
	if err != nil {
		return nil, err
	}
	out := make([]commands.AuditEntry, 0, len(rows))
	for _, r := range rows {
		e := commands.AuditEntry{Time: r.At, Actor: r.Actor, Channel: r.Channel, Op: r.Op, Meeting: r.Meeting,
			Participant: r.Participant, Outcome: r.Outcome}
		// The rest is in the record's JSON, in auditDetail's keys.
		var d struct {
			Media     string            `json:"media"`
			Presenter string            `json:"presenter"`
			Nodes     []string          `json:"nodes"`
			Error     string            `json:"error"`
			LegID     string            `json:"leg_id"`
			Changes   []commands.Change `json:"changes"`
		}
		if err := json.Unmarshal(r.Detail, &d); err != nil {
			a.log.Warn("audit: a stored record's detail is not JSON; showing its columns only", "id", r.ID, "err", err)
		}
		e.Media, e.Presenter, e.Nodes, e.Error, e.LegID, e.Changes = d.Media, d.Presenter, d.Nodes, d.Error, d.LegID, d.Changes
		out = append(out, e)
	}
	return out, nil
}

// storeFileMissing reports an embedded store that does not exist yet: `nfmm exec audit`
// reads what `nfmm run` wrote, and must not leave an empty nfmm.db behind where there is none.
func storeFileMissing(cfg config.Config) (string, bool) {
	if cfg.Store.DatabaseURL.Reveal() != "" {
		return "", false
	}
	path := filepath.Join(cfg.Store.DataDir, store.FileName)
	_, err := os.Stat(path)
	return path, errors.Is(err, fs.ErrNotExist)
}
