package config

import (
	"strings"
	"testing"
)

// TestLoadDiscovery: discovery is off unless asked for, per cluster; a per-node override that
// names no configured node is kept for a node discovery may find, instead of being refused.
func TestLoadDiscovery(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		cluster  string // "" = the CMS_NODES cluster
		discover bool
		peers    Peers
		warning  string
	}{
		{"off by default", base, "", false, Peers{}, ""},
		{"single cluster", with("CMS_DISCOVER=on", "CMS_DISCOVER_PORT=445", "CMS_CB3_PASSWORD=cb3pw", "CMS_CB3_USERNAME=cb3-api"),
			"", true, Peers{Prefix: "CMS_", Port: 445, Username: "api", Password: password,
				Nodes: map[string]Node{"CB3": {Username: "cb3-api", Password: "cb3pw"}}}, ""},
		{"per cluster", withMulti("CMS_EMEA_DISCOVER=true", "CMS_EMEA_USERNAME=emea-api", "CMS_EMEA_CB_9_PASSWORD=cb9pw"),
			"emea", true, Peers{Prefix: "CMS_EMEA_", Username: "emea-api", Password: password,
				Nodes: map[string]Node{"CB_9": {Password: "cb9pw"}}}, ""},
		{"the other cluster stays off", withMulti("CMS_EMEA_DISCOVER=true"), "amer", false, Peers{}, ""},
		{"emulator", with("CMS_NODES=sim", "CMS_DISCOVER=true"), "", false, Peers{},
			"CMS_DISCOVER: ignored, CMS_NODES is the emulator, which configures every node itself"},
		{"port without discovery", with("CMS_DISCOVER_PORT=445"), "", false, Peers{},
			"CMS_DISCOVER_PORT: ignored without CMS_DISCOVER=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadEnviron(tt.env, ModeRun)
			if err != nil {
				t.Fatal(err)
			}
			var cl Cluster
			for _, x := range c.ClusterList() {
				if tt.cluster == "" || x.Name == tt.cluster {
					cl = x
					break
				}
			}
			eq(t, "Discover", cl.Discover, tt.discover)
			eq(t, "Peers", cl.Peers, tt.peers)
			if tt.warning != "" && !strings.Contains(strings.Join(c.Warnings, "\n"), tt.warning) {
				t.Errorf("warnings %q, want %q", c.Warnings, tt.warning)
			}
			assertNoSecret(t, c.String(), strings.Join(c.Warnings, "\n"))
		})
	}
}

func TestPeersAuth(t *testing.T) {
	p := Peers{Username: "api", Password: "shared", Nodes: map[string]Node{
		"CB_2":   {Password: "own"},
		"CORE_3": {Username: "core3", Password: "c3"},
	}}
	for _, tt := range []struct{ node, user, pass string }{
		{"cb1", "api", "shared"},
		{"cb-2", "api", "own"}, // the override's key is the node's env key
		{"Core.3", "core3", "c3"},
	} {
		u, pw := p.Auth(tt.node)
		if u != tt.user || pw.Reveal() != tt.pass {
			t.Errorf("%s: %s/%s, want %s/%s", tt.node, u, pw.Reveal(), tt.user, tt.pass)
		}
	}
}

func TestLoadDiscoveryProblems(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"not a boolean", with("CMS_DISCOVER=maybe"), `CMS_DISCOVER: "maybe" is not a boolean (use true or false)`},
		{"bad port", with("CMS_DISCOVER=on", "CMS_DISCOVER_PORT=70000"), "CMS_DISCOVER_PORT: 70000 is out of range: use 1 to 65535"},
		{"cluster port", withMulti("CMS_EMEA_DISCOVER=on", "CMS_EMEA_DISCOVER_PORT=x"), `CMS_EMEA_DISCOVER_PORT: "x" is not a whole number`},
		// Without discovery a typo in an override is still an error, not a silent default.
		{"override without discovery", with("CMS_CB3_PASSWORD=x"), "CMS_CB3_PASSWORD: no node named cb3 in CMS_NODES"},
		{"override in the cluster without discovery", withMulti("CMS_EMEA_DISCOVER=on",
			"CMS_AMER_NODES=cb1=https://cb1.amer.example.com", "CMS_AMER_CB3_PASSWORD=x"), "CMS_AMER_CB3_PASSWORD: cluster amer has no node cb3 (CMS_AMER_NODES: cb1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadEnviron(tt.env, ModeRun)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}
