package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
)

// Scenario "live" (issue 13): reads served from the live state against the REST path, how fast
// a write shows up in the live state, the idle request rate, and a child process holding the
// live state of 24 nodes × 5000 participants under 200 events/s of churn.

const (
	churnRate   = 200 // events per second
	churnWindow = 10 * time.Second
	idleCheck   = 500 * time.Millisecond // CheckEvery of the idle measurement (default 60 s)
	idleWindow  = 5 * time.Second
)

type liveResult struct {
	restCalls, liveCalls row
	restCall, liveCall   row
	effectSent           time.Duration // write sent → change in the live state (median)
	effectDone           time.Duration // write answered → change in the live state (median)
	idlePerCheck         float64       // REST requests per node per CheckEvery, idle
	churn                churnChild
	churnRSS             int64 // KiB
}

func runLive(ctx context.Context, w io.Writer, p params, runs int) error {
	var r liveResult
	e, err := newEnv(p, cmssim.Options{Nodes: 8})
	if err != nil {
		return err
	}
	defer e.Close()
	addCallsLoad(e.sim, 50)
	big := addBigMeeting(e.sim, "Town hall", 300)
	svc := newService(e)
	live, stop, err := startLiveState(ctx, e.cluster, cms.LiveConfig{CheckEvery: time.Hour})
	if err != nil {
		return err
	}
	defer stop()
	text := func(t string) func(context.Context) error {
		return func(ctx context.Context) error { _, err := svc.Run(ctx, benchActor, t); return err }
	}
	e.cluster.SetLive(nil)
	if r.restCalls, err = e.measure(ctx, runs, nil, text("calls")); err != nil {
		return err
	}
	if r.restCall, err = e.measure(ctx, runs, nil, text("call town hall")); err != nil {
		return err
	}
	e.cluster.SetLive(live)
	if r.liveCalls, err = e.measure(ctx, runs, nil, text("calls")); err != nil {
		return err
	}
	if r.liveCall, err = e.measure(ctx, runs, nil, text("call town hall")); err != nil {
		return err
	}
	if r.effectSent, r.effectDone, err = effectLatency(ctx, e, live, big, 4*runs); err != nil {
		return err
	}
	if r.idlePerCheck, err = idleRate(ctx, e); err != nil {
		return err
	}
	if r.churn, r.churnRSS, err = runChurn(ctx); err != nil {
		return fmt.Errorf("churn: %w", err)
	}
	printLive(w, p, r)
	return nil
}

func startLiveState(ctx context.Context, c *cms.Cluster, cfg cms.LiveConfig) (*cms.Live, func(), error) {
	live := cms.NewLive(c, cfg)
	lctx, cancel := context.WithCancel(ctx)
	live.Start(lctx)
	stop := func() { cancel(); live.Wait() }
	rctx, rcancel := context.WithTimeout(ctx, 5*time.Minute)
	defer rcancel()
	if err := live.Ready(rctx); err != nil {
		stop()
		return nil, nil, err
	}
	for _, n := range live.Nodes() {
		if n.Mode != cms.ModeLive {
			stop()
			return nil, nil, fmt.Errorf("node %s is %s, not live", n.Node, n.Mode)
		}
	}
	return live, stop, nil
}

// effectLatency toggles a leg's mute n times and times how long the change takes to reach the
// live state, from the write being sent and from its answer.
func effectLatency(ctx context.Context, e *env, live *cms.Live, m cmssim.MeetingInfo, n int) (sent, done time.Duration, err error) {
	sub := live.Subscribe()
	defer sub.Close()
	leg := m.Legs[0]
	var fromSent, fromDone []time.Duration
	for i := range n {
		t0 := time.Now()
		if err := e.cluster.UpdateLeg(ctx, leg.Node, leg.ID, cms.LegUpdate{RxAudioMute: cms.Set(i%2 == 0)}); err != nil {
			return 0, 0, err
		}
		t1 := time.Now()
		deadline := time.After(10 * time.Second)
	wait:
		for {
			select {
			case <-sub.Ready():
				for _, c := range sub.Next() {
					if c.Type == cms.ParticipantChanged && c.Participant.ID == leg.ParticipantID {
						now := time.Now()
						fromSent, fromDone = append(fromSent, now.Sub(t0)), append(fromDone, max(now.Sub(t1), 0))
						break wait
					}
				}
			case <-deadline:
				return 0, 0, errors.New("a write never reached the live state")
			}
		}
	}
	return median(fromSent), median(fromDone), nil
}

