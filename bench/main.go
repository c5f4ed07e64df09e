// Command bench measures NFMM against the CMS emulator on loopback with injected latency and
// prints, per scenario, the wall time, the CMS requests, the round-trip lower bound and the
// ratios to it and to a sequential baseline client measured in the same run (issue 7).
//
//	go run ./bench                          # every scenario, median of 5 runs
//	go run ./bench -scenario calls,call     # some of them
//	go run ./bench -plot docs/performance.png  # wall time versus nodes, as a PNG
//	go run ./bench -scenario hostile        # peak RSS of each hostile CMS answer (issue 12)
//
// See docs/performance.md for the method and the figures, docs/reliability.md for hostile.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"
)

// scenarioNames in the order they run.
var scenarioNames = []string{"calls", "call", "presenter", "clusters", "scale", "slack", "refresh", "hostile", "live"}

func main() {
	runs := flag.Int("runs", 5, "timed runs per scenario (the median is reported)")
	only := flag.String("scenario", strings.Join(scenarioNames, ","), "comma-separated scenarios: "+strings.Join(scenarioNames, ", "))
	plot := flag.String("plot", "", "write the wall-time-versus-nodes plot to this PNG path and exit")
	child := flag.String("child", "", "internal: run one measurement in this process and print JSON")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	latency := flag.Duration("latency", defaultParams.Latency, "per-request latency of scenarios 1-3 (a longer one shows the request schedule with CPU mattering less)")
	baseline := flag.Bool("baseline", true, "also time the sequential baseline in scenarios 1-3")
	flag.Parse()
	if *cpuprofile != "" {
		stop, err := startProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var err error
	switch {
	case *child != "":
		err = runChild(ctx, *child, *runs, os.Stdout)
	case *plot != "":
		err = runPlot(ctx, *plot, *runs, os.Stdout)
	default:
		p := defaultParams
		p.Latency, p.NoBaseline = *latency, !*baseline
		err = runAll(ctx, os.Stdout, p, *runs, strings.Split(*only, ","))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1) //nolint:gocritic // the profile is of no use after a failure
	}
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func runAll(ctx context.Context, w io.Writer, p params, runs int, only []string) error {
	want := map[string]bool{}
	for _, s := range only {
		want[strings.TrimSpace(s)] = true
	}
	fmt.Fprintf(w, "NFMM bench: latency %v per request, page cap %d, concurrency cap %d per node, median of %d runs\n\n",
		p.Latency, p.PageCap, p.K, runs)
	var rows []row
	if want["calls"] {
		r, err := runCalls(ctx, p, 8, 50, runs, true)
		if err != nil {
			return fmt.Errorf("calls: %w", err)
		}
		rows = append(rows, r)
	}
	if want["call"] || want["presenter"] {
		rs, err := runMeeting(ctx, p, runs, want["presenter"])
		if err != nil {
			return err
		}
		if !want["call"] {
			rs = rs[1:]
		}
		rows = append(rows, rs...)
	}
	if len(rows) > 0 {
		printRows(w, rows)
	}
	if want["clusters"] {
		r, err := runClusters(ctx, p, runs)
		if err != nil {
			return fmt.Errorf("clusters: %w", err)
		}
		printClusters(w, r)
	}
	return runOthers(ctx, w, p, runs, want)
}

func printRows(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\twall\tCMS req\tbound (RTT)\t× bound\tbaseline\tbase req\t× faster\tmax in flight/node\tCPU/run\t")
	for _, r := range rows {
		flag := ""
		if r.MaxInFlight > r.K {
			flag = " OVER CAP"
		}
		fmt.Fprintf(tw, "%s\t%v\t%d\t%v (%d)\t%.2f\t%v\t%d\t%.1f\t%d/%d%s\t%v\t\n", r.Name, r.Wall.Round(time.Millisecond),
			r.Requests, r.Bound, r.BoundRTT, r.vsBound(), r.Baseline.Round(time.Millisecond), r.BaseReqs,
			r.vsBaseline(), r.MaxInFlight, r.K, flag, r.CPU.Round(time.Millisecond))
	}
	tw.Flush()
	fmt.Fprintln(w)
}
