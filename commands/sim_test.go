package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// simEnv is a Service on a cms.Cluster talking HTTP to an emulated cluster.
type simEnv struct {
	sim     *cmssim.Sim
	cluster *cms.Cluster
	svc     *Service
	audit   *bytes.Buffer
	op      Actor
}

func newSimEnv(t *testing.T, nodes int, policy Policy) *simEnv {
	t.Helper()
	sim, err := cmssim.Start(cmssim.Options{Nodes: nodes, Seed: 7})
	if err != nil {
		t.Fatalf("cmssim.Start: %v", err)
	}
	t.Cleanup(sim.Close)
	e := newSimEnvOn(t, sim)
	e.svc = New(Config{Cluster: e.cluster, Policy: policy, Audit: NewAuditLog(slog.NewJSONHandler(e.audit, nil))})
	return e
}

// newSimEnvOn is another Service with its own cluster (no live state) on the emulator sim.
func newSimEnvOn(t *testing.T, sim *cmssim.Sim) *simEnv {
	t.Helper()
	var ns []*cms.Node
	for _, n := range sim.Nodes() {
		node, err := cms.NewNode(cms.NodeConfig{Name: n.Name, BaseURL: n.URL, Username: sim.Username,
			Password: sim.Password, HTTPClient: sim.HTTPClient(), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("NewNode: %v", err)
		}
		ns = append(ns, node)
	}
	var buf bytes.Buffer
	c := cms.NewCluster(ns)
	svc := New(Config{Cluster: c, Audit: NewAuditLog(slog.NewJSONHandler(&buf, nil))})
	return &simEnv{sim: sim, cluster: c, svc: svc, audit: &buf, op: Actor{UserID: "local", Local: true}}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *simEnv) run(t *testing.T, text string) Result {
	t.Helper()
	r, err := e.svc.Run(context.Background(), e.op, text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return r
}

func (e *simEnv) requests() int {
	n := 0
	for _, info := range e.sim.Nodes() {
		n += e.sim.Requests(info.Name)
	}
	return n
}

func people(nodes []string, perNode int) []cmssim.ParticipantSpec {
	var ps []cmssim.ParticipantSpec
	for _, n := range nodes {
		for i := range perNode {
			ps = append(ps, cmssim.ParticipantSpec{Name: fmt.Sprintf("Person %s-%02d", n, i), Node: n})
		}
	}
	return ps
}

func legOn(t *testing.T, m cmssim.MeetingInfo, node string) cmssim.LegState {
	t.Helper()
	for _, l := range m.Legs {
		if l.Node == node {
			return l
		}
	}
	t.Fatalf("no leg on %s", node)
	return cmssim.LegState{}
}

func simLeg(t *testing.T, sim *cmssim.Sim, id string) cmssim.LegState {
	t.Helper()
	l, ok := sim.Leg(id)
	if !ok {
		t.Fatalf("leg %s is gone from the emulator", id)
	}
	return l
}

func TestReadsDistributedMeeting(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	m := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", StartedAgo: 64 * time.Minute,
		Participants: people([]string{"cb1", "cb2", "cb3"}, 2)})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Standup", Participants: people([]string{"cb1"}, 3)})

	calls := e.run(t, "calls").(*CallsResult)
	if len(calls.Meetings) != 2 || calls.TotalParticipants != 9 {
		t.Fatalf("calls = %+v, want 2 meetings, 9 participants", calls)
	}
	board := calls.Meetings[0]
	if board.Name != "Board review" || board.Participants != 6 || strings.Join(board.Nodes, ",") != "cb1,cb2,cb3" || board.Correlator != m.Correlator {
		t.Errorf("board = %+v", board)
	}
	if f := e.run(t, "calls stand").(*CallsResult); len(f.Meetings) != 1 || f.Meetings[0].Name != "Standup" {
		t.Errorf("calls stand = %+v", f.Meetings)
	}

	ro := e.run(t, `call "board"`).(*RosterResult)
	if len(ro.Participants) != 6 {
		t.Fatalf("roster has %d participants, want 6", len(ro.Participants))
	}
	perNode := map[string]int{}
	for _, p := range ro.Participants {
		perNode[p.Node]++
		if want, _ := e.sim.Leg(p.LegID); want.Node != p.Node || want.Name != p.Name {
			t.Errorf("row %+v disagrees with emulator %+v", p, want)
		}
	}
	if perNode["cb1"] != 2 || perNode["cb2"] != 2 || perNode["cb3"] != 2 {
		t.Errorf("participants per node = %v", perNode)
	}

	leg := legOn(t, m, "cb3")
	pr := e.run(t, "participant "+leg.ID[:8]).(*ParticipantResult)
	if pr.Participant.LegID != leg.ID || pr.Participant.Node != "cb3" || pr.Meeting.Name != "Board review" {
		t.Errorf("participant = %+v in %+v", pr.Participant, pr.Meeting)
	}
	if pr.RxAudio == nil || len(pr.RxVideo) == 0 {
		t.Errorf("participant has no media stats: %+v", pr)
	}

	st := e.run(t, "status").(*StatusResult)
	legs := 0
	for _, n := range st.Nodes {
		if !n.Reachable || n.Version == "" {
			t.Errorf("node %+v not healthy", n)
		}
		legs += n.ActiveLegs
	}
	if len(st.Nodes) != 3 || legs < 9 {
		t.Errorf("status = %+v, want 3 nodes and at least 9 legs", st.Nodes)
	}
	if e.audit.Len() != 0 {
		t.Errorf("reads were audited: %s", e.audit)
	}
}

