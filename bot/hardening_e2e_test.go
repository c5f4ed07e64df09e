package bot

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// Hardening (issue 12, issue 16's frictions): clicks that may not rewrite a shared message,
// help in channels NFMM does not serve, buttons whose values must always work, and a
// response_url that must never reach the log.

const testOutsider = "UOUTSIDE01" // neither viewer nor operator

// shared is the latest channel (non-ephemeral) message in the test channel that matches.
func (h *harness) shared(what string, match func(slackfake.Message) bool) slackfake.Message {
	h.t.Helper()
	var found slackfake.Message
	h.eventually(what, func() bool {
		ms := h.fake.Messages(testChannel)
		for i := len(ms) - 1; i >= 0; i-- {
			if !ms[i].Ephemeral && match(ms[i]) {
				found = ms[i]
				return true
			}
		}
		return false
	})
	return found
}

// private waits for a new ephemeral message to user (posted after n messages) that matches.
func (h *harness) private(user, what string, n int, match func(slackfake.Message) bool) slackfake.Message {
	h.t.Helper()
	var found slackfake.Message
	h.eventually(what, func() bool {
		ms := h.fake.Messages(testChannel)
		for i := n; i < len(ms); i++ {
			if ms[i].Ephemeral && ms[i].VisibleTo == user && match(ms[i]) {
				found = ms[i]
				return true
			}
		}
		return false
	})
	return found
}

// assertUnchanged checks that the shared message still is exactly what was posted.
func (h *harness) assertUnchanged(before slackfake.Message, after string) {
	h.t.Helper()
	for _, m := range h.fake.Messages(testChannel) {
		if m.TS != before.TS || m.Ephemeral {
			continue
		}
		if m.Edited || m.Text != before.Text || !bytes.Equal(m.Blocks, before.Blocks) {
			h.t.Errorf("after %s the shared message changed for everyone:\nbefore %s\nafter  %s", after, before.Blocks, m.Blocks)
		}
		return
	}
	h.t.Errorf("after %s the shared message %s is gone", after, before.TS)
}

// A viewer's Refresh, an outsider's Refresh and anyone's Next on a public roster answer the
// clicker privately: the operator controls stay for everyone (issue 12 item 4, issue 16
// friction 10).
func TestE2EClicksWithoutTheRightNeverRewriteASharedRoster(t *testing.T) {
	h := newHarness(t, harnessOptions{Viewers: []string{testViewer}})
	h.meeting("Town hall", people(30, 3)...)
	h.slash(testOperator, "call town public")
	roster := h.shared("the public roster", contains("Town hall", actMuteAudio, actRefresh, actPage))

	n := len(h.fake.Messages(testChannel))
	h.click(testViewer, roster, actRefresh, "", "")
	got := h.private(testViewer, "the viewer's private roster", n, contains("Town hall", "Person 001"))
	if strings.Contains(string(got.Blocks), actMuteAudio) {
		t.Errorf("the viewer's roster has operator controls:\n%s", got.Blocks)
	}
	h.assertUnchanged(roster, "a viewer's Refresh")

	n = len(h.fake.Messages(testChannel))
	h.click(testOutsider, roster, actRefresh, "", "")
	h.private(testOutsider, "the outsider's refusal", n, contains("may not use NFMM"))
	h.assertUnchanged(roster, "an outsider's Refresh")

	n = len(h.fake.Messages(testChannel))
	h.click(testViewer, roster, actPage, "nfmm_controls", "")
	h.private(testViewer, "the viewer's page 2", n, contains("Page 2 of"))
	h.assertUnchanged(roster, "a viewer's Next")

	n = len(h.fake.Messages(testChannel))
	h.click(testOutsider, roster, actMuteAudio, "", "")
	h.private(testOutsider, "the outsider's refusal of a mute", n, contains("may not use NFMM"))
	h.assertUnchanged(roster, "an outsider's Mute")

	// The operator's own Refresh still updates the shared roster in place.
	h.click(testOperator, roster, actRefresh, "", "")
	h.eventually("the operator's Refresh updates the shared roster", func() bool {
		for _, msg := range h.fake.Messages(testChannel) {
			if msg.TS == roster.TS && msg.Edited && contains(actMuteAudio)(msg) {
				return true
			}
		}
		return false
	})
}

