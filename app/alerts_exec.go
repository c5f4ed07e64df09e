package app

import (
	"context"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// checkedAlerts answers `nfmm exec alerts`: every alert source checked once, now. A one-shot
// process has no history, so a condition younger than its delay shows as pending (and a
// recording that stopped before this run is not known).
type checkedAlerts struct {
	cfg     config.Alerts
	cluster alerts.Cluster
	// cdrLists reads every node's CDR receiver list (read-only) when history is on; else nil.
	cdrLists func(context.Context) []cms.CDRRegistration
}

// ActiveAlerts implements commands.Alerts.
func (c checkedAlerts) ActiveAlerts(ctx context.Context) *commands.AlertsResult {
	now := time.Now()
	list, errs := alerts.Check(ctx, alerts.Sources(sourceConfig(c.cfg, c.cluster, c.cdrLists, nil)), now)
	return alerts.Rows(list, errs, now)
}

// execAlerts is the one-shot check for cfg; with meeting history it reads every node's CDR
// receiver list too, without changing it.
func execAlerts(cfg config.Config, cluster *cms.Cluster) checkedAlerts {
	c := checkedAlerts{cfg: cfg.Alerts, cluster: cluster}
	if cfg.CDR.Enabled() {
		uriFor := cdrURIFor(cfg.CDR, config.DefaultCluster)
		c.cdrLists = func(ctx context.Context) []cms.CDRRegistration { return cluster.CheckCDRReceivers(ctx, uriFor) }
	}
	return c
}