func TestActionsChangeEmulatorState(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	m := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: people([]string{"cb1", "cb2", "cb3"}, 2)})
	alice, bob, carol := legOn(t, m, "cb1"), legOn(t, m, "cb2"), legOn(t, m, "cb3")

	r := e.run(t, "mute "+bob.ID[:6]).(*ActionResult)
	if l := simLeg(t, e.sim, bob.ID); !l.RxAudioMute || l.RxVideoMute {
		t.Errorf("after mute: %+v", l)
	}
	if r.Node != "cb2" || r.Updated != 1 || len(r.Changes) != 1 || r.Changes[0].Before != "unmuted" || r.Changes[0].After != "muted" {
		t.Errorf("mute result = %+v", r)
	}
	again := e.run(t, "mute "+bob.ID).(*ActionResult)
	if again.Updated != 0 || !strings.Contains(again.Summary, "already muted") {
		t.Errorf("second mute = %+v", again)
	}
	e.run(t, "mute "+bob.ID+" video")
	if l := simLeg(t, e.sim, bob.ID); !l.RxAudioMute || !l.RxVideoMute {
		t.Errorf("after mute video: %+v", l)
	}
	e.run(t, "unmute "+bob.ID+" both")
	if l := simLeg(t, e.sim, bob.ID); l.RxAudioMute || l.RxVideoMute {
		t.Errorf("after unmute both: %+v", l)
	}

	lr := e.run(t, "layout "+carol.ID+" SPEAKERONLY").(*ActionResult)
	if l := simLeg(t, e.sim, carol.ID); l.ChosenLayout != "speakerOnly" || lr.Node != "cb3" {
		t.Errorf("after layout: %+v (%+v)", l, lr)
	}

	// The button path: a node hint is verified, and a wrong one does not misroute the action.
	for _, hint := range []string{"cb1", "cb3"} {
		_, err := e.svc.Execute(context.Background(), e.op, Command{Op: OpMute, Participant: carol.ID, Node: hint, Media: MediaVideo})
		if err != nil {
			t.Fatalf("button mute with hint %s: %v", hint, err)
		}
	}
	if l := simLeg(t, e.sim, carol.ID); !l.RxVideoMute {
		t.Errorf("after button mute: %+v", l)
	}

	add := e.run(t, "add board review sip:dave@example.com").(*ActionResult)
	if l := simLeg(t, e.sim, add.LegID); l.RemoteParty != "sip:dave@example.com" || l.Correlator != m.Correlator {
		t.Errorf("added leg = %+v", l)
	}

	e.run(t, "disconnect "+alice.ID)
	if _, ok := e.sim.Leg(alice.ID); ok {
		t.Errorf("leg %s still in the emulator after disconnect", alice.ID)
	}
	_, err := e.svc.Run(context.Background(), e.op, "mute "+alice.ID)
	var re *RefError
	if !errors.As(err, &re) {
		t.Errorf("mute of a disconnected leg = %v, want *RefError", err)
	}

	recs := auditRecords(t, e.audit)
	if len(recs) != 10 {
		t.Fatalf("got %d audit records, want 10", len(recs))
	}
	first := recs[0]
	if first["op"] != "mute" || first["outcome"] != OutcomeOK || first["meeting"] != "Board review" || first["actor"] != "local" {
		t.Errorf("first audit record = %v", first)
	}
	if nodes, _ := first["nodes"].([]any); len(nodes) != 1 || nodes[0] != "cb2" {
		t.Errorf("audit nodes = %v, want [cb2]", first["nodes"])
	}
	if last := recs[len(recs)-1]; last["outcome"] != OutcomeError || last["error"] == "" {
		t.Errorf("last audit record = %v", last)
	}
}

