package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
)

// Scenario 4 runs NFMM in a child process (this binary, -child scale) against an emulator in
// the parent, so the child's peak RSS and CPU are NFMM's alone.

var scaleSize = cmssim.Scale{Nodes: 24, Meetings: 500, Legs: 5000}

const childNodesEnv = "NFMM_BENCH_NODES" // name=url,… of the parent's emulator

// scaleChild is what the child reports.
type scaleChild struct {
	Runs        int           `json:"runs"`
	Meetings    int           `json:"meetings"`
	CallsWall   time.Duration `json:"calls_wall"`
	CallsCPU    time.Duration `json:"calls_cpu"`
	ReportWall  time.Duration `json:"report_wall"`
	ReportCPU   time.Duration `json:"report_cpu"`
	DecodeCPU   time.Duration `json:"decode_cpu"` // one `calls` replayed from memory: XML decoding and merging
	RecordedGET int           `json:"recorded_get"`
}

type scaleResult struct {
	scaleChild
	MaxRSS   int64 // KiB, the child's peak
	Requests int   // CMS requests of one `calls` run
}

func runScale(ctx context.Context, p params, runs int) (scaleResult, error) {
	e, err := newEnv(p, cmssim.Options{Scenario: cmssim.ScenarioScale, Scale: scaleSize})
	if err != nil {
		return scaleResult{}, err
	}
	defer e.Close()
	var nodes []string
	for _, n := range e.sim.Nodes() {
		nodes = append(nodes, n.Name+"="+n.URL)
	}
	exe, err := os.Executable()
	if err != nil {
		return scaleResult{}, err
	}
	cmd := exec.CommandContext(ctx, exe, "-child", "scale", "-runs", fmt.Sprint(runs))
	cmd.Env = append(os.Environ(), childNodesEnv+"="+strings.Join(nodes, ","))
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	e.sim.ResetCounters()
	if err := cmd.Run(); err != nil {
		return scaleResult{}, fmt.Errorf("child: %w: %s", err, stderr.String())
	}
	var r scaleResult
	if err := json.Unmarshal(out.Bytes(), &r.scaleChild); err != nil {
		return r, fmt.Errorf("child output: %w", err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss
	}
	r.Requests = r.RecordedGET
	return r, nil
}

// recorder is a transport that records GET answers and can replay them without a network, so
// the client's own decoding and merging can be timed alone.
type recorder struct {
	base   http.RoundTripper
	replay atomic.Bool
	mu     sync.Mutex
	bodies map[string][]byte
	hits   atomic.Int64
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	key := req.Method + " " + req.URL.String()
	if r.replay.Load() {
		r.mu.Lock()
		body, ok := r.bodies[key]
		r.mu.Unlock()
		if !ok {
			return nil, errors.New("replay: not recorded: " + key)
		}
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Request: req,
			Header: http.Header{"Content-Type": {"text/xml"}}, Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body))}, nil
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.hits.Add(1)
	r.mu.Lock()
	r.bodies[key] = body
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func runChild(ctx context.Context, mode string, runs int, w io.Writer) error {
	switch mode {
	case "hostile":
		return runHostileChild(ctx, w)
	case "live":
		return runLiveChild(ctx, w)
	case "scale":
	default:
		return fmt.Errorf("unknown child mode %q", mode)
	}
	rec := &recorder{base: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: defaultParams.K}, bodies: map[string][]byte{}}
	cfg := childConfig()
	cluster, _, err := app.NewCluster(ctx, cfg, app.Options{HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		return err
	}
	svc := app.NewService(benchConfig, cluster, app.Options{})
	var out scaleChild
	timed := func(text string) (wall, cpu time.Duration, err error) {
		var walls, cpus []time.Duration
		for range runs {
			c0, t0 := cpuTime(), time.Now()
			res, err := svc.Run(ctx, benchActor, text)
			if err != nil {
				return 0, 0, err
			}
			if cr, ok := res.(*commands.CallsResult); ok {
				out.Meetings = len(cr.Meetings)
			}
			walls, cpus = append(walls, time.Since(t0)), append(cpus, cpuTime()-c0)
		}
		return median(walls), median(cpus), nil
	}
	out.Runs = runs
	if out.CallsWall, out.CallsCPU, err = timed("calls"); err != nil {
		return err
	}
	if out.ReportWall, out.ReportCPU, err = timed("report"); err != nil {
		return err
	}
	// Record one Meetings read, then replay it from memory.
	rec.hits.Store(0)
	cluster.Meetings(ctx)
	out.RecordedGET = int(rec.hits.Load())
	rec.replay.Store(true)
	var cpus []time.Duration
	for range max(runs, 5) {
		c0 := cpuTime()
		if l := cluster.Meetings(ctx); len(l.Failed) > 0 {
			return fmt.Errorf("replay: %v", l.Failed[0])
		}
		cpus = append(cpus, cpuTime()-c0)
	}
	out.DecodeCPU = median(cpus)
	return json.NewEncoder(w).Encode(out)
}

func printScale(w io.Writer, r scaleResult) {
	fmt.Fprintf(w, "4 scale %d nodes × %d meetings × %d legs (%d meetings listed), child process, median of %d:\n",
		scaleSize.Nodes, scaleSize.Meetings, scaleSize.Legs, r.Meetings, r.Runs)
	fmt.Fprintf(w, "    calls:  wall %v, CPU %v, %d CMS requests; XML decoding + merging alone (replayed): %v CPU (target < 50ms)\n",
		r.CallsWall.Round(time.Millisecond), r.CallsCPU.Round(time.Millisecond), r.RecordedGET, r.DecodeCPU.Round(100*time.Microsecond))
	fmt.Fprintf(w, "    report: wall %v, CPU %v\n", r.ReportWall.Round(time.Millisecond), r.ReportCPU.Round(time.Millisecond))
	fmt.Fprintf(w, "    peak RSS of the whole NFMM process: %.1f MiB (target < 100 MB)\n", float64(r.MaxRSS)/1024)
}
