package bot

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// rowModal chooses choice in a leg's row menu and waits for the modal to be filled in.
func (h *harness) rowModal(user string, r slackfake.Message, m cmssim.MeetingInfo, l cmssim.LegState, choice, callback string) slackfake.View {
	h.t.Helper()
	h.click(user, r, actRowMenu, legControls(m, l), choice)
	v, err := h.fake.WaitView(h.ctx(), user, func(v slackfake.View) bool { return v.CallbackID == callback })
	if err != nil {
		h.t.Fatalf("%s: the %s modal was not filled in: %v", choice, callback, err)
	}
	return v
}

// submit submits a modal and returns the ack's payload.
func (h *harness) submit(v slackfake.View, user string, values map[string]map[string]any) string {
	h.t.Helper()
	env, err := h.fake.SubmitView(v.ID, user, values)
	if err != nil {
		h.t.Fatalf("submit %s: %v", v.CallbackID, err)
	}
	return string(h.waitAck(env).Payload)
}

// rowControls counts a rendered roster's blocks and interactive elements, the rows' apart.
func rowControls(t *testing.T, m message) (blocks, controls, rowControls int) {
	t.Helper()
	for _, b := range m.Blocks {
		a, ok := b.(*slack.ActionBlock)
		if !ok {
			if s, ok := b.(*slack.SectionBlock); ok && s.Accessory != nil {
				controls++
			}
			continue
		}
		controls += len(a.Elements.ElementSet)
		if _, err := decodeLegRef(a.BlockID); err == nil {
			rowControls += len(a.Elements.ElementSet)
		}
	}
	return len(m.Blocks), controls, rowControls
}

// TestRosterRowsAreSmall measures the operator's roster against the one before issue 16: every
// row carried five controls (mute audio, video, a 13-option layout select, Details and a red
// Disconnect), 100 on a page of 20 people and 35 for 7. Now a row has its primary button and
// one overflow menu.
func TestRosterRowsAreSmall(t *testing.T) {
	const beforePerRow = 5
	tests := []struct{ people, wantBlocks int }{
		{7, 1 + 2*7 + 2},   // header, two blocks a row, controls, freshness
		{20, 1 + 2*20 + 2}, // a full page
	}
	for _, tt := range tests {
		m := render(rosterResult(tt.people), opOpts)
		blocks, controls, rows := rowControls(t, m)
		if blocks != tt.wantBlocks {
			t.Errorf("%d people: %d blocks, want %d", tt.people, blocks, tt.wantBlocks)
		}
		if rows != 2*tt.people {
			t.Errorf("%d people: %d row controls, want 2 a row (%d before)", tt.people, rows, beforePerRow*tt.people)
		}
		t.Logf("%d people: %d blocks, %d controls (%d in rows; before: %d in rows)", tt.people, blocks, controls, rows, beforePerRow*tt.people)
		for _, b := range m.Blocks {
			if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil && strings.Contains(s.Text.Text, "Participant") {
				if n := strings.Count(s.Text.Text, "\n") + 1; n != 2 {
					t.Errorf("a row has %d lines, want the name and one status line: %q", n, s.Text.Text)
				}
			}
		}
		if errs := checkLimits(m); len(errs) > 0 {
			t.Errorf("%d people: %v", tt.people, errs)
		}
	}
	// Viewers keep their control-free rows: the text and a Details button.
	_, _, rows := rowControls(t, render(rosterResult(7), viewerOpts))
	if rows != 0 {
		t.Errorf("viewer rows carry %d controls", rows)
	}
}

// menuChoices lists the options of the row menu of a rendered row.
func menuChoices(t *testing.T, p commands.ParticipantRow) (primary string, choices []string) {
	t.Helper()
	r := rosterResult(0)
	r.Participants = []commands.ParticipantRow{p}
	for _, b := range render(r, opOpts).Blocks {
		a, ok := b.(*slack.ActionBlock)
		if !ok || a.BlockID == "nfmm_controls" {
			continue
		}
		for _, e := range a.Elements.ElementSet {
			switch e := e.(type) {
			case *slack.ButtonBlockElement:
				primary = e.ActionID
			case *slack.OverflowBlockElement:
				for _, o := range e.Options {
					choices = append(choices, o.Value)
				}
			}
		}
	}
	return primary, choices
}