func TestRefErrors(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Team A sync", Participants: people([]string{"cb1"}, 1)})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Team B sync", Participants: people([]string{"cb2"}, 1)})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Pair", Participants: people([]string{"cb1", "cb2"}, 1)})
	tests := []struct {
		text      string
		ambiguous bool
		contain   string
		keys      string // the fields of every JSON candidate; "" when the answer lists none
	}{
		{"call nothing-like-this", false, `No meeting matches "nothing-like-this"`, ""},
		{"call sync", true, "Team A sync", "correlator,name,nodes"},
		{"participant deadbeef", false, "No participant matches", ""},
		{"mute deadbeef", false, "No participant matches", ""},
		{"presenter team a nobody", false, "Person cb1-00", "leg_id,name,node"},
		{"add sync 1234", true, "Team B sync", "correlator,name,nodes"},
		{"presenter pair person", true, "Person cb2-00", "leg_id,name,node"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, err := e.svc.Run(context.Background(), e.op, tt.text)
			var re *RefError
			if !errors.As(err, &re) || re.Ambiguous != tt.ambiguous {
				t.Fatalf("err = %v (%T), want RefError ambiguous=%v", err, err, tt.ambiguous)
			}
			if msg := UserMessage(err); !strings.Contains(msg, tt.contain) {
				t.Errorf("message %q does not contain %q", msg, tt.contain)
			}
			b, err := MarshalError(err)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Error struct {
					Type, Code string
					Candidates []map[string]any
				}
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			wantCode := map[bool]string{true: CodeAmbiguous, false: CodeNotFound}[tt.ambiguous]
			if doc.Error.Type != "reference" || doc.Error.Code != wantCode {
				t.Errorf("type/code = %s/%s, want reference/%s", doc.Error.Type, doc.Error.Code, wantCode)
			}
			if (tt.keys == "") != (len(doc.Error.Candidates) == 0) {
				t.Fatalf("candidates = %v, want keys %q", doc.Error.Candidates, tt.keys)
			}
			for _, c := range doc.Error.Candidates {
				got := slices.Sorted(maps.Keys(c))
				if strings.Join(got, ",") != tt.keys {
					t.Errorf("candidate %v has keys %v, want %s", c, got, tt.keys)
				}
			}
		})
	}
}

func TestRefusalChangesNothing(t *testing.T) {
	e := newSimEnv(t, 3, Policy{Operators: []string{"UOPS"}})
	m := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: people([]string{"cb1", "cb2", "cb3"}, 2)})
	e.sim.ResetCounters()
	viewer := Actor{UserID: "UVIEW", ChannelID: "C1"}
	leg := legOn(t, m, "cb2")
	for _, text := range []string{"mute " + leg.ID, "presenter board " + leg.ID, "disconnect " + leg.ID, "layout " + leg.ID + " stacked", "add board 1234"} {
		if _, err := e.svc.Run(context.Background(), viewer, text); err == nil {
			t.Fatalf("%s by a viewer succeeded", text)
		}
	}
	if n := e.requests(); n != 0 {
		t.Errorf("refused commands sent %d requests", n)
	}
	if l := simLeg(t, e.sim, leg.ID); l.RxAudioMute || l.ChosenLayout != "" || len(e.sim.Legs(m.Correlator)) != 6 {
		t.Errorf("state changed: %+v", l)
	}
	recs := auditRecords(t, e.audit)
	if len(recs) != 5 {
		t.Fatalf("got %d audit records, want 5", len(recs))
	}
	for _, r := range recs {
		if r["outcome"] != OutcomeDenied || r["actor"] != "UVIEW" || r["channel"] != "C1" {
			t.Errorf("audit record = %v", r)
		}
	}
}

func TestBadInputSendsNothingToEmulator(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: people([]string{"cb1"}, 1)})
	e.sim.ResetCounters()
	for _, tt := range badInputs() {
		if tt.cmd != nil {
			_, _ = e.svc.Execute(context.Background(), e.op, *tt.cmd)
		} else {
			_, _ = e.svc.Run(context.Background(), e.op, tt.text)
		}
	}
	if n := e.requests(); n != 0 {
		t.Errorf("bad input sent %d requests to the emulator", n)
	}
}

