package cms

import (
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// A recorded CMS answer spells <sipCallId>; shared/cms-api.md (and older emulator output)
// spells <sipCallID>. Both are read.
func TestLegStatusReadsBothSipCallIDSpellings(t *testing.T) {
	for _, tag := range []string{"sipCallID", "sipCallId"} {
		body := `<?xml version="1.0"?><callLeg id="l1"><call>c1</call><status><state>connected</state><` +
			tag + `>1B014FC3@cube01</` + tag + `><groupId>g</groupId></status></callLeg>`
		var x xCallLeg
		if err := decodeRoot([]byte(body), "callLeg", &x); err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		if got := x.detail().Status.SIPCallID; got != "1B014FC3@cube01" {
			t.Errorf("<%s>: SIPCallID %q", tag, got)
		}
	}
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 1}, nil)
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Sip", Participants: []cmssim.ParticipantSpec{{Name: "Ann"}}})
	d, err := c.Leg(t.Context(), "cb1", m.Legs[0].ID)
	if err != nil || d.Status.SIPCallID == "" {
		t.Errorf("the emulator's leg: SIPCallID %q, %v", d.Status.SIPCallID, err)
	}
}

// Another node answers a leg it does not host as an unknown id, so a button whose node hint is
// stale still finds the leg where it is, with its call.
func TestFindLegWithAStaleNodeHint(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, nil)
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Hint", Participants: []cmssim.ParticipantSpec{{Name: "Ann", Node: "cb3"}}})
	ann := m.Legs[0]
	l, err := c.FindLeg(t.Context(), ann.ID, "cb1")
	if err != nil || l.Node != "cb3" || l.Leg.ID != ann.ID || l.Correlator() != m.Correlator || l.CallErr != nil {
		t.Fatalf("FindLeg with hint cb1: %+v, %v", l, err)
	}
}
