package cms

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// discoverFrom builds the DiscoverConfig the app would: configured nodes win, discovered ones
// get the emulator's credentials and client.
func discoverFrom(sim *cmssim.Sim, configured ...*Node) DiscoverConfig {
	dc := DiscoverConfig{Node: func(name, base string) NodeConfig {
		return NodeConfig{Username: sim.Username, Password: sim.Password, HTTPClient: sim.HTTPClient()}
	}}
	for _, n := range configured {
		dc.Configured = append(dc.Configured, n.cfg)
	}
	return dc
}

func TestPeersReadsListAndDetails(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 5, PageCaps: map[string]int{"callBridges": 2}})
	sim.SetSIPDomain("cb4", "cb4.example.com")
	peers := mustGet(nodes["cb2"].Peers(t.Context())).ok(t)
	if len(peers) != 5 {
		t.Fatalf("%d peers, want 5 (paging over a cap of 2)", len(peers))
	}
	for i, p := range peers {
		ni := sim.Nodes()[i]
		if p.Name != ni.Name || p.ID != ni.CallBridgeID || p.Address != ni.URL || p.Err != nil {
			t.Errorf("peer %d = %+v, want %s at %s", i, p, ni.Name, ni.URL)
		}
		if p.Self != (ni.Name == "cb2") {
			t.Errorf("%s: Self %v", p.Name, p.Self)
		}
	}
}

func TestDiscoverAddsThePeers(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 3})
	d, err := Discover(t.Context(), []*Node{nodes["cb1"]}, discoverFrom(sim, nodes["cb1"]))
	if err != nil {
		t.Fatal(err)
	}
	if d.From != "cb1" || len(d.Failed) != 0 {
		t.Fatalf("from %q, failed %v", d.From, d.Failed)
	}
	var added []string
	for _, c := range d.Added() {
		added = append(added, c.Name+"="+c.BaseURL)
		if c.Username != sim.Username || c.Password != sim.Password || c.HTTPClient == nil {
			t.Errorf("%s: the template's credentials and client were not applied", c.Name)
		}
		n, err := NewNode(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.SystemStatus(t.Context()); err != nil {
			t.Errorf("discovered %s does not answer: %v", c.Name, err)
		}
	}
	want := []string{"cb2=" + sim.Nodes()[1].URL, "cb3=" + sim.Nodes()[2].URL}
	if strings.Join(added, " ") != strings.Join(want, " ") {
		t.Errorf("added %v, want %v", added, want)
	}
	if f := d.Found[0]; f.Use || !strings.Contains(f.Reason, "configured as cb1") {
		t.Errorf("cb1 itself: %+v", f)
	}
}

// TestDiscoverConfiguredWins: a configured node wins over a peer of the same name (any case)
// or the same URL, whatever the peer's entry says.
func TestDiscoverConfiguredWins(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 4})
	// cb2 is configured under its own name but another URL (say through a proxy); cb3 under
	// another name with the URL the cluster lists.
	cb2, _ := NewNode(NodeConfig{Name: "CB2", BaseURL: "http://127.0.0.1:1", Username: "u", Password: "p"})
	site3, _ := NewNode(NodeConfig{Name: "site3", BaseURL: sim.Nodes()[2].URL + "/", Username: "u", Password: "p"})
	d, err := Discover(t.Context(), []*Node{nodes["cb1"]}, discoverFrom(sim, nodes["cb1"], cb2, site3))
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, f := range d.Found {
		reasons[f.Name] = f.Reason
	}
	if got := d.Added(); len(got) != 1 || got[0].Name != "cb4" {
		t.Fatalf("added %+v, want cb4 only", got)
	}
	if reasons["cb2"] != "configured as CB2" || reasons["cb3"] != "same URL as configured node site3" {
		t.Errorf("reasons %v", reasons)
	}
}

