package main

import (
	"context"
	"fmt"
	"io"
)

// runOthers runs scenarios 4-6, whose figures are not round trips.
func runOthers(ctx context.Context, w io.Writer, p params, runs int, want map[string]bool) error {
	if want["scale"] {
		r, err := runScale(ctx, p, runs)
		if err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		printScale(w, r)
	}
	var sr *slashResult
	var rr *refreshResult
	if want["slack"] {
		var rs []slashResult
		for range runs {
			r, err := runSlash(ctx, p, 200)
			if err != nil {
				return fmt.Errorf("slack: %w", err)
			}
			rs = append(rs, r)
		}
		sr = medianSlash(rs)
	}
	if want["refresh"] {
		r, err := runRefresh(ctx, p, 20)
		if err != nil {
			return fmt.Errorf("refresh: %w", err)
		}
		rr = &r
	}
	printSlack(w, sr, rr)
	if want["live"] {
		if err := runLive(ctx, w, p, runs); err != nil {
			return fmt.Errorf("live: %w", err)
		}
	}
	if want["hostile"] {
		rows, err := runHostile(ctx)
		if err != nil {
			return fmt.Errorf("hostile: %w", err)
		}
		printHostile(w, rows)
	}
	return nil
}

// medianSlash takes each figure's median over the runs.
func medianSlash(rs []slashResult) *slashResult {
	pick := func(f func(slashResult) int64) int64 {
		var xs []int
		for _, r := range rs {
			xs = append(xs, int(f(r)))
		}
		return int64(median(xs))
	}
	return &slashResult{Commands: rs[0].Commands,
		P50:      durationOf(pick(func(r slashResult) int64 { return int64(r.P50) })),
		P99:      durationOf(pick(func(r slashResult) int64 { return int64(r.P99) })),
		Max:      durationOf(pick(func(r slashResult) int64 { return int64(r.Max) })),
		Served:   durationOf(pick(func(r slashResult) int64 { return int64(r.Served) })),
		Requests: int(pick(func(r slashResult) int64 { return int64(r.Requests) })),
	}
}