func TestRowMenuOffersTheRest(t *testing.T) {
	base := rosterRows(1)[0]
	muted := base
	muted.AudioMuted, muted.VideoMuted = true, true
	lobby := base
	lobby.Lobby = true
	tests := []struct {
		name    string
		p       commands.ParticipantRow
		primary string
		choices []string
	}{
		{"in the meeting", base, actMuteAudio, []string{rowMuteVideo, rowSettings, rowMove, rowDetails, rowDisconnect}},
		{"muted", muted, actUnmuteAudio, []string{rowUnmuteVideo, rowSettings, rowMove, rowDetails, rowDisconnect}},
		{"in the lobby", lobby, actAdmit, []string{rowMuteAudio, rowMuteVideo, rowMove, rowDetails, rowDisconnect}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			primary, choices := menuChoices(t, tt.p)
			if primary != tt.primary || !slices.Equal(choices, tt.choices) {
				t.Errorf("primary %s, menu %v; want %s, %v", primary, choices, tt.primary, tt.choices)
			}
		})
	}
}

func TestRowStatusLine(t *testing.T) {
	p := rosterRows(1)[0]
	p.Layout, p.PoorMedia, p.Presenting = "allEqualSixteenths", true, true
	line := participantLine(p)
	for _, want := range []string{"🎤 live", "📷 video on", "⚠️ poor media", "🖥 presenting", "Equal 4×4", "cb1"} {
		if !strings.Contains(line, want) {
			t.Errorf("status line %q lacks %q", line, want)
		}
	}
	p.Presenting, p.Lobby, p.AudioMuted, p.VideoMuted = false, true, true, true
	line = participantLine(p)
	for _, want := range []string{"🔇 muted", "🚫 video off", "⏳ waiting in the lobby"} {
		if !strings.Contains(line, want) {
			t.Errorf("status line %q lacks %q", line, want)
		}
	}
}

func TestLayoutMenusUseHumanNames(t *testing.T) {
	pr := participantResult()
	pr.Participant.Layout = "onePlusFive"
	v := rowSettingsModal(pr)
	if errs := checkViewLimits(v); len(errs) > 0 {
		t.Fatalf("layout modal breaks limits: %v", errs)
	}
	raw, _ := json.Marshal(v)
	for _, want := range []string{"Speaker only · speakerOnly", "Equal 4×4 · allEqualSixteenths", "✓ 1 + 5 · onePlusFive (current)"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("layout modal lacks %q", want)
		}
	}
	var sel *slack.SelectBlockElement
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID == blockRowLayout {
			sel, _ = in.Element.(*slack.SelectBlockElement)
		}
	}
	if sel == nil || len(sel.Options) != 13 || sel.InitialOption == nil || sel.InitialOption.Value != "onePlusFive" {
		t.Fatalf("layout select = %+v, want 13 layouts with the current one chosen", sel)
	}
}

func TestParseRowSettings(t *testing.T) {
	leg := commands.Command{Meeting: uuid("c", 1), Participant: uuid("1e", 1), Node: "cb1"}
	meta := rowMeta{Layout: "speakerOnly"}
	state := func(layout, importance string) slack.View {
		return slack.View{State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
			blockRowLayout:  {elemRowLayout: {SelectedOption: slack.OptionBlockObject{Value: layout}}},
			blockImportance: {elemImportance: {Value: importance}},
		}}}
	}
	tests := []struct {
		name, layout, importance string
		ops                      []commands.Op
		errBlock                 string
	}{
		{"layout only", "stacked", "", []commands.Op{commands.OpLayout}, ""},
		{"same layout, importance", "speakerOnly", "7", []commands.Op{commands.OpImportance}, ""},
		{"both", "onePlusFive", "off", []commands.Op{commands.OpLayout, commands.OpImportance}, ""},
		{"nothing changes", "speakerOnly", "", nil, blockRowLayout},
		{"bad importance", "stacked", "lots", nil, blockImportance},
		{"importance zero", "", "0", nil, blockImportance},
		{"importance too big", "", "2147483648", nil, blockImportance},
		{"tampered layout", "noSuchLayout", "", nil, blockRowLayout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmds, errs := parseRowSettings(state(tt.layout, tt.importance), meta, leg)
			var ops []commands.Op
			for _, c := range cmds {
				ops = append(ops, c.Op)
				if c.Participant != leg.Participant || c.Node != "cb1" {
					t.Errorf("%s is not about the row's leg: %+v", c.Op, c)
				}
			}
			if !slices.Equal(ops, tt.ops) || (tt.errBlock == "") != (len(errs) == 0) || (tt.errBlock != "" && errs[tt.errBlock] == "") {
				t.Errorf("ops %v errs %v; want %v, error on %q", ops, errs, tt.ops, tt.errBlock)
			}
		})
	}
}

