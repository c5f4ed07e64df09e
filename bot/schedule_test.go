package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
)

// The scheduler tests run the real commands.Service over the CMS emulator and post through the
// bot to the fake Slack. Runs are triggered with RunNow (the same path a cron tick takes), so
// no test waits for the wall clock except TestSchedulerStartTicks, which waits for one
// @every 1s tick with a deadline.

// reportChannel is the harness's channel: the fake Slack knows no other.
const reportChannel = testChannel

// countMetrics counts ReportRun outcomes.
type countMetrics struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countMetrics) ReportRun(outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[outcome]++
}

func (c *countMetrics) get(outcome string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[outcome]
}

// blockingRunner holds every report inside Execute until released (or its ctx ends), so a
// test can have a run in flight for as long as it needs.
type blockingRunner struct {
	Runner
	entered  chan struct{}
	release  chan struct{}
	returned atomic.Bool
}

func newBlockingRunner(r Runner) *blockingRunner {
	return &blockingRunner{Runner: r, entered: make(chan struct{}, 8), release: make(chan struct{})}
}

func (b *blockingRunner) Execute(ctx context.Context, a commands.Actor, c commands.Command) (commands.Result, error) {
	b.entered <- struct{}{}
	defer b.returned.Store(true)
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.Runner.Execute(ctx, a, c)
}

func schedHarness(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, harnessOptions{})
}

