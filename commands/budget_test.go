package commands

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// budgetEnv is an emulated cluster of n nodes with 20 meetings, each with a participant on
// every node.
func budgetEnv(t *testing.T, nodes int) (*simEnv, []cmssim.MeetingInfo) {
	t.Helper()
	e := newSimEnv(t, nodes, Policy{})
	var ms []cmssim.MeetingInfo
	for i := range 20 {
		var ps []cmssim.ParticipantSpec
		for n := range nodes {
			ps = append(ps, cmssim.ParticipantSpec{Name: fmt.Sprintf("M%02d P%d", i, n), Node: fmt.Sprintf("cb%d", n+1)})
		}
		ms = append(ms, e.sim.AddMeeting(cmssim.MeetingSpec{Name: fmt.Sprintf("Meeting %02d", i), Participants: ps}))
	}
	return e, ms
}

// A button carries the node, the leg and the meeting: acting on that leg costs the leg, its
// call (which names its meeting) and the write, whatever the cluster's size; Details costs the
// first two.
func TestLegButtonRequestBudget(t *testing.T) {
	for _, nodes := range []int{1, 3, 8} {
		t.Run(fmt.Sprintf("%d nodes", nodes), func(t *testing.T) {
			e, ms := budgetEnv(t, nodes)
			m := ms[7]
			leg := m.Legs[len(m.Legs)-1] // on the last node
			button := func(op Op) Command {
				return Command{Op: op, Meeting: m.Correlator, Participant: leg.ID, Node: leg.Node}
			}
			tests := []struct {
				name   string
				cmd    Command
				budget int
				done   func(cmssim.LegState, bool) bool
			}{
				{"mute audio", withMedia(button(OpMute), MediaAudio), 3, func(l cmssim.LegState, _ bool) bool { return l.RxAudioMute }},
				{"unmute audio", withMedia(button(OpUnmute), MediaAudio), 3, func(l cmssim.LegState, _ bool) bool { return !l.RxAudioMute }},
				{"mute video", withMedia(button(OpMute), MediaVideo), 3, func(l cmssim.LegState, _ bool) bool { return l.RxVideoMute }},
				{"layout", withLayout(button(OpLayout), "stacked"), 3, func(l cmssim.LegState, _ bool) bool { return l.ChosenLayout == "stacked" }},
				{"details", Command{Op: OpParticipant, Participant: leg.ID, Node: leg.Node}, 2, func(cmssim.LegState, bool) bool { return true }},
				{"disconnect", button(OpDisconnect), 3, func(_ cmssim.LegState, ok bool) bool { return !ok }},
			}
			for _, tt := range tests {
				e.sim.ResetCounters()
				if _, err := e.svc.Execute(t.Context(), e.op, tt.cmd); err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				if got := e.requests(); got > tt.budget {
					t.Errorf("%s: %d CMS requests, budget %d", tt.name, got, tt.budget)
				}
				if st, ok := e.sim.Leg(leg.ID); !tt.done(st, ok) {
					t.Errorf("%s did not reach the emulator: %+v", tt.name, st)
				}
			}
		})
	}
}

func withMedia(c Command, m Media) Command   { c.Media = m; return c }
func withLayout(c Command, l string) Command { c.Layout = l; return c }

// The leg-belongs-to-meeting check compares the leg's call with the button's meeting, also
// for meetings without a name, and refuses when the call cannot be read.
func TestLegMembershipCheckFailsClosed(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	named := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Named", Participants: []cmssim.ParticipantSpec{{Name: "Ann", Node: "cb1"}}})
	blank := e.sim.AddMeeting(cmssim.MeetingSpec{Nameless: true, Participants: []cmssim.ParticipantSpec{{Name: "Ben", Node: "cb2"}}})
	ben := blank.Legs[0]
	if blank.Name != "" {
		t.Fatalf("the meeting is named %q, want none", blank.Name)
	}
	var puts atomic.Int32
	var failCall atomic.Bool
	e.sim.OnRequest(func(ri cmssim.RequestInfo) {
		if ri.Method == "PUT" {
			puts.Add(1)
		}
		if failCall.Load() && ri.Method == "GET" && strings.HasPrefix(ri.Path, "/api/v1/calls/") {
			e.sim.SetDown(ri.Node, true) // this request and the rest fail: the call is unreadable
		}
	})
	mute := func(meeting string) error {
		_, err := e.svc.Execute(t.Context(), e.op, Command{Op: OpMute, Meeting: meeting, Participant: ben.ID, Node: ben.Node})
		return err
	}
	var re *RefError
	if err := mute(named.Correlator); !errors.As(err, &re) {
		t.Errorf("a leg of a nameless meeting under another meeting's button: err %v, want a *RefError", err)
	}
	failCall.Store(true)
	if err := mute(blank.Correlator); err == nil {
		t.Errorf("the leg's call could not be read, yet the mute went ahead")
	}
	e.sim.SetDown(ben.Node, false)
	failCall.Store(false)
	if n := puts.Load(); n != 0 {
		t.Errorf("%d PUTs sent by refused mutes", n)
	}
	if st, _ := e.sim.Leg(ben.ID); st.RxAudioMute {
		t.Errorf("Ben muted by a refused button")
	}
	if err := mute(blank.Correlator); err != nil {
		t.Errorf("the leg's own meeting: %v", err)
	}
}

// The cluster caps candidate lists and says how many it left out; the message counts them
// once: 15 matches show 10 and "and 5 more".
func TestCandidatesCountedOnce(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	for i := range 15 {
		e.sim.AddMeeting(cmssim.MeetingSpec{Name: fmt.Sprintf("Standup %02d", i), Participants: []cmssim.ParticipantSpec{{Name: "A", Node: "cb1"}}})
	}
	_, err := e.svc.Run(t.Context(), e.op, "call standup")
	var re *RefError
	if !errors.As(err, &re) || !re.Ambiguous {
		t.Fatalf("err = %v, want an ambiguous *RefError", err)
	}
	if msg := re.Error(); strings.Count(msg, "Standup") != 10 || !strings.Contains(msg, "and 5 more") {
		t.Errorf("message %q, want 10 candidates and \"and 5 more\"", msg)
	}
}
