package app

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/bot"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/ops"
	"github.com/nfmm/nfmm/store"
	"github.com/prometheus/client_golang/prometheus"
)

// alertTick is how often the evaluator looks at its sources and queue; each source keeps its
// own interval (node probes every 2 s), so this bounds the delay after a source sees a change.
const alertTick = time.Second

// newAlerts builds the alert evaluator when NFMM_ALERT_CHANNEL or NFMM_ALERT_ROUTES is set
// and attaches it to the bot; nil when alerts are off. The state is in memory (alerts.MemoryStore):
// a restart forgets the alerts until the store package is wired into the runtime.
// With meeting history (history not nil), a node whose CDR receiver list is full alerts too.
func newAlerts(cfg config.Config, clusters Clusters, b *bot.Bot, reg prometheus.Registerer, o Options, st *store.Store, lead *leadership, history *CDRRuntime) (*alerts.Evaluator, error) {
	if !cfg.Alerts.Enabled() {
		return nil, nil
	}
	metrics, err := ops.NewAlertMetrics(reg)
	if err != nil {
		return nil, err
	}
	var cdrLists func(context.Context) []cms.CDRRegistration
	if history != nil {
		cdrLists = history.AlertRegistrations("")
	}
	opts := alertOptions(cfg, clusters[0].Cluster, cdrLists, b, o.Logger, o.Audit, metrics, time.Now)
	// Every cluster's sources feed the one evaluator; each alert's key (and fingerprint) names
	// its cluster, "default" for CMS_NODES's; each reads its own cluster's CDR receiver lists.
	opts.Sources = nil
	for _, c := range clusters {
		opts.Clusters = append(opts.Clusters, c.Config.Name) // nfmm_alerts_active{cluster, kind}
		sc := sourceConfig(cfg.Alerts, c.Cluster, nil, time.Now)
		if history != nil {
			sc.CDRReceivers = history.AlertRegistrations(c.Config.Name)
		}
		sc.ClusterName = c.Config.Name
		opts.Sources = append(opts.Sources, alerts.Sources(sc)...)
	}
	// Alert state survives restarts in the store, and only the leader evaluates: every
	// replica runs the loop, the others' ticks do nothing until they lead.
	opts.Store, opts.Leader = newAlertStore(st), lead.Leading
	opts.AuditSink = storeAudit{st: st, log: o.Logger} // Ack and Silence in `/cms audit`
	ev := alerts.New(opts)
	b.SetAlerts(ev)
	return ev, nil
}

// alertOptions are the evaluator's options for cfg.
func alertOptions(cfg config.Config, cluster alerts.Cluster, cdrLists func(context.Context) []cms.CDRRegistration, b *bot.Bot,
	logger *slog.Logger, audit io.Writer, metrics alerts.Metrics, clock func() time.Time) alerts.Options {
	return alerts.Options{
		Sources:  alerts.Sources(sourceConfig(cfg.Alerts, cluster, cdrLists, clock)),
		Notifier: b.AlertNotifier(),
		Route:    func(k alerts.Key) string { return cfg.Alerts.ChannelFor(k.Kind) },
		Clock:    clock,
		Repeat:   cfg.Alerts.Repeat,
		Metrics:  metrics,
		Logger:   logger,
		Audit:    slog.New(slog.NewJSONHandler(audit, nil)).With("log", "audit"),
	}
}

// sourceConfig is the alert sources' configuration: the same for the evaluator of nfmm run
// and the one-shot check of nfmm exec. cdrLists is nil without meeting history.
func sourceConfig(a config.Alerts, cluster alerts.Cluster, cdrLists func(context.Context) []cms.CDRRegistration, clock func() time.Time) alerts.SourceConfig {
	return alerts.SourceConfig{
		Cluster: cluster, Clock: clock, CDRReceivers: cdrLists,
		NodeDownAfter: a.NodeDownAfter, MediaAfter: a.MediaAfter,
		MeetingMax: a.MeetingMax, NodeShare: a.NodeShare,
	}
}