// scheduler builds a scheduler posting through h's bot; cfg.Service defaults to the real one.
func (h *harness) scheduler(cfg SchedulerConfig) *Scheduler {
	h.t.Helper()
	if cfg.Service == nil {
		cfg.Service = h.svc
	}
	if cfg.Reports == nil {
		cfg.Reports = []Report{{Spec: "CRON_TZ=Europe/Oslo 0 8 * * 1-5", Channel: reportChannel}}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := NewScheduler(cfg, h.bot)
	if err != nil {
		h.t.Fatalf("NewScheduler: %v", err)
	}
	h.t.Cleanup(s.Stop)
	return s
}

// reports are the channel messages the bot posted itself (not answers to slash commands).
func (h *harness) reports() []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.fake.Messages(reportChannel) {
		if m.Via == "chat.postMessage" && !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) runNow(s *Scheduler, want ReportOutcome) {
	h.t.Helper()
	if got := s.RunNow(h.ctx(), 0); got != want {
		h.t.Fatalf("RunNow = %q, want %q; log:\n%s", got, want, h.logs.String())
	}
}

func TestSchedulerPostsReport(t *testing.T) {
	h := schedHarness(t)
	big := h.meeting("All hands", people(6, 3)...)
	h.meeting("Standup", cmssim.ParticipantSpec{Name: "Dora", Node: "cb2"},
		cmssim.ParticipantSpec{Name: "Shaky Sam", Node: "cb3", Media: cmssim.Media{PacketLoss: 9, Jitter: 90}})
	metrics := &countMetrics{}
	s := h.scheduler(SchedulerConfig{Metrics: metrics})

	h.runNow(s, ReportPosted)

	msgs := h.reports()
	if len(msgs) != 1 {
		t.Fatalf("report channel has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Ephemeral || m.Via != "chat.postMessage" {
		t.Errorf("report posted ephemeral=%v via %s, want a channel message via chat.postMessage", m.Ephemeral, m.Via)
	}
	for _, want := range []string{"2 meetings", "8 participants", "cb1", "cb2", "cb3", "Largest meetings",
		"All hands", "Standup", "Poor media", "Shaky Sam"} {
		if !contains(want)(m) {
			t.Errorf("report lacks %q:\n%s", want, m.Blocks)
		}
	}
	if contains("Dora")(m) {
		t.Errorf("report lists Dora (good media) under poor media:\n%s", m.Blocks)
	}
	if metrics.get(string(ReportPosted)) != 1 {
		t.Errorf("metrics: posted = %d, want 1", metrics.get(string(ReportPosted)))
	}
	// The Participants button of the largest meeting works for a viewer in that channel.
	env, err := h.fake.ClickAction(slackfake.Click{User: testViewer, Channel: reportChannel, MessageTS: m.TS,
		ActionID: actParticipants, Value: big.Correlator})
	if err != nil {
		t.Fatalf("click Participants: %v", err)
	}
	h.waitAck(env)
	if _, err := h.fake.WaitMessage(h.ctx(), reportChannel, contains("All hands", "Person 001", "Person 006")); err != nil {
		t.Fatalf("no roster after clicking Participants in the report: %v", err)
	}
}

func TestSchedulerQuiet(t *testing.T) {
	tests := []struct {
		name    string
		quiet   bool
		calls   bool
		nodeOff bool
		want    ReportOutcome
		posted  string // "" = nothing posted
	}{
		{name: "quiet, no calls", quiet: true, want: ReportQuiet},
		{name: "quiet, calls", quiet: true, calls: true, want: ReportPosted, posted: "1 meeting"},
		{name: "not quiet, no calls", want: ReportPosted, posted: "0 meetings"},
		// A silent node could be hosting calls: "no calls" is not known, so the report goes out.
		{name: "quiet, no calls, one node down", quiet: true, nodeOff: true, want: ReportPosted, posted: "cb2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := schedHarness(t)
			if tt.calls {
				h.board()
			}
			if tt.nodeOff {
				h.sim.SetDown("cb2", true)
			}
			s := h.scheduler(SchedulerConfig{Quiet: tt.quiet})
			h.runNow(s, tt.want)
			msgs := h.reports()
			switch {
			case tt.posted == "" && len(msgs) != 0:
				t.Errorf("posted %d messages, want none: %s", len(msgs), msgs[0].Text)
			case tt.posted != "" && (len(msgs) != 1 || !contains(tt.posted)(msgs[0])):
				t.Errorf("want one report mentioning %q, got %d messages: %+v", tt.posted, len(msgs), msgs)
			}
		})
	}
}

func TestSchedulerClusterUnreachable(t *testing.T) {
	h := schedHarness(t)
	h.board()
	for _, n := range h.sim.Nodes() {
		h.sim.SetDown(n.Name, true)
	}
	metrics := &countMetrics{}
	s := h.scheduler(SchedulerConfig{Quiet: true, Metrics: metrics, Now: fixedNow})

	h.runNow(s, ReportUnreachable)

	msgs := h.reports()
	if len(msgs) != 1 {
		t.Fatalf("report channel has %d messages, want 1 failure notice", len(msgs))
	}
	for _, want := range []string{"no CMS node answered", "cb1", "cb2", "cb3", "next scheduled run", "Tue 24 Nov 08:00 CET"} {
		if !contains(want)(msgs[0]) {
			t.Errorf("failure notice lacks %q:\n%s", want, msgs[0].Blocks)
		}
	}
	if contains("Largest meetings")(msgs[0]) {
		t.Errorf("failure notice renders a report of zeros:\n%s", msgs[0].Blocks)
	}
	// The cluster comes back: the next run is a normal report.
	for _, n := range h.sim.Nodes() {
		h.sim.SetDown(n.Name, false)
	}
	h.runNow(s, ReportPosted)
	if got := h.reports(); len(got) != 2 || !contains("Board review")(got[1]) {
		t.Errorf("after recovery: %d messages, want the report as the second", len(got))
	}
	if metrics.get(string(ReportUnreachable)) != 1 || metrics.get(string(ReportPosted)) != 1 {
		t.Errorf("metrics: %v, want one unreachable and one posted", metrics.n)
	}
}

func TestSchedulerSlackFailureRetriesNextTick(t *testing.T) {
	tests := []struct {
		name  string
		fault slackfake.Fault
		log   string
	}{
		// Post retries a 429 once; two in a row fail the run.
		{name: "rate limited twice", fault: slackfake.Fault{N: 2, Status: 429}, log: "rate limit"},
		{name: "slack error", fault: slackfake.Fault{N: 1, Error: "internal_error"}, log: "internal_error"},
		{name: "http 500", fault: slackfake.Fault{N: 1, Status: 500}, log: "could not post the report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := schedHarness(t)
			h.board()
			metrics := &countMetrics{}
			s := h.scheduler(SchedulerConfig{Metrics: metrics})
			h.fake.Inject("chat.postMessage", tt.fault)

			h.runNow(s, ReportError)
			if n := len(h.reports()); n != 0 {
				t.Fatalf("%d messages after a failed post, want 0", n)
			}
			if !strings.Contains(h.logs.String(), tt.log) {
				t.Errorf("log does not mention %q:\n%s", tt.log, h.logs.String())
			}
			h.runNow(s, ReportPosted) // the next tick
			if got := h.reports(); len(got) != 1 || !contains("Board review")(got[0]) {
				t.Errorf("next tick posted %d messages, want the report", len(got))
			}
			if metrics.get(string(ReportError)) != 1 || metrics.get(string(ReportPosted)) != 1 {
				t.Errorf("metrics: %v, want one error and one posted", metrics.n)
			}
			if e := s.Entries()[0]; e.LastOutcome != ReportPosted {
				t.Errorf("last outcome %q, want posted", e.LastOutcome)
			}
		})
	}
}

