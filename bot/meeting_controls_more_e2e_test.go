package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// TestE2EMeetingMenuAndTypedControls drives, through the fake Slack, the meeting controls
// TestE2EMeetingMenu leaves out (unlock, stop recording, stream on and off, unmute all,
// remove the banner from the Meeting ▾ select) and the typed ones (find with its Details and
// Mute buttons, participants by name, muteall video, importance, move), checking the emulator
// after each.
func TestE2EMeetingMenuAndTypedControls(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	standup := h.meeting("Standup", cmssim.ParticipantSpec{Name: "Host", Node: "cb1"})
	every := func(what string, ok func(cmssim.CallState) bool) {
		h.t.Helper()
		h.eventually(what, func() bool {
			for _, st := range h.callStates(m) {
				if !ok(st) {
					return false
				}
			}
			return true
		})
	}
	r := h.roster(testOperator, m)
	note := func(s string) {
		h.t.Helper()
		r = h.waitMessage(testOperator, "the roster note: "+s, func(msg slackfake.Message) bool {
			return msg.TS == r.TS && contains("<@"+testOperator+">", s)(msg)
		})
	}
	menu := func(choice string) {
		h.t.Helper()
		h.click(testOperator, r, actMeeting, "", choice+"|"+m.Correlator)
	}

	menu(choiceLock)
	every("locked", func(st cmssim.CallState) bool { return st.Locked })
	note("locked the meeting")
	g1, _ := h.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest One", Node: "cb1"})
	g2, _ := h.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest Two", Node: "cb3"})
	h.slash(testOperator, `admit "board review"`) // typed: everyone waiting
	h.eventually("both guests admitted", func() bool {
		p1, _ := h.sim.Participant(g1.ParticipantID)
		p2, _ := h.sim.Participant(g2.ParticipantID)
		return !p1.Lobby.Deactivated && !p2.Lobby.Deactivated
	})
	h.waitMessage(testOperator, "the admit result", contains("Admitted 2 of 2"))
	menu(choiceUnlock)
	every("unlocked", func(st cmssim.CallState) bool { return !st.Locked })
	note("unlocked the meeting")
	menu(choiceRecordOn)
	every("recording", func(st cmssim.CallState) bool { return st.Recording })
	note("started recording")
	menu(choiceRecordOff)
	every("not recording", func(st cmssim.CallState) bool { return !st.Recording })
	note("stopped recording")
	menu(choiceStreamOn)
	every("streaming", func(st cmssim.CallState) bool { return st.Streaming })
	note("started streaming")
	if !strings.Contains(string(r.Blocks), "📡") {
		t.Errorf("the roster header does not show the stream")
	}
	menu(choiceStreamOff)
	every("not streaming", func(st cmssim.CallState) bool { return !st.Streaming })
	note("stopped streaming")
	menu(choiceMuteAll)
	h.eventually("everyone muted", func() bool { return allLegs(h, m, func(l cmssim.LegState) bool { return l.RxAudioMute }) })
	note("muted everyone")
	menu(choiceUnmuteAll)
	h.eventually("everyone unmuted", func() bool { return allLegs(h, m, func(l cmssim.LegState) bool { return !l.RxAudioMute }) })
	note("unmuted everyone")

	h.slash(testOperator, `banner "board review" Back at 10:15`)
	every("the banner", func(st cmssim.CallState) bool { return st.MessageText == "Back at 10:15" })
	h.click(testOperator, r, actRefresh, "", m.Correlator)
	r = h.waitMessage(testOperator, "the roster with the banner", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("banner “Back at 10:15”", choiceBannerOff+"|"+m.Correlator)(msg)
	})
	menu(choiceBannerOff)
	every("no banner", func(st cmssim.CallState) bool { return st.MessageText == "" && st.MessageDuration == "0" })
	note("removed the banner")

	// Typed, participants by name.
	h.slash(testOperator, `muteall "board review" video`)
	h.eventually("every video muted", func() bool { return allLegs(h, m, func(l cmssim.LegState) bool { return l.RxVideoMute }) })
	h.slash(testOperator, "mute bob")
	bob := legByName(t, m, "Bob")
	h.eventually("Bob muted by name", func() bool { return h.leg(bob.ID).RxAudioMute })
	if h.leg(legByName(t, m, "Alice").ID).RxAudioMute {
		t.Error("mute bob muted Alice")
	}
	h.slash(testOperator, "importance alice 5")
	alice := legByName(t, m, "Alice")
	h.eventually("Alice's importance 5", func() bool {
		p, _ := h.sim.Participant(alice.ParticipantID)
		return p.Importance != nil && *p.Importance == 5
	})
	h.waitMessage(testOperator, "the importance result", contains("Alice", "importance", "5"))
	h.slash(testOperator, "importance alice off")
	h.eventually("Alice's importance cleared", func() bool {
		p, _ := h.sim.Participant(alice.ParticipantID)
		return p.Importance == nil
	})

	// find: a result per match with Details and, for operators, Mute.
	h.slash(testOperator, "find carol")
	carol := legByName(t, m, "Carol")
	found := h.waitMessage(testOperator, "the find results", contains("Carol", "carol@example.com", "Board review", actDetails, actMuteAudio))
	h.click(testOperator, found, actMuteAudio, blockIDWithValue(t, found, actMuteAudio, carol.ID),
		legRef{Correlator: m.Correlator, Node: carol.Node, LegID: carol.ID}.encode())
	h.eventually("Carol muted from find", func() bool { return h.leg(carol.ID).RxAudioMute })
	// The click shows the roster in place of the results, with a note.
	found = h.waitMessage(testOperator, "the roster after Mute", func(msg slackfake.Message) bool {
		return msg.TS == found.TS && contains("muted Carol", actRefresh)(msg)
	})
	// On the roster, Details is in the row's menu (the leg is the menu's block_id).
	h.click(testOperator, found, actRowMenu, legRef{Correlator: m.Correlator, Node: carol.Node, LegID: carol.ID}.encode(), rowDetails)
	h.waitMessage(testOperator, "Carol's details", contains("Carol", "Encryption"))
	h.slash(testViewer, "find carol")
	vf := h.waitMessage(testViewer, "a viewer's find results", contains("Carol", actDetails))
	if strings.Contains(string(vf.Blocks), actMuteAudio) {
		t.Error("a viewer's find results offer Mute")
	}

	h.slash(testOperator, `move bob standup`)
	h.eventually("Bob in Standup", func() bool {
		for _, l := range h.sim.Legs(standup.Correlator) {
			if l.Name == "Bob" {
				return true
			}
		}
		return false
	})
}

