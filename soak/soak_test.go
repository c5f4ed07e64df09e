package soak

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/soak/leakcheck"
)

var soakFor = flag.Duration("soak", 0, "run TestSoak for this long, e.g. 2m (off when 0; NFMM_SOAK works too)")

const (
	nodes        = 3
	meetings     = 12
	perMeeting   = 8 // participants; one roster page
	operators    = 24
	viewers      = 4
	nodeTimeout  = 800 * time.Millisecond
	replyTimeout = 20 * time.Second
)

var layouts = []string{"allEqual", "speakerOnly", "telepresence", "stacked"}

func duration(t *testing.T) time.Duration {
	d := *soakFor
	if v := os.Getenv("NFMM_SOAK"); d == 0 && v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("NFMM_SOAK=%q: %v", v, err)
		}
	}
	return d
}

// world is everything the soak runs: emulator, fake Slack, service and bot.
type world struct {
	t       *testing.T
	sim     *cmssim.Sim
	fake    *slackfake.Server
	audit   *lockedBuffer
	legs    []cmssim.LegState // every participant leg, in meeting order
	stats   stats
	figures string // the audit-vs-emulator result, for the report
	mu      sync.Mutex
	samples []string // "goroutines/heap MiB" during the run
}

// stats are the soak's figures; every field is updated atomically.
type stats struct {
	reads, typed, clicks, refusals, unanswered atomic.Int64
	actions                                    atomic.Int64 // typed + clicks + refusals: each must be audited once
	faults                                     sync.Map     // kind -> *atomic.Int64
}

