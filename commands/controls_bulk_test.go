package commands

import (
	"testing"
)

func TestMuteAllAndLayoutAll(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := controlsMeeting(e)
	r := action1(t, e.run(t, "muteall board"))
	if r.Updated != 2 || len(r.Changes) != 1 || r.Changes[0].Before != "0 of 3 muted" || r.Changes[0].After != "3 of 3 muted" {
		t.Fatalf("muteall %+v", r)
	}
	for _, l := range e.sim.Legs(m.Correlator) {
		if !l.RxAudioMute {
			t.Errorf("%s not muted", l.Name)
		}
	}
	e.run(t, "unmuteall board both")
	e.run(t, "layoutall board speakeronly")
	for _, l := range e.sim.Legs(m.Correlator) {
		if l.RxAudioMute || l.ChosenLayout != "speakerOnly" {
			t.Errorf("%s: %+v", l.Name, l)
		}
	}
}
