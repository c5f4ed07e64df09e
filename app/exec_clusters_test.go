package app

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cdr"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/docs/schema"
	"github.com/nfmm/nfmm/store"
)

// execHistoryURL is NFMM_CDR_URL for these tests: nothing listens there (exec never serves
// the receiver), it only names the URI each node's receiver list is compared with.
const execHistoryURL = "https://127.0.0.1:9/cdr/0123456789abcdef"

// startSim starts an emulator of n call bridges for the length of the test.
func startSim(t *testing.T, n int) *cmssim.Sim {
	t.Helper()
	sim, err := cmssim.Start(cmssim.Options{Nodes: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func simNodesEnv(sim *cmssim.Sim) string {
	var nodes []string
	for _, n := range sim.Nodes() {
		nodes = append(nodes, n.Name+"="+n.URL)
	}
	return strings.Join(nodes, ",")
}

// storeEndedMeeting writes, as the receiver would, the CDRs of a meeting of cluster on node
// that ended an hour ago with one participant.
func storeEndedMeeting(t *testing.T, st *store.Store, cluster, node, name, person string) {
	t.Helper()
	end := time.Now().Add(-time.Hour).Truncate(time.Second)
	start, d := end.Add(-30*time.Minute), 25*60
	id, session := "call-"+cluster, "session-"+cluster // CMS ids and sessions are GUIDs: never shared
	recs := []cdr.Record{
		{Type: cdr.TypeCallStart, Time: start, Call: &cdr.Call{ID: id, Name: name, CallCorrelator: "corr-" + cluster}},
		{Type: cdr.TypeCallLegStart, Time: start.Add(time.Minute), Leg: &cdr.CallLeg{ID: "leg-" + cluster, Call: id, DisplayName: person}},
		{Type: cdr.TypeCallLegEnd, Time: end.Add(-4 * time.Minute), Leg: &cdr.CallLeg{ID: "leg-" + cluster, Reason: "remoteTeardown", DurationSeconds: &d}},
		{Type: cdr.TypeCallEnd, Time: end, Call: &cdr.Call{ID: id}},
	}
	for i := range recs {
		recs[i].Session, recs[i].CorrelatorIndex, recs[i].RecordIndex = session, int64(i+1), int64(i+1)
	}
	if _, err := st.StoreCDRs(context.Background(), cluster, node, cdr.Batch{Session: session, Records: recs}); err != nil {
		t.Fatal(err)
	}
}

// execHistoryStore is a store directory holding one ended meeting per cluster, each on that
// cluster's cb1 (the same node name on both, as real clusters have).
func execHistoryStore(t *testing.T, meetings map[string][2]string) string {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for cluster, m := range meetings {
		storeEndedMeeting(t, st, cluster, "cb1", m[0], m[1])
	}
	return dir
}

type execCase struct {
	name string
	args []string
	code int
	want []string // each in stdout+stderr
	not  []string // none in stdout+stderr
	// check, when set, reads the --json document.
	check func(t *testing.T, doc execDoc)
}

// execDoc is the part of an --json document these tests read.
type execDoc struct {
	Kind   string `json:"kind"`
	Result struct {
		Cluster  string `json:"cluster"`
		Meetings []struct {
			Name string `json:"name"`
		} `json:"meetings"`
		Nodes []struct {
			Cluster string `json:"cluster"`
			Node    string `json:"node"`
			CDR     *struct {
				State  string   `json:"state"`
				Others []string `json:"others"`
			} `json:"cdr"`
		} `json:"nodes"`
		Alerts []struct {
			Kind    string `json:"kind"`
			Cluster string `json:"cluster"`
			Node    string `json:"node"`
			Summary string `json:"summary"`
		} `json:"alerts"`
	} `json:"result"`
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

// runExecCases runs each case through cmdExec (the environment already set) and validates
// every --json answer against the published schemas.
func runExecCases(t *testing.T, cases []execCase) {
	set, err := schema.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := cmdExec(context.Background(), tc.args, &out, &errOut)
			all := out.String() + errOut.String()
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("no %q in\n%s", w, all)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(all, w) {
					t.Errorf("%q in\n%s", w, all)
				}
			}
			if tc.args[0] != "--json" {
				return
			}
			if err := set.Validate(out.Bytes()); err != nil {
				t.Errorf("%v\n%s", err, out.String())
			}
			if tc.check != nil {
				var doc execDoc
				if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
				tc.check(t, doc)
			}
		})
	}
}

