package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// controlsMeeting is "Board" on cb1 and cb2 with Dmitri, Siobhan O'Brien and Ana.
func controlsMeeting(e *simEnv) cmssim.MeetingInfo {
	return e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{
		{Name: "Dmitri Ivanova", URI: "dmitri@example.com", Node: "cb1"},
		{Name: "Siobhan O'Brien", URI: "siobhan@example.com", Node: "cb2"},
		{Name: "Ana Silva", URI: "ana@example.com", Node: "cb2"},
	}})
}

func action1(t *testing.T, r Result) *ActionResult {
	t.Helper()
	ar, ok := r.(*ActionResult)
	if !ok {
		t.Fatalf("result %T, want *ActionResult", r)
	}
	return ar
}

func TestMeetingControlsReachEveryNode(t *testing.T) {
	tests := []struct {
		text  string
		check func(cmssim.CallState) bool
		field string
	}{
		{"lock board", func(c cmssim.CallState) bool { return c.Locked }, "locked"},
		{"record board on", func(c cmssim.CallState) bool { return c.Recording }, "recording"},
		{"stream board on", func(c cmssim.CallState) bool { return c.Streaming }, "streaming"},
		{"banner board Back at 10:15", func(c cmssim.CallState) bool {
			return c.MessageText == "Back at 10:15" && c.MessagePosition == "middle" && c.MessageDuration == "30"
		}, "banner"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			e := newSimEnv(t, 2, Policy{})
			m := controlsMeeting(e)
			r := action1(t, e.run(t, tt.text))
			for node, id := range m.Calls {
				if st, _ := e.sim.CallState(node, id); !tt.check(st) {
					t.Errorf("%s: %+v", node, st)
				}
			}
			if r.Updated != 2 || len(r.Failed) != 0 || len(r.Changes) != 2 || r.Changes[0].Field != tt.field {
				t.Fatalf("result %+v", r)
			}
			recs := auditRecords(t, e.audit)
			if len(recs) != 1 {
				t.Fatalf("%d audit records, want 1", len(recs))
			}
		})
	}
}

func TestControlsBeforeAfterAndOff(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := controlsMeeting(e)
	e.run(t, "lock board")
	r := action1(t, e.run(t, "unlock board"))
	if r.Changes[0].Before != "locked" || r.Changes[0].After != "unlocked" {
		t.Errorf("unlock changes %+v", r.Changes)
	}
	e.run(t, "banner board Hello")
	r = action1(t, e.run(t, "banner board off"))
	if r.Changes[0].Before != "Hello" || r.Changes[0].After != "none" {
		t.Errorf("banner off changes %+v", r.Changes)
	}
	if st, _ := e.sim.CallState("cb1", m.Calls["cb1"]); st.MessageText != "" || st.MessageDuration != "0" {
		t.Errorf("banner still set: %+v", st)
	}
}

func TestControlsRefusalsArePartialResults(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := controlsMeeting(e)
	e.sim.SetLicenseExpiry(time.Now().Add(-time.Hour))
	r := action1(t, e.run(t, "record board on"))
	if r.Updated != 0 || len(r.Failed) != 2 || !strings.Contains(r.Failed[0].Reason, "recording licence") ||
		!strings.HasPrefix(r.Summary, "Could not start recording") {
		t.Fatalf("result %+v", r)
	}
	e.sim.SetLicenseExpiry(time.Time{})
	e.sim.SetStreamingMode(m.Correlator, "automatic")
	r = action1(t, e.run(t, "stream board on"))
	if !strings.Contains(r.Failed[0].Reason, "callStreamingCannotBeModified") {
		t.Fatalf("result %+v", r)
	}
	e.sim.SetDown("cb2", true)
	r = action1(t, e.run(t, "lock board"))
	if r.Updated != 1 || len(r.Failed) != 1 || r.Failed[0].Node != "cb2" || !strings.Contains(r.Summary, "failed on cb2") {
		t.Fatalf("partial lock %+v", r)
	}
}

func TestEndMeeting(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := controlsMeeting(e)
	r := action1(t, e.run(t, "end board"))
	if r.Updated != 2 {
		t.Fatalf("end %+v", r)
	}
	if _, ok := e.sim.Meeting(m.Correlator); ok {
		t.Fatal("meeting still up")
	}
}

