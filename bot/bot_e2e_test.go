package bot

import (
	"strings"
	"testing"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// board is the standard meeting of the e2e tests: three participants on three nodes.
func (h *harness) board() cmssim.MeetingInfo {
	return h.meeting("Board review",
		cmssim.ParticipantSpec{Name: "Alice", URI: "alice@example.com", Node: "cb1"},
		cmssim.ParticipantSpec{Name: "Bob", URI: "bob@example.com", Node: "cb2"},
		cmssim.ParticipantSpec{Name: "Carol", URI: "carol@example.com", Node: "cb3"},
	)
}

func legByName(t *testing.T, m cmssim.MeetingInfo, name string) cmssim.LegState {
	t.Helper()
	for _, l := range m.Legs {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no leg named %s in %s", name, m.Name)
	return cmssim.LegState{}
}

// roster opens the meeting's roster the way a user does: `calls`, then the Participants button.
func (h *harness) roster(user string, m cmssim.MeetingInfo) slackfake.Message {
	h.t.Helper()
	h.slash(user, "calls")
	calls := h.waitMessage(user, "the calls list", contains(m.Name, actParticipants))
	h.click(user, calls, actParticipants, "", "")
	return h.waitMessage(user, "the roster", contains(actRefresh, "Alice", "Bob", "Carol"))
}

func TestE2ECallsThenParticipantsShowsRoster(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	r := h.roster(testOperator, m)
	if !r.Ephemeral || r.VisibleTo != testOperator {
		t.Errorf("roster is ephemeral=%v to %q, want ephemeral to the operator", r.Ephemeral, r.VisibleTo)
	}
	for _, node := range []string{"cb1", "cb2", "cb3"} {
		if !strings.Contains(string(r.Blocks), node) {
			t.Errorf("roster does not name node %s", node)
		}
	}
	// Reading changes nothing in CMS.
	for _, l := range m.Legs {
		if got := h.leg(l.ID); got.RxAudioMute || got.RxVideoMute || got.ChosenLayout != "" {
			t.Errorf("leg %s changed by reading: %+v", l.Name, got)
		}
	}
	// Typing the same thing works too.
	h.slash(testOperator, "call board")
	h.waitMessage(testOperator, "the typed roster", contains("Board review", "Alice", "Bob", "Carol", actMuteAudio))
}

// legControls is the block_id of a leg's actions block in a roster (legRef.encode()).
func legControls(m cmssim.MeetingInfo, l cmssim.LegState) string {
	return legRef{Correlator: m.Correlator, Node: l.Node, LegID: l.ID}.encode()
}

func TestE2EMuteAndUnmuteByClicking(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	bob := legByName(t, m, "Bob")
	r := h.roster(testOperator, m)

	// Audio is the row's primary button; video is in the row's overflow menu.
	steps := []struct {
		action, value string
		note          string
		check         func(cmssim.LegState) bool
	}{
		{actMuteAudio, "", "muted Bob", func(l cmssim.LegState) bool { return l.RxAudioMute }},
		{actRowMenu, rowMuteVideo, "stopped the video of Bob", func(l cmssim.LegState) bool { return l.RxAudioMute && l.RxVideoMute }},
		{actUnmuteAudio, "", "unmuted Bob", func(l cmssim.LegState) bool { return !l.RxAudioMute && l.RxVideoMute }},
		{actRowMenu, rowUnmuteVideo, "restored the video of Bob", func(l cmssim.LegState) bool { return !l.RxAudioMute && !l.RxVideoMute }},
	}
	for _, s := range steps {
		h.click(testOperator, r, s.action, legControls(m, bob), s.value)
		// The roster updates in place with who did what.
		r = h.waitMessage(testOperator, "the roster note: "+s.note, func(msg slackfake.Message) bool {
			return msg.TS == r.TS && contains("<@"+testOperator+">", s.note)(msg)
		})
		if got := h.leg(bob.ID); !s.check(got) {
			t.Fatalf("after %s: Bob's leg is %+v", s.action, got)
		}
	}
	for _, l := range m.Legs {
		if l.ID == bob.ID {
			continue
		}
		if got := h.leg(l.ID); got.RxAudioMute || got.RxVideoMute {
			t.Errorf("%s changed too: %+v", l.Name, got)
		}
	}
}

func TestE2EMuteAndUnmuteByTyping(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	alice := legByName(t, m, "Alice")
	tests := []struct {
		text         string
		audio, video bool
	}{
		{"mute " + alice.ID, true, false},
		{"mute " + alice.ID + " video", true, true},
		{"unmute " + alice.ID + " audio", false, true},
		{"unmute " + alice.ID + " both", false, false},
		{"mute " + alice.ID[:8] + " both", true, true},
	}
	for i, tt := range tests {
		h.slash(testOperator, tt.text)
		h.eventually("the emulator reflects "+tt.text, func() bool {
			l := h.leg(alice.ID)
			return l.RxAudioMute == tt.audio && l.RxVideoMute == tt.video
		})
		h.waitMessage(testOperator, "the reply to "+tt.text, func(msg slackfake.Message) bool {
			return len(h.fake.EphemeralFor(testOperator, testChannel)) >= i+1
		})
	}
}

func TestE2ELayoutMenuAndTyped(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	carol := legByName(t, m, "Carol")
	r := h.roster(testOperator, m)
	v := h.rowModal(testOperator, r, m, carol, rowSettings, viewRowSettings)
	h.submit(v, testOperator, map[string]map[string]any{blockRowLayout: {elemRowLayout: "speakerOnly"}})
	h.waitMessage(testOperator, "the layout note", contains("set the layout of Carol to speakerOnly"))
	if got := h.leg(carol.ID).ChosenLayout; got != "speakerOnly" {
		t.Fatalf("Carol's layout = %q after the menu, want speakerOnly", got)
	}
	h.slash(testOperator, "layout "+carol.ID+" TELEPRESENCE")
	h.eventually("the typed layout reaches CMS", func() bool { return h.leg(carol.ID).ChosenLayout == "telepresence" })
}

func TestE2EAddParticipantModal(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	r := h.roster(testOperator, m)
	h.click(testOperator, r, actAdd, "", "")
	v, err := h.fake.WaitView(h.ctx(), testOperator, func(v slackfake.View) bool { return v.CallbackID == viewAdd })
	if err != nil {
		t.Fatalf("add modal did not open: %v", err)
	}

	// Invalid input: the modal shows the error and nothing is dialled.
	env, err := h.fake.SubmitView(v.ID, testOperator, map[string]map[string]any{blockURI: {elemURI: "not a uri"}})
	if err != nil {
		t.Fatal(err)
	}
	ack := h.waitAck(env)
	if !strings.Contains(string(ack.Payload), `"errors"`) || !strings.Contains(string(ack.Payload), blockURI) {
		t.Fatalf("invalid URI acked with %s, want response_action errors on %s", ack.Payload, blockURI)
	}
	if got, _ := h.fake.View(v.ID); !got.Open {
		t.Fatalf("modal closed after an invalid submission")
	}
	if n := len(h.sim.Legs(m.Correlator)); n != 3 {
		t.Fatalf("%d legs after an invalid add, want 3", n)
	}

	// Valid input: the modal closes, CMS dials out, the roster shows the newcomer.
	env, err = h.fake.SubmitView(v.ID, testOperator, map[string]map[string]any{blockURI: {elemURI: "sip:dave@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if ack := h.waitAck(env); strings.Contains(string(ack.Payload), "errors") {
		t.Fatalf("valid URI acked with %s", ack.Payload)
	}
	h.eventually("the new leg appears in CMS", func() bool {
		for _, l := range h.sim.Legs(m.Correlator) {
			if strings.Contains(l.RemoteParty, "dave@example.com") {
				return true
			}
		}
		return false
	})
	h.waitMessage(testOperator, "the roster with the note", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("added sip:dave@example.com")(msg)
	})

	// Typed.
	h.slash(testOperator, `add "board review" erin@example.com`)
	h.eventually("the typed add reaches CMS", func() bool { return len(h.sim.Legs(m.Correlator)) == 5 })
}

func TestE2EPresenterOnViaModalAndOff(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	bob := legByName(t, m, "Bob")
	r := h.roster(testOperator, m)
	h.click(testOperator, r, actPresenterOn, "", "")
	v, err := h.fake.WaitView(h.ctx(), testOperator, func(v slackfake.View) bool { return v.CallbackID == viewPresenter })
	if err != nil {
		t.Fatalf("presenter modal was not filled in: %v", err)
	}
	env, err := h.fake.SubmitView(v.ID, testOperator, map[string]map[string]any{blockPresenter: {elemPresenter: bob.ID}})
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(env)
	r = h.waitMessage(testOperator, "the presenter note", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("made Bob the presenter")(msg)
	})
	for _, l := range h.sim.Legs(m.Correlator) {
		if l.ChosenLayout != "speakerOnly" || l.RxAudioMute != (l.ID != bob.ID) {
			t.Errorf("after presenter on, %s is %+v", l.Name, l)
		}
	}
	for node, call := range m.Calls {
		if cs, ok := h.sim.CallState(node, call); !ok || cs.JoinAudioMuteOverride == nil || !*cs.JoinAudioMuteOverride {
			t.Errorf("call on %s: joinAudioMuteOverride = %+v, want true", node, cs.JoinAudioMuteOverride)
		}
	}

	h.click(testOperator, r, actPresenterOff, "", "")
	// The note comes after Execute returned, so CMS is in its final state by then.
	h.waitMessage(testOperator, "the presenter-off note", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("turned presenter mode off")(msg)
	})
	for _, l := range h.sim.Legs(m.Correlator) {
		if l.ChosenLayout != "" || l.RxAudioMute {
			t.Errorf("after presenter off, %s is %+v", l.Name, l)
		}
	}
	for node, call := range m.Calls {
		if cs, _ := h.sim.CallState(node, call); cs.JoinAudioMuteOverride != nil && *cs.JoinAudioMuteOverride {
			t.Errorf("call on %s still mutes joiners", node)
		}
	}
}

func TestE2EPresenterByTyping(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	h.slash(testOperator, `presenter "board review" carol`)
	h.eventually("typed presenter reaches CMS", func() bool {
		for _, l := range h.sim.Legs(m.Correlator) {
			if l.RxAudioMute != (l.Name != "Carol") {
				return false
			}
		}
		return true
	})
	h.slash(testOperator, `presenter "board review" off`)
	h.eventually("typed presenter off reaches CMS", func() bool {
		for _, l := range h.sim.Legs(m.Correlator) {
			if l.RxAudioMute {
				return false
			}
		}
		return true
	})
}

func TestE2EParticipantDetails(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	alice := legByName(t, m, "Alice")
	r := h.roster(testOperator, m)
	h.click(testOperator, r, actRowMenu, legControls(m, alice), rowDetails)
	h.waitMessage(testOperator, "Alice's details", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("alice@example.com")(msg) && !contains(actMuteAudio)(msg)
	})
	h.slash(testOperator, "participant "+bobOrFirst(m).ID[:8])
	h.waitMessage(testOperator, "typed details", contains("bob@example.com", actParticipants))
	if got := h.leg(alice.ID); got.RxAudioMute || got.ChosenLayout != "" {
		t.Errorf("details changed Alice's leg: %+v", got)
	}
}

