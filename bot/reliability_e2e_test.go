package bot

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
)

func TestE2ERedeliveredEnvelopeRunsOnce(t *testing.T) {
	// One worker: jobs run in order, so once a later command is answered, a redelivery that had
	// been queued would have run already.
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { c.Workers = 1 }})
	m := h.board()
	alice := legByName(t, m, "Alice")
	env := h.slash(testOperator, "mute "+alice.ID)
	h.eventually("the mute is audited", func() bool { return strings.Count(h.audit.String(), `"op":"mute"`) == 1 })

	again, err := h.fake.Redeliver(env.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.RetryAttempt != 1 {
		t.Fatalf("redelivery retry_attempt = %d", again.RetryAttempt)
	}
	h.waitAck(again) // acked again, so Slack stops retrying
	h.slash(testOperator, "status")
	h.waitMessage(testOperator, "the status reply", contains("cb1", "cb2", "cb3"))
	if n := strings.Count(h.audit.String(), `"op":"mute"`); n != 1 {
		t.Fatalf("mute ran %d times after a redelivery, want once", n)
	}
	if !h.leg(alice.ID).RxAudioMute {
		t.Fatalf("Alice is not muted")
	}
}

func TestE2EReconnectAfterDisconnect(t *testing.T) {
	var reconnects atomic.Int32
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { c.Metrics = &countingMetrics{reconnects: &reconnects} }})
	m := h.board()
	for i, reason := range []string{"refresh_requested", "warning"} {
		if err := h.fake.Disconnect(reason); err != nil {
			t.Fatal(err)
		}
		h.eventually("the bot re-opens the socket", func() bool { return h.fake.Opens() == i+2 && h.bot.Connected() })
	}
	if err := h.fake.DropConnection(); err != nil {
		t.Fatal(err)
	}
	h.eventually("the bot survives a dropped socket", func() bool { return h.fake.Opens() == 4 && h.bot.Connected() })
	if got := reconnects.Load(); got != 3 {
		t.Errorf("metrics counted %d reconnects, want 3", got)
	}
	bob := legByName(t, m, "Bob")
	h.slash(testOperator, "mute "+bob.ID)
	h.eventually("a command after reconnecting works", func() bool { return h.leg(bob.ID).RxAudioMute })
}

// countingMetrics records what the bot reports.
type countingMetrics struct {
	reconnects *atomic.Int32
	acks       atomic.Int32
	panics     atomic.Int32
}

func (c *countingMetrics) Ack(time.Duration) { c.acks.Add(1) }
func (c *countingMetrics) Reconnect()        { c.reconnects.Add(1) }
func (c *countingMetrics) Command(_, outcome string) {
	if outcome == "panic" {
		c.panics.Add(1)
	}
}

func TestE2ELargeMeetingPagesWithinLimits(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.meeting("All hands", people(120, 3)...)
	h.slash(testOperator, `call "all hands"`)
	r := h.waitMessage(testOperator, "the first roster page", contains("All hands", "Person 001", actPage))
	seen := map[string]bool{}
	collect := func(msg slackfake.Message) {
		for _, l := range m.Legs {
			if strings.Contains(string(msg.Blocks), l.ID) {
				seen[l.ID] = true
			}
		}
	}
	collect(r)
	for page := 2; len(seen) < 120 && page <= 10; page++ {
		before := r.Blocks
		h.click(testOperator, r, actPage, "nfmm_controls", "") // Next ▶
		r = h.waitMessage(testOperator, "the next roster page", func(msg slackfake.Message) bool {
			return msg.TS == r.TS && string(msg.Blocks) != string(before)
		})
		collect(r)
	}
	if len(seen) != 120 {
		t.Fatalf("paging showed %d of 120 participants", len(seen))
	}
	for _, c := range h.fake.Calls("") {
		if c.Error != "" {
			t.Errorf("Slack rejected %s: %s %v", c.Method, c.Error, c.Errors)
		}
	}
	// Muting someone on a later page keeps that page in view.
	last := m.Legs[len(m.Legs)-1]
	h.click(testOperator, r, actMuteAudio, legControls(m, last), "")
	r = h.waitMessage(testOperator, "the muted note", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("muted "+last.Name)(msg)
	})
	if !strings.Contains(string(r.Blocks), last.ID) {
		t.Errorf("after muting %s the roster jumped away from their page", last.Name)
	}
	if !h.leg(last.ID).RxAudioMute {
		t.Errorf("%s is not muted in CMS", last.Name)
	}
}
