package bot

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/nfmm/nfmm/commands"
)

// With several clusters a message about one cluster (or @all) says so in its header: `calls
// @amer` typed in emea's channel must not pass for emea's list, and two clusters may both have
// a cb1. With one cluster (Cluster "") nothing changes.
func TestHeaderNamesTheCluster(t *testing.T) {
	long := strings.Repeat("Quarterly all-hands ", 10)
	for _, tt := range []struct {
		name   string
		r      commands.Result
		suffix string // "" = the header is what it was
	}{
		{"calls of one cluster", &commands.CallsResult{Cluster: "amer", Nodes: []string{"cb1"}}, " · cluster amer"},
		{"calls of every cluster", &commands.CallsResult{Cluster: commands.AllClusters}, " · every cluster"},
		{"status", &commands.StatusResult{Cluster: "emea", Nodes: []commands.NodeHealth{{Node: "cb1", Reachable: true}}}, " · cluster emea"},
		{"report", &commands.ReportResult{Cluster: "amer"}, " · cluster amer"},
		{"a long roster keeps the cluster", &commands.RosterResult{Cluster: "amer", Meeting: commands.MeetingSummary{Name: long, Nodes: []string{"cb1"}}}, " · cluster amer"},
		{"one cluster", &commands.CallsResult{Nodes: []string{"cb1"}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := render(tt.r, viewerOpts)
			h, ok := m.Blocks[0].(*slack.HeaderBlock)
			if !ok {
				t.Fatalf("first block %T, want a header", m.Blocks[0])
			}
			got := h.Text.Text
			if textLen(got) > maxHeaderText {
				t.Errorf("header of %d characters: %q", textLen(got), got)
			}
			if tt.suffix == "" {
				if strings.Contains(got, "cluster") {
					t.Errorf("one cluster's header names a cluster: %q", got)
				}
				return
			}
			if !strings.HasSuffix(got, tt.suffix) {
				t.Errorf("header %q does not end in %q", got, tt.suffix)
			}
		})
	}
}
