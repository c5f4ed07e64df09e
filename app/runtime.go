package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/bot"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/ops"
	"github.com/nfmm/nfmm/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Options are what the configuration does not say: where logs and audit records go, and the
// knobs the harnesses (demo, bench, soak, e2e) turn.
type Options struct {
	Logger  *slog.Logger // nil discards
	Audit   io.Writer    // the JSON audit records, the record of truth; nil discards
	Version string       // logged at start

	// Observe, when set, sees every CMS request (the runtime's metrics do when it builds the
	// cluster itself).
	Observe func(cms.RequestStat)
	// HTTPClient, when set, carries every node's requests instead of one transport per node
	// built from the configuration (bench records and replays CMS answers with it).
	HTTPClient *http.Client
	// PostInterval overrides the bot's per-channel spacing of new posts (0: the bot's default).
	PostInterval time.Duration
	// SimLive makes the meetings of CMS_NODES=sim change by themselves every SimLive (0: they
	// hold still), for `exec watch` against the built-in emulator.
	SimLive time.Duration
	// Now replaces the clock of commands and meeting history (e2e tests); nil means time.Now.
	Now func() time.Time
	// CDRListener, when set, is where the CDR receiver serves instead of NFMM_CDR_ADDR (the
	// demo and tests pass one they opened on 127.0.0.1:0).
	CDRListener net.Listener

	snapshots commands.PresenterSnapshots // the store's, set by NewRuntime; nil: in memory
	alerts    commands.Alerts             // what `alerts` reads when there is no evaluator (exec)
	auditLog  commands.AuditHistory       // what `audit` reads: the store's audit history
	simSeed   int64                       // the seed of a CMS_NODES=sim emulator; 0 = 1
	cluster   string                      // the cluster NewCluster builds, for its log lines; "" = default
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Audit == nil {
		o.Audit = io.Discard
	}
	return o
}

// Runtime is NFMM built from one configuration: the cluster, the command service over it, the
// Slack bot over that, and the operations endpoint. New builds it without network I/O
// (CMS_NODES=sim starts the emulator); Run runs it.
type Runtime struct {
	Cluster  *cms.Cluster // the first (with CMS_NODES the only) cluster
	Clusters Clusters
	Service  *commands.Service
	Bot      *bot.Bot
	Alerts   *alerts.Evaluator // nil when alerts are off (alerts.go)
	Store    *store.Store

	cfg     config.Config
	opts    Options
	reg     *prometheus.Registry
	metrics *ops.Metrics
	release func()
	lead    *leadership
	cdr     *CDRRuntime // nil without NFMM_CDR_URL
}

