package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nfmm/nfmm/bot"
	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
)

const benchChannel = "CBENCH0001"

// countingRunner counts finished commands, so the bench knows when a burst has been served.
type countingRunner struct {
	*commands.Service
	done atomic.Int64
}

func (c *countingRunner) Run(ctx context.Context, a commands.Actor, text string) (commands.Result, error) {
	defer c.done.Add(1)
	return c.Service.Run(ctx, a, text)
}

func (c *countingRunner) Execute(ctx context.Context, a commands.Actor, cmd commands.Command) (commands.Result, error) {
	defer c.done.Add(1)
	return c.Service.Execute(ctx, a, cmd)
}

// slackEnv is the emulator, the fake Slack and the real bot wired as `nfmm run` wires them.
type slackEnv struct {
	*env
	fake   *slackfake.Server
	runner *countingRunner
	stop   func()
}

func userID(i int) string { return fmt.Sprintf("UBENCH%04d", i) }

// newSlackEnv starts the fake Slack and the bot; claims, when not nil, is the store every
// envelope is claimed in (as with several replicas), nil the in-memory dedupe alone.
func newSlackEnv(ctx context.Context, e *env, users int, claims bot.Claims) (*slackEnv, error) {
	us := map[string]slackfake.User{}
	for i := range users {
		us[userID(i)] = slackfake.User{Name: fmt.Sprintf("user%d", i)}
	}
	fake, err := slackfake.New(slackfake.Options{Users: us,
		Channels: map[string]slackfake.Channel{benchChannel: {Name: "bench"}}})
	if err != nil {
		return nil, err
	}
	runner := &countingRunner{Service: newService(e)}
	b, err := bot.New(bot.Config{BotToken: "xoxb-bench", AppToken: "xapp-bench", APIURL: fake.APIURL(),
		Service: runner, Logger: slog.New(slog.DiscardHandler),
		// Posts are paced per channel (1/s by default); the bench measures acks and CMS load,
		// so it does not wait for the pacing.
		PostInterval: time.Millisecond, DrainTimeout: 2 * time.Second, Claims: claims})
	if err != nil {
		fake.Close()
		return nil, err
	}
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(bctx) }()
	s := &slackEnv{env: e, fake: fake, runner: runner, stop: func() { cancel(); <-done; fake.Close() }}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx); err != nil {
		s.stop()
		return nil, fmt.Errorf("bot did not connect: %w", err)
	}
	return s, nil
}

// waitServed waits until n commands have finished since the counter was at from.
func (s *slackEnv) waitServed(ctx context.Context, from int64, n int) error {
	deadline := time.Now().Add(60 * time.Second)
	for s.runner.done.Load() < from+int64(n) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("only %d of %d commands served", s.runner.done.Load()-from, n)
		}
		time.Sleep(2 * time.Millisecond) // polling only bounds how soon we notice
	}
	return nil
}

// slashResult is scenario 5.
type slashResult struct {
	Commands int
	P50, P99 time.Duration
	Max      time.Duration
	Requests int
	Served   time.Duration // until every command had its answer computed
}

// runSlash is scenario 5: 200 `/cms calls` in one second through the fake Slack.
func runSlash(ctx context.Context, p params, n int) (slashResult, error) {
	return runSlashClaimed(ctx, p, n, nil)
}

// runSlashClaimed is runSlash with every envelope claimed in claims (the store) when not nil.
// The latency is the fake's: from the envelope written to the socket to its ack read back.
func runSlashClaimed(ctx context.Context, p params, n int, claims bot.Claims) (slashResult, error) {
	e, err := newEnv(p, cmssim.Options{Nodes: 8})
	if err != nil {
		return slashResult{}, err
	}
	defer e.Close()
	addCallsLoad(e.sim, 50)
	s, err := newSlackEnv(ctx, e, n, claims)
	if err != nil {
		return slashResult{}, err
	}
	defer s.stop()
	e.sim.ResetCounters()
	from := s.runner.done.Load()
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(n))
	defer tick.Stop()
	var ids []string
	for i := range n {
		env, err := s.fake.SlashCommand(userID(i), benchChannel, "/cms", "calls")
		if err != nil {
			return slashResult{}, err
		}
		ids = append(ids, env.ID)
		<-tick.C
	}
	if err := s.waitServed(ctx, from, n); err != nil {
		return slashResult{}, err
	}
	r := slashResult{Commands: n, Served: time.Since(start)}
	r.Requests, _ = e.counters()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var lat []time.Duration
	for _, a := range s.fake.Acks() {
		if want[a.EnvelopeID] {
			lat = append(lat, a.Latency)
		}
	}
	if len(lat) != n {
		return r, fmt.Errorf("%d of %d slash commands acked", len(lat), n)
	}
	slices.Sort(lat)
	r.P50, r.P99, r.Max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	return r, nil
}

