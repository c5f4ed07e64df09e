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
	tests := []struct {
		action, value, note string
		leg                 cmssim.LegState
		budget              int
	}{
		{actMuteAudio, "", "muted Bob", bob, 3},
		{actUnmuteAudio, "", "unmuted Bob", bob, 3},
		{actLayout, "stacked", "set the layout of Bob", bob, 3},
		{actDisconnect, "", "disconnected Bob", bob, 3},
		{actDetails, "", "", legByName(t, m, "Carol"), 2}, // last: the details replace the roster
	}
	for _, tt := range tests {
		take()
		h.click(testOperator, r, tt.action, legControls(m, tt.leg), tt.value)
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
			t.Errorf("%s: %d CMS requests before the refreshed roster, budget %d: %v", tt.action, before, tt.budget, all[:before])
		}
		t.Logf("%s: %d requests before the refreshed roster, %d in all", tt.action, before, len(all))
	}
}
