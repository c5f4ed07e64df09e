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
