package bot

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

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
)

// The e2e harness: a CMS emulator, the fake Slack, the real commands.Service over a real
// cms.Cluster, and the bot pointed at the fake. Reliability tests reuse it.

const (
	testOperator = "UOPERATOR1"
	testViewer   = "UVIEWER01"
	testChannel  = "CNFMM0001"
	otherChannel = "CRANDOM01" // a second channel, which NFMM serves unless Channels says otherwise
	slashCommand = "/cms"
	waitTimeout  = 30 * time.Second // a budget for a loaded machine: every wait ends as soon as its condition holds
	maxAckTime   = 3 * time.Second  // Slack's deadline for every envelope
)

// harnessOptions tweak the harness; the zero value is a 3-node cluster without meetings.
type harnessOptions struct {
	Nodes      int
	Operators  []string // default: testOperator
	Viewers    []string // default: everyone (NFMM_VIEWERS unset)
	Channels   []string // default: every channel (NFMM_CHANNELS unset)
	BotConfig  func(*Config)
	UserGroups map[string][]string // Slack user groups that exist before the bot starts
	Live       bool                // keep the cluster's live state from the emulator's events
}

type harness struct {
	t        *testing.T
	sim      *cmssim.Sim
	fake     *slackfake.Server
	svc      *commands.Service
	bot      *Bot
	audit    *syncBuffer
	logs     *syncBuffer
	stop     context.CancelFunc
	done     chan error
	stopOnce sync.Once
	runErr   error
	live     *cms.Live // with harnessOptions.Live
}

// syncBuffer is a bytes.Buffer safe for the concurrent slog writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Operators == nil {
		o.Operators = []string{testOperator}
	}
	h := &harness{t: t, audit: &syncBuffer{}, logs: &syncBuffer{}, done: make(chan error, 1)}
	sim, err := cmssim.Start(cmssim.Options{Nodes: o.Nodes, Scenario: cmssim.ScenarioEmpty, Seed: 1})
	if err != nil {
		t.Fatalf("start cmssim: %v", err)
	}
	t.Cleanup(sim.Close)
	h.sim = sim
	h.fake = slackfake.NewTest(t, slackfake.Options{
		Users: map[string]slackfake.User{
			testOperator: {Name: "olive", RealName: "Olive Operator"},
			testViewer:   {Name: "victor", RealName: "Victor Viewer"},
		},
		Channels:   map[string]slackfake.Channel{testChannel: {Name: "meetings"}, otherChannel: {Name: "random"}},
		UserGroups: o.UserGroups,
	})
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cluster := h.cluster(logger)
	if o.Live {
		h.startLive(cluster, logger)
	}
	h.svc = commands.New(commands.Config{
		Cluster: cluster,
		Policy:  commands.Policy{Operators: o.Operators, Viewers: o.Viewers, Channels: o.Channels},
		Audit:   commands.NewAuditLog(slog.NewJSONHandler(h.audit, nil)),
		Logger:  logger,
	})
	cfg := Config{
		BotToken: "xoxb-test-bot", AppToken: "xapp-test-app", APIURL: h.fake.APIURL(),
		Service: h.svc, Logger: logger, PostInterval: 10 * time.Millisecond, DrainTimeout: 5 * time.Second,
	}
	if o.BotConfig != nil {
		o.BotConfig(&cfg)
	}
	h.bot, err = New(cfg)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	h.start()
	return h
}

func (h *harness) cluster(logger *slog.Logger) *cms.Cluster {
	var nodes []*cms.Node
	for _, n := range h.sim.Nodes() {
		node, err := cms.NewNode(cms.NodeConfig{
			Name: n.Name, BaseURL: n.URL, Username: h.sim.Username, Password: h.sim.Password,
			HTTPClient: h.sim.HTTPClient(), Timeout: 5 * time.Second,
		})
		if err != nil {
			h.t.Fatalf("cms.NewNode %s: %v", n.Name, err)
		}
		nodes = append(nodes, node)
	}
	return cms.NewCluster(nodes)
}

// start runs the bot until the test ends, then checks it shut down cleanly and that every
// envelope was acked within Slack's deadline.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() { h.done <- h.bot.Run(ctx) }()
	h.t.Cleanup(func() {
		h.assertAcksInTime()
		if err := h.shutdown(); err != nil {
			h.t.Errorf("bot.Run returned %v on shutdown, want nil", err)
		}
		if h.t.Failed() {
			h.t.Logf("bot log:\n%s", h.logs.String())
		}
	})
	h.eventually("the bot connects", h.bot.Connected)
}

// shutdown cancels the bot's context (SIGTERM in production) and returns what Run returned.
func (h *harness) shutdown() error {
	h.stopOnce.Do(func() {
		h.stop()
		select {
		case h.runErr = <-h.done:
		case <-time.After(waitTimeout):
			h.runErr = fmt.Errorf("bot.Run did not return within %v of shutdown", waitTimeout)
		}
	})
	return h.runErr
}

func (h *harness) assertAcksInTime() {
	for _, a := range h.fake.Acks() {
		if a.Latency >= maxAckTime {
			h.t.Errorf("envelope %s acked after %v, Slack allows %v", a.EnvelopeID, a.Latency, maxAckTime)
		}
	}
}

// eventually waits for cond with a deadline; the polling interval only bounds how soon we notice.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %v waiting until %s", waitTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	h.t.Cleanup(cancel)
	return ctx
}

