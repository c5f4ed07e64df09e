package cms

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// CompleteState reads little: nothing for an unlocked meeting nobody presents in, the
// presenter's leg where someone presents, and the legs of a locked meeting (for its lobby).
func TestCompleteStateReadsLittle(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	quiet := sim.AddMeeting(cmssim.MeetingSpec{Name: "Quiet", Participants: []cmssim.ParticipantSpec{
		{Name: "Q1", Node: "cb1"}, {Name: "Q2", Node: "cb2"}}})
	shown := sim.AddMeeting(cmssim.MeetingSpec{Name: "Show", Participants: []cmssim.ParticipantSpec{
		{Name: "Presenter P", Node: "cb2"}, {Name: "Viewer V", Node: "cb1"}}})
	locked := sim.AddMeeting(cmssim.MeetingSpec{Name: "Locked", Participants: []cmssim.ParticipantSpec{
		{Name: "Host H", Node: "cb1"}, {Name: "Guest G", Node: "cb2"}}})
	for _, l := range shown.Legs {
		if l.Name == "Presenter P" {
			sim.SetPresenting(l.ID, true)
		}
	}
	if err := c.UpdateCall(t.Context(), "cb1", locked.Calls["cb1"], CallUpdate{Locked: Set(true)}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateCall(t.Context(), "cb2", locked.Calls["cb2"], CallUpdate{Locked: Set(true)}); err != nil {
		t.Fatal(err)
	}
	sim.Join(locked.Correlator, cmssim.ParticipantSpec{Name: "Waiting W", Node: "cb2"})
	ml := c.Meetings(t.Context())
	for _, tt := range []struct {
		cor       string
		lobby     int
		presenter string
		maxReqs   int
	}{
		{quiet.Correlator, 0, "", 0},
		{shown.Correlator, 0, "Presenter P", 1},
		{locked.Correlator, 1, "", 8}, // each node's legs list and three leg details
	} {
		m := []Meeting{findMeeting(t, ml.Meetings, tt.cor)}
		if m[0].Lobby != nil || m[0].PresenterName != "" {
			t.Fatalf("a REST read already has lobby %v, presenter %q", m[0].Lobby, m[0].PresenterName)
		}
		sim.ResetCounters()
		c.CompleteState(t.Context(), m)
		if n := simTotalRequests(sim); n > tt.maxReqs {
			t.Errorf("%s: %d requests, at most %d", m[0].Name, n, tt.maxReqs)
		}
		if m[0].Lobby == nil || *m[0].Lobby != tt.lobby || m[0].PresenterName != tt.presenter {
			t.Errorf("%s: lobby %v, presenter %q; want %d, %q", m[0].Name, m[0].Lobby, m[0].PresenterName, tt.lobby, tt.presenter)
		}
	}
	// A locked meeting whose legs cannot all be read is not counted.
	sim.SetDown("cb2", true)
	m := []Meeting{findMeeting(t, ml.Meetings, locked.Correlator)}
	c.CompleteState(t.Context(), m)
	if m[0].Lobby != nil {
		t.Errorf("lobby %d counted with cb2 down, want not counted", *m[0].Lobby)
	}
}

// A timed banner shows until its time is up, over REST and in live state.
func TestBannerShowsUntilItsTimeIsUp(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 1, Now: clock}, nil)
	info := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{{Name: "A", Node: "cb1"}}})
	if _, err := c.UpdateMeetingCalls(t.Context(), "Board", CallUpdate{MessageText: Set("Back at 10"),
		MessagePosition: Set("middle"), MessageDuration: Set("30")}); err != nil {
		t.Fatal(err)
	}
	detail := func() CallDetail {
		n, err := c.node("cb1")
		if err != nil {
			t.Fatal(err)
		}
		d, err := n.Call(t.Context(), info.Calls["cb1"])
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := detail()
	if !d.BannerShowing() || d.MessageTimeRemaining == nil || *d.MessageTimeRemaining != 30 {
		t.Fatalf("banner %q for %s, %v s left; want showing, 30 s", d.MessageText, d.MessageDuration, d.MessageTimeRemaining)
	}
	b := bannerOfDetail(d, now)
	if b.showing(now.Add(29*time.Second)) != "Back at 10" || b.showing(now.Add(31*time.Second)) != "" {
		t.Errorf("live banner %+v: want it showing for 30 s", b)
	}
	mu.Lock()
	now = now.Add(31 * time.Second)
	mu.Unlock()
	if d := detail(); d.BannerShowing() {
		t.Errorf("banner still showing after its 30 s: %+v", d)
	}
	perm := CallDetail{MessageText: "Closed", MessageDuration: "permanent"}
	if !perm.BannerShowing() || bannerOfDetail(perm, now).showing(now.Add(24*time.Hour)) != "Closed" {
		t.Errorf("a permanent banner must show until changed")
	}
	if off := (CallDetail{MessageText: "x", MessageDuration: "0"}); off.BannerShowing() {
		t.Errorf("a zero duration shows no banner")
	}
}

