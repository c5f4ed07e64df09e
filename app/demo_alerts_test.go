package app

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// TestDemoOutagesTakeTheLastNodeDownAndBack watches the demo's outage loop on a short period:
// the last node goes down, comes back, and is up again once the demo stops.
func TestDemoOutagesTakeTheLastNodeDownAndBack(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); demoOutages(ctx, sim, 600*time.Millisecond, 100*time.Millisecond) }()
	// One fresh connection per probe, no retries: a down node closes it without an answer, at
	// once. The timeout only bounds a hang: a probe that is merely slow (a loaded machine) is
	// not a node down, so it is generous.
	probe := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	up := func(i int) bool {
		resp, err := probe.Get(sim.Nodes()[i].URL + "/api/v1/system/status")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	}
	sawDown, sawUpAfter := false, false
	deadline := time.Now().Add(time.Minute) // a cycle is 600 ms; the loop ends once it saw one
	for time.Now().Before(deadline) && !sawUpAfter {
		switch {
		case !up(0):
			t.Fatal("cb1 went down")
		case !up(1):
			sawDown = true
		case sawDown:
			sawUpAfter = true
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if !sawDown || !sawUpAfter {
		t.Fatalf("cb2 down %v, up again %v", sawDown, sawUpAfter)
	}
	if !up(1) {
		t.Error("cb2 still down after the demo stopped")
	}
	if a := demoAlerts(); a.ChannelFor(alerts.KindNodeDown) != DemoChannel || a.ChannelFor(alerts.KindPoorMedia) != "" {
		t.Errorf("demo routes: %+v", a)
	}
}
