package commands

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/docs/schema"
)

func execSchemas(t *testing.T) schema.Set {
	t.Helper()
	set, err := schema.Load()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// validateDoc checks one exec document against the schema of its kind.
func validateDoc(t *testing.T, schemas schema.Set, name string, b []byte) {
	t.Helper()
	if err := schemas.Validate(b); err != nil {
		t.Errorf("%s: %v\n%s", name, err, b)
	}
}

// TestSchemasCoverEveryKind: each result type has a published schema, and nothing else does.
func TestSchemasCoverEveryKind(t *testing.T) {
	schemas := execSchemas(t)
	// snapshot and event are the lines of exec watch (commands/watch.go, checked in e2e).
	kinds := map[string]bool{"error": true, "snapshot": true, "event": true}
	for _, r := range []Result{&CallsResult{}, &RosterResult{}, &ParticipantResult{}, &ActionResult{}, &StatusResult{},
		&ReportResult{}, &HelpResult{}, &ScheduleResult{}, &HistoryResult{}, &FindResult{}, &AlertsResult{}, &AuditResult{}} {
		kinds[Kind(r)] = true
	}
	for k := range kinds {
		if schemas[k] == nil {
			t.Errorf("kind %q has no docs/schema/%s.schema.json", k, k)
		}
	}
	for k := range schemas {
		if !kinds[k] {
			t.Errorf("docs/schema/%s.schema.json describes no document kind", k)
		}
	}
}

// TestGoldenJSONMatchesSchema validates every golden document (results and errors).
func TestGoldenJSONMatchesSchema(t *testing.T) {
	schemas := execSchemas(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if len(files) < 10 {
		t.Fatalf("only %d golden JSON files", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		validateDoc(t, schemas, f, b)
	}
}

// Every usage error code is one the error schema allows.
func TestSchemaAllowsEveryUsageCode(t *testing.T) {
	schemas := execSchemas(t)
	for _, code := range []string{CodeUnknownCommand, CodeMissingArg, CodeExtraArg, CodeInvalidLayout,
		CodeInvalidURI, CodeInvalidID, CodeInvalidText, CodeInvalidMedia, CodeInvalidNode, CodeSyntax,
		CodeInvalidDate, CodeInvalidValue} {
		b, err := MarshalError(&UsageError{Code: code, Msg: "bad", Usage: "x"})
		if err != nil {
			t.Fatal(err)
		}
		validateDoc(t, schemas, code, b)
	}
}

// TestLiveJSONMatchesSchema runs every command against the emulator and validates what
// `nfmm exec --json` would print, including partial results and every error kind.
func TestLiveJSONMatchesSchema(t *testing.T) {
	schemas := execSchemas(t)
	e := newSimEnv(t, 3, Policy{Viewers: []string{"V1"}})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Team A sync", Participants: people([]string{"cb1", "cb2"}, 3)})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Team B sync", Participants: people([]string{"cb2"}, 2)})
	leg := e.run(t, "call team a").(*RosterResult).Participants[0].LegID
	e.svc.sched = func(now time.Time) ScheduleResult {
		return ScheduleResult{Entries: []ScheduleEntry{{Spec: "@hourly", Channel: "C1", Next: &now}, {Spec: "0 0 30 2 *", Channel: "C2"}}}
	}
	texts := []string{
		"help", "help mute", "calls", "calls sync --node cb2", "call team a", "participant " + leg, "status", "report", "schedule",
		"mute " + leg + " both", "unmute " + leg, "layout " + leg + " speakerOnly", "presenter team a " + leg,
		"presenter team a off", "add team a sip:carol@example.com", "disconnect " + leg,
		// errors: usage, reference (ambiguous, not found, with candidates), denied
		"frobnicate", "layout " + leg + " grid", "call sync", "call nothing-like-this", "presenter team a nobody",
		"mute deadbeef",
	}
	run := func(a Actor, text string) {
		r, err := e.svc.Run(context.Background(), a, text)
		var b []byte
		if err != nil {
			b, err = MarshalError(err)
		} else {
			b, err = MarshalResult(r)
		}
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		validateDoc(t, schemas, text, b)
	}
	for _, text := range texts {
		run(e.op, text)
	}
	run(Actor{UserID: "U9"}, "calls") // denied
	e.sim.SetDown("cb3", true)        // unreachable: nulls in status, failures in calls
	for _, text := range []string{"status", "calls", "report", "call team a"} {
		run(e.op, text)
	}
	// The nulls are really there for what was not measured.
	b, _ := MarshalResult(e.run(t, "status"))
	if !strings.Contains(string(b), `"latency_ms": null`) {
		t.Errorf("unreachable node's latency is not null: %s", b)
	}
}

// TestSchemasRejectVersion1: the schemas are strict, so a document in the old shape (or with
// an undocumented field) fails; otherwise the tests above would prove nothing.
func TestSchemasRejectVersion1(t *testing.T) {
	schemas := execSchemas(t)
	good, err := os.ReadFile(filepath.Join("testdata", "golden", "participant.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(map[string]any){
		"version 1":         func(d map[string]any) { d["version"] = 1 },
		"old bit_rate name": func(d map[string]any) { rx(d)["bit_rate"] = rx(d)["bit_rate_bps"]; delete(rx(d), "bit_rate_bps") },
		"rtt as string":     func(d map[string]any) { rx(d)["round_trip_time_ms"] = "-" },
		"missing field":     func(d map[string]any) { delete(d["result"].(map[string]any), "as_of") },
	} {
		var d map[string]any
		if err := json.Unmarshal(good, &d); err != nil {
			t.Fatal(err)
		}
		edit(d)
		b, _ := json.Marshal(d)
		if schemas.Validate(b) == nil {
			t.Errorf("%s: the schema accepts %s", name, b)
		}
	}
}

func rx(d map[string]any) map[string]any {
	return d["result"].(map[string]any)["rx_audio"].(map[string]any)
}
