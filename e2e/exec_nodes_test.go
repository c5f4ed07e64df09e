package e2e

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// closedURL is an http:// URL on loopback where nothing listens: connection refused.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestExecExitCodesWhenNodesFail: reads that could not reach a node used to exit 0. Now a
// partial result exits 1 and a result without any node 3; -v prints each failure's cause
// (with the x509 reason for an untrusted certificate), and without it stderr says so.
func TestExecExitCodesWhenNodesFail(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 1, Scenario: cmssim.ScenarioDemo, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	untrusted := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(untrusted.Close)
	healthy := "cb1=" + sim.Nodes()[0].URL
	down := closedURL(t)
	t.Setenv("CMS_USERNAME", sim.Username)
	t.Setenv("CMS_PASSWORD", sim.Password)
	t.Setenv("CMS_TIMEOUT", "2s")
	tests := []struct {
		name   string
		nodes  string
		args   []string
		code   int
		stdout string   // substring of stdout
		stderr []string // substrings of stderr
		not    string   // must not be in stderr
	}{
		{"calls, one node down", healthy + ",cb2=" + down, []string{"calls"}, 1, "cb2",
			[]string{"run with -v"}, "connection refused"},
		{"status, one node down", healthy + ",cb2=" + down, []string{"status"}, 1, "cb2", nil, ""},
		{"report, one node down", healthy + ",cb2=" + down, []string{"report"}, 1, "cb2", nil, ""},
		{"calls, every node down", "cb1=" + down + ",cb2=" + down, []string{"calls"}, 3, "cb1", nil, ""},
		{"status, every node down", "cb1=" + down + ",cb2=" + down, []string{"status"}, 3, "cb2", nil, ""},
		{"report, every node down", "cb1=" + down + ",cb2=" + down, []string{"report"}, 3, "", nil, ""},
		{"call, every node down", "cb1=" + down + ",cb2=" + down, []string{"call", "board"}, 3, "",
			[]string{"No CMS node could be searched"}, ""},
		{"json calls, every node down", "cb1=" + down + ",cb2=" + down, []string{"--json", "calls"}, 3, `"unreachable"`, nil, ""},
		{"-v prints the cause", healthy + ",cb2=" + down, []string{"-v", "calls"}, 1, "cb2",
			[]string{`cms node \"cb2\"`, "connection refused"}, "run with -v"},
		{"-v prints the x509 reason", healthy + ",cb2=" + untrusted.URL, []string{"status", "-v"}, 1, "certificate",
			[]string{"x509"}, ""},
		{"all well", healthy + ",cb2=" + sim.Nodes()[0].URL, []string{"calls"}, 0, "MEETING", nil, "run with -v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CMS_NODES", tt.nodes)
			code, out, errOut := runExec(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout %q does not contain %q", out, tt.stdout)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q does not contain %q", errOut, want)
				}
			}
			if tt.not != "" && strings.Contains(errOut, tt.not) {
				t.Errorf("stderr %q contains %q", errOut, tt.not)
			}
			if strings.Contains(out+errOut, sim.Password) {
				t.Error("the CMS password was printed")
			}
		})
	}
}
