package app

import (
	"context"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
)

// demoOutageFor is how long a demo outage lasts: longer than NFMM_ALERT_NODE_DOWN_AFTER, so
// the alert fires, and short enough to watch it resolve.
const demoOutageFor = time.Minute

// demoAlerts sends every alert kind but poor media to the demo channel: the demo's meetings
// always have a few participants on bad networks, and a dozen poor-media messages would bury
// the rest (`/cms alerts` still lists them).
func demoAlerts() config.Alerts {
	var kinds []alerts.Kind
	for _, k := range alerts.Kinds {
		if k != alerts.KindPoorMedia {
			kinds = append(kinds, k)
		}
	}
	return config.Alerts{
		Routes:        []config.AlertRoute{{Kinds: kinds, Channel: DemoChannel}},
		NodeDownAfter: alerts.DefaultNodeDownAfter,
		MediaAfter:    alerts.DefaultMediaAfter,
		Repeat:        alerts.DefaultRepeat,
	}
}

// demoOutages takes the last call bridge down for length every period until ctx ends, and
// brings it back up when ctx ends.
func demoOutages(ctx context.Context, sim *cmssim.Sim, period, length time.Duration) {
	nodes := sim.Nodes()
	victim := nodes[len(nodes)-1].Name
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			sim.SetDown(victim, false)
			return
		case <-t.C:
		}
		sim.SetDown(victim, true)
		select {
		case <-ctx.Done():
			sim.SetDown(victim, false)
			return
		case <-time.After(length):
		}
		sim.SetDown(victim, false)
	}
}
