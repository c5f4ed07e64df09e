package cms

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// summary is what a read shows of a meeting and its roster, for comparing live with REST.
type rosterRow struct {
	node, leg, name, address, state string
	audio, video                    bool
}

func rosterRows(r Roster) []rosterRow {
	out := make([]rosterRow, 0, len(r.Legs))
	for _, e := range r.Legs {
		out = append(out, rosterRow{e.Node, e.Leg.ID, e.Leg.Name, e.Leg.RemoteParty, e.Leg.Status.State,
			e.Leg.Config.RxAudioMute, e.Leg.Config.RxVideoMute})
	}
	return out
}

type meetingRow struct {
	cor, name    string
	participants int
	nodes        string
	locked       bool
}

func meetingRows(ml MeetingList) []meetingRow {
	out := make([]meetingRow, 0, len(ml.Meetings))
	for _, m := range ml.Meetings {
		locked := false
		for _, in := range m.Instances {
			locked = locked || in.Call.Locked
		}
		out = append(out, meetingRow{m.Correlator, m.Name, m.Participants, joinNames(m.NodeNames()), locked})
	}
	return out
}

func joinNames(ns []string) string {
	s := ""
	for _, n := range ns {
		s += n + ","
	}
	return s
}

func TestLiveReadsMatchRESTWithoutRequests(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioDemo, Seed: 4}, nil)
	ctx := context.Background()
	rest := c.Meetings(ctx)
	// Any reconnect resyncs over REST, which this test counts: probe a silent socket only after
	// seconds, not fastLive's 200 ms, which a loaded machine's scheduling pauses can exceed.
	cfg := fastLive()
	cfg.ProbeAfter, cfg.ProbeTimeout = 5*time.Second, 5*time.Second
	l := startLive(t, c, cfg)
	c.SetLive(l)

	sim.ResetCounters()
	live := c.Meetings(ctx)
	for _, n := range sim.Nodes() {
		if got := sim.Requests(n.Name); got != 0 {
			t.Fatalf("live Meetings made %d requests to %s", got, n.Name)
		}
	}
	liveStatus := c.Status(ctx)
	for _, n := range sim.Nodes() {
		if got := sim.Requests(n.Name); got != 0 {
			t.Fatalf("live Status made %d requests to %s", got, n.Name)
		}
	}
	c.SetLive(nil)
	restStatus := c.Status(ctx)
	c.SetLive(l)
	for i, st := range liveStatus {
		r := restStatus[i]
		if st.Err != nil || st.Live == nil || st.Live.Mode != ModeLive || st.Status.SoftwareVersion != r.Status.SoftwareVersion ||
			st.Status.CallLegsActive != r.Status.CallLegsActive || st.Status.UptimeSeconds < r.Status.UptimeSeconds-2 {
			t.Fatalf("live status %+v, REST %+v", st, r)
		}
	}
	sim.ResetCounters()
	if !slices.Equal(meetingRows(live), meetingRows(rest)) {
		t.Fatalf("live meetings differ from REST:\nlive %v\nrest %v", meetingRows(live), meetingRows(rest))
	}
	for _, m := range live.Meetings {
		lr := c.Roster(ctx, m)
		c.SetLive(nil)
		rr := c.Roster(ctx, m)
		c.SetLive(l)
		if !slices.Equal(rosterRows(lr), rosterRows(rr)) {
			t.Fatalf("%s: live roster differs from REST:\nlive %v\nrest %v", m.Name, rosterRows(lr), rosterRows(rr))
		}
	}
	for _, n := range sim.Nodes() {
		if got := sim.Requests(n.Name); got == 0 {
			t.Fatalf("the REST rosters made no request to %s: the comparison compared nothing", n.Name)
		}
	}
	// A read right after a write shows the write.
	m := live.Meetings[0]
	target := c.Roster(ctx, m).Legs[0]
	if err := c.UpdateLeg(ctx, target.Node, target.Leg.ID, LegUpdate{RxVideoMute: Set(!target.Leg.Config.RxVideoMute)}); err != nil {
		t.Fatal(err)
	}
	after := c.Roster(ctx, m)
	i := slices.IndexFunc(after.Legs, func(e RosterEntry) bool { return e.Leg.ID == target.Leg.ID })
	if i < 0 || after.Legs[i].Leg.Config.RxVideoMute == target.Leg.Config.RxVideoMute {
		t.Fatalf("the roster read after the write does not show it")
	}
	// Resolve and details come from live state too.
	sim.ResetCounters()
	waitUntil(t, "fresh again", func() bool { _, ok := c.fresh(); return ok })
	sim.ResetCounters()
	if _, _, err := c.FindMeeting(ctx, m.Correlator[:8]); err != nil {
		t.Fatal(err)
	}
	ro, err := c.MeetingRoster(ctx, m.Name)
	if err != nil || len(ro.Legs) == 0 || ro.Meeting.Correlator != m.Correlator {
		t.Fatalf("MeetingRoster: %v %+v", err, ro.Meeting)
	}
	for _, n := range sim.Nodes() {
		if got := sim.Requests(n.Name); got != 0 {
			t.Fatalf("live resolve and details made %d requests to %s", got, n.Name)
		}
	}
}

