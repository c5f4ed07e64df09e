package cmssim

import (
	"net/http"
	"strings"
	"testing"
)

// TestCallBridgesListEveryPeer: every node of a cluster lists every call bridge of the
// cluster, itself included, paged like any list; the list holds id and name only and the
// detail adds address and sipDomain (cms-api.md §3.8, the blueprint's "call bridge").
func TestCallBridgesListEveryPeer(t *testing.T) {
	s := start(t, Options{Nodes: 5, PageCaps: map[string]int{"callBridges": 2}})
	nodes := s.Nodes()
	for _, n := range nodes {
		if page := get(t, s, n.Name, "callBridges"); len(page.Kids) != 2 || page.attr("total") != "5" {
			t.Fatalf("%s: first page %d items, total %s; want 2 of 5", n.Name, len(page.Kids), page.attr("total"))
		}
		listed := all(t, s, n.Name, "callBridges")
		if len(listed) != len(nodes) {
			t.Fatalf("%s lists %d bridges, want %d", n.Name, len(listed), len(nodes))
		}
		for i, b := range listed {
			peer := nodes[i]
			if b.XMLName.Local != "callBridge" || b.attr("id") != peer.CallBridgeID || b.text("name") != peer.Name {
				t.Errorf("%s: entry %d = %v, want %s (%s)", n.Name, i, b, peer.Name, peer.CallBridgeID)
			}
			if got := strings.Join(b.names(), ","); got != "name" {
				t.Errorf("%s: list entry has %s, want name only", n.Name, got)
			}
			d := get(t, s, n.Name, "callBridges/"+b.attr("id"))
			if got := strings.Join(d.names(), ","); got != "name,address,sipDomain" {
				t.Errorf("%s: detail of %s has %s", n.Name, peer.Name, got)
			}
		}
	}
	if got := failureReason(t, do(t, s, "cb1", http.MethodGet, "callBridges/"+s.Nodes()[0].CallBridgeID+"x", nil)); got != "callBridgeDoesNotExist" {
		t.Errorf("unknown id: %s", got)
	}
}

// TestCallBridgeAddressIsWhatTheClusterSays documents what <address> means. It is the peer's
// Web Admin/API URL as an administrator configured it in the cluster: by default the emulator
// lists each node's own URL, but on a real cluster it may name a host NFMM cannot resolve or
// reach, the Web Admin port when the API was moved to another one, or no port at all. Nothing
// checks it: a client must treat it as a hint, never as proof that the API answers there.
func TestCallBridgeAddressIsWhatTheClusterSays(t *testing.T) {
	s := start(t, Options{Nodes: 3})
	cb2 := s.Nodes()[1]
	address := func(from string) string {
		return get(t, s, from, "callBridges/"+cb2.CallBridgeID).text("address")
	}
	if got := address("cb1"); got != cb2.URL {
		t.Fatalf("default address %q, want the node's own URL %q", got, cb2.URL)
	}
	for _, configured := range []string{
		"https://cb2.cms.internal",  // a name only the cluster resolves, default port
		"https://127.0.0.1:1",       // the Web Admin port, not where the API listens
		"cb2.cms.internal:445",      // no scheme: CMS stores what was typed
		"http://10.0.0.2:8080/path", // plain HTTP, with a path
	} {
		if !s.SetAddress("cb2", configured) {
			t.Fatal("SetAddress(cb2) = false")
		}
		for _, from := range []string{"cb1", "cb2", "cb3"} { // one cluster database: every node agrees
			if got := address(from); got != configured {
				t.Errorf("%s: address %q, want %q", from, got, configured)
			}
		}
		get(t, s, "cb2", "system/status") // the node itself still answers where it listens
	}
	s.SetAddress("cb2", "")
	if got := address("cb3"); got != cb2.URL {
		t.Errorf("after reset: %q, want %q", got, cb2.URL)
	}
	s.SetSIPDomain("cb2", "cb2.example.com")
	if got := get(t, s, "cb1", "callBridges/"+cb2.CallBridgeID).text("sipDomain"); got != "cb2.example.com" {
		t.Errorf("sipDomain %q", got)
	}
	if s.SetAddress("cb9", "x") || s.SetSIPDomain("cb9", "x") || s.SetCredentials("cb9", "u", "p") {
		t.Error("an unknown node was accepted")
	}
}

