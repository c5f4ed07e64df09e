package commands

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// Friction 5: the report's poor media covers every meeting (it checked only the 20 largest),
// lists participants rather than streams (one person with four bad streams took four of ten
// lines), and costs one alarm list per node plus one read per alarmed leg, not a read of every
// participant in the cluster.
func TestReportPoorMediaCoversEveryMeetingPerParticipant(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	const meetings = 30
	bad := cmssim.Media{PacketLoss: 9, Jitter: 90}
	for i := range meetings {
		ps := []cmssim.ParticipantSpec{
			{Name: fmt.Sprintf("Good %02d a", i), Node: "cb1"},
			{Name: fmt.Sprintf("Good %02d b", i), Node: "cb3"},
			{Name: fmt.Sprintf("Poor %02d", i), Node: fmt.Sprintf("cb%d", i%3+1), Media: bad},
		}
		if i == 0 {
			ps = append(ps, cmssim.ParticipantSpec{Name: "Hamid Kim", Node: "cb2", Media: bad})
		}
		e.sim.AddMeeting(cmssim.MeetingSpec{Name: fmt.Sprintf("Meeting %02d", i), Participants: ps})
	}
	ctx := context.Background()
	e.sim.ResetCounters()
	e.run(t, "calls")
	e.run(t, "status")
	base := e.requests() // what the report's totals and node health cost anyway

	e.sim.ResetCounters()
	r := e.run(t, "report").(*ReportResult)
	cost := e.requests()

	ps := r.PoorParticipants()
	if len(ps) != meetings+1 {
		t.Fatalf("%d participants with poor media, want %d (one per meeting, and Hamid Kim)", len(ps), meetings+1)
	}
	seen := map[string]PoorParticipant{}
	for _, p := range ps {
		if _, dup := seen[p.Worst.Participant]; dup {
			t.Errorf("%s is listed twice", p.Worst.Participant)
		}
		seen[p.Worst.Participant] = p
		if strings.HasPrefix(p.Worst.Participant, "Good") {
			t.Errorf("%s (good media) is listed", p.Worst.Participant)
		}
		if p.Worst.Correlator == "" || p.Worst.LegID == "" {
			t.Errorf("%s has no meeting or leg for its Details button: %+v", p.Worst.Participant, p.Worst)
		}
	}
	if h := seen["Hamid Kim"]; h.Streams < 2 || h.Worst.Meeting != "Meeting 00" {
		t.Errorf("Hamid Kim = %+v, want one entry in Meeting 00 counting all his poor streams", h)
	}
	if r.RostersRead != meetings || r.RostersSkipped != 0 || len(r.MediaUnchecked) != 0 {
		t.Errorf("media checked in %d meetings, %d skipped, unchecked %v; want all %d", r.RostersRead, r.RostersSkipped, r.MediaUnchecked, meetings)
	}
	alarmed := meetings + 1
	// The alarm lists page like any list (the emulator's pages hold 10): 2 pages a node here.
	if budget := base + 3*2 + alarmed; cost > budget {
		t.Errorf("report cost %d CMS requests, budget %d (calls+status %d, the alarm lists of 3 nodes, one read per alarmed leg)", cost, budget, base)
	}

	// A node whose alarmed legs cannot be listed: its meetings are counted as not checked, and
	// the report says why.
	svc := New(Config{Cluster: alarmsFail{e.cluster, "cb2"}})
	r = svc.report(ctx)
	if len(r.MediaUnchecked) != 1 || r.MediaUnchecked[0].Node != "cb2" || !strings.Contains(r.MediaUnchecked[0].Reason, "cb2") {
		t.Fatalf("media unchecked = %+v, want cb2 with its reason", r.MediaUnchecked)
	}
	if r.RostersRead+r.RostersSkipped != r.Meetings || r.RostersSkipped != meetings/3+1 {
		t.Errorf("checked %d + skipped %d of %d meetings, want the %d with someone on cb2 (Hamid Kim too) skipped", r.RostersRead, r.RostersSkipped, r.Meetings, meetings/3+1)
	}
}

// alarmsFail is a cluster whose node cannot list its alarmed legs.
type alarmsFail struct {
	Cluster
	node string
}

func (a alarmsFail) AlarmedLegs(ctx context.Context) []cms.NodeAlarmedLegs {
	out := a.Cluster.AlarmedLegs(ctx)
	for i := range out {
		if out[i].Node == a.node {
			out[i] = cms.NodeAlarmedLegs{Node: a.node, Err: cms.NodeError{Node: a.node, Err: cms.ErrUnavailable}}
		}
	}
	return out
}
