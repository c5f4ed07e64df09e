package bot

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// To update the golden files after an intended change: go test ./bot -run TestGolden -update
var updateGolden = flag.Bool("update", false, "rewrite bot/testdata/golden/*.json")

var testAsOf = time.Date(2026, 11, 24, 14, 2, 3, 0, time.UTC)

// wireMessage is the JSON we send for a message: {"text":…, "blocks":[…]}.
type wireMessage struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	if m, ok := v.(message); ok {
		v = wireMessage(m)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return append(b, '\n')
}

// assertGolden compares v's JSON with testdata/golden/<name>.json.
func assertGolden(t *testing.T, name string, v any) {
	t.Helper()
	got := marshal(t, v)
	path := filepath.Join("testdata", "golden", name+".json")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./bot -run TestGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, got)
	}
}

func uuid(prefix string, i int) string {
	return fmt.Sprintf("%s%07x-0000-4000-8000-%012x", prefix, i, i)
}

func meetings(n int) []commands.MeetingSummary {
	out := make([]commands.MeetingSummary, n)
	for i := range out {
		out[i] = commands.MeetingSummary{
			Correlator:   uuid("c", i),
			Name:         fmt.Sprintf("Meeting %03d", i),
			Participants: 2 + i%7,
			Nodes:        []string{"cb1", "cb2"}[:1+i%2],
			Duration:     time.Duration(i+1) * 97 * time.Second,
		}
	}
	return out
}

func callsResult(n int) *commands.CallsResult {
	ms := meetings(n)
	total := 0
	for _, m := range ms {
		total += m.Participants
	}
	return &commands.CallsResult{Meetings: ms, TotalParticipants: total, Nodes: []string{"cb1", "cb2", "cb3"}, AsOf: testAsOf}
}

func rosterRows(n int) []commands.ParticipantRow {
	layouts := layoutNames()
	out := make([]commands.ParticipantRow, n)
	for i := range out {
		out[i] = commands.ParticipantRow{
			LegID:      uuid("1e", i),
			Node:       []string{"cb1", "cb2", "cb3"}[i%3],
			CallID:     uuid("ca", i%3),
			Name:       fmt.Sprintf("Participant %03d", i),
			Address:    fmt.Sprintf("sip:user%03d@example.com", i),
			Direction:  "incoming",
			State:      "connected",
			AudioMuted: i%2 == 1,
			VideoMuted: i%3 == 2,
			Layout:     layouts[i%len(layouts)],
			Duration:   time.Duration(i+1) * time.Minute,
		}
	}
	return out
}

func rosterResult(n int) *commands.RosterResult {
	return &commands.RosterResult{
		Meeting:      commands.MeetingSummary{Correlator: uuid("c", 1), Name: "Board meeting", Participants: n, Nodes: []string{"cb1", "cb2", "cb3"}, Duration: time.Hour},
		Participants: rosterRows(n),
		AsOf:         testAsOf,
	}
}

func participantResult() *commands.ParticipantResult {
	row := rosterRows(2)[1]
	return &commands.ParticipantResult{
		Participant:  row,
		Meeting:      rosterResult(0).Meeting,
		ChosenLayout: "speakerOnly",
		Encrypted:    true,
		CipherSuite:  "AES_CM_128_HMAC_SHA1_80",
		RxAudio:      &commands.AudioStats{Codec: "opus", Jitter: 3, BitRate: 64000, PacketLossPercentage: 0.2},
		TxAudio:      &commands.AudioStats{Codec: "opus", Jitter: 2, BitRate: 64000, RoundTripTime: 41},
		RxVideo:      []commands.VideoStats{{Role: "main", Codec: "h264", Width: 1920, Height: 1080, FrameRate: 30, Jitter: 5, BitRate: 2500000, PacketLossPercentage: 1.5}},
		TxVideo:      []commands.VideoStats{{Role: "main", Codec: "h264", Width: 1280, Height: 720, FrameRate: 30, Jitter: 4, BitRate: 1500000, RoundTripTime: 40}},
		Alarms:       []string{"packetLoss"},
		AsOf:         testAsOf,
	}
}

