package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

// BenchmarkClaimEnvelope measures envelope claims per second on each engine, from 8 goroutines
// (a bot's workers), each claim a new id (the common case). Figures: docs/performance.md.
//
//	go test ./store -run '^$' -bench ClaimEnvelope -benchtime 3000x
func BenchmarkClaimEnvelope(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			s := storetest.Open(b, e)
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if ok, err := s.ClaimEnvelope(b.Context(), fmt.Sprint("env-", n.Add(1)), ""); err != nil || !ok {
						b.Errorf("claim: %v %v", ok, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "claims/s")
		})
	}
}

// BenchmarkFailover measures, on each engine, how long after the leader dies another replica
// leads, with the production lease (renewed every 5 s, valid 15 s). The leader dies like a
// SIGKILL, at a random point of its renewal cycle: its database handle closes, so it can
// neither renew nor release. The bound is 15 s validity plus one 5 s standby attempt. Figures: docs/performance.md (the replica e2e measures the same
// with real `nfmm run` processes).
//
//	go test ./store -run '^$' -bench Failover -benchtime 3x
func BenchmarkFailover(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			cfg := storetest.Config(b, e)
			storetest.OpenConfig(b, cfg) // migrated once
			var total, worst time.Duration
			for i := range b.N {
				d := failoverOnce(b, cfg, i)
				total, worst = total+d, max(worst, d)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "failover-s")
			b.ReportMetric(worst.Seconds(), "worst-s")
		})
	}
}

func failoverOnce(b *testing.B, cfg store.Config, i int) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	open := func(name string) *store.Store {
		c := cfg
		c.Replica = fmt.Sprintf("%s-%d", name, i)
		s, err := store.Open(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	leader, standby := open("leader"), open("standby")
	defer standby.Close()
	defer cancel() // before the Close: the electors stop first
	lease := store.ElectorConfig{Name: fmt.Sprint("bench-failover-", i)}
	led := make(chan struct{})
	go leader.NewElector(lease).Run(ctx, func(ctx context.Context, _ store.Fence) { close(led); <-ctx.Done() })
	<-led
	// The standby's attempts and the leader's renewals run at unrelated phases, as in two
	// processes started apart, and the leader dies anywhere in its renewal cycle.
	time.Sleep(rand.N(5 * time.Second))
	took := make(chan time.Time, 1)
	go standby.NewElector(lease).Run(ctx, func(ctx context.Context, _ store.Fence) { took <- time.Now(); <-ctx.Done() })
	time.Sleep(rand.N(5 * time.Second))
	killed := time.Now()
	leader.Close()
	select {
	case at := <-took:
		return at.Sub(killed)
	case <-ctx.Done():
		b.Fatal("no replica took over within a minute")
		return 0
	}
}