func TestE2ERowMenuSettingsMoveAndDisconnect(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	other := h.meeting("Standup", cmssim.ParticipantSpec{Name: "Dora", URI: "dora@example.com", Node: "cb1"})
	alice, bob := legByName(t, m, "Alice"), legByName(t, m, "Bob")
	r := h.roster(testOperator, m)

	// Layout & importance: a bad importance stays in the modal, changes nothing.
	v := h.rowModal(testOperator, r, m, alice, rowSettings, viewRowSettings)
	if ack := h.submit(v, testOperator, map[string]map[string]any{blockImportance: {elemImportance: "lots"}}); !strings.Contains(ack, blockImportance) {
		t.Fatalf("bad importance acked with %s, want an error on %s", ack, blockImportance)
	}
	if got, _ := h.fake.View(v.ID); !got.Open {
		t.Fatal("the modal closed on a bad importance")
	}
	h.submit(v, testOperator, map[string]map[string]any{
		blockRowLayout: {elemRowLayout: "allEqualNinths"}, blockImportance: {elemImportance: "5"}})
	h.eventually("Alice's layout reaches CMS", func() bool { return h.leg(alice.ID).ChosenLayout == "allEqualNinths" })
	r = h.waitMessage(testOperator, "the importance note", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("importance of Alice to 5")(msg)
	})

	// Move: the modal lists the other meetings by name.
	v = h.rowModal(testOperator, r, m, bob, rowMove, viewRowMove)
	if !strings.Contains(string(v.Raw), "Standup") || strings.Contains(string(v.Raw), `"value":"`+m.Correlator+`"`) {
		t.Errorf("the move modal should offer Standup and not Board review: %s", v.Raw)
	}
	h.submit(v, testOperator, map[string]map[string]any{blockMoveTo: {elemMoveTo: other.Correlator}})
	h.eventually("Bob is in Standup", func() bool {
		return slices.ContainsFunc(h.sim.Legs(other.Correlator), func(l cmssim.LegState) bool { return l.Name == "Bob" })
	})
	r = h.waitMessage(testOperator, "the roster without Bob", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("moved Bob")(msg) && !strings.Contains(string(msg.Blocks), "bob@example.com")
	})

	// Disconnect asks first: Cancel leaves Alice in; Disconnect takes her out.
	v = h.rowModal(testOperator, r, m, alice, rowDisconnect, viewRowDisconnect)
	if _, err := h.fake.CloseView(v.ID, testOperator); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.sim.Leg(alice.ID); !ok {
		t.Fatal("Cancel disconnected Alice")
	}
	v = h.rowModal(testOperator, r, m, alice, rowDisconnect, viewRowDisconnect)
	h.submit(v, testOperator, nil)
	h.eventually("Alice leaves CMS", func() bool { _, ok := h.sim.Leg(alice.ID); return !ok })
	h.waitMessage(testOperator, "the roster without Alice", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("disconnected Alice")(msg)
	})
	for _, op := range []string{`"op":"layout"`, `"op":"importance"`, `"op":"move"`, `"op":"disconnect"`} {
		if !strings.Contains(h.audit.String(), op) {
			t.Errorf("the audit log has no %s", op)
		}
	}
}

