package config

import (
	"strings"
	"testing"
	"time"
)

// multi is a valid run-mode environment with two clusters.
var multi = []string{
	"SLACK_BOT_TOKEN=" + botToken,
	"SLACK_APP_TOKEN=" + appToken,
	"CMS_CLUSTERS=emea,amer",
	"CMS_EMEA_NODES=cb1=https://cb1.emea.example.com:445,cb2=https://cb2.emea.example.com",
	"CMS_AMER_NODES=sim:2",
	"CMS_USERNAME=api",
	"CMS_PASSWORD=" + password,
	"NFMM_OPERATORS=U0123ABCD",
}

func withMulti(extra ...string) []string { return append(append([]string{}, multi...), extra...) }

func TestLoadClusters(t *testing.T) {
	c, err := LoadEnviron(withMulti(
		"CMS_EMEA_USERNAME=emea-api", "CMS_EMEA_CB2_PASSWORD=cb2pw", "CMS_EMEA_TIMEOUT=3s", "CMS_TIMEOUT=20s",
		"CMS_AMER_CONCURRENCY=4", "CMS_AMER_OPERATORS=U0AMER1", "CMS_EMEA_VIEWERS=U0EMEAV", "CMS_EMEA_DISCOVER=true",
		"NFMM_CHANNEL_CLUSTERS=C0EMEA1=emea, C0AMER1=@amer",
		"NFMM_REPORT_SCHEDULE=@daily > C0EMEA1 @emea; 0 8 * * * > C0AMER1 @all; @hourly > #ops"), ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "flat nodes", len(c.Nodes), 0)
	eq(t, "clusters", len(c.Clusters), 2)
	emea, amer := c.Clusters[0], c.Clusters[1]
	eq(t, "emea", emea, Cluster{Name: "emea", Nodes: []Node{
		{Name: "cb1", URL: "https://cb1.emea.example.com:445", Username: "emea-api", Password: password},
		{Name: "cb2", URL: "https://cb2.emea.example.com", Username: "emea-api", Password: "cb2pw"},
	}, Timeout: 3 * time.Second, Concurrency: 8, Viewers: []string{"U0EMEAV"}, Discover: true,
		Peers: Peers{Prefix: "CMS_EMEA_", Username: "emea-api", Password: password}})
	eq(t, "amer", amer, Cluster{Name: "amer", SimNodes: 2, Timeout: 20 * time.Second, Concurrency: 4, Operators: []string{"U0AMER1"}})
	eq(t, "ClusterList", c.ClusterList(), c.Clusters)
	eq(t, "bindings", c.ChannelClusters, map[string]string{"C0EMEA1": "emea", "C0AMER1": "amer"})
	eq(t, "reports", c.Reports, []Report{
		{Spec: "@daily", Channel: "C0EMEA1", Cluster: "emea"},
		{Spec: "0 8 * * *", Channel: "C0AMER1", Cluster: "all"},
		{Spec: "@hourly", Channel: "#ops"},
	})
	if s := c.String(); !strings.Contains(s, "cms_clusters=emea[") || !strings.Contains(s, "channel_clusters=C0AMER1=amer,C0EMEA1=emea") || strings.Contains(s, "SECRET") {
		t.Errorf("String() = %s", s)
	}
}

// With CMS_NODES, the shared variables and per-node credentials stay what they were (a
// CMS_<CLUSTER>_… variable next to CMS_NODES is a problem: TestLoadClusterProblems).
func TestSingleClusterVariablesStay(t *testing.T) {
	if _, err := LoadEnviron(with("CMS_TIMEOUT=3s", "CMS_CA_FILE=", "CMS_DISCOVER=false", "CMS_CB1_USERNAME=x", "CMS_EVENTS=off"), ModeRun); err != nil {
		t.Errorf("single-cluster variables: %v", err)
	}
}

