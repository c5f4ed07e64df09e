package commands

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cdr"
)

// historyDay is "yesterday" in the history tests: now is the next day at 10:00 in Oslo.
var (
	oslo, _    = time.LoadLocation("Europe/Oslo")
	historyNow = time.Date(2026, 12, 1, 10, 0, 0, 0, oslo)
)

func at(day, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, oslo)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// histRecords builds CDRs as Go values (package cdr decodes the XML; this is above it).
type histRecords struct {
	node string
	n    int64
	recs []cdr.Record
}

func (h *histRecords) add(typ string, t time.Time, r cdr.Record) {
	h.n++
	r.Session, r.CorrelatorIndex, r.Type, r.Time = "s-"+h.node, h.n, typ, t
	h.recs = append(h.recs, r)
}

func (h *histRecords) meeting(callID, corr, name string, start, end time.Time, legs ...cdr.CallLeg) {
	h.add(cdr.TypeCallStart, start, cdr.Record{Call: &cdr.Call{ID: callID, Name: name, CallCorrelator: corr}})
	for i, l := range legs {
		l.Call = callID
		join := start.Add(time.Duration(i+1) * time.Minute)
		leave := end.Add(-time.Duration(i) * time.Minute)
		startLeg := l
		h.add(cdr.TypeCallLegStart, join, cdr.Record{Leg: &startLeg})
		d := int(leave.Sub(join).Seconds())
		endLeg := cdr.CallLeg{ID: l.ID, Reason: "remoteTeardown", DurationSeconds: &d, Alarms: l.Alarms}
		h.add(cdr.TypeCallLegEnd, leave, cdr.Record{Leg: &endLeg})
	}
	if !end.IsZero() {
		h.add(cdr.TypeCallEnd, end, cdr.Record{Call: &cdr.Call{ID: callID}})
	}
}