func actionResult(changes int) *commands.ActionResult {
	r := &commands.ActionResult{
		Op: commands.OpMute, Meeting: rosterResult(0).Meeting,
		Summary: fmt.Sprintf("Muted audio of %d participants in Board meeting", changes),
		Updated: changes,
		Gone:    []commands.LegFailure{{LegID: uuid("1e", 90), Name: "Bob", Node: "cb2", Reason: "left the meeting"}},
		Failed:  []commands.LegFailure{{LegID: uuid("1e", 91), Name: "Carol", Node: "cb3", Reason: "cb3 did not answer in time"}},
	}
	for i := 0; i < changes; i++ {
		r.Changes = append(r.Changes, commands.Change{Subject: fmt.Sprintf("Participant %03d", i), Field: "audio", Before: "live", After: "muted"})
	}
	return r
}

func statusResult() *commands.StatusResult {
	return &commands.StatusResult{AsOf: testAsOf, Nodes: []commands.NodeHealth{
		{Node: "cb1", Reachable: true, Version: "3.9.1", Uptime: 12*24*time.Hour + 3*time.Hour, ActiveLegs: 42, Latency: 12 * time.Millisecond},
		{Node: "cb2", Reachable: true, Version: "3.9.1", Uptime: 5 * time.Hour, ActiveLegs: 7, Latency: 30 * time.Millisecond},
		{Node: "cb3", Reachable: false, Error: "did not answer in time"},
	}}
}

func helpResult(role commands.Role) *commands.HelpResult {
	return &commands.HelpResult{Role: role, Note: "Operators are set with NFMM_OPERATORS.", Entries: []commands.HelpEntry{
		{Name: "help", Usage: "help [command]", Summary: "what NFMM can do for you", Group: commands.GroupHelp},
		{Name: "calls", Usage: "calls [filter]", Summary: "active meetings", Group: commands.GroupLook},
		{Name: "call", Usage: "call <meeting>", Summary: "a meeting's participants", Group: commands.GroupLook},
		{Name: "status", Usage: "status", Summary: "node health", Group: commands.GroupLook},
		{Name: "mute", Usage: "mute <participant> [audio|video|both]", Summary: "stop others hearing (audio, the default) or seeing a participant", Operator: true, Group: commands.GroupParticipants},
	}, Examples: []commands.HelpExample{{Text: "calls", What: "every active meeting"}, {Text: "call board", What: "who is in it"}}}
}

func reportResult() *commands.ReportResult {
	st := statusResult()
	return &commands.ReportResult{
		Meetings: 12, Participants: 143, Nodes: st.Nodes, Largest: meetings(3),
		PoorMedia: []commands.PoorMedia{
			{Meeting: "Board meeting", Participant: "Alice", LegID: uuid("1e", 1), Node: "cb2", Stream: "rx audio", LossPercent: 4.5, JitterMs: 12, Correlator: uuid("c", 1)},
			{Meeting: "Standup", Participant: "Bob", LegID: uuid("1e", 2), Node: "cb1", Stream: "tx video main", LossPercent: 0.5, JitterMs: 80, Correlator: uuid("c", 2)},
			{Meeting: "Board meeting", Participant: "Alice", LegID: uuid("1e", 1), Node: "cb2", Stream: "rx video main", LossPercent: 9.5, JitterMs: 30, Correlator: uuid("c", 1)},
			{Meeting: "Board meeting", Participant: "Alice", LegID: uuid("1e", 1), Node: "cb2", Stream: "tx audio", LossPercent: 3.5, JitterMs: 2, Correlator: uuid("c", 1)},
		},
		Unreachable:    []commands.NodeFailure{{Node: "cb3", Reason: "cb3 did not answer in time.", Since: testAsOf.Add(-7 * time.Minute)}},
		MediaUnchecked: []commands.NodeFailure{{Node: "cb3", Reason: "cb3 did not answer in time."}},
		RostersRead:    10, RostersSkipped: 2, AsOf: testAsOf,
	}
}

var (
	opOpts     = renderOpts{Role: commands.RoleOperator, Now: testAsOf}
	viewerOpts = renderOpts{Role: commands.RoleViewer, Now: testAsOf}
)

func withPage(o renderOpts, page int) renderOpts { o.Page = page; return o }

