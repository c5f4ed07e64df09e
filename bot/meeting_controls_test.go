package bot

import (
	"strings"
	"testing"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

func controlledRoster() *commands.RosterResult {
	r := rosterResult(3)
	one := 1
	r.Meeting.State = commands.MeetingState{Locked: true, Recording: true, Presenter: "Participant 001",
		Banner: "Back at 10:15", Lobby: &one}
	r.Participants[0].Presenting = true
	r.Participants[1].Lobby = true
	return r
}

func findResult() *commands.FindResult {
	rows := rosterRows(2)
	return &commands.FindResult{Text: "part", AsOf: testAsOf, Matches: []commands.FoundParticipant{
		{Name: rows[0].Name, Address: rows[0].Address, Meeting: "Board meeting", Correlator: uuid("c", 1), Node: rows[0].Node, LegID: rows[0].LegID},
		{Name: rows[1].Name, Address: rows[1].Address, Meeting: "Board meeting", Correlator: uuid("c", 1), Node: rows[1].Node, LegID: rows[1].LegID, AudioMuted: true, Lobby: true},
	}}
}

func TestGoldenMeetingControls(t *testing.T) {
	tests := []struct {
		name string
		msg  message
	}{
		{"roster_controls_operator", render(controlledRoster(), opOpts)},
		{"roster_controls_viewer", render(controlledRoster(), viewerOpts)},
		{"find_operator", render(findResult(), opOpts)},
		{"find_viewer", render(findResult(), viewerOpts)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := checkLimits(tt.msg); len(errs) > 0 {
				t.Fatalf("limits: %v", errs)
			}
			assertGolden(t, tt.name, tt.msg)
		})
	}
}

func TestViewersSeeStateButNoMeetingControls(t *testing.T) {
	m := render(controlledRoster(), viewerOpts)
	ids := actionIDs(t, m)
	for _, id := range []string{actMeeting, actLayoutAll, actEnd, actAdmit, actMuteAudio} {
		if ids[id] {
			t.Errorf("viewer roster has %s", id)
		}
	}
	if v := actionIDs(t, render(findResult(), viewerOpts)); v[actMuteAudio] || !v[actDetails] {
		t.Errorf("viewer find controls: %v", v)
	}
	text := string(marshal(t, m))
	if !strings.Contains(text, "🔒") || !strings.Contains(text, "1 in the lobby") {
		t.Errorf("viewer roster does not show the state")
	}
	op := actionIDs(t, render(controlledRoster(), opOpts))
	for _, id := range []string{actMeeting, actLayoutAll, actEnd, actAdmit} {
		if !op[id] {
			t.Errorf("operator roster lacks %s", id)
		}
	}
}

func TestBannerSubmission(t *testing.T) {
	corr := uuid("c", 1)
	state := func(text, pos, dur string) slack.View {
		return slack.View{PrivateMetadata: corr, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
			blockBanner:   {elemBanner: {Value: text}},
			blockPosition: {elemPosition: {SelectedOption: slack.OptionBlockObject{Value: pos}}},
			blockDuration: {elemDuration: {SelectedOption: slack.OptionBlockObject{Value: dur}}},
		}}}
	}
	c, errs := parseBannerSubmission(state("Back at 10", "top", "permanent"))
	if len(errs) > 0 || c.Text != "Back at 10" || c.Position != "top" || c.Duration != "permanent" || c.Meeting != corr {
		t.Fatalf("%+v %v", c, errs)
	}
	if _, errs := parseBannerSubmission(state("  ", "top", "30")); errs[blockBanner] == "" {
		t.Errorf("empty text accepted: %v", errs)
	}
	if _, errs := parseBannerSubmission(state("x", "left", "30")); errs[blockPosition] == "" {
		t.Errorf("bad position accepted: %v", errs)
	}
	if _, errs := parseBannerSubmission(state("x", "top", "-5")); errs[blockDuration] == "" {
		t.Errorf("bad duration accepted: %v", errs)
	}
}

func TestGoldenBannerView(t *testing.T) {
	v := bannerModal()
	if errs := checkViewLimits(v); len(errs) > 0 {
		t.Fatalf("limits: %v", errs)
	}
	assertGolden(t, "view_banner", v)
}