// idleRate counts REST requests per node while nothing happens, per resync check.
func idleRate(ctx context.Context, e *env) (float64, error) {
	_, stop, err := startLiveState(ctx, e.cluster, cms.LiveConfig{CheckEvery: idleCheck})
	if err != nil {
		return 0, err
	}
	defer stop()
	time.Sleep(idleCheck / 2) // off the checks' phase
	e.sim.ResetCounters()
	time.Sleep(idleWindow)
	reqs, _ := e.counters()
	// The first Live (CheckEvery 1 h) is idle too: everything counted is the second one's checks.
	return float64(reqs) / float64(len(e.sim.Nodes())) / (float64(idleWindow) / float64(idleCheck)), nil
}

// churnChild is what the churn child reports.
type churnChild struct {
	Participants int           `json:"participants"`
	Meetings     int           `json:"meetings"`
	Changes      int           `json:"changes"`
	Window       time.Duration `json:"window"`
	CPU          time.Duration `json:"cpu"`
	ReadyAfter   time.Duration `json:"ready_after"`
	HeapInUse    uint64        `json:"heap_in_use"`
}

// runChurn starts the scale cluster here and the live state in a child process, then drives
// churnRate events per second for churnWindow: 70 % a participant mutes or unmutes, 25 % the
// active speaker moves, 5 % someone joins or leaves.
func runChurn(ctx context.Context) (churnChild, int64, error) {
	sim, err := cmssim.Start(cmssim.Options{Scenario: cmssim.ScenarioScale, Scale: scaleSize, Seed: 7})
	if err != nil {
		return churnChild{}, 0, err
	}
	defer sim.Close()
	var nodes []string
	for _, n := range sim.Nodes() {
		nodes = append(nodes, n.Name+"="+n.URL)
	}
	exe, err := os.Executable()
	if err != nil {
		return churnChild{}, 0, err
	}
	cmd := exec.CommandContext(ctx, exe, "-child", "live")
	cmd.Env = append(os.Environ(), childNodesEnv+"="+strings.Join(nodes, ","))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return churnChild{}, 0, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return churnChild{}, 0, err
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		_ = cmd.Wait()
		return churnChild{}, 0, fmt.Errorf("child not ready: %s", stderr.String())
	}
	churn(ctx, sim)
	var out churnChild
	if !lines.Scan() || json.Unmarshal(lines.Bytes(), &out) != nil {
		_ = cmd.Wait()
		return churnChild{}, 0, fmt.Errorf("child output: %s", stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		return churnChild{}, 0, fmt.Errorf("child: %w: %s", err, stderr.String())
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return out, rss, nil
}

func churn(ctx context.Context, sim *cmssim.Sim) {
	rng := rand.New(rand.NewPCG(7, 13))
	var legs []cmssim.LegState
	var cors []string
	for _, m := range sim.Meetings() {
		legs = append(legs, m.Legs...)
		cors = append(cors, m.Correlator)
	}
	muted := map[string]bool{}
	var guests []string
	t := time.NewTicker(time.Second / churnRate)
	defer t.Stop()
	end := time.Now().Add(churnWindow)
	for i := 0; time.Now().Before(end); i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l := legs[rng.IntN(len(legs))]
		switch r := rng.IntN(100); {
		case r < 70:
			muted[l.ID] = !muted[l.ID]
			sim.SetEndpointMute(l.ID, false, muted[l.ID])
		case r < 95:
			sim.SetActiveSpeaker(l.ID)
		case len(guests) > 0 && i%2 == 0:
			sim.RemoveLeg(guests[0])
			guests = guests[1:]
		default:
			g, ok := sim.Join(cors[rng.IntN(len(cors))], cmssim.ParticipantSpec{Name: fmt.Sprintf("Guest %d", i),
				Node: l.Node})
			if ok {
				guests = append(guests, g.ID)
			}
		}
	}
}