func TestParticipantByName(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := controlsMeeting(e)
	r := action1(t, e.run(t, "mute o'brien"))
	if r.Participant != "Siobhan O'Brien" {
		t.Fatalf("muted %q", r.Participant)
	}
	for _, l := range e.sim.Legs(m.Correlator) {
		if l.RxAudioMute != (l.Name == "Siobhan O'Brien") {
			t.Errorf("%s muted=%v", l.Name, l.RxAudioMute)
		}
	}
	if _, err := e.svc.Run(context.Background(), e.op, "participant dmitri@example"); err != nil {
		t.Fatalf("by address: %v", err)
	}
}

func TestAmbiguousReferenceWritesNothing(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	controlsMeeting(e)
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Other", Participants: []cmssim.ParticipantSpec{{Name: "Ana Costa", Node: "cb1"}}})
	var writes atomic.Int32 // the emulator serves its nodes concurrently
	e.sim.OnRequest(func(ri cmssim.RequestInfo) {
		if ri.Method != "GET" {
			writes.Add(1)
		}
	})
	_, err := e.svc.Run(context.Background(), e.op, "mute ana")
	var re *RefError
	if !errors.As(err, &re) || !re.Ambiguous || len(re.Matches) != 2 {
		t.Fatalf("err %v", err)
	}
	if n := writes.Load(); n != 0 {
		t.Fatalf("%d writes for an ambiguous reference", n)
	}
}

func TestBadArgumentsReachNoCMS(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	controlsMeeting(e)
	e.sim.ResetCounters()
	for _, text := range []string{"record board maybe", "importance x abc", "layoutall board grid",
		"banner board", "stream board", "muteall", "move dmitri", "importance dmitri 0", "admit",
		"end", "find", "lock", "importance dmitri 99999999999"} {
		_, err := e.svc.Run(context.Background(), e.op, text)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Usage == "" {
			t.Errorf("%s: %v, want a usage error with the usage", text, err)
		}
	}
	if n := e.requests(); n != 0 {
		t.Fatalf("bad arguments sent %d requests", n)
	}
}

func TestAdmitImportanceMove(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := controlsMeeting(e)
	to := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{{Name: "Host", Node: "cb1"}}})
	e.run(t, "lock board")
	g1, _ := e.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest One", Node: "cb1"})
	g2, _ := e.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest Two", Node: "cb2"})
	r := action1(t, e.run(t, "admit board one"))
	if r.Updated != 1 {
		t.Fatalf("admit one %+v", r)
	}
	if p, _ := e.sim.Participant(g1.ParticipantID); p.Lobby.Deactivated {
		t.Fatal("guest one still waiting")
	}
	r = action1(t, e.run(t, "admit board"))
	if r.Updated != 1 || r.Changes[0].Subject != "Guest Two" {
		t.Fatalf("admit all %+v", r)
	}
	if p, _ := e.sim.Participant(g2.ParticipantID); p.Lobby.Deactivated {
		t.Fatal("guest two still waiting")
	}

	r = action1(t, e.run(t, "importance dmitri 5"))
	d := legOn(t, m, "cb1")
	if p, _ := e.sim.Participant(d.ParticipantID); p.Importance == nil || *p.Importance != 5 || r.Changes[0].Before != "unset" {
		t.Fatalf("importance %+v / %+v", p, r.Changes)
	}
	r = action1(t, e.run(t, "importance dmitri off"))
	if p, _ := e.sim.Participant(d.ParticipantID); p.Importance != nil || r.Changes[0].Before != "5" {
		t.Fatalf("importance off %+v / %+v", p, r.Changes)
	}

	r = action1(t, e.run(t, "move dmitri standup"))
	if r.Changes[0].Before != "Board" || r.Changes[0].After != "Standup" {
		t.Fatalf("move %+v", r)
	}
	moved := false
	for _, l := range e.sim.Legs(to.Correlator) {
		moved = moved || l.Name == "Dmitri Ivanova"
	}
	if !moved {
		t.Fatal("dmitri not in Standup")
	}
	siobhan := legOn(t, m, "cb2")
	e.sim.SetCanMove(siobhan.ParticipantID, false)
	e.sim.ResetCounters()
	var writes atomic.Int32 // the emulator serves its nodes concurrently
	e.sim.OnRequest(func(ri cmssim.RequestInfo) {
		if ri.Method != "GET" {
			writes.Add(1)
		}
	})
	if _, err := e.svc.Run(context.Background(), e.op, "move o'brien standup"); err == nil ||
		!strings.Contains(UserMessage(err), "cannot move") || writes.Load() != 0 {
		t.Fatalf("immovable: %v (writes %d)", err, writes.Load())
	}
}

