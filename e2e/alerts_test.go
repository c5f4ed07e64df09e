package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/bot"
	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

const (
	alertChannel = "C0OPS"
	alertOp      = "U0ALERTOP"
	alertViewer  = "U0ALERTVW"
)

// manualClock is the evaluator's, the emulator's and the fake Slack's clock; the test moves it.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// alertRig is the emulator, the fake Slack, the real bot and the alert evaluator on the CMS
// sources, with a manual clock: the test ticks the evaluator, Slack and CMS are real HTTP.
type alertRig struct {
	t       *testing.T
	clock   *manualClock
	sim     *cmssim.Sim
	fake    *slackfake.Server
	cluster *cms.Cluster
	store   *alerts.MemoryStore
	srcCfg  alerts.SourceConfig
	audit   bytes.Buffer

	ev      *alerts.Evaluator
	stopBot func()
}

func newAlertRig(t *testing.T, srcCfg alerts.SourceConfig) *alertRig {
	t.Helper()
	clock := &manualClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	sim, err := cmssim.Start(cmssim.Options{Nodes: 3, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var nodes []*cms.Node
	for _, ni := range sim.Nodes() {
		n, err := cms.NewNode(cms.NodeConfig{Name: ni.Name, BaseURL: ni.URL, Username: sim.Username,
			Password: sim.Password, HTTPClient: sim.HTTPClient(), Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	r := &alertRig{t: t, clock: clock, sim: sim, fake: slackfake.NewTest(t, slackfake.Options{Clock: clock.Now}), cluster: cms.NewCluster(nodes),
		store: alerts.NewMemoryStore(), srcCfg: srcCfg}
	r.start()
	t.Cleanup(func() { r.stopBot() })
	return r
}

// start builds a bot and an evaluator on the rig's store, as a (re)started NFMM would.
func (r *alertRig) start() {
	t := r.t
	t.Helper()
	svc := commands.New(commands.Config{Cluster: r.cluster,
		Policy: commands.Policy{Operators: []string{alertOp}, Viewers: []string{alertViewer}}})
	b, err := bot.New(bot.Config{BotToken: "xoxb-alert-test", AppToken: "xapp-alert-test", APIURL: r.fake.APIURL(),
		Service: svc, PostInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := r.srcCfg
	cfg.Cluster, cfg.Clock = r.cluster, r.clock.Now
	r.ev = alerts.New(alerts.Options{Sources: alerts.Sources(cfg), Notifier: b.AlertNotifier(), Store: r.store,
		Clock: r.clock.Now, Route: func(alerts.Key) string { return alertChannel },
		Audit: slog.New(slog.NewJSONHandler(&r.audit, nil))})
	b.SetAlerts(r.ev)
	svc.SetAlerts(r.ev)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	before := r.fake.Connects()
	go func() { defer close(done); _ = b.Run(ctx) }()
	r.stopBot = func() { cancel(); <-done }
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := r.fake.WaitFor(wctx, func() bool { return r.fake.Connects() > before && r.fake.Connections() > 0 }); err != nil {
		t.Fatalf("bot did not connect: %v", err)
	}
}

func (r *alertRig) restart() {
	r.stopBot()
	r.start()
}

// step moves the clock by d in 1 s ticks.
func (r *alertRig) step(d time.Duration) {
	for i := time.Duration(0); i < d; i += time.Second {
		r.clock.Advance(time.Second)
		r.ev.Tick(context.Background())
	}
}

// tops are the alert's top-level messages, threads the replies in their threads.
func (r *alertRig) tops() []slackfake.Message {
	var out []slackfake.Message
	for _, m := range r.fake.Messages(alertChannel) {
		if m.ThreadTS == "" && !m.Ephemeral {
			out = append(out, m)
		}
	}
	return out
}

func (r *alertRig) replies(ts string) []string {
	var out []string
	for _, m := range r.fake.Messages(alertChannel) {
		if m.ThreadTS == ts {
			out = append(out, m.Text)
		}
	}
	return out
}

// one requires exactly one top-level message and returns it.
func (r *alertRig) one(summary string) slackfake.Message {
	r.t.Helper()
	tops := r.tops()
	if len(tops) != 1 || !strings.Contains(tops[0].Text, summary) {
		var texts []string
		for _, m := range tops {
			texts = append(texts, m.Text)
		}
		r.t.Fatalf("top-level messages %q, want exactly one about %q", texts, summary)
	}
	return tops[0]
}

func (r *alertRig) wantReply(ts, sub string) {
	r.t.Helper()
	for _, s := range r.replies(ts) {
		if strings.Contains(s, sub) {
			return
		}
	}
	r.t.Fatalf("thread replies %q, want one containing %q", r.replies(ts), sub)
}

// click presses an alert button as user and waits until the bot acked the envelope and
// handled it (the handler posts or updates something visible).
func (r *alertRig) click(ts, action, user string, done func() bool) {
	r.t.Helper()
	env, err := r.fake.ClickButton(alertChannel, ts, action, user)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.fake.WaitAck(ctx, env.ID); err != nil {
		r.t.Fatal(err)
	}
	if err := r.fake.WaitFor(ctx, done); err != nil {
		r.t.Fatalf("%s by %s: nothing happened: %v", action, user, err)
	}
}

// alertCase is one source: how to break and fix it, how long it takes to fire and to be seen.
type alertCase struct {
	name    string
	cfg     alerts.SourceConfig
	setup   func(r *alertRig)
	breakIt func(r *alertRig)
	fix     func(r *alertRig)
	fire    time.Duration // from breakIt until the alert is posted
	seen    time.Duration // one source interval and a tick
	summary string
}

func alertCases() []alertCase {
	var board, share cmssim.MeetingInfo
	var dialed []string
	ctx := context.Background()
	// Meeting history's runtime: its registration round (the leader's, every 10 minutes)
	// is what the cdr_receivers source reads.
	var history *app.CDRRuntime
	cdrCfg := config.CDR{URL: "https://nfmm.corp.test:8443/cdr/e2e0alert0token0123", Token: "e2e0alert0token0123",
		Addr: "127.0.0.1:0", HistoryDays: config.DefaultHistoryDays}
	return []alertCase{
		{name: "node down", fire: 32 * time.Second, seen: 3 * time.Second, summary: "cb2 is unreachable",
			breakIt: func(r *alertRig) { r.sim.SetDown("cb2", true) },
			fix:     func(r *alertRig) { r.sim.SetDown("cb2", false) }},
		{name: "credentials rejected", fire: 32 * time.Second, seen: 3 * time.Second, summary: "cb3 rejects NFMM",
			breakIt: func(r *alertRig) { r.sim.SetAuthFailure("cb3", true) },
			fix:     func(r *alertRig) { r.sim.SetAuthFailure("cb3", false) }},
		{name: "CMS alarm", fire: 16 * time.Second, seen: 16 * time.Second, summary: "CMS alarm recorderUnavailable on cb1",
			breakIt: func(r *alertRig) { r.sim.RaiseAlarm("cb1", "recorderUnavailable", "connectFailure") },
			fix:     func(r *alertRig) { r.sim.ClearAlarm("cb1", "recorderUnavailable") }},
		{name: "licence expiring", cfg: alerts.SourceConfig{LicenceEvery: 5 * time.Second},
			fire: 6 * time.Second, seen: 6 * time.Second, summary: "CMS licence expires on",
			breakIt: func(r *alertRig) { r.sim.SetLicenseExpiry(r.clock.Now().AddDate(0, 0, 12)) },
			fix:     func(r *alertRig) { r.sim.SetLicenseExpiry(r.clock.Now().AddDate(1, 0, 0)) }},
		{name: "licence expired", cfg: alerts.SourceConfig{LicenceEvery: 5 * time.Second},
			fire: 6 * time.Second, seen: 6 * time.Second, summary: "CMS licence expired",
			breakIt: func(r *alertRig) { r.sim.SetLicenseExpiry(r.clock.Now().AddDate(0, 0, -3)) },
			fix:     func(r *alertRig) { r.sim.SetLicenseExpiry(r.clock.Now().AddDate(1, 0, 0)) }},
		{name: "poor media", fire: 72 * time.Second, seen: 11 * time.Second, summary: "Poor media: Bob in Board (cb2)",
			setup: func(r *alertRig) {
				board = r.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
					{Name: "Ann", Node: "cb1"}, {Name: "Bob", Node: "cb2"}}})
			},
			breakIt: func(r *alertRig) { r.sim.DegradeLeg(board.Legs[1].ID, 14, 20, 30) },
			fix:     func(r *alertRig) { r.sim.DegradeLeg(board.Legs[1].ID, 0.2, 6, 30) }},
		{name: "meeting over the limit", cfg: alerts.SourceConfig{MeetingMax: 2},
			fire: 16 * time.Second, seen: 16 * time.Second, summary: "Board has more than 2 participants",
			setup: func(r *alertRig) {
				board = r.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
					{Name: "Ann", Node: "cb1"}, {Name: "Bob", Node: "cb2"}}})
			},
			breakIt: func(r *alertRig) {
				id, err := r.cluster.AddLeg(ctx, "cb1", board.Calls["cb1"], "sip:guest@example.net")
				if err != nil {
					r.t.Fatal(err)
				}
				dialed = []string{id}
			},
			fix: func(r *alertRig) { r.sim.RemoveLeg(dialed[0]) }},
		{name: "node carries too many legs", cfg: alerts.SourceConfig{NodeShare: 0.5},
			fire: 3 * time.Second, seen: 3 * time.Second, summary: "cb1 carries more than 50 %",
			setup: func(r *alertRig) {
				var ps []cmssim.ParticipantSpec
				for _, n := range []string{"cb1", "cb1", "cb2", "cb2", "cb3", "cb3"} {
					ps = append(ps, cmssim.ParticipantSpec{Name: "P " + n, Node: n})
				}
				share = r.sim.AddMeeting(cmssim.MeetingSpec{Name: "Town hall", Participants: ps})
			},
			breakIt: func(r *alertRig) {
				dialed = nil
				for i := range 6 {
					id, err := r.cluster.AddLeg(ctx, "cb1", share.Calls["cb1"], fmt.Sprintf("sip:guest%d@example.net", i))
					if err != nil {
						r.t.Fatal(err)
					}
					dialed = append(dialed, id)
				}
			},
			fix: func(r *alertRig) {
				for _, id := range dialed {
					r.sim.RemoveLeg(id)
				}
			}},
		{name: "recording stopped", fire: 16 * time.Second, seen: 16 * time.Second, summary: "Recording stopped in Board",
			setup: func(r *alertRig) {
				board = r.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
					{Name: "Ann", Node: "cb1"}}})
				r.sim.SetRecording(board.Correlator, true)
				r.step(16 * time.Second)
			},
			breakIt: func(r *alertRig) { r.sim.SetRecording(board.Correlator, false) },
			fix:     func(r *alertRig) { r.sim.SetRecording(board.Correlator, true) }},
		{name: "CDR receiver slots full", fire: 62 * time.Second, seen: 62 * time.Second, summary: "CDR receiver slots full on cb2",
			cfg: alerts.SourceConfig{CDRReceivers: func(ctx context.Context) []cms.CDRRegistration { return history.AlertRegistrations("")(ctx) }},
			setup: func(r *alertRig) {
				history = app.NewCDRRuntime(cdrCfg, app.Clusters{{Config: config.Cluster{Name: config.DefaultCluster}, Cluster: r.cluster}}, storetest.Open(r.t, store.SQLite), slog.New(slog.DiscardHandler), r.clock.Now)
				history.Register(ctx) // NFMM's receiver on every node
			},
			// Someone removes NFMM's receiver on cb2 and other tools take every slot; the next
			// round finds the list full.
			breakIt: func(r *alertRig) {
				for _, x := range r.sim.CDRReceivers("cb2") {
					if x.URI == history.URIFor(config.DefaultCluster, "cb2") {
						r.sim.RemoveCDRReceiver("cb2", x.ID)
					}
				}
				for i := len(r.sim.CDRReceivers("cb2")); i < cmssim.MaxCDRReceivers; i++ {
					if _, ok := r.sim.AddCDRReceiver("cb2", fmt.Sprintf("https://tool%d.corp.test/cdr", i)); !ok {
						r.t.Fatal("no free slot on cb2")
					}
				}
				history.Register(ctx)
			},
			// A slot frees; the next round adds NFMM's receiver.
			fix: func(r *alertRig) {
				r.sim.RemoveCDRReceiver("cb2", r.sim.CDRReceivers("cb2")[0].ID)
				history.Register(ctx)
			}},
		{name: "presenter left", fire: 47 * time.Second, seen: 16 * time.Second, summary: "Presenter mode is still on in Board",
			setup: func(r *alertRig) {
				on, imp := true, 100
				board = r.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", JoinAudioMuteOverride: &on,
					Participants: []cmssim.ParticipantSpec{{Name: "Ann", Node: "cb1", Importance: &imp}, {Name: "Bob", Node: "cb2"}}})
			},
			breakIt: func(r *alertRig) { setImportance(r, board, cms.Unset[int]()) },
			fix:     func(r *alertRig) { setImportance(r, board, cms.Set(100)) }},
	}
}

