package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/docs/schema"
)

// runExec runs `nfmm exec args…`; with --json or --jsonl it also checks stdout against the
// published schema of its kind (docs/schema).
func runExec(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = app.Main(context.Background(), "test", append([]string{"exec"}, args...), &out, &errb)
	if slices.Contains(args, "--json") || slices.Contains(args, "--jsonl") {
		set, err := schema.Load()
		if err != nil {
			t.Fatal(err)
		}
		if err := set.Validate(out.Bytes()); err != nil {
			t.Errorf("exec %q: %v\n%s", args, err, out.Bytes())
		}
	}
	return code, out.String(), errb.String()
}

func TestExecExitCodes(t *testing.T) {
	t.Setenv("CMS_NODES", "sim")
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring of stdout
		stderr     string // substring of stderr
		wantNoJSON bool
	}{
		{name: "calls", args: []string{"calls"}, code: 0, stdout: "MEETING"},
		{name: "status", args: []string{"status"}, code: 0, stdout: "cb3"},
		{name: "help", args: []string{"help"}, code: 0, stdout: "presenter <meeting>"},
		{name: "help lists schedule", args: []string{"help"}, code: 0, stdout: "schedule  "},
		{name: "schedule", args: []string{"schedule"}, code: 0, stdout: "No reports are scheduled"},
		{name: "calls on a node", args: []string{"calls", "--node", "cb2"}, code: 0, stdout: "on cb2"},
		{name: "calls on an unknown node", args: []string{"calls", "--node", "cb9"}, code: 2, stderr: "There is no node"},
		{name: "quoted meeting", args: []string{"call", "board review"}, code: 0, stdout: "Board review"},
		{name: "unknown meeting", args: []string{"call", "no such meeting anywhere"}, code: 1, stderr: "No meeting matches"},
		{name: "unknown participant", args: []string{"mute", "deadbeef"}, code: 1, stderr: "No participant matches"},
		{name: "unknown command", args: []string{"cals"}, code: 2, stderr: "Did you mean `calls`?"},
		{name: "bad layout", args: []string{"layout", "abcd1234", "grid"}, code: 2, stderr: "Valid layouts"},
		{name: "no command", args: nil, code: 2, stderr: "which command"},
		{name: "unknown flag", args: []string{"--yaml", "calls"}, code: 2, stderr: "unknown flag"},
		{name: "help flag", args: []string{"-h"}, code: 0, stdout: "Exit status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runExec(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stdout %q / stderr %q, want %q / %q", out, errOut, tt.stdout, tt.stderr)
			}
		})
	}
}

