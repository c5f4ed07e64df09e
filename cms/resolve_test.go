package cms

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

func meetingFixture() []Meeting {
	m := func(corr, name string, calls ...string) Meeting {
		mt := Meeting{Correlator: corr, Name: name}
		for i, id := range calls {
			mt.Instances = append(mt.Instances, CallInstance{Node: fmt.Sprintf("cb%d", i+1), Call: CallDetail{Call: Call{ID: id}}})
		}
		return mt
	}
	return []Meeting{
		m("9fea4ad1-953a-4801-b4cd-b9382c43b077", "Board review", "b393d2cb-60ec-418c-9991-6ef4e72fa47b", "c0ffee00-0000-4000-8000-000000000001"),
		m("9fea4ad2-0000-4000-8000-000000000002", "Board", "d0000000-0000-4000-8000-000000000002"),
		m("abcd0000-0000-4000-8000-000000000003", "Weekly sync", "e0000000-0000-4000-8000-000000000003"),
		m("abce0000-0000-4000-8000-000000000004", "Weekly retro", "f0000000-0000-4000-8000-000000000004"),
		// A name that looks like a prefix of another meeting's id: the id tiers win.
		m("12340000-0000-4000-8000-000000000005", "9fea dashboard", "a0000000-0000-4000-8000-000000000005"),
	}
}

func TestPickMeeting(t *testing.T) {
	tests := []struct {
		ref       string
		want      string   // correlator, when resolved
		ambiguous []string // candidate substrings, when ambiguous
		notFound  bool
	}{
		{ref: "9fea4ad1-953a-4801-b4cd-b9382c43b077", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"},
		{ref: "9FEA4AD1-953A-4801-B4CD-B9382C43B077", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"},
		{ref: "c0ffee00-0000-4000-8000-000000000001", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"}, // call id on cb2
		{ref: "b393d2cb", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"},                             // call id prefix
		{ref: "9fea4ad2", want: "9fea4ad2-0000-4000-8000-000000000002"},
		{ref: "9fea", ambiguous: []string{"Board review (9fea4ad1…) on cb1,cb2", "Board (9fea4ad2…) on cb1"}},
		{ref: "abc", notFound: true}, // too short for an id prefix, and no name holds it
		{ref: "abcd", want: "abcd0000-0000-4000-8000-000000000003"},
		{ref: "board", want: "9fea4ad2-0000-4000-8000-000000000002"}, // exact name beats substring
		{ref: "REVIEW", want: "9fea4ad1-953a-4801-b4cd-b9382c43b077"},
		{ref: "weekly", ambiguous: []string{"Weekly retro (abce0000…) on cb1", "Weekly sync (abcd0000…) on cb1"}},
		{ref: "dashboard", want: "12340000-0000-4000-8000-000000000005"},
		{ref: "nothing-like-it", notFound: true},
		{ref: "ab", notFound: true},
	}
	ms := meetingFixture()
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := pickMeeting(ms, tt.ref)
			var amb *AmbiguousError
			switch {
			case tt.want != "":
				if err != nil || got.Correlator != tt.want {
					t.Fatalf("got %q, %v; want %q", got.Correlator, err, tt.want)
				}
			case tt.notFound:
				var unk *UnknownRefError
				if !errors.Is(err, ErrNotFound) || !errors.As(err, &unk) || unk.Kind != "meeting" {
					t.Fatalf("err = %v, want *UnknownRefError matching ErrNotFound", err)
				}
			case errors.As(err, &amb):
				if amb.Kind != "meeting" || amb.Ref != tt.ref {
					t.Errorf("ambiguous kind/ref = %q/%q", amb.Kind, amb.Ref)
				}
				joined := strings.Join(amb.Candidates, "\n")
				for _, c := range tt.ambiguous {
					if !strings.Contains(joined, c) {
						t.Errorf("candidates %q lack %q", amb.Candidates, c)
					}
				}
			default:
				t.Fatalf("got %q, %v; want ambiguous %q", got.Correlator, err, tt.ambiguous)
			}
		})
	}
}

func TestCandidatesAreCapped(t *testing.T) {
	var ms []Meeting
	for i := range 25 {
		ms = append(ms, Meeting{Correlator: fmt.Sprintf("%08d-x", i), Name: fmt.Sprintf("Standup %02d", i),
			Instances: []CallInstance{{Node: "cb1"}}})
	}
	_, err := pickMeeting(ms, "standup")
	var amb *AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("err = %v, want ambiguous", err)
	}
	if len(amb.Candidates) != maxCandidates || amb.More != 15 {
		t.Errorf("candidates = %q, want %d plus a count of the rest", amb.Candidates, maxCandidates)
	}
}

