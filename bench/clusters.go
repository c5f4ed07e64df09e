package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"text/tabwriter"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
)

// Scenario 7, `calls @all` (issue 19): three clusters of 8 nodes each, far apart (each its own
// latency) and unequally busy. Clusters are independent, so reading all of them can beat
// neither cluster's own bound, and the bound of the whole is the slowest cluster's:
//
//	bound = max over clusters c of L_c × callsRounds(c)
//
// The scenario also times each cluster alone (`calls @<c>`), so the table shows what @all
// costs next to the slowest single cluster, measured in the same run.

// clusterLoad is one cluster of the scenario.
type clusterLoad struct {
	name    string
	latency time.Duration
	perNode int // call instances per node
}

// allClusters: emea is the busiest (the 8-node × 50 load of scenario 1), apac the farthest.
// With a page cap of 10 and K = 8 their bounds are 8 RTT × 25 ms = 200 ms, 5 × 40 = 200 ms and
// 4 × 60 = 240 ms: the slowest cluster is not the one with the most round trips.
var allClusters = []clusterLoad{
	{"emea", 25 * time.Millisecond, 50},
	{"amer", 40 * time.Millisecond, 30},
	{"apac", 60 * time.Millisecond, 20},
}

const clusterNodes = 8

// multiEnv is several emulated clusters, each with NFMM's client over it.
type multiEnv struct {
	loads []clusterLoad
	envs  []*env
}

func newMultiEnv(p params, loads []clusterLoad) (*multiEnv, error) {
	m := &multiEnv{loads: loads}
	for _, l := range loads {
		q := p
		q.Latency = l.latency
		e, err := newEnv(q, cmssim.Options{Cluster: l.name, Nodes: clusterNodes})
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("cluster %s: %w", l.name, err)
		}
		addCallsLoad(e.sim, l.perNode)
		m.envs = append(m.envs, e)
	}
	return m, nil
}

func (m *multiEnv) Close() {
	for _, e := range m.envs {
		e.Close()
	}
}

func (m *multiEnv) resetCounters() {
	for _, e := range m.envs {
		e.sim.ResetCounters()
	}
}

func (m *multiEnv) counters() (requests, maxInFlight int) {
	for _, e := range m.envs {
		r, f := e.counters()
		requests, maxInFlight = requests+r, max(maxInFlight, f)
	}
	return requests, maxInFlight
}

// bound is the slowest cluster's round-trip bound, its round trips and its name.
func (m *multiEnv) bound(p params) (time.Duration, int, string) {
	lat := make([]time.Duration, len(m.envs))
	perNode := make([][]int, len(m.envs))
	for i, e := range m.envs {
		lat[i], perNode[i] = m.loads[i].latency, instancesPerNode(e.sim)
	}
	d, rtt, i := slowestBound(lat, perNode, p.PageCap, p.K)
	return d, rtt, m.loads[i].name
}

// slowestBound is the bound of reading independent clusters at once: the largest of their
// own bounds, L_c × callsRounds(c). It returns that bound, its round trips and its cluster.
func slowestBound(latency []time.Duration, perNode [][]int, p, k int) (time.Duration, int, int) {
	var worst time.Duration
	rtt, at := 0, 0
	for i := range latency {
		r := callsRounds(perNode[i], p, k)
		if d := latency[i] * timeMul(r); d > worst {
			worst, rtt, at = d, r, i
		}
	}
	return worst, rtt, at
}

// clustersRow is scenario 7's result.
type clustersRow struct {
	row
	Slowest      string          // the cluster whose bound is the bound
	Alone        []time.Duration // each cluster's `calls` alone, median
	AloneBounds  []time.Duration
	AloneRTT     []int
	SlowestAlone time.Duration // the longest of Alone
}