func TestExecJSON(t *testing.T) {
	t.Setenv("CMS_NODES", "sim")
	code, out, errOut := runExec(t, "--json", "calls")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Version int    `json:"version"`
		Kind    string `json:"kind"`
		Result  struct {
			Meetings []struct {
				Name         string   `json:"name"`
				Participants int      `json:"participants"`
				Nodes        []string `json:"nodes"`
			} `json:"meetings"`
			Unreachable []any `json:"unreachable"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if doc.Version != commands.JSONVersion || doc.Kind != "calls" || len(doc.Result.Meetings) == 0 || doc.Result.Unreachable == nil {
		t.Errorf("doc = %+v", doc)
	}

	code, out, _ = runExec(t, "call", "nothing-like-this", "--json")
	var e struct {
		Kind  string `json:"kind"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil || code != 1 || e.Kind != "error" || e.Error.Type != "reference" {
		t.Errorf("exit %d, error doc %+v (%v)", code, e, err)
	}
}

func TestExecAction(t *testing.T) {
	t.Setenv("CMS_NODES", "sim")
	// Each exec starts its own emulator; within one run, presenter mode is applied and audited.
	code, out, errOut := runExec(t, "--audit", "presenter", "board review", "off")
	if code != 0 || !strings.Contains(out, "Presenter mode off for Board review") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(errOut, `"msg":"audit"`) || !strings.Contains(errOut, `"outcome":"ok"`) || !strings.Contains(errOut, `"actor":"local"`) {
		t.Errorf("no audit record on stderr with --audit: %s", errOut)
	}
}

// TestExecAuditDestination: audit records go to NFMM_AUDIT_FILE, to stderr only with --audit,
// and stderr otherwise carries nothing but errors.
func TestExecAuditDestination(t *testing.T) {
	t.Setenv("CMS_NODES", "sim")
	t.Setenv("NFMM_AUDIT_FILE", "")
	code, _, errOut := runExec(t, "presenter", "board review", "off")
	if code != 0 || errOut != "" {
		t.Errorf("without --audit or NFMM_AUDIT_FILE: exit %d, stderr %q; want 0 and nothing", code, errOut)
	}

	file := filepath.Join(t.TempDir(), "audit.jsonl")
	t.Setenv("NFMM_AUDIT_FILE", file)
	for range 2 {
		if code, _, errOut := runExec(t, "mute", "6042", "both"); code != 0 || errOut != "" {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("audit file has %d lines, want 2 (appended, one per action):\n%s", len(lines), b)
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["msg"] != "audit" || rec["op"] != "mute" {
			t.Errorf("audit line %q: %v", l, err)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}

	t.Setenv("NFMM_AUDIT_FILE", filepath.Join(t.TempDir(), "no", "such", "dir", "a.log"))
	if code, _, errOut := runExec(t, "calls"); code != 2 || !strings.Contains(errOut, "NFMM_AUDIT_FILE") {
		t.Errorf("unwritable audit file: exit %d, stderr %q; want 2 naming NFMM_AUDIT_FILE", code, errOut)
	}
}

// TestExecJSONL: --jsonl is the --json document on one line.
func TestExecJSONL(t *testing.T) {
	t.Setenv("CMS_NODES", "sim")
	for _, args := range [][]string{{"status"}, {"call", "nothing-like-this"}} {
		_, pretty, _ := runExec(t, append([]string{"--json"}, args...)...)
		_, line, _ := runExec(t, append([]string{"--jsonl"}, args...)...)
		if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
			t.Errorf("--jsonl %v is not one line: %q", args, line)
		}
		var a, b map[string]any
		if err := json.Unmarshal([]byte(pretty), &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(line), &b); err != nil {
			t.Fatal(err)
		}
		// Times and latencies differ between two runs; the shape and kind must not.
		if a["kind"] != b["kind"] || a["version"] != b["version"] || len(a) != len(b) {
			t.Errorf("--jsonl %v = %v, --json = %v", args, b, a)
		}
	}
	t.Setenv("CMS_NODES", "")
	if code, line, _ := runExec(t, "--jsonl", "calls"); code != 2 || strings.Count(line, "\n") != 1 {
		t.Errorf("--jsonl configuration error: exit %d, %q; want 2 and one line", code, line)
	}
}

func TestExecSchedule(t *testing.T) {
	t.Setenv("CMS_NODES", "sim")
	t.Setenv("NFMM_REPORT_SCHEDULE", "CRON_TZ=UTC 0 8 * * * > C0123ABCD; @hourly > #cms-ops")
	code, out, errOut := runExec(t, "schedule")
	if code != 0 || !strings.Contains(out, "CRON_TZ=UTC 0 8 * * *") || !strings.Contains(out, "#cms-ops") || !strings.Contains(out, "08:00 UTC") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	_, out, _ = runExec(t, "--json", "schedule")
	var doc struct {
		Kind   string
		Result commands.ScheduleResult
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Kind != "schedule" || len(doc.Result.Entries) != 2 || doc.Result.Entries[0].Next == nil ||
		doc.Result.Entries[0].Next.UTC().Hour() != 8 || !doc.Result.Entries[0].Next.After(time.Now()) {
		t.Errorf("schedule doc = %s", out)
	}
	// NFMM_REPORTS is gone (the leader runs the reports): it changes nothing but a warning.
	t.Setenv("NFMM_REPORTS", "off")
	if _, out, _ := runExec(t, "schedule"); !strings.Contains(out, "#cms-ops") {
		t.Errorf("NFMM_REPORTS=off hid the schedule: %s", out)
	}
}

func TestExecConfigError(t *testing.T) {
	t.Setenv("CMS_NODES", "")
	if code, _, errOut := runExec(t, "calls"); code != 2 || !strings.Contains(errOut, "CMS_NODES") {
		t.Errorf("exit %d, stderr %q; want 2 naming CMS_NODES", code, errOut)
	}
}

// With --json even a configuration error is the JSON error document, on stdout.
func TestExecConfigErrorJSON(t *testing.T) {
	t.Setenv("CMS_NODES", "")
	t.Setenv("NFMM_REPORT_SCHEDULE", "@every 1s > C0123ABCD")
	code, out, errOut := runExec(t, "--json", "calls")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	var doc struct {
		Version int    `json:"version"`
		Kind    string `json:"kind"`
		Error   struct {
			Type     string `json:"type"`
			Message  string `json:"message"`
			Problems []struct {
				Variable string `json:"variable"`
				Message  string `json:"message"`
			} `json:"problems"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON (%v): %q; stderr %q", err, out, errOut)
	}
	if doc.Version != commands.JSONVersion || doc.Kind != "error" || doc.Error.Type != "config" || !strings.Contains(doc.Error.Message, "CMS_NODES") {
		t.Errorf("doc = %+v, want a config error naming CMS_NODES", doc)
	}
	var vars []string
	for _, p := range doc.Error.Problems {
		vars = append(vars, p.Variable)
	}
	if strings.Join(vars, ",") != "CMS_NODES,NFMM_REPORT_SCHEDULE" {
		t.Errorf("problems name %q, want CMS_NODES,NFMM_REPORT_SCHEDULE", vars)
	}
}
