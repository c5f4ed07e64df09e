package app

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nfmm/nfmm/bot"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/ops"
	"github.com/prometheus/client_golang/prometheus"
)

// cmdRun is `nfmm run` (and plain `nfmm`): the Slack bot until SIGINT/SIGTERM (ctx from main).
func cmdRun(ctx context.Context, version string, args []string, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "nfmm run: unexpected argument %q (configuration comes from the environment and .env)\n", args[0])
		return 2
	}
	dotWarnings, err := config.LoadDotEnv(".env")
	if err != nil {
		fmt.Fprintln(stderr, "nfmm run:", err)
		return 2
	}
	cfg, err := config.Load(os.Getenv, config.ModeRun)
	if err != nil {
		fmt.Fprintln(stderr, "nfmm run:", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	for _, w := range append(dotWarnings, cfg.Warnings...) {
		logger.Warn(w)
	}
	if err := Run(ctx, cfg, Options{Logger: logger, Audit: stderr, Version: version}); err != nil {
		logger.Error("nfmm stopped", "err", err)
		return 1
	}
	return 0
}

func botReports(rs []config.Report) []bot.Report {
	out := make([]bot.Report, 0, len(rs))
	for _, r := range rs {
		out = append(out, bot.Report{Spec: r.Spec, Channel: r.Channel, Cluster: r.Cluster})
	}
	return out
}

// startOps serves /healthz and /metrics on NFMM_HTTP_ADDR (unless off); a busy port stops
// start-up. The returned func shuts the endpoint down gracefully.
func startOps(ctx context.Context, cfg config.Config, reg *prometheus.Registry, metrics *ops.Metrics, b *bot.Bot, clusters Clusters, storeHealth func(context.Context) *ops.StoreHealth, logger *slog.Logger) (func(), error) {
	if cfg.HTTPAddr == "" {
		return func() {}, nil
	}
	probe := &healthProbe{clusters: clusters, ttl: 5 * time.Second, base: ctx, metrics: metrics, storeHealth: storeHealth}
	stop, _, err := serveOps(ctx, cfg.HTTPAddr, reg, b, probe, nodeProbeInterval, logger)
	return stop, err
}

// serveOps is startOps with the probe and its background interval given, and the address it
// listens on returned (addr may have port 0).
func serveOps(ctx context.Context, addr string, reg *prometheus.Registry, b *bot.Bot, probe *healthProbe, every time.Duration, logger *slog.Logger) (func(), string, error) {
	health := func(ctx context.Context) ops.HealthReport {
		r := ops.HealthReport{Slack: ops.SlackHealth{Connected: b.Connected()}, Nodes: probe.nodes(), Degraded: b.Problems()}
		r.Store = probe.store(ctx)
		return r
	}
	srv := ops.NewServer(addr, health, reg, logger)
	if err := srv.Start(ctx); err != nil {
		return nil, "", err
	}
	pctx, stopProbing := context.WithCancel(ctx)
	go probe.every(pctx, every)
	return func() {
		stopProbing()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			logger.Warn("operations endpoint shutdown", "err", err)
		}
	}, srv.Addr(), nil
}

// healthProbeTimeout bounds one probe of the nodes (kubelet's own probe timeout is shorter;
// it then sees a failure, which is what a node that slow deserves).
const healthProbeTimeout = 5 * time.Second

// healthProbe caches the nodes' reachability for ttl, so frequent probes (kubelet, curl
// loops) do not turn into a stream of CMS requests. A probe runs on its own context (base,
// the run's lifetime) and timeout, never on the request's: a client that hangs up must not
// turn into "The request was cancelled." for every later probe. A probe whose context ended
// before it finished is answered once and never cached.
type healthProbe struct {
	clusters Clusters
	ttl      time.Duration
	timeout  time.Duration // 0 = healthProbeTimeout
	base     context.Context
	metrics  *ops.Metrics // nfmm_cms_node_up and nfmm_store_up follow every probe
	// storeHealth pings the store (nil: no store).
	storeHealth func(context.Context) *ops.StoreHealth

	mu   sync.Mutex
	at   time.Time
	last []ops.NodeHealth
}

func (p *healthProbe) nodes() []ops.NodeHealth {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last != nil && time.Since(p.at) < p.ttl {
		return p.last
	}
	timeout := p.timeout
	if timeout <= 0 {
		timeout = healthProbeTimeout
	}
	ctx, cancel := context.WithTimeout(p.base, timeout)
	defer cancel()
	var out []ops.NodeHealth
	for _, st := range p.status(ctx) {
		h := ops.NodeHealth{Cluster: st.cluster, Name: st.Node, Reachable: st.Err == nil}
		if st.Err != nil {
			h.Error = commands.UserMessage(st.Err)
		}
		if st.Live != nil {
			since := st.Live.Since
			h.Live, h.LiveSince = string(st.Live.Mode), &since
		}
		out = append(out, h)
	}
	if p.base.Err() == nil { // a probe cut short by shutdown says nothing about the nodes
		for _, h := range out {
			p.metrics.NodeProbe(cmp.Or(h.Cluster, ops.Cluster), h.Name, h.Reachable)
		}
	}
	if ctx.Err() != nil {
		p.last = nil
		return out
	}
	p.at, p.last = time.Now(), out
	return out
}

// clusterStatus is one node's status and, with several clusters, its cluster's name.
type clusterStatus struct {
	cms.NodeStatus
	cluster string
}

// status reads every cluster's nodes at once; with one cluster they carry no cluster name
// (/healthz stays as it was).
func (p *healthProbe) status(ctx context.Context) []clusterStatus {
	per := make([][]cms.NodeStatus, len(p.clusters))
	var wg sync.WaitGroup
	for i, c := range p.clusters {
		wg.Go(func() { per[i] = c.Cluster.Status(ctx) })
	}
	wg.Wait()
	var out []clusterStatus
	for i, sts := range per {
		name := ""
		if len(p.clusters) > 1 {
			name = p.clusters[i].Config.Name
		}
		for _, st := range sts {
			out = append(out, clusterStatus{NodeStatus: st, cluster: name})
		}
	}
	return out
}

// nodeProbeInterval is how often nodes are probed for nfmm_cms_node_up when nothing else
// (a /healthz request) has probed them: a down node shows within one Prometheus scrape or two.
const nodeProbeInterval = 15 * time.Second

// store pings the store and records the answer (nil without a store).
func (p *healthProbe) store(ctx context.Context) *ops.StoreHealth {
	if p.storeHealth == nil {
		return nil
	}
	h := p.storeHealth(ctx)
	if h != nil && ctx.Err() == nil {
		p.metrics.StoreProbe(h.Engine, h.Reachable)
	}
	return h
}

// every probes at once and then each interval until ctx ends, so the node and store metrics
// are fresh without /healthz traffic.
func (p *healthProbe) every(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p.nodes()
		p.store(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
