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
	var cdrFor func(Named) func(context.Context) []cms.CDRRegistration
	if history != nil {
		cdrFor = func(n Named) func(context.Context) []cms.CDRRegistration {
			return history.AlertRegistrations(n.Config.Name)
		}
	}
	opts := alertOptions(cfg, clusterSources(cfg.Alerts, clusters, cdrFor, time.Now), b, o.Logger, o.Audit, metrics, time.Now)
	opts.Clusters = clusters.Names() // nfmm_alerts_active{cluster, kind}
	// Alert state survives restarts in the store, and only the leader evaluates: every
	// replica runs the loop, the others' ticks do nothing until they lead.
	opts.Store, opts.Leader = newAlertStore(st), lead.Leading
	opts.AuditSink = storeAudit{st: st, log: o.Logger} // Ack and Silence in `/cms audit`
	ev := alerts.New(opts)
	b.SetAlerts(ev)
	return ev, nil
}

// alertOptions are the evaluator's options for cfg over sources.
func alertOptions(cfg config.Config, sources []alerts.Source, b *bot.Bot,
	logger *slog.Logger, audit io.Writer, metrics alerts.Metrics, clock func() time.Time) alerts.Options {
	return alerts.Options{
		Sources:  sources,
		Notifier: b.AlertNotifier(),
		Route:    func(k alerts.Key) string { return cfg.Alerts.ChannelFor(k.Kind) },
		Clock:    clock,
		Repeat:   cfg.Alerts.Repeat,
		Metrics:  metrics,
		Logger:   logger,
		Audit:    slog.New(slog.NewJSONHandler(audit, nil)).With("log", "audit"),
	}
}

// clusterSources are every cluster's alert sources, for the evaluator of nfmm run and the
// one-shot check of nfmm exec alike. Each alert's key (and fingerprint) names its cluster,
// "default" for CMS_NODES's, and a named cluster's headlines start "[emea]". cdrFor, when set
// (meeting history on), is each cluster's own CDR receiver lists.
func clusterSources(a config.Alerts, clusters Clusters, cdrFor func(Named) func(context.Context) []cms.CDRRegistration, clock func() time.Time) []alerts.Source {
	var out []alerts.Source
	for _, c := range clusters {
		var cdrLists func(context.Context) []cms.CDRRegistration
		if cdrFor != nil {
			cdrLists = cdrFor(c)
		}
		sc := sourceConfig(a, c.Cluster, cdrLists, clock)
		sc.ClusterName = c.Config.Name
		out = append(out, alerts.Sources(sc)...)
	}
	return out
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
