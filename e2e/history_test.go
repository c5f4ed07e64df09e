package e2e

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
func (c *testClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// TestHistoryWhoJoinedYesterday: the emulator's call bridges post CDRs to the receiver of a
// real runtime, which stores them; the next day someone asks in Slack who joined the board
// meeting yesterday, for how long, and how it sounded.
func TestHistoryWhoJoinedYesterday(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	clk := &testClock{t: time.Date(2026, 11, 30, 8, 55, 0, 0, time.UTC)}
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	board := sim.AddMeeting(boardMeeting())
	standup := sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{{Name: "Dee Park", Node: "cb2"}}})

	fake := slackfake.NewTest(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	token := "e2e0history0token0123456789"
	nodes := cmsNodesValue(sim)
	cfg, err := config.LoadEnviron([]string{
		"SLACK_BOT_TOKEN=xoxb-1111111111-2222222222-historytestvalue",
		"SLACK_APP_TOKEN=xapp-1-A0123456789-3333333333-historytestvalue",
		"SLACK_API_URL=" + fake.APIURL(),
		"CMS_NODES=" + nodes, "CMS_USERNAME=" + sim.Username, "CMS_PASSWORD=" + sim.Password,
		"NFMM_HTTP_ADDR=off",
		"NFMM_DATA_DIR=" + t.TempDir(),
		"NFMM_CDR_URL=http://" + ln.Addr().String() + "/cdr/" + token,
		"NFMM_CDR_ADDR=" + ln.Addr().String(),
	}, config.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := app.New(ctx, cfg, app.Options{Now: clk.Now, CDRListener: ln})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(rctx) }()
	defer func() { stop(); <-done }()
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}

	// The leader registers the receiver on both nodes; then the bridges post what happens.
	uri := func(node string) string { return cfg.CDR.URL.Reveal() + "?node=" + node }
	// The registration is on the emulator, not in Slack: poll it (fake.WaitFor only wakes on
	// Slack activity, which may all be over by then).
	eventually(t, "the receiver is registered on both nodes", func() bool {
		for _, n := range []string{"cb1", "cb2"} {
			rs := sim.CDRReceivers(n)
			if len(rs) != 1 || rs[0].URI != uri(n) {
				return false
			}
		}
		return true
	})
	flush := func() {
		t.Helper()
		if err := sim.FlushCDRs(ctx); err != nil {
			t.Fatalf("the receiver refused CDRs: %v", err)
		}
	}
	playBoardMeeting(sim, clk, board, flush) // 08:55 to 09:55, Bob leaving at 09:40
	clk.Set(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	sim.EndMeeting(standup.Correlator) // today: not yesterday's
	flush()

	// "Who joined the board meeting yesterday?"
	if _, err := fake.SlashCommand("U0HISTORY1", "C1", "/cms", "history board yesterday"); err != nil {
		t.Fatal(err)
	}
	m, err := fake.WaitMessage(ctx, "C1", func(m slackfake.Message) bool {
		return m.VisibleTo == "U0HISTORY1" && strings.Contains(string(m.Blocks), "Board meeting")
	})
	if err != nil {
		t.Fatalf("no history answer: %v", err)
	}
	blocks := string(m.Blocks)
	for _, want := range []string{
		"*Ann Smith* · ann.smith@corp.test · cb1", "joined 08:55 · left 09:55 · 1h00m",
		"*Bob Jones* · bob.jones@corp.test · cb2", "joined 08:55 · left 09:40 · 45m", "🔴 poor (packet loss",
		"*Cho Lee*", "peak 3", "cb1, cb2",
	} {
		if !strings.Contains(blocks, want) {
			t.Errorf("the answer lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Contains(blocks, "Dee Park") || strings.Contains(blocks, "Standup") {
		t.Errorf("today's standup is in yesterday's answer:\n%s", blocks)
	}

	// The list of yesterday, and its Details button.
	if _, err := fake.SlashCommand("U0HISTORY1", "C1", "/cms", "history yesterday"); err != nil {
		t.Fatal(err)
	}
	list, err := fake.WaitMessage(ctx, "C1", func(m slackfake.Message) bool {
		return m.VisibleTo == "U0HISTORY1" && strings.Contains(string(m.Blocks), "1 meeting ended 2026-11-30")
	})
	if err != nil {
		t.Fatalf("no list: %v", err)
	}
	if !strings.Contains(string(list.Blocks), `"value":"history `+board.Correlator+`"`) {
		t.Errorf("no Details button for the board meeting:\n%s", list.Blocks)
	}
}

// boardMeeting is the history tests' meeting: Ann and Cho on cb1, Bob on cb2 with poor media.
func boardMeeting() cmssim.MeetingSpec {
	return cmssim.MeetingSpec{Name: "Board meeting", Participants: []cmssim.ParticipantSpec{
		{Name: "Ann Smith", URI: "ann.smith@corp.test", Node: "cb1"},
		{Name: "Bob Jones", URI: "bob.jones@corp.test", Node: "cb2", Media: cmssim.Media{PacketLoss: 9, Jitter: 90}},
		{Name: "Cho Lee", URI: "cho.lee@corp.test", Node: "cb1"},
	}}
}

// playBoardMeeting has the call bridges post the board meeting's hour from now: its start,
// Bob leaving after 45 minutes and everyone else hanging up 15 minutes later, flushing the
// CDRs after each.
func playBoardMeeting(sim *cmssim.Sim, clk *testClock, board cmssim.MeetingInfo, flush func()) {
	flush()
	clk.Advance(45 * time.Minute)
	for _, l := range board.Legs {
		if l.Name == "Bob Jones" {
			sim.RemoveLeg(l.ID)
		}
	}
	flush()
	clk.Advance(15 * time.Minute)
	sim.EndMeeting(board.Correlator)
	flush()
}

// cmsNodesValue is CMS_NODES for a running emulator: name=URL of each node.
func cmsNodesValue(sim *cmssim.Sim) string {
	var nodes []string
	for _, n := range sim.Nodes() {
		nodes = append(nodes, n.Name+"="+n.URL)
	}
	return strings.Join(nodes, ",")
}
