package commands

import (
	"strings"
	"testing"
)

// TestTextRosterMarksPoorMedia: exec's roster names who has poor media, as Slack's rows do.
func TestTextRosterMarksPoorMedia(t *testing.T) {
	r := &RosterResult{Meeting: MeetingSummary{Name: "Board"}, Participants: []ParticipantRow{
		{Name: "Ann", LegID: "a1", PoorMedia: true}, {Name: "Bob", LegID: "b1"}}}
	var b strings.Builder
	if err := FormatText(&b, r); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Count(out, "(poor media)") != 1 || !strings.Contains(out, "Ann (poor media)") {
		t.Errorf("text roster:\n%s\nwant Ann alone marked (poor media)", out)
	}
}