// refreshResult is scenario 6.
type refreshResult struct {
	Users        int
	Single, Many int // CMS requests for one refresh, and for Users refreshes at once
}

// runRefresh is scenario 6: users press Refresh on the roster of the 300-person meeting at once.
func runRefresh(ctx context.Context, p params, users int) (refreshResult, error) {
	e, err := newEnv(p, cmssim.Options{Nodes: 8})
	if err != nil {
		return refreshResult{}, err
	}
	defer e.Close()
	addBigMeeting(e.sim, bigMeeting, 300)
	s, err := newSlackEnv(ctx, e, users, nil)
	if err != nil {
		return refreshResult{}, err
	}
	defer s.stop()
	// Every user opens the roster (an ephemeral message with a Refresh button).
	from := s.runner.done.Load()
	for i := range users {
		if _, err := s.fake.SlashCommand(userID(i), benchChannel, "/cms", "call "+bigMeeting); err != nil {
			return refreshResult{}, err
		}
	}
	if err := s.waitServed(ctx, from, users); err != nil {
		return refreshResult{}, err
	}
	rosters := make([]slackfake.Message, users)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = s.fake.WaitFor(wctx, func() bool {
		for i := range users {
			ms := s.fake.EphemeralFor(userID(i), benchChannel)
			j := slices.IndexFunc(ms, func(m slackfake.Message) bool { return strings.Contains(string(m.Blocks), "nfmm_refresh") })
			if j < 0 {
				return false
			}
			rosters[i] = ms[j]
		}
		return true
	})
	if err != nil {
		return refreshResult{}, fmt.Errorf("rosters not posted: %w", err)
	}
	r := refreshResult{Users: users}
	if r.Single, err = s.refresh(ctx, rosters[:1]); err != nil {
		return r, err
	}
	r.Many, err = s.refresh(ctx, rosters)
	return r, err
}

// refresh clicks Refresh on every message at once and returns the CMS requests it cost.
func (s *slackEnv) refresh(ctx context.Context, ms []slackfake.Message) (int, error) {
	s.sim.ResetCounters()
	from := s.runner.done.Load()
	var wg sync.WaitGroup
	errs := make([]error, len(ms))
	for i, m := range ms {
		wg.Go(func() {
			_, errs[i] = s.fake.ClickAction(slackfake.Click{User: m.VisibleTo, Channel: m.Channel,
				MessageTS: m.TS, ActionID: "nfmm_refresh"})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	if err := s.waitServed(ctx, from, len(ms)); err != nil {
		return 0, err
	}
	n, _ := s.counters()
	return n, nil
}

func printSlack(w io.Writer, sr *slashResult, rr *refreshResult) {
	if sr != nil {
		fmt.Fprintf(w, "5 slack: %d slash commands in 1 s: ack p50 %v, p99 %v, max %v (target p99 < 50ms); all answered after %v with %d CMS requests\n",
			sr.Commands, sr.P50.Round(10*time.Microsecond), sr.P99.Round(10*time.Microsecond), sr.Max.Round(10*time.Microsecond),
			sr.Served.Round(time.Millisecond), sr.Requests)
	}
	if rr != nil {
		fmt.Fprintf(w, "6 refresh: %d users at once: %d CMS requests; one refresh: %d; ratio %.2f (target ≤ 1.2)\n",
			rr.Users, rr.Many, rr.Single, float64(rr.Many)/float64(max(rr.Single, 1)))
	}
}
