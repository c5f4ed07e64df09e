package e2e

import (
	"context"
	"net"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cdr"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

// cdrReplica is one `nfmm run` replica in-process: its runtime, its CDR receiver's listener
// and its own fake Slack (the fake holds one socket per app; Slack would hold one per replica).
type cdrReplica struct {
	fake *slackfake.Server
	addr string
	stop func()
}

// startCDRReplica runs a runtime on env (plus its fake Slack) with its CDR receiver on addr
// ("127.0.0.1:0" for any port) and now as its clock, until the returned replica's stop.
func startCDRReplica(t *testing.T, ctx context.Context, env []string, addr string, now func() time.Time) *cdrReplica {
	t.Helper()
	fake := slackfake.NewTest(t)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadEnviron(append([]string{"SLACK_API_URL=" + fake.APIURL()}, env...), config.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := app.New(ctx, cfg, app.Options{CDRListener: ln, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(rctx) }()
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	r := &cdrReplica{fake: fake, addr: ln.Addr().String()}
	stopped := false
	r.stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
			rt.Close()
		}
	}
	t.Cleanup(r.stop)
	return r
}

// TestHistoryTwoReplicasOnPostgres: two replicas on one PostgreSQL database each run a CDR
// receiver, and every call bridge lists both (as CMS does with two receivers), so each record
// arrives twice, and again when a replica comes back from a restart and CMS resends its
// backlog. The stored history has each meeting and leg once, the same as a receiver that got
// every record exactly once, and `history` answers from either replica.
func TestHistoryTwoReplicasOnPostgres(t *testing.T) {
	dbURL := storetest.PostgresURL(t) // skips without PostgreSQL; fails under NFMM_REQUIRE_POSTGRES=1
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	clk := &testClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.Local)}
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	nodes := cmsNodesValue(sim)
	// The reference: a receiver on an in-memory store that gets every record exactly once.
	const token = "e2e0replicas0token0123456"
	ref := cdr.NewMemory()
	refSrv := httptest.NewServer(cdr.NewReceiver(cdr.ReceiverConfig{Token: token, Sink: ref,
		Nodes: []cdr.KnownNode{{Name: "cb1"}, {Name: "cb2"}}}))
	defer refSrv.Close()

	// Replica a's address is NFMM_CDR_URL: the leader registers it on every node.
	lnA, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrA := lnA.Addr().String()
	lnA.Close()
	env := []string{
		"SLACK_BOT_TOKEN=xoxb-1111111111-2222222222-replicastestvalue",
		"SLACK_APP_TOKEN=xapp-1-A0123456789-3333333333-replicastestvalue",
		"CMS_NODES=" + nodes, "CMS_USERNAME=" + sim.Username, "CMS_PASSWORD=" + sim.Password,
		"NFMM_HTTP_ADDR=off", "NFMM_DATABASE_URL=" + dbURL,
		"NFMM_CDR_URL=http://" + addrA + "/cdr/" + token,
	}
	a := startCDRReplica(t, ctx, env, addrA, clk.Now)
	b := startCDRReplica(t, ctx, env, "127.0.0.1:0", clk.Now)
	eventually(t, "the leader registers NFMM's receiver on both nodes", func() bool {
		for _, n := range []string{"cb1", "cb2"} {
			if rs := sim.CDRReceivers(n); len(rs) != 1 || !strings.HasPrefix(rs[0].URI, "http://"+addrA+"/") {
				return false
			}
		}
		return true
	})
	// Each node also lists replica b's receiver and the reference: CMS posts every record to each.
	for _, n := range []string{"cb1", "cb2"} {
		for _, base := range []string{"http://" + b.addr, refSrv.URL} {
			if _, ok := sim.AddCDRReceiver(n, base+"/cdr/"+token+"?node="+n); !ok {
				t.Fatalf("no slot on %s", n)
			}
		}
	}
	flush := func() {
		t.Helper()
		if err := sim.FlushCDRs(ctx); err != nil {
			t.Fatalf("a receiver refused CDRs: %v", err)
		}
	}

	playBoardMeeting(sim, clk, sim.AddMeeting(boardMeeting()), flush) // 09:00 to 10:00

	// Replica b restarts while a meeting runs and ends: its posts fail meanwhile, and CMS
	// resends the whole backlog to it once it is back, records a has long stored.
	b.stop()
	clk.Advance(5 * time.Minute)
	standup := sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{
		{Name: "Dee Park", URI: "dee.park@corp.test", Node: "cb2"}, {Name: "Eve Ng", URI: "eve.ng@corp.test", Node: "cb1"}}})
	if err := sim.FlushCDRs(ctx); err == nil { // a takes it; b is down
		t.Fatal("replica b is down, yet every receiver took the records")
	}
	clk.Advance(15 * time.Minute)
	sim.EndMeeting(standup.Correlator) // 10:20
	_ = sim.FlushCDRs(ctx)
	b = startCDRReplica(t, ctx, env, b.addr, clk.Now)
	flush() // the backlog, to b

	// The shared store holds what the reference holds: each meeting and leg once.
	st := storetest.OpenConfig(t, store.Config{URL: dbURL})
	q := cdr.HistoryQuery{From: clk.Now().Add(-2 * time.Hour), To: clk.Now().Add(time.Hour)}
	got, err := st.HistoryRows(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ref.HistoryRows(ctx, q)
	if len(want.Legs) < 5 || len(want.Instances) < 3 {
		t.Fatalf("the reference got %d legs and %d instances, want every participant's leg and the meetings' instances", len(want.Legs), len(want.Instances))
	}
	legs := map[string]int{}
	for _, l := range got.Legs {
		legs[l.Node+"/"+l.LegID]++
	}
	for k, n := range legs {
		if n != 1 {
			t.Errorf("leg %s stored %d times", k, n)
		}
	}
	gotM, wantM := cdr.Assemble(got), cdr.Assemble(want)
	if !reflect.DeepEqual(gotM, wantM) {
		t.Errorf("the replicas' history differs from a receiver that got each record once:\n got %+v\nwant %+v", gotM, wantM)
	}
	people := map[string]int{}
	for _, m := range gotM {
		people[m.Name] += len(m.Participants)
	}
	if want := map[string]int{"Board meeting": 3, "Standup": 2}; !reflect.DeepEqual(people, want) {
		t.Errorf("participants per meeting %v, want %v (each meeting once, each leg once)", people, want)
	}

	// Either replica answers `history` from the shared store.
	for _, r := range []*cdrReplica{a, b} {
		if _, err := r.fake.SlashCommand("U0REPLICA1", "C1", "/cms", "history today"); err != nil {
			t.Fatal(err)
		}
		m, err := r.fake.WaitMessage(ctx, "C1", func(m slackfake.Message) bool {
			return m.VisibleTo == "U0REPLICA1" && strings.Contains(string(m.Blocks), "2 meetings ended")
		})
		if err != nil {
			t.Fatalf("no history answer: %v", err)
		}
		blocks := string(m.Blocks)
		for _, want := range []string{"*Board meeting*\\nDec 1 09:00–10:00 · 1h00m · peak 3 · cb1, cb2\\nAnn Smith, Cho Lee, Bob Jones",
			"*Standup*\\nDec 1 10:05–10:20 · 15m · peak 2 · cb1, cb2\\n"} {
			if !strings.Contains(blocks, want) {
				t.Errorf("history today lacks %q:\n%s", want, blocks)
			}
		}
	}
}
