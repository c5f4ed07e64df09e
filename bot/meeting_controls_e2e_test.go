package bot

import (
	"strings"
	"testing"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
)

func (h *harness) callStates(m cmssim.MeetingInfo) []cmssim.CallState {
	var out []cmssim.CallState
	for node, id := range m.Calls {
		st, _ := h.sim.CallState(node, id)
		out = append(out, st)
	}
	return out
}

// TestE2EMeetingMenu drives the Meeting ▾ select, Layout for all, the banner modal, Admit and
// End through the fake Slack and checks the emulator after each.
func TestE2EMeetingMenu(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	r := h.roster(testOperator, m)
	every := func(what string, ok func(cmssim.CallState) bool) {
		h.eventually(what, func() bool {
			for _, st := range h.callStates(m) {
				if !ok(st) {
					return false
				}
			}
			return true
		})
	}
	note := func(s string) slackfake.Message {
		return h.waitMessage(testOperator, "the roster note: "+s, func(msg slackfake.Message) bool {
			return msg.TS == r.TS && contains("<@"+testOperator+">", s)(msg)
		})
	}

	h.click(testOperator, r, actMeeting, "", choiceLock+"|"+m.Correlator)
	every("every instance locked", func(st cmssim.CallState) bool { return st.Locked })
	r = note("locked the meeting")
	if !strings.Contains(string(r.Blocks), "🔒") {
		t.Errorf("the roster does not show the lock")
	}

	h.click(testOperator, r, actMeeting, "", choiceRecordOn+"|"+m.Correlator)
	every("recording", func(st cmssim.CallState) bool { return st.Recording })
	r = note("started recording")

	h.click(testOperator, r, actMeeting, "", choiceMuteAll+"|"+m.Correlator)
	h.eventually("everyone muted", func() bool {
		for _, l := range h.sim.Legs(m.Correlator) {
			if !l.RxAudioMute {
				return false
			}
		}
		return true
	})
	r = note("muted everyone")

	h.click(testOperator, r, actLayoutAll, "", m.Correlator+"|speakerOnly")
	h.eventually("everyone speakerOnly", func() bool {
		for _, l := range h.sim.Legs(m.Correlator) {
			if l.ChosenLayout != "speakerOnly" {
				return false
			}
		}
		return true
	})
	r = note("set everyone's layout to speakerOnly")

	h.click(testOperator, r, actMeeting, "", choiceBanner+"|"+m.Correlator)
	v, err := h.fake.WaitView(h.ctx(), testOperator, func(v slackfake.View) bool { return v.CallbackID == viewBanner })
	if err != nil {
		t.Fatalf("banner modal did not open: %v", err)
	}
	env, err := h.fake.SubmitView(v.ID, testOperator, map[string]map[string]any{
		blockBanner: {elemBanner: "Back at 10:15"}, blockPosition: {elemPosition: "top"}, blockDuration: {elemDuration: "60"}})
	if err != nil {
		t.Fatal(err)
	}
	if ack := h.waitAck(env); strings.Contains(string(ack.Payload), "errors") {
		t.Fatalf("banner acked with %s", ack.Payload)
	}
	every("the banner", func(st cmssim.CallState) bool {
		return st.MessageText == "Back at 10:15" && st.MessagePosition == "top" && st.MessageDuration == "60"
	})
	r = note("showed a banner")

	guest, _ := h.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb2"})
	h.click(testOperator, r, actRefresh, "", m.Correlator)
	r = h.waitMessage(testOperator, "the roster with the lobby", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("waiting in the lobby", actAdmit)(msg)
	})
	h.click(testOperator, r, actAdmit, "", legRef{Correlator: m.Correlator, Node: "cb2", LegID: guest.ID}.encode())
	h.eventually("the guest admitted", func() bool {
		p, _ := h.sim.Participant(guest.ParticipantID)
		return !p.Lobby.Deactivated
	})
	r = note("admitted Guest")

	h.click(testOperator, r, actEnd, "", m.Correlator)
	h.eventually("the meeting ended", func() bool { _, ok := h.sim.Meeting(m.Correlator); return !ok })
}

func TestE2EViewerCannotUseMeetingControls(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	r := h.roster(testViewer, m)
	if strings.Contains(string(r.Blocks), actMeeting) || strings.Contains(string(r.Blocks), actEnd) {
		t.Fatalf("viewer roster has meeting controls")
	}
	// Typed, the same controls are refused; nothing changes.
	h.slash(testViewer, `end "board review"`)
	h.slash(testViewer, `lock "board review"`)
	h.eventually("both refusals", func() bool { return len(h.fake.EphemeralFor(testViewer, testChannel)) >= 3 })
	if _, ok := h.sim.Meeting(m.Correlator); !ok {
		t.Fatal("a viewer ended the meeting")
	}
	for _, st := range h.callStates(m) {
		if st.Locked {
			t.Fatal("a viewer locked the meeting")
		}
	}
}

func TestE2EAmbiguousParticipantOffersButtons(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.meeting("Standup", cmssim.ParticipantSpec{Name: "Ana One", Node: "cb1"}, cmssim.ParticipantSpec{Name: "Ana Two", Node: "cb2"})
	h.slash(testOperator, "mute ana")
	msg := h.waitMessage(testOperator, "the candidates", contains("Ana One", "Ana Two", actRun))
	for _, l := range h.sim.Legs(m.Correlator) {
		if l.RxAudioMute {
			t.Fatalf("an ambiguous reference muted %s", l.Name)
		}
	}
	two := legByName(t, m, "Ana Two")
	h.click(testOperator, msg, actRun, blockIDWithValue(t, msg, actRun, two.ID), "mute "+two.ID)
	h.eventually("Ana Two muted", func() bool { return h.leg(two.ID).RxAudioMute })
	if h.leg(legByName(t, m, "Ana One").ID).RxAudioMute {
		t.Fatal("Ana One muted too")
	}
}