// startRun starts RunNow in the background and waits until it is inside Execute.
func startRun(t *testing.T, s *Scheduler, br *blockingRunner) <-chan ReportOutcome {
	t.Helper()
	out := make(chan ReportOutcome, 1)
	go func() { out <- s.RunNow(context.Background(), 0) }()
	select {
	case <-br.entered:
	case <-time.After(waitTimeout):
		t.Fatal("the run never reached Execute")
	}
	return out
}

func receive(t *testing.T, ch <-chan ReportOutcome, what string) ReportOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		return ""
	}
}

func TestSchedulerNeverOverlaps(t *testing.T) {
	h := schedHarness(t)
	h.board()
	br := newBlockingRunner(h.svc)
	metrics := &countMetrics{}
	s := h.scheduler(SchedulerConfig{Service: br, Metrics: metrics})

	first := startRun(t, s, br)
	if got := s.RunNow(h.ctx(), 0); got != ReportSkipped {
		t.Fatalf("a tick during a slow run = %q, want skipped", got)
	}
	close(br.release)
	if got := receive(t, first, "the slow run"); got != ReportPosted {
		t.Fatalf("slow run = %q, want posted", got)
	}
	if n := len(h.reports()); n != 1 {
		t.Errorf("%d reports posted, want exactly 1", n)
	}
	if metrics.get(string(ReportSkipped)) != 1 || !strings.Contains(h.logs.String(), "previous run is still going") {
		t.Errorf("the skip was not counted and logged: metrics %v", metrics.n)
	}
	// Once it finished, the entry runs again.
	go func() { <-br.entered }()
	h.runNow(s, ReportPosted)
}

func TestSchedulerStopWaitsForRun(t *testing.T) {
	h := schedHarness(t)
	h.board()
	br := newBlockingRunner(h.svc)
	s := h.scheduler(SchedulerConfig{Service: br, StopTimeout: waitTimeout})
	if err := s.Start(h.ctx()); err != nil {
		t.Fatal(err)
	}
	run := startRun(t, s, br)
	stopped := make(chan struct{})
	go func() { s.Stop(); close(stopped) }()
	close(br.release)
	select {
	case <-stopped:
	case <-time.After(waitTimeout):
		t.Fatal("Stop did not return after the run finished")
	}
	// Stop returned only after the run had posted its report.
	if n := len(h.reports()); n != 1 {
		t.Errorf("Stop returned with %d reports posted, want the in-flight run's 1", n)
	}
	if got := receive(t, run, "the run"); got != ReportPosted {
		t.Errorf("run = %q, want posted", got)
	}
	if got := s.RunNow(h.ctx(), 0); got != ReportStopped {
		t.Errorf("RunNow after Stop = %q, want stopped", got)
	}
	if err := s.Start(h.ctx()); !errors.Is(err, ErrSchedulerStopped) {
		t.Errorf("Start after Stop = %v, want ErrSchedulerStopped", err)
	}
}

