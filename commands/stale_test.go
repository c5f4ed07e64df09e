package commands

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// A control's participant who has left is named, never quoted by leg id: by the name the
// service last showed, else as "that participant". A typed reference keeps "No participant
// matches": the user typed it and may have mistyped.
func TestClickOnAParticipantWhoLeft(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: []cmssim.ParticipantSpec{
		{Name: "Tamar Andersson", Node: "cb2"}, {Name: "Ola", Node: "cb1"},
	}})
	other := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{
		{Name: "Hamid Kim", Node: "cb1"}, {Name: "Ines", Node: "cb2"},
	}})
	e.run(t, "call "+m.Correlator) // the roster the buttons came from: Tamar is in it; Standup was never read
	tamar, hamid := legNamed(t, m, "Tamar Andersson"), legNamed(t, other, "Hamid Kim")
	e.sim.RemoveLeg(tamar.ID)
	e.sim.RemoveLeg(hamid.ID)
	tests := []struct {
		name string
		cmd  Command
		want string
	}{
		{"disconnect, name shown before", Command{Op: OpDisconnect, Meeting: m.Correlator, Participant: tamar.ID, Node: tamar.Node}, "Tamar Andersson has already left."},
		{"mute, name shown before", Command{Op: OpMute, Meeting: m.Correlator, Participant: tamar.ID, Node: tamar.Node, Media: MediaAudio}, "Tamar Andersson has already left."},
		{"details, name shown before", Command{Op: OpParticipant, Participant: tamar.ID, Node: tamar.Node}, "Tamar Andersson has already left."},
		{"never shown", Command{Op: OpDisconnect, Meeting: other.Correlator, Participant: hamid.ID, Node: hamid.Node}, "That participant has already left."},
		{"typed", Command{Op: OpDisconnect, Participant: tamar.ID}, "No participant matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Execute(context.Background(), e.op, tt.cmd)
			var re *RefError
			if !errors.As(err, &re) {
				t.Fatalf("error %v (%T), want a *RefError", err, err)
			}
			msg := UserMessage(err)
			if !strings.HasPrefix(msg, tt.want) {
				t.Errorf("message %q, want %q", msg, tt.want)
			}
			if tt.cmd.Node != "" && strings.Contains(msg, tt.cmd.Participant) {
				t.Errorf("message %q quotes the leg id", msg)
			}
		})
	}
}

func legNamed(t *testing.T, m cmssim.MeetingInfo, name string) cmssim.LegState {
	t.Helper()
	for _, l := range m.Legs {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no %s in %s", name, m.Name)
	return cmssim.LegState{}
}
