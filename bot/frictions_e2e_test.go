package bot

import (
	"strings"
	"testing"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/commands"
)

// Friction 1: every address rule is checked inside the Add participant modal. A bad address
// keeps the modal open with its own inline error (the typed `add` command's sentence), posts
// nothing and dials nothing; a good one closes the modal and dials.
func TestE2EAddModalShowsEveryAddressErrorInline(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	r := h.roster(testOperator, m)
	h.click(testOperator, r, actAdd, "", "")
	v, err := h.fake.WaitView(h.ctx(), testOperator, func(v slackfake.View) bool { return v.CallbackID == viewAdd })
	if err != nil {
		t.Fatalf("add modal did not open: %v", err)
	}
	posted := len(h.fake.Messages(testChannel))
	seen := map[string]string{}
	for _, uri := range []string{"alice@", "sip:", "+47abc", "a@b@c", "@example.com", "http://x", "sip:al ice@example.com", ""} {
		env, err := h.fake.SubmitView(v.ID, testOperator, map[string]map[string]any{blockURI: {elemURI: uri}})
		if err != nil {
			t.Fatal(err)
		}
		if ack := h.waitAck(env); ack.Error != "" {
			t.Fatalf("%q: Slack refused the ack: %s %v", uri, ack.Error, ack.Errors)
		}
		got, _ := h.fake.View(v.ID)
		want := commands.URIProblem(strings.TrimSpace(uri))
		if !got.Open || got.Errors[blockURI] != want || want == "" {
			t.Fatalf("%q: modal open=%v, inline error %q, want %q", uri, got.Open, got.Errors[blockURI], want)
		}
		if other, dup := seen[want]; dup {
			t.Errorf("%q and %q get the same error %q: not specific", uri, other, want)
		}
		seen[want] = uri
	}
	if n := len(h.fake.Messages(testChannel)); n != posted {
		t.Errorf("%d messages posted while the modal refused addresses, want none", n-posted)
	}
	if n := len(h.sim.Legs(m.Correlator)); n != 3 {
		t.Fatalf("%d legs after refused addresses, want 3", n)
	}

	env, err := h.fake.SubmitView(v.ID, testOperator, map[string]map[string]any{blockURI: {elemURI: "alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if ack := h.waitAck(env); strings.Contains(string(ack.Payload), "errors") {
		t.Fatalf("a valid address acked with %s", ack.Payload)
	}
	if got, _ := h.fake.View(v.ID); got.Open {
		t.Error("the modal stayed open after a valid address")
	}
	h.eventually("the valid address is dialled", func() bool { return len(h.sim.Legs(m.Correlator)) == 4 })
}
