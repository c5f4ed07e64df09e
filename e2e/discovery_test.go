package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// Peer discovery end to end (issue 19): `nfmm exec` configured with one node of an emulated
// 3-node cluster and CMS_DISCOVER=on finds the other two in /callBridges and uses them; a
// configured node wins over a discovered one; a discovery that fails leaves the configured
// nodes working.

// discoverySim is a 3-node cluster with one meeting hosted on each node only, so a meeting
// in the answer proves its node was read.
func discoverySim(t *testing.T) *cmssim.Sim {
	t.Helper()
	sim, err := cmssim.Start(cmssim.Options{Nodes: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	for _, n := range sim.Nodes() {
		sim.AddMeeting(cmssim.MeetingSpec{Name: "Only on " + n.Name, Participants: []cmssim.ParticipantSpec{
			{Name: "Host " + n.Name, Node: n.Name}, {Name: "Guest " + n.Name, Node: n.Name}}})
	}
	t.Setenv("CMS_USERNAME", sim.Username)
	t.Setenv("CMS_PASSWORD", sim.Password)
	t.Setenv("CMS_TIMEOUT", "2s")
	t.Setenv("CMS_DISCOVER", "on")
	return sim
}

type nodeHealth struct {
	Node      string `json:"node"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error"`
}

// execStatus runs `exec --json status` and returns each node's health by name.
func execStatus(t *testing.T) (map[string]nodeHealth, []string, string) {
	t.Helper()
	_, out, errOut := runExec(t, "--json", "status")
	var doc struct {
		Result struct {
			Nodes []nodeHealth `json:"nodes"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("status is not JSON: %v\n%s\n%s", err, out, errOut)
	}
	byName := map[string]nodeHealth{}
	var order []string
	for _, n := range doc.Result.Nodes {
		byName[n.Node] = n
		order = append(order, n.Node)
	}
	return byName, order, errOut
}

// execMeetings runs `exec --json calls [args…]` and returns the meeting names and the exit code.
func execMeetings(t *testing.T, args ...string) ([]string, int, string) {
	t.Helper()
	code, out, errOut := runExec(t, append([]string{"--json", "calls"}, args...)...)
	var doc struct {
		Result struct {
			Meetings []struct {
				Name string `json:"name"`
			} `json:"meetings"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("calls is not JSON: %v\n%s\n%s", err, out, errOut)
	}
	var names []string
	for _, m := range doc.Result.Meetings {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names, code, errOut
}

func TestDiscoveryFindsThePeers(t *testing.T) {
	sim := discoverySim(t)
	nodes := sim.Nodes()
	t.Setenv("CMS_NODES", "cb1="+nodes[0].URL)
	t.Setenv("NFMM_LOG_LEVEL", "debug")
	status, order, errOut := execStatus(t)
	if got := strings.Join(order, ","); got != "cb1,cb2,cb3" {
		t.Fatalf("nodes %s, want cb1 (configured) then cb2, cb3 (discovered)\n%s", got, errOut)
	}
	for _, n := range order {
		if !status[n].Reachable {
			t.Errorf("%s unreachable: %s", n, status[n].Error)
		}
	}
	for _, want := range []string{"peer discovery: added a node", "node=cb2", "node=cb3", "from=cb1"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the log does not say %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, sim.Password) {
		t.Error("the log shows the password")
	}
	t.Setenv("NFMM_LOG_LEVEL", "")
	meetings, code, errOut := execMeetings(t)
	if want := []string{"Only on cb1", "Only on cb2", "Only on cb3"}; code != 0 || !slices.Equal(meetings, want) {
		t.Errorf("calls: exit %d, meetings %v, want %v\n%s", code, meetings, want, errOut)
	}
	if errOut != "" {
		t.Errorf("a discovery that went well says nothing at the default level: %s", errOut)
	}

	// Without discovery the same configuration is one node.
	t.Setenv("CMS_DISCOVER", "off")
	if _, order, _ := execStatus(t); strings.Join(order, ",") != "cb1" {
		t.Errorf("discovery off: nodes %v", order)
	}
}

// TestDiscoveryConfiguredWins: the cluster lists cb2 at an address where nothing answers (the
// Web Admin's, say: callBridges holds what an administrator typed, not where the API is).
// Configured under its name, cb2 is reached at its configured URL; left to discovery, it is
// called where the cluster says and reported unreachable, never guessed at. A per-node
// credential override applies to a discovered node too.
func TestDiscoveryConfiguredWins(t *testing.T) {
	sim := discoverySim(t)
	nodes := sim.Nodes()
	webAdmin := closedURL(t)
	sim.SetAddress("cb2", webAdmin)
	sim.SetCredentials("cb3", "cb3-api", "cb3-own-password")
	t.Setenv("CMS_CB3_USERNAME", "cb3-api")
	t.Setenv("CMS_CB3_PASSWORD", "cb3-own-password")

	t.Setenv("CMS_NODES", "cb1="+nodes[0].URL+",cb2="+nodes[1].URL)
	status, order, errOut := execStatus(t)
	if strings.Join(order, ",") != "cb1,cb2,cb3" || !status["cb1"].Reachable || !status["cb2"].Reachable || !status["cb3"].Reachable {
		t.Errorf("cb2 configured: %v %+v\n%s", order, status, errOut)
	}
	meetings, _, _ := execMeetings(t)
	if !slices.Contains(meetings, "Only on cb2") || !slices.Contains(meetings, "Only on cb3") {
		t.Errorf("cb2 configured: meetings %v", meetings)
	}

	t.Setenv("CMS_NODES", "cb1="+nodes[0].URL)
	status, order, _ = execStatus(t)
	if strings.Join(order, ",") != "cb1,cb2,cb3" || status["cb2"].Reachable || !status["cb3"].Reachable {
		t.Errorf("cb2 discovered at %s: %v %+v", webAdmin, order, status)
	}

	// A configured node under another name with the URL the cluster lists is the same node.
	sim.SetAddress("cb2", "")
	t.Setenv("CMS_NODES", "cb1="+nodes[0].URL+",site-b="+nodes[1].URL)
	if _, order, _ := execStatus(t); strings.Join(order, ",") != "cb1,site-b,cb3" {
		t.Errorf("same URL: nodes %v, want cb1,site-b,cb3", order)
	}
}

// TestDiscoveryFallsBack: discovery that cannot be done is a clear log line, and NFMM runs
// with the configured nodes.
func TestDiscoveryFallsBack(t *testing.T) {
	sim := discoverySim(t)
	nodes := sim.Nodes()

	t.Run("bad answer", func(t *testing.T) {
		// cb1 answers everything but /callBridges, which comes back cut short.
		target, _ := url.Parse(nodes[0].URL)
		proxy := httputil.NewSingleHostReverseProxy(target)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(strings.ToLower(r.URL.Path), "/api/v1/callbridges") {
				w.Header().Set("Content-Type", "text/xml")
				_, _ = w.Write([]byte(`<?xml version="1.0"?><callBridges total="3"><callBridge id="`))
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		t.Setenv("CMS_NODES", "cb1="+srv.URL)
		meetings, code, errOut := execMeetings(t)
		if code != 0 || !slices.Equal(meetings, []string{"Only on cb1"}) {
			t.Errorf("exit %d, meetings %v; want cb1's alone\n%s", code, meetings, errOut)
		}
		for _, want := range []string{"peer discovery failed: using the configured nodes only", "cluster=default", "configured=1", "malformed"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr does not say %q:\n%s", want, errOut)
			}
		}
	})

	t.Run("first node down", func(t *testing.T) {
		// Every node knows every peer: when the first configured node is down, the next one
		// is asked.
		down := closedURL(t)
		t.Setenv("CMS_NODES", "cb0="+down+",cb1="+nodes[0].URL)
		status, order, errOut := execStatus(t)
		if strings.Join(order, ",") != "cb0,cb1,cb2,cb3" || status["cb0"].Reachable || !status["cb3"].Reachable {
			t.Errorf("nodes %v %+v\n%s", order, status, errOut)
		}
		if !strings.Contains(errOut, "could not list its cluster's call bridges") || !strings.Contains(errOut, "node=cb0") {
			t.Errorf("stderr does not name cb0's failure:\n%s", errOut)
		}
	})

	t.Run("address NFMM cannot use", func(t *testing.T) {
		sim.SetAddress("cb3", "https://cb3.cms.internal/webadmin")
		t.Cleanup(func() { sim.SetAddress("cb3", "") })
		t.Setenv("CMS_NODES", "cb1="+nodes[0].URL)
		_, order, errOut := execStatus(t)
		if strings.Join(order, ",") != "cb1,cb2" {
			t.Errorf("nodes %v, want cb1,cb2\n%s", order, errOut)
		}
		for _, want := range []string{"peer discovery: left out a peer", "node=cb3", "has a path"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr does not say %q:\n%s", want, errOut)
			}
		}
	})

	t.Run("every node down", func(t *testing.T) {
		t.Setenv("CMS_NODES", "cb1="+closedURL(t))
		code, _, errOut := runExec(t, "calls")
		if code != 3 || !strings.Contains(errOut, "peer discovery failed") || strings.Contains(errOut, "panic") {
			t.Errorf("exit %d, want 3 (no node answered)\n%s", code, errOut)
		}
	})
}

// TestDiscoveryOverTLS: discovered nodes are verified with the cluster's CA file, like the
// configured ones, against the name in the address the cluster lists.
func TestDiscoveryOverTLS(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 3, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	ca := filepath.Join(t.TempDir(), "cms-ca.pem")
	if err := os.WriteFile(ca, sim.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CMS_USERNAME", sim.Username)
	t.Setenv("CMS_PASSWORD", sim.Password)
	t.Setenv("CMS_TIMEOUT", "2s")
	t.Setenv("CMS_DISCOVER", "on")
	t.Setenv("CMS_CA_FILE", ca)
	t.Setenv("CMS_NODES", "cb1="+sim.Nodes()[0].URL)
	status, order, errOut := execStatus(t)
	if strings.Join(order, ",") != "cb1,cb2,cb3" || !status["cb2"].Reachable || !status["cb3"].Reachable {
		t.Errorf("nodes %v %+v\n%s", order, status, errOut)
	}
	// Without the CA even cb1 cannot be verified: discovery fails, saying it is the
	// certificate, and NFMM runs with cb1 alone (unreachable, with the same reason).
	t.Setenv("CMS_CA_FILE", "")
	status, order, errOut = execStatus(t)
	if strings.Join(order, ",") != "cb1" || status["cb1"].Reachable || !strings.Contains(errOut, "peer discovery failed") ||
		!strings.Contains(errOut, "certificate") {
		t.Errorf("no CA: nodes %v %+v\n%s", order, status, errOut)
	}
}
