package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

// BenchmarkAckWithStore is scenario 5 (200 `/cms calls` in one second through the fake Slack,
// 8 nodes of 50 calls at 25 ms) with the store in the path: every envelope is claimed in it,
// on each engine. It reports the ack latency the fake measures, from the envelope written to
// the socket to the ack read back; the target is a p99 under 50 ms. Figures:
// docs/performance.md. PostgreSQL runs with NFMM_TEST_DATABASE_URL (scripts/postgres.sh).
//
//	go test ./bench -run '^$' -bench AckWithStore -benchtime 1x
func BenchmarkAckWithStore(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(string(engine), func(b *testing.B) {
			st := &countedClaims{Store: storetest.Open(b, engine)}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var p50, p99, worst time.Duration
			for range b.N {
				r, err := runSlashClaimed(ctx, defaultParams, 200, st)
				if err != nil {
					b.Fatal(err)
				}
				p50, p99, worst = max(p50, r.P50), max(p99, r.P99), max(worst, r.Max)
			}
			if won := st.won.Load(); won != int64(200*b.N) {
				b.Fatalf("%d envelopes claimed in the store, want %d", won, 200*b.N)
			}
			b.ReportMetric(ms(p50), "ack-p50-ms")
			b.ReportMetric(ms(p99), "ack-p99-ms")
			b.ReportMetric(ms(worst), "ack-max-ms")
		})
	}
}

// countedClaims counts the claims the store granted, so the run shows the store was in the path.
type countedClaims struct {
	*store.Store
	won atomic.Int64
}

func (c *countedClaims) ClaimEnvelope(ctx context.Context, envelopeID, eventID string) (bool, error) {
	ok, err := c.Store.ClaimEnvelope(ctx, envelopeID, eventID)
	if ok && err == nil {
		c.won.Add(1)
	}
	return ok, err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
