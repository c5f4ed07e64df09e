package commands

import (
	"context"
	"errors"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// A participant reference shorter than a leg-id prefix (4 characters) can only be part of a name
// or address, even when it is made of hex letters ("dee", "abe", "bad"): issue 14's grammar.
// Such a name resolves and the command acts on that participant; a reference of 4 or more hex
// characters is still a leg id prefix first (and a name when no leg id starts with it).
func TestHexLookingNamesAreNames(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
		{Name: "Dee Rowe", Node: "cb1"}, {Name: "Abe Lind", Node: "cb2"}, {Name: "Bead Maker", Node: "cb1"}, {Name: "Carl", Node: "cb2"}}})
	byName := map[string]cmssim.LegState{}
	for _, l := range e.sim.Legs(m.Correlator) {
		byName[l.Name] = l
	}
	tests := []struct {
		text  string
		who   string
		check func(l cmssim.LegState) bool
	}{
		{"mute abe", "Abe Lind", func(l cmssim.LegState) bool { return l.RxAudioMute }},
		{"layout dee allEqual", "Dee Rowe", func(l cmssim.LegState) bool { return l.ChosenLayout == "allEqual" }},
		{"mute dee video", "Dee Rowe", func(l cmssim.LegState) bool { return l.RxVideoMute }},
		{"mute bead", "Bead Maker", func(l cmssim.LegState) bool { return l.RxAudioMute }}, // 4 hex letters: no leg id starts so, so a name
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			r := action1(t, e.run(t, tc.text))
			if r.Participant != tc.who {
				t.Fatalf("%s acted on %q, want %q", tc.text, r.Participant, tc.who)
			}
			l := simLeg(t, e.sim, byName[tc.who].ID)
			if !tc.check(l) {
				t.Errorf("%s: %s not changed in CMS: %+v", tc.text, tc.who, l)
			}
		})
	}
	// Reads take the same references.
	for _, text := range []string{"participant dee", "participant abe"} {
		if _, err := e.svc.Run(context.Background(), e.op, text); err != nil {
			t.Errorf("%s: %v", text, err)
		}
	}
	// A short reference that names nobody is "no such participant", not "too short".
	_, err := e.svc.Run(context.Background(), e.op, "mute fab")
	var re *RefError
	if !errors.As(err, &re) || re.Ambiguous {
		t.Errorf("mute fab: %v, want no participant found", err)
	}
}
