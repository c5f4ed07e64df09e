package e2e

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// TestDiscoveryPerCluster: with CMS_CLUSTERS, discovery is per cluster. emea configures one of
// its three nodes and discovers the other two; amer, without discovery, keeps exactly the node it
// configures although its cluster has two; `@all` shows both, each node under its cluster.
func TestDiscoveryPerCluster(t *testing.T) {
	cs, err := cmssim.StartClusters(cmssim.Options{Cluster: "emea", Nodes: 3}, cmssim.Options{Cluster: "amer", Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cs.Close)
	emea, _ := cs.Cluster("emea")
	amer, _ := cs.Cluster("amer")
	for _, sim := range cs.All() {
		for _, n := range sim.Nodes() {
			sim.AddMeeting(cmssim.MeetingSpec{Name: "Only on " + n.Name, Participants: []cmssim.ParticipantSpec{
				{Name: "Host " + n.Name, Node: n.Name}}})
		}
	}
	t.Setenv("CMS_NODES", "")
	t.Setenv("CMS_CLUSTERS", "emea,amer")
	t.Setenv("CMS_EMEA_NODES", "emea-cb1="+emea.Nodes()[0].URL)
	t.Setenv("CMS_EMEA_DISCOVER", "true")
	t.Setenv("CMS_AMER_NODES", "amer-cb1="+amer.Nodes()[0].URL)
	t.Setenv("CMS_USERNAME", emea.Username)
	t.Setenv("CMS_PASSWORD", emea.Password)
	t.Setenv("CMS_TIMEOUT", "2s")

	code, out, errOut := runExec(t, "--json", "status", "@all")
	var doc struct {
		Result struct {
			Nodes []struct {
				Node      string `json:"node"`
				Cluster   string `json:"cluster"`
				Reachable bool   `json:"reachable"`
			} `json:"nodes"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	var got []string
	for _, n := range doc.Result.Nodes {
		got = append(got, n.Cluster+"/"+n.Node)
		if !n.Reachable {
			t.Errorf("%s/%s unreachable", n.Cluster, n.Node)
		}
	}
	slices.Sort(got)
	want := []string{"amer/amer-cb1", "emea/emea-cb1", "emea/emea-cb2", "emea/emea-cb3"}
	if !slices.Equal(got, want) {
		t.Errorf("nodes %v, want %v\n%s", got, want, errOut)
	}

	meetings, code, errOut := execMeetings(t, "@emea")
	if want := []string{"Only on emea-cb1", "Only on emea-cb2", "Only on emea-cb3"}; code != 0 || !slices.Equal(meetings, want) {
		t.Errorf("calls @emea: exit %d, %v, want %v\n%s", code, meetings, want, errOut)
	}
}