// TestExecPerCluster: with CMS_CLUSTERS, `nfmm exec` reads the history of the cluster a
// command names (as Slack does), `status` shows each cluster's own CDR receiver lists, and
// `alerts` checks every cluster, each alert naming its own. Both clusters have a cb1 and a cb2,
// as real ones do.
func TestExecPerCluster(t *testing.T) {
	emea, amer := startSim(t, 2), startSim(t, 2)
	emea.AddCDRReceiver("cb1", "http://127.0.0.1:9/emea-billing")
	for i := range 4 { // every slot taken: amer's cb1 sends NFMM nothing
		amer.AddCDRReceiver("cb1", "http://127.0.0.1:9/amer-other"+string(rune('1'+i)))
	}
	emea.SetDown("cb2", true)
	amer.SetDown("cb2", true)
	t.Setenv("CMS_CLUSTERS", "emea,amer")
	t.Setenv("CMS_EMEA_NODES", simNodesEnv(emea))
	t.Setenv("CMS_AMER_NODES", simNodesEnv(amer))
	t.Setenv("CMS_USERNAME", emea.Username)
	t.Setenv("CMS_PASSWORD", emea.Password)
	t.Setenv("NFMM_CDR_URL", execHistoryURL)
	t.Setenv("NFMM_DATA_DIR", execHistoryStore(t, map[string][2]string{
		"emea": {"Emea standup", "Ann Smith"}, "amer": {"Amer standup", "Bob Jones"}}))

	runExecCases(t, []execCase{
		{name: "history @amer", args: []string{"history", "@amer"}, code: exitOK,
			want: []string{"Amer standup", "on cluster amer"}, not: []string{"Emea standup"}},
		{name: "history of a person @emea", args: []string{"history", "Ann", "@emea"}, code: exitOK,
			want: []string{"Emea standup", "Ann Smith", "on cluster emea"}, not: []string{"Amer standup"}},
		{name: "history of amer's person on emea", args: []string{"history", "Bob", "@emea"}, code: exitOK,
			not: []string{"Amer standup"}},
		{name: "--json history @amer", args: []string{"--json", "history", "@amer"}, code: exitOK,
			check: func(t *testing.T, d execDoc) {
				if d.Kind != "history" || d.Result.Cluster != "amer" || len(d.Result.Meetings) != 1 || d.Result.Meetings[0].Name != "Amer standup" {
					t.Errorf("got %+v, want amer's one meeting", d)
				}
			}},
		{name: "history names no cluster", args: []string{"history"}, code: exitUsage,
			want: []string{"Which cluster? Add `@emea` or `@amer` to the command"}, not: []string{"@all"}},
		{name: "--json history names no cluster", args: []string{"--json", "history"}, code: exitUsage,
			check: func(t *testing.T, d execDoc) {
				if d.Kind != "error" || d.Error.Code != "choose_cluster" {
					t.Errorf("got %+v, want the choose_cluster usage error", d)
				}
			}},
		{name: "history @apac", args: []string{"--json", "history", "@apac"}, code: exitUsage,
			check: func(t *testing.T, d execDoc) {
				if d.Error.Code != "invalid_cluster" {
					t.Errorf("got %+v, want invalid_cluster", d)
				}
			}},
		{name: "history @all", args: []string{"history", "@all"}, code: exitUsage,
			want: []string{"`@all` works with calls, status and report"}},

		{name: "status @amer", args: []string{"status", "@amer"}, code: exitFailed,
			want: []string{"CDR receiver on cb1: slots full (4 of 4)", "amer-other4", "nodes reachable on cluster amer"}, not: []string{"1 of 4", "CLUSTER"}},
		{name: "status @emea", args: []string{"status", "@emea"}, code: exitFailed,
			want: []string{"CDR receiver on cb1: not registered yet (1 of 4 receivers", "nodes reachable on cluster emea"}, not: []string{"amer-other", "full"}},
		{name: "status @all", args: []string{"status", "@all"}, code: exitFailed,
			want: []string{"CDR receiver on emea/cb1: not registered yet (1 of 4", "CDR receiver on amer/cb1: slots full (4 of 4)", "CDR receiver on amer/cb2: unknown", "nodes reachable on every cluster"}},
		{name: "--json status @all", args: []string{"--json", "status", "@all"}, code: exitFailed,
			check: func(t *testing.T, d execDoc) {
				got := map[string]string{}
				for _, n := range d.Result.Nodes {
					if n.CDR == nil {
						t.Fatalf("%s/%s has no cdr: %+v", n.Cluster, n.Node, d)
					}
					got[n.Cluster+"/"+n.Node] = n.CDR.State + " " + strings.Join(n.CDR.Others, " ")
				}
				want := map[string]string{
					"emea/cb1": "missing http://127.0.0.1:9/emea-billing",
					"emea/cb2": "unknown ",
					"amer/cb1": "full http://127.0.0.1:9/amer-other1 http://127.0.0.1:9/amer-other2 http://127.0.0.1:9/amer-other3 http://127.0.0.1:9/amer-other4",
					"amer/cb2": "unknown ",
				}
				if d.Result.Cluster != "all" || len(got) != len(want) {
					t.Errorf("cluster %q, nodes %v; want all, %v", d.Result.Cluster, got, want)
				}
				for k, w := range want {
					if got[k] != w {
						t.Errorf("%s: %q, want %q", k, got[k], w)
					}
				}
			}},
		{name: "status names no cluster", args: []string{"status"}, code: exitUsage,
			want: []string{"Which cluster? Add `@emea` or `@amer` (or `@all` for every cluster)"}},

		{name: "alerts", args: []string{"alerts"}, code: exitOK,
			want: []string{"[emea] cb2", "[amer] cb2", "[amer] CDR"}, not: []string{"[emea] CDR"}},
		{name: "--json alerts", args: []string{"--json", "alerts"}, code: exitOK,
			check: func(t *testing.T, d execDoc) {
				got := map[string]bool{}
				for _, a := range d.Result.Alerts {
					if !strings.HasPrefix(a.Summary, "["+a.Cluster+"] ") {
						t.Errorf("%s alert of %s: headline %q does not name it", a.Kind, a.Cluster, a.Summary)
					}
					got[a.Kind+" "+a.Cluster+"/"+a.Node] = true
				}
				for _, w := range []string{"node_down emea/cb2", "node_down amer/cb2", "cdr_receivers amer/cb1"} {
					if !got[w] {
						t.Errorf("no %s alert in %v", w, got)
					}
				}
				if got["cdr_receivers emea/cb1"] {
					t.Errorf("emea's cb1 has a free slot, but alerts: %v", got)
				}
			}},
		{name: "alerts @amer", args: []string{"alerts", "@amer"}, code: exitUsage,
			want: []string{"alerts covers every cluster: drop `@amer`."}},
	})
}

