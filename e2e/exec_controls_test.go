package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

var updateGolden = flag.Bool("update", false, "rewrite e2e/testdata golden files")

// controlsEnv is an emulated 2-node cluster with Board (Dmitri on cb1, Siobhan and Ana on
// cb2) and Standup.
type controlsEnv struct {
	sim            *cmssim.Sim
	board, standup cmssim.MeetingInfo
	env            []string // CMS_NODES, CMS_USERNAME, CMS_PASSWORD
}

func newControlsEnv(t *testing.T, now time.Time) *controlsEnv {
	t.Helper()
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2, Seed: 14, Scenario: cmssim.ScenarioEmpty, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var nodes []string
	for _, n := range sim.Nodes() {
		nodes = append(nodes, n.Name+"="+n.URL)
	}
	e := &controlsEnv{sim: sim, env: []string{strings.Join(nodes, ","), sim.Username, sim.Password}}
	e.board = sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
		{Name: "Dmitri Ivanova", URI: "dmitri@example.com", Node: "cb1"},
		{Name: "Siobhan O'Brien", URI: "siobhan@example.com", Node: "cb2"},
		{Name: "Ana Silva", URI: "ana@example.com", Node: "cb2"},
	}})
	e.standup = sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{
		{Name: "Host", URI: "host@example.com", Node: "cb1"}}})
	return e
}

func (e *controlsEnv) exec(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("CMS_NODES", e.env[0])
	t.Setenv("CMS_USERNAME", e.env[1])
	t.Setenv("CMS_PASSWORD", e.env[2])
	return runExec(t, args...)
}

