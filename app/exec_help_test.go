package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/docs/schema"
	"github.com/nfmm/nfmm/store"
)

const execHelpOperator = "U0HELPOP01"

// slackHelp is what `/cms help [topic]` answers a Slack operator of the runtime `nfmm run`
// builds for the same CMS and history settings, as the JSON document exec prints.
func slackHelp(t *testing.T, environ []string) func(topic string) []byte {
	t.Helper()
	fake := slackfake.NewTest(t)
	cfg, err := config.LoadEnviron(append([]string{
		"SLACK_BOT_TOKEN=xoxb-1111111111-2222222222-helptestvalue000",
		"SLACK_APP_TOKEN=xapp-1-A0123456789-3333333333-helptestvalue000",
		"SLACK_API_URL=" + fake.APIURL(), "NFMM_HTTP_ADDR=off", "NFMM_DATA_DIR=" + t.TempDir(),
		"NFMM_OPERATORS=" + execHelpOperator,
	}, environ...), config.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Close)
	return func(topic string) []byte {
		r, err := rt.Service.Run(context.Background(), commands.Actor{UserID: execHelpOperator, ChannelID: "C0HELP0001"}, "help "+topic)
		if err != nil {
			t.Fatal(err)
		}
		b, err := commands.MarshalResult(r)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.TrimSpace(b)
	}
}

// helpDoc is the part of a --json help document these tests read.
type helpDoc struct {
	Result struct {
		Role    string `json:"role"`
		Note    string `json:"note"`
		Entries []struct {
			Name string `json:"name"`
		} `json:"entries"`
	} `json:"result"`
}

func (d helpDoc) lists(name string) bool {
	for _, e := range d.Result.Entries {
		if e.Name == name {
			return true
		}
	}
	return false
}

// TestExecHelpIsSlacksHelp: `nfmm exec --json help [command]` is, for every command, what
// Slack's `/cms help` answers an operator with the same settings, whether NFMM_OPERATORS is set
// or not (the terminal is a local operator either way: no note about naming operators). It
// lists history exactly when NFMM_CDR_URL is set, and never opens, so never creates, nfmm.db.
func TestExecHelpIsSlacksHelp(t *testing.T) {
	sim, emea, amer := startSim(t, 2), startSim(t, 2), startSim(t, 2)
	oneCluster := []string{"CMS_CLUSTERS=", "CMS_NODES=" + simNodesEnv(sim), "CMS_USERNAME=" + sim.Username, "CMS_PASSWORD=" + sim.Password}
	twoClusters := []string{"CMS_NODES=", "CMS_CLUSTERS=emea,amer", "CMS_EMEA_NODES=" + simNodesEnv(emea),
		"CMS_AMER_NODES=" + simNodesEnv(amer), "CMS_USERNAME=" + emea.Username, "CMS_PASSWORD=" + emea.Password}
	set, err := schema.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		cms     []string
		cdr     string
		history bool
	}{
		{"history on", oneCluster, execHistoryURL, true},
		{"history off", oneCluster, "", false},
		{"two clusters, history on", twoClusters, execHistoryURL, true},
		{"two clusters, history off", twoClusters, "", false},
	} {
		cms := tc.cms
		environ := append(slices.Clone(cms), "NFMM_CDR_URL="+tc.cdr)
		slack := slackHelp(t, environ)
		// Every command, as the full help of an operator with history on names them.
		var all helpDoc
		if err := json.Unmarshal(slackHelp(t, append(slices.Clone(cms), "NFMM_CDR_URL="+execHistoryURL))(""), &all); err != nil {
			t.Fatal(err)
		}
		topics := []string{""}
		for _, e := range all.Result.Entries {
			topics = append(topics, e.Name)
		}
		if len(topics) < 20 || !all.lists("history") || !all.lists("audit") || !all.lists("alerts") {
			t.Fatalf("Slack's full help lists %v", topics)
		}
		for _, operators := range []string{"", execHelpOperator} {
			dir := t.TempDir()
			for _, kv := range append(slices.Clone(environ), "NFMM_OPERATORS="+operators, "NFMM_DATA_DIR="+dir) {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			for _, topic := range topics {
				t.Run(tc.name+"/operators="+operators+"/help "+topic, func(t *testing.T) {
					args := []string{"--json", "help"}
					if topic != "" {
						args = append(args, topic)
					}
					var out, errOut bytes.Buffer
					if code := cmdExec(context.Background(), args, &out, &errOut); code != exitOK {
						t.Fatalf("exit %d: %s", code, errOut.String())
					}
					if err := set.Validate(out.Bytes()); err != nil {
						t.Errorf("%v\n%s", err, out.String())
					}
					if got, want := bytes.TrimSpace(out.Bytes()), slack(topic); !bytes.Equal(got, want) {
						t.Errorf("exec:\n%s\nSlack's operator:\n%s", got, want)
					}
					var doc helpDoc
					if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
						t.Fatal(err)
					}
					if (topic == "" || topic == "history") && doc.lists("history") != tc.history {
						t.Errorf("history listed: %v, want %v\n%s", doc.lists("history"), tc.history, out.String())
					}
					if doc.Result.Role != "operator" {
						t.Errorf("role %q, want operator", doc.Result.Role)
					}
					switch {
					case topic == "history" && !tc.history:
						if doc.Result.Note == "" || bytes.Contains(out.Bytes(), []byte("operators")) {
							t.Errorf("help history with history off: note %q, want why there is none", doc.Result.Note)
						}
					case doc.Result.Note != "":
						t.Errorf("note %q for the terminal, want none", doc.Result.Note)
					}
					if topic != "" && (len(doc.Result.Entries) == 1) != (topic != "history" || tc.history) {
						t.Errorf("help %s: %d entries", topic, len(doc.Result.Entries))
					}
				})
			}
			if left := dirEntries(t, dir); len(left) > 0 {
				t.Errorf("%s: exec help left %v in NFMM_DATA_DIR", tc.name, left)
			}
		}
	}
}