func TestLooksLikeFullID(t *testing.T) {
	tests := map[string]bool{
		"9fea4ad1-953a-4801-b4cd-b9382c43b077":  true,
		"9FEA4AD1-953A-4801-B4CD-B9382C43B077":  true,
		"9fea4ad1-953a-4801-b4cd-b9382c43b07":   false,
		"9fea4ad1x953a-4801-b4cd-b9382c43b077":  false,
		"9fea4ad1-953a-4801-b4cd-b9382c43b07g":  false,
		"../../../../../../../../../../../../x": false,
		"":                                      false,
	}
	for ref, want := range tests {
		if got := looksLikeFullID(ref); got != want {
			t.Errorf("looksLikeFullID(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestFindMeetingAgainstEmulator(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, nil)
	board := sim.AddMeeting(clusterBoardSpec())
	retro := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board retro", Participants: []cmssim.ParticipantSpec{{Name: "Yan", Node: "cb3"}}})
	ctx := t.Context()

	tests := []struct {
		ref       string
		want      string   // correlator
		ambiguous []string // substrings of the candidates
		errIs     error
	}{
		{ref: board.Correlator, want: board.Correlator},
		{ref: board.Calls["cb2"], want: board.Correlator},
		{ref: strings.ToUpper(board.Correlator[:6]), want: board.Correlator},
		{ref: retro.Calls["cb3"][:8], want: retro.Correlator},
		{ref: "  REVIEW ", want: board.Correlator},
		{ref: "board", ambiguous: []string{
			"Board review (" + board.Correlator[:8] + "…) on cb1,cb2,cb3",
			"Board retro (" + retro.Correlator[:8] + "…) on cb3"}},
		{ref: "standup", errIs: ErrNotFound},
		{ref: "", errIs: ErrEmptyRef},
		{ref: "   ", errIs: ErrEmptyRef},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, _, err := c.FindMeeting(ctx, tt.ref)
			var amb *AmbiguousError
			switch {
			case tt.want != "":
				if err != nil || got.Correlator != tt.want {
					t.Fatalf("got %s, %v; want %s", got.Correlator, err, tt.want)
				}
			case tt.errIs != nil:
				if !errors.Is(err, tt.errIs) {
					t.Fatalf("err = %v, want %v", err, tt.errIs)
				}
			case errors.As(err, &amb):
				if !slices.Equal(amb.Candidates, tt.ambiguous) && !slices.Equal(amb.Candidates, []string{tt.ambiguous[1], tt.ambiguous[0]}) {
					t.Errorf("candidates = %q, want %q", amb.Candidates, tt.ambiguous)
				}
			default:
				t.Fatalf("got %s, %v; want ambiguous", got.Correlator, err)
			}
		})
	}
}

func TestResolveWithFailedNodes(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, nil)
	board := sim.AddMeeting(clusterBoardSpec())
	ctx := t.Context()

	sim.SetAuthFailure("cb2", true)
	if m, _, err := c.FindMeeting(ctx, "board"); err != nil || m.Correlator != board.Correlator {
		t.Errorf("with cb2 refusing: %s, %v; want the board meeting", m.Correlator, err)
	}
	_, _, err := c.FindMeeting(ctx, "nothing")
	var unk *UnknownRefError
	if !errors.As(err, &unk) || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "cb2") {
		t.Errorf("not found with cb2 down: %v; want *UnknownRefError that mentions cb2", err)
	}

	for _, n := range []string{"cb1", "cb3"} {
		sim.SetDown(n, true)
	}
	for _, resolve := range []func() error{
		func() error { _, _, err := c.FindMeeting(ctx, "board"); return err },
		func() error { _, err := c.ResolveLeg(ctx, board.Legs[0].ID); return err },
		func() error { _, err := c.ResolveLeg(ctx, board.Legs[0].ID[:6]); return err },
	} {
		err := resolve()
		var all *AllNodesFailedError
		if !errors.As(err, &all) || len(all.Failed) != 3 || errors.Is(err, ErrNotFound) {
			t.Errorf("every node failing: %v; want *AllNodesFailedError over 3 nodes, not ErrNotFound", err)
			continue
		}
		if !errors.Is(err, ErrAuth) || !errors.Is(err, ErrUnavailable) {
			t.Errorf("%v should expose the nodes' own errors (auth, unavailable)", err)
		}
	}
}

func TestResolveLeg(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioDemo, Seed: 9}, nil)
	board := sim.AddMeeting(clusterBoardSpec())
	ctx := t.Context()

	var carol cmssim.LegState
	for _, l := range board.Legs {
		if l.Name == "Carol" {
			carol = l
		}
	}
	wantCarol := LegRef{Node: "cb3", LegID: carol.ID, CallID: board.Calls["cb3"], Name: "Carol"}
	for _, ref := range []string{carol.ID, strings.ToUpper(carol.ID), carol.ID[:13], " " + carol.ID[:13] + " "} {
		if got, err := c.ResolveLeg(ctx, ref); err != nil || got != wantCarol {
			t.Errorf("ResolveLeg(%q) = %+v, %v; want %+v", ref, got, err, wantCarol)
		}
	}

}