func TestGolden(t *testing.T) {
	unreachable := callsResult(1)
	unreachable.Unreachable = []commands.NodeFailure{{Node: "cb3", Reason: "did not answer in time"}}
	noted := opOpts
	noted.Note = "<@U123> muted " + escapeMrkdwn("Participant 001") + " · 14:02"
	tests := []struct {
		name string
		msg  message
	}{
		{"calls_empty", render(&commands.CallsResult{Nodes: []string{"cb1", "cb2"}, AsOf: testAsOf}, opOpts)},
		{"calls_one", render(callsResult(1), opOpts)},
		{"calls_unreachable", render(unreachable, opOpts)},
		{"calls_page2", render(callsResult(200), withPage(opOpts, 1))},
		{"roster_operator", render(rosterResult(3), opOpts)},
		{"roster_viewer", render(rosterResult(3), viewerOpts)},
		{"roster_page3", render(rosterResult(120), withPage(opOpts, 2))},
		{"roster_note", render(rosterResult(2), noted)},
		{"participant", render(participantResult(), opOpts)},
		{"action", render(actionResult(47), opOpts)},
		{"status", render(statusResult(), viewerOpts)},
		{"help_operator", render(helpResult(commands.RoleOperator), opOpts)},
		{"help_viewer", render(helpResult(commands.RoleViewer), viewerOpts)},
		{"report", render(reportResult(), viewerOpts)},
		{"error", renderError(errors.New("boom"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := checkLimits(tt.msg); len(errs) > 0 {
				t.Fatalf("limits: %v", errs)
			}
			assertGolden(t, tt.name, tt.msg)
		})
	}
}

// pages renders every page of a result, stopping when the page no longer changes.
func allPages(t *testing.T, r commands.Result, o renderOpts) []message {
	t.Helper()
	var out []message
	var last []byte
	for page := 0; page < 100; page++ {
		m := render(r, withPage(o, page))
		b := marshal(t, m)
		if bytes.Equal(b, last) {
			return out
		}
		last = b
		out = append(out, m)
	}
	t.Fatal("paging never ends")
	return nil
}

func TestPagingCoversEveryItemWithinLimits(t *testing.T) {
	tests := []struct {
		name      string
		result    commands.Result
		opts      renderOpts
		wantPages int
		want      []string // every id that must appear on some page
	}{
		{"empty cluster", &commands.CallsResult{}, opOpts, 1, nil},
		{"1 meeting", callsResult(1), opOpts, 1, []string{uuid("c", 0)}},
		{"200 meetings", callsResult(200), opOpts, 5, correlators(meetings(200))},
		{"120 participants operator", rosterResult(120), opOpts, 6, legIDs(rosterRows(120))},
		{"120 participants viewer", rosterResult(120), viewerOpts, 6, legIDs(rosterRows(120))},
		{"empty roster", rosterResult(0), opOpts, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := allPages(t, tt.result, tt.opts)
			if len(pages) != tt.wantPages {
				t.Errorf("got %d pages, want %d", len(pages), tt.wantPages)
			}
			var all strings.Builder
			for i, m := range pages {
				if errs := checkLimits(m); len(errs) > 0 {
					t.Errorf("page %d: %v", i, errs)
				}
				all.Write(marshal(t, m))
			}
			for _, id := range tt.want {
				if !strings.Contains(all.String(), id) {
					t.Errorf("%s appears on no page", id)
				}
			}
		})
	}
}

func correlators(ms []commands.MeetingSummary) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Correlator
	}
	return out
}

func legIDs(rows []commands.ParticipantRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.LegID
	}
	return out
}

// walkJSON calls fn for every JSON object in v.
func walkJSON(v any, fn func(obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v)
		for _, c := range v {
			walkJSON(c, fn)
		}
	case []any:
		for _, c := range v {
			walkJSON(c, fn)
		}
	}
}

