package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// TestDemoHasHistory: the demo registers its CDR receiver on every emulated node of both its
// clusters, and a meeting that ends on each shows up in `/cms history today` (the channel's
// cluster) and `/cms history today @amer`, each list with its own cluster's meeting only.
func TestDemoHasHistory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := StartDemo(ctx, DemoOptions{Addr: "127.0.0.1:0", Nodes: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	clusters := []struct {
		name    string
		sim     *cmssim.Sim
		command string
		ended   cmssim.MeetingInfo
	}{{name: DemoCluster, sim: d.Sim, command: "history today"}, {name: DemoSecondCluster, sim: d.Second, command: "history today @" + DemoSecondCluster}}
	// The registration is on the emulator, not in Slack: poll it (Fake.WaitFor wakes only on
	// Slack activity, which may all be over before the registration finishes).
	registered := func() bool {
		for _, c := range clusters {
			if len(c.sim.CDRReceivers("cb1")) != 1 || len(c.sim.CDRReceivers("cb2")) != 1 {
				return false
			}
		}
		return true
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !registered() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the demo's receiver was never registered on both clusters: emea %v, amer %v: %v",
				d.Sim.CDRReceivers("cb1"), d.Second.CDRReceivers("cb1"), ctx.Err())
		}
	}
	for i := range clusters {
		c := &clusters[i]
		c.ended = c.sim.Meetings()[0]
		c.sim.EndMeeting(c.ended.Correlator)
		if err := c.sim.FlushCDRs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range clusters {
		if _, err := d.Fake.SlashCommand(DemoViewer, DemoChannel, demoCommand, c.command); err != nil {
			t.Fatal(err)
		}
		msg, err := d.Fake.WaitMessage(ctx, DemoChannel, func(msg slackfake.Message) bool {
			return msg.VisibleTo == DemoViewer && strings.Contains(string(msg.Blocks), "ended") && strings.Contains(string(msg.Blocks), c.ended.Name) &&
				strings.Contains(string(msg.Blocks), `"value":"~`+c.name+`~history `+c.ended.Correlator+`"`) // the value names its cluster
		})
		if err != nil {
			t.Fatalf("%s does not list %q: %v", c.command, c.ended.Name, err)
		}
		if other := clusters[1-i].ended; strings.Contains(string(msg.Blocks), other.Correlator) {
			t.Errorf("%s lists the other cluster's %q:\n%s", c.command, other.Name, msg.Blocks)
		}
	}
}