func allLegs(h *harness, m cmssim.MeetingInfo, ok func(cmssim.LegState) bool) bool {
	for _, l := range h.sim.Legs(m.Correlator) {
		if !ok(l) {
			return false
		}
	}
	return true
}

// Operator-only is checked again on every click: an operator who loses the role keeps the
// roster with its controls, and every meeting control they click then is refused, changes
// nothing and is audited as denied.
func TestE2EMeetingControlsRecheckTheRoleOnEveryClick(t *testing.T) {
	h, clock := groupHarness(t, testOperator)
	m := h.board()
	h.lockBoard(m)
	guest, _ := h.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb2"})
	r := h.roster(testOperator, m)
	r = h.waitMessage(testOperator, "the roster with the lobby", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains(actMeeting, actLayoutAll, actEnd, actAdmit)(msg)
	})
	h.fake.SetUserGroup(testGroup, nil)
	clock.Advance(defaultGroupTTL + time.Second)
	h.click(testOperator, r, actMeeting, "", choiceUnlock+"|"+m.Correlator)
	h.click(testOperator, r, actMeeting, "", choiceRecordOn+"|"+m.Correlator)
	h.click(testOperator, r, actLayoutAll, "", m.Correlator+"|speakerOnly")
	h.click(testOperator, r, actAdmit, blockIDWithValue(t, r, actAdmit, guest.ID),
		legRef{Correlator: m.Correlator, Node: "cb2", LegID: guest.ID}.encode())
	h.click(testOperator, r, actEnd, "", m.Correlator)
	h.eventually("five refusals", func() bool { return h.refusals(testOperator) >= 5 })
	if _, ok := h.sim.Meeting(m.Correlator); !ok {
		t.Fatal("a former operator ended the meeting")
	}
	for _, st := range h.callStates(m) {
		if !st.Locked || st.Recording {
			t.Errorf("a former operator changed the meeting: %+v", st)
		}
	}
	if p, _ := h.sim.Participant(guest.ParticipantID); !p.Lobby.Deactivated {
		t.Error("a former operator admitted the guest")
	}
	for _, l := range h.sim.Legs(m.Correlator) {
		if l.ChosenLayout == "speakerOnly" {
			t.Errorf("a former operator set %s's layout", l.Name)
		}
	}
}