func setImportance(r *alertRig, m cmssim.MeetingInfo, p cms.Param[int]) {
	l := m.Legs[0]
	if err := r.cluster.UpdateParticipant(context.Background(), l.Node, l.ParticipantID, cms.ParticipantUpdate{Importance: p}); err != nil {
		r.t.Fatal(err)
	}
}

// TestAlertsThroughSlackAndTheEmulator runs every source through the fake Slack and the
// emulator: it fires once (the first post meets a 429 and is retried without a duplicate), a
// restart does not re-fire, it resolves with the update and a reply in the thread, a flap
// brings no second top-level message, and a silence holds through repeats and the resolve.
func TestAlertsThroughSlackAndTheEmulator(t *testing.T) {
	for _, tc := range alertCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := newAlertRig(t, tc.cfg)
			if tc.setup != nil {
				tc.setup(r)
			}
			r.step(tc.seen)
			if tops := r.tops(); len(tops) != 0 {
				t.Fatalf("healthy cluster posted %q", tops[0].Text)
			}

			// Fires once; a 429 on the first post is retried, without a duplicate.
			r.fake.Fail("chat.postMessage", 1, time.Second)
			tc.breakIt(r)
			r.step(tc.fire + 2*time.Second)
			top := r.one(tc.summary)
			if n := len(r.fake.Calls("chat.postMessage")); n < 2 {
				t.Errorf("chat.postMessage calls %d, want the 429 and the retry", n)
			}
			if !strings.Contains(string(top.Blocks), "nfmm_alert_ack") {
				t.Errorf("the alert has no Ack button: %s", top.Blocks)
			}

			// A restart (new bot and evaluator on the same store) does not re-fire.
			r.restart()
			r.step(tc.seen + time.Minute)
			r.one(tc.summary)

			// Resolves: the message says so and the thread gets the duration.
			tc.fix(r)
			r.step(tc.seen)
			r.wantReply(top.TS, "✅")
			if m, _ := r.fake.Message(alertChannel, top.TS); !strings.Contains(m.Text, "resolved after") {
				t.Errorf("resolved message text %q", m.Text)
			}

			// A flap: it comes back, goes, comes back: still the one message, news in the thread.
			for range 2 {
				tc.breakIt(r)
				r.step(tc.seen)
				tc.fix(r)
				r.step(tc.seen)
			}
			tc.breakIt(r)
			r.step(tc.fire + 2*time.Second)
			top = r.one(tc.summary)
			if m, _ := r.fake.Message(alertChannel, top.TS); strings.Contains(m.Text, "resolved") {
				t.Fatalf("after coming back the message still says resolved: %q", m.Text)
			}
			r.wantReply(top.TS, "🔁")

			// Silence until resolved: a viewer may not, an operator may; it holds through the
			// repeat interval and the resolve.
			before := len(r.replies(top.TS))
			r.click(top.TS, "nfmm_alert_silence_resolved", alertViewer, func() bool {
				return len(r.fake.EphemeralFor(alertViewer, alertChannel)) > 0
			})
			if e := r.fake.EphemeralFor(alertViewer, alertChannel); !strings.Contains(e[len(e)-1].Text, "Only NFMM operators") {
				t.Errorf("viewer's click answered %q", e[len(e)-1].Text)
			}
			r.click(top.TS, "nfmm_alert_silence_resolved", alertOp, func() bool { return len(r.replies(top.TS)) > before })
			r.wantReply(top.TS, "silenced until resolved by <@"+alertOp+">")
			if !strings.Contains(r.audit.String(), `"op":"alert_silence"`) {
				t.Errorf("no audit record of the silence:\n%s", r.audit.String())
			}
			silenced := len(r.replies(top.TS))
			r.clock.Advance(alerts.DefaultRepeat + time.Minute)
			r.step(tc.seen)
			tc.fix(r)
			r.step(alerts.DefaultFlapWindow + tc.seen) // it flapped: resolved once stable that long
			if got := r.replies(top.TS); len(got) != silenced {
				t.Errorf("thread while silenced: %q, want nothing new after %d replies", got[silenced:], silenced)
			}
			if m, _ := r.fake.Message(alertChannel, top.TS); !strings.Contains(m.Text, "resolved") {
				t.Errorf("silenced alert's message not updated to resolved: %q", m.Text)
			}
			r.one(tc.summary)
		})
	}
}

