package cms

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// changeLog collects a subscription's changes for assertions.
type changeLog struct {
	mu  sync.Mutex
	all []Change
}

func collect(ctx context.Context, sub *Subscription) *changeLog {
	cl := &changeLog{}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Ready():
				cs := sub.Next()
				cl.mu.Lock()
				cl.all = append(cl.all, cs...)
				cl.mu.Unlock()
			}
		}
	}()
	return cl
}

func (cl *changeLog) list() []Change {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return slices.Clone(cl.all)
}

func (cl *changeLog) count(typ ChangeType, match func(Change) bool) int {
	n := 0
	for _, c := range cl.list() {
		if c.Type == typ && (match == nil || match(c)) {
			n++
		}
	}
	return n
}

func (cl *changeLog) String() string {
	var b strings.Builder
	for _, c := range cl.list() {
		fmt.Fprintf(&b, "%s %s", c.Type, c.Node)
		if c.Participant != nil {
			fmt.Fprintf(&b, " %s", c.Participant.Name)
		}
		for _, f := range c.Changes {
			fmt.Fprintf(&b, " %s:%v→%v", f.Field, f.Before, f.After)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func fastLive() LiveConfig {
	return LiveConfig{PollInterval: 50 * time.Millisecond, ProbeAfter: 200 * time.Millisecond,
		ProbeTimeout: 200 * time.Millisecond, BackoffMin: 20 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
		CheckEvery: time.Hour}
}

func startLive(t *testing.T, c *Cluster, cfg LiveConfig) *Live {
	t.Helper()
	l := NewLive(c, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	l.Start(ctx)
	t.Cleanup(func() { cancel(); l.Wait() })
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	if err := l.Ready(rctx); err != nil {
		t.Fatalf("live state not ready: %v", err)
	}
	return l
}

func liveMeeting(l *Live, cor string) (LiveMeeting, bool) {
	for _, m := range l.Meetings() {
		if m.Correlator == cor {
			return m, true
		}
	}
	return LiveMeeting{}, false
}

func TestLiveFromEventsAcrossNodes(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, TLS: true}, nil)
	m := sim.AddMeeting(clusterBoardSpec())
	l := startLive(t, c, fastLive())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := collect(ctx, l.Subscribe())

	lm, ok := liveMeeting(l, m.Correlator)
	if !ok || len(lm.Instances) != 3 || len(lm.Participants) != 6 || lm.Count != 6 || lm.Name != "Board review" {
		t.Fatalf("live meeting %+v", lm)
	}
	for _, p := range lm.Participants {
		if p.LegID == "" || p.Node == "" {
			t.Fatalf("participant without leg or node after the resync: %+v", p)
		}
		if p.Name == "Bob" && !p.AudioMuted {
			t.Fatal("Bob is muted on CMS")
		}
	}
	for _, n := range l.Nodes() {
		if n.Mode != ModeLive {
			t.Fatalf("node %s is %s", n.Node, n.Mode)
		}
	}

	// A REST write shows up as one participant_changed.
	alice := m.Legs[0]
	if err := c.UpdateLeg(ctx, alice.Node, alice.ID, LegUpdate{RxAudioMute: Set(true)}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "alice muted", func() bool {
		return log.count(ParticipantChanged, func(ch Change) bool {
			return ch.Participant.ID == alice.ParticipantID && len(ch.Changes) == 1 &&
				ch.Changes[0] == FieldChange{Field: FieldAudioMuted, Before: false, After: true}
		}) == 1
	})
	// Active-speaker toggles are not news.
	for _, leg := range m.Legs {
		sim.SetActiveSpeaker(leg.ID)
	}
	// A join on a node the meeting did not use yet: one join, the meeting's count changes.
	guest, _ := sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb2"})
	waitUntil(t, "guest joined with its leg", func() bool {
		lm, _ := liveMeeting(l, m.Correlator)
		i := slices.IndexFunc(lm.Participants, func(p LiveParticipant) bool { return p.ID == guest.ParticipantID })
		return i >= 0 && lm.Participants[i].LegID == guest.ID && lm.Count == 7
	})
	sim.RemoveLeg(guest.ID)
	waitUntil(t, "guest left", func() bool {
		return log.count(ParticipantLeft, func(ch Change) bool { return ch.Reason == "remoteTeardown" }) == 1
	})
	// A second meeting on two nodes: one meeting_started; ended once when the last instance goes.
	m2 := sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{
		{Name: "X", Node: "cb1"}, {Name: "Y", Node: "cb3"}}})
	waitUntil(t, "standup started", func() bool {
		return log.count(ParticipantJoined, func(ch Change) bool { return ch.Meeting.Correlator == m2.Correlator }) == 2
	})
	sim.EndMeeting(m2.Correlator)
	waitUntil(t, "standup ended", func() bool {
		return log.count(MeetingEnded, func(ch Change) bool { return ch.Meeting.Correlator == m2.Correlator }) == 1
	})
	if n := log.count(MeetingStarted, func(ch Change) bool { return ch.Meeting.Correlator == m2.Correlator }); n != 1 {
		t.Fatalf("meeting_started %d times:\n%s", n, log)
	}
	if n := log.count(ParticipantChanged, nil); n != 1 {
		t.Fatalf("active-speaker toggles were announced:\n%s", log)
	}
}