func (h *harness) lockBoard(m cmssim.MeetingInfo) {
	h.t.Helper()
	h.slash(testOperator, `lock "board review"`)
	h.eventually("Board review locked", func() bool {
		for _, st := range h.callStates(m) {
			if !st.Locked {
				return false
			}
		}
		return true
	})
}

// The meeting state shows in Slack's calls list and roster header, from REST and, as under
// nfmm run, from live state (the Events API), the same.
func TestE2EMeetingStateInSlack(t *testing.T) {
	for _, live := range []bool{false, true} {
		t.Run(fmt.Sprintf("live=%v", live), func(t *testing.T) {
			h := newHarness(t, harnessOptions{Live: live})
			m := h.board()
			h.lockBoard(m)
			for _, cmd := range []string{`record "board review" on`, `stream "board review" on`, `banner "board review" Back at 10:15`} {
				h.slash(testOperator, cmd)
			}
			h.eventually("recording, streaming, the banner", func() bool {
				for _, st := range h.callStates(m) {
					if !st.Recording || !st.Streaming || st.MessageText == "" {
						return false
					}
				}
				return true
			})
			h.sim.SetPresenting(legByName(t, m, "Bob").ID, true)
			h.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb3"})
			want := "🔒 ⏺ 📡 · presenting: Bob · banner “Back at 10:15” · 1 in the lobby"
			var calls slackfake.Message
			h.eventually("the calls list with the meeting state", func() bool {
				n := len(h.visible(testViewer))
				h.slash(testViewer, "calls")
				calls = h.waitMessage(testViewer, "a calls list", func(slackfake.Message) bool { return len(h.visible(testViewer)) > n })
				calls = h.visible(testViewer)[len(h.visible(testViewer))-1]
				return contains("Board review", want)(calls)
			})
			h.click(testViewer, calls, actParticipants, "", "")
			h.waitMessage(testViewer, "the roster header with the meeting state", contains(actRefresh, want, "Bob", "presenting", "waiting in the lobby"))
		})
	}
}

// A live roster message redraws when the banner or the lobby changes, although no CMS event
// carries either: live state announces them internally (cms.MeetingStateChanged).
func TestE2ELiveRosterShowsBannerAndLobby(t *testing.T) {
	h := newHarness(t, harnessOptions{Live: true})
	mt := h.meeting("Board review", cmssim.ParticipantSpec{Name: "Alice Jones"}, cmssim.ParticipantSpec{Name: "Bob Smith", Node: "cb2"})
	live := h.watchMeeting("watch board review", "Alice Jones", "Bob Smith")
	h.slash(testOperator, `banner "board review" Back at 10:15`)
	h.within(liveDeadline, "the banner shows", live.TS, contains("banner “Back at 10:15”"))
	h.lockBoard(mt) // the emulator has the lock before anyone joins
	h.within(liveDeadline, "the lock shows", live.TS, contains("🔒 · banner"))
	guest, _ := h.sim.Join(mt.Correlator, cmssim.ParticipantSpec{Name: "Tamar Andersson", Node: "cb3"})
	h.within(liveDeadline, "the lobby shows", live.TS, contains("Tamar Andersson", "1 in the lobby"))
	h.slash(testOperator, "admit \"board review\" "+guest.ID)
	h.within(liveDeadline, "the admit shows", live.TS, func(m slackfake.Message) bool {
		return contains("Tamar Andersson")(m) && !contains("in the lobby")(m)
	})
	h.slash(testOperator, `banner "board review" off`)
	h.within(liveDeadline, "the banner goes", live.TS, func(m slackfake.Message) bool { return !contains("Back at 10:15")(m) })
}
