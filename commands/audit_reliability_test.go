package commands

import (
	"strings"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// The audit record alone must say what changed in CMS (which leg, which field, before → after),
// so that the emulator's state can be replayed from the audit log (the soak test does).
func TestAuditRecordSaysWhatChanged(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Audit", Participants: []cmssim.ParticipantSpec{{Name: "Ann", Node: "cb2"}}})
	leg := m.Legs[0].ID
	tests := []struct {
		text, field, after string
	}{
		{"mute " + leg + " video", "video", "muted"},
		{"unmute " + leg + " video", "video", "unmuted"},
		{"layout " + leg + " stacked", "layout", "stacked"},
	}
	for i, tt := range tests {
		e.run(t, tt.text)
		recs := auditRecords(t, e.audit)
		if len(recs) != i+1 {
			t.Fatalf("%d audit records after %d actions", len(recs), i+1)
		}
		r := recs[i]
		if r["leg_id"] != leg {
			t.Errorf("%s: leg_id = %v, want %s", tt.text, r["leg_id"], leg)
		}
		changes, _ := r["changes"].([]any)
		if len(changes) != 1 {
			t.Fatalf("%s: changes = %v, want one", tt.text, r["changes"])
		}
		c, _ := changes[0].(map[string]any)
		if c["field"] != tt.field || c["after"] != tt.after || c["subject"] != "Ann" {
			t.Errorf("%s: change = %v, want %s → %s for Ann", tt.text, c, tt.field, tt.after)
		}
	}
	// A failed action still names the leg it was aimed at, with no changes.
	e.sim.SetDown("cb2", true)
	if _, err := e.svc.Run(t.Context(), e.op, "mute "+leg); err == nil {
		t.Fatal("mute on a down node succeeded")
	}
	recs := auditRecords(t, e.audit)
	last := recs[len(recs)-1]
	if last["outcome"] != OutcomeError || !strings.EqualFold(last["leg_id"].(string), leg) || len(last["changes"].([]any)) != 0 {
		t.Errorf("failed mute audited as %v", last)
	}
}
