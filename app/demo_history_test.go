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
	// The registration is on the emulator, not in Slack: poll it (Fake.WaitFor wakes only on
	// Slack activity, which may all be over before the registration finishes).
	registered := func() bool {
		return len(d.Sim.CDRReceivers("cb1")) == 1 && len(d.Sim.CDRReceivers("cb2")) == 1
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !registered() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the demo's receiver was never registered: cb1 %v, cb2 %v: %v",
				d.Sim.CDRReceivers("cb1"), d.Sim.CDRReceivers("cb2"), ctx.Err())
		}
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