func decode(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal(marshal(t, v), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func actionIDs(t *testing.T, m message) map[string]bool {
	ids := map[string]bool{}
	walkJSON(decode(t, m), func(o map[string]any) {
		if id, ok := o["action_id"].(string); ok {
			ids[id] = true
		}
	})
	return ids
}

func TestViewersGetNoOperatorControls(t *testing.T) {
	allowed := map[string]bool{actDetails: true, actRefresh: true, actPage: true, actParticipants: true, actRun: true, actLive: true}
	for _, r := range []commands.Result{rosterResult(30), participantResult(), callsResult(3), statusResult(), reportResult()} {
		for id := range actionIDs(t, render(r, viewerOpts)) {
			if !allowed[id] {
				t.Errorf("%T: viewer sees %s", r, id)
			}
		}
	}
	ops := actionIDs(t, render(rosterResult(3), opOpts))
	for _, id := range []string{actMuteAudio, actUnmuteAudio, actRowMenu, actAdd, actPresenterOn, actPresenterOff, actRefresh, actRun} {
		if !ops[id] {
			t.Errorf("operator roster lacks %s", id)
		}
	}
	help := actionIDs(t, render(helpResult(commands.RoleViewer), viewerOpts))
	if len(help) != 1 || !help[actRun] {
		t.Errorf("viewer help action ids = %v, want only %s", help, actRun)
	}
	if got := marshal(t, render(helpResult(commands.RoleViewer), viewerOpts)); bytes.Contains(got, []byte("mute")) {
		t.Errorf("viewer help lists an operator command:\n%s", got)
	}
}

func TestRosterControlsCarryTheLeg(t *testing.T) {
	r := rosterResult(1)
	r.Participants[0].AudioMuted, r.Participants[0].VideoMuted = true, false
	m := render(r, opOpts)
	want := legRef{Correlator: r.Meeting.Correlator, Node: "cb1", LegID: r.Participants[0].LegID}.encode()
	var act *slack.ActionBlock
	for _, b := range m.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok && a.BlockID == want {
			act = a
		}
	}
	if act == nil {
		t.Fatalf("no actions block with block_id %q", want)
	}
	els := act.Elements.ElementSet
	if len(els) != 2 {
		t.Fatalf("row has %d controls, want the primary button and the overflow", len(els))
	}
	if b, ok := els[0].(*slack.ButtonBlockElement); !ok || b.ActionID != actUnmuteAudio || b.Value != want {
		t.Errorf("primary control = %+v, want %s carrying %q", els[0], actUnmuteAudio, want)
	}
	o, ok := els[1].(*slack.OverflowBlockElement)
	if !ok || o.ActionID != actRowMenu || o.Confirm != nil {
		t.Fatalf("second control = %+v, want the row menu without a confirm", els[1])
	}
	for _, opt := range o.Options {
		if textLen(opt.Value) > 20 || strings.Contains(opt.Value, "|") {
			t.Errorf("menu option %q carries more than its choice (the leg is the block_id)", opt.Value)
		}
	}
}

const injection = "<!channel> <@U123> <https://x|y> *bold* _x_ ~x~ `code` & < > \u202eRTL مرحبا 👩\u200d💻 "

// evil is a 500+-rune name made of mrkdwn injections, RTL text and emoji.
func evil() string {
	s := strings.Repeat(injection, 1+500/len([]rune(injection)))
	return s + "\n<!here>"
}

func evilResults() []commands.Result {
	e := evil()
	calls := callsResult(3)
	calls.Filter = e
	calls.Nodes = []string{e}
	calls.Unreachable = []commands.NodeFailure{{Node: e, Reason: e}}
	for i := range calls.Meetings {
		calls.Meetings[i].Name, calls.Meetings[i].Nodes = e, []string{e, e}
	}
	roster := rosterResult(25)
	roster.Meeting.Name, roster.Meeting.Nodes = e, []string{e}
	roster.Unreachable = calls.Unreachable
	for i := range roster.Participants {
		p := &roster.Participants[i]
		p.Name, p.Address, p.State, p.Layout = e, e, e, e
		if i%2 == 0 {
			p.Node = e // no safe reference: the row must render without controls
		}
	}
	part := participantResult()
	part.Participant = roster.Participants[1]
	part.Meeting = roster.Meeting
	part.CipherSuite, part.ChosenLayout = e, e
	part.RxAudio.Codec, part.RxVideo[0].Codec, part.RxVideo[0].Role = e, e, e
	part.Alarms = []string{e, e}
	act := actionResult(15)
	act.Summary, act.Meeting = e, roster.Meeting
	for i := range act.Changes {
		act.Changes[i] = commands.Change{Subject: e, Field: e, Before: e, After: e}
	}
	act.Gone = []commands.LegFailure{{Name: e, Node: e, Reason: e}}
	act.Failed = act.Gone
	status := statusResult()
	status.Nodes[0].Node, status.Nodes[0].Version, status.Nodes[2].Error = e, e, e
	help := helpResult(commands.RoleOperator)
	help.Topic, help.Note, help.Entries[0].Summary, help.Entries[1].Usage = e, e, e, e
	report := reportResult()
	report.Nodes, report.Unreachable, report.Largest = status.Nodes, calls.Unreachable, calls.Meetings
	report.PoorMedia = append(report.PoorMedia, make([]commands.PoorMedia, 20)...)
	for i := range report.PoorMedia {
		report.PoorMedia[i] = commands.PoorMedia{Meeting: e, Participant: e, Node: e, Stream: e, LossPercent: 99}
	}
	return []commands.Result{calls, roster, part, act, status, help, report}
}

// assertInert checks that no mention, link or formatting from untrusted text survives.
func assertInert(t *testing.T, v any) {
	t.Helper()
	check := func(where, s string, mrkdwn bool) {
		bads := []string{"<!", "<@", "<#"} // plain_text shows formatting characters literally
		if mrkdwn {
			bads = append(bads, "<http", "*bold*", "_x_", "~x~", "`code`")
		}
		for _, bad := range bads {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q", where, bad)
			}
		}
		if mrkdwn && strings.ContainsAny(s, "<>") {
			t.Errorf("%s: mrkdwn with an unescaped < or >: %.80q", where, s)
		}
	}
	walkJSON(decode(t, v), func(o map[string]any) {
		s, _ := o["text"].(string)
		typ, _ := o["type"].(string)
		switch {
		case typ == "mrkdwn":
			check("mrkdwn text", s, true)
		case typ == "plain_text":
			check("plain_text", s, false)
		case typ == "" && s != "": // the message's top-level text is mrkdwn
			check("message text", s, true)
		}
	})
}

