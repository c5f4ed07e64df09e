package main

import (
	"context"
	"errors"
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
func cmdRun(ctx context.Context, args []string, _, stderr io.Writer) int {
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
	if err := runBot(ctx, cfg, logger, stderr); err != nil {
		logger.Error("nfmm stopped", "err", err)
		return 1
	}
	return 0
}

// runBot wires cluster -> commands -> bot and runs the bot until ctx is done.
func runBot(ctx context.Context, cfg config.Config, logger *slog.Logger, stderr io.Writer) error {
	reg := ops.NewRegistry()
	metrics, err := ops.NewMetrics(reg)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	cluster, release, err := newCluster(ctx, cfg, logger, metrics.ObserveCMS)
	if err != nil {
		return fmt.Errorf("CMS: %w", err)
	}
	defer release()
	// Audit records are JSON on stderr (the record of truth), tagged so a log pipeline can route
	// them, and, with NFMM_AUDIT_CHANNEL, also a line each in that channel.
	var auditHandler slog.Handler = slog.NewJSONHandler(stderr, nil)
	var auditFeed *bot.AuditHandler
	if cfg.AuditChannel != "" {
		auditFeed = bot.NewAuditHandler(cfg.AuditChannel, 0, logger)
		auditHandler = slog.NewMultiHandler(auditHandler, auditFeed)
	}
	svc := commands.New(commands.Config{
		Cluster: cluster,
		Policy:  commands.Policy{Operators: cfg.Operators, Viewers: cfg.Viewers, Channels: cfg.Channels},
		Audit:   slog.New(auditHandler).With("log", "audit"),
		Logger:  logger,
	})
	b, err := bot.New(bot.Config{
		BotToken: cfg.SlackBotToken.Reveal(),
		AppToken: cfg.SlackAppToken.Reveal(),
		APIURL:   cfg.SlackAPIURL,
		Service:  svc,
		Logger:   logger,
		Metrics:  metrics,

		Reports:     botReports(cfg.Reports),
		ReportQuiet: cfg.ReportQuiet,
		ReportsOff:  cfg.ReportsDisabled,

		UserGroups: bot.UserGroupIDs(cfg.Operators, cfg.Viewers),
		Audit:      auditFeed,
	})
	if err != nil {
		return err
	}
	stopOps, err := startOps(ctx, cfg, reg, b, cluster, logger)
	if err != nil {
		return err
	}
	defer stopOps()
	logger.Info("nfmm starting", "version", version, "cms_nodes", len(cluster.Nodes()), "reports", len(cfg.Reports), "reports_off", cfg.ReportsDisabled,
		"user_groups", len(bot.UserGroupIDs(cfg.Operators, cfg.Viewers)), "audit_channel", cfg.AuditChannel != "")
	if err := b.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func botReports(rs []config.Report) []bot.Report {
	out := make([]bot.Report, 0, len(rs))
	for _, r := range rs {
		out = append(out, bot.Report{Spec: r.Spec, Channel: r.Channel})
	}
	return out
}

// startOps serves /healthz and /metrics on NFMM_HTTP_ADDR (unless off); a busy port stops
// start-up. The returned func shuts the endpoint down gracefully.
func startOps(ctx context.Context, cfg config.Config, reg *prometheus.Registry, b *bot.Bot, cluster *cms.Cluster, logger *slog.Logger) (func(), error) {
	if cfg.HTTPAddr == "" {
		return func() {}, nil
	}
	probe := &healthProbe{cluster: cluster, ttl: 5 * time.Second}
	health := func(ctx context.Context) ops.HealthReport {
		return ops.HealthReport{Slack: ops.SlackHealth{Connected: b.Connected()}, Nodes: probe.nodes(ctx)}
	}
	srv := ops.NewServer(cfg.HTTPAddr, health, reg, logger)
	if err := srv.Start(ctx); err != nil {
		return nil, err
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			logger.Warn("operations endpoint shutdown", "err", err)
		}
	}, nil
}

// healthProbe caches the nodes' reachability for ttl, so frequent probes (kubelet, curl
// loops) do not turn into a stream of CMS requests.
type healthProbe struct {
	cluster *cms.Cluster
	ttl     time.Duration

	mu   sync.Mutex
	at   time.Time
	last []ops.NodeHealth
}

func (p *healthProbe) nodes(ctx context.Context) []ops.NodeHealth {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last != nil && time.Since(p.at) < p.ttl {
		return p.last
	}
	var out []ops.NodeHealth
	for _, st := range p.cluster.Status(ctx) {
		h := ops.NodeHealth{Name: st.Node, Reachable: st.Err == nil}
		if st.Err != nil {
			h.Error = commands.UserMessage(st.Err)
		}
		out = append(out, h)
	}
	p.at, p.last = time.Now(), out
	return out
}
