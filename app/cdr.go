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
	cfg      config.CDR
	clusters Clusters
	st       cdrStore
	recv     *cdr.Receiver
	log      *slog.Logger
	now      func() time.Time

	mu     sync.Mutex
	regs   map[string][]cms.CDRRegistration // by cluster
	regsAt time.Time                        // when this replica last registered (it held the "cdr" lease)
}

// NewCDRRuntime builds the receiver for cfg.CDR over every cluster's nodes: one receiver
// (one NFMM_CDR_URL) serves them all, and each post is matched to its cluster's node.
func NewCDRRuntime(cfg config.CDR, clusters Clusters, st cdrStore, logger *slog.Logger, now func() time.Time) *CDRRuntime {
	if now == nil {
		now = time.Now
	}
	var known []cdr.KnownNode
	for _, c := range clusters {
		for _, n := range c.Cluster.Nodes() {
			k := cdr.KnownNode{Name: n.Name(), Cluster: c.Config.Name}
			if u, err := url.Parse(n.BaseURL()); err == nil {
				k.Host = u.Hostname()
			}
			known = append(known, k)
		}
	}
	return &CDRRuntime{cfg: cfg, clusters: clusters, st: st, log: logger, now: now,
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

// URIFor is the receiver URI NFMM registers on node of cluster: the query string is passed
// through verbatim by CMS, so each post names its node and, beside the default cluster, its
// cluster (two clusters may both have a cb1). The default cluster's URI is as it always was.
func (c *CDRRuntime) URIFor(cluster, node string) string { return cdrURIFor(c.cfg, cluster)(node) }

func cdrURIFor(cfg config.CDR, cluster string) func(node string) string {
	return func(node string) string {
		uri := cfg.URL.Reveal() + "?node=" + url.QueryEscape(node)
		if cluster != "" && cluster != config.DefaultCluster {
			uri += "&cluster=" + url.QueryEscape(cluster)
		}
		return uri
	}
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

// Register ensures NFMM's receiver on every node of every cluster and logs each node's whole
// list; it returns every cluster's outcome, in configuration order.
func (c *CDRRuntime) Register(ctx context.Context) []cms.CDRRegistration {
	byCluster := map[string][]cms.CDRRegistration{}
	var all []cms.CDRRegistration
	for _, cl := range c.clusters {
		regs := cl.Cluster.EnsureCDRReceivers(ctx, cdrURIFor(c.cfg, cl.Config.Name))
		c.logRegistrations(cl.Config.Name, regs)
		byCluster[cl.Config.Name] = regs
		all = append(all, regs...)
	}
	c.mu.Lock()
	c.regs, c.regsAt = byCluster, c.now()
	c.mu.Unlock()
	return all
}

func (c *CDRRuntime) logRegistrations(cluster string, regs []cms.CDRRegistration) {
	for _, r := range regs {
		var uris []string
		for _, x := range r.Receivers {
			if x.URI == r.URI {
				uris = append(uris, "NFMM")
			} else {
				uris = append(uris, x.URI)
			}
		}
		attrs := []any{"cluster", cluster, "node", r.Node, "state", string(r.State), "receivers", strings.Join(uris, " "), "maximum", r.Maximum}
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
}

// named is the cluster called name; "" is the first (the only one with CMS_NODES).
func (c *CDRRuntime) named(name string) (Named, bool) {
	for _, cl := range c.clusters {
		if name == "" || cl.Config.Name == name {
			return cl, true
		}
	}
	return Named{}, false
}

// Check reads every node's receiver list of cluster ("" = the first) for `status`, without
// changing it (any replica).
func (c *CDRRuntime) Check(ctx context.Context, cluster string) []cms.CDRRegistration {
	cl, ok := c.named(cluster)
	if !ok {
		return nil
	}
	return cl.Cluster.CheckCDRReceivers(ctx, cdrURIFor(c.cfg, cl.Config.Name))
}

// Registrations is the last registration round's outcome on cluster ("" = the first; empty on
// a replica that never led).
func (c *CDRRuntime) Registrations(cluster string) []cms.CDRRegistration {
	cl, ok := c.named(cluster)
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]cms.CDRRegistration(nil), c.regs[cl.Config.Name]...)
}

// AlertRegistrations is what the cdr_receivers alert of cluster reads: this replica's last
// registration round while it is recent, else each list read now without changing it. The alert
// evaluator's leader need not hold the "cdr" lease, and a replica that never registered has
// no round of its own; a node whose list cannot be read is CDRFailed, which the alert treats
// as unknown.
func (c *CDRRuntime) AlertRegistrations(cluster string) func(context.Context) []cms.CDRRegistration {
	return func(ctx context.Context) []cms.CDRRegistration {
		c.mu.Lock()
		fresh := len(c.regs) > 0 && c.now().Sub(c.regsAt) <= 2*cdrRegisterEvery
		c.mu.Unlock()
		if fresh {
			return c.Registrations(cluster)
		}
		return c.Check(ctx, cluster)
	}
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
