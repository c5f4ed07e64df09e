package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

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
