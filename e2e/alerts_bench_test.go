package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/bot/slackfake"
)

// BenchmarkNodeDownToAlertPosted measures, through the production wiring (`nfmm demo`: the
// emulator, the fake Slack and app.Run with its alert evaluator on the real clock), the time
// from a call bridge going down to its alert's top-level message in Slack. The target is
// NFMM_ALERT_NODE_DOWN_AFTER (30 s) + 5 s. Each iteration waits the 30 s, so run it as
//
//	go test ./e2e -run '^$' -bench NodeDownToAlertPosted -benchtime 3x
//
// It reports the median and the worst latency, and the worst overhead over the 30 s.
func BenchmarkNodeDownToAlertPosted(b *testing.B) {
	ctx := context.Background()
	var lat []time.Duration
	for range b.N {
		b.StopTimer()
		d, err := app.StartDemo(ctx, app.DemoOptions{Addr: "127.0.0.1:0", Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		// Let the evaluator see the healthy cluster first, as a running NFMM would have.
		time.Sleep(3 * time.Second)
		b.StartTimer()
		start := time.Now()
		d.Sim.SetDown("cb3", true)
		wctx, cancel := context.WithTimeout(ctx, alerts.DefaultNodeDownAfter+time.Minute)
		_, err = d.Fake.WaitMessage(wctx, app.DemoChannel, func(m slackfake.Message) bool {
			return m.ThreadTS == "" && strings.Contains(m.Text, "cb3 is unreachable")
		})
		cancel()
		lat = append(lat, time.Since(start))
		b.StopTimer()
		if cerr := d.Close(); cerr != nil {
			b.Log(cerr)
		}
		if err != nil {
			b.Fatalf("no alert: %v", err)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(lat[len(lat)/2].Seconds(), "median-s")
	b.ReportMetric(lat[len(lat)-1].Seconds(), "worst-s")
	b.ReportMetric((lat[len(lat)-1] - alerts.DefaultNodeDownAfter).Seconds(), "worst-over-30s")
}