func TestFind(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	controlsMeeting(e)
	r, ok := e.run(t, "find AN").(*FindResult)
	if !ok {
		t.Fatal("not a find result")
	}
	// "an" is in Dmitri Ivanova, Ana Silva and (address) siobhan@example.com.
	if len(r.Matches) != 3 {
		t.Fatalf("matches %+v", r.Matches)
	}
	for _, m := range r.Matches {
		if m.Meeting != "Board" || m.Node == "" || m.LegID == "" || m.Address == "" {
			t.Errorf("match %+v", m)
		}
	}
}

// TestNamesNeverReachAPath: a participant reference that is not an id is a name, searched as
// CMS's filter query value; whatever it contains never becomes part of a URL path.
func TestNamesNeverReachAPath(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	controlsMeeting(e)
	refs := []string{"zzzz1234", "../../system/status", "abcd%2F1234", "abcd&rxAudioMute=true", "abcd-1234?x=1",
		";rm", "a/b/c/d", "abcd/../1234"}
	var mu sync.Mutex // the emulator serves its nodes concurrently
	var paths []string
	e.sim.OnRequest(func(ri cmssim.RequestInfo) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, ri.Method+" "+ri.Path)
	})
	for _, ref := range refs {
		for _, c := range []Command{{Op: OpParticipant, Participant: ref}, {Op: OpDisconnect, Participant: ref},
			{Op: OpLayout, Participant: ref, Layout: "allEqual"}, {Op: OpUnmute, Participant: ref}} {
			_, err := e.svc.Execute(context.Background(), e.op, c)
			var re *RefError
			if !errors.As(err, &re) || re.Ambiguous {
				t.Errorf("%s %q: %v, want no participant matches", c.Op, ref, err)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range paths {
		if p != "GET /api/v1/callLegs" && p != "GET /api/v1/calls" {
			t.Errorf("a name reached %s", p)
		}
	}
}

func controlSamples() map[string]Result {
	board := MeetingSummary{Correlator: "9fea4ad1-2b6e-4c1d-9c3a-1f2e3d4c5b6a", Name: "Board review", Participants: 3,
		Nodes: []string{"cb1", "cb2"}, Duration: 64*time.Minute + 5*time.Second}
	return map[string]Result{
		"action_record_partial": &ActionResult{Op: OpRecord, Meeting: board, Updated: 1,
			Summary: "Started recording in Board review on cb1; failed on cb2.",
			Changes: []Change{{Subject: "Board review (cb1)", Field: "recording", Before: "off", After: "on"}},
			Failed: []LegFailure{{Node: "cb2", Name: "Board review",
				Reason: "CMS on cb2 would not start recording: it has no recording licence left (recordingNotAllowedByLicensing)."}}},
		"action_muteall": &ActionResult{Op: OpMuteAll, Meeting: board, Updated: 2,
			Summary: "Muted everyone in Board review (cb1, cb2).",
			Changes: []Change{{Subject: "Board review", Field: "audio", Before: "1 of 3 muted", After: "3 of 3 muted"}}},
		"find": &FindResult{Text: "ali", AsOf: asOf, Matches: []FoundParticipant{
			{Name: "Alice Example", Address: "alice@example.com", Meeting: "Board review", Correlator: board.Correlator,
				Node: "cb1", LegID: "a1b2c3d4-0000-4000-8000-000000000001", AudioMuted: true},
			{Name: "Natalia", Address: "natalia@example.com", Meeting: "Standup", Correlator: "77aa", Node: "cb2",
				LegID: "b1b2c3d4-0000-4000-8000-000000000002", Lobby: true}},
			Unreachable: []NodeFailure{{Node: "cb3", Reason: "cb3 did not answer in time."}}},
		"find_empty": &FindResult{Text: "zed", Matches: []FoundParticipant{}, AsOf: asOf},
	}
}

func TestGoldenControls(t *testing.T) {
	for name, r := range controlSamples() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := FormatText(&buf, r); err != nil {
				t.Fatal(err)
			}
			golden(t, name+".txt", buf.Bytes())
			b, err := MarshalResult(r)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".json", append(b, '\n'))
		})
	}
}