// A user with no role, or anyone in a channel NFMM does not serve, never makes NFMM post to
// the channel, not even help (issue 12 item 9).
func TestE2EPublicHelpOnlyForUsersNFMMServes(t *testing.T) {
	h := newHarness(t, harnessOptions{Viewers: []string{testViewer}, Channels: []string{testChannel}})
	for _, tc := range []struct{ user, channel string }{
		{testOutsider, testChannel},  // no role in a served channel
		{testViewer, otherChannel},   // a viewer, but the channel is not served
		{testOperator, otherChannel}, // even an operator
	} {
		for _, text := range []string{"public", "help public", "frobnicate public"} {
			env, err := h.fake.SlashCommand(tc.user, tc.channel, slashCommand, text)
			if err != nil {
				t.Fatal(err)
			}
			h.waitAck(env)
			h.eventually("the private answer to "+tc.user+" in "+tc.channel, func() bool {
				for _, m := range h.fake.Messages(tc.channel) {
					if m.Ephemeral && m.VisibleTo == tc.user && contains("NFMM")(m) {
						return true
					}
				}
				return false
			})
		}
	}
	// Served users in a served channel still can.
	h.slash(testViewer, "help public")
	h.shared("the viewer's public help", contains(actRun))
	for _, ch := range []string{testChannel, otherChannel} {
		for _, m := range h.fake.Messages(ch) {
			if !m.Ephemeral && (m.Via != "response_url" || !strings.Contains(string(m.Blocks), actRun)) {
				t.Errorf("unexpected public message in %s: %s", ch, m.Text)
			}
		}
	}
	public := 0
	for _, m := range h.fake.Messages(testChannel) {
		if !m.Ephemeral {
			public++
		}
	}
	if public != 1 {
		t.Errorf("%d public messages, want only the viewer's help", public)
	}
}

// Help's "Run schedule" button runs the bot's own schedule command, as typing it does (issue
// 12 item 16a, issue 16 friction 8).
func TestE2EScheduleRunButtonInHelp(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.slash(testViewer, "help")
	help := h.waitMessage(testViewer, "help", contains(actRun, `"value":"schedule"`))
	n := len(h.fake.Messages(testChannel))
	h.click(testViewer, help, actRun, blockIDWithValue(t, help, actRun, "schedule"), "")
	got := h.private(testViewer, "the schedule answer", n, func(m slackfake.Message) bool {
		return contains("NFMM scheduled reports")(m) || contains("Unknown command")(m) || contains("no longer valid")(m)
	})
	if !contains("NFMM scheduled reports")(got) {
		t.Errorf("Run schedule answered %q", got.Text)
	}
}

// Refresh and Next on a calls list with a long filter work: every button value fits and
// decodes (issue 12 item 16b, issue 16 friction 9).
func TestE2ELongCallsFilterButtonsWork(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	// The longest filter commands accepts (200 characters), and more bytes than characters.
	filter := "ops " + strings.Repeat("møte-", 39) + "x"
	for i := range callsPerPage + 5 {
		h.meeting(filter+fmt.Sprint(i), people(1, 3)...)
	}
	h.slash(testViewer, "calls "+filter)
	list := h.waitMessage(testViewer, "the filtered list", contains("45 meetings", actPage, "Refresh"))

	h.click(testViewer, list, actRun, "nfmm_controls", "")
	got := h.waitMessage(testViewer, "the refreshed list, or a complaint", func(m slackfake.Message) bool {
		return (m.TS == list.TS && m.Edited) || contains("no longer valid")(m)
	})
	if !contains("45 meetings")(got) {
		t.Errorf("Refresh answered %q", got.Text)
	}

	h.click(testViewer, got, actPage, "nfmm_controls", "")
	h.waitMessage(testViewer, "page 2 of the filtered list", contains("Page 2 of 2"))
	if strings.Contains(h.logs.String(), "breaks Slack limits") {
		t.Errorf("a message broke a Slack limit:\n%s", h.logs.String())
	}
}