func (s *stats) fault(kind string) {
	v, _ := s.faults.LoadOrStore(kind, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestSoak(t *testing.T) {
	d := duration(t)
	if d <= 0 {
		t.Skip("soak is off; run: go test ./soak -run TestSoak -soak=2m -v")
	}
	snap := leakcheck.Take()
	w := newWorld(t)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	rt := w.newRuntime()
	go func() { done <- rt.Run(ctx) }()
	if err := w.fake.WaitConnected(w.ctx(replyTimeout)); err != nil {
		t.Fatal(err)
	}
	heap0, gor0 := heapMB(), leakcheck.Count()
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	wg.Go(func() { w.sample(end, d/10) })
	wg.Go(func() { w.chaos(end, 1, cmsFaults) })
	wg.Go(func() { w.chaos(end, 2, slackFaults) })
	for i := range operators {
		wg.Go(func() { w.operator(i, end) })
	}
	for i := range viewers {
		wg.Go(func() { w.viewer(i, end) })
	}
	wg.Wait()
	heal(w.sim)
	w.checkAuditMatchesEmulator()
	heap1, gor1 := heapMB(), leakcheck.Count()
	stop()
	if err := <-done; err != nil {
		t.Errorf("Runtime.Run: %v", err)
	}
	rt.Close()
	w.sim.Close()
	w.fake.Close()
	if leaked := snap.Check(10*time.Second, "soak.TestSoak"); len(leaked) > 0 {
		t.Errorf("%d goroutines leaked after shutdown:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
	// With the bot stopped and the fakes (which keep every message and call by design)
	// released, the heap must be back near where it started.
	w.sim, w.fake, rt = nil, nil, nil
	heap2 := heapMB()
	w.report(time.Since(start), [3]float64{heap0, heap1, heap2}, gor0, gor1)
	if heap2 > heap0+16 {
		t.Errorf("heap %.1f MiB after shutdown, %.1f MiB at start: something the bot owns kept growing", heap2, heap0)
	}
}

// sample records goroutines and heap every interval while the soak runs.
func (w *world) sample(end time.Time, every time.Duration) {
	for time.Now().Before(end) {
		time.Sleep(every)
		w.mu.Lock()
		w.samples = append(w.samples, fmt.Sprintf("%d/%.0f", leakcheck.Count(), heapMB()))
		w.mu.Unlock()
	}
}

func newWorld(t *testing.T) *world {
	sim, err := cmssim.Start(cmssim.Options{Nodes: nodes, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, sim: sim, audit: &lockedBuffer{}}
	for m := range meetings {
		var ps []cmssim.ParticipantSpec
		for p := range perMeeting {
			ps = append(ps, cmssim.ParticipantSpec{Name: fmt.Sprintf("M%02d-P%02d", m, p), Node: fmt.Sprintf("cb%d", (m+p)%nodes+1)})
		}
		info := sim.AddMeeting(cmssim.MeetingSpec{Name: fmt.Sprintf("Soak %02d", m), Participants: ps})
		w.legs = append(w.legs, info.Legs...)
	}
	// Not NewTest: its cleanup would keep the fake (and every message it recorded) reachable,
	// and the soak measures the heap once everything is released.
	if w.fake, err = slackfake.New(slackfake.Options{}); err != nil {
		t.Fatal(err)
	}
	return w
}

// newRuntime builds NFMM as `nfmm run` does (package app) over the emulator and the fake.
func (w *world) newRuntime() *app.Runtime {
	ops := make([]string, operators)
	for i := range ops {
		ops[i] = operatorID(i)
	}
	cfg := config.Config{SlackBotToken: "xoxb-soak", SlackAppToken: "xapp-soak", SlackAPIURL: w.fake.APIURL(),
		Nodes: app.SimNodes(w.sim), CMSTimeout: nodeTimeout, Operators: ops,
		Store: config.Store{DataDir: w.t.TempDir()}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt, err := app.New(context.Background(), cfg, app.Options{Logger: quiet, Audit: w.audit, PostInterval: 5 * time.Millisecond})
	if err != nil {
		w.t.Fatal(err)
	}
	return rt
}

func operatorID(i int) string { return fmt.Sprintf("USOAKOP%03d", i) }
func viewerID(i int) string   { return fmt.Sprintf("USOAKVW%03d", i) }

// channelOf gives each user a channel of their own, so waiting for a reply looks at their
// messages only.
func channelOf(user string) string { return "C" + strings.TrimPrefix(user, "U") }

func (w *world) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	w.t.Cleanup(cancel)
	return ctx
}

// ownLegs are the legs operator i acts on; nobody else changes them, so the audit order of a
// leg is the order its changes reached CMS.
func (w *world) ownLegs(i int) []cmssim.LegState {
	var out []cmssim.LegState
	for j := i; j < len(w.legs); j += operators {
		out = append(out, w.legs[j])
	}
	return out
}

func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// auditCount counts the audit records of one actor.
func (w *world) auditCount(user string) int {
	return strings.Count(w.audit.String(), `"actor":"`+user+`"`)
}

// seen is how many messages the user can see in their channel.
func (w *world) seen(user string) int { return len(w.fake.EphemeralFor(user, channelOf(user))) }

// waitUntil polls cond until it holds or the reply deadline passes.
func waitUntil(cond func() bool) bool {
	deadline := time.Now().Add(replyTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// slash types a command and waits for its answer: a new message for reads, a new audit record
// for actions (every action is audited exactly once, answered or not).
func (w *world) slash(user, text string, action bool) bool {
	msgs, recs := w.seen(user), w.auditCount(user)
	env, err := w.fake.SlashCommand(user, channelOf(user), "/cms", text)
	if err != nil {
		w.t.Errorf("slash %q: %v", text, err)
		return false
	}
	return w.await(env, text, func() bool {
		if action {
			return w.auditCount(user) > recs
		}
		return w.seen(user) > msgs
	})
}

// await makes sure the envelope is acked, redelivering it once as Slack does when an envelope
// died with its socket (the fake only redelivers on request), then waits for answered.
func (w *world) await(env slackfake.Envelope, what string, answered func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := w.fake.WaitAck(ctx, env.ID); err != nil {
		if _, err := w.fake.Redeliver(env.ID); err == nil {
			w.stats.fault("slack: envelope lost with its socket, redelivered")
		}
	}
	if waitUntil(answered) {
		return true
	}
	if w.stats.unanswered.Add(1) <= 5 {
		w.t.Logf("no answer within %v to %q", replyTimeout, what)
	}
	return false
}