// TestExecHelpText: the text of `help` and `help history` as a terminal reads it.
func TestExecHelpText(t *testing.T) {
	sim := startSim(t, 2)
	t.Setenv("CMS_NODES", simNodesEnv(sim))
	t.Setenv("CMS_USERNAME", sim.Username)
	t.Setenv("CMS_PASSWORD", sim.Password)
	t.Setenv("NFMM_DATA_DIR", t.TempDir())
	t.Setenv("NFMM_OPERATORS", "")
	historyUsage := "history [<meeting>|<participant>] [today|yesterday|<date>|<from>..<to>]"
	t.Setenv("NFMM_CDR_URL", execHistoryURL)
	runExecCases(t, []execCase{
		{name: "help", args: []string{"help"}, code: exitOK,
			want: []string{"You are an operator", historyUsage, "audit [<meeting>|<user>|today]", "alerts"},
			not:  []string{"Nobody may change calls", "calls public"}},
		{name: "help history", args: []string{"help", "history"}, code: exitOK,
			want: []string{historyUsage, "meetings that ended"}, not: []string{"Nobody", "operators", "calls [filter]"}},
		{name: "help audit", args: []string{"help", "audit"}, code: exitOK,
			want: []string{"audit [<meeting>|<user>|today]"}, not: []string{"Nobody", "history"}},
		{name: "help alerts", args: []string{"help", "alerts"}, code: exitOK,
			want: []string{"alerts", "the active alerts"}, not: []string{"Nobody", "history"}},
	})
	t.Setenv("NFMM_CDR_URL", "")
	runExecCases(t, []execCase{
		{name: "help, history off", args: []string{"help"}, code: exitOK,
			want: []string{"You are an operator", "audit [<meeting>|<user>|today]"}, not: []string{historyUsage, "Nobody"}},
		{name: "help history, history off", args: []string{"help", "history"}, code: exitOK,
			want: []string{"Meeting history is off", "NFMM_CDR_URL"}, not: []string{historyUsage, "Nobody", "operators"}},
	})
}

