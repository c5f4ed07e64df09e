package app

import (
	"cmp"
	"context"
	"fmt"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// Named is one configured cluster, built: its configuration (name, roles) and its cms.Cluster.
type Named struct {
	Config  config.Cluster
	Cluster *cms.Cluster
}

// Clusters are every configured cluster, in configuration order (one with CMS_NODES).
type Clusters []Named

// Names lists the clusters' names.
func (cs Clusters) Names() []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Config.Name
	}
	return out
}

// commands is the clusters as the command service takes them.
func (cs Clusters) commands() []commands.NamedCluster {
	out := make([]commands.NamedCluster, len(cs))
	for i, c := range cs {
		out[i] = commands.NamedCluster{Name: c.Config.Name, Cluster: c.Cluster, Operators: c.Config.Operators, Viewers: c.Config.Viewers}
	}
	return out
}

// NewClusters builds every cluster the configuration names (NewCluster for each). observe,
// when set, sees each request with the name of its cluster.
func NewClusters(ctx context.Context, cfg config.Config, o Options, observe func(cluster string, st cms.RequestStat)) (Clusters, func(), error) {
	var (
		out      Clusters
		releases []func()
	)
	release := func() {
		for _, r := range releases {
			r()
		}
	}
	for i, cc := range cfg.ClusterList() {
		one := only(cfg, cc)
		co := o
		co.simSeed = int64(1 + i) // each emulated cluster its own meetings
		co.cluster = cc.Name
		if observe != nil {
			co.Observe = func(st cms.RequestStat) { observe(cc.Name, st) }
		}
		c, r, err := NewCluster(ctx, one, co)
		if err != nil {
			release()
			if len(cfg.Clusters) > 0 {
				return nil, nil, fmt.Errorf("cluster %s: %w", cc.Name, err)
			}
			return nil, nil, err
		}
		releases = append(releases, r)
		out = append(out, Named{Config: cc, Cluster: c})
	}
	return out, release, nil
}

// only is cfg with cc as its one cluster, in the flat fields NewCluster reads.
func only(cfg config.Config, cc config.Cluster) config.Config {
	cfg.Clusters = nil
	cfg.Nodes, cfg.SimNodes, cfg.CAFile, cfg.InsecureSkipVerify = cc.Nodes, cc.SimNodes, cc.CAFile, cc.InsecureSkipVerify
	cfg.CMSTimeout, cfg.CMSConcurrency = cc.Timeout, cc.Concurrency
	cfg.Discover, cfg.Peers = cc.Discover, cc.Peers
	return cfg
}

// NewCluster builds the CMS cluster the configuration names (with CMS_CLUSTERS, the first): the configured call bridges, or,
// for CMS_NODES=sim / sim:N, an in-process emulator seeded with the demo meetings. It does no
// network I/O, except peer discovery when CMS_DISCOVER is on (discover.go). The returned func
// releases what it started.
func NewCluster(ctx context.Context, cfg config.Config, o Options) (*cms.Cluster, func(), error) {
	o = o.withDefaults()
	if len(cfg.Clusters) > 0 {
		o.cluster = cmp.Or(o.cluster, cfg.Clusters[0].Name)
		cfg = only(cfg, cfg.Clusters[0])
	}
	if cfg.SimNodes > 0 {
		return newSimCluster(ctx, cfg, o)
	}
	// What every node of the cluster shares, configured or discovered.
	template := cms.NodeConfig{
		CAFile:             cfg.CAFile,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
		HTTPClient:         o.HTTPClient,
		Timeout:            cfg.CMSTimeout,
		MaxConcurrency:     cfg.CMSConcurrency,
		Observe:            o.Observe,
	}
	nodes := make([]*cms.Node, 0, len(cfg.Nodes))
	for _, n := range cfg.Nodes {
		nc := template
		nc.Name, nc.BaseURL, nc.Username, nc.Password = n.Name, n.URL, n.Username, n.Password.Reveal()
		node, err := cms.NewNode(nc)
		if err != nil {
			return nil, nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		nodes = append(nodes, node)
	}
	if cfg.Discover {
		nodes = discoverPeers(ctx, cmp.Or(o.cluster, config.DefaultCluster), cfg.Peers, nodes, template, o.Logger)
	}
	if cfg.InsecureSkipVerify {
		o.Logger.Warn("TLS certificate verification to CMS is OFF (CMS_INSECURE_SKIP_VERIFY): anyone on the path can impersonate the call bridges")
	}
	return cms.NewCluster(nodes), func() {}, nil
}

func newSimCluster(ctx context.Context, cfg config.Config, o Options) (*cms.Cluster, func(), error) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: cfg.SimNodes, Scenario: cmssim.ScenarioDemo, Seed: max(o.simSeed, 1), Live: o.SimLive})
	if err != nil {
		return nil, nil, fmt.Errorf("start the CMS emulator: %w", err)
	}
	cfg.SimNodes, cfg.Nodes = 0, SimNodes(sim)
	if o.HTTPClient == nil {
		o.HTTPClient = sim.HTTPClient()
	}
	cluster, _, err := NewCluster(ctx, cfg, o)
	if err != nil {
		sim.Close()
		return nil, nil, err
	}
	o.Logger.Info("using the built-in CMS emulator", "nodes", len(cluster.Nodes()))
	return cluster, sim.Close, nil
}

// SimNodes are a running emulator's call bridges as configured CMS nodes, so the harnesses
// (demo, bench, soak, e2e) build their cluster exactly as `nfmm run` does.
func SimNodes(sim *cmssim.Sim) []config.Node {
	var out []config.Node
	for _, n := range sim.Nodes() {
		out = append(out, config.Node{Name: n.Name, URL: n.URL, Username: sim.Username, Password: config.Secret(sim.Password)})
	}
	return out
}