// TestAlertsCommandAndAck lists the active alerts with /cms alerts and acknowledges one.
func TestAlertsCommandAndAck(t *testing.T) {
	r := newAlertRig(t, alerts.SourceConfig{})
	r.sim.RaiseAlarm("cb2", "cdrConnectionFailure", "")
	r.step(2 * time.Second)
	top := r.one("CMS alarm cdrConnectionFailure on cb2")
	if _, err := r.fake.SlashCommand(alertViewer, alertChannel, "/cms", "alerts"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.fake.WaitMessage(ctx, alertChannel, func(m slackfake.Message) bool {
		return m.Ephemeral && m.VisibleTo == alertViewer && strings.Contains(string(m.Blocks), "cdrConnectionFailure")
	}); err != nil {
		t.Fatalf("/cms alerts: %v", err)
	}
	r.click(top.TS, "nfmm_alert_ack", alertOp, func() bool { return len(r.replies(top.TS)) > 0 })
	r.wantReply(top.TS, "acknowledged by <@"+alertOp+">")
	m, _ := r.fake.Message(alertChannel, top.TS)
	var blocks []map[string]any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(m.Blocks), "nfmm_alert_ack") || !strings.Contains(string(m.Blocks), "acknowledged by") {
		t.Errorf("acked message still offers Ack or does not say who: %s", m.Blocks)
	}
	// Acked: no reminder at the repeat interval.
	n := len(r.replies(top.TS))
	r.clock.Advance(alerts.DefaultRepeat + time.Minute)
	r.step(2 * time.Second)
	if got := r.replies(top.TS); len(got) != n {
		t.Errorf("acked alert reminded: %q", got[n:])
	}
}