// CMS_NODES keeps meaning one cluster, named "default" (alert fingerprints and metrics use it).
func TestSingleClusterIsDefault(t *testing.T) {
	c, err := LoadEnviron(with("NFMM_CHANNEL_CLUSTERS=C0123ABCD=default"), ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	got := c.ClusterList()
	eq(t, "one cluster", len(got), 1)
	eq(t, "name", got[0].Name, DefaultCluster)
	eq(t, "nodes", got[0].Nodes, c.Nodes)
	eq(t, "timeout", got[0].Timeout, c.CMSTimeout)
	eq(t, "Clusters", len(c.Clusters), 0)
}

func TestLoadClusterProblems(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"both forms", withMulti("CMS_NODES=sim"), []string{
			"CMS_NODES: set either CMS_NODES (one cluster) or CMS_CLUSTERS with CMS_<CLUSTER>_NODES per cluster, not both",
		}},
		{"bad, reserved, duplicate and colliding names", withMulti("CMS_CLUSTERS=emea,all,e/u,emea,am-er,am.er", "CMS_AM_ER_NODES=sim"), []string{
			`CMS_CLUSTERS: "all" is reserved (@all means every cluster); rename the cluster`,
			`CMS_CLUSTERS: cluster name "e/u" must be 1-32 letters, digits, '.', '_' or '-'`,
			"CMS_CLUSTERS: cluster name emea appears twice",
			"CMS_CLUSTERS: cluster names am-er and am.er both map to CMS_AM_ER_*; rename one",
		}},
		{"a cluster without nodes", withMulti("CMS_CLUSTERS=emea,apac"), []string{
			"CMS_APAC_NODES: required for cluster apac: name=https://host:port,name2=https://host2:port (or sim / sim:N for the emulator)",
			"CMS_AMER_NODES: CMS_CLUSTERS (emea, apac) has no cluster amer: add it there, or remove the variable",
		}},
		{"per-cluster values named exactly", withMulti("CMS_EMEA_TIMEOUT=forever", "CMS_AMER_CONCURRENCY=0", "CMS_EMEA_NODES=cb1=http://cb1.example.com",
			"CMS_AMER_OPERATORS=alice", "CMS_EMEA_DISCOVER=maybe", "CMS_EMEA_CA_FILE=/nonexistent/ca.pem"), []string{
			"CMS_EMEA_NODES: node cb1: URL must use https:// (plain http:// is allowed only for 127.0.0.1, ::1 and localhost, i.e. the emulators)",
			"CMS_EMEA_CA_FILE: cannot read the CA bundle: open /nonexistent/ca.pem: no such file or directory",
			`CMS_EMEA_TIMEOUT: "forever" is not a duration (e.g. 10s, 1m30s)`,
			`CMS_EMEA_DISCOVER: "maybe" is not a boolean (use true or false)`,
			"CMS_AMER_CONCURRENCY: 0 is out of range: use 1 to 64",
			`CMS_AMER_OPERATORS: "alice" is not a Slack user id (U…/W…), user-group id (S…) or * (profile → ⋮ → Copy member ID)`,
		}},
		{"credentials per cluster", []string{"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken, "CMS_CLUSTERS=emea", "CMS_EMEA_NODES=cb1=https://a.example.com"}, []string{
			"CMS_EMEA_USERNAME: required for node cb1 (or set CMS_USERNAME for every cluster, or CMS_EMEA_<NAME>_USERNAME per node)",
			"CMS_EMEA_PASSWORD: required for node cb1 (or set CMS_PASSWORD for every cluster, or CMS_EMEA_<NAME>_PASSWORD per node)",
		}},
		{"override naming no node", withMulti("CMS_EMEA_CB9_PASSWORD=x", "CMS_CB1_PASSWORD=x", "CMS_APAC_CB1_USERNAME=x"), []string{
			"CMS_APAC_CB1_USERNAME: no cluster in CMS_CLUSTERS, nor node in a CMS_<CLUSTER>_NODES, is called apac_cb1",
			"CMS_CB1_PASSWORD: no cluster in CMS_CLUSTERS, nor node in a CMS_<CLUSTER>_NODES, is called cb1",
			"CMS_EMEA_CB9_PASSWORD: cluster emea has no node cb9 (CMS_EMEA_NODES: cb1, cb2)",
		}},
		{"a stray comma", withMulti("CMS_CLUSTERS=emea,,amer"), []string{
			"CMS_CLUSTERS: entry 2 is empty (stray comma?)",
		}},
		// A cluster's variables without the cluster in CMS_CLUSTERS would be ignored silently:
		// a cluster left out (or misspelt) would never be served.
		{"variables of a cluster CMS_CLUSTERS does not list", withMulti("CMS_APAC_NODES=sim", "CMS_APAC_TIMEOUT=3s",
			"CMS_EMEA_CB1_TIMEOUT=3s", "CMS_AMRE_OPERATORS=U0123ABCD", "CMS_AMER_DISCOVER_PORT=", "CMS_EVENTS=off"), []string{
			"CMS_AMRE_OPERATORS: CMS_CLUSTERS (emea, amer) has no cluster amre: add it there, or remove the variable",
			"CMS_APAC_NODES: CMS_CLUSTERS (emea, amer) has no cluster apac: add it there, or remove the variable",
			"CMS_APAC_TIMEOUT: CMS_CLUSTERS (emea, amer) has no cluster apac: add it there, or remove the variable",
			"CMS_EMEA_CB1_TIMEOUT: CMS_CLUSTERS (emea, amer) has no cluster emea_cb1: add it there, or remove the variable",
		}},
		{"bindings", withMulti("NFMM_CHANNEL_CLUSTERS=C0123=apac,general=emea,C0456,C0789=emea,C0789=amer"), []string{
			`NFMM_CHANNEL_CLUSTERS: entry 1: no cluster named "apac" (clusters: emea, amer)`,
			`NFMM_CHANNEL_CLUSTERS: entry 2: "general" is not a channel id (C…, G… or D…)`,
			`NFMM_CHANNEL_CLUSTERS: entry 3 "C0456" is not CHANNEL=cluster (e.g. C0123ABCD=emea)`,
			"NFMM_CHANNEL_CLUSTERS: channel C0789 is bound twice",
		}},
		{"a cluster variable next to CMS_NODES (CMS_CLUSTERS forgotten)", with("CMS_EMEA_NODES=sim", "CMS_EMEA_OPERATORS=U0123ABCD"), []string{
			"CMS_EMEA_NODES: configures cluster emea, but CMS_CLUSTERS is not set (CMS_NODES is the one cluster): set CMS_CLUSTERS=emea,… and CMS_<CLUSTER>_NODES for each instead of CMS_NODES",
			"CMS_EMEA_OPERATORS: configures cluster emea, but CMS_CLUSTERS is not set (CMS_NODES is the one cluster): set CMS_CLUSTERS=emea,… and CMS_<CLUSTER>_NODES for each instead of CMS_NODES",
		}},
		{"a cluster variable instead of CMS_NODES", []string{"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken, "CMS_EMEA_NODES=sim"}, []string{
			"CMS_NODES: required: name=https://host:port,name2=https://host2:port (or set CMS_NODES=sim to try the emulator)",
			"CMS_EMEA_NODES: configures cluster emea, but CMS_CLUSTERS is not set (CMS_NODES is the one cluster): set CMS_CLUSTERS=emea,… and CMS_<CLUSTER>_NODES for each instead of CMS_NODES",
		}},
		{"a report naming no cluster", withMulti("NFMM_REPORT_SCHEDULE=@daily > C0123 @apac"), []string{
			`NFMM_REPORT_SCHEDULE: entry 1 "@daily > C0123 @apac": no cluster named "apac" (clusters: emea, amer, or @all)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadEnviron(tt.env, ModeRun)
			var got []string
			if e, ok := err.(*Error); ok {
				for _, p := range e.Problems {
					got = append(got, p.Error())
				}
			} else if err != nil {
				t.Fatal(err)
			}
			eq(t, "problems", got, tt.want)
		})
	}
}