// TestE2ERowMenuTamperedChoice: a choice the menu never offered, or a block_id that is not a leg,
// is refused as a stale button and changes nothing.
func TestE2ERowMenuTamperedChoice(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	alice := legByName(t, m, "Alice")
	ref := legControls(m, alice)
	opt := func(v string) *slack.OptionBlockObject { return slack.NewOptionBlockObject(v, plain(v, 75), nil) }
	api := slack.New("xoxb-test-bot", slack.OptionAPIURL(h.fake.APIURL()))
	_, ts, err := api.PostMessage(testChannel, slack.MsgOptionText("forged", false), slack.MsgOptionBlocks(
		slack.NewActionBlock(ref, slack.NewOverflowBlockElement(actRowMenu, opt("end_everything"), opt(rowDetails))),
		slack.NewActionBlock("not|a|leg", slack.NewOverflowBlockElement(actRowMenu, opt(rowMuteAudio), opt(rowDetails)))))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := h.fake.Message(testChannel, ts)
	h.click(testOperator, msg, actRowMenu, ref, "end_everything")
	h.click(testOperator, msg, actRowMenu, "not|a|leg", rowMuteAudio)
	h.eventually("two stale answers", func() bool {
		n := 0
		for _, e := range h.fake.EphemeralFor(testOperator, testChannel) {
			if strings.Contains(e.Text, "no longer valid") {
				n++
			}
		}
		return n == 2
	})
	if got := h.leg(alice.ID); got.RxAudioMute {
		t.Errorf("a tampered choice muted Alice")
	}
}

func TestGoldenRowViews(t *testing.T) {
	pr := participantResult()
	calls := callsResult(3)
	calls.Meetings = append(calls.Meetings, pr.Meeting) // the participant's own meeting is not offered
	tests := []struct {
		name string
		view slack.ModalViewRequest
	}{
		{"view_row_settings", rowSettingsModal(pr)},
		{"view_row_move", rowMoveModal(pr, pr.Meeting.Correlator, calls)},
		{"view_row_move_nowhere", rowMoveModal(pr, pr.Meeting.Correlator, &commands.CallsResult{})},
		{"view_row_disconnect", rowDisconnectModal(pr)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := checkViewLimits(tt.view); len(errs) > 0 {
				t.Fatalf("limits: %v", errs)
			}
			assertGolden(t, tt.name, tt.view)
		})
	}
}

// badgeRunner answers the Home tab with meetings whose state and media differ.
type badgeRunner struct{ homeRunner }

func (badgeRunner) Execute(ctx context.Context, a commands.Actor, c commands.Command) (commands.Result, error) {
	if c.Op != commands.OpCalls {
		return homeRunner{}.Execute(ctx, a, c)
	}
	r := callsResult(3)
	two := 2
	r.Meetings[0].Participants = 40
	r.Meetings[0].State = commands.MeetingState{Locked: true, Recording: true, Streaming: true, Presenter: "Alice", Lobby: &two}
	r.Meetings[0].PoorMedia = 1
	return r, nil
}

// TestAppHomeShowsStateBadges: the Home tab's largest meetings carry their state (locked,
// recording, streaming, presenter, lobby) and poor media; a calm meeting carries none.
func TestAppHomeShowsStateBadges(t *testing.T) {
	b := &Bot{cfg: Config{Location: time.UTC, Now: func() time.Time { return testAsOf }}, svc: badgeRunner{}}
	v := b.homeView(context.Background(), commands.Actor{UserID: "U1"})
	var busy, calm string
	for _, blk := range v.Blocks.BlockSet {
		s, ok := blk.(*slack.SectionBlock)
		if !ok || s.Text == nil || s.Accessory == nil {
			continue
		}
		if busy == "" {
			busy = s.Text.Text
		} else if calm == "" {
			calm = s.Text.Text
		}
	}
	for _, want := range []string{"40 participants", "🔒 ⏺ 📡", "presenting: Alice", "2 in the lobby", "⚠️ 1 with poor media"} {
		if !strings.Contains(busy, want) {
			t.Errorf("the largest meeting's Home entry %q lacks %q", busy, want)
		}
	}
	if strings.ContainsAny(calm, "🔒⏺📡⚠") || calm == "" {
		t.Errorf("a calm meeting's Home entry %q carries badges", calm)
	}
}

func TestCallsListPoorMediaBadge(t *testing.T) {
	r := callsResult(2)
	r.Meetings[1].PoorMedia = 3
	m := render(r, viewerOpts)
	raw, _ := json.Marshal(m.Blocks)
	if n := strings.Count(string(raw), "with poor media"); n != 1 || !strings.Contains(string(raw), "⚠️ 3 with poor media") {
		t.Errorf("calls list badges: %d, want one \"⚠️ 3 with poor media\":\n%s", n, raw)
	}
}

