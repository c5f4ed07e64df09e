package bot

import (
	"fmt"
	"sync"
	"testing"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// TestE2ELegButtonRequestBudget clicks leg buttons on a 3-node cluster with 20 meetings and
// counts the CMS requests each click sends before the refreshed roster's first calls list:
// at most 3 for mute, unmute, layout and disconnect (the leg, its call, the write), 2 for
// Details. The whole click, refresh included, is logged for docs/performance.md.
func TestE2ELegButtonRequestBudget(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	for i := range 19 {
		h.meeting(fmt.Sprintf("Filler %02d", i), people(3, 3)...)
	}
	bob := legByName(t, m, "Bob")
	r := h.roster(testOperator, m)
	var (
		mu   sync.Mutex
		reqs []cmssim.RequestInfo
	)
	h.sim.OnRequest(func(ri cmssim.RequestInfo) {
		mu.Lock()
		reqs = append(reqs, ri)
		mu.Unlock()
	})
	take := func() []cmssim.RequestInfo {
		mu.Lock()
		defer mu.Unlock()
		out := reqs
		reqs = nil
		return out
	}
	// Layout and Disconnect are row menu choices that open a modal: the requests counted are
	// the submission's (the modal's own read of the participant comes before).
	tests := []struct {
		action, value, note string
		modal               string
		submit              map[string]map[string]any
		leg                 cmssim.LegState
		budget              int
	}{
		{actMuteAudio, "", "muted Bob", "", nil, bob, 3},
		{actUnmuteAudio, "", "unmuted Bob", "", nil, bob, 3},
		{actRowMenu, rowSettings, "set the layout of Bob", viewRowSettings,
			map[string]map[string]any{blockRowLayout: {elemRowLayout: "stacked"}}, bob, 3},
		{actRowMenu, rowDisconnect, "disconnected Bob", viewRowDisconnect, nil, bob, 3},
		{actRowMenu, rowDetails, "", "", nil, legByName(t, m, "Carol"), 2}, // last: the details replace the roster
	}
	for _, tt := range tests {
		if tt.modal != "" {
			v := h.rowModal(testOperator, r, m, tt.leg, tt.value, tt.modal)
			take()
			h.submit(v, testOperator, tt.submit)
		} else {
			take()
			h.click(testOperator, r, tt.action, legControls(m, tt.leg), tt.value)
		}
		if tt.note == "" {
			h.waitMessage(testOperator, "the details", func(msg slackfake.Message) bool {
				return msg.TS == r.TS && contains("Carol", "Encryption")(msg) // in place of the roster
			})
		} else {
			r = h.waitMessage(testOperator, "the roster note: "+tt.note, func(msg slackfake.Message) bool {
				return msg.TS == r.TS && contains("<@"+testOperator+">", tt.note)(msg)
			})
		}
		all := take()
		before := len(all)
		for i, ri := range all {
			if ri.Method == "GET" && ri.Path == "/api/v1/calls" { // the refresh starts with the calls lists
				before = i
				break
			}
		}
		if before > tt.budget {
			t.Errorf("%s %s: %d CMS requests before the refreshed roster, budget %d: %v", tt.action, tt.value, before, tt.budget, all[:before])
		}
		t.Logf("%s %s: %d requests before the refreshed roster, %d in all", tt.action, tt.value, before, len(all))
	}
}