// waitAck waits for the bot's ack of an envelope.
func (h *harness) waitAck(env slackfake.Envelope) slackfake.Ack {
	h.t.Helper()
	a, err := h.fake.WaitAck(h.ctx(), env.ID)
	if err != nil {
		h.t.Fatalf("no ack for envelope %s: %v", env.ID, err)
	}
	return a
}

// slash types `/cms text` as user and waits for the ack.
func (h *harness) slash(user, text string) slackfake.Envelope {
	h.t.Helper()
	env, err := h.fake.SlashCommand(user, testChannel, slashCommand, text)
	if err != nil {
		h.t.Fatalf("slash command %q: %v", text, err)
	}
	h.waitAck(env)
	return env
}

// visible is every message user can see in the test channel: the channel's own plus their
// ephemerals.
func (h *harness) visible(user string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.fake.Messages(testChannel) {
		if !m.Ephemeral || m.VisibleTo == user {
			out = append(out, m)
		}
	}
	return out
}

// waitMessage waits until user sees a message (new or updated) for which match holds, and
// returns the latest such message.
func (h *harness) waitMessage(user, what string, match func(slackfake.Message) bool) slackfake.Message {
	h.t.Helper()
	var found slackfake.Message
	h.eventually(what, func() bool {
		ms := h.visible(user)
		for i := len(ms) - 1; i >= 0; i-- {
			if match(ms[i]) {
				found = ms[i]
				return true
			}
		}
		return false
	})
	return found
}

// contains matches a message whose text or blocks contain every one of the strings.
func contains(parts ...string) func(slackfake.Message) bool {
	return func(m slackfake.Message) bool {
		all := m.Text + jsonUnescaper.Replace(string(m.Blocks))
		for _, p := range parts {
			if !strings.Contains(all, p) {
				return false
			}
		}
		return true
	}
}

// jsonUnescaper undoes encoding/json's HTML-safe escapes so tests can match "<@U…>".
var jsonUnescaper = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

// click clicks an element of a message and waits for the ack.
func (h *harness) click(user string, m slackfake.Message, actionID, blockID, value string) slackfake.Envelope {
	h.t.Helper()
	env, err := h.fake.ClickAction(slackfake.Click{
		User: user, Channel: m.Channel, MessageTS: m.TS, ActionID: actionID, BlockID: blockID, Value: value,
	})
	if err != nil {
		h.t.Fatalf("click %s in %s: %v", actionID, m.TS, err)
	}
	h.waitAck(env)
	return env
}

// blockIDWithValue finds the block_id of the block holding an element with actionID whose
// value (or, for a layout select, whose block_id) names legID.
func blockIDWithValue(t *testing.T, m slackfake.Message, actionID, legID string) string {
	t.Helper()
	var blocks []struct {
		BlockID   string            `json:"block_id"`
		Elements  []json.RawMessage `json:"elements"`
		Accessory json.RawMessage   `json:"accessory"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("blocks of %s: %v", m.TS, err)
	}
	for _, b := range blocks {
		els := b.Elements
		if len(b.Accessory) > 0 {
			els = append(els, b.Accessory)
		}
		for _, raw := range els {
			var el struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			}
			if json.Unmarshal(raw, &el) != nil || el.ActionID != actionID {
				continue
			}
			if strings.Contains(el.Value, legID) || strings.Contains(b.BlockID, legID) {
				return b.BlockID
			}
		}
	}
	t.Fatalf("no %s control for leg %s in message %s:\n%s", actionID, legID, m.TS, m.Blocks)
	return ""
}

// meeting adds a meeting to the emulator.
func (h *harness) meeting(name string, parts ...cmssim.ParticipantSpec) cmssim.MeetingInfo {
	mt := h.sim.AddMeeting(cmssim.MeetingSpec{Name: name, Participants: parts})
	if h.live != nil { // reads come from the live state: wait until it has the whole meeting
		h.eventually("the live state has "+name, func() bool {
			for _, m := range h.live.Meetings() {
				if m.Correlator == mt.Correlator && len(m.Participants) == len(parts) {
					return true
				}
			}
			return false
		})
	}
	return mt
}

// leg reads a leg from the emulator or fails.
func (h *harness) leg(id string) cmssim.LegState {
	h.t.Helper()
	l, ok := h.sim.Leg(id)
	if !ok {
		h.t.Fatalf("leg %s is not in the emulator", id)
	}
	return l
}

// people builds n participants spread over the nodes.
func people(n, nodes int) []cmssim.ParticipantSpec {
	out := make([]cmssim.ParticipantSpec, n)
	for i := range out {
		out[i] = cmssim.ParticipantSpec{Name: fmt.Sprintf("Person %03d", i+1), Node: fmt.Sprintf("cb%d", i%nodes+1)}
	}
	return out
}

// startLive keeps the cluster's live state from the emulator's Events API, as nfmm run does.
func (h *harness) startLive(c *cms.Cluster, logger *slog.Logger) {
	l := cms.NewLive(c, cms.LiveConfig{Logger: logger})
	c.SetLive(l)
	h.live = l
	ctx, cancel := context.WithCancel(context.Background())
	l.Start(ctx)
	h.t.Cleanup(func() { cancel(); l.Wait() })
	rctx, rcancel := context.WithTimeout(ctx, waitTimeout)
	defer rcancel()
	if err := l.Ready(rctx); err != nil {
		h.t.Fatalf("live state not ready: %v", err)
	}
}
