package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// row is one line of the latency table (scenarios 1-3 and the plot).
type row struct {
	Name        string
	Wall        time.Duration // median over runs
	Requests    int           // CMS requests of one run (median)
	BoundRTT    int           // round-trip lower bound
	Bound       time.Duration // BoundRTT × latency
	Baseline    time.Duration // the sequential client, same run
	BaseReqs    int
	MaxInFlight int           // highest per-node in-flight count seen by the emulator
	CPU         time.Duration // process CPU of one run (median): NFMM and the emulator together
	K           int
}

func (r row) vsBound() float64    { return ratio(r.Wall, r.Bound) }
func (r row) vsBaseline() float64 { return ratio(r.Baseline, r.Wall) }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func median[T int | time.Duration | float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

var benchActor = commands.Actor{UserID: "UBENCH0001", ChannelID: "CBENCH0001"}

// benchConfig lets the bench's actors change calls everywhere.
var benchConfig = config.Config{Operators: []string{"*"}}

func newService(e *env) *commands.Service {
	return app.NewService(benchConfig, e.cluster, app.Options{})
}

// measure runs op runs times (after one untimed warm-up that opens the connections, as a
// running bot has them open) and records wall time, requests and the in-flight high-water mark.
// setup, when not nil, runs untimed before every op (e.g. presenter on before a timed off).
func (e *env) measure(ctx context.Context, runs int, setup, op func(ctx context.Context) error) (row, error) {
	return measureWith(ctx, e, e.p.K, runs, setup, op)
}

// counted is what measure reads its counters from: one emulated cluster, or several.
type counted interface {
	resetCounters()
	counters() (requests, maxInFlight int)
}

func (e *env) resetCounters() { e.sim.ResetCounters() }

// measureWith is measure over any set of emulated clusters, k being their per-node cap.
func measureWith(ctx context.Context, c counted, k, runs int, setup, op func(ctx context.Context) error) (row, error) {
	if setup == nil {
		setup = func(context.Context) error { return nil }
	}
	if err := errors.Join(setup(ctx), op(ctx)); err != nil {
		return row{}, fmt.Errorf("warm-up: %w", err)
	}
	var walls []time.Duration
	var reqs []int
	var cpus []time.Duration
	r := row{K: k}
	for i := range runs {
		if err := setup(ctx); err != nil {
			return row{}, fmt.Errorf("run %d setup: %w", i+1, err)
		}
		c.resetCounters()
		cpu0, start := cpuTime(), time.Now()
		if err := op(ctx); err != nil {
			return row{}, fmt.Errorf("run %d: %w", i+1, err)
		}
		walls = append(walls, time.Since(start))
		cpus = append(cpus, cpuTime()-cpu0)
		n, mif := c.counters()
		reqs = append(reqs, n)
		r.MaxInFlight = max(r.MaxInFlight, mif)
	}
	r.Wall, r.Requests, r.CPU = median(walls), median(reqs), median(cpus)
	return r, nil
}

// timeBaseline runs the sequential client once and records its wall time and requests.
func (e *env) timeBaseline(ctx context.Context, r *row, op func(ctx context.Context) error) error {
	if e.p.NoBaseline {
		return nil
	}
	e.sim.ResetCounters()
	start := time.Now()
	if err := op(ctx); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	r.Baseline = time.Since(start)
	r.BaseReqs, _ = e.counters()
	return nil
}

func timeMul(n int) time.Duration { return time.Duration(n) }

// cpuTime is the user+system CPU this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }
