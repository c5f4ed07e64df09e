package commands

import (
	"context"
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
	nodes := append(e.svc.cluster.Nodes(), evil)
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
