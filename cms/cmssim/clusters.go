package cmssim

import (
	"fmt"
	"strings"
)

// Clusters is several emulated CMS clusters side by side, as a deployment with one cluster per
// region or tenant has them. Each is a Sim of its own: its own nodes, database, meetings,
// Events API and faults. Nothing is shared, so a peer of one never appears in another's
// /callBridges. All methods are safe for concurrent use.
type Clusters struct {
	names []string
	sims  []*Sim
}

// StartClusters starts one Sim per entry of opts, in order. Each entry must name its cluster
// (Options.Cluster), names must differ in any case, and its nodes are then <Cluster>-cb1…, so
// node names never collide across clusters. An entry without a Seed gets its position (1, 2,
// …); ids differ between clusters whatever the seeds. On any error the clusters already
// started are closed.
func StartClusters(opts ...Options) (*Clusters, error) {
	if len(opts) == 0 {
		return nil, fmt.Errorf("cmssim: StartClusters needs at least one cluster")
	}
	c := &Clusters{}
	seen := map[string]bool{}
	for i, o := range opts {
		key := strings.ToLower(o.Cluster)
		switch {
		case o.Cluster == "":
			c.Close()
			return nil, fmt.Errorf("cmssim: cluster %d has no name (Options.Cluster)", i+1)
		case seen[key]:
			c.Close()
			return nil, fmt.Errorf("cmssim: cluster %q appears twice", o.Cluster)
		}
		seen[key] = true
		if o.Seed == 0 {
			o.Seed = int64(i + 1)
		}
		s, err := Start(o)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.names, c.sims = append(c.names, o.Cluster), append(c.sims, s)
	}
	return c, nil
}

// Names lists the clusters in the order they were started.
func (c *Clusters) Names() []string { return append([]string(nil), c.names...) }

// All returns the running clusters in the order they were started.
func (c *Clusters) All() []*Sim { return append([]*Sim(nil), c.sims...) }

// Cluster returns the cluster of that name (any case).
func (c *Clusters) Cluster(name string) (*Sim, bool) {
	for i, n := range c.names {
		if strings.EqualFold(n, name) {
			return c.sims[i], true
		}
	}
	return nil, false
}

// Close stops every cluster.
func (c *Clusters) Close() {
	for _, s := range c.sims {
		s.Close()
	}
}
