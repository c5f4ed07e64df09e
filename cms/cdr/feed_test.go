package cdr

import (
	"context"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// flakySink fails the first n posts, as a database that is briefly away.
type flakySink struct {
	Sink
	fail atomic.Int32
}

func (f *flakySink) StoreCDRs(ctx context.Context, cluster, node string, b Batch) (int, error) {
	if f.fail.Add(-1) >= 0 {
		return 0, context.DeadlineExceeded
	}
	return f.Sink.StoreCDRs(ctx, cluster, node, b)
}

// TestEmulatorFeed runs the emulator's CDR feed into the real receiver: registration through
// cms.Cluster, a meeting on two nodes whose participants leave one by one, a receiver that
// refuses at first (the emulator keeps and resends, like CMS), and the history that results.
func TestEmulatorFeed(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)}
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	board := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board meeting", StartedAgo: 30 * time.Minute,
		Participants: []cmssim.ParticipantSpec{
			{Name: "Ann Smith", Node: "cb1"},
			{Name: "Bob Jones", Node: "cb2", Media: cmssim.Media{PacketLoss: 9, Jitter: 80}},
			{Name: "Cho Lee", Node: "cb1", Outgoing: true},
		}})
	sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{{Name: "Dee", Node: "cb2"}}})

	mem := NewMemory()
	sink := &flakySink{Sink: mem}
	sink.fail.Store(2)
	var known []KnownNode
	var nodes []*cms.Node
	for _, ni := range sim.Nodes() {
		u, _ := url.Parse(ni.URL)
		known = append(known, KnownNode{Name: ni.Name, Host: u.Hostname(), CallBridgeID: ni.CallBridgeID})
		n, err := cms.NewNode(cms.NodeConfig{Name: ni.Name, BaseURL: ni.URL, Username: sim.Username,
			Password: sim.Password, HTTPClient: sim.HTTPClient()})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	srv := httptest.NewServer(NewReceiver(ReceiverConfig{Token: testToken, Nodes: known, Sink: sink}))
	defer srv.Close()
	regs := cms.NewCluster(nodes).EnsureCDRReceivers(context.Background(), func(node string) string {
		return srv.URL + Path(testToken) + "?node=" + node
	})
	for _, r := range regs {
		if r.State != cms.CDRAdded {
			t.Fatalf("%s: %s %v", r.Node, r.State, r.Err)
		}
	}
	ctx := context.Background()
	flush := func() {
		t.Helper()
		for range 3 { // the first posts meet the failing store
			if err := sim.FlushCDRs(ctx); err == nil {
				return
			}
		}
		t.Fatal("the feed never got a 200")
	}
	flush()

	legs := map[string]cmssim.LegState{}
	for _, l := range board.Legs {
		legs[l.Name] = l
	}
	sim.SetRecording(board.Correlator, true)
	flush()
	clk.Advance(10 * time.Minute)
	sim.RemoveLeg(legs["Bob Jones"].ID) // cb2's instance ends with its last participant
	flush()
	clk.Advance(5 * time.Minute)
	sim.RemoveLeg(legs["Ann Smith"].ID)
	sim.RemoveLeg(legs["Cho Lee"].ID)
	flush()

	var got *Meeting
	ms := history(t, mem)
	for i := range ms {
		if ms[i].ID == board.Correlator {
			got = &ms[i]
		}
	}
	if got == nil {
		t.Fatalf("no board meeting in %+v", ms)
	}
	want(t, got.Name, "Board meeting")
	want(t, got.Nodes, []string{"cb1", "cb2"})
	want(t, got.StartedAt, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	want(t, got.EndedAt, time.Date(2026, 11, 30, 9, 45, 0, 0, time.UTC))
	want(t, len(got.Participants), 3) // the distribution links are not participants
	byName := map[string]Participant{}
	for _, p := range got.Participants {
		byName[p.Name()] = p
	}
	bob := byName["Bob Jones"]
	want(t, bob.Node, "cb2")
	want(t, bob.LeftAt, time.Date(2026, 11, 30, 9, 40, 0, 0, time.UTC))
	if !bob.PoorMedia(20) || bob.PacketLossPct == 0 || bob.JitterPct == 0 {
		t.Errorf("Bob's media = loss %v%% jitter %v%%, want alarms", bob.PacketLossPct, bob.JitterPct)
	}
	want(t, byName["Cho Lee"].Direction, "outgoing")
	want(t, byName["Ann Smith"].LeftAt, got.EndedAt)
	if len(got.Recordings) != 1 || got.Recordings[0].Node != "cb1" || !got.Recordings[0].EndedAt.Equal(got.EndedAt) {
		t.Errorf("recordings = %+v, want one, on cb1, ended with the meeting", got.Recordings)
	}
	if got.Peak != 3 {
		t.Errorf("peak %d, want 3", got.Peak)
	}

	// Nothing twice, nothing lost: every record the nodes produced is stored once.
	perNode := map[string]int{}
	for _, r := range mem.Records() {
		perNode[r.Node]++
	}
	// cb1: the board's callStart, recordingStart, recordingEnd and callEnd; Ann's, Cho's and the link's callLegStart,
	// callLegUpdate and callLegEnd. cb2: the same for the board with Bob and the link, plus
	// the running standup's callStart and Dee's callLegStart and callLegUpdate.
	if want := map[string]int{"cb1": 13, "cb2": 11}; !equal(perNode, want) {
		t.Errorf("records per node = %v, want %v", perNode, want)
	}
	if n := sim.FlushCDRs(ctx); n != nil {
		t.Errorf("final flush: %v", n)
	}
	before := len(mem.Records())
	clk.Advance(time.Minute)
	if err := sim.FlushCDRs(ctx); err != nil || len(mem.Records()) != before {
		t.Errorf("a flush without changes posted %d new records (%v)", len(mem.Records())-before, err)
	}
}
