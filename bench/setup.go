package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
)

// params are the knobs every latency scenario shares (issue 7: page cap 10, 25 ms a request,
// 8 requests in flight per node).
type params struct {
	Latency time.Duration
	PageCap int
	K       int // per-node concurrency cap
	// NoBaseline skips the sequential baseline (diagnostic runs at a long latency).
	NoBaseline bool
}

var defaultParams = params{Latency: 25 * time.Millisecond, PageCap: 10, K: 8}

// env is one emulated cluster with NFMM's client over it.
type env struct {
	p       params
	sim     *cmssim.Sim
	cluster *cms.Cluster
}

func startSim(p params, opts cmssim.Options) (*cmssim.Sim, error) {
	opts.PageCaps = map[string]int{"calls": p.PageCap, "callLegs": p.PageCap, "participants": p.PageCap,
		"callBridges": p.PageCap, "coSpaces": p.PageCap}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	return cmssim.Start(opts)
}

// newEnv starts the emulator, applies the latency to every node and builds the cluster with
// `nfmm run`'s wiring (package app: each node with its own transport and the configured cap).
func newEnv(p params, opts cmssim.Options) (*env, error) {
	sim, err := startSim(p, opts)
	if err != nil {
		return nil, err
	}
	e := &env{p: p, sim: sim}
	for _, n := range sim.Nodes() {
		sim.SetLatency(n.Name, p.Latency)
	}
	cfg := config.Config{Nodes: app.SimNodes(sim), CMSTimeout: 30 * time.Second, CMSConcurrency: p.K}
	if e.cluster, _, err = app.NewCluster(context.Background(), cfg, app.Options{}); err != nil {
		sim.Close()
		return nil, err
	}
	return e, nil
}

func (e *env) Close() { e.sim.Close() }

// counters reads the emulator's request count (all nodes) and the highest per-node in-flight
// count since the last reset.
func (e *env) counters() (requests, maxInFlight int) {
	for _, n := range e.sim.Nodes() {
		requests += e.sim.Requests(n.Name)
		maxInFlight = max(maxInFlight, e.sim.MaxInFlight(n.Name))
	}
	return requests, maxInFlight
}

// addCallsLoad gives every one of nodes nodes perNode call instances: perNode/5 meetings span
// every node (one participant on each), the rest are single-node meetings of two people.
func addCallsLoad(sim *cmssim.Sim, perNode int) {
	infos := sim.Nodes()
	shared := perNode / 5
	if len(infos) == 1 {
		shared = 0
	}
	for i := range shared {
		var ps []cmssim.ParticipantSpec
		for j, n := range infos {
			ps = append(ps, cmssim.ParticipantSpec{Name: fmt.Sprintf("Shared %d person %d", i, j), Node: n.Name})
		}
		sim.AddMeeting(cmssim.MeetingSpec{Name: fmt.Sprintf("All-hands %03d", i), Participants: ps})
	}
	for _, n := range infos {
		for i := range perNode - shared {
			sim.AddMeeting(cmssim.MeetingSpec{Name: fmt.Sprintf("%s meeting %03d", n.Name, i),
				Participants: []cmssim.ParticipantSpec{
					{Name: fmt.Sprintf("%s host %d", n.Name, i), Node: n.Name},
					{Name: fmt.Sprintf("%s guest %d", n.Name, i), Node: n.Name},
				}})
		}
	}
}

// addBigMeeting adds one meeting of size participants spread round-robin over every node.
func addBigMeeting(sim *cmssim.Sim, name string, size int) cmssim.MeetingInfo {
	infos := sim.Nodes()
	ps := make([]cmssim.ParticipantSpec, size)
	for i := range ps {
		ps[i] = cmssim.ParticipantSpec{Name: fmt.Sprintf("Person %03d", i+1), Node: infos[i%len(infos)].Name}
	}
	return sim.AddMeeting(cmssim.MeetingSpec{Name: name, Participants: ps})
}

// simClient is a plain client for the emulator, used by the sequential baseline.
func simClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}, Timeout: 30 * time.Second}
}
