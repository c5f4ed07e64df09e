package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
)

// newCluster builds the CMS cluster the configuration names: the configured call bridges, or,
// for CMS_NODES=sim / sim:N, an in-process emulator seeded with the demo meetings. The returned
// func releases what it started.
func newCluster(ctx context.Context, cfg config.Config, logger *slog.Logger, observe func(cms.RequestStat)) (*cms.Cluster, func(), error) {
	if cfg.SimNodes > 0 {
		return newSimCluster(cfg, logger, observe)
	}
	nodes := make([]*cms.Node, 0, len(cfg.Nodes))
	for _, n := range cfg.Nodes {
		node, err := cms.NewNode(cms.NodeConfig{
			Name:               n.Name,
			BaseURL:            n.URL,
			Username:           n.Username,
			Password:           n.Password.Reveal(),
			CAFile:             cfg.CAFile,
			InsecureSkipVerify: cfg.InsecureSkipVerify,
			Timeout:            cfg.CMSTimeout,
			MaxConcurrency:     cfg.CMSConcurrency,
			Observe:            observe,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		nodes = append(nodes, node)
	}
	if cfg.InsecureSkipVerify {
		logger.Warn("TLS certificate verification to CMS is OFF (CMS_INSECURE_SKIP_VERIFY): anyone on the path can impersonate the call bridges")
	}
	return cms.NewCluster(nodes), func() {}, nil
}

func newSimCluster(cfg config.Config, logger *slog.Logger, observe func(cms.RequestStat)) (*cms.Cluster, func(), error) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: cfg.SimNodes, Scenario: cmssim.ScenarioDemo, Seed: 1})
	if err != nil {
		return nil, nil, fmt.Errorf("start the CMS emulator: %w", err)
	}
	var nodes []*cms.Node
	for _, n := range sim.Nodes() {
		node, err := cms.NewNode(cms.NodeConfig{
			Name:           n.Name,
			BaseURL:        n.URL,
			Username:       sim.Username,
			Password:       sim.Password,
			HTTPClient:     sim.HTTPClient(),
			Timeout:        cfg.CMSTimeout,
			MaxConcurrency: cfg.CMSConcurrency,
			Observe:        observe,
		})
		if err != nil {
			sim.Close()
			return nil, nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		nodes = append(nodes, node)
	}
	logger.Info("using the built-in CMS emulator", "nodes", len(nodes))
	return cms.NewCluster(nodes), sim.Close, nil
}