// TestAlertAnswerLost: Slack stores an alert's first post, but its answer never arrives (the
// connection closes after the request was handled). NFMM looks for the message by its metadata
// before posting again and adopts it: exactly one top-level message, and the updates and the
// thread go to it. A thread reply whose answer is lost is not repeated either. Without the
// history scope the post is sent again (never lost, possibly twice), as documented.
func TestAlertAnswerLost(t *testing.T) {
	fp := alerts.Key{Kind: alerts.KindNodeDown, Cluster: alerts.DefaultCluster, Node: "cb2"}.Fingerprint()
	t.Run("found and adopted", func(t *testing.T) {
		r := newAlertRig(t, alerts.SourceConfig{})
		r.fake.Inject("chat.postMessage", slackfake.Fault{N: 1, DropAnswer: true})
		r.sim.SetDown("cb2", true)
		r.step(40 * time.Second)
		top := r.one("cb2 is unreachable")
		posts := r.fake.Calls("chat.postMessage")
		if len(posts) != 1 || !posts[0].Dropped {
			t.Fatalf("chat.postMessage calls %d (first dropped: %v), want the one whose answer was dropped", len(posts), len(posts) > 0 && posts[0].Dropped)
		}
		if len(r.fake.Calls("conversations.history")) == 0 {
			t.Error("NFMM did not look for the message before posting again")
		}
		var md struct {
			EventType    string         `json:"event_type"`
			EventPayload map[string]any `json:"event_payload"`
		}
		if err := json.Unmarshal(top.Metadata, &md); err != nil || md.EventType != "nfmm_alert" || md.EventPayload["fingerprint"] != fp ||
			md.EventPayload["delivery"] == "" {
			t.Errorf("the message's metadata %s (%v), want event_type nfmm_alert with the fingerprint %s and a delivery id", top.Metadata, err, fp)
		}
		if a, _ := r.ev.Get(fp); a.TS != top.TS || len(a.Outbox) != 0 {
			t.Errorf("the alert holds ts %q (outbox %+v), want the stored message %s", a.TS, a.Outbox, top.TS)
		}

		// The recovery's reply loses its answer too: one ✅ in the thread, the message updated.
		r.fake.Inject("chat.postMessage", slackfake.Fault{N: 1, DropAnswer: true})
		r.sim.SetDown("cb2", false)
		r.step(10 * time.Second)
		r.one("cb2 is unreachable")
		if got := r.replies(top.TS); len(got) != 1 || !strings.Contains(got[0], "✅") {
			t.Errorf("thread %q, want exactly one ✅ reply", got)
		}
		if len(r.fake.Calls("conversations.replies")) == 0 {
			t.Error("NFMM did not look for the reply before sending it again")
		}
		if m, _ := r.fake.Message(alertChannel, top.TS); !strings.Contains(m.Text, "resolved after") {
			t.Errorf("the adopted message was not updated: %q", m.Text)
		}
	})
	t.Run("no history scope: sent again", func(t *testing.T) {
		r := newAlertRig(t, alerts.SourceConfig{})
		r.fake.Inject("chat.postMessage", slackfake.Fault{N: 1, DropAnswer: true})
		r.fake.Inject("conversations.history", slackfake.Fault{N: 1, Error: "missing_scope"})
		r.sim.SetDown("cb2", true)
		r.step(40 * time.Second)
		tops := r.tops()
		if len(tops) != 2 {
			t.Fatalf("%d top-level messages, want the lost one and its repost (never lost)", len(tops))
		}
		if a, _ := r.ev.Get(fp); a.TS != tops[1].TS {
			t.Errorf("the alert holds ts %q, want the repost's %s", a.TS, tops[1].TS)
		}
	})
}
