package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/internal/names"
)

// maxDiscoveryTime bounds peer discovery at start-up, whatever the per-request timeout: a
// cluster that does not answer delays the start by at most this, then runs with its
// configured nodes.
const maxDiscoveryTime = time.Minute

// discoverPeers returns configured plus the peers the cluster's /callBridges lists, when the
// cluster has discovery on (CMS_DISCOVER, CMS_<CLUSTER>_DISCOVER). template carries what every
// node of the cluster shares (TLS, timeout, concurrency, client). Every failure is logged and
// leaves the configured nodes alone: discovery never stops NFMM from starting.
func discoverPeers(ctx context.Context, cluster string, peers config.Peers, configured []*cms.Node,
	template cms.NodeConfig, log *slog.Logger) []*cms.Node {
	log, prefix := log.With("cluster", cluster), cmp.Or(peers.Prefix, "CMS_")
	var known []cms.NodeConfig
	for _, n := range configured {
		known = append(known, cms.NodeConfig{Name: n.Name(), BaseURL: n.BaseURL()})
	}
	dc := cms.DiscoverConfig{
		Configured: known,
		Port:       peers.Port,
		MaxNodes:   config.MaxNodes,
		ValidName: func(name string) error {
			if !names.Valid(name) {
				return fmt.Errorf("want %s (configure it under a name of your own in %sNODES)", names.Rule, prefix)
			}
			return nil
		},
		Node: func(name, _ string) cms.NodeConfig {
			c := template
			user, pass := peers.Auth(name)
			c.Username, c.Password = user, pass.Reveal()
			return c
		},
	}
	timeout := min(4*max(template.Timeout, time.Second), maxDiscoveryTime)
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	d, err := cms.Discover(dctx, configured, dc)
	for _, f := range d.Failed {
		log.Warn("peer discovery: a configured node could not list its cluster's call bridges", "node", f.Node, "err", f.Err)
	}
	if err != nil {
		log.Error("peer discovery failed: using the configured nodes only", "configured", len(configured), "err", err)
		return configured
	}
	out := slices.Clone(configured)
	found := map[string]bool{}
	for _, f := range d.Found {
		found[names.EnvKey(f.Name)] = true
		switch {
		case f.Use:
			if f.Config.Username == "" || f.Config.Password == "" {
				log.Warn("peer discovery: left out a peer without credentials", "node", f.Name,
					"fix", fmt.Sprintf("set %sUSERNAME/%sPASSWORD or %s%s_PASSWORD", prefix, prefix, prefix, names.EnvKey(f.Name)))
				continue
			}
			n, err := cms.NewNode(f.Config)
			if err != nil {
				log.Warn("peer discovery: left out a peer NFMM cannot call", "node", f.Name, "err", err)
				continue
			}
			log.Info("peer discovery: added a node", "node", f.Name, "url", f.Config.BaseURL, "from", d.From)
			out = append(out, n)
		case f.Unusable:
			log.Warn("peer discovery: left out a peer", "node", f.Name, "address", f.Address, "reason", f.Reason)
		default:
			log.Debug("peer discovery: peer already configured", "node", f.Name, "reason", f.Reason)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(peers.Nodes)) {
		if !found[key] {
			log.Warn("peer discovery: a per-node override names no configured or discovered node",
				"variable", prefix+key+"_PASSWORD/_USERNAME")
		}
	}
	log.Info("peer discovery done", "from", d.From, "listed", len(d.Found), "configured", len(configured),
		"added", len(out)-len(configured), "took", time.Since(start).Round(time.Millisecond))
	return out
}
