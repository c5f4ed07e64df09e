package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/ops"
)

func simCluster(t *testing.T) (*cmssim.Sim, *cms.Cluster) {
	t.Helper()
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2, Scenario: cmssim.ScenarioEmpty, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var nodes []*cms.Node
	for _, n := range sim.Nodes() {
		node, err := cms.NewNode(cms.NodeConfig{Name: n.Name, BaseURL: n.URL, Username: sim.Username, Password: sim.Password,
			HTTPClient: sim.HTTPClient(), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, node)
	}
	return sim, cms.NewCluster(nodes)
}

// An aborted /healthz request must not poison the cached answer: the probe runs on its own
// context, and a probe that did not finish is never cached (issue 12 item 6).
func TestHealthProbeIsNotPoisonedByAbortedRequests(t *testing.T) {
	sim, cluster := simCluster(t)
	p := &healthProbe{clusters: Clusters{{Cluster: cluster}}, ttl: time.Minute, base: context.Background()}
	for _, n := range p.nodes() {
		if !n.Reachable {
			t.Fatalf("node %s unreachable: %s", n.Name, n.Error)
		}
	}

	// A probe cut short by its own timeout answers unreachable once, and is not remembered.
	p = &healthProbe{clusters: Clusters{{Cluster: cluster}}, ttl: time.Minute, base: context.Background(), timeout: 20 * time.Millisecond}
	for _, n := range sim.Nodes() {
		sim.SetLatency(n.Name, time.Second)
	}
	for _, n := range p.nodes() {
		if n.Reachable {
			t.Errorf("node %s reachable through a probe that timed out", n.Name)
		}
	}
	for _, n := range sim.Nodes() {
		sim.SetLatency(n.Name, 0)
	}
	p.timeout = 0
	for _, n := range p.nodes() {
		if !n.Reachable {
			t.Errorf("node %s still unreachable after the nodes recovered: the timed-out probe was cached (%s)", n.Name, n.Error)
		}
	}

	// The run ending is no answer to cache either.
	base, cancel := context.WithCancel(context.Background())
	p = &healthProbe{clusters: Clusters{{Cluster: cluster}}, ttl: time.Minute, base: base}
	cancel()
	p.nodes()
	if p.last != nil {
		t.Errorf("a probe of an ended run was cached: %+v", p.last)
	}
}

// The same through /healthz: a client that gives up mid-probe leaves no "cancelled" answer for
// the next one.
func TestHealthzAfterAnAbortedProbe(t *testing.T) {
	sim, cluster := simCluster(t)
	b, err := bot.New(bot.Config{BotToken: "xoxb-test", AppToken: "xapp-test", Service: commands.New(commands.Config{Cluster: cluster})})
	if err != nil {
		t.Fatal(err)
	}
	// The background round serveOps starts at once, and then none for an hour: once its answer
	// is cached and stale, the impatient request below probes by itself. (Through startOps the
	// background round could be cached and fresh by then on a loaded machine, and the
	// impatient client got that answer at once.)
	p := &healthProbe{clusters: Clusters{{Cluster: cluster}}, ttl: time.Second, base: context.Background()}
	stop, addr, err := serveOps(context.Background(), "127.0.0.1:0", ops.NewRegistry(), b, p, time.Hour, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	url := "http://" + addr + "/healthz"
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		at := p.at
		p.mu.Unlock()
		if !at.IsZero() && time.Since(at) >= p.ttl {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background probe's answer was never cached")
		}
	}

	for _, n := range sim.Nodes() {
		sim.SetLatency(n.Name, 300*time.Millisecond)
	}
	impatient := &http.Client{Timeout: 50 * time.Millisecond}
	if resp, err := impatient.Get(url); err == nil {
		resp.Body.Close()
		t.Fatalf("the impatient probe got an answer (%s); it should have given up", resp.Status)
	}
	for _, n := range sim.Nodes() {
		sim.SetLatency(n.Name, 0)
	}
	time.Sleep(400 * time.Millisecond) // the abandoned probe finishes meanwhile
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Nodes []struct {
			Name      string `json:"name"`
			Reachable bool   `json:"reachable"`
			Error     string `json:"error"`
		} `json:"nodes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Nodes) != 2 {
		t.Fatalf("nodes = %+v, want 2", body.Nodes)
	}
	for _, n := range body.Nodes {
		if !n.Reachable {
			t.Errorf("node %s unreachable after an aborted probe: %q", n.Name, n.Error)
		}
	}
}
