package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
)

// TestDemoHasHistory: the demo registers its CDR receiver on every emulated node, and a meeting
// that ends shows up in `/cms history today`.
func TestDemoHasHistory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := StartDemo(ctx, DemoOptions{Addr: "127.0.0.1:0", Nodes: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Fake.WaitFor(ctx, func() bool {
		return len(d.Sim.CDRReceivers("cb1")) == 1 && len(d.Sim.CDRReceivers("cb2")) == 1
	}); err != nil {
		t.Fatalf("the demo's receiver was never registered: %v", err)
	}
	m := d.Sim.Meetings()[0]
	d.Sim.EndMeeting(m.Correlator)
	if err := d.Sim.FlushCDRs(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Fake.SlashCommand(DemoViewer, DemoChannel, demoCommand, "history today"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Fake.WaitMessage(ctx, DemoChannel, func(msg slackfake.Message) bool {
		return msg.VisibleTo == DemoViewer && strings.Contains(string(msg.Blocks), "ended") && strings.Contains(string(msg.Blocks), m.Name)
	}); err != nil {
		t.Fatalf("history today does not list %q: %v", m.Name, err)
	}
}