func TestSchedulerStopCancelsStuckRun(t *testing.T) {
	h := schedHarness(t)
	br := newBlockingRunner(h.svc)
	s := h.scheduler(SchedulerConfig{Service: br, StopTimeout: 20 * time.Millisecond})
	run := startRun(t, s, br) // never released: only cancellation ends it
	s.Stop()
	if !br.returned.Load() {
		t.Error("Stop returned while the run was still inside Execute")
	}
	if got := receive(t, run, "the cancelled run"); got != ReportError {
		t.Errorf("cancelled run = %q, want error", got)
	}
	if !strings.Contains(h.logs.String(), "did not finish in time") {
		t.Errorf("the cancellation was not logged:\n%s", h.logs.String())
	}
}

func TestSchedulerStopsWithContext(t *testing.T) {
	h := schedHarness(t)
	s := h.scheduler(SchedulerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	h.eventually("the scheduler stops", func() bool { return s.RunNow(h.ctx(), 0) == ReportStopped })
}

// botMetrics is the bot's Metrics with report runs counted, like ops.Metrics.
type botMetrics struct {
	noMetrics
	countMetrics
}

// TestBotRunsScheduledReports is the one test that lets cron fire: the bot starts the
// configured schedules with Run, an @every 1s entry posts within the deadline, and the bot's
// metrics count the run.
func TestBotRunsScheduledReports(t *testing.T) {
	metrics := &botMetrics{}
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) {
		c.Reports = []Report{{Spec: "@every 1s", Channel: reportChannel}}
		c.Metrics = metrics
	}})
	h.board()
	if h.bot.Scheduler() == nil || h.bot.Scheduler().Len() != 1 {
		t.Fatalf("the bot has no scheduler for its one report")
	}
	if _, err := h.fake.WaitMessage(h.ctx(), reportChannel, contains("NFMM report", "Board review")); err != nil {
		t.Fatalf("no report from the running schedule: %v", err)
	}
	h.eventually("the run is counted", func() bool { return metrics.get(string(ReportPosted)) >= 1 })
	if err := h.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if got := h.bot.Scheduler().RunNow(h.ctx(), 0); got != ReportStopped {
		t.Errorf("after the bot stopped, RunNow = %q, want stopped", got)
	}
}

func TestSlashSchedule(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*Config)
		text string
		want []string
	}{
		{
			name: "two schedules",
			cfg: func(c *Config) {
				c.Reports = []Report{
					{Spec: "CRON_TZ=Europe/Oslo 0 8 * * 1-5", Channel: reportChannel},
					{Spec: "@hourly", Channel: "#cms-weekly"},
				}
				c.ReportQuiet = true
				c.ReportLocation = time.UTC
			},
			text: "schedule",
			want: []string{"2 schedules", "CRON_TZ=Europe/Oslo 0 8 * * 1-5", "<#" + reportChannel + ">",
				"Tue 24 Nov 08:00 CET (in 30m)", "@hourly", "#cms-weekly", "Tue 24 Nov 07:00 UTC (in 30m)", "quiet"},
		},
		{name: "none", text: "schedule", want: []string{"No reports are scheduled", "NFMM_REPORT_SCHEDULE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{BotConfig: func(c *Config) {
				c.Now = fixedNow
				if tt.cfg != nil {
					tt.cfg(c)
				}
			}})
			h.slash(testViewer, tt.text)
			m := h.waitMessage(testViewer, "the schedule list", contains("NFMM scheduled reports"))
			if !m.Ephemeral {
				t.Errorf("schedule list is a channel message; want it ephemeral")
			}
			for _, w := range tt.want {
				if !contains(w)(m) {
					t.Errorf("schedule list lacks %q:\n%s", w, m.Blocks)
				}
			}
		})
	}
}

