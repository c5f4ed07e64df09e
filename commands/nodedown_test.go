package commands

import (
	"strings"
	"testing"
	"time"
)

// Friction 4: a node that did not answer is named once, with the cause and since when.
func TestNodeDownText(t *testing.T) {
	now := time.Date(2026, 12, 1, 14, 30, 0, 0, time.UTC)
	tests := []struct {
		f    NodeFailure
		want string
	}{
		{NodeFailure{Node: "cb2", Reason: "cb2 could not be reached (connection refused).", Since: now.Add(-28 * time.Minute)},
			"cb2 could not be reached (connection refused) · down since 14:02"},
		{NodeFailure{Node: "cb2", Reason: "cb2 could not be reached."}, "cb2 could not be reached"},
		{NodeFailure{Node: "cb2", Reason: "CMS rejected NFMM's credentials on cb2."}, "CMS rejected NFMM's credentials on cb2"},
		{NodeFailure{Node: "cb2", Reason: "did not answer in time"}, "cb2: did not answer in time"},
		{NodeFailure{Node: "cb2"}, "cb2 could not be reached"},
		{NodeFailure{Node: "cb2", Reason: "cb2 did not answer in time.", Since: now.Add(-50 * time.Hour)},
			"cb2 did not answer in time · down since Sun 29 Nov 12:30"},
	}
	for _, tt := range tests {
		got := NodeDownText(tt.f, now, time.UTC)
		if got != tt.want {
			t.Errorf("NodeDownText(%+v) = %q, want %q", tt.f, got, tt.want)
		}
		if strings.Count(got, tt.f.Node) != 1 {
			t.Errorf("%q names %s %d times", got, tt.f.Node, strings.Count(got, tt.f.Node))
		}
	}
}
