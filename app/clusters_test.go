package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
