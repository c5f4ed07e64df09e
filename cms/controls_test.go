package cms

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

func twoNodeMeeting(sim *cmssim.Sim, name string) cmssim.MeetingInfo {
	return sim.AddMeeting(cmssim.MeetingSpec{Name: name, Participants: []cmssim.ParticipantSpec{
		{Name: "Ana", Node: "cb1"}, {Name: "Bo", Node: "cb2"}}})
}

func TestUpdateMeetingCallsWritesEveryInstance(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		u     CallUpdate
		check func(cmssim.CallState) bool
	}{
		{"lock", CallUpdate{Locked: Set(true)}, func(s cmssim.CallState) bool { return s.Locked }},
		{"record", CallUpdate{Recording: Set(true)}, func(s cmssim.CallState) bool { return s.Recording }},
		{"stream", CallUpdate{Streaming: Set(true)}, func(s cmssim.CallState) bool { return s.Streaming }},
		{"banner", CallUpdate{MessageText: Set("Break"), MessagePosition: Set("bottom"), MessageDuration: Set("30")},
			func(s cmssim.CallState) bool {
				return s.MessageText == "Break" && s.MessagePosition == "bottom" && s.MessageDuration == "30"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
			m := twoNodeMeeting(sim, "Board")
			ch, err := c.UpdateMeetingCalls(ctx, "Board", tt.u)
			if err != nil {
				t.Fatal(err)
			}
			if len(ch.Written) != 2 || len(ch.Failed()) != 0 {
				t.Fatalf("written %+v", ch.Written)
			}
			for node, id := range m.Calls {
				if st, _ := sim.CallState(node, id); !tt.check(st) {
					t.Errorf("%s after the write: %+v", node, st)
				}
			}
		})
	}
}

func TestUpdateMeetingCallsBeforeAndRefusals(t *testing.T) {
	ctx := context.Background()
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	m := twoNodeMeeting(sim, "Board")
	sim.SetStreaming(m.Correlator, true)
	ch, err := c.UpdateMeetingCalls(ctx, "Board", CallUpdate{MessageText: Set("x")})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range ch.Before.Instances {
		if !in.Call.Streaming || in.Call.MessagePosition != "middle" || in.Call.MessageText != "" {
			t.Errorf("before on %s: %+v", in.Node, in.Call)
		}
	}
	sim.SetRecordingMode(m.Correlator, "automatic")
	ch, _ = c.UpdateMeetingCalls(ctx, "Board", CallUpdate{Recording: Set(true)})
	if f := ch.Failed(); len(f) != 2 || !errors.Is(f[0], ErrRecordingFixed) {
		t.Fatalf("failed %v, want both nodes callRecordingCannotBeModified", f)
	}
	sim.SetLicenseExpiry(time.Now().Add(-time.Hour))
	sim.SetStreaming(m.Correlator, false)
	ch, _ = c.UpdateMeetingCalls(ctx, "Board", CallUpdate{Streaming: Set(true)})
	if f := ch.Failed(); len(f) != 2 || !errors.Is(f[1], ErrStreamingNotLicensed) {
		t.Fatalf("failed %v, want streamingNotAllowedByLicensing", f)
	}
}

func TestUpdateMeetingCallsNamesTheFailedNode(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	m := twoNodeMeeting(sim, "Board")
	sim.SetDown("cb2", true)
	ch, err := c.UpdateMeetingCalls(context.Background(), m.Correlator, CallUpdate{Locked: Set(true)})
	if err != nil {
		t.Fatal(err)
	}
	// cb2 could not list its calls, so only cb1's instance is known and written.
	if len(ch.Unread) != 1 || ch.Unread[0].Node != "cb2" || len(ch.Written) != 1 || ch.Written[0].Err != nil {
		t.Fatalf("unread %v written %+v", ch.Unread, ch.Written)
	}
}

func TestEndMeetingDeletesEveryInstance(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	m := twoNodeMeeting(sim, "Board")
	ch, err := c.EndMeeting(context.Background(), "Board")
	if err != nil || len(ch.Failed()) != 0 || len(ch.Written) != 2 {
		t.Fatalf("end: %v %+v", err, ch)
	}
	if _, ok := sim.Meeting(m.Correlator); ok {
		t.Fatal("meeting still up")
	}
}

func TestAdmitAndMove(t *testing.T) {
	ctx := context.Background()
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 2}, nil)
	from := twoNodeMeeting(sim, "From")
	to := sim.AddMeeting(cmssim.MeetingSpec{Name: "To", Participants: []cmssim.ParticipantSpec{{Name: "Host", Node: "cb2"}}})
	sim.SetLocked(from.Correlator, true)
	guest, _ := sim.Join(from.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb1"})
	d := mustGet(c.Leg(ctx, "cb1", guest.ID)).ok(t)
	if !d.Status.Deactivated || !d.CanMove {
		t.Fatalf("guest leg: deactivated %v canMove %v", d.Status.Deactivated, d.CanMove)
	}
	if err := c.UpdateParticipant(ctx, "cb1", guest.ParticipantID, ParticipantUpdate{Deactivated: Set(false)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := sim.Participant(guest.ParticipantID); p.Lobby.Deactivated {
		t.Fatal("still in the lobby")
	}
	target, _, err := c.FindMeeting(ctx, "To")
	if err != nil {
		t.Fatal(err)
	}
	node, newID, err := c.Move(ctx, RosterEntry{Node: "cb1", Leg: d}, guest.ParticipantID, target)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := sim.Participant(newID); !ok || p.Correlator != to.Correlator || node != "cb2" {
		t.Fatalf("moved to %s: %+v", node, p)
	}
	d.CanMove = false
	if _, _, err := c.Move(ctx, RosterEntry{Node: "cb1", Leg: d}, "x", target); !errors.Is(err, ErrCannotMove) {
		t.Fatalf("canMove=false: %v", err)
	}
	// A refusal CMS gives anyway (the check raced a change) matches too.
	bo := from.Legs[1]
	sim.SetCanMove(bo.ParticipantID, false)
	n := c.nodes[0]
	if _, err := n.MoveParticipant(ctx, to.Calls["cb2"], bo.ParticipantID); err == nil {
		t.Fatal("cb1 has no instance of To: the move should fail")
	}
	if _, err := c.nodes[1].MoveParticipant(ctx, to.Calls["cb2"], bo.ParticipantID); !errors.Is(err, ErrCannotMove) {
		t.Fatalf("CMS refusal: %v", err)
	}
}
