package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cdr"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/store"
)

// How often the leader makes sure every node lists NFMM's receiver (cms-cdr.md §2.2), and
// prunes history older than NFMM_HISTORY_DAYS.
const (
	cdrRegisterEvery = 10 * time.Minute
	cdrPruneEvery    = 24 * time.Hour
)

// cdrStore is what meeting history needs of the database.
type cdrStore interface {
	cdr.Sink
	HistoryRows(ctx context.Context, q cdr.HistoryQuery) (cdr.Rows, error)
	PruneCDRs(ctx context.Context, before time.Time) (int, error)
}

var _ cdrStore = (*store.Store)(nil)

// CDRRuntime is meeting history's moving parts: the receiver every replica serves, and the
// registration and pruning loops only the leader runs.
type CDRRuntime struct {
	cfg     config.CDR
	cluster *cms.Cluster
	st      cdrStore
	recv    *cdr.Receiver
	log     *slog.Logger
	now     func() time.Time

	mu     sync.Mutex
	regs   []cms.CDRRegistration
	regsAt time.Time // when this replica last registered (it held the "cdr" lease)
}

// NewCDRRuntime builds the receiver for cfg.CDR over the cluster's nodes.
func NewCDRRuntime(cfg config.CDR, cluster *cms.Cluster, st cdrStore, logger *slog.Logger, now func() time.Time) *CDRRuntime {
	if now == nil {
		now = time.Now
	}
	var known []cdr.KnownNode
	for _, n := range cluster.Nodes() {
		k := cdr.KnownNode{Name: n.Name()}
		if u, err := url.Parse(n.BaseURL()); err == nil {
			k.Host = u.Hostname()
		}
		known = append(known, k)
	}
	return &CDRRuntime{cfg: cfg, cluster: cluster, st: st, log: logger, now: now,
		recv: cdr.NewReceiver(cdr.ReceiverConfig{Token: cfg.Token.Reveal(), Nodes: known, Sink: st, Logger: logger})}
}

// Listen opens NFMM_CDR_ADDR, so a busy port fails start-up rather than a goroutine.
func (c *CDRRuntime) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", c.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("CDR receiver on NFMM_CDR_ADDR=%s: %w", c.cfg.Addr, err)
	}
	return ln, nil
}

// Serve answers CDR posts on ln until ctx is done.
func (c *CDRRuntime) Serve(ctx context.Context, ln net.Listener) error {
	c.log.Info("CDR receiver listening", "addr", ln.Addr().String())
	return c.recv.Serve(ctx, ln)
}

// URIFor is the receiver URI NFMM registers on node: the query string is passed through
// verbatim by CMS, so each post names its node.
func (c *CDRRuntime) URIFor(node string) string { return cdrURIFor(c.cfg)(node) }

func cdrURIFor(cfg config.CDR) func(node string) string {
	return func(node string) string { return cfg.URL.Reveal() + "?node=" + url.QueryEscape(node) }
}

// Lead runs the leader's loops until ctx is done: registration at once and every 10 minutes,
// pruning at once and daily.
func (c *CDRRuntime) Lead(ctx context.Context) {
	reg := time.NewTicker(cdrRegisterEvery)
	defer reg.Stop()
	prune := time.NewTicker(cdrPruneEvery)
	defer prune.Stop()
	c.Register(ctx)
	c.Prune(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-reg.C:
			c.Register(ctx)
		case <-prune.C:
			c.Prune(ctx)
		}
	}
}

// Register ensures NFMM's receiver on every node and logs each node's whole list.
func (c *CDRRuntime) Register(ctx context.Context) []cms.CDRRegistration {
	regs := c.cluster.EnsureCDRReceivers(ctx, c.URIFor)
	for _, r := range regs {
		var uris []string
		for _, x := range r.Receivers {
			if x.URI == r.URI {
				uris = append(uris, "NFMM")
			} else {
				uris = append(uris, x.URI)
			}
		}
		attrs := []any{"node", r.Node, "state", string(r.State), "receivers", strings.Join(uris, " "), "maximum", r.Maximum}
		switch r.State {
		case cms.CDRFull:
			c.log.Error("CDR receiver slots full on "+r.Node+": NFMM gets no CDRs from it; free a slot (NFMM never removes another tool's receiver)", attrs...)
		case cms.CDRFailed:
			c.log.Warn("cdr receivers: could not check "+r.Node+"; trying again in 10 minutes", append(attrs, "err", r.Err)...)
		case cms.CDRAdded:
			c.log.Info("cdr receivers: NFMM added", attrs...)
		default:
			c.log.Debug("cdr receivers", attrs...)
		}
	}
	c.mu.Lock()
	c.regs, c.regsAt = regs, c.now()
	c.mu.Unlock()
	return regs
}

// Check reads every node's receiver list for `status`, without changing it (any replica).
func (c *CDRRuntime) Check(ctx context.Context) []cms.CDRRegistration {
	return c.cluster.CheckCDRReceivers(ctx, c.URIFor)
}

// Registrations is the last registration round's outcome (empty on a replica that never led).
func (c *CDRRuntime) Registrations() []cms.CDRRegistration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]cms.CDRRegistration(nil), c.regs...)
}

// AlertRegistrations is what the cdr_receivers alert reads: this replica's last registration
// round while it is recent, else each list read now without changing it. The alert
// evaluator's leader need not hold the "cdr" lease, and a replica that never registered has
// no round of its own; a node whose list cannot be read is CDRFailed, which the alert treats
// as unknown.
func (c *CDRRuntime) AlertRegistrations(ctx context.Context) []cms.CDRRegistration {
	c.mu.Lock()
	fresh := len(c.regs) > 0 && c.now().Sub(c.regsAt) <= 2*cdrRegisterEvery
	c.mu.Unlock()
	if fresh {
		return c.Registrations()
	}
	return c.Check(ctx)
}

// Prune deletes history older than NFMM_HISTORY_DAYS.
func (c *CDRRuntime) Prune(ctx context.Context) {
	before := c.now().AddDate(0, 0, -c.cfg.HistoryDays)
	n, err := c.st.PruneCDRs(ctx, before)
	switch {
	case err != nil && ctx.Err() == nil:
		c.log.Warn("history retention: prune failed; retrying tomorrow", "err", err)
	case n > 0:
		c.log.Info("history retention: pruned", "records", n, "before", before.Format(time.DateOnly))
	}
}

// RunLeader runs Lead whenever this replica holds the "cdr" lease on st, until ctx is done.
func (c *CDRRuntime) RunLeader(ctx context.Context, st *store.Store, observe func(string)) {
	el := st.NewElector(store.ElectorConfig{Name: "cdr", Logger: c.log, Observe: observe})
	el.Run(ctx, func(ctx context.Context, _ store.Fence) { c.Lead(ctx) })
}

// demoCDR opens the demo's CDR receiver on loopback with a random token: the emulator's call
// bridges post their CDRs there once the leader has registered it, so history fills as the
// live scenario's guests leave and its ad-hoc meetings end.
func demoCDR() (config.CDR, net.Listener, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return config.CDR{}, nil, fmt.Errorf("demo CDR token: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return config.CDR{}, nil, fmt.Errorf("demo CDR receiver: %w", err)
	}
	token := hex.EncodeToString(b)
	addr := ln.Addr().String()
	return config.CDR{URL: config.Secret("http://" + addr + "/cdr/" + token), Token: config.Secret(token),
		Addr: addr, HistoryDays: config.DefaultHistoryDays}, ln, nil
}