func TestLiveReconnectResyncsWithoutDuplicates(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: []cmssim.ParticipantSpec{
		{Name: "Alice", Node: "cb1"}, {Name: "Bob", Node: "cb2"}, {Name: "Carol", Node: "cb2"}}})
	l := startLive(t, c, fastLive())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := collect(ctx, l.Subscribe())
	before := sim.EventStats("cb2").Connects

	// The socket drops, and Carol leaves while nobody listens: after the reconnect and the
	// resync, exactly that difference is announced and nobody joins again.
	sim.DropEventSockets("cb2")
	sim.RejectNextToken("cb2")
	carol := m.Legs[2]
	sim.RemoveLeg(carol.ID)
	waitUntil(t, "reconnected", func() bool { return sim.EventStats("cb2").Connects > before })
	waitUntil(t, "carol left", func() bool { return log.count(ParticipantLeft, nil) == 1 })
	sim.SetEndpointMute(m.Legs[1].ID, false, true)
	waitUntil(t, "bob muted after the reconnect", func() bool { return log.count(ParticipantChanged, nil) == 1 })
	if n := log.count(ParticipantJoined, nil) + log.count(MeetingStarted, nil) + log.count(NodeDown, nil); n != 0 {
		t.Fatalf("duplicates after the reconnect:\n%s", log)
	}

	// A silent socket is detected and replaced.
	connects := sim.EventStats("cb1").Connects
	sim.StopSending("cb1", true)
	waitUntil(t, "silent socket replaced", func() bool { return sim.EventStats("cb1").Connects > connects })
	sim.StopSending("cb1", false)

	// A node that goes down is reported once, its meeting kept as stale, and comes back.
	sim.SetDown("cb2", true)
	waitUntil(t, "node_down", func() bool { return log.count(NodeDown, nil) == 1 })
	lm, ok := liveMeeting(l, m.Correlator)
	if !ok || !lm.Stale || len(lm.Participants) != 2 {
		t.Fatalf("meeting while cb2 is down: %+v", lm)
	}
	sim.SetDown("cb2", false)
	waitUntil(t, "node_up", func() bool { return log.count(NodeUp, nil) == 1 })
	if n := log.count(ParticipantJoined, nil); n != 0 {
		t.Fatalf("rejoins after node_up:\n%s", log)
	}
}

func TestLivePollsANodeWithoutEvents(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	sim.SetEventsUnavailable("cb2", true)
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: []cmssim.ParticipantSpec{
		{Name: "Alice", Node: "cb1"}, {Name: "Bob", Node: "cb2"}}})
	l := startLive(t, c, fastLive())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := collect(ctx, l.Subscribe())
	modes := map[string]NodeMode{}
	for _, n := range l.Nodes() {
		modes[n.Node] = n.Mode
	}
	if modes["cb1"] != ModeLive || modes["cb2"] != ModePolled {
		t.Fatalf("modes %v", modes)
	}
	bob := m.Legs[1]
	sim.SetEndpointMute(bob.ID, false, true)
	waitUntil(t, "bob muted by polling", func() bool {
		return log.count(ParticipantChanged, func(ch Change) bool { return ch.Node == "cb2" && ch.Participant.LegID == bob.ID }) == 1
	})
	g, _ := sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb2"})
	waitUntil(t, "guest joined by polling", func() bool { return log.count(ParticipantJoined, nil) == 1 })
	sim.RemoveLeg(g.ID)
	waitUntil(t, "guest left by polling", func() bool { return log.count(ParticipantLeft, nil) == 1 })
	if n := log.count(MeetingStarted, nil); n != 0 {
		t.Fatalf("polling restarted a meeting:\n%s", log)
	}
}

// A node whose REST API works but whose websocket upgrade fails (a proxy that strips Upgrade)
// is polled, not left dark or reported down.
func TestLivePollsANodeWhoseSocketCannotOpen(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: []cmssim.ParticipantSpec{{Name: "Alice"}}})
	target, _ := url.Parse(sim.Nodes()[0].URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/events/") {
			http.Error(w, "upgrade not allowed here", http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	n, err := NewNode(NodeConfig{Name: "cb1", BaseURL: proxy.URL, Username: sim.Username, Password: sim.Password})
	if err != nil {
		t.Fatal(err)
	}
	l := startLive(t, NewCluster([]*Node{n}), fastLive())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := collect(ctx, l.Subscribe())
	if nl := l.Nodes()[0]; nl.Mode != ModePolled {
		t.Fatalf("node is %s (%s)", nl.Mode, nl.Err)
	}
	sim.SetEndpointMute(m.Legs[0].ID, false, true)
	waitUntil(t, "the mute, by polling", func() bool { return log.count(ParticipantChanged, nil) == 1 })
	if log.count(NodeDown, nil) != 0 {
		t.Fatalf("a node whose REST works was reported down:\n%s", log)
	}
}
