package commands

import (
	"crypto/x509"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// A roster read while a node cannot list its calls must name that node: the meeting may have
// participants there, and silently showing fewer people would mislead the operator.
func TestRosterNamesNodesThatCouldNotBeListed(t *testing.T) {
	faults := []struct {
		name   string
		inject func(*cmssim.Sim)
		reason string
	}{
		{"down", func(s *cmssim.Sim) { s.SetDown("cb2", true) }, "could not be reached"},
		{"401", func(s *cmssim.Sim) { s.SetAuthFailure("cb2", true) }, "credentials"},
		{"malformed", func(s *cmssim.Sim) { s.SetMalformed("cb2", true) }, "could not read"},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			e := newSimEnv(t, 3, Policy{})
			e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Spread", Participants: people([]string{"cb1", "cb2", "cb3"}, 2)})
			f.inject(e.sim)
			r, ok := e.run(t, "call spread").(*RosterResult)
			if !ok {
				t.Fatalf("call spread did not return a roster")
			}
			if len(r.Participants) != 4 {
				t.Errorf("roster lists %d participants, want the 4 on the healthy nodes", len(r.Participants))
			}
			if len(r.Unreachable) != 1 || r.Unreachable[0].Node != "cb2" || !strings.Contains(r.Unreachable[0].Reason, f.reason) {
				t.Fatalf("Unreachable = %+v, want cb2 (%s)", r.Unreachable, f.reason)
			}
		})
	}
}

func TestRosterHealthyClusterNamesNoNode(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Spread", Participants: people([]string{"cb1", "cb2", "cb3"}, 1)})
	r := e.run(t, "call spread").(*RosterResult)
	if len(r.Participants) != 3 || len(r.Unreachable) != 0 {
		t.Fatalf("roster = %d participants, unreachable %+v; want 3 and none", len(r.Participants), r.Unreachable)
	}
}

// Presenter mode with a node that cannot list its calls changes what it can and names the node
// whose legs it could not reach, instead of claiming every leg was updated.
func TestPresenterNamesNodesThatCouldNotBeListed(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Spread", Participants: people([]string{"cb1", "cb2", "cb3"}, 2)})
	e.sim.SetDown("cb3", true)
	r, ok := e.run(t, `presenter spread "Person cb1-00"`).(*ActionResult)
	if !ok {
		t.Fatalf("presenter did not return an action result")
	}
	var named bool
	for _, f := range r.Failed {
		named = named || (f.Node == "cb3" && strings.Contains(f.Reason, "could not be reached"))
	}
	if !named || !strings.Contains(r.Summary, "failed") {
		t.Fatalf("presenter with cb3 down: summary %q, failed %+v; want cb3 named as failed", r.Summary, r.Failed)
	}
}

// An untrusted certificate is a configuration problem: the user is told which node and where
// to look, not merely that the node "could not be reached".
func TestCertificateErrorMessage(t *testing.T) {
	err := wrapErr("cb1", &cms.TransportError{Node: "cb1", Method: "GET", Path: "/api/v1/calls",
		Err: x509.UnknownAuthorityError{}})
	msg := UserMessage(err)
	for _, want := range []string{"cb1", "certificate", "CMS_CA_FILE"} {
		if !strings.Contains(msg, want) {
			t.Errorf("user message %q does not mention %q", msg, want)
		}
	}
}

// A leg action that names a meeting (a button does) is refused when the leg is in another one.
func TestLegActionRefusesALegOfAnotherMeeting(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	a := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "A", Participants: []cmssim.ParticipantSpec{{Name: "Ann", Node: "cb1"}}})
	b := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "B", Participants: []cmssim.ParticipantSpec{{Name: "Ben", Node: "cb2"}}})
	ben := b.Legs[0]
	tests := []struct {
		name    string
		meeting string
		refused bool
	}{
		{"other meeting", a.Correlator, true},
		{"own meeting", b.Correlator, false},
		{"typed, no meeting", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Execute(t.Context(), e.op, Command{Op: OpLayout, Meeting: tt.meeting, Participant: ben.ID, Node: "cb2", Layout: "stacked"})
			if (err != nil) != tt.refused {
				t.Fatalf("err = %v, want refused=%v", err, tt.refused)
			}
			got, _ := e.sim.Leg(ben.ID)
			if changed := got.ChosenLayout == "stacked"; changed == tt.refused {
				t.Errorf("layout %q after refused=%v", got.ChosenLayout, tt.refused)
			}
		})
	}
}