func TestDiscoverFallsBack(t *testing.T) {
	sim, nodes := startSimNodes(t, cmssim.Options{Nodes: 3})
	from := []*Node{nodes["cb1"], nodes["cb2"]}
	sim.SetDown("cb1", true)
	d, err := Discover(t.Context(), from, discoverFrom(sim, from...))
	if err != nil || d.From != "cb2" || len(d.Failed) != 1 || d.Failed[0].Node != "cb1" {
		t.Fatalf("one node down: from %q, failed %v, err %v", d.From, d.Failed, err)
	}
	if got := d.Added(); len(got) != 1 || got[0].Name != "cb3" {
		t.Errorf("added %+v", got)
	}

	sim.SetMalformed("cb2", true)
	d, err = Discover(t.Context(), from, discoverFrom(sim, from...))
	if !errors.Is(err, ErrDiscovery) || d.From != "" || len(d.Added()) != 0 || len(d.Failed) != 2 {
		t.Fatalf("no node answers: %+v, err %v", d, err)
	}
	for _, want := range []string{"cb1", "cb2", "peer discovery failed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), simPassword) {
		t.Error("the error shows the password")
	}
	if _, err := Discover(t.Context(), nil, DiscoverConfig{}); !errors.Is(err, ErrDiscovery) {
		t.Errorf("nothing to ask: %v", err)
	}
}

// TestDiscoverAddresses: what the cluster lists is used only when NFMM can call it.
func TestDiscoverAddresses(t *testing.T) {
	cases := []struct {
		address string
		port    int
		want    string // base URL, or a part of the reason
		use     bool
	}{
		{"https://cb2.cms.internal", 0, "https://cb2.cms.internal", true},
		{"https://cb2.cms.internal:8443/", 0, "https://cb2.cms.internal:8443", true},
		{"https://cb2.cms.internal/api/v1", 0, "https://cb2.cms.internal", true},
		{"cb2.cms.internal:445", 0, "https://cb2.cms.internal:445", true},
		{"https://14.80.82.30", 445, "https://14.80.82.30:445", true},
		{"https://[fd00::2]:443", 445, "https://[fd00::2]:445", true},
		{"", 0, "address is empty", false},
		{"http://cb2.cms.internal", 0, "plain http", false},
		{"http://127.0.0.1:8080", 0, "plain http", false}, // from an https node: a downgrade
		{"ftp://cb2.cms.internal", 0, "not an https:// URL", false},
		{"https://", 0, "no host", false},
		{"https://admin:pw@cb2", 0, "carries credentials", false},
		{"https://cb2/webadmin", 0, "has a path", false},
		{"https://cb2:99999", 0, "bad port", false},
		{"https://cb2?x=1", 0, "query", false},
	}
	for _, c := range cases {
		t.Run(c.address, func(t *testing.T) {
			dc := DiscoverConfig{Port: c.port, Node: func(string, string) NodeConfig { return NodeConfig{} }}
			f := PlanPeers("https://cb1.cms.internal:445", []Peer{{ID: "1", Name: "cb2", Address: c.address}}, dc)[0]
			if f.Use != c.use {
				t.Fatalf("use %v (%s), want %v", f.Use, f.Reason, c.use)
			}
			if c.use && f.Config.BaseURL != c.want {
				t.Errorf("URL %s, want %s", f.Config.BaseURL, c.want)
			}
			if !c.use && !strings.Contains(f.Reason, c.want) {
				t.Errorf("reason %q, want %q", f.Reason, c.want)
			}
			if strings.Contains(f.Reason, "pw") {
				t.Errorf("reason shows the credentials: %s", f.Reason)
			}
		})
	}
}

// TestPlanPeersHTTP: http only between loopback addresses, as CMS_NODES allows it (the
// emulator); a node reached over http cannot send NFMM's password across a network.
func TestPlanPeersHTTP(t *testing.T) {
	for address, use := range map[string]bool{
		"http://127.0.0.1:8080": true,
		"http://[::1]:8080":     true,
		"http://localhost:8080": true,
		"http://10.0.0.2:8080":  false,
		"https://10.0.0.2":      true,
	} {
		f := PlanPeers("http://127.0.0.1:9000", []Peer{{ID: "1", Name: "cb2", Address: address}}, DiscoverConfig{})[0]
		if f.Use != use {
			t.Errorf("%s from http://127.0.0.1: use %v (%s), want %v", address, f.Use, f.Reason, use)
		}
	}
}