// TestE2EPoorMediaBadges: a participant whose media CMS alarms on is badged in the calls list
// and on their roster row, and nobody else is.
func TestE2EPoorMediaBadges(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	bob := legByName(t, m, "Bob")
	if !h.sim.DegradeLeg(bob.ID, 12, 80, 30) {
		t.Fatal("could not degrade Bob's media")
	}
	h.slash(testOperator, "calls")
	calls := h.waitMessage(testOperator, "the calls list", contains(m.Name, actParticipants))
	if !contains("⚠️ 1 with poor media")(calls) {
		t.Errorf("the calls list has no poor-media badge for %s:\n%s", m.Name, calls.Blocks)
	}
	h.click(testOperator, calls, actParticipants, "", "")
	r := h.waitMessage(testOperator, "the roster", contains(actRefresh, "Alice", "Bob", "Carol"))
	var blocks []struct {
		Text *struct{ Text string } `json:"text"`
	}
	if err := json.Unmarshal(r.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	badged := map[string]bool{}
	for _, b := range blocks {
		if b.Text == nil {
			continue
		}
		for _, name := range []string{"Alice", "Bob", "Carol"} {
			if strings.HasPrefix(b.Text.Text, "*"+name+"*") {
				badged[name] = strings.Contains(b.Text.Text, "⚠️ poor media")
			}
		}
	}
	if !badged["Bob"] || badged["Alice"] || badged["Carol"] {
		t.Errorf("poor-media badges on rows = %v, want Bob's only", badged)
	}
}

// TestE2EAppHomeBadgesFromLiveState: with live state, a locked, streamed meeting with someone
// on poor media carries those badges on the Home tab, and the badges follow the meeting.
func TestE2EAppHomeBadgesFromLiveState(t *testing.T) {
	h := newHarness(t, harnessOptions{Live: true})
	mt := h.meeting("Board review", cmssim.ParticipantSpec{Name: "Alice Jones"}, cmssim.ParticipantSpec{Name: "Bob Smith"})
	h.sim.SetLocked(mt.Correlator, true)
	h.sim.SetStreaming(mt.Correlator, true)
	h.sim.DegradeLeg(mt.Legs[1].ID, 15, 90, 20)
	env, err := h.fake.AppHomeOpened(testOperator, "home")
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(env)
	h.eventually("the Home tab shows the badges", func() bool {
		v, ok := h.fake.HomeView(testOperator)
		raw := jsonUnescaper.Replace(string(v.Raw))
		return ok && strings.Contains(raw, "🔒 📡") && strings.Contains(raw, "⚠️ 1 with poor media")
	})
	h.sim.SetLocked(mt.Correlator, false)
	h.eventually("the lock badge goes with the lock", func() bool {
		v, _ := h.fake.HomeView(testOperator)
		raw := jsonUnescaper.Replace(string(v.Raw))
		return !strings.Contains(raw, "🔒") && strings.Contains(raw, "📡")
	})
}

// TestE2ERowMenuOnSomeoneWhoLeft: a menu choice for a participant who has left opens no form:
// the modal says so, nothing is written, and the roster refreshes without them.
func TestE2ERowMenuOnSomeoneWhoLeft(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	carol := legByName(t, m, "Carol")
	r := h.roster(testOperator, m)
	h.sim.RemoveLeg(carol.ID)
	h.click(testOperator, r, actRowMenu, legControls(m, carol), rowDisconnect)
	h.waitMessage(testOperator, "the roster without Carol", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && !strings.Contains(string(msg.Blocks), "carol@example.com")
	})
	views := h.fake.OpenViews(testOperator)
	if len(views) != 1 || views[0].CallbackID == viewRowDisconnect || !strings.Contains(string(views[0].Raw), "⚠️") {
		t.Errorf("open views %+v, want one saying why there is nothing to confirm", views)
	}
	if strings.Contains(h.audit.String(), `"op":"disconnect"`) {
		t.Errorf("a disconnect was attempted for someone who had left:\n%s", h.audit.String())
	}
}

// TestE2EBackToMeetings: ◀ Meetings on a roster shows the calls list in its place.
func TestE2EBackToMeetings(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	r := h.roster(testViewer, m)
	h.click(testViewer, r, actRun, "nfmm_controls", "")
	h.waitMessage(testViewer, "the calls list in place of the roster", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains(m.Name, actParticipants, "Active meetings")(msg) && !contains(actRefresh)(msg)
	})
}