// meetingState sets every meeting state there is on Board: locked, recording, streaming, a
// banner, Siobhan presenting, and two late guests joining the locked meeting of whom one is
// admitted, so one waits in the lobby.
func meetingState(t *testing.T, e *simEnv, svc *Service, m cmssim.MeetingInfo) {
	t.Helper()
	for _, cmd := range []string{"lock board", "record board on", "stream board on", "banner board Back at 10:15"} {
		if _, err := svc.Run(t.Context(), e.op, cmd); err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
	}
	for _, l := range m.Legs {
		if l.Name == "Siobhan O'Brien" && !e.sim.SetPresenting(l.ID, true) {
			t.Fatal("SetPresenting")
		}
	}
	e.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Late Guest", Node: "cb2"})
	e.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Early Guest", Node: "cb1"})
	waitFor(t, "both guests in the lobby", func() bool {
		ro, err := svc.Run(t.Context(), e.op, "call board")
		return err == nil && ro.(*RosterResult).Meeting.State.Lobby != nil && *ro.(*RosterResult).Meeting.State.Lobby == 2
	})
	if _, err := svc.Run(t.Context(), e.op, "admit board early"); err != nil {
		t.Fatalf("admit: %v", err)
	}
}

// wantState is meetingState's state.
func wantState(t *testing.T, where string, st MeetingState) {
	t.Helper()
	if !st.Locked || !st.Recording || !st.Streaming || st.Banner != "Back at 10:15" ||
		st.Presenter != "Siobhan O'Brien" || st.Lobby == nil || *st.Lobby != 1 {
		t.Errorf("%s: state %+v, want locked, recording, streaming, banner, Siobhan presenting, 1 in the lobby", where, st)
	}
	want := "🔒 ⏺ 📡 · presenting: Siobhan O'Brien · banner “Back at 10:15” · 1 in the lobby"
	if marks := StateMarks(st); marks != want {
		t.Errorf("%s: marks %q, want %q", where, marks, want)
	}
}

// The meeting state shows in the calls list, the roster header and the report, the lobby
// counted and the presenter named, over REST (exec).
func TestMeetingStateShownInCallsAndRoster(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := controlsMeeting(e)
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Quiet", Participants: []cmssim.ParticipantSpec{{Name: "Q", Node: "cb1"}}})
	meetingState(t, e, e.svc, m)
	ro := e.run(t, "call board").(*RosterResult)
	wantState(t, "roster", ro.Meeting.State)
	var lobby, presenting []string
	for _, p := range ro.Participants {
		if p.Lobby {
			lobby = append(lobby, p.Name)
		}
		if p.Presenting {
			presenting = append(presenting, p.Name)
		}
	}
	if !slices.Equal(lobby, []string{"Late Guest"}) || !slices.Equal(presenting, []string{"Siobhan O'Brien"}) {
		t.Errorf("lobby rows %v, presenting rows %v; want Late Guest, Siobhan", lobby, presenting)
	}
	calls := e.run(t, "calls").(*CallsResult)
	for _, cm := range calls.Meetings {
		switch cm.Name {
		case "Board":
			wantState(t, "calls", cm.State)
		case "Quiet":
			if cm.State.Lobby == nil || *cm.State.Lobby != 0 || StateMarks(cm.State) != "" {
				t.Errorf("Quiet: state %+v, want nothing set and an empty lobby", cm.State)
			}
		}
	}
	rep := e.run(t, "report").(*ReportResult)
	if len(rep.Largest) == 0 || rep.Largest[0].Name != "Board" {
		t.Fatalf("report largest %+v", rep.Largest)
	}
	wantState(t, "report", rep.Largest[0].State)
}

