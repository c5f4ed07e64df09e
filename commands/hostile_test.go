package commands

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/hostile"
)

// hostileEnv is a service over one healthy emulated node (cb1) and one hostile node (evil).
func hostileEnv(t *testing.T, a hostile.Answer) (*Service, *hostile.Server) {
	t.Helper()
	srv := hostile.Start(a)
	t.Cleanup(srv.Close)
	e := newSimEnv(t, 1, Policy{})
	evil, err := cms.NewNode(cms.NodeConfig{Name: "evil", BaseURL: srv.URL, Username: "api", Password: "pw",
		Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	nodes := append(e.cluster.Nodes(), evil)
	return New(Config{Cluster: cms.NewCluster(nodes)}), srv
}

// A node that redirects is reported as misconfigured, by name, and the redirect is not followed.
func TestRedirectingNodeIsMisconfigured(t *testing.T) {
	svc, srv := hostileEnv(t, hostile.Redirect)
	r, err := svc.Run(context.Background(), Actor{UserID: "local", Local: true}, "calls")
	if err != nil {
		t.Fatal(err)
	}
	calls := r.(*CallsResult)
	if len(calls.Unreachable) != 1 || calls.Unreachable[0].Node != "evil" ||
		!strings.Contains(calls.Unreachable[0].Reason, "evil is misconfigured") ||
		!strings.Contains(calls.Unreachable[0].Reason, "CMS_NODES") {
		t.Errorf("unreachable = %+v, want evil named as misconfigured", calls.Unreachable)
	}
	if followed, _ := srv.Followed(); followed != 0 {
		t.Errorf("redirect followed %d times", followed)
	}
}

// The cause of a node failure reaches the log once, with the x509 reason of an untrusted
// certificate: in a partial result (only the user-safe reason used to be kept) and in a failed
// command (logErr used to log the user message as the error).
func TestNodeFailureCausesAreLogged(t *testing.T) {
	untrusted := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(untrusted.Close)
	tls1, err := cms.NewNode(cms.NodeConfig{Name: "tls1", BaseURL: untrusted.URL, Username: "api", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	healthy := newSimEnv(t, 1, Policy{}).cluster.Nodes()
	tests := []struct {
		name    string
		nodes   []*cms.Node
		command string
		msg     string // the log line
	}{
		{"partial calls", append(healthy, tls1), "calls", `msg="CMS node failed" node=tls1`},
		{"partial status", append(healthy, tls1), "status", `msg="CMS node failed" node=tls1`},
		{"no node searched", []*cms.Node{tls1}, "call board", `msg="operation failed" op=call`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			svc := New(Config{Cluster: cms.NewCluster(tt.nodes), Logger: slog.New(slog.NewTextHandler(&log, nil))})
			svc.Run(context.Background(), Actor{UserID: "local", Local: true}, tt.command)
			if n := strings.Count(log.String(), tt.msg); n != 1 {
				t.Fatalf("%d log lines %q, want 1:\n%s", n, tt.msg, log.String())
			}
			if !strings.Contains(log.String(), "x509: certificate signed by unknown authority") {
				t.Errorf("log does not carry the x509 reason:\n%s", log.String())
			}
		})
	}
}