// putHook runs before each request the node sends, and may hold it.
type putHook struct {
	base   http.RoundTripper
	before func(*http.Request)
}

func (h putHook) RoundTrip(r *http.Request) (*http.Response, error) {
	h.before(r)
	return h.base.RoundTrip(r)
}

// An event for another leg of the node, arriving while the PUT for leg A is in flight, does
// not make live state answer for A: the read right after the write shows A's new state even
// though A's own event has not arrived (here it never does: the node goes silent).
func TestReadAfterWriteWaitsForTheWrittenLegsOwnEvent(t *testing.T) {
	var hook atomic.Pointer[func(*http.Request)]
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 1}, func(cfg *NodeConfig) {
		cl := *cfg.HTTPClient
		base := cl.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		cl.Transport = putHook{base: base, before: func(r *http.Request) {
			if f := hook.Load(); f != nil {
				(*f)(r)
			}
		}}
		cfg.HTTPClient = &cl
	})
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{
		{Name: "Alice"}, {Name: "Dave"}}})
	cfg := fastLive()
	cfg.ProbeAfter, cfg.ProbeTimeout = 5*time.Second, 5*time.Second // the silent node stays "live"
	l := startLive(t, c, cfg)
	c.SetLive(l)
	t.Cleanup(func() { sim.StopSending("cb1", false) })
	ctx := context.Background()

	var meeting Meeting
	waitUntil(t, "the meeting in live state", func() bool {
		ml := c.Meetings(ctx)
		for _, x := range ml.Meetings {
			if x.Correlator == m.Correlator {
				meeting = x
				return true
			}
		}
		return false
	})
	var a, b RosterEntry
	waitUntil(t, "both legs live", func() bool {
		r, ok := c.liveRoster(meeting)
		if !ok || len(r.Legs) != 2 {
			return false
		}
		a, b = r.Legs[0], r.Legs[1]
		return true
	})
	// The roster subscription's first frame lists every participant as it is. It may be
	// applied just after the write below is noted and would then count as A's answer with
	// A's old state: a different race from the one tested here, so wait for it first.
	waitUntil(t, "the roster subscription's first frame", func() bool {
		l.ls.mu.Lock()
		defer l.ls.mu.Unlock()
		for k := range l.ls.nodes["cb1"].heardOf {
			if k.kind == writeRoster {
				return true
			}
		}
		return false
	})
	heard := func() time.Time {
		l.ls.mu.Lock()
		defer l.ls.mu.Unlock()
		return l.ls.nodes["cb1"].heard
	}
	before := func(r *http.Request) {
		if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/callLegs/"+a.Leg.ID) {
			return
		}
		hook.Store(nil)
		// The write is noted; another leg's event arrives, then the node goes silent, so A's
		// own event is lost.
		since := heard()
		if !sim.SetEndpointMute(b.Leg.ID, true, !b.Leg.Config.RxVideoMute) {
			t.Error("no leg B to change")
		}
		waitUntil(t, "B's event applied", func() bool { return heard().After(since) })
		sim.StopSending("cb1", true)
	}
	hook.Store(&before)
	if err := c.UpdateLeg(ctx, "cb1", a.Leg.ID, LegUpdate{RxAudioMute: Set(!a.Leg.Config.RxAudioMute)}); err != nil {
		t.Fatal(err)
	}
	if hook.Load() != nil {
		t.Fatal("the PUT for leg A was not seen")
	}
	after := c.Roster(ctx, meeting)
	i := slices.IndexFunc(after.Legs, func(e RosterEntry) bool { return e.Leg.ID == a.Leg.ID })
	if i < 0 || after.Legs[i].Leg.Config.RxAudioMute == a.Leg.Config.RxAudioMute {
		t.Fatalf("the roster read after muting %s shows the state from before the write: %v", a.Leg.Name, rosterRows(after))
	}
}