// Under nfmm run the calls list, roster and report come from live state (Events API) without
// a CMS request; they show the same state as a REST read (exec).
func TestMeetingStateLiveMatchesREST(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := controlsMeeting(e)
	l := cms.NewLive(e.cluster, cms.LiveConfig{ProbeAfter: 5 * time.Second, ProbeTimeout: 5 * time.Second, CheckEvery: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	l.Start(ctx)
	t.Cleanup(func() { cancel(); l.Wait() })
	if err := l.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.cluster.SetLive(l)
	// The live service writes (its own writes keep the banner and the admit in live state);
	// rest reads the same emulator over REST, as nfmm exec does.
	rest := newSimEnvOn(t, e.sim)
	meetingState(t, e, e.svc, m)

	texts := func(svc *Service, cmd string) (string, string) {
		r, err := svc.Run(t.Context(), e.op, cmd)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		var buf bytes.Buffer
		if err := FormatText(&buf, r); err != nil {
			t.Fatal(err)
		}
		state := func(ms MeetingSummary) string { b, _ := json.Marshal(ms.State); return string(b) }
		switch r := r.(type) {
		case *CallsResult:
			return buf.String(), state(r.Meetings[0])
		case *RosterResult:
			return buf.String(), state(r.Meeting)
		case *ReportResult:
			return buf.String(), state(r.Largest[0])
		}
		t.Fatalf("%s: %T", cmd, r)
		return "", ""
	}
	for _, cmd := range []string{"calls", "call board", "report"} {
		var live, restState string
		waitFor(t, cmd+": live state as REST shows it", func() bool {
			_, live = texts(e.svc, cmd)
			_, restState = texts(rest.svc, cmd)
			return live == restState
		})
		var want MeetingState
		if err := json.Unmarshal([]byte(live), &want); err != nil {
			t.Fatal(err)
		}
		wantState(t, cmd+" (live)", want)
		waitFor(t, "live state fresh", func() bool {
			e.sim.ResetCounters()
			liveText, _ := texts(e.svc, "calls")
			return e.requests() == 0 && strings.Contains(liveText, "1 in the lobby")
		})
	}
	// Unlocking lets the lobby in; live state hears the unlock and counts nobody waiting.
	if _, err := e.svc.Run(t.Context(), e.op, "unlock board"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an empty lobby, live and REST", func() bool {
		_, live := texts(e.svc, "calls")
		_, restState := texts(rest.svc, "calls")
		return live == restState && strings.Contains(live, `"lobby":0`) && strings.Contains(live, `"locked":false`)
	})
	if _, err := e.svc.Run(t.Context(), e.op, "lock board"); err != nil {
		t.Fatal(err)
	}
	// Text: the calls list line is the same, durations aside.
	liveText, _ := texts(e.svc, "calls")
	restText, _ := texts(rest.svc, "calls")
	if stateCol(liveText) == "" || stateCol(liveText) != stateCol(restText) || !strings.Contains(liveText, "presenting: Siobhan O'Brien") {
		t.Errorf("calls text differs:\nlive:\n%s\nREST:\n%s", liveText, restText)
	}
}

// stateCol is the text from the state marks on, in each line holding them.
func stateCol(text string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, "🔒"); i >= 0 {
			out = append(out, line[i:])
		}
	}
	return strings.Join(out, "\n")
}

// TestPresenterOffRestoresTheSnapshot: off puts back mutes, layouts, importance and join-muted
// as they were before on, and does not unmute someone who was muted before.
func TestPresenterOffRestoresTheSnapshot(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := controlsMeeting(e)
	var ana, dmitri cmssim.LegState
	for _, l := range m.Legs {
		switch l.Name {
		case "Ana Silva":
			ana = l
		case "Dmitri Ivanova":
			dmitri = l
		}
	}
	e.run(t, "mute ana")
	e.run(t, "layout dmitri stacked")
	e.run(t, "importance ana 7")
	e.run(t, "importance dmitri 3") // the presenter's own importance before presenter mode
	e.run(t, "presenter board dmitri")
	if l := e.sim.Legs(m.Correlator); len(l) != 3 {
		t.Fatalf("legs %v", l)
	}
	if l, _ := e.sim.Leg(dmitri.ID); l.ChosenLayout != "speakerOnly" {
		t.Fatalf("presenter mode did not apply: %+v", l)
	}
	if p, _ := e.sim.Participant(dmitri.ParticipantID); p.Importance == nil || *p.Importance != 100 {
		t.Fatalf("the presenter's importance during presenter mode: %v, want 100", p.Importance)
	}
	off, ok := e.run(t, "presenter board off").(*ActionResult)
	if !ok || !slices.ContainsFunc(off.Changes, func(c Change) bool {
		return c.Subject == "Dmitri Ivanova" && c.Field == "importance" && c.After == "3"
	}) {
		t.Errorf("presenter off does not report Dmitri's importance put back: %+v", off)
	}
	if l, _ := e.sim.Leg(ana.ID); !l.RxAudioMute || l.ChosenLayout != "" {
		t.Errorf("Ana after off: %+v (was muted before presenter mode)", l)
	}
	if p, _ := e.sim.Participant(ana.ParticipantID); p.Importance == nil || *p.Importance != 7 {
		t.Errorf("Ana's importance not restored: %+v", p.Importance)
	}
	if l, _ := e.sim.Leg(dmitri.ID); l.RxAudioMute || l.ChosenLayout != "stacked" {
		t.Errorf("Dmitri after off: %+v", l)
	}
	if p, _ := e.sim.Participant(dmitri.ParticipantID); p.Importance == nil || *p.Importance != 3 {
		t.Errorf("the presenter's importance after off: %v, want 3 as before presenter mode", p.Importance)
	}
	for node, id := range m.Calls {
		if st, _ := e.sim.CallState(node, id); st.JoinAudioMuteOverride != nil {
			t.Errorf("%s join-muted %v, want unset as before", node, *st.JoinAudioMuteOverride)
		}
	}
}