// TestE2ECallsOnOneNodeButtonsKeepTheNode: Next and Refresh of `calls --node cb2` list the
// meetings on cb2 again, not the whole cluster.
func TestE2ECallsOnOneNodeButtonsKeepTheNode(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for i := range callsPerPage + 2 {
		h.meeting(fmt.Sprintf("On two %02d", i), cmssim.ParticipantSpec{Name: "A", Node: "cb2"})
	}
	h.meeting("Only on one", cmssim.ParticipantSpec{Name: "B", Node: "cb1"})
	h.slash(testViewer, "calls --node cb2")
	list := h.waitMessage(testViewer, "the list on cb2", contains(fmt.Sprint(callsPerPage+2, " meetings"), actPage, "on cb2"))

	h.click(testViewer, list, actPage, "nfmm_controls", "")
	page2 := h.waitMessage(testViewer, "page 2 on cb2", contains("Page 2 of 2"))
	if !contains(fmt.Sprint(callsPerPage+2, " meetings"))(page2) || contains("Only on one")(page2) {
		t.Errorf("page 2 lost --node cb2: %s", page2.Text)
	}
	h.click(testViewer, page2, actRun, "nfmm_controls", "")
	got := h.waitMessage(testViewer, "the refreshed list", func(m slackfake.Message) bool {
		return m.TS == page2.TS && m.Edited && contains("Page 1 of 2")(m)
	})
	if !contains(fmt.Sprint(callsPerPage+2, " meetings"))(got) {
		t.Errorf("Refresh lost --node cb2: %s", got.Text)
	}
}

// failResponseURL makes every response_url request fail below HTTP, as a network error does;
// the Web API still works.
type failResponseURL struct{ next http.RoundTripper }

func (f failResponseURL) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/response/") {
		return nil, errors.New("connection reset by peer")
	}
	return f.next.RoundTrip(r)
}

// A response_url is a bearer credential for 30 minutes: a network error posting to it is
// logged without it (issue 12 item 12).
func TestE2EResponseURLNeverLogged(t *testing.T) {
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) {
		c.HTTPClient = &http.Client{Transport: failResponseURL{http.DefaultTransport}}
	}})
	h.board()
	env := h.slash(testOperator, "calls")
	got := h.waitMessage(testOperator, "the calls list", contains("Board review", actParticipants))
	if got.Via != "chat.postEphemeral" {
		t.Errorf("answer via %s, want the chat.postEphemeral fallback", got.Via)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "response_url failed") {
		t.Fatalf("the failure is not logged:\n%s", logs)
	}
	if strings.Contains(logs, "/response/") || strings.Contains(logs, env.ResponseURL) {
		t.Errorf("the log holds the response_url:\n%s", logs)
	}
}

// With every worker stuck on a slow CMS and the queue full, the read loop still acks every
// envelope at once and sheds what it cannot queue with an ephemeral "busy" (issue 12 item 7).
func TestE2EFullQueueNeverDelaysAcks(t *testing.T) {
	h := newHarness(t, harnessOptions{BotConfig: func(c *Config) { c.Workers, c.QueueSize = 1, 1 }})
	h.board()
	for _, n := range h.sim.Nodes() {
		h.sim.SetLatency(n.Name, 2*time.Second)
	}
	const commands = 12
	var envs []slackfake.Envelope
	for i := range commands {
		env, err := h.fake.SlashCommand(testViewer, testChannel, slashCommand, "calls")
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		envs = append(envs, env)
	}
	var worst time.Duration
	for _, env := range envs {
		a := h.waitAck(env)
		if a.Latency > time.Second {
			t.Errorf("envelope %s acked after %v behind a full queue, want at once", env.ID, a.Latency)
		}
		worst = max(worst, a.Latency)
	}
	t.Logf("slowest of %d acks behind a full queue: %v", commands, worst)
	busy := h.waitMessage(testViewer, "a busy answer", contains("NFMM is busy, try again in a moment"))
	if !busy.Ephemeral {
		t.Errorf("the busy answer is public")
	}
	for _, n := range h.sim.Nodes() {
		h.sim.SetLatency(n.Name, 0)
	}
}