func (e *controlsEnv) leg(t *testing.T, name string) cmssim.LegState {
	t.Helper()
	for _, l := range e.sim.Legs(e.board.Correlator) {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("%s is not in Board", name)
	return cmssim.LegState{}
}

func (e *controlsEnv) everyCall(t *testing.T, what string, ok func(cmssim.CallState) bool) {
	t.Helper()
	for node, id := range e.board.Calls {
		if st, _ := e.sim.CallState(node, id); !ok(st) {
			t.Errorf("%s on %s: %+v", what, node, st)
		}
	}
}

// execStep is one `nfmm exec` command of the meeting-controls transcript (args, with whether
// it may write to CMS), or something done to or checked in the emulator (do).
type execStep struct {
	args   []string
	writes bool
	do     func(*testing.T, *controlsEnv)
}

func read(args ...string) execStep  { return execStep{args: args} }
func write(args ...string) execStep { return execStep{args: args, writes: true} }
func sim(do func(*testing.T, *controlsEnv)) execStep {
	return execStep{do: do}
}

// TestExecMeetingControlsGolden runs every meeting control of issue 14 through `nfmm exec`
// against the emulator, as text on one emulator and with --json on an identical second one,
// compares both transcripts with goldens (e2e/testdata/exec_controls.{txt,json}; ids numbered
// in order of appearance) and asserts each command's effect on both emulators. --json output
// is checked against the schema; bad references and arguments must send no write.
func TestExecMeetingControlsGolden(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	t.Chdir(t.TempDir()) // no .env
	envs := []*controlsEnv{newControlsEnv(t, now), newControlsEnv(t, now)}
	steps := []execStep{
		read("find", "an"),
		read("participant", "dmitri"),
		write("mute", "o'brien"),
		sim(func(t *testing.T, e *controlsEnv) {
			if !e.leg(t, "Siobhan O'Brien").RxAudioMute || e.leg(t, "Ana Silva").RxAudioMute {
				t.Error("mute o'brien muted the wrong people")
			}
		}),
		read("mute", "an"), // ambiguous: candidates, no write
		write("muteall", "board"),
		sim(func(t *testing.T, e *controlsEnv) {
			for _, l := range e.sim.Legs(e.board.Correlator) {
				if !l.RxAudioMute {
					t.Errorf("%s not muted by muteall", l.Name)
				}
			}
		}),
		write("unmuteall", "board", "both"),
		sim(func(t *testing.T, e *controlsEnv) {
			for _, l := range e.sim.Legs(e.board.Correlator) {
				if l.RxAudioMute || l.RxVideoMute {
					t.Errorf("%s still muted after unmuteall", l.Name)
				}
			}
		}),
		write("lock", "board"),
		sim(func(t *testing.T, e *controlsEnv) {
			e.everyCall(t, "lock", func(c cmssim.CallState) bool { return c.Locked })
			e.sim.Join(e.board.Correlator, cmssim.ParticipantSpec{Name: "Guest One", URI: "guest1@example.com", Node: "cb1"})
			e.sim.Join(e.board.Correlator, cmssim.ParticipantSpec{Name: "Guest Two", URI: "guest2@example.com", Node: "cb2"})
		}),
		read("calls"),
		read("call", "board"),
		write("admit", "board", "one"),
		write("admit", "board"),
		sim(func(t *testing.T, e *controlsEnv) {
			for _, l := range e.sim.Legs(e.board.Correlator) {
				if p, _ := e.sim.Participant(l.ParticipantID); p.Lobby.Deactivated {
					t.Errorf("%s still in the lobby", l.Name)
				}
			}
		}),
		write("unlock", "board"),
		write("record", "board", "on"),
		write("stream", "board", "on"),
		write("banner", "board", "Back", "at", "10:15"),
		sim(func(t *testing.T, e *controlsEnv) {
			e.everyCall(t, "unlock, record, stream, banner", func(c cmssim.CallState) bool {
				return !c.Locked && c.Recording && c.Streaming && c.MessageText == "Back at 10:15" &&
					c.MessagePosition == "middle" && c.MessageDuration == "30"
			})
		}),
		write("layoutall", "board", "stacked"),
		sim(func(t *testing.T, e *controlsEnv) {
			for _, l := range e.sim.Legs(e.board.Correlator) {
				if l.ChosenLayout != "stacked" {
					t.Errorf("%s layout %q after layoutall", l.Name, l.ChosenLayout)
				}
			}
		}),
		write("importance", "dmitri", "5"),
		sim(func(t *testing.T, e *controlsEnv) {
			if p, _ := e.sim.Participant(e.leg(t, "Dmitri Ivanova").ParticipantID); p.Importance == nil || *p.Importance != 5 {
				t.Errorf("importance %v, want 5", p.Importance)
			}
			e.sim.SetPresenting(e.leg(t, "Siobhan O'Brien").ID, true)
		}),
		read("calls"),
		read("call", "board"),
		write("importance", "dmitri", "off"),
		write("record", "board", "off"),
		write("stream", "board", "off"),
		write("banner", "board", "off"),
		sim(func(t *testing.T, e *controlsEnv) {
			e.everyCall(t, "record, stream, banner off", func(c cmssim.CallState) bool {
				return !c.Recording && !c.Streaming && c.MessageText == ""
			})
			if p, _ := e.sim.Participant(e.leg(t, "Dmitri Ivanova").ParticipantID); p.Importance != nil {
				t.Errorf("importance %v, want unset", *p.Importance)
			}
			e.sim.SetLicenseExpiry(now.Add(-time.Hour))
		}),
		write("record", "board", "on"), // refused on both nodes: in words, exit 1
		sim(func(_ *testing.T, e *controlsEnv) {
			e.sim.SetLicenseExpiry(time.Time{})
			e.sim.SetDown("cb2", true)
		}),
		write("lock", "board"), // partial: cb2 is named
		sim(func(t *testing.T, e *controlsEnv) {
			e.sim.SetDown("cb2", false)
			for node, id := range e.board.Calls {
				if st, _ := e.sim.CallState(node, id); st.Locked != (node == "cb1") {
					t.Errorf("%s locked=%v; want the lock on cb1 only", node, st.Locked)
				}
			}
		}),
		write("unlock", "board"),
		sim(func(t *testing.T, e *controlsEnv) { e.sim.SetCanMove(e.leg(t, "Ana Silva").ParticipantID, false) }),
		read("move", "ana", "standup"), // canMove=false: refused before any write
		write("move", "dmitri", "standup"),
		sim(func(t *testing.T, e *controlsEnv) {
			moved := false
			for _, l := range e.sim.Legs(e.standup.Correlator) {
				moved = moved || l.Name == "Dmitri Ivanova"
			}
			if !moved {
				t.Error("Dmitri is not in Standup")
			}
		}),
		read("record", "board", "maybe"),
		read("importance", "x", "abc"),
		read("layoutall", "board", "grid"),
		read("banner", "board"),
		read("lock", "no-such-meeting"),
		read("admit", "board", "nobody-here"),
		write("end", "board"),
		sim(func(t *testing.T, e *controlsEnv) {
			if _, ok := e.sim.Meeting(e.board.Correlator); ok {
				t.Error("Board still up after end")
			}
		}),
	}

	var txt, js strings.Builder
	for _, s := range steps {
		if s.do != nil {
			for _, e := range envs {
				s.do(t, e)
			}
			continue
		}
		for i, e := range envs {
			var writes atomic.Int32
			e.sim.OnRequest(func(ri cmssim.RequestInfo) {
				if ri.Method != "GET" {
					writes.Add(1)
				}
			})
			args := s.args
			if i == 1 {
				args = append([]string{"--json"}, args...)
			}
			code, out, errOut := e.exec(t, args...)
			e.sim.OnRequest(nil)
			if n := writes.Load(); !s.writes && n != 0 {
				t.Errorf("exec %s sent %d writes", strings.Join(args, " "), n)
			}
			b := &txt
			if i == 1 {
				b = &js
			}
			fmt.Fprintf(b, "$ nfmm exec %s\n%s%s(exit %d)\n\n", strings.Join(args, " "), out, prefixLines("stderr: ", errOut), code)
		}
	}
	t1, t2 := txt.String(), js.String()
	normalizeIDs([]*string{&t2, &t1}) // JSON first: it shows every id in full
	goldenFile(t, "exec_controls.txt", t1)
	goldenFile(t, "exec_controls.json", t2)
}

func prefixLines(prefix, s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	hhmmRE = regexp.MustCompile(`\bas of \d\d:\d\d(:\d\d)?\b`)
)

// normalizeIDs numbers the ids in order of first appearance (full, and their 8-character
// prefixes) and replaces wall-clock times, so the transcripts do not depend on the emulator's
// random ids or on when the test runs.
func normalizeIDs(outs []*string) {
	num := map[string]int{}
	var order []string
	for _, o := range outs {
		for _, id := range uuidRE.FindAllString(*o, -1) {
			if _, ok := num[id]; !ok {
				num[id] = len(num) + 1
				order = append(order, id)
			}
		}
	}
	for _, o := range outs {
		s := *o
		for _, id := range order {
			s = strings.ReplaceAll(s, id, fmt.Sprintf("<id%d>", num[id]))
		}
		for _, id := range order {
			s = strings.ReplaceAll(s, id[:8], fmt.Sprintf("<id%d:8>", num[id]))
		}
		s = timeRE.ReplaceAllString(s, "<time>")
		s = hhmmRE.ReplaceAllString(s, "as of <time>")
		*o = s
	}
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdataDir(t), name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./e2e -run %s -update)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden; rerun with -update and review the diff\n--- got:\n%s", name, got)
	}
}