// allService is one command service over every cluster, as `nfmm run` builds it with
// CMS_CLUSTERS: each cluster by name, the bench's actor an operator everywhere.
func (m *multiEnv) allService() *commands.Service {
	var named []commands.NamedCluster
	for i, e := range m.envs {
		named = append(named, commands.NamedCluster{Name: m.loads[i].name, Cluster: e.cluster})
	}
	return commands.New(commands.Config{Cluster: named[0].Cluster, Clusters: named,
		Policy: commands.Policy{Operators: benchConfig.Operators}})
}

// allCalls runs `calls @all` and checks that every meeting of every cluster came back, each
// under its cluster.
func allCalls(ctx context.Context, svc *commands.Service, want map[string]int) error {
	res, err := svc.Run(ctx, benchActor, "calls @all")
	if err != nil {
		return err
	}
	cr := res.(*commands.CallsResult)
	got := map[string]int{}
	for _, m := range cr.Meetings {
		got[m.Cluster]++
	}
	if len(cr.Unreachable) > 0 || !maps.Equal(got, want) {
		return fmt.Errorf("calls @all: meetings per cluster %v, %d unreachable; want %v, 0", got, len(cr.Unreachable), want)
	}
	return nil
}

func runClusters(ctx context.Context, p params, runs int) (clustersRow, error) {
	m, err := newMultiEnv(p, allClusters)
	if err != nil {
		return clustersRow{}, err
	}
	defer m.Close()
	var svcs []*commands.Service
	var want []int
	all := map[string]int{}
	for i, e := range m.envs {
		svcs = append(svcs, newService(e))
		want = append(want, len(e.sim.Meetings()))
		all[m.loads[i].name] = want[i]
	}
	svc := m.allService()
	var out clustersRow
	for i, e := range m.envs {
		r, err := e.measure(ctx, runs, nil, func(ctx context.Context) error { return checkCalls(ctx, svcs[i], want[i]) })
		if err != nil {
			return clustersRow{}, fmt.Errorf("cluster %s alone: %w", m.loads[i].name, err)
		}
		rtt := callsRounds(instancesPerNode(e.sim), p.PageCap, p.K)
		out.Alone = append(out.Alone, r.Wall)
		out.AloneRTT = append(out.AloneRTT, rtt)
		out.AloneBounds = append(out.AloneBounds, m.loads[i].latency*timeMul(rtt))
		out.SlowestAlone = max(out.SlowestAlone, r.Wall)
	}
	r, err := measureWith(ctx, m, p.K, runs, nil, func(ctx context.Context) error { return allCalls(ctx, svc, all) })
	if err != nil {
		return clustersRow{}, fmt.Errorf("@all: %w", err)
	}
	out.row = r
	out.Name = fmt.Sprintf("7 calls @all (%d clusters × %d nodes)", len(m.envs), clusterNodes)
	out.Bound, out.BoundRTT, out.Slowest = m.bound(p)
	return out, nil
}

func printClusters(w io.Writer, r clustersRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cluster\tnodes × calls\tlatency\tbound (RTT)\tcalls alone\t× bound\t")
	for i, l := range allClusters {
		fmt.Fprintf(tw, "%s\t%d × %d\t%v\t%v (%d)\t%v\t%.2f\t\n", l.name, clusterNodes, l.perNode, l.latency,
			r.AloneBounds[i], r.AloneRTT[i], r.Alone[i].Round(time.Millisecond), ratio(r.Alone[i], r.AloneBounds[i]))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\twall\tCMS req\tbound (slowest cluster)\t× bound\tslowest alone\t× slowest alone\tmax in flight/node\tCPU/run\t")
	fmt.Fprintf(tw, "%s\t%v\t%d\t%v (%s, %d RTT)\t%.2f\t%v\t%.2f\t%d/%d\t%v\t\n", r.Name, r.Wall.Round(time.Millisecond),
		r.Requests, r.Bound, r.Slowest, r.BoundRTT, r.vsBound(), r.SlowestAlone.Round(time.Millisecond),
		ratio(r.Wall, r.SlowestAlone), r.MaxInFlight, r.K, r.CPU.Round(time.Millisecond))
	tw.Flush()
	fmt.Fprintln(w)
}