func TestResolveLegAmbiguousPrefix(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Scenario: cmssim.ScenarioScale,
		Scale: cmssim.Scale{Nodes: 3, Meetings: 40, Legs: 1500}, Seed: 9}, nil)
	ctx := t.Context()
	// With 1500 legs, some 4-character prefixes are shared; find one from the emulator's data.
	byPrefix := map[string][]cmssim.LegState{}
	for _, m := range sim.Meetings() {
		for _, l := range m.Legs {
			byPrefix[l.ID[:4]] = append(byPrefix[l.ID[:4]], l)
		}
	}
	var shared []cmssim.LegState
	for _, legs := range byPrefix {
		if len(legs) > 1 {
			shared = legs
			break
		}
	}
	if shared == nil {
		t.Fatal("no shared 4-char prefix among the emulator's legs; raise Scale.Legs")
	}
	_, err := c.ResolveLeg(ctx, shared[0].ID[:4])
	var amb *AmbiguousError
	if !errors.As(err, &amb) || amb.Kind != "participant" || len(amb.Candidates) != len(shared) {
		t.Fatalf("shared prefix: %v; want ambiguity over %d legs", err, len(shared))
	}
	for _, l := range shared {
		want := fmt.Sprintf("(%s…) on %s", l.ID[:8], l.Node)
		if !slices.ContainsFunc(amb.Candidates, func(c string) bool { return strings.Contains(c, want) }) {
			t.Errorf("candidates %q lack %q", amb.Candidates, want)
		}
	}

	for _, ref := range []string{"ffffffff-ffff-4fff-bfff-ffffffffffff", "zzzz-no-such-leg"} {
		_, err := c.ResolveLeg(ctx, ref)
		var unk *UnknownRefError
		if !errors.As(err, &unk) || unk.Kind != "participant" || !errors.Is(err, ErrNotFound) {
			t.Errorf("ResolveLeg(%q): %v; want *UnknownRefError", ref, err)
		}
	}
	for _, ref := range []string{"", "  ", "abc"} {
		if _, err := c.ResolveLeg(ctx, ref); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("ResolveLeg(%q): %v; want a usage error", ref, err)
		}
	}
}

func TestResolveLegIgnoresDistributionLinks(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, nil)
	board := sim.AddMeeting(clusterBoardSpec())
	ctx := t.Context()
	participants := map[string]bool{}
	for _, l := range board.Legs {
		participants[l.ID] = true
	}
	// Every leg a node lists that is not a participant is a distribution link.
	n, _ := c.Node("cb1")
	legs, err := n.AllCallLegs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	for _, l := range legs {
		if participants[l.ID] {
			continue
		}
		links++
		for _, ref := range []string{l.ID, l.ID[:12]} {
			if got, err := c.ResolveLeg(ctx, ref); !errors.Is(err, ErrNotFound) {
				t.Errorf("ResolveLeg(link %q) = %+v, %v; want not found", ref, got, err)
			}
		}
	}
	if links == 0 {
		t.Fatal("cb1 lists no distribution link for a meeting spread over 3 nodes")
	}
}

func TestParticipantOfRosterLeg(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, nil)
	board := sim.AddMeeting(clusterBoardSpec())
	ctx := t.Context()
	for _, l := range board.Legs {
		d, err := c.Leg(ctx, l.Node, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.ParticipantOfRosterLeg(ctx, RosterEntry{Node: l.Node, Leg: d})
		if err != nil || got != l.ParticipantID {
			t.Errorf("%s on %s: got %q, %v; want %s", l.Name, l.Node, got, err, l.ParticipantID)
		}
		// The documented fallback alone (no hints) finds the same participant.
		n, _ := c.Node(l.Node)
		if got, err := c.scanParticipants(ctx, n, l.CallID, l.ID); err != nil || got != l.ParticipantID {
			t.Errorf("scan %s on %s: got %q, %v; want %s", l.Name, l.Node, got, err, l.ParticipantID)
		}
	}
	for _, ni := range sim.Nodes() {
		n, _ := c.Node(ni.Name)
		if got := c.ownBridgeID(ctx, n); got != ni.CallBridgeID {
			t.Errorf("%s: own callBridge id %q, want %q", ni.Name, got, ni.CallBridgeID)
		}
	}
	for _, l := range board.Legs {
		if l.Node == "cb1" {
			continue
		}
		e := RosterEntry{Node: "cb1", Leg: CallLegDetail{CallLeg: CallLeg{ID: l.ID, Call: board.Calls["cb1"]}}}
		if _, err := c.ParticipantOfRosterLeg(ctx, e); !errors.Is(err, ErrParticipantNotFound) {
			t.Errorf("leg on %s asked on cb1: %v; want ErrParticipantNotFound", l.Node, err)
		}
	}
}