// Each CMS refusal of a meeting control reaches the user as a sentence, naming every node
// that refused (or the participant's node), with CMS's reason in brackets.
func TestCMSRefusalsAreSentences(t *testing.T) {
	tests := []struct {
		name, cmd string
		setup     func(e *simEnv, m cmssim.MeetingInfo)
		want      string
	}{
		{"recordingNotAllowedByLicensing", "record board on",
			func(e *simEnv, _ cmssim.MeetingInfo) { e.sim.SetLicenseExpiry(time.Now().Add(-time.Hour)) },
			"would not start recording: it has no recording licence left (recordingNotAllowedByLicensing)."},
		{"callRecordingCannotBeModified", "record board on",
			func(e *simEnv, m cmssim.MeetingInfo) { e.sim.SetRecordingMode(m.Correlator, "disabled") },
			"Recording cannot be switched by hand on %s: the call profile records automatically or never (callRecordingCannotBeModified)."},
		{"streamingNotAllowedByLicensing", "stream board on",
			func(e *simEnv, _ cmssim.MeetingInfo) { e.sim.SetLicenseExpiry(time.Now().Add(-time.Hour)) },
			"would not start streaming: it has no streaming licence left (streamingNotAllowedByLicensing)."},
		{"callStreamingCannotBeModified", "stream board on",
			func(e *simEnv, m cmssim.MeetingInfo) { e.sim.SetStreamingMode(m.Correlator, "automatic") },
			"Streaming cannot be switched by hand on %s: the call profile streams automatically or never (callStreamingCannotBeModified)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSimEnv(t, 2, Policy{})
			m := controlsMeeting(e)
			tt.setup(e, m)
			r := action1(t, e.run(t, tt.cmd))
			if r.Updated != 0 || len(r.Failed) != 2 {
				t.Fatalf("result %+v, want both nodes failed", r)
			}
			for i, node := range []string{"cb1", "cb2"} {
				f := r.Failed[i]
				want := tt.want
				if strings.Contains(want, "%s") {
					want = fmt.Sprintf(want, node)
				}
				if f.Node != node || !strings.Contains(f.Reason, want) {
					t.Errorf("failure %d: %+v, want node %s and %q", i, f, node, want)
				}
			}
		})
	}
	t.Run("canMove false", func(t *testing.T) {
		e := newSimEnv(t, 2, Policy{})
		m := controlsMeeting(e)
		e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{{Name: "Host", Node: "cb1"}}})
		e.sim.SetCanMove(legOn(t, m, "cb1").ParticipantID, false)
		_, err := e.svc.Run(t.Context(), e.op, "move dmitri standup")
		want := "CMS on cb1 cannot move that participant to another meeting (canMove is false"
		if err == nil || !strings.Contains(UserMessage(err), want) {
			t.Errorf("move: %v, want %q", err, want)
		}
	})
}

