package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cdr"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// oneCluster is the single default cluster CMS_NODES configures, as Clusters.
func oneCluster(c *cms.Cluster) Clusters {
	return Clusters{{Config: config.Cluster{Name: config.DefaultCluster}, Cluster: c}}
}

// TestCDRRegistrationReportsFullNodes: a node whose four slots hold other tools' receivers is
// logged as an error with its whole list, is left alone, and shows as full in status.
func TestCDRRegistrationReportsFullNodes(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	for i := range 4 {
		sim.AddCDRReceiver("cb2", "http://127.0.0.1:9/other"+string(rune('1'+i)))
	}
	var nodes []*cms.Node
	for _, n := range sim.Nodes() {
		node, err := cms.NewNode(cms.NodeConfig{Name: n.Name, BaseURL: n.URL, Username: sim.Username, Password: sim.Password, HTTPClient: sim.HTTPClient()})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, node)
	}
	var logs syncBuffer
	c := NewCDRRuntime(config.CDR{URL: "http://127.0.0.1:9/cdr/0123456789abcdef", Token: "0123456789abcdef", HistoryDays: 30},
		oneCluster(cms.NewCluster(nodes)), cdr.NewMemory(), slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return time.Now() })
	regs := c.Register(context.Background())
	if regs[0].State != cms.CDRAdded || regs[1].State != cms.CDRFull {
		t.Fatalf("regs = %+v", regs)
	}
	out := logs.String()
	if !strings.Contains(out, "CDR receiver slots full on cb2") || !strings.Contains(out, "http://127.0.0.1:9/other4") {
		t.Errorf("log:\n%s", out)
	}
	if strings.Contains(out, "0123456789abcdef") {
		t.Error("the log shows NFMM's token")
	}
	if got := sim.CDRReceivers("cb2"); len(got) != 4 || got[0].URI != "http://127.0.0.1:9/other1" {
		t.Errorf("cb2 changed: %v", got)
	}
	check := c.Check(context.Background(), "")
	if check[0].State != cms.CDRPresent || check[1].State != cms.CDRFull {
		t.Errorf("check = %+v", check)
	}
}

// TestCDRAlertRegistrations: the cdr_receivers alert reads this replica's registration round
// while it is recent, and otherwise (another replica registers, or the round is old) reads
// every list without changing it; a node it cannot read is failed (unknown to the alert).
func TestCDRAlertRegistrations(t *testing.T) {
	sim, cluster := simCluster(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := NewCDRRuntime(config.CDR{URL: "http://127.0.0.1:9/cdr/0123456789abcdef", Token: "0123456789abcdef", HistoryDays: 30},
		oneCluster(cluster), cdr.NewMemory(), slog.New(slog.DiscardHandler), func() time.Time { return now })
	ctx := context.Background()
	states := func(regs []cms.CDRRegistration) string {
		var s []string
		for _, r := range regs {
			s = append(s, r.Node+"="+string(r.State))
		}
		return strings.Join(s, " ")
	}
	// Never registered here: a read-only look (and nothing is added).
	if got := states(c.AlertRegistrations("")(ctx)); got != "cb1=missing cb2=missing" || len(sim.CDRReceivers("cb1")) != 0 {
		t.Errorf("before any round: %s, cb1 has %v", got, sim.CDRReceivers("cb1"))
	}
	c.Register(ctx)
	sim.SetDown("cb2", true)
	if got := states(c.AlertRegistrations("")(ctx)); got != "cb1=added cb2=added" {
		t.Errorf("a recent round: %s, want that round", got)
	}
	now = now.Add(21 * time.Minute) // two registration periods without a round here
	if got := states(c.AlertRegistrations("")(ctx)); got != "cb1=present cb2=failed" {
		t.Errorf("an old round: %s, want a fresh read with cb2 unreadable", got)
	}
}

// TestCDRRegistrationEveryCluster: the leader's round registers the one receiver on every
// cluster's nodes, each URI naming its cluster so two clusters' cb1 are told apart, and
// status and the alert read each cluster's own lists.
func TestCDRRegistrationEveryCluster(t *testing.T) {
	emeaSim, emea := simCluster(t)
	amerSim, amer := simCluster(t)
	const base = "http://127.0.0.1:9/cdr/0123456789abcdef"
	c := NewCDRRuntime(config.CDR{URL: base, Token: "0123456789abcdef", HistoryDays: 30},
		Clusters{{Config: config.Cluster{Name: "emea"}, Cluster: emea}, {Config: config.Cluster{Name: "amer"}, Cluster: amer}},
		cdr.NewMemory(), slog.New(slog.DiscardHandler), time.Now)
	ctx := context.Background()
	if regs := c.Register(ctx); len(regs) != 4 {
		t.Fatalf("regs = %+v, want both clusters' two", regs)
	}
	for _, tc := range []struct {
		sim        *cmssim.Sim
		node, want string
	}{
		{emeaSim, "cb1", base + "?node=cb1&cluster=emea"},
		{emeaSim, "cb2", base + "?node=cb2&cluster=emea"},
		{amerSim, "cb1", base + "?node=cb1&cluster=amer"},
		{amerSim, "cb2", base + "?node=cb2&cluster=amer"},
	} {
		if got := tc.sim.CDRReceivers(tc.node); len(got) != 1 || got[0].URI != tc.want {
			t.Errorf("%s receivers = %+v, want %s", tc.node, got, tc.want)
		}
	}
	if got := c.Check(ctx, "amer"); len(got) != 2 || got[0].State != cms.CDRPresent {
		t.Errorf("amer check = %+v", got)
	}
	if got := c.AlertRegistrations("emea")(ctx); len(got) != 2 || got[1].Node != "cb2" {
		t.Errorf("emea alert lists = %+v", got)
	}
	if got := c.URIFor(config.DefaultCluster, "cb1"); got != base+"?node=cb1" {
		t.Errorf("default cluster URI = %s, want it unchanged", got)
	}
}