func historyFixture(t *testing.T) *cdr.Memory {
	t.Helper()
	cb1, cb2 := &histRecords{node: "cb1"}, &histRecords{node: "cb2"}
	y := "2026-11-30"
	cb1.meeting("c1", "corr-board", "Board meeting", at(y, "09:00"), at(y, "10:00"),
		cdr.CallLeg{ID: "l1", DisplayName: "Ann Smith", RemoteParty: "ann@corp.test", Direction: "incoming"},
		cdr.CallLeg{ID: "l2", DisplayName: "Bob Jones", RemoteParty: "bob@corp.test",
			Alarms: []cdr.Alarm{{Type: cdr.AlarmPacketLoss, DurationPercentage: 25}}})
	cb2.meeting("c2", "corr-board", "Board meeting", at(y, "09:05"), at(y, "10:05"),
		cdr.CallLeg{ID: "l3", DisplayName: "Cho Lee", RemoteParty: "cho@corp.test",
			Alarms: []cdr.Alarm{{Type: cdr.AlarmJitter, DurationPercentage: 2}}})
	cb1.meeting("c3", "corr-standup", "Standup", at(y, "16:00"), at(y, "16:15"),
		cdr.CallLeg{ID: "l4", DisplayName: "Ann Smith", RemoteParty: "ann@corp.test"})
	cb1.meeting("c4", "corr-today", "Board prep", at("2026-12-01", "08:00"), at("2026-12-01", "08:30"),
		cdr.CallLeg{ID: "l5", DisplayName: "Dee", RemoteParty: "dee@corp.test"})
	cb2.meeting("c5", "corr-running", "All hands", at("2026-12-01", "09:00"), time.Time{},
		cdr.CallLeg{ID: "l6", DisplayName: "Eve", RemoteParty: "eve@corp.test"})
	m := cdr.NewMemory()
	for _, h := range []*histRecords{cb1, cb2} {
		if _, err := m.StoreCDRs(context.Background(), "default", h.node, cdr.Batch{Session: "s-" + h.node, Records: h.recs}); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func historyService(t *testing.T, h History) *Service {
	return New(Config{Cluster: newFake(t, "cb1", "cb2"), Policy: Policy{Viewers: []string{"V1"}},
		History: h, Now: func() time.Time { return historyNow }})
}

var viewer = Actor{UserID: "V1", ChannelID: "C1"}

func runHistory(t *testing.T, s *Service, text string) *HistoryResult {
	t.Helper()
	r, err := s.Run(context.Background(), viewer, text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return r.(*HistoryResult)
}

func meetingNames(r *HistoryResult) string {
	var out []string
	for _, m := range r.Meetings {
		out = append(out, m.Name)
	}
	return strings.Join(out, ",")
}

func TestHistoryLists(t *testing.T) {
	s := historyService(t, historyFixture(t))
	tests := []struct {
		text, want, search string
		detail             bool
	}{
		{"history yesterday", "Standup,Board meeting", "meetings", false},
		{"history today", "Board prep", "meetings", false}, // All hands still runs
		{"history", "Board prep,Standup,Board meeting", "meetings", false},
		{"history 2026-11-30", "Standup,Board meeting", "meetings", false},
		{"history 2026-11-29..2026-11-30", "Standup,Board meeting", "meetings", false},
		{"history 2026-11-01..2026-11-29", "", "meetings", false},
		{"history board", "Board prep,Board meeting", "meetings", false},
		{"history board yesterday", "Board meeting", "meetings", true},
		{`history "board meeting"`, "Board meeting", "meetings", true},
		{"history corr-boa", "Board meeting", "meetings", true},
		{"history ann", "Standup,Board meeting", "participant", false},
		{"history ANN@corp.test yesterday", "Standup,Board meeting", "participant", false},
		{"history nobody", "", "participant", false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r := runHistory(t, s, tt.text)
			if got := meetingNames(r); got != tt.want || r.Search != tt.search || r.Detail != tt.detail {
				t.Errorf("meetings %q search %s detail %v, want %q %s %v", got, r.Search, r.Detail, tt.want, tt.search, tt.detail)
			}
		})
	}
}

// TestHistoryByCorrelator: a history list's Details button runs `history <callCorrelator>`,
// and CMS's correlators are GUIDs that may start with digits: such an id is a meeting, never
// a mistyped date.
func TestHistoryByCorrelator(t *testing.T) {
	for _, corr := range []string{"3dc39c11-18e7-4ad1-97ea-0628547ec9c4", "12345678-1234-4123-8123-123456789012"} {
		t.Run(corr, func(t *testing.T) {
			cb1 := &histRecords{node: "cb1"}
			cb1.meeting("c1", corr, "Weekly ops", at("2026-11-30", "09:00"), at("2026-11-30", "10:00"),
				cdr.CallLeg{ID: "l1", DisplayName: "Ann Smith", RemoteParty: "ann@corp.test"})
			m := cdr.NewMemory()
			if _, err := m.StoreCDRs(context.Background(), "default", "cb1", cdr.Batch{Session: "s-cb1", Records: cb1.recs}); err != nil {
				t.Fatal(err)
			}
			r := runHistory(t, historyService(t, m), "history "+corr)
			if meetingNames(r) != "Weekly ops" || !r.Detail || r.Meetings[0].ID != corr {
				t.Errorf("history %s: meetings %q detail %v", corr, meetingNames(r), r.Detail)
			}
		})
	}
}

// TestHistoryWhoJoined: "who joined the board meeting yesterday, for how long, and how did it
// sound?"
func TestHistoryWhoJoined(t *testing.T) {
	r := runHistory(t, historyService(t, historyFixture(t)), "history board yesterday")
	m := r.Meetings[0]
	if m.ID != "corr-board" || strings.Join(m.Nodes, ",") != "cb1,cb2" || m.Duration != 65*time.Minute || m.Peak != 3 {
		t.Errorf("meeting = %+v", m)
	}
	if !m.StartedAt.Equal(at("2026-11-30", "09:00")) || !m.EndedAt.Equal(at("2026-11-30", "10:05")) {
		t.Errorf("times %v..%v", m.StartedAt, m.EndedAt)
	}
	type leg struct {
		name, node    string
		joined, left  string
		dur           time.Duration
		quality       string
		loss, jitter  float64
		disconnectWhy string
	}
	want := []leg{
		{"Ann Smith", "cb1", "09:01", "10:00", 59 * time.Minute, "good", 0, 0, "remoteTeardown"},
		{"Bob Jones", "cb1", "09:02", "09:59", 57 * time.Minute, "poor", 25, 0, "remoteTeardown"},
		{"Cho Lee", "cb2", "09:06", "10:05", 59 * time.Minute, "fair", 0, 2, "remoteTeardown"},
	}
	if len(m.Participants) != len(want) {
		t.Fatalf("participants = %+v", m.Participants)
	}
	for i, w := range want {
		p := m.Participants[i]
		got := leg{p.Name, p.Node, p.JoinedAt.In(oslo).Format("15:04"), p.LeftAt.In(oslo).Format("15:04"), p.Duration, p.Quality, p.PacketLossPct, p.JitterPct, p.Reason}
		if got != w {
			t.Errorf("participant %d = %+v, want %+v", i, got, w)
		}
	}
	var text bytes.Buffer
	if err := FormatText(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Board meeting", "Ann Smith", "2026-11-30 09:01", "poor", "25.0%"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
	}
}

func TestHistoryParticipantSearch(t *testing.T) {
	r := runHistory(t, historyService(t, historyFixture(t)), "history ann")
	for _, m := range r.Meetings {
		var matched []string
		for _, p := range m.Participants {
			if p.Matched {
				matched = append(matched, p.Name)
			}
		}
		if strings.Join(matched, ",") != "Ann Smith" {
			t.Errorf("%s: matched %v", m.Name, matched)
		}
	}
	var text bytes.Buffer
	_ = FormatText(&text, r)
	if !strings.Contains(text.String(), `with "ann"`) || !strings.Contains(text.String(), "Ann Smith 09:01") {
		t.Errorf("text:\n%s", text.String())
	}
}

type brokenHistory struct{}

func (brokenHistory) HistoryRows(context.Context, cdr.HistoryQuery) (cdr.Rows, error) {
	return cdr.Rows{}, errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

func TestHistoryRefusals(t *testing.T) {
	tests := []struct {
		name, text string
		hist       History
		actor      Actor
		says       string
		code       string
	}{
		{"bad date", "history 2026-13-01", historyFixture(t), viewer, "is not a date", CodeInvalidDate},
		{"bad date after a name", "history board 2026-02-30", historyFixture(t), viewer, "is not a date", CodeInvalidDate},
		{"reversed range", "history 2026-11-30..2026-11-01", historyFixture(t), viewer, "ends before it starts", CodeInvalidDate},
		{"half a range", "history 2026-11-30..", historyFixture(t), viewer, "is not a date", CodeInvalidDate},
		{"off", "history yesterday", nil, viewer, "NFMM_CDR_URL", ""},
		{"store down", "history yesterday", brokenHistory{}, viewer, "database did not answer", ""},
		{"not a viewer", "history", historyFixture(t), Actor{UserID: "U9", ChannelID: "C1"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := historyService(t, tt.hist)
			_, err := s.Run(context.Background(), tt.actor, tt.text)
			if err == nil {
				t.Fatal("no error")
			}
			msg := UserMessage(err)
			if !strings.Contains(msg, tt.says) || strings.Contains(msg, "5432") {
				t.Errorf("message %q, want it to say %q and no internals", msg, tt.says)
			}
			var ue *UsageError
			if tt.code != "" && (!errors.As(err, &ue) || ue.Code != tt.code) {
				t.Errorf("err = %#v, want code %s", err, tt.code)
			}
			if tt.name == "not a viewer" {
				var de *DeniedError
				if !errors.As(err, &de) {
					t.Errorf("err = %v, want denied", err)
				}
			}
		})
	}
}

func TestHistoryJSONMatchesSchema(t *testing.T) {
	schemas := execSchemas(t)
	s := historyService(t, historyFixture(t))
	for _, text := range []string{"history", "history board yesterday", "history ann", "history nobody", "history 2026-13-01"} {
		r, err := s.Run(context.Background(), viewer, text)
		var b []byte
		if err != nil {
			b, err = MarshalError(err)
		} else {
			b, err = MarshalResult(r)
		}
		if err != nil {
			t.Fatal(err)
		}
		validateDoc(t, schemas, text, b)
	}
}

func TestHistoryHelpOnlyWhenOn(t *testing.T) {
	names := func(s *Service) string {
		r, _ := s.Run(context.Background(), viewer, "help")
		var out []string
		for _, e := range r.(*HelpResult).Entries {
			out = append(out, e.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(historyService(t, nil)); strings.Contains(got, "history") {
		t.Errorf("help without history lists it: %s", got)
	}
	if got := names(historyService(t, cdr.NewMemory())); !strings.Contains(got, "history") {
		t.Errorf("help with history = %s", got)
	}
}

func TestStatusShowsCDRReceivers(t *testing.T) {
	e := newSimEnv(t, 2, Policy{})
	s := New(Config{Cluster: e.svc.cluster, History: cdr.NewMemory(), Now: func() time.Time { return historyNow },
		CDRReceivers: func(context.Context, string) []cms.CDRRegistration {
			return []cms.CDRRegistration{
				{Node: "cb1", URI: "u1", State: cms.CDRPresent, Maximum: 4, Receivers: []cms.CDRReceiver{{ID: "a", URI: "https://cmm/cdr"}, {ID: "b", URI: "u1"}}},
				{Node: "cb2", URI: "u2", State: cms.CDRFull, Maximum: 4, Receivers: []cms.CDRReceiver{{URI: "r1"}, {URI: "r2"}, {URI: "r3"}, {URI: "r4"}}},
			}
		}})
	r, err := s.Run(context.Background(), Actor{Local: true, UserID: "local"}, "status")
	if err != nil {
		t.Fatal(err)
	}
	nodes := r.(*StatusResult).Nodes
	if got := CDRText(nodes[0]); got != "registered (2 of 4 receivers)" {
		t.Errorf("cb1: %q", got)
	}
	if got := CDRText(nodes[1]); !strings.Contains(got, "slots full (4 of 4)") || !strings.Contains(got, "r1 r2 r3 r4") {
		t.Errorf("cb2: %q", got)
	}
	b, err := MarshalResult(r)
	if err != nil {
		t.Fatal(err)
	}
	validateDoc(t, execSchemas(t), "status with CDR", b)
	var text bytes.Buffer
	_ = FormatText(&text, r)
	if !strings.Contains(text.String(), "CDR receiver on cb2: slots full") {
		t.Errorf("text:\n%s", text.String())
	}
}

// TestHistorySeveralClusters: with two clusters, `history @amer` reads only amer's meetings and
// says so, a channel's binding picks its cluster, and a DM asks which.
func TestHistorySeveralClusters(t *testing.T) {
	y := "2026-11-30"
	emea, amer := &histRecords{node: "cb1"}, &histRecords{node: "cb1"}
	emea.meeting("c-emea", "corr-emea", "Emea standup", at(y, "09:00"), at(y, "09:30"), cdr.CallLeg{ID: "l-e", DisplayName: "Ann"})
	amer.meeting("c-amer", "corr-amer", "Amer standup", at(y, "15:00"), at(y, "15:30"), cdr.CallLeg{ID: "l-a", DisplayName: "Bob"})
	for i := range amer.recs {
		amer.recs[i].Session = "s-amer-cb1" // CMS's sessions are GUIDs: two clusters' cb1 never share one
	}
	m := cdr.NewMemory()
	for cluster, h := range map[string]*histRecords{"emea": emea, "amer": amer} {
		if _, err := m.StoreCDRs(context.Background(), cluster, h.node, cdr.Batch{Session: "s-" + cluster, Records: h.recs}); err != nil {
			t.Fatal(err)
		}
	}
	svc := New(Config{Clusters: []NamedCluster{{Name: "emea", Cluster: newFake(t, "cb1")}, {Name: "amer", Cluster: newFake(t, "cb1")}},
		ChannelClusters: map[string]string{"C0EMEA": "emea"}, Policy: Policy{Viewers: []string{"V1"}},
		History: m, Now: func() time.Time { return historyNow }})
	for _, tc := range []struct {
		actor      Actor
		text, want string
		cluster    string
	}{
		{viewer, "history " + y + " @amer", "Amer standup", "amer"},
		{Actor{UserID: "V1", ChannelID: "C0EMEA"}, "history " + y, "Emea standup", "emea"},
	} {
		r, err := svc.Run(context.Background(), tc.actor, tc.text)
		if err != nil {
			t.Fatalf("%s: %v", tc.text, err)
		}
		h := r.(*HistoryResult)
		if len(h.Meetings) != 1 || h.Meetings[0].Name != tc.want || h.Cluster != tc.cluster {
			t.Errorf("%s: cluster %q, %+v; want only %s on %s", tc.text, h.Cluster, h.Meetings, tc.want, tc.cluster)
		}
		var out strings.Builder
		if err := FormatText(&out, h); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "on cluster "+tc.cluster) {
			t.Errorf("%s: the text does not name the cluster:\n%s", tc.text, out.String())
		}
	}
	var choice *ClusterChoiceError
	if _, err := svc.Run(context.Background(), viewer, "history "+y); !errors.As(err, &choice) {
		t.Errorf("history in a DM with two clusters: %v, want the cluster question", err)
	}
}