// No command writes when its meeting or participant reference is unknown or ambiguous: every
// one answers with a reference error and CMS sees only reads.
func TestBadReferencesWriteNothing(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	controlsMeeting(e)
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board two", Participants: []cmssim.ParticipantSpec{{Name: "Ana Costa", Node: "cb1"}}})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{{Name: "Host", Node: "cb1"}}})
	var writes []string
	var mu sync.Mutex
	e.sim.OnRequest(func(ri cmssim.RequestInfo) {
		if ri.Method != "GET" {
			mu.Lock()
			writes = append(writes, ri.Method+" "+ri.Path)
			mu.Unlock()
		}
	})
	var cmds []string
	for _, meeting := range []string{"nosuchmeeting", "boar"} { // unknown; ambiguous (Board, Board two)
		for _, c := range []string{"muteall %s", "unmuteall %s", "lock %s", "unlock %s", "admit %s", "record %s on",
			"stream %s off", "banner %s Hello", "banner %s off", "layoutall %s stacked", "end %s", "presenter %s off",
			"move dmitri %s"} {
			cmds = append(cmds, fmt.Sprintf(c, meeting))
		}
	}
	for _, who := range []string{"nobody", "ana"} { // unknown; ambiguous (Ana Silva, Ana Costa)
		for _, c := range []string{"participant %s", "mute %s", "unmute %s", "layout %s stacked", "disconnect %s",
			"importance %s 5", "importance %s off", "move %s standup"} {
			cmds = append(cmds, fmt.Sprintf(c, who))
		}
	}
	cmds = append(cmds, "admit board nobody") // admit looks in the meeting only
	for _, c := range cmds {
		_, err := e.svc.Run(t.Context(), e.op, c)
		var re *RefError
		if !errors.As(err, &re) {
			t.Errorf("%s: %v, want a reference error", c, err)
		}
	}
	if len(writes) != 0 {
		t.Fatalf("bad references sent writes: %v", writes)
	}
}

// Every meeting control writes exactly one audit record, naming the op, with its changes
// before → after, and the operator-only ones are refused for a viewer (audited as denied,
// nothing sent but reads).
func TestEveryControlAuditsOnceWithBeforeAfter(t *testing.T) {
	tests := []struct {
		setup []string // run first (their records are not counted)
		cmd   string
		op    string
	}{
		{nil, "muteall board", "muteall"},
		{[]string{"muteall board"}, "unmuteall board", "unmuteall"},
		{nil, "lock board", "lock"},
		{[]string{"lock board"}, "unlock board", "unlock"},
		{[]string{"lock board", "!join"}, "admit board", "admit"},
		{nil, "record board on", "record"},
		{[]string{"record board on"}, "record board off", "record"},
		{nil, "stream board on", "stream"},
		{nil, "banner board Hello", "banner"},
		{[]string{"banner board Hello"}, "banner board off", "banner"},
		{nil, "layoutall board stacked", "layoutall"},
		{nil, "importance dmitri 5", "importance"},
		{[]string{"importance dmitri 5"}, "importance dmitri off", "importance"},
		{nil, "move dmitri standup", "move"},
		{nil, "end board", "end"},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			e := newSimEnv(t, 2, Policy{Operators: []string{"op"}})
			m := controlsMeeting(e)
			e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: []cmssim.ParticipantSpec{{Name: "Host", Node: "cb1"}}})
			op, viewer := Actor{UserID: "op"}, Actor{UserID: "someone"}
			for _, s := range tt.setup {
				if s == "!join" {
					e.sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest", Node: "cb2"})
					continue
				}
				if _, err := e.svc.Run(t.Context(), op, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			e.audit.Reset()
			var writes atomic.Int32
			e.sim.OnRequest(func(ri cmssim.RequestInfo) {
				if ri.Method != "GET" {
					writes.Add(1)
				}
			})
			_, err := e.svc.Run(t.Context(), viewer, tt.cmd)
			var de *DeniedError
			if !errors.As(err, &de) || writes.Load() != 0 {
				t.Fatalf("a viewer's %s: %v, %d writes; want denied and none", tt.cmd, err, writes.Load())
			}
			if _, err := e.svc.Run(t.Context(), op, tt.cmd); err != nil {
				t.Fatalf("%s: %v", tt.cmd, err)
			}
			recs := auditRecords(t, e.audit)
			if len(recs) != 2 {
				t.Fatalf("%d audit records, want 2 (the refusal, the change): %v", len(recs), recs)
			}
			if recs[0]["outcome"] != "denied" || recs[0]["op"] != tt.op {
				t.Errorf("the viewer's record: %v", recs[0])
			}
			ch, _ := recs[1]["changes"].([]any)
			if recs[1]["op"] != tt.op || recs[1]["outcome"] != "ok" || len(ch) == 0 {
				t.Fatalf("the operator's record: %v", recs[1])
			}
			for _, c := range ch {
				c, _ := c.(map[string]any)
				if c["before"] == nil || c["after"] == nil || c["before"] == c["after"] {
					t.Errorf("change %v: want a before and a different after", c)
				}
			}
		})
	}
}