func TestPresenterManyLegsOneVanishes(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	nodes := []string{"cb1", "cb2", "cb3"}
	m := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "All hands", Participants: people(nodes, 14)})
	if len(m.Legs) != 42 {
		t.Fatalf("meeting has %d legs, want 42", len(m.Legs))
	}
	presenter := legOn(t, m, "cb2")
	victim := m.Legs[len(m.Legs)-1] // on cb3
	var once sync.Once
	e.sim.OnRequest(func(ri cmssim.RequestInfo) {
		if ri.Method == "PUT" && strings.HasPrefix(ri.Path, "/api/v1/callLegs/") {
			once.Do(func() { e.sim.RemoveLeg(victim.ID) })
		}
	})

	r := e.run(t, "presenter all hands "+presenter.ID[:8]).(*ActionResult)
	e.sim.OnRequest(nil)
	if len(r.Gone) != 1 || r.Gone[0].LegID != victim.ID || len(r.Failed) != 0 || r.Updated != 41 {
		t.Fatalf("presenter on: updated %d, gone %+v, failed %+v", r.Updated, r.Gone, r.Failed)
	}
	if r.Participant != presenter.Name || !strings.Contains(r.Summary, "41 of 42 legs") {
		t.Errorf("result = %q / %q", r.Participant, r.Summary)
	}
	assertPresenterOn(t, e, m, presenter.ID)

	twice := e.run(t, "presenter all hands "+presenter.ID).(*ActionResult)
	if twice.Updated != 41 || len(twice.Failed) != 0 || len(twice.Gone) != 0 {
		t.Errorf("second presenter on: %+v", twice)
	}
	assertPresenterOn(t, e, m, presenter.ID)

	off := e.run(t, "presenter all hands off").(*ActionResult)
	if off.Updated != 41 || len(off.Failed) != 0 {
		t.Errorf("presenter off: %+v", off)
	}
	for _, l := range e.sim.Legs(m.Correlator) {
		if l.RxAudioMute || l.ChosenLayout != "" || l.Importance != nil {
			t.Errorf("after off, leg %s: %+v", l.Name, l)
		}
	}
	for node, call := range m.Calls {
		if cs, _ := e.sim.CallState(node, call); cs.JoinAudioMuteOverride != nil {
			t.Errorf("after off, %s joinAudioMuteOverride = %v", node, *cs.JoinAudioMuteOverride)
		}
	}
}

func assertPresenterOn(t *testing.T, e *simEnv, m cmssim.MeetingInfo, presenter string) {
	t.Helper()
	legs := e.sim.Legs(m.Correlator)
	if len(legs) != 41 {
		t.Fatalf("emulator has %d legs, want 41", len(legs))
	}
	for _, l := range legs {
		isPres := l.ID == presenter
		if l.ChosenLayout != "speakerOnly" || l.RxAudioMute == isPres {
			t.Errorf("leg %s (presenter %v): layout %q, rxAudioMute %v", l.Name, isPres, l.ChosenLayout, l.RxAudioMute)
		}
		if isPres && (l.Importance == nil || *l.Importance != presenterImportance) {
			t.Errorf("presenter importance = %v", l.Importance)
		}
		if !isPres && l.Importance != nil {
			t.Errorf("leg %s has importance %d", l.Name, *l.Importance)
		}
	}
	for node, call := range m.Calls {
		cs, ok := e.sim.CallState(node, call)
		if !ok || cs.JoinAudioMuteOverride == nil || !*cs.JoinAudioMuteOverride {
			t.Errorf("%s joinAudioMuteOverride not on: %+v", node, cs)
		}
	}
}

func TestPresenterSwitchClearsOldImportance(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	m := e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Town hall", Participants: people([]string{"cb1", "cb2"}, 2)})
	first, second := legOn(t, m, "cb1"), legOn(t, m, "cb2")
	e.run(t, "presenter town hall "+first.ID)
	r := e.run(t, `presenter "town hall" "`+strings.ToLower(second.Name)+`"`).(*ActionResult)
	if r.LegID != second.ID {
		t.Fatalf("presenter by name picked %s, want %s", r.LegID, second.ID)
	}
	if l := simLeg(t, e.sim, first.ID); l.Importance != nil || !l.RxAudioMute {
		t.Errorf("old presenter: %+v", l)
	}
	if l := simLeg(t, e.sim, second.ID); l.Importance == nil || l.RxAudioMute {
		t.Errorf("new presenter: %+v", l)
	}
}