func TestUntrustedTextIsInertAndWithinLimits(t *testing.T) {
	for _, r := range evilResults() {
		for _, o := range []renderOpts{opOpts, viewerOpts, withPage(opOpts, 1)} {
			t.Run(fmt.Sprintf("%T/role%d/page%d", r, o.Role, o.Page), func(t *testing.T) {
				m := render(r, o)
				if errs := checkLimits(m); len(errs) > 0 {
					t.Fatalf("limits: %v", errs)
				}
				assertInert(t, m)
			})
		}
	}
	e := evil()
	m := renderError(errors.New(e))
	if errs := checkLimits(m); len(errs) > 0 {
		t.Errorf("error limits: %v", errs)
	}
	v := addModal(uuid("c", 1), e)
	if errs := checkViewLimits(v); len(errs) > 0 {
		t.Errorf("add modal limits: %v", errs)
	}
	assertInert(t, v)
	p := presenterModal(evilResults()[1].(*commands.RosterResult))
	if errs := checkViewLimits(p); len(errs) > 0 {
		t.Errorf("presenter modal limits: %v", errs)
	}
	assertInert(t, p)
}

func TestRTLAndEmojiPassThrough(t *testing.T) {
	r := callsResult(1)
	r.Meetings[0].Name = "مرحبا 👩\u200d💻 \u202eabc"
	got := string(marshal(t, render(r, opOpts)))
	if !strings.Contains(got, "مرحبا 👩\u200d💻 \u202eabc") {
		t.Errorf("name changed:\n%s", got)
	}
}

func TestNilAndUnknownResultsRender(t *testing.T) {
	for _, r := range []commands.Result{nil, (*commands.CallsResult)(nil), (*commands.RosterResult)(nil),
		(*commands.ParticipantResult)(nil), (*commands.ActionResult)(nil), (*commands.StatusResult)(nil), (*commands.HelpResult)(nil),
		(*commands.ReportResult)(nil)} {
		m := render(r, renderOpts{Page: -3})
		if errs := checkLimits(m); len(errs) > 0 || m.Text == "" {
			t.Errorf("%T: text %q, limits %v", r, m.Text, errs)
		}
	}
}

func TestActionListsAreCapped(t *testing.T) {
	m := render(actionResult(47), opOpts)
	got := string(marshal(t, m))
	if !strings.Contains(got, "and 37 more") || strings.Contains(got, "Participant 010") {
		t.Errorf("changes not capped at 10 with \"and 37 more\":\n%s", got)
	}
	for _, want := range []string{"Bob", "left the meeting", "Carol", "did not answer"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestRosterPageOf(t *testing.T) {
	r := rosterResult(120)
	tests := []struct {
		leg  string
		want int
	}{
		{r.Participants[0].LegID, 0},
		{r.Participants[19].LegID, 0},
		{r.Participants[20].LegID, 1},
		{r.Participants[119].LegID, 5},
		{"absent", 0},
	}
	for _, tt := range tests {
		got := rosterPageOf(r, tt.leg)
		if got != tt.want {
			t.Errorf("rosterPageOf(%s) = %d, want %d", tt.leg, got, tt.want)
		}
		if tt.leg != "absent" && !strings.Contains(string(marshal(t, render(r, withPage(opOpts, got)))), tt.leg) {
			t.Errorf("page %d does not carry %s", got, tt.leg)
		}
	}
}