func TestPlanPeersLimits(t *testing.T) {
	valid := func(name string) error {
		if strings.ContainsAny(name, " /") {
			return errors.New("no spaces")
		}
		return nil
	}
	peers := []Peer{
		{ID: "a", Name: "cb1", Address: "https://cb1", Self: true},
		{ID: "b", Name: "Core 2", Address: "https://core2"},
		{ID: "c", Name: "", Address: "https://anon"},
		{ID: "d", Name: "cb4", Err: ErrUnavailable},
		{ID: "e", Name: "cb5", Address: "https://cb5"},
		{ID: "f", Name: "CB5", Address: "https://cb5-again"},
		{ID: "g", Name: "cb7", Address: "https://cb5:443"},
		{ID: "h", Name: "cb8", Address: "https://cb8"},
	}
	var got []string
	for _, f := range PlanPeers("https://seed", peers, DiscoverConfig{ValidName: valid, MaxNodes: 2,
		Configured: []NodeConfig{{Name: "seed", BaseURL: "https://seed"}},
		Node:       func(string, string) NodeConfig { return NodeConfig{} }}) {
		got = append(got, fmt.Sprintf("%s:%v", f.ID, f.Use))
		if want := f.ID != "a" && f.ID != "e"; f.Unusable != want { // only itself and e are no problem
			t.Errorf("%s: Unusable %v (%s)", f.ID, f.Unusable, f.Reason)
		}
		if !f.Use && f.Reason == "" {
			t.Errorf("%s left out without a reason", f.ID)
		}
	}
	// a is itself, b's name is invalid, c has none, d failed, e joins, f and g repeat e (name,
	// URL), h finds the cluster full (seed + e = MaxNodes 2).
	if want := "a:false b:false c:false d:false e:true f:false g:false h:false"; strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestPeersBoundsTheList: a node listing more bridges than a cluster can have is refused
// before any detail is read, and a detail that names another bridge marks only that peer.
func TestPeersBoundsTheList(t *testing.T) {
	var details atomic.Int32
	list := func(n int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == "/api/v1/callBridges":
				var b strings.Builder
				fmt.Fprintf(&b, `<?xml version="1.0"?><callBridges total="%d">`, n)
				for i := range n {
					fmt.Fprintf(&b, `<callBridge id="id-%d"><name>cb%d</name></callBridge>`, i, i)
				}
				b.WriteString(`</callBridges>`)
				_, _ = w.Write([]byte(b.String()))
			case strings.HasPrefix(r.URL.Path, "/api/v1/callBridges/"):
				details.Add(1)
				id := strings.TrimPrefix(r.URL.Path, "/api/v1/callBridges/")
				name := "cb" + strings.TrimPrefix(id, "id-")
				if id == "id-1" {
					name = "someone-else"
				}
				fmt.Fprintf(w, `<?xml version="1.0"?><callBridge id="%s"><name>%s</name><address>https://%s</address></callBridge>`, id, name, name)
			default:
				http.NotFound(w, r)
			}
		}
	}
	big, _ := newTestNode(t, list(200))
	if _, err := big.Peers(t.Context()); !errors.Is(err, ErrMalformedResponse) || details.Load() != 0 {
		t.Errorf("200 bridges: err %v after %d detail reads", err, details.Load())
	}
	small, _ := newTestNode(t, list(3))
	peers, err := small.Peers(t.Context())
	if err != nil || len(peers) != 3 {
		t.Fatalf("peers %+v, err %v", peers, err)
	}
	if peers[1].Err == nil || peers[1].Address != "" || peers[0].Err != nil || peers[2].Address != "https://cb2" {
		t.Errorf("peers %+v", peers)
	}
	if peers[0].Self || peers[1].Self { // no /system/configuration/cluster here: nobody is Self
		t.Error("Self without a uniqueName")
	}
}
