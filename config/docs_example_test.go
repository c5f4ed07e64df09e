package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The examples of docs/configuration.md#several-clusters are configurations NFMM loads: a
// newcomer pasting them (with their own hosts and secrets) gets what the text says.
func TestSeveralClustersExamplesLoad(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	section, _, _ := strings.Cut(string(doc)[strings.Index(string(doc), "## Several clusters"):], "\n| variable |")
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) < 2 {
		t.Fatalf("want the two examples of the section, found %d", len(blocks))
	}
	ca := filepath.Join(testFiles(t), "ca.pem")
	env := []string{"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken}
	for _, b := range blocks[:2] {
		for _, line := range strings.Split(b[1], "\n") {
			line, _, _ = strings.Cut(line, "#")
			k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
			if !ok {
				continue
			}
			switch {
			case v == "…":
				v = password
			case strings.HasSuffix(k, "_CA_FILE"):
				v = ca // the example's path, made real
			}
			env = append(env, k+"="+v)
		}
	}
	c, err := LoadEnviron(env, ModeRun)
	if err != nil {
		t.Fatalf("the documented example does not load: %v\n%s", err, strings.Join(env, "\n"))
	}
	eq(t, "clusters", len(c.Clusters), 2)
	for _, cl := range c.Clusters {
		if len(cl.Nodes) != 4 || cl.Nodes[0].Name != "cb1" {
			t.Errorf("cluster %s: %d nodes %v, want cb1…cb4", cl.Name, len(cl.Nodes), cl.Nodes)
		}
	}
	emea, amer := c.Clusters[0], c.Clusters[1]
	eq(t, "emea's user", emea.Nodes[0].Username, "nfmm-emea")
	eq(t, "amer's user", amer.Nodes[0].Username, "nfmm-api")
	eq(t, "emea's CA file", emea.CAFile, ca)
	eq(t, "amer's concurrency", amer.Concurrency, 4)
	eq(t, "amer's operators", amer.Operators, []string{"S0AMEROPS"})
	eq(t, "amer discovers", amer.Discover, true)
	eq(t, "bindings", c.ChannelClusters, map[string]string{"C0EMEAOPS": "emea", "C0AMEROPS": "amer"})
}
