package bot

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

func TestUnstampID(t *testing.T) {
	for _, tt := range []struct{ in, cluster, id string }{
		{"~emea~nfmm_controls", "emea", "nfmm_controls"},
		{"~amer~#3", "amer", ""},
		{"~all~#0", "all", ""},
		{"~emea~9fea|cb1|abcd", "emea", "9fea|cb1|abcd"},
		{"nfmm_controls", "", "nfmm_controls"}, // posted before the upgrade
		{"", "", ""},
		{"~e/u~x", "", "~e/u~x"}, // not a cluster name: left alone, no cluster
		{"~emea", "", "~emea"},   // no second mark
		{"~~x", "", "~~x"},       // empty name
		{"~ALL~x", "", "~ALL~x"}, // the reserved name only as NFMM writes it
	} {
		c, id := unstampID(tt.in)
		if c != tt.cluster || id != tt.id {
			t.Errorf("unstampID(%q) = %q, %q; want %q, %q", tt.in, c, id, tt.cluster, tt.id)
		}
	}
}

// A message of a cluster names it on every block with controls and in every value, within
// Slack's limits; without its stamp each value is the one-cluster message's; a one-cluster
// message names no cluster.
func TestRenderStampsTheCluster(t *testing.T) {
	r := &commands.CallsResult{Meetings: []commands.MeetingSummary{
		{Correlator: "9fea4ad1-0000-4000-8000-000000000001", Name: "Board", Participants: 3, Nodes: []string{"cb1"}},
	}, AsOf: time.Unix(0, 0)}
	plain := render(r, renderOpts{Role: commands.RoleOperator})
	r.Cluster = "amer"
	m := render(r, renderOpts{Role: commands.RoleOperator})
	if errs := checkLimits(m); len(errs) > 0 {
		t.Fatal(errs)
	}
	var stampedBlocks int
	for i, b := range m.Blocks {
		id := blockID(b)
		c, orig := unstampID(id)
		if c != "" {
			stampedBlocks++
			if c != "amer" || orig != blockID(plain.Blocks[i]) {
				t.Errorf("block %d: %q (was %q)", i, id, blockID(plain.Blocks[i]))
			}
		}
	}
	if stampedBlocks == 0 {
		t.Fatal("no block names the cluster")
	}
	a, _ := json.Marshal(plain.Blocks)
	if strings.Contains(string(a), "~") {
		t.Errorf("a one-cluster message names a cluster:\n%s", a)
	}
	if got, want := strings.Count(mustJSON(t, m.Blocks), `"value":"~amer~9fea4ad1-0000-4000-8000-000000000001"`), strings.Count(string(a), `"value":"9fea4ad1-0000-4000-8000-000000000001"`); got != want || got == 0 {
		t.Errorf("%d values name the cluster, want %d", got, want)
	}
	got, want := valuesOf(t, m.Blocks), valuesOf(t, plain.Blocks)
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%d values, the one-cluster message has %d", len(got), len(want))
	}
	for i := range got {
		if c, v := unstamp(got[i].value); c != "amer" || v != want[i].value {
			t.Errorf("%s = %q, one cluster: %q", got[i].path, got[i].value, want[i].value)
		}
	}
}

func blockID(b slack.Block) string {
	switch b := b.(type) {
	case *slack.ActionBlock:
		return b.BlockID
	case *slack.SectionBlock:
		return b.BlockID
	case *slack.InputBlock:
		return b.BlockID
	}
	return ""
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestClusterChoice(t *testing.T) {
	m := clusterChoice("calls board public", &commands.ClusterChoiceError{Op: commands.OpCalls, Clusters: []string{"emea", "amer"}, All: true})
	if errs := checkLimits(m); len(errs) > 0 {
		t.Fatal(errs)
	}
	s := mustJSON(t, m.Blocks)
	for _, want := range []string{`"calls board @emea public"`, `"calls board @amer public"`, `"calls board @all public"`, "Which cluster?"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %s in\n%s", want, s)
		}
	}
}

// clusterRunner records the cluster of every command and, like a Service with several
// clusters, asks which when none is named.
type clusterRunner struct {
	Runner
	mu    sync.Mutex
	asked []string
}

func (r *clusterRunner) Execute(ctx context.Context, a commands.Actor, c commands.Command) (commands.Result, error) {
	r.mu.Lock()
	r.asked = append(r.asked, c.Cluster)
	r.mu.Unlock()
	if c.Cluster == "" {
		return nil, &commands.ClusterChoiceError{Op: c.Op, Clusters: []string{"emea", "amer"}, All: true}
	}
	return r.Runner.Execute(ctx, a, c)
}

// A scheduled report names its cluster; one that names none, in a channel without a binding,
// covers every cluster rather than failing on the question.
func TestSchedulerReportCluster(t *testing.T) {
	for _, tt := range []struct {
		cluster string
		asked   []string
	}{
		{"all", []string{"all"}},
		{"", []string{"", "all"}},
	} {
		h := schedHarness(t)
		h.meeting("All hands", people(3, 3)...)
		run := &clusterRunner{Runner: h.svc}
		s := h.scheduler(SchedulerConfig{Service: run, Reports: []Report{{Spec: "@daily", Channel: reportChannel, Cluster: tt.cluster}}})
		h.runNow(s, ReportPosted)
		if !slices.Equal(run.asked, tt.asked) {
			t.Errorf("cluster %q: asked %q, want %q", tt.cluster, run.asked, tt.asked)
		}
	}
}