// testdataDir is e2e/testdata, found from this package's source directory (the test chdirs).
func testdataDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(pkgDir, "testdata")
}

var pkgDir = func() string { d, _ := os.Getwd(); return d }()

// The meeting controls' grammar (issue 14) is in `nfmm exec help`, in the README's command
// table and, for the JSON action ops, in docs/json.md.
func TestMeetingControlsAreDocumented(t *testing.T) {
	t.Setenv("CMS_NODES", "sim")
	_, help, _ := runExec(t, "help")
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	jsonDoc, err := os.ReadFile("../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ help, readme, op string }{
		{"find <text>", "find <text>", ""},
		{"muteall <meeting> [audio|video|both]", "", "muteall"},
		{"unmuteall <meeting> [audio|video|both]", "", "unmuteall"},
		{"lock <meeting>", "", "lock"},
		{"unlock <meeting>", "", "unlock"},
		{"admit <meeting> [<participant>]", "", "admit"},
		{"record <meeting> on|off", "", "record"},
		{"stream <meeting> on|off", "", "stream"},
		{"banner <meeting> <text…>|off", "banner <meeting> <text…>", "banner"},
		{"layoutall <meeting> <layout>", "", "layoutall"},
		{"importance <participant> <n>|off", "", "importance"},
		{"move <participant> <meeting>", "", "move"},
		{"end <meeting>", "", "end"},
	} {
		if !strings.Contains(help, "\n"+tt.help+" ") {
			t.Errorf("exec help lacks %q", tt.help)
		}
		in := tt.readme
		if in == "" {
			in = tt.help
		}
		if !strings.Contains(string(readme), "`"+strings.ReplaceAll(in, "|", `\|`)+"`") {
			t.Errorf("the README's command table lacks `%s`", in)
		}
		if tt.op != "" && !strings.Contains(string(jsonDoc), "`"+tt.op+"`") {
			t.Errorf("docs/json.md does not list the action op %q", tt.op)
		}
	}
}

// `nfmm exec watch` prints only the public change types: the live state's internal
// meeting_state_changed (a guest waiting in the lobby of a locked meeting) is left out.
func TestExecWatchLeavesOutInternalChanges(t *testing.T) {
	sim, err := cmssim.Start(cmssim.Options{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	board := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{{Name: "Alice", Node: "cb1"}}})
	w := startWatch(t, sim, "--json")
	w.wait(t, "the snapshot", func() bool { return len(w.docs(t)) > 0 })
	if code, _, errOut := runExec(t, "lock", "board"); code != 0 {
		t.Fatalf("lock: exit %d %s", code, errOut)
	}
	w.wait(t, "the lock", func() bool {
		return w.count(t, func(d watchDoc) bool { return d.Event.Type == "meeting_changed" }) == 1
	})
	var mu sync.Mutex
	read := map[string]bool{} // GET paths the emulator served
	sim.OnRequest(func(ri cmssim.RequestInfo) {
		if ri.Method == "GET" {
			mu.Lock()
			read[ri.Path] = true
			mu.Unlock()
		}
	})
	defer sim.OnRequest(nil)
	guest, _ := sim.Join(board.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb2"})
	w.wait(t, "the guest's join", func() bool {
		return w.count(t, func(d watchDoc) bool { return d.Event.Type == "participant_joined" }) == 1
	})
	// The lobby is learnt after the join (a leg read); a later change shows it was handled.
	w.wait(t, "the guest's leg read for the lobby", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return read["/api/v1/callLegs/"+guest.ID]
	})
	sim.SetEndpointMute(guest.ID, false, true)
	w.wait(t, "the guest's mute", func() bool {
		return w.count(t, func(d watchDoc) bool { return d.Event.Type == "participant_changed" }) == 1
	})
	for _, d := range w.docs(t) { // docs validates every line against the event schema
		if d.Event.Type == "meeting_state_changed" {
			t.Errorf("watch printed an internal change: %+v", d.Event)
		}
	}
}
