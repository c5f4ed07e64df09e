package commands

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
)

// To update the golden files: go test ./commands/ -run TestGolden -update
var update = flag.Bool("update", false, "rewrite testdata/golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var (
	asOf    = time.Date(2026, 3, 4, 14, 2, 0, 0, time.UTC)
	nextRun = time.Date(2026, 3, 5, 8, 0, 0, 0, time.FixedZone("CET", 3600))
)

func sampleResults() map[string]Result {
	two := 2
	board := MeetingSummary{Correlator: "9fea4ad1-2b6e-4c1d-9c3a-1f2e3d4c5b6a", Name: "Board review", Participants: 3,
		Nodes: []string{"cb1", "cb2"}, Duration: 64*time.Minute + 5*time.Second,
		State: MeetingState{Locked: true, Recording: true, Presenter: "Alice Example", Banner: "Back at 10:15", Lobby: &two}}
	alice := ParticipantRow{LegID: "a1b2c3d4-0000-4000-8000-000000000001", Node: "cb1", CallID: "c1", Name: "Alice Example",
		Address: "alice@example.com", Direction: "incoming", State: "connected", Layout: "allEqual", Duration: 63 * time.Minute,
		Presenting: true}
	bob := ParticipantRow{LegID: "b1b2c3d4-0000-4000-8000-000000000002", Node: "cb2", CallID: "c2", Name: "Bob\tTab",
		Address: "sip:bob@example.com", Direction: "outgoing", State: "connected", AudioMuted: true, Layout: "speakerOnly", Duration: 45 * time.Second}
	return map[string]Result{
		"calls": &CallsResult{Meetings: []MeetingSummary{board, {Correlator: "77aa", Name: "Standup", Participants: 1, Nodes: []string{"cb1"}, Duration: 3 * time.Minute}},
			TotalParticipants: 4, Nodes: []string{"cb1", "cb2", "cb3"},
			Unreachable: []NodeFailure{{Node: "cb3", Reason: "cb3 did not answer in time."}}, AsOf: asOf},
		"calls_empty": &CallsResult{Filter: "zzz", Nodes: []string{"cb1"}, AsOf: asOf},
		"roster":      &RosterResult{Meeting: board, Participants: []ParticipantRow{alice, bob}, AsOf: asOf},
		"participant": &ParticipantResult{Participant: alice, Meeting: board, ChosenLayout: "allEqual", Encrypted: true,
			CipherSuite: "AES_CM_128_HMAC_SHA1_80", Alarms: []string{"packetLoss"},
			RxAudio: &cms.AudioStats{Codec: "opus", Jitter: 12, BitRate: 64000, PacketLossPercentage: 0.5},
			TxAudio: &cms.AudioStats{Codec: "opus", Jitter: 3, BitRate: 64000, RoundTripTime: 40},
			RxVideo: []cms.VideoStats{{Role: "main", Codec: "h264", Width: 1280, Height: 720, FrameRate: 30, Jitter: 8, BitRate: 1500000, PacketLossPercentage: 4.2}},
			AsOf:    asOf},
		"action_mute": &ActionResult{Op: OpMute, Meeting: board, Participant: "Bob", LegID: bob.LegID, Node: "cb2",
			Summary: "Muted audio of Bob (cb2).", Updated: 1,
			Changes: []Change{{Subject: "Bob", Field: "audio", Before: "unmuted", After: "muted"}}},
		"action_presenter": &ActionResult{Op: OpPresenter, Meeting: board, Participant: "Alice Example", LegID: alice.LegID, Node: "cb1",
			Summary: "Presenter mode on for Board review: Alice Example presents; 1 of 3 legs updated, 1 left meanwhile, 1 failed.", Updated: 1,
			Changes: []Change{{Subject: "Bob", Field: "layout", Before: "(default)", After: "speakerOnly"}},
			Gone:    []LegFailure{{LegID: "c1b2c3d4-0000", Name: "Carol", Node: "cb2", Reason: "left the meeting"}},
			Failed:  []LegFailure{{LegID: "d1b2c3d4-0000", Name: "Dan", Node: "cb1", Reason: "cb1 did not answer in time."}}},
		"status": &StatusResult{Nodes: []NodeHealth{
			{Node: "cb1", Reachable: true, Version: "3.8.1", Uptime: 50 * time.Hour, ActiveLegs: 12, Latency: 7 * time.Millisecond},
			{Node: "cb2", Error: "CMS rejected NFMM's credentials on cb2."}}, AsOf: asOf},
		"report": &ReportResult{Meetings: 2, Participants: 4, Largest: []MeetingSummary{board},
			Nodes:       []NodeHealth{{Node: "cb1", Reachable: true, Version: "3.8.1", Uptime: time.Hour, ActiveLegs: 4, Latency: time.Millisecond}},
			PoorMedia:   []PoorMedia{{Meeting: "Board review", Participant: "Alice Example", LegID: alice.LegID, Node: "cb1", Stream: "rx video main", LossPercent: 4.2, JitterMs: 8}},
			RostersRead: 2, AsOf: asOf},
		"help": &HelpResult{Role: RoleViewer, Entries: []HelpEntry{{Name: "calls", Usage: "calls [filter]", Summary: "active meetings across the cluster"}},
			Note: "You may look; only NFMM operators (NFMM_OPERATORS) may change calls."},
		"calls_node": &CallsResult{Node: "cb2", Meetings: []MeetingSummary{board}, TotalParticipants: 3,
			Nodes: []string{"cb1", "cb2"}, AsOf: asOf},
		"schedule": &ScheduleResult{Quiet: true, AsOf: asOf, Entries: []ScheduleEntry{
			{Spec: "CRON_TZ=Europe/Oslo 0 8 * * 1-5", Channel: "C0123ABCD", Next: &nextRun},
			{Spec: "0 0 30 2 *", Channel: "#cms-ops"}}},
		"schedule_off": &ScheduleResult{Off: true, AsOf: asOf},
		"alerts_none":  &AlertsResult{AsOf: asOf, Errors: []string{}},
	}
}

