package commands

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// recordingSink keeps the events it is handed.
type recordingSink struct{ events []AuditEvent }

func (r *recordingSink) Audit(_ context.Context, e AuditEvent) { r.events = append(r.events, e) }

// The JSON log and every other sink get the same typed event; audio mutes differ from video
// mutes and presenter on from off in both, and the JSON log keeps its field names.
func TestAuditEventTellsMediaAndPresenterModeApart(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Audit", Participants: []cmssim.ParticipantSpec{{Name: "Ann", Node: "cb2"}, {Name: "Bo", Node: "cb1"}}})
	rec := &recordingSink{}
	e.svc.audit = AuditSinks{e.svc.audit, rec}
	leg := m.Legs[0].ID
	tests := []struct {
		text, key, value string
	}{
		{"mute " + leg, "media", "audio"},
		{"mute " + leg + " video", "media", "video"},
		{"unmute " + leg + " both", "media", "both"},
		{"presenter Audit Ann", "presenter", "on"},
		{"presenter Audit off", "presenter", "off"},
	}
	legacy := []string{"actor", "changes", "channel", "error", "leg_id", "level", "meeting", "msg", "nodes", "op", "outcome", "participant", "time"}
	for i, tt := range tests {
		e.run(t, tt.text)
		recs := auditRecords(t, e.audit)
		if len(recs) != i+1 || len(rec.events) != i+1 {
			t.Fatalf("%s: %d JSON records and %d events after %d actions", tt.text, len(recs), len(rec.events), i+1)
		}
		r, ev := recs[i], rec.events[i]
		if r[tt.key] != tt.value {
			t.Errorf("%s: JSON %s = %v, want %q", tt.text, tt.key, r[tt.key], tt.value)
		}
		if got := string(ev.Media) + ev.Presenter; got != tt.value {
			t.Errorf("%s: event media+presenter = %q, want %q", tt.text, got, tt.value)
		}
		keys := slices.Sorted(maps.Keys(r))
		want := slices.Sorted(slices.Values(append(slices.Clone(legacy), tt.key)))
		if !slices.Equal(keys, want) {
			t.Errorf("%s: JSON keys %v, want %v", tt.text, keys, want)
		}
		if r["op"] != string(ev.Op) || r["outcome"] != ev.Outcome || r["leg_id"] != ev.LegID || r["meeting"] != ev.Meeting {
			t.Errorf("%s: JSON %v and event %+v differ", tt.text, r, ev)
		}
	}
	// Operations without media or mode carry neither key.
	e.run(t, "layout "+leg+" stacked")
	recs := auditRecords(t, e.audit)
	if r := recs[len(recs)-1]; r["media"] != nil || r["presenter"] != nil {
		t.Errorf("layout record has media/presenter: %v", r)
	}
}