// Live state tells its subscribers when a meeting's lobby or banner changes (an internal
// change, not on the watch stream): a guest waiting behind a lock, NFMM's banner, an admit.
func TestLiveStateAnnouncesLobbyAndBanner(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	info := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
		{Name: "A", Node: "cb1"}, {Name: "B", Node: "cb2"}}})
	l := startLive(t, c, fastLive())
	c.SetLive(l)
	cl := collect(t.Context(), l.Subscribe())
	stateChanges := func() int {
		return cl.count(MeetingStateChanged, func(ch Change) bool { return ch.Meeting.Correlator == info.Correlator })
	}
	if _, err := c.UpdateMeetingCalls(t.Context(), "Board", CallUpdate{Locked: Set(true)}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the lock in live state", func() bool { lm, _ := liveMeeting(l, info.Correlator); return lm.Locked })
	if n := stateChanges(); n != 0 {
		t.Fatalf("%d state changes for a lock (a meeting_changed of its own)", n)
	}
	guest, _ := sim.Join(info.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb2"})
	waitUntil(t, "the guest in the lobby", func() bool {
		lm, _ := liveMeeting(l, info.Correlator)
		return slices.ContainsFunc(lm.Participants, func(p LiveParticipant) bool { return p.Name == "Guest" && p.Lobby })
	})
	waitUntil(t, "a state change for the lobby", func() bool { return stateChanges() == 1 })
	if _, err := c.UpdateMeetingCalls(t.Context(), "Board", CallUpdate{MessageText: Set("Hi"), MessageDuration: Set("permanent")}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a state change for the banner", func() bool { return stateChanges() == 2 })
	if err := c.UpdateParticipant(t.Context(), "cb2", guest.ParticipantID, ParticipantUpdate{Deactivated: Set(false)}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a state change for the admit", func() bool { return stateChanges() == 3 })
	if MeetingStateChanged.Public() || !MeetingChanged.Public() {
		t.Error("meeting_state_changed must stay off the watch stream, meeting_changed on it")
	}
}

// A resync that finds a guest in the lobby, or a banner, is announced even when an event
// touched the participant or the call after the resync's read began (events are newer, so
// their fields win, but no event carries the lobby or the banner): otherwise the live
// messages keep the old state until something else changes.
func TestResyncAnnouncesLobbyAndBannerEventsCannotCarry(t *testing.T) {
	for _, tt := range []struct {
		name   string
		lobby  bool
		banner string
	}{
		{"lobby", true, ""},
		{"banner", false, "Back at 10"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ls := newLiveState([]string{"cb1"}, time.Now)
			ls.batch(func() { ls.setMode("cb1", ModeLive, "") })
			cor := "cor-1"
			ls.batch(func() {
				ls.upsertCall("cb1", "call-1", callFields{listed: true, correlator: &cor, name: ptr("Board")}, 0)
				ls.upsertPart("cb1", "call-1", "p-host", partFields{name: ptr("Host")}, 0)
			})
			var start uint64
			ls.batch(func() { start = ls.tick() }) // the resync's REST read begins
			sub := ls.subscribe()
			ls.batch(func() { // events arrive meanwhile: the guest joins, the call changes
				ls.upsertCall("cb1", "call-1", callFields{participants: ptr(2)}, 0)
				ls.upsertPart("cb1", "call-1", "p-guest", partFields{name: ptr("Guest"), state: ptr("connected")}, 0)
			})
			sub.Next()
			snap := []restCall{{
				detail: CallDetail{Call: Call{ID: "call-1", CallCorrelator: cor, Name: "Board"}, NumParticipantsLocal: 2,
					Locked: tt.lobby, MessageText: tt.banner, MessageDuration: "permanent"},
				parts: []restPart{
					{id: "p-host", leg: CallLegDetail{CallLeg: CallLeg{ID: "leg-host", Name: "Host"}}},
					{id: "p-guest", leg: CallLegDetail{CallLeg: CallLeg{ID: "leg-guest", Name: "Guest"}}},
				},
			}}
			snap[0].parts[1].leg.Status.Deactivated = tt.lobby
			snap[0].parts[1].leg.Status.State = "connected"
			ls.batch(func() { ls.reconcile("cb1", snap, start) })
			announced := slices.ContainsFunc(sub.Next(), func(c Change) bool { return c.Type == MeetingStateChanged })
			lm := ls.snapshot()[0]
			inLobby := slices.ContainsFunc(lm.Participants, func(p LiveParticipant) bool { return p.Name == "Guest" && p.Lobby })
			if inLobby != tt.lobby || lm.Instances[0].Banner != tt.banner {
				t.Fatalf("live state: guest in the lobby %v, banner %q; want %v, %q", inLobby, lm.Instances[0].Banner, tt.lobby, tt.banner)
			}
			if !announced {
				t.Errorf("the resync's %s was not announced (no meeting_state_changed)", tt.name)
			}
		})
	}
}
