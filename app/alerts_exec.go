package app

import (
	"context"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// checkedAlerts answers `nfmm exec alerts`: every alert source checked once, now. A one-shot
// process has no history, so a condition younger than its delay shows as pending (and a
// recording that stopped before this run is not known).
type checkedAlerts struct {
	cfg     config.Alerts
	cluster alerts.Cluster
}

// ActiveAlerts implements commands.Alerts.
func (c checkedAlerts) ActiveAlerts(ctx context.Context) *commands.AlertsResult {
	now := time.Now()
	list, errs := alerts.Check(ctx, alerts.Sources(alerts.SourceConfig{Cluster: c.cluster,
		NodeDownAfter: c.cfg.NodeDownAfter, MediaAfter: c.cfg.MediaAfter, MeetingMax: c.cfg.MeetingMax, NodeShare: c.cfg.NodeShare}), now)
	return alerts.Rows(list, errs, now)
}
