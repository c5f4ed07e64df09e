package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

// The replica test's fixed names.
const (
	replicaReportChannel = "C0REPLREPORT"
	replicaReportKey     = replicaReportChannel + " @every 10s" // the firing key (channel and spec)
	replicaAckTimeout    = 2 * time.Second                      // the fake redelivers an envelope not acked within this
	replicaWorkers       = 8
	replicaOpWait        = 20 * time.Second // one command's answer, redeliveries included
)

// TestReplicasOnPostgres runs two, then three real `nfmm run` processes on one PostgreSQL
// database, one fake Slack app (a socket per replica, envelopes spread across them) and one CMS
// emulator, and shows the replica contract:
//   - a few hundred mixed commands and clicks (mute/unmute typed and clicked, layouts, roster
//     refreshes, reads), many of them redelivered to another replica's socket, on purpose or
//     because a stopped replica did not ack in time: every envelope answered once and every
//     change made on CMS exactly once;
//   - the `@every 10s` report posted exactly once per firing;
//   - the leader SIGKILLed: another replica takes the lease and posts the next firing within
//     30 s (the measured failover is logged).
func TestReplicasOnPostgres(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	obs := storetest.OpenConfig(t, store.Config{URL: dbURL}) // migrates; the test reads the lease and firings
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2, Seed: 15})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	w := &replicaWorld{t: t, obs: obs, sim: sim, writes: map[string]int{}}
	sim.OnRequest(func(r cmssim.RequestInfo) {
		// Writes, not counting the tokens each replica takes for the emulator's event socket.
		if r.Method != "GET" && r.Path != "/api/v1/authTokens" {
			w.mu.Lock()
			w.writes[r.Method+" "+r.Path]++
			w.mu.Unlock()
		}
	})
	w.fake = slackfake.NewTest(t, slackfake.Options{AckTimeout: replicaAckTimeout})
	var nodes []string
	for _, n := range sim.Nodes() {
		nodes = append(nodes, n.Name+"="+n.URL)
	}
	var operators []string
	for i := range replicaWorkers {
		m := sim.AddMeeting(cmssim.MeetingSpec{Name: fmt.Sprintf("Replica room %d", i), Participants: []cmssim.ParticipantSpec{
			{Name: fmt.Sprintf("Worker%d Target", i), Node: fmt.Sprintf("cb%d", i%2+1)},
			{Name: fmt.Sprintf("Worker%d Bystander", i), Node: fmt.Sprintf("cb%d", (i+1)%2+1)},
		}})
		wk := &replicaWorker{w: w, user: fmt.Sprintf("U0REPL%03d", i), channel: fmt.Sprintf("C0REPL%03d", i),
			meeting: m, leg: m.Legs[slices.IndexFunc(m.Legs, func(l cmssim.LegState) bool { return strings.Contains(l.Name, "Target") })],
			rng: rand.New(rand.NewPCG(15, uint64(i))), layout: "allEqual"}
		w.workers = append(w.workers, wk)
		operators = append(operators, wk.user)
	}
	w.env = []string{
		"SLACK_BOT_TOKEN=xoxb-1111111111-2222222222-replicatestvalue",
		"SLACK_APP_TOKEN=xapp-1-A0123456789-3333333333-replicatestvalue",
		"SLACK_API_URL=" + w.fake.APIURL(),
		"CMS_NODES=" + strings.Join(nodes, ","),
		"CMS_USERNAME=" + sim.Username, "CMS_PASSWORD=" + sim.Password,
		"NFMM_HTTP_ADDR=off",
		"NFMM_OPERATORS=" + strings.Join(operators, ","),
		"NFMM_DATABASE_URL=" + dbURL,
		"NFMM_REPORT_SCHEDULE=@every 10s > " + replicaReportChannel,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// Two replicas.
	w.startReplica(ctx)
	w.startReplica(ctx)
	if err := w.fake.WaitConnections(ctx, 2); err != nil {
		t.Fatalf("two replicas did not connect: %v\n%s", err, w.logs())
	}
	for _, wk := range w.workers {
		wk.openRoster(ctx)
	}
	if !w.phase(ctx, "two replicas", 12, nil) {
		t.FailNow()
	}

	// Three replicas; one of the followers stops for a while (SIGSTOP): the envelopes its socket
	// got are not acked in time and the fake redelivers them to the others. When it resumes it
	// acks them late and must not act on them.
	w.startReplica(ctx)
	if err := w.fake.WaitConnections(ctx, 3); err != nil {
		t.Fatalf("the third replica did not connect: %v\n%s", err, w.logs())
	}
	f := w.follower(ctx)
	if !w.phase(ctx, "three replicas, one stopped for 5 s", 16, func() {
		t.Logf("SIGSTOP %s for 5 s", f.name)
		_ = f.cmd.Process.Signal(syscall.SIGSTOP)
		time.Sleep(5 * time.Second)
		_ = f.cmd.Process.Signal(syscall.SIGCONT)
	}) {
		t.FailNow()
	}
	if n := w.autoRedelivered(); n == 0 {
		t.Errorf("no envelope was redelivered after an ack timeout while a replica was stopped")
	} else {
		t.Logf("%d envelopes redelivered to another socket after an ack timeout", n)
	}

	// The leader dies.
	leader := w.leader(ctx)
	if _, err := w.waitFiring(ctx, time.Time{}, ""); err != nil { // the schedule runs before the kill
		t.Fatal(err)
	}
	killed := time.Now()
	if err := leader.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-leader.done
	if err := w.fake.WaitFor(ctx, func() bool { return w.fake.Connections() == 2 }); err != nil {
		t.Fatal(err)
	}
	tookOver := make(chan time.Duration, 1)
	survivors := make(chan bool, 1)
	go func() { // commands keep working on the survivors during the failover
		survivors <- w.phase(ctx, "two replicas after the leader's SIGKILL", 8, nil)
	}()
	go func() {
		for ctx.Err() == nil {
			if l, ok, err := obs.LeaseOf(ctx, "leader"); err == nil && ok && l.Holder != leader.name && l.ExpiresAt.After(time.Now()) {
				tookOver <- time.Since(killed)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	fired, err := w.waitFiring(ctx, killed, leader.name)
	if err != nil {
		t.Fatalf("no report firing after the leader's SIGKILL: %v\n%s", err, w.logs())
	}
	back := fired.FinishedAt.Sub(killed)
	lease := <-tookOver
	t.Logf("failover: leader %s SIGKILLed; lease taken by another replica after %s, its first report firing (due %s, late=%v) posted after %s",
		leader.name, lease.Round(time.Millisecond), fired.FireAt.Format(time.TimeOnly), fired.Late, back.Round(time.Millisecond))
	if back > 30*time.Second {
		t.Errorf("the scheduler came back %s after the leader's SIGKILL, want within 30 s", back)
	}
	if !<-survivors {
		t.FailNow()
	}
	// One more firing, so the schedule is shown going on after the takeover.
	if _, err := w.waitFiring(ctx, fired.FinishedAt, leader.name); err != nil {
		t.Fatal(err)
	}
	w.stopAll(ctx)
	w.checkFirings(ctx, killed, leader.name)
}

type replicaWorld struct {
	t    *testing.T
	obs  *store.Store
	sim  *cmssim.Sim
	fake *slackfake.Server
	env  []string

	mu         sync.Mutex
	writes     map[string]int  // "PUT /api/v1/callLegs/<id>" -> requests the emulator received
	redeliver  map[string]bool // envelopes the test redelivered itself
	replicas   []*replicaProc
	workers    []*replicaWorker
	redelivers atomic.Int64
	racing     atomic.Int64
}

// replicaProc is one `nfmm run` process: this test binary acting as nfmm (TestMain).
type replicaProc struct {
	name string // its store replica name, hostname-pid
	cmd  *exec.Cmd
	out  lockedBuffer
	done chan struct{}
}

func (w *replicaWorld) startReplica(ctx context.Context) *replicaProc {
	w.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		w.t.Fatal(err)
	}
	p := &replicaProc{done: make(chan struct{})}
	p.cmd = exec.Command(exe, "run")
	p.cmd.Env = append([]string{"NFMM_TEST_AS_NFMM=1", "PATH=" + os.Getenv("PATH"), "HOME=" + w.t.TempDir(),
		"NFMM_DATA_DIR=" + w.t.TempDir()}, w.env...)
	p.cmd.Dir = w.t.TempDir() // no .env
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	host, _ := os.Hostname()
	p.name = fmt.Sprintf("%s-%d", host, p.cmd.Process.Pid)
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	w.t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	w.mu.Lock()
	w.replicas = append(w.replicas, p)
	w.mu.Unlock()
	return p
}

// stopAll stops every live replica with SIGTERM (a clean shutdown) and waits for it.
func (w *replicaWorld) stopAll(ctx context.Context) {
	for _, p := range w.replicas {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range w.replicas {
		select {
		case <-p.done:
		case <-ctx.Done():
			w.t.Fatalf("%s did not stop on SIGTERM", p.name)
		}
	}
}

func (w *replicaWorld) logs() string {
	var b strings.Builder
	for _, p := range w.replicas {
		s := p.out.String()
		if len(s) > 6000 {
			s = "…" + s[len(s)-6000:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", p.name, s)
	}
	return b.String()
}

// leader is the replica holding the lease, once one does.
func (w *replicaWorld) leader(ctx context.Context) *replicaProc {
	w.t.Helper()
	for ctx.Err() == nil {
		if l, ok, err := w.obs.LeaseOf(ctx, "leader"); err == nil && ok && l.ExpiresAt.After(time.Now()) {
			for _, p := range w.replicas {
				if p.name == l.Holder {
					return p
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Fatalf("no leader\n%s", w.logs())
	return nil
}

// follower is a live replica that is not the leader.
func (w *replicaWorld) follower(ctx context.Context) *replicaProc {
	l := w.leader(ctx)
	for _, p := range w.replicas {
		if p != l {
			select {
			case <-p.done:
			default:
				return p
			}
		}
	}
	w.t.Fatal("no follower")
	return nil
}

// waitFiring waits for a report firing claimed after since by another replica than not, and
// returns it once it finished.
func (w *replicaWorld) waitFiring(ctx context.Context, since time.Time, not string) (store.Firing, error) {
	for ctx.Err() == nil {
		fs, err := w.obs.Firings(ctx, replicaReportKey, since.Add(-time.Minute)) // a late catch-up is due before since
		if err == nil {
			for _, f := range fs {
				if f.Replica != not && f.Outcome != "" && (since.IsZero() || f.ClaimedAt.After(since)) {
					return f, nil
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return store.Firing{}, fmt.Errorf("no report firing since %s: %w", since.Format(time.TimeOnly), ctx.Err())
}

// phase runs ops commands and clicks per worker, all workers at once, with during (if any)
// beside them, then checks that nothing was answered or done twice. It reports failures with
// Errorf (it may run beside the test goroutine) and returns false after any.
func (w *replicaWorld) phase(ctx context.Context, name string, ops int, during func()) bool {
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(w.workers))
	for _, wk := range w.workers {
		wg.Go(func() {
			for range ops {
				if err := wk.step(ctx); err != nil {
					errs <- fmt.Errorf("%s: %w", wk.user, err)
					return
				}
			}
		})
	}
	if during != nil {
		wg.Go(during)
	}
	wg.Wait()
	close(errs)
	ok := true
	for err := range errs {
		w.t.Errorf("%s: %v", name, err)
		ok = false
	}
	if !ok {
		w.t.Errorf("logs:\n%s", w.logs())
		return false
	}
	// Room for a late duplicate: past the fake's ack timeout, so any redelivery is in too.
	time.Sleep(replicaAckTimeout + time.Second)
	if !w.checkOnce(name) {
		w.t.Errorf("logs:\n%s", w.logs())
		return false
	}
	w.t.Logf("%s: %d ops in %s; so far %d redeliveries by the test (%d racing the first delivery), acks per socket %v",
		name, ops*len(w.workers), time.Since(began).Round(time.Millisecond), w.redelivers.Load(), w.racing.Load(), w.acksPerSocket())
	return true
}

// checkOnce: every worker's slash commands got exactly one answer each, and the emulator got
// exactly one write per change the workers asked for, none anywhere else.
func (w *replicaWorld) checkOnce(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	ok := true
	fail := func(format string, args ...any) {
		w.t.Errorf(format, args...)
		ok = false
	}
	want := 0
	for _, wk := range w.workers {
		if got := len(w.fake.EphemeralFor(wk.user, wk.channel)); got != wk.slashes {
			fail("%s: %s got %d answers to %d slash commands:\n%s", name, wk.user, got, wk.slashes, describeAnswers(w.fake, wk.user, wk.channel))
		}
		path := "PUT /api/v1/callLegs/" + wk.leg.ID
		if got := w.writes[path]; got != wk.changes {
			fail("%s: %s: %d requests, want %d (one per change asked for)", name, path, got, wk.changes)
		}
		want += wk.changes
	}
	total := 0
	for _, n := range w.writes {
		total += n
	}
	if total != want {
		fail("%s: the emulator got %d writes, want %d: %v", name, total, want, w.writes)
	}
	return ok
}

func (w *replicaWorld) acksPerSocket() map[int]int {
	per := map[int]int{}
	for _, a := range w.fake.Acks() {
		per[a.Connection]++
	}
	return per
}

// autoRedelivered counts envelopes the fake redelivered to another socket on its own, after an
// ack timeout.
func (w *replicaWorld) autoRedelivered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, e := range w.fake.Envelopes() {
		if !w.redeliver[e.ID] && len(e.Deliveries) > 1 && e.Deliveries[1].Connection != e.Deliveries[0].Connection {
			n++
		}
	}
	return n
}

// checkFirings: every report firing the store recorded was posted exactly once (one message in
// its claim-to-finish window, and no message outside one), and no fire time was skipped
// except across the leader's death.
func (w *replicaWorld) checkFirings(ctx context.Context, killed time.Time, dead string) {
	w.t.Helper()
	fs, err := w.obs.Firings(ctx, replicaReportKey, time.Time{})
	if err != nil {
		w.t.Fatal(err)
	}
	const slack = 5 * time.Millisecond // the store keeps milliseconds
	in := func(at, from, to time.Time) bool { return !at.Before(from.Add(-slack)) && !at.After(to.Add(slack)) }
	msgs := w.fake.Messages(replicaReportChannel)
	posts := make([]int, len(fs))
	for _, m := range msgs {
		owner := slices.IndexFunc(fs, func(f store.Firing) bool { return f.Outcome != "" && in(m.PostedAt, f.ClaimedAt, f.FinishedAt) })
		if owner < 0 { // the dead leader may have posted a firing it could not record as finished
			owner = slices.IndexFunc(fs, func(f store.Firing) bool { return f.Outcome == "" && in(m.PostedAt, f.ClaimedAt, killed) })
		}
		if owner < 0 {
			w.t.Errorf("a report message at %s matches no firing: %q", m.PostedAt.Format(time.TimeOnly), m.Text)
			continue
		}
		posts[owner]++
	}
	for i, f := range fs {
		want := 0
		switch f.Outcome {
		case "posted", "unreachable": // unreachable posts a failure notice
			want = 1
		case "":
			if f.Replica != dead {
				w.t.Errorf("firing due %s by %s never finished", f.FireAt.Format(time.TimeOnly), f.Replica)
			}
			want = min(posts[i], 1)
		}
		if posts[i] != want {
			w.t.Errorf("firing due %s (%s, %s, late=%v) posted %d times, want %d", f.FireAt.Format(time.TimeOnly), f.Replica, f.Outcome, f.Late, posts[i], want)
		}
		if i > 0 {
			gap := f.FireAt.Sub(fs[i-1].FireAt)
			if gap != 10*time.Second && (f.FireAt.Before(killed) || gap > 30*time.Second) {
				w.t.Errorf("firings due %s and %s are %s apart, want 10 s (more only across the failover)",
					fs[i-1].FireAt.Format(time.TimeOnly), f.FireAt.Format(time.TimeOnly), gap)
			}
		}
	}
	if len(fs) < 3 { // before the kill, the catch-up after it, and the next one
		w.t.Errorf("only %d report firings over the run", len(fs))
	}
	w.t.Logf("%d report firings, %d report messages: each firing posted once", len(fs), len(msgs))
}

// replicaWorker is one operator toggling one participant, in their own channel, one step at a
// time: every change it asks for must reach CMS exactly once.
type replicaWorker struct {
	w       *replicaWorld
	user    string
	channel string
	meeting cmssim.MeetingInfo
	leg     cmssim.LegState
	rng     *rand.Rand

	slashes int // slash commands sent: the answers expected
	changes int // changes asked for on the leg: the emulator writes expected
	muted   bool
	layout  string
	roster  string // ts of the worker's roster (an ephemeral message)
}

func (wk *replicaWorker) blockID() string {
	return wk.meeting.Correlator + "|" + wk.leg.Node + "|" + wk.leg.ID
}

func (wk *replicaWorker) slash(ctx context.Context, text string, done func() bool) error {
	env, err := wk.w.fake.SlashCommand(wk.user, wk.channel, "/cms", text)
	if err != nil {
		return err
	}
	wk.slashes++
	wk.maybeRedeliver(ctx, env)
	return wk.wait(ctx, "the answer to "+text, func() bool {
		return len(wk.w.fake.EphemeralFor(wk.user, wk.channel)) >= wk.slashes && (done == nil || done())
	})
}

func (wk *replicaWorker) click(ctx context.Context, action, block string, done func() bool) error {
	env, err := wk.w.fake.ClickAction(slackfake.Click{User: wk.user, Channel: wk.channel, MessageTS: wk.roster, BlockID: block, ActionID: action})
	if err != nil {
		return fmt.Errorf("click %s: %w", action, err)
	}
	wk.maybeRedeliver(ctx, env)
	if err := wk.wait(ctx, "the effect of "+action, done); err != nil {
		e, _ := wk.w.fake.Message(wk.channel, wk.roster)
		var deliveries []slackfake.Delivery
		acked := false
		for _, x := range wk.w.fake.Envelopes() {
			if x.ID == env.ID {
				deliveries, acked = x.Deliveries, x.Acked
			}
		}
		return fmt.Errorf("%w (envelope %s acked=%v deliveries %+v; leg %+v; roster edited %v at %s)", err, env.ID, acked, deliveries, wk.legState(), e.Edited, e.UpdatedAt.Format(time.StampMilli))
	}
	return nil
}

// maybeRedeliver sends some envelopes again to another socket, as Slack does when an ack is
// late: right away (racing the first delivery) or after the ack.
func (wk *replicaWorker) maybeRedeliver(ctx context.Context, env slackfake.Envelope) {
	r := wk.rng.Float64()
	if r >= 0.4 {
		return
	}
	if r < 0.1 {
		wk.w.racing.Add(1)
	} else if _, err := wk.w.fake.WaitAck(ctx, env.ID); err != nil {
		return
	}
	wk.w.mu.Lock()
	if wk.w.redeliver == nil {
		wk.w.redeliver = map[string]bool{}
	}
	wk.w.redeliver[env.ID] = true
	wk.w.mu.Unlock()
	if _, err := wk.w.fake.Redeliver(env.ID); err == nil {
		wk.w.redelivers.Add(1)
	}
}

func (wk *replicaWorker) wait(ctx context.Context, what string, done func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, replicaOpWait)
	defer cancel()
	for !done() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not seen within %s", what, replicaOpWait)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

func (wk *replicaWorker) legState() cmssim.LegState {
	l, _ := wk.w.sim.Leg(wk.leg.ID)
	return l
}

// rosterShows reports whether the worker's roster offers action on its participant's row.
func (wk *replicaWorker) rosterShows(action string) bool {
	m, ok := wk.w.fake.Message(wk.channel, wk.roster)
	return ok && blockHasAction(m.Blocks, wk.blockID(), action)
}

// rosterUpdated is when the bot last replaced the worker's roster.
func (wk *replicaWorker) rosterUpdated() time.Time {
	m, _ := wk.w.fake.Message(wk.channel, wk.roster)
	return m.UpdatedAt
}

func blockHasAction(raw json.RawMessage, blockID, action string) bool {
	var blocks []struct {
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string `json:"action_id"`
		} `json:"elements"`
		Accessory *struct {
			ActionID string `json:"action_id"`
		} `json:"accessory"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return false
	}
	for _, b := range blocks {
		if b.BlockID != blockID {
			continue
		}
		if b.Accessory != nil && b.Accessory.ActionID == action {
			return true
		}
		for _, e := range b.Elements {
			if e.ActionID == action {
				return true
			}
		}
	}
	return false
}

func (wk *replicaWorker) openRoster(ctx context.Context) {
	wk.w.t.Helper()
	before := len(wk.w.fake.EphemeralFor(wk.user, wk.channel))
	if err := wk.slash(ctx, "call "+wk.meeting.Correlator, func() bool {
		return len(wk.w.fake.EphemeralFor(wk.user, wk.channel)) > before
	}); err != nil {
		wk.w.t.Fatalf("%s: %v\n%s", wk.user, err, wk.w.logs())
	}
	eph := wk.w.fake.EphemeralFor(wk.user, wk.channel)
	wk.roster = eph[len(eph)-1].TS
	if !wk.rosterShows("nfmm_mute_audio") {
		wk.w.t.Fatalf("%s: the roster has no mute button for %s: %s", wk.user, wk.leg.Name, eph[len(eph)-1].Blocks)
	}
}

// step is one command or click, chosen at random.
func (wk *replicaWorker) step(ctx context.Context) error {
	id := wk.leg.ID
	switch r := wk.rng.IntN(100); {
	case r < 30: // typed mute / unmute
		want := !wk.muted
		verb := map[bool]string{true: "mute", false: "unmute"}[want]
		wk.changes++
		wk.muted = want
		return wk.slash(ctx, verb+" "+id+" audio", func() bool { return wk.legState().RxAudioMute == want })
	case r < 65: // clicked mute / unmute in the roster
		action := "nfmm_mute_audio"
		if wk.muted {
			action = "nfmm_unmute_audio"
		}
		// The roster shows the replica's live view of CMS, which learns other replicas' (and,
		// right after a write, its own) changes from CMS's events: Refresh until it offers
		// the button, as a user would.
		for try := 0; !wk.rosterShows(action); try++ {
			if try == 10 {
				return fmt.Errorf("the roster does not offer %s after %d refreshes", action, try)
			}
			before := wk.rosterUpdated()
			if err := wk.click(ctx, "nfmm_refresh", "", func() bool { return wk.rosterUpdated().After(before) }); err != nil {
				return err
			}
		}
		want := !wk.muted
		wk.changes++
		wk.muted = want
		before := wk.rosterUpdated()
		return wk.click(ctx, action, wk.blockID(), func() bool { return wk.legState().RxAudioMute == want && wk.rosterUpdated().After(before) })
	case r < 85: // typed layout
		want := map[string]string{"allEqual": "speakerOnly", "speakerOnly": "allEqual"}[wk.layout]
		wk.changes++
		wk.layout = want
		return wk.slash(ctx, "layout "+id+" "+want, func() bool { return wk.legState().ChosenLayout == want })
	default: // a read
		return wk.slash(ctx, "participant "+id, nil)
	}
}

// describeAnswers lists a worker's answers, for a failure message.
func describeAnswers(fake *slackfake.Server, user, channel string) string {
	var b strings.Builder
	for _, m := range fake.EphemeralFor(user, channel) {
		fmt.Fprintf(&b, "  %s via %s: %.120q\n", m.PostedAt.Format("15:04:05.000"), m.Via, m.Text)
	}
	return b.String()
}