// runLiveChild holds the live state of the parent's cluster, says "ready", and measures its
// own CPU over the churn window.
func runLiveChild(ctx context.Context, w io.Writer) error {
	cfg := childConfig()
	cluster, _, err := app.NewCluster(ctx, cfg, app.Options{})
	if err != nil {
		return err
	}
	t0 := time.Now()
	live, stop, err := startLiveState(ctx, cluster, cms.LiveConfig{})
	if err != nil {
		return err
	}
	defer stop()
	out := churnChild{ReadyAfter: time.Since(t0)}
	sub := live.Subscribe()
	defer sub.Close()
	fmt.Fprintln(w, "ready")
	c0, w0 := cpuTime(), time.Now()
	deadline := time.After(churnWindow)
loop:
	for {
		select {
		case <-sub.Ready():
			out.Changes += len(sub.Next())
		case <-deadline:
			break loop
		}
	}
	out.CPU, out.Window = cpuTime()-c0, time.Since(w0)
	for _, m := range live.Meetings() {
		out.Meetings++
		out.Participants += len(m.Participants)
	}
	out.HeapInUse = heapInUse()
	return json.NewEncoder(w).Encode(out)
}

func printLive(w io.Writer, p params, r liveResult) {
	fmt.Fprintf(w, "live state (issue 13), latency %v per request, median of runs:\n", p.Latency)
	line := func(name string, rest, live row) {
		fmt.Fprintf(w, "    %-22s REST %v (%d requests)   live %v (%d requests)   × %.0f faster\n", name,
			rest.Wall.Round(time.Millisecond), rest.Requests, live.Wall.Round(time.Microsecond), live.Requests,
			ratio(rest.Wall, live.Wall))
	}
	line("calls (8 × 50 calls)", r.restCalls, r.liveCalls)
	line("call (300 on 8 nodes)", r.restCall, r.liveCall)
	fmt.Fprintf(w, "    a mute shows in the live state %v after the write is sent (%.2f × the request latency), %v after its answer\n",
		r.effectSent.Round(100*time.Microsecond), ratio(r.effectSent, p.Latency), r.effectDone.Round(100*time.Microsecond))
	fmt.Fprintf(w, "    idle, events healthy: %.2f REST requests per node per resync check (CheckEvery, default 60 s)\n", r.idlePerCheck)
	c := r.churn
	fmt.Fprintf(w, "    churn child: %d nodes, %d meetings, %d participants, %d events/s for %v (%d changes published): CPU %.1f %% of one core, peak RSS %.1f MiB, heap in use %.1f MiB, ready after %v\n",
		scaleSize.Nodes, c.Meetings, c.Participants, churnRate, c.Window.Round(time.Second), c.Changes,
		100*float64(c.CPU)/float64(c.Window), float64(r.churnRSS)/1024, float64(c.HeapInUse)/(1<<20), c.ReadyAfter.Round(100*time.Millisecond))
	fmt.Fprintln(w)
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// childConfig is the configuration of a child process: the parent's emulator nodes.
func childConfig() config.Config {
	var cfg config.Config
	for _, spec := range strings.Split(os.Getenv(childNodesEnv), ",") {
		name, url, _ := strings.Cut(spec, "=")
		cfg.Nodes = append(cfg.Nodes, config.Node{Name: name, URL: url, Username: cmssim.DefaultUsername,
			Password: cmssim.DefaultPassword})
	}
	cfg.CMSConcurrency, cfg.CMSTimeout = defaultParams.K, 30*time.Second
	return cfg
}
