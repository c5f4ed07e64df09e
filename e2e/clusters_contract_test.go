package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// TestRunClustersContract reads issue 19's sentences against `nfmm run` over two emulated
// clusters (nfmm sim --clusters' form), as a tester who knows only the docs would.
func TestRunClustersContract(t *testing.T) {
	cs, err := cmssim.StartClusters(cmssim.Options{Cluster: "emea", Nodes: 2, Scenario: cmssim.ScenarioDemo},
		cmssim.Options{Cluster: "amer", Nodes: 2, Scenario: cmssim.ScenarioDemo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cs.Close)
	const (
		viewer, amerOp = "U0VIEWER01", "U0AMEROP01"
		emeaCh, dm     = "C0EMEA0001", "D0DIRECT01"
	)
	emea, _ := cs.Cluster("emea")
	amer, _ := cs.Cluster("amer")
	fake := slackfake.NewTest(t)
	run := startRun(t, map[string]string{
		"SLACK_BOT_TOKEN":       "xoxb-1111111111-2222222222-contracttesttokenvalue",
		"SLACK_APP_TOKEN":       "xapp-1-A0123456789-3333333333-contracttesttokenvalue",
		"SLACK_API_URL":         fake.APIURL(),
		"CMS_NODES":             "",
		"CMS_CLUSTERS":          "emea,amer",
		"CMS_EMEA_NODES":        cmsNodesValue(emea),
		"CMS_AMER_NODES":        cmsNodesValue(amer),
		"CMS_USERNAME":          emea.Username,
		"CMS_PASSWORD":          emea.Password,
		"NFMM_CHANNEL_CLUSTERS": emeaCh + "=emea",
		"CMS_AMER_OPERATORS":    amerOp,
		"NFMM_HTTP_ADDR":        "off",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatalf("nfmm run did not connect: %v\n%s", err, run.stderr.String())
	}
	// answer runs a command and returns the private answer containing want.
	answer := func(user, channel, text, want string) slackfake.Message {
		t.Helper()
		before := len(fake.EphemeralFor(user, channel))
		if _, err := fake.SlashCommand(user, channel, "/cms", text); err != nil {
			t.Fatal(err)
		}
		var got slackfake.Message
		err := fake.WaitFor(ctx, func() bool {
			for _, m := range fake.EphemeralFor(user, channel)[before:] {
				if strings.Contains(m.Text+string(m.Blocks), want) {
					got = m
					return true
				}
			}
			return false
		})
		if err != nil {
			var seen []string
			for _, m := range fake.EphemeralFor(user, channel) {
				seen = append(seen, m.Text)
			}
			t.Fatalf("%s in %s: no answer with %q: %v\nanswers: %q\n%s", text, channel, want, err, seen, run.stderr.String())
		}
		return got
	}
	for _, tt := range []struct{ text, want string }{
		// @all: the cluster on every line; one cluster's answer names it in its header.
		{"status @all", "emea/emea-cb1"},
		{"status @all", "amer/amer-cb2"},
		{"status @all", "nodes reachable · every cluster"},
		{"report @all", "*amer/amer-cb1*"},
		{"report @all", "cluster amer · 40 participants"},
		{"calls @all", "cluster emea · "},
		{"calls @amer", "amer-cb1, amer-cb2 · cluster amer"},
		{"status", "nodes reachable · cluster emea"}, // the channel's cluster
		{"calls @nosuch", `There is no cluster "nosuch"; clusters are emea, amer.`},
		{"mute 1234 @all", "`@all` works with calls, status and report; name one cluster (emea, amer) for mute."},
		{"calls @emea @amer", "Name one cluster: `@emea` or `@amer`, not both."},
	} {
		answer(viewer, emeaCh, tt.text, tt.want)
	}
	// A DM asks which cluster, with a button per cluster; status offers @all too.
	choice := answer(viewer, dm, "status", "Which cluster?")
	for _, c := range []string{`"status @emea"`, `"status @amer"`, `"status @all"`, "a direct message has no default cluster"} {
		if !strings.Contains(string(choice.Blocks), c) {
			t.Errorf("the DM's question has no %s:\n%s", c, choice.Blocks)
		}
	}
	// An operator of amer is refused on emea, and the refusal names emea.
	leg := emea.Legs(emea.Meetings()[0].Correlator)[0].ID
	answer(amerOp, emeaCh, "mute "+leg, "cluster emea")
	run.stop(ctx, t)
}

// TestExecClustersContract: `nfmm exec` over CMS_CLUSTERS, text and --json: exit codes, the
// cluster on every line of @all, and messages that name the cluster or the variable.
func TestExecClustersContract(t *testing.T) {
	t.Setenv("CMS_NODES", "")
	t.Setenv("CMS_CLUSTERS", "emea,amer")
	t.Setenv("CMS_EMEA_NODES", "sim:2")
	t.Setenv("CMS_AMER_NODES", "sim:3")
	for _, tt := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"calls", "@amer"}, 0, " participants on cluster amer\n", ""},
		{[]string{"calls", "@all"}, 0, "CLUSTER  MEETING", ""},
		{[]string{"status", "@all"}, 0, "amer     cb3", ""},
		{[]string{"--json", "status", "@all"}, 0, `"cluster": "amer",` + "\n        \"node\": \"cb3\"", ""},
		{[]string{"--json", "calls", "@emea"}, 0, `"cluster": "emea"`, ""},
		{[]string{"calls"}, 2, "", "Which cluster? Add `@emea` or `@amer` (or `@all` for every cluster) to the command: several clusters are configured."},
		{[]string{"--json", "calls"}, 2, `"code": "choose_cluster"`, ""},
		{[]string{"calls", "@nosuch"}, 2, "", `There is no cluster "nosuch"; clusters are emea, amer.`},
		{[]string{"--json", "calls", "@nosuch"}, 2, `"code": "invalid_cluster"`, ""},
		{[]string{"mute", "1234", "@all"}, 2, "", "`@all` works with calls, status and report; name one cluster (emea, amer) for mute."},
		{[]string{"calls", "--node", "cb3", "@emea"}, 2, "", `There is no node "cb3"; nodes are cb1, cb2.`},
	} {
		code, out, errOut := runExec(t, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("exec %q: exit %d, want %d with %q / %q\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.code, tt.stdout, tt.stderr, out, errOut)
		}
	}
	// Every configuration problem names its variable, in text and in JSON.
	t.Setenv("CMS_AMER_NODES", "")
	t.Setenv("CMS_APAC_TIMEOUT", "5s")
	t.Setenv("NFMM_CHANNEL_CLUSTERS", "C0123ABCD=apac")
	for _, args := range [][]string{{"calls", "@emea"}, {"--json", "calls", "@emea"}} {
		code, out, errOut := runExec(t, args...)
		for _, v := range []string{"CMS_AMER_NODES", "CMS_APAC_TIMEOUT", "NFMM_CHANNEL_CLUSTERS"} {
			if code != 2 || !strings.Contains(out+errOut, v) {
				t.Errorf("exec %q: exit %d, want 2 naming %s:\n%s%s", args, code, v, out, errOut)
			}
		}
	}
}
