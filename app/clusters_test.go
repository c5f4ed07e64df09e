package app

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// nfmm exec with CMS_CLUSTERS: the same grammar as Slack, @cluster at the end.
func TestExecSeveralClusters(t *testing.T) {
	t.Setenv("CMS_CLUSTERS", "emea,amer")
	t.Setenv("CMS_EMEA_NODES", "sim:2")
	t.Setenv("CMS_AMER_NODES", "sim:3")
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cmdExec(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, out, _ := run("status", "@all"); code != exitOK || !strings.HasPrefix(out, "CLUSTER") ||
		strings.Count(out, "emea") != 2 || strings.Count(out, "amer") != 3 {
		t.Errorf("status @all: exit %d\n%s", code, out)
	}
	code, out, _ := run("calls", "@amer")
	if code != exitOK || !strings.Contains(out, "meetings") {
		t.Errorf("calls @amer: exit %d\n%s", code, out)
	}
	code, out, errOut := run("calls")
	if code == exitOK || !strings.Contains(out+errOut, "Which cluster? Add `@emea` or `@amer`") {
		t.Errorf("calls without a cluster: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run("--json", "calls", "@all")
	if code != exitOK || !strings.Contains(out, `"cluster": "all"`) || !strings.Contains(out, `"cluster": "emea"`) || !strings.Contains(out, `"cluster": "amer"`) {
		t.Errorf("--json calls @all: exit %d\n%s", code, out)
	}
}

func TestWatchCluster(t *testing.T) {
	cs := Clusters{{Config: config.Cluster{Name: "emea"}}, {Config: config.Cluster{Name: "amer"}}}
	for _, tt := range []struct{ in, rest, cluster, err string }{
		{"board @amer", "board", "amer", ""},
		{"@emea", "", "emea", ""},
		{"board", "", "", "Which cluster?"},
		{"board @apac", "", "", `There is no cluster "apac"; clusters are emea, amer.`},
		{"board @all", "", "", "exec watch follows one cluster: name one of emea, amer, not `@all`."},
	} {
		rest, c, err := watchCluster(tt.in, cs)
		if tt.err != "" {
			if err == nil || !strings.Contains(commands.UserMessage(err), tt.err) {
				t.Errorf("%q: %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || rest != tt.rest || c.Config.Name != tt.cluster {
			t.Errorf("%q: %q %q %v, want %q %q", tt.in, rest, c.Config.Name, err, tt.rest, tt.cluster)
		}
	}
	if rest, c, err := watchCluster("board", cs[:1]); err != nil || rest != "board" || c.Config.Name != "emea" {
		t.Errorf("one cluster: %q %q %v", rest, c.Config.Name, err)
	}
}

// `schedule` shows the cluster an entry names (text and JSON).
func TestExecScheduleCluster(t *testing.T) {
	t.Setenv("CMS_CLUSTERS", "emea,amer")
	t.Setenv("CMS_EMEA_NODES", "sim:1")
	t.Setenv("CMS_AMER_NODES", "sim:1")
	t.Setenv("NFMM_REPORT_SCHEDULE", "@daily > C0123ABCD @amer; @hourly > C0456EFGH")
	var out, errOut bytes.Buffer
	if code := cmdExec(context.Background(), []string{"schedule"}, &out, &errOut); code != exitOK ||
		!strings.Contains(out.String(), "C0123ABCD @amer") || strings.Contains(out.String(), "C0456EFGH @") {
		t.Errorf("schedule: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := cmdExec(context.Background(), []string{"--json", "schedule"}, &out, &errOut); code != exitOK ||
		strings.Count(out.String(), `"cluster": "amer"`) != 1 {
		t.Errorf("--json schedule: exit %d\n%s", code, out.String())
	}
}