func TestGoldenText(t *testing.T) {
	for name, r := range sampleResults() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := FormatText(&buf, r); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", buf.Bytes())
		})
	}
}

func TestGoldenJSON(t *testing.T) {
	for name, r := range sampleResults() {
		t.Run(name, func(t *testing.T) {
			b, err := MarshalResult(r)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json", append(b, '\n'))
		})
	}
	errs := map[string]error{
		"error_usage": &UsageError{Code: CodeInvalidLayout, Msg: "\"grid\" is not a CMS layout.", Usage: "layout <participant> <layout>"},
		"error_ref": &RefError{Kind: "meeting", Ref: "sync", Ambiguous: true, Candidates: []string{"Team A sync (11aa)", "Team B sync (22bb)"},
			Matches: []Candidate{{Correlator: "11aa", Name: "Team A sync", Nodes: []string{"cb1"}}, {Correlator: "22bb", Name: "Team B sync", Nodes: []string{"cb1", "cb2"}}}, More: 3},
		"error_ref_leg": &RefError{Kind: "participant", Ref: "alice", Ambiguous: true, Candidates: []string{"Alice A (a1b2c3d4)", "Alice B (b1b2c3d4)"},
			Matches: []Candidate{{LegID: "a1b2c3d4-0000", Name: "Alice A", Node: "cb1"}, {LegID: "b1b2c3d4-0000", Name: "Alice B", Node: "cb2"}}},
		"error_not_found": &RefError{Kind: "meeting", Ref: "zzz", Unsearched: []string{"cb3"}},
		"error_cms":       cmsError("cb2", errors.Join(cms.ErrAuth, errors.New("https://admin:secret@cb2/api/v1/calls: 401"))),
		"error_denied":    &DeniedError{Op: OpMute, Msg: "Only NFMM operators may change calls."},
		"error_other":     errors.New("dial tcp 10.0.0.1:443: secret detail"),
	}
	for name, err := range errs {
		t.Run(name, func(t *testing.T) {
			b, mErr := MarshalError(err)
			if mErr != nil {
				t.Fatal(mErr)
			}
			if bytes.Contains(b, []byte("secret")) {
				t.Errorf("error JSON leaks internals: %s", b)
			}
			golden(t, name+".json", append(b, '\n'))
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{{0, "0s"}, {45 * time.Second, "45s"}, {12*time.Minute + 59*time.Second, "12m"}, {64 * time.Minute, "1h04m"}, {50 * time.Hour, "2d02h"}}
	for _, tt := range tests {
		if got := FormatDuration(tt.d); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestMarshalDoesNotModifyResult(t *testing.T) {
	r := &CallsResult{Meetings: []MeetingSummary{{Name: "x"}}}
	if _, err := MarshalResult(r); err != nil {
		t.Fatal(err)
	}
	if r.Unreachable != nil || r.Meetings[0].Nodes != nil {
		t.Errorf("MarshalResult modified its input: %+v", r)
	}
}