func bobOrFirst(m cmssim.MeetingInfo) cmssim.LegState {
	for _, l := range m.Legs {
		if l.Name == "Bob" {
			return l
		}
	}
	return m.Legs[0]
}

func TestE2EDisconnectWithConfirm(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	carol := legByName(t, m, "Carol")
	r := h.roster(testOperator, m)
	// Disconnect is in the row's menu; its modal is the confirmation.
	v := h.rowModal(testOperator, r, m, carol, rowDisconnect, viewRowDisconnect)
	if !strings.Contains(string(v.Raw), "Disconnect *Carol* in *Board review*?") {
		t.Errorf("the confirmation does not name Carol and the meeting: %s", v.Raw)
	}
	if _, ok := h.sim.Leg(carol.ID); !ok {
		t.Fatalf("Carol left before the confirmation was answered")
	}
	h.submit(v, testOperator, nil)
	h.eventually("Carol leaves CMS", func() bool { _, ok := h.sim.Leg(carol.ID); return !ok })
	h.waitMessage(testOperator, "the roster without Carol", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("disconnected Carol", "2 participants")(msg)
	})
	bob := legByName(t, m, "Bob")
	h.slash(testOperator, "disconnect "+bob.ID)
	h.eventually("Bob leaves CMS", func() bool { _, ok := h.sim.Leg(bob.ID); return !ok })
	if _, ok := h.sim.Leg(legByName(t, m, "Alice").ID); !ok {
		t.Errorf("Alice was disconnected too")
	}
}

