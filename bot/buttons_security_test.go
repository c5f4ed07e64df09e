package bot

import (
	"strings"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/slack-go/slack"
)

// A well-formed button that pairs one meeting's roster with a leg of another meeting (a
// tampered or mixed-up value) is refused: nothing changes in either meeting, the refusal is
// audited, and an oversized value is refused as stale without reaching commands.
func TestE2EButtonWithALegOfAnotherMeetingIsRefused(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	board := h.board()
	other := h.meeting("Other", cmssim.ParticipantSpec{Name: "Olga", Node: "cb2"})
	olga := other.Legs[0]
	forged := legRef{Correlator: board.Correlator, Node: olga.Node, LegID: olga.ID}.encode()
	api := slack.New("xoxb-test-bot", slack.OptionAPIURL(h.fake.APIURL()))
	btn := func(action, value string) slack.BlockElement {
		return slack.NewButtonBlockElement(action, value, slack.NewTextBlockObject(slack.PlainTextType, action, false, false))
	}
	_, ts, err := api.PostMessage(testChannel, slack.MsgOptionText("forged", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("cross", btn(actMuteAudio, forged)),
		slack.NewActionBlock("huge", btn(actDisconnect, strings.Repeat("f", 2000))),
	))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := h.fake.Message(testChannel, ts)
	// The stale button first: the refused mute refreshes the message it sat in, in place.
	h.click(testOperator, msg, actDisconnect, "huge", "")
	h.waitMessage(testOperator, "the stale-button answer", contains("no longer valid"))
	h.click(testOperator, msg, actMuteAudio, "cross", "")
	h.waitMessage(testOperator, "the refusal", contains("No participant matches"))
	if got := h.leg(olga.ID); got.RxAudioMute {
		t.Errorf("Olga was muted through a button of another meeting's roster")
	}
	for _, l := range board.Legs {
		if got := h.leg(l.ID); got.RxAudioMute {
			t.Errorf("%s changed", l.Name)
		}
	}
	audit := h.audit.String()
	if strings.Count(audit, `"op":"mute"`) != 1 || !strings.Contains(audit, `"outcome":"error"`) || strings.Contains(audit, `"op":"disconnect"`) {
		t.Errorf("audit = %s; want one failed mute and no disconnect", audit)
	}
}