func TestNodeFailuresAreNamed(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: people([]string{"cb1", "cb2"}, 1)})
	e.sim.SetDown("cb3", true)
	e.sim.SetAuthFailure("cb2", true)
	calls := e.run(t, "calls").(*CallsResult)
	got := map[string]string{}
	for _, f := range calls.Unreachable {
		got[f.Node] = f.Reason
	}
	if got["cb2"] != "CMS rejected NFMM's credentials on cb2." || !strings.HasPrefix(got["cb3"], "cb3 ") {
		t.Errorf("unreachable = %v", got)
	}
	if len(calls.Meetings) != 1 {
		t.Errorf("partial result lost the meeting: %+v", calls.Meetings)
	}
	st := e.run(t, "status").(*StatusResult)
	for _, n := range st.Nodes {
		if n.Reachable != (n.Node == "cb1") {
			t.Errorf("status %+v", n)
		}
		if strings.Contains(n.Error, e.sim.Password) || strings.Contains(n.Error, "http") {
			t.Errorf("status error leaks internals: %q", n.Error)
		}
	}
}

func TestReport(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	ps := people([]string{"cb1", "cb2"}, 3)
	ps[1].Media = cmssim.Media{PacketLoss: 9, Jitter: 10}
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Big", Participants: ps})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Small", Participants: people([]string{"cb3"}, 1)})
	r := e.run(t, "report").(*ReportResult)
	if r.Meetings != 2 || r.Participants != 7 || len(r.Largest) != 2 || r.Largest[0].Name != "Big" {
		t.Errorf("report = %+v", r)
	}
	found := false
	for _, p := range r.PoorMedia {
		found = found || p.Participant == ps[1].Name
	}
	if !found {
		t.Errorf("poor media %+v does not list %s", r.PoorMedia, ps[1].Name)
	}
	if len(r.Nodes) != 3 || len(r.Unreachable) != 0 {
		t.Errorf("report nodes = %+v", r.Nodes)
	}
}

func TestUnknownMeetingNamesUnsearchedNodes(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: people([]string{"cb1"}, 1)})
	e.sim.SetDown("cb3", true)
	_, err := e.svc.Run(context.Background(), e.op, "call elsewhere")
	var re *RefError
	if !errors.As(err, &re) || len(re.Unsearched) != 1 || re.Unsearched[0] != "cb3" {
		t.Fatalf("err = %v, want a RefError naming cb3 as not searched", err)
	}
	e.sim.SetDown("cb1", true)
	e.sim.SetDown("cb2", true)
	_, err = e.svc.Run(context.Background(), e.op, "call elsewhere")
	var ce *CMSError
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "No CMS node could be searched") || !strings.Contains(ce.Msg, "cb2") {
		t.Errorf("all nodes down: %v", err)
	}
}

func TestCallsOnOneNode(t *testing.T) {
	e := newSimEnv(t, 3, Policy{})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Spread", Participants: people([]string{"cb1", "cb2"}, 2)})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Local one", Participants: people([]string{"cb1"}, 1)})
	e.sim.AddMeeting(cmssim.MeetingSpec{Name: "Local three", Participants: people([]string{"cb3"}, 1)})
	tests := []struct {
		text string
		want []string // meeting names, in any order
	}{
		{"calls --node cb2", []string{"Spread"}},
		{"calls --node cb1", []string{"Spread", "Local one"}},
		{"calls local --node cb1", []string{"Local one"}},
		{"calls --node cb3", []string{"Local three"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r := e.run(t, tt.text).(*CallsResult)
			var got []string
			for _, m := range r.Meetings {
				got = append(got, m.Name)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("meetings = %v, want %v", got, want)
			}
			if r.Node == "" {
				t.Error("result does not name the node it was limited to")
			}
		})
	}
	// The whole meeting is shown, not just its part on the node.
	r := e.run(t, "calls --node cb2").(*CallsResult)
	if len(r.Meetings) == 1 && (r.Meetings[0].Participants != 4 || len(r.Meetings[0].Nodes) != 2) {
		t.Errorf("meeting on cb2 = %+v, want all 4 participants on cb1,cb2", r.Meetings[0])
	}
}