func TestSlashScheduleShowsLastRun(t *testing.T) {
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) {
		c.Reports = []Report{{Spec: "CRON_TZ=UTC 0 8 * * *", Channel: reportChannel}}
		c.Now = fixedNow
	}})
	h.board()
	h.runNow(h.bot.Scheduler(), ReportPosted)
	h.slash(testViewer, "schedule public")
	m := h.waitMessage(testViewer, "the public schedule list", contains("NFMM scheduled reports", "last run Tue 24 Nov 06:30 UTC: posted"))
	if m.Ephemeral {
		t.Errorf("`schedule public` answered ephemerally; want a channel message")
	}
}

func TestSlashReport(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.board()
	h.slash(testViewer, "report")
	m := h.waitMessage(testViewer, "the report", contains("NFMM report", "Board review", actParticipants))
	if !m.Ephemeral || m.VisibleTo != testViewer {
		t.Errorf("`report` answered ephemeral=%v to %q; want ephemeral to the viewer", m.Ephemeral, m.VisibleTo)
	}
	h.slash(testViewer, "report public")
	m = h.waitMessage(testOperator, "the public report", contains("NFMM report", "1 meeting", "3 participants"))
	if m.Ephemeral {
		t.Errorf("`report public` answered ephemerally; want a channel message")
	}
}

// fixedNow is Tuesday 24 Nov 2026 06:30 UTC (07:30 in Oslo).
func fixedNow() time.Time { return time.Date(2026, 11, 24, 6, 30, 0, 0, time.UTC) }

func TestSchedulerEntriesNextRun(t *testing.T) {
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spec string
		loc  *time.Location
		want time.Time
	}{
		{"CRON_TZ=Europe/Oslo 0 8 * * 1-5", time.UTC, time.Date(2026, 11, 24, 8, 0, 0, 0, oslo)},
		{"@hourly", time.UTC, time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)},
		{"30 6 * * *", time.UTC, time.Date(2026, 11, 25, 6, 30, 0, 0, time.UTC)}, // strictly after now
		{"0 8 * * *", oslo, time.Date(2026, 11, 24, 8, 0, 0, 0, oslo)},           // no CRON_TZ: the scheduler's zone
		{"0 9 * * 6", time.UTC, time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)},   // Saturday
		// @every fires on multiples of its interval (since the zero time), the same on every
		// replica and after every restart: 06:30 falls between 06:00 and 07:30.
		{"@every 90m", time.UTC, time.Date(2026, 11, 24, 7, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := NewScheduler(SchedulerConfig{
				Reports: []Report{{Spec: tt.spec, Channel: reportChannel}}, Service: nopRunner{},
				Location: tt.loc, Now: fixedNow,
			}, nopPoster{})
			if err != nil {
				t.Fatal(err)
			}
			e := s.Entries()
			if len(e) != 1 || !e[0].Next.Equal(tt.want) || e[0].Spec != tt.spec || e[0].Channel != reportChannel {
				t.Errorf("Entries() = %+v, want next %v", e, tt.want)
			}
		})
	}
}

func TestNewSchedulerRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		r    Report
	}{
		{"six fields", Report{Spec: "0 0 8 * * *", Channel: reportChannel}},
		{"garbage", Report{Spec: "every day", Channel: reportChannel}},
		{"tz without schedule", Report{Spec: "CRON_TZ=Europe/Oslo", Channel: reportChannel}},
		{"unknown zone", Report{Spec: "CRON_TZ=Mars/Base 0 8 * * *", Channel: reportChannel}},
		{"empty", Report{Spec: "", Channel: reportChannel}},
		{"no channel", Report{Spec: "@daily"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewScheduler(SchedulerConfig{Reports: []Report{tt.r}, Service: nopRunner{}}, nopPoster{})
			if err == nil {
				t.Errorf("NewScheduler(%+v) = nil error, want one", tt.r)
			}
		})
	}
}

type nopRunner struct{ Runner }

type nopPoster struct{}

func (nopPoster) Post(context.Context, string, message) (string, error) { return "1.0", nil }