func TestE2EUnauthorisedClickChangesNothing(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	alice := legByName(t, m, "Alice")
	// The operator posts the roster to the channel, so the viewer sees operator controls.
	h.slash(testOperator, "call board public")
	r := h.waitMessage(testViewer, "the public roster", func(msg slackfake.Message) bool {
		return !msg.Ephemeral && contains(actMuteAudio, "Alice")(msg)
	})
	h.click(testViewer, r, actMuteAudio, legControls(m, alice), "")
	h.click(testViewer, r, actRowMenu, legControls(m, alice), rowDisconnect)
	h.click(testViewer, r, actRowMenu, legControls(m, alice), rowSettings)
	h.waitMessage(testViewer, "the refusal", func(msg slackfake.Message) bool {
		return msg.Ephemeral && msg.VisibleTo == testViewer && strings.Contains(msg.Text+string(msg.Blocks), "Only NFMM operators may change calls")
	})
	h.eventually("three refusals are audited", func() bool { return strings.Count(h.audit.String(), `"outcome":"denied"`) >= 3 })
	got := h.leg(alice.ID)
	if got.RxAudioMute || got.ChosenLayout != "" {
		t.Errorf("viewer's clicks changed Alice: %+v", got)
	}
	if _, ok := h.sim.Leg(alice.ID); !ok {
		t.Errorf("viewer's click disconnected Alice")
	}
	if v := h.fake.OpenViews(testViewer); len(v) != 0 {
		t.Errorf("a refused menu choice opened %d modals for the viewer", len(v))
	}
	// The shared message is unchanged.
	if now, _ := h.fake.Message(testChannel, r.TS); string(now.Blocks) != string(r.Blocks) {
		t.Errorf("the public roster changed after refused clicks")
	}
}