// TestExecOpensTheStoreOnlyToReadIt: with history on and NFMM_DATA_DIR an empty directory,
// the commands that do not read the database leave it empty (no nfmm.db); history and audit
// read it when it is there, audit says there is none where it is not (creating none), and a
// store that will not open is reported as before: on stderr, exit 2.
func TestExecOpensTheStoreOnlyToReadIt(t *testing.T) {
	sim := startSim(t, 2)
	t.Setenv("CMS_NODES", simNodesEnv(sim))
	t.Setenv("CMS_USERNAME", sim.Username)
	t.Setenv("CMS_PASSWORD", sim.Password)
	t.Setenv("NFMM_CDR_URL", execHistoryURL)
	empty := t.TempDir()
	t.Setenv("NFMM_DATA_DIR", empty)
	runExecCases(t, []execCase{
		{name: "calls", args: []string{"calls"}, code: exitOK},
		{name: "--json calls", args: []string{"--json", "calls"}, code: exitOK},
		{name: "status", args: []string{"status"}, code: exitOK, want: []string{"CDR receiver on cb1: not registered yet"}},
		{name: "report", args: []string{"report"}, code: exitOK},
		{name: "alerts", args: []string{"--json", "alerts"}, code: exitOK},
		{name: "schedule", args: []string{"schedule"}, code: exitOK},
		{name: "help", args: []string{"help"}, code: exitOK},
		{name: "--json help history", args: []string{"--json", "help", "history"}, code: exitOK},
		{name: "audit without a store", args: []string{"audit"}, code: exitFailed,
			want: []string{"No audit history here: " + filepath.Join(empty, store.FileName) + " does not exist"}},
		{name: "--json audit without a store", args: []string{"--json", "audit", "today"}, code: exitFailed,
			want: []string{`"kind": "error"`, "No audit history here"}},
		{name: "a usage error comes first", args: []string{"audit", "<@bad"}, code: exitUsage,
			want: []string{"audit [<meeting>|<user>|today]"}, not: []string{"No audit history"}},
	})
	if left := dirEntries(t, empty); len(left) > 0 {
		t.Fatalf("NFMM_DATA_DIR holds %v after commands that do not read the store", left)
	}

	// A store as nfmm run leaves it: one ended meeting, one audited mute.
	dir := execHistoryStore(t, map[string][2]string{"default": {"Standup", "Ann Smith"}})
	st, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	storeAudit{st: st, log: slog.New(slog.DiscardHandler)}.Audit(context.Background(), commands.AuditEvent{Time: time.Now(), Actor: execHelpOperator,
		Op: commands.OpMute, Meeting: "Standup", Participant: "Ann Smith", Outcome: "ok", Cluster: "default"})
	st.Close()
	t.Setenv("NFMM_DATA_DIR", dir)
	runExecCases(t, []execCase{
		{name: "history", args: []string{"history"}, code: exitOK, want: []string{"Standup", "ended"}},
		{name: "--json history", args: []string{"--json", "history"}, code: exitOK,
			check: func(t *testing.T, d execDoc) {
				if d.Kind != "history" || len(d.Result.Meetings) != 1 || d.Result.Meetings[0].Name != "Standup" {
					t.Errorf("got %+v", d)
				}
			}},
		{name: "audit", args: []string{"audit"}, code: exitOK, want: []string{"mute", "Standup", execHelpOperator}},
		{name: "--json audit today", args: []string{"--json", "audit", "today"}, code: exitOK,
			want: []string{`"kind": "audit"`, `"op": "mute"`}},
	})

	// NFMM_DATA_DIR is a file: the store cannot open, for history as for audit.
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NFMM_DATA_DIR", file)
	for _, args := range [][]string{{"history"}, {"--json", "history"}, {"audit"}} {
		var out, errOut bytes.Buffer
		code := cmdExec(context.Background(), args, &out, &errOut)
		want := "nfmm exec: store: NFMM_DATA_DIR " + file + ": mkdir " + file + ": not a directory\n"
		if code != exitUsage || out.Len() != 0 || errOut.String() != want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", args, code, out.String(), errOut.String(), want)
		}
	}
	for _, args := range [][]string{{"calls"}, {"help", "history"}} { // they never look there
		var out, errOut bytes.Buffer
		if code := cmdExec(context.Background(), args, &out, &errOut); code != exitOK {
			t.Errorf("%v with an unusable store: exit %d: %s", args, code, errOut.String())
		}
	}
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