// TestSetCredentials: one node with an API user of its own refuses the cluster's, the others
// keep theirs.
func TestSetCredentials(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	s.SetCredentials("cb2", "cb2-api", "cb2-secret")
	cases := []struct {
		node, user, pass string
		want             int
	}{
		{"cb1", s.Username, s.Password, http.StatusOK},
		{"cb2", s.Username, s.Password, http.StatusUnauthorized},
		{"cb2", "cb2-api", "cb2-secret", http.StatusOK},
		{"cb1", "cb2-api", "cb2-secret", http.StatusUnauthorized},
	}
	for _, c := range cases {
		if r := doAuth(t, s, c.node, http.MethodGet, "callBridges", nil, c.user, c.pass); r.status != c.want {
			t.Errorf("%s as %s: %d, want %d", c.node, c.user, r.status, c.want)
		}
	}
	s.SetCredentials("cb2", "", "")
	if r := do(t, s, "cb2", http.MethodGet, "callBridges", nil); r.status != http.StatusOK {
		t.Errorf("after reset: %d", r.status)
	}
}

// TestStartClusters: several clusters side by side, each with its own nodes, meetings and
// callBridges, and no id in common even with one seed.
func TestStartClusters(t *testing.T) {
	cs, err := StartClusters(
		Options{Cluster: "emea", Nodes: 3, Scenario: ScenarioDemo, Seed: 1},
		Options{Cluster: "amer", Nodes: 2, Scenario: ScenarioDemo, Seed: 1},
		Options{Cluster: "apac", Nodes: 1},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cs.Close)
	if got := strings.Join(cs.Names(), ","); got != "emea,amer,apac" {
		t.Fatalf("names %s", got)
	}
	ids := map[string]string{} // every id -> the cluster that has it
	claim := func(cluster, id string) {
		if prev, dup := ids[id]; dup {
			t.Errorf("id %s in %s and %s", id, prev, cluster)
		}
		ids[id] = cluster
	}
	for i, s := range cs.All() {
		name := cs.Names()[i]
		if got, ok := cs.Cluster(strings.ToUpper(name)); !ok || got != s || s.Cluster() != name {
			t.Errorf("Cluster(%s) = %v, %v", name, got, ok)
		}
		for j, n := range s.Nodes() {
			if want := name + "-cb" + itoa(j+1); n.Name != want {
				t.Errorf("node %s, want %s", n.Name, want)
			}
			claim(name, n.CallBridgeID)
			listed := all(t, s, n.Name, "callBridges")
			if len(listed) != len(s.Nodes()) {
				t.Errorf("%s lists %d bridges, want its own %d", n.Name, len(listed), len(s.Nodes()))
			}
			if got := get(t, s, n.Name, "system/configuration/cluster").text("uniqueName"); got != n.Name {
				t.Errorf("%s: uniqueName %s", n.Name, got)
			}
		}
		for _, m := range s.Meetings() {
			claim(name, m.Correlator)
			for _, l := range m.Legs {
				claim(name, l.ID)
			}
		}
	}
	emea, _ := cs.Cluster("emea")
	amer, _ := cs.Cluster("amer")
	if len(emea.Meetings()) == 0 || len(amer.Meetings()) == 0 {
		t.Fatal("demo clusters without meetings")
	}
	emea.SetDown("emea-cb1", true) // faults stay in their cluster
	get(t, amer, "amer-cb1", "calls")
	if _, ok := cs.Cluster("nowhere"); ok {
		t.Error("unknown cluster found")
	}
}

func TestStartClustersRefuses(t *testing.T) {
	cases := map[string][]Options{
		"no cluster":   nil,
		"nameless":     {{Cluster: "a"}, {}},
		"twice":        {{Cluster: "emea"}, {Cluster: "EMEA"}},
		"bad name":     {{Cluster: "e mea"}},
		"too long":     {{Cluster: strings.Repeat("x", 28)}},
		"bad in later": {{Cluster: "ok", Nodes: 1}, {Cluster: "ok2", Nodes: 99}},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			cs, err := StartClusters(opts...)
			if err == nil {
				cs.Close()
				t.Fatal("started")
			}
		})
	}
	// A lone named cluster is fine too: Start takes the name.
	s := start(t, Options{Cluster: "lab", Nodes: 1})
	if s.Nodes()[0].Name != "lab-cb1" {
		t.Errorf("node %s", s.Nodes()[0].Name)
	}
}