// TestExecOneClusterUnchanged: with CMS_NODES, history, status and alerts name no cluster,
// read every stored row, and take no question.
func TestExecOneClusterUnchanged(t *testing.T) {
	sim := startSim(t, 2)
	sim.AddCDRReceiver("cb1", "http://127.0.0.1:9/billing")
	sim.SetDown("cb2", true)
	t.Setenv("CMS_NODES", simNodesEnv(sim))
	t.Setenv("CMS_USERNAME", sim.Username)
	t.Setenv("CMS_PASSWORD", sim.Password)
	t.Setenv("NFMM_CDR_URL", execHistoryURL)
	t.Setenv("NFMM_DATA_DIR", execHistoryStore(t, map[string][2]string{"default": {"Standup", "Ann Smith"}}))
	runExecCases(t, []execCase{
		{name: "history", args: []string{"history"}, code: exitOK,
			want: []string{"Standup", "ended"}, not: []string{"cluster"}},
		{name: "--json history", args: []string{"--json", "history"}, code: exitOK, not: []string{`"cluster"`},
			check: func(t *testing.T, d execDoc) {
				if len(d.Result.Meetings) != 1 || d.Result.Meetings[0].Name != "Standup" {
					t.Errorf("got %+v", d)
				}
			}},
		{name: "history @default", args: []string{"history", "@default"}, code: exitOK, want: []string{"Standup"}},
		{name: "status", args: []string{"status"}, code: exitFailed,
			want: []string{"NODE  REACHABLE", "CDR receiver on cb1: not registered yet (1 of 4", "CDR receiver on cb2: unknown"}, not: []string{"CLUSTER", "cluster", "default/", "nodes reachable"}},
		{name: "--json status", args: []string{"--json", "status"}, code: exitFailed, not: []string{`"cluster"`}},
		{name: "alerts", args: []string{"alerts"}, code: exitOK,
			want: []string{"node_down", "cb2"}, not: []string{"[default]", "["}},
		{name: "--json alerts", args: []string{"--json", "alerts"}, code: exitOK,
			check: func(t *testing.T, d execDoc) {
				for _, a := range d.Result.Alerts {
					if a.Cluster != "default" || strings.HasPrefix(a.Summary, "[") {
						t.Errorf("alert %+v, want cluster default and a headline as before", a)
					}
				}
			}},
	})
}