// catchup maps NFMM_REPORT_CATCHUP to the scheduler's: 0 there means no catch-up.
func catchup(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// Run builds the runtime for cfg and runs it until ctx is done: what `nfmm run` does.
func Run(ctx context.Context, cfg config.Config, o Options) error {
	rt, err := New(ctx, cfg, o)
	if err != nil {
		return err
	}
	defer rt.Close()
	return rt.Run(ctx)
}

// New wires cluster -> commands -> bot for cfg.
func New(ctx context.Context, cfg config.Config, o Options) (_ *Runtime, err error) {
	o = o.withDefaults()
	reg := ops.NewRegistry()
	metrics, err := ops.NewMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	observe := func(cluster string, st cms.RequestStat) {
		metrics.ObserveCMS(cluster, st)
		if o.Observe != nil {
			o.Observe(st)
		}
	}
	st, err := OpenStore(ctx, cfg, o.Logger)
	if err != nil {
		return nil, err
	}
	clusters, releaseCluster, err := NewClusters(ctx, cfg, o, observe)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("CMS: %w", err)
	}
	cluster := clusters[0].Cluster
	release := func() { releaseCluster(); st.Close() }
	liveMetrics, err := ops.NewLiveMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	// The live state answers reads once Run has started it; until then, and whenever it is
	// not fresh, reads go to REST.
	for _, c := range clusters {
		live := cms.NewLive(c.Cluster, cms.LiveConfig{Events: cms.EventsMode(cfg.CMSEvents),
			PollInterval: cfg.PollInterval, Logger: o.Logger.With("cluster", c.Config.Name), Observe: liveMetrics.ObserveFor(c.Config.Name)})
		c.Cluster.SetLive(live)
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	lead := newLeadership(st, storeRetention(cfg.Store.Retention), o.Logger, metrics.Lease)
	// With NFMM_AUDIT_CHANNEL the audit records also become a line each in that channel.
	var auditFeed *bot.AuditHandler
	feeds := commands.AuditSinks{storeAudit{st: st, log: o.Logger}}
	if cfg.AuditChannel != "" {
		auditFeed = bot.NewAuditHandler(cfg.AuditChannel, 0, o.Logger)
		feeds = append(feeds, auditFeed)
	}
	var history *CDRRuntime
	if cfg.CDR.Enabled() {
		history = NewCDRRuntime(cfg.CDR, clusters, st, o.Logger, o.Now)
	}
	o.snapshots = storeSnapshots{st: st}
	o.auditLog = storeAudit{st: st, log: o.Logger}
	svc := newService(cfg, clusters.commands(), o, feeds, history)
	b, err := bot.New(bot.Config{
		BotToken:     cfg.SlackBotToken.Reveal(),
		AppToken:     cfg.SlackAppToken.Reveal(),
		APIURL:       cfg.SlackAPIURL,
		Service:      svc,
		Logger:       o.Logger,
		Metrics:      metrics,
		PostInterval: o.PostInterval,

		Reports:       botReports(cfg.Reports),
		ReportQuiet:   cfg.ReportQuiet,
		ReportCatchup: catchup(cfg.Store.ReportCatchup),
		Leadership:    lead,
		Claims:        st,

		UserGroups: bot.UserGroupIDs(cfg.Operators, cfg.Viewers),
		Audit:      auditFeed,
		LiveTTL:    cfg.LiveTTL,
		LiveStore:  st,
	})
	if err != nil {
		return nil, err
	}
	if err := metrics.WatchSlack(b.Connected); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	ev, err := newAlerts(cfg, clusters, b, reg, o, st, lead, history)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	if ev != nil {
		svc.SetAlerts(ev) // `alerts`: the evaluator posts through the bot, which runs svc
	}
	return &Runtime{Cluster: cluster, Clusters: clusters, Service: svc, Bot: b, Alerts: ev, cfg: cfg, opts: o, reg: reg, metrics: metrics, release: release, Store: st, lead: lead, cdr: history}, nil
}

// NewService is the command service over cluster with cfg's policy, auditing to o.Audit as
// JSON lines tagged "log":"audit" so a log pipeline can route them.
func NewService(cfg config.Config, cluster commands.Cluster, o Options) *commands.Service {
	return newService(cfg, singleCluster(cluster), o.withDefaults(), nil, nil)
}

// singleCluster is one cluster as the service takes several.
func singleCluster(c commands.Cluster) []commands.NamedCluster {
	return []commands.NamedCluster{{Name: commands.DefaultCluster, Cluster: c}}
}

// newService also hands every audit event to feed when it is not nil.
// With history (NFMM_CDR_URL), `history` reads it and `status` shows the receiver lists.
func newService(cfg config.Config, cs []commands.NamedCluster, o Options, feed commands.AuditSink, history *CDRRuntime) *commands.Service {
	audit := commands.AuditSinks{commands.AuditLog{Logger: slog.New(slog.NewJSONHandler(o.Audit, nil)).With("log", "audit")}}
	if feed != nil {
		audit = append(audit, feed)
	}
	c := commands.Config{
		Cluster:         cs[0].Cluster,
		Clusters:        cs,
		ChannelClusters: cfg.ChannelClusters,
		Policy:          commands.Policy{Operators: cfg.Operators, Viewers: cfg.Viewers, Channels: cfg.Channels, AdminContact: cfg.AdminContact},
		Audit:           audit,
		Logger:          o.Logger,
		Schedule:        configSchedule(cfg),
		Now:             o.Now,
		Snapshots:       o.snapshots,
		Alerts:          o.alerts,

		AuditHistory: o.auditLog,
	}
	if history != nil {
		c.History, c.HistoryDays, c.CDRReceivers = history.st, cfg.CDR.HistoryDays, history.Check
	}
	return commands.New(c)
}

// Run serves /healthz and /metrics (unless NFMM_HTTP_ADDR is off) and runs the bot until ctx
// is done.
func (r *Runtime) Run(ctx context.Context) error {
	stopOps, err := startOps(ctx, r.cfg, r.reg, r.metrics, r.Bot, r.Clusters, r.storeHealth, r.opts.Logger)
	if err != nil {
		return err
	}
	defer stopOps()
	for _, c := range r.Clusters {
		if live := c.Cluster.Live(); live != nil {
			lctx, stop := context.WithCancel(ctx)
			live.Start(lctx)
			defer live.Wait()
			defer stop()
		}
	}
	r.opts.Logger.Info("nfmm starting", "version", r.opts.Version, "cms_clusters", len(r.Clusters), "cms_nodes", len(r.Cluster.Nodes()), "reports", len(r.cfg.Reports), "store", r.Store.Where(),
		"user_groups", len(bot.UserGroupIDs(r.cfg.Operators, r.cfg.Viewers)), "audit_channel", r.cfg.AuditChannel != "")
	if r.cdr != nil {
		stopCDR, err := r.runCDR(ctx)
		if err != nil {
			return err
		}
		defer stopCDR()
	}
	if r.Alerts != nil {
		alertCtx, stopAlerts := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); r.Alerts.Run(alertCtx, alertTick) }()
		defer func() { stopAlerts(); <-done }()
	}
	if err := r.Bot.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// runCDR serves the CDR receiver on every replica and runs registration and pruning on the
// one holding the "cdr" lease. The returned func stops both and waits for them.
func (r *Runtime) runCDR(ctx context.Context) (func(), error) {
	ln := r.opts.CDRListener
	if ln == nil {
		var err error
		if ln, err = r.cdr.Listen(); err != nil {
			return nil, err
		}
	}
	cctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := r.cdr.Serve(cctx, ln); err != nil {
			r.opts.Logger.Error("CDR receiver stopped", "err", err)
		}
	})
	wg.Go(func() { r.cdr.RunLeader(cctx, r.Store, nil) })
	return func() { stop(); wg.Wait() }, nil
}

// storeHealth is the store's part of /healthz.
func (r *Runtime) storeHealth(ctx context.Context) *ops.StoreHealth {
	h := r.Store.Health(ctx)
	return &ops.StoreHealth{Engine: string(h.Engine), Reachable: h.OK, Leader: r.lead.Leading(), Error: h.Error}
}

// Close releases what New started (the emulator of CMS_NODES=sim, the store).
func (r *Runtime) Close() { r.release() }
