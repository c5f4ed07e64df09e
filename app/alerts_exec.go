package app

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// checkedAlerts answers `nfmm exec alerts`: every alert source of every cluster checked once,
// now. A one-shot process has no history, so a condition younger than its delay shows as
// pending (and a recording that stopped before this run is not known).
type checkedAlerts struct {
	cfg      config.Alerts
	clusters Clusters
	// cdrFor reads a cluster's CDR receiver lists (read-only) when history is on; else nil.
	cdrFor func(Named) func(context.Context) []cms.CDRRegistration
}

// ActiveAlerts implements commands.Alerts. The clusters are checked at once, so a slow one
// does not add to the others; the list keeps the configuration's order of clusters.
func (c checkedAlerts) ActiveAlerts(ctx context.Context) *commands.AlertsResult {
	now := time.Now()
	lists := make([][]alerts.Alert, len(c.clusters))
	errs := make([][]error, len(c.clusters))
	var wg sync.WaitGroup
	for i, cl := range c.clusters {
		wg.Go(func() { lists[i], errs[i] = alerts.Check(ctx, clusterSources(c.cfg, Clusters{cl}, c.cdrFor, nil), now) })
	}
	wg.Wait()
	return alerts.Rows(slices.Concat(lists...), slices.Concat(errs...), now)
}

// execAlerts is the one-shot check of every cluster for cfg, as `nfmm run`'s evaluator sees
// them: each alert names its cluster. With meeting history it reads each cluster's CDR
// receiver lists too (with that cluster's URI), without changing them.
func execAlerts(cfg config.Config, clusters Clusters) checkedAlerts {
	c := checkedAlerts{cfg: cfg.Alerts, clusters: clusters}
	if cfg.CDR.Enabled() {
		c.cdrFor = func(n Named) func(context.Context) []cms.CDRRegistration {
			uriFor := cdrURIFor(cfg.CDR, n.Config.Name)
			return func(ctx context.Context) []cms.CDRRegistration { return n.Cluster.CheckCDRReceivers(ctx, uriFor) }
		}
	}
	return c
}
