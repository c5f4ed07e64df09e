package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/internal/names"
	"github.com/slack-go/slack"
)

// Issue 19: every value of every control names the cluster of the message (or modal) it sits
// in, and decodes back to what the control's own encoder made. These tests walk the JSON Slack
// receives, so a control added later is checked without being listed here.

// valueAt is one value an element carries, where it sits.
type valueAt struct {
	path, action, block, value string
}

// valuesOf walks v's JSON (a message's blocks, a view) and returns every "value" in it:
// buttons', options' and initial options' values are the only ones Block Kit has.
func valuesOf(t *testing.T, v any) []valueAt {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(mustJSON(t, v)), &doc); err != nil {
		t.Fatal(err)
	}
	var blocks []any
	switch d := doc.(type) {
	case []any:
		blocks = d
	case map[string]any:
		blocks, _ = d["blocks"].([]any)
	}
	var out []valueAt
	var walk func(n any, block, action, path string)
	walk = func(n any, block, action, path string) {
		switch n := n.(type) {
		case map[string]any:
			if a, ok := n["action_id"].(string); ok {
				action = a
			}
			for k, c := range n {
				if s, ok := c.(string); ok && k == "value" {
					out = append(out, valueAt{path: path + "/value", action: action, block: block, value: s})
					continue
				}
				walk(c, block, action, path+"/"+k)
			}
		case []any:
			for i, c := range n {
				walk(c, block, action, fmt.Sprintf("%s/%d", path, i))
			}
		}
	}
	for i, b := range blocks {
		bm, _ := b.(map[string]any)
		id, _ := bm["block_id"].(string)
		walk(bm, id, "", fmt.Sprintf("/blocks/%d", i))
	}
	return out
}

// decodesBack reports whether an unstamped value (and block_id) is what the handler of action
// accepts: the value the control's own encoder made.
func decodesBack(action, value, block string) bool {
	switch action {
	case actMuteAudio, actUnmuteAudio, actMuteVideo, actUnmuteVideo, actDetails, actDisconnect, actAdmit:
		_, err := decodeLegRef(value)
		return err == nil
	case actParticipants, actRefresh, actAdd, actPresenterOn, actPresenterOff, actEnd, actLive:
		_, ok := decodeCorrelator(value)
		return ok
	case actPage:
		_, err := decodePageRef(value)
		return err == nil
	case actRun, actRunCalls, actRunStatus, actRunReport:
		_, err := commands.Parse(value)
		return err == nil
	case actMeeting:
		choice, corr, ok := decodeChoice(value, block)
		_, known := choiceCommand(choice, corr)
		return ok && (known || choice == choiceBanner)
	case actLayoutAll:
		_, layout, ok := decodeLayoutAll(value, block)
		return ok && slices.Contains(layoutNames(), layout)
	case actRowMenu:
		_, err := decodeLegRef(block)
		_, plain := rowButtonActions[value]
		return err == nil && (plain || rowOpensModal(value))
	case actLiveStop, actLiveResume:
		_, ok := decodeLiveKey(value)
		return ok
	case actAlertAck, actAlertSilence1h, actAlertSilence4h, actAlertSilenceRe, actAlertDetails:
		return fingerprintPattern.MatchString(value)
	case elemRowLayout:
		return slices.Contains(layoutNames(), value)
	case elemMoveTo, elemPresenter:
		return idPattern.MatchString(value)
	case elemPosition:
		return slices.Contains([]string{"middle", "top", "bottom"}, value)
	case elemDuration:
		return slices.ContainsFunc(bannerDurations, func(d struct{ value, label string }) bool { return d.value == value })
	}
	for i := range maxClusterChoices {
		if action == clusterRunAction(i) {
			_, err := commands.Parse(value)
			return err == nil
		}
	}
	return false
}

// assertValuesName checks every value of v: it names a cluster (want, or for the lines of an
// @all list one of lines), the same one as its block when the block names one, and without
// the stamp it decodes as its control's value. It returns how many values it checked.
func assertValuesName(t *testing.T, v any, want string, lines ...string) int {
	t.Helper()
	vs := valuesOf(t, v)
	for _, x := range vs {
		c, orig := unstamp(x.value)
		bc, bid := unstampID(x.block)
		switch {
		case c == "":
			t.Errorf("%s (%s) = %q names no cluster", x.path, x.action, x.value)
		case bc != "" && c != bc:
			t.Errorf("%s (%s) = %q names %s, its block %q another", x.path, x.action, x.value, c, x.block)
		case c != want && !slices.Contains(lines, c):
			t.Errorf("%s (%s) = %q names %s, want %s (or %v)", x.path, x.action, x.value, c, want, lines)
		case !decodesBack(x.action, orig, bid):
			t.Errorf("%s (%s) = %q does not decode back (%q, block %q)", x.path, x.action, x.value, orig, bid)
		}
	}
	return len(vs)
}

// severalRunner answers like a Service with the clusters names: every result names its
// cluster, an @all read each line's.
type severalRunner struct {
	homeRunner
	names []string
}

func (r severalRunner) ClusterNames() []string { return r.names }

func (r severalRunner) Execute(_ context.Context, a commands.Actor, c commands.Command) (commands.Result, error) {
	switch c.Op {
	case commands.OpStatus:
		st := statusResult()
		st.Cluster = commands.AllClusters
		for i := range st.Nodes {
			st.Nodes[i].Cluster = r.names[i%len(r.names)]
		}
		return st, nil
	case commands.OpCalls:
		return callsAll(r.names, 8), nil
	case commands.OpParticipant:
		pr := participantResult()
		pr.Cluster = r.names[0]
		return pr, nil
	}
	return nil, &commands.UsageError{Msg: "unexpected"}
}

// callsAll is an @all calls list over clusters.
func callsAll(clusters []string, n int) *commands.CallsResult {
	r := callsResult(n)
	r.Cluster = commands.AllClusters
	for i := range r.Meetings {
		r.Meetings[i].Cluster = clusters[i%len(clusters)]
	}
	return r
}

// longestCluster is a cluster name as long as names allows: every value must still fit.
var longestCluster = strings.Repeat("z", names.MaxLen)

// clusterMessages renders every message kind NFMM posts as cluster c's, with its one-cluster
// twin when there is one (nil: none, or the two differ by design).
func clusterMessages(t *testing.T, c string) []struct {
	name  string
	msg   message
	plain *message
	lines []string
} {
	t.Helper()
	other := "amer"
	if c == other {
		other = "emea"
	}
	named := func(r commands.Result) commands.Result {
		setClusterForTest(r, c)
		return r
	}
	roster := func() *commands.RosterResult {
		r := rosterResult(25)
		one := 1
		r.Meeting.State = commands.MeetingState{Locked: true, Recording: true, Banner: "Back at 10:15", Lobby: &one}
		r.Participants[1].Lobby = true
		return r
	}
	history := func() commands.Result { return historyResult(25, 2) }
	reportAll := reportResult()
	reportAll.Cluster = commands.AllClusters
	for i := range reportAll.Largest {
		reportAll.Largest[i].Cluster = []string{c, other}[i%2]
	}
	type tc = struct {
		name  string
		msg   message
		plain *message
		lines []string
	}
	same := func(name string, mk func() commands.Result, o renderOpts) tc {
		p := render(mk(), o)
		return tc{name: name, msg: render(named(mk()), o), plain: &p}
	}
	live := func(stop string) tc {
		m := liveTestMsg(liveRoster)
		m.doc.Cluster = c // an operator's live roster: its meeting selects differ by design
		return tc{name: "live_roster" + map[bool]string{true: "_stopped"}[stop != ""], msg: withLiveBar(render(named(rosterResult(3)), opOpts), m, stop, time.UTC)}
	}
	b := &Bot{cfg: Config{Location: time.UTC, Now: func() time.Time { return testAsOf }}, svc: severalRunner{names: []string{c, other}}}
	firing := testAlert()
	firing.Key.Cluster = c
	firing.Fingerprint = firing.Key.Fingerprint()
	plainAlert := renderAlert(firing, testAsOf, time.UTC)
	home := b.homeView(context.Background(), commands.Actor{UserID: "U1"})
	return []tc{
		same("calls", func() commands.Result { return callsResult(45) }, opOpts),
		same("calls_page2", func() commands.Result { return callsResult(45) }, withPage(opOpts, 1)),
		{name: "calls_all", msg: render(callsAll([]string{c, other}, 6), opOpts), lines: []string{c, other, commands.AllClusters}},
		{name: "roster_operator", msg: render(named(roster()), opOpts)}, // its meeting selects differ by design
		{name: "roster_operator_page2", msg: render(named(roster()), withPage(opOpts, 1))},
		same("roster_viewer", func() commands.Result { return roster() }, viewerOpts),
		same("participant", func() commands.Result { return participantResult() }, opOpts),
		same("action", func() commands.Result { return actionResult(3) }, opOpts),
		same("status", func() commands.Result { return statusResult() }, opOpts),
		same("report", func() commands.Result { return reportResult() }, opOpts),
		{name: "report_all", msg: render(reportAll, opOpts), lines: []string{c, other, commands.AllClusters}},
		same("history", history, viewerOpts),
		same("history_page2", history, withPage(viewerOpts, 1)),
		same("find", func() commands.Result { return findResult() }, opOpts),
		live(""),
		live("stopped by <@U1>"),
		{name: "alert", msg: alertNotifier{b}.render(firing), plain: &plainAlert},
		{name: "home", msg: message{Blocks: home.Blocks.BlockSet}, lines: []string{c, other, commands.AllClusters}},
	}
}

// setClusterForTest names cluster on a result as commands does with several clusters.
func setClusterForTest(r commands.Result, c string) {
	switch r := r.(type) {
	case *commands.CallsResult:
		r.Cluster = c
	case *commands.RosterResult:
		r.Cluster = c
	case *commands.ParticipantResult:
		r.Cluster = c
	case *commands.ActionResult:
		r.Cluster = c
	case *commands.StatusResult:
		r.Cluster = c
	case *commands.ReportResult:
		r.Cluster = c
	case *commands.HistoryResult:
		r.Cluster = c
	case *commands.FindResult:
		r.Cluster = c
	}
}

func TestEveryValueNamesItsCluster(t *testing.T) {
	for _, c := range []string{"emea", longestCluster} {
		for _, tt := range clusterMessages(t, c) {
			t.Run(tt.name+"/"+c[:4], func(t *testing.T) {
				if errs := checkLimits(tt.msg); len(errs) > 0 {
					t.Fatalf("breaks Slack limits: %v", errs)
				}
				if n := assertValuesName(t, tt.msg.Blocks, c, tt.lines...); n == 0 {
					t.Errorf("no value to check")
				}
				if tt.plain == nil {
					return
				}
				// Without its stamp each value is the one-cluster message's, in the same place.
				got, want := valuesOf(t, tt.msg.Blocks), valuesOf(t, tt.plain.Blocks)
				if len(got) != len(want) {
					t.Fatalf("%d values, the one-cluster message has %d", len(got), len(want))
				}
				for i := range got {
					if _, v := unstamp(got[i].value); v != want[i].value || got[i].path != want[i].path || stamped(want[i].value) {
						t.Errorf("%s = %q, one cluster: %s = %q", got[i].path, got[i].value, want[i].path, want[i].value)
					}
				}
			})
		}
	}
}

// The question "which cluster?" has a button per cluster whose value names the cluster it
// runs on in the command's own words (the message is of no cluster), even the longest name.
func TestClusterChoiceValuesNameTheirCluster(t *testing.T) {
	clusters := []string{"emea", longestCluster}
	m := clusterChoice("calls board public", &commands.ClusterChoiceError{Op: commands.OpCalls, Clusters: clusters, All: true})
	if errs := checkLimits(m); len(errs) > 0 {
		t.Fatal(errs)
	}
	vs := valuesOf(t, m.Blocks)
	if len(vs) != 3 {
		t.Fatalf("%d buttons, want 3", len(vs))
	}
	for i, want := range append(clusters, commands.AllClusters) {
		c, err := commands.Parse(vs[i].value)
		if err != nil || c.Cluster != want || !c.Public || stamped(vs[i].value) || !decodesBack(vs[i].action, vs[i].value, "") {
			t.Errorf("button %d = %q (%v), want one running on %s", i, vs[i].value, err, want)
		}
	}
}

// Modals name their cluster in their origin and in every option value (their initial options
// still one of them), even when the click that opened them named none: the participant's or
// roster's cluster then.
func TestModalsNameTheirCluster(t *testing.T) {
	for _, c := range []string{"emea", longestCluster} {
		b := offlineBot(t, severalRunner{names: []string{c, "amer"}})
		calls := callsResult(3)
		ref := legRef{Correlator: uuid("c", 1), Node: "cb2", LegID: uuid("1e", 1)}
		for _, choice := range []string{rowSettings, rowMove, rowDisconnect} {
			for _, from := range []string{c, ""} { // a stamped click, and one from an older message
				ia := interaction{actor: commands.Actor{UserID: "U1", ChannelID: "C1", Cluster: from}, channel: "C1", messageTS: "1.2"}
				v, err := b.rowModal(context.Background(), ia, ref, choice)
				if err != nil {
					t.Fatal(err)
				}
				meta, _, err := decodeRowMeta(v.PrivateMetadata)
				if err != nil || meta.Cluster != c {
					t.Errorf("%s from %q: origin %q (%v), want cluster %s", choice, from, v.PrivateMetadata, err, c)
				}
				checkModal(t, choice, v, c)
			}
		}
		roster := rosterResult(5)
		roster.Cluster = c
		for name, v := range map[string]slack.ModalViewRequest{
			"presenter": presenterModal(roster), "banner": bannerModal(), "add": addModal(uuid("c", 1), "Board"),
			"move": rowMoveModal(participantResult(), uuid("c", 1), calls),
		} {
			stampView(&v, c)
			checkModal(t, name, v, c)
		}
	}
}

func checkModal(t *testing.T, name string, v slack.ModalViewRequest, c string) {
	t.Helper()
	if errs := checkViewLimits(v); len(errs) > 0 {
		t.Errorf("%s: %v", name, errs)
	}
	assertValuesName(t, v, c)
	for _, b := range v.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		if stamped(in.BlockID) {
			t.Errorf("%s: input block %q is stamped; its state would not be found", name, in.BlockID)
		}
		if sel, ok := in.Element.(*slack.SelectBlockElement); ok && sel.InitialOption != nil &&
			!slices.ContainsFunc(sel.Options, func(o *slack.OptionBlockObject) bool { return o.Value == sel.InitialOption.Value }) {
			t.Errorf("%s: initial option %q is none of the options", name, sel.InitialOption.Value)
		}
	}
}

// A chosen option names the modal's cluster; the submission reads the bare value, and typed
// text is never read as a stamp.
func TestStateValueStripsTheStamp(t *testing.T) {
	v := slack.View{State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		blockRowLayout: {elemRowLayout: {SelectedOption: slack.OptionBlockObject{Value: "~emea~speakerOnly"}}},
		blockBanner:    {elemBanner: {Value: "~emea~ is what I typed"}},
	}}}
	if a, _ := stateValue(v, blockRowLayout, elemRowLayout); a.SelectedOption.Value != "speakerOnly" {
		t.Errorf("layout = %q", a.SelectedOption.Value)
	}
	if a, _ := stateValue(v, blockBanner, elemBanner); a.Value != "~emea~ is what I typed" {
		t.Errorf("typed text = %q", a.Value)
	}
}

// clusterRecorder is a Service with the clusters names that records the cluster of every
// command reaching it, and refuses them all so no CMS is needed.
type clusterRecorder struct {
	recordingRunner
	names []string
	mu    sync.Mutex
	seen  []string // actor cluster + " " + op
}

func (r *clusterRecorder) ClusterNames() []string { return r.names }

func (r *clusterRecorder) Execute(ctx context.Context, a commands.Actor, c commands.Command) (commands.Result, error) {
	r.mu.Lock()
	r.seen = append(r.seen, a.Cluster+" "+string(c.Op)+" "+c.Meeting)
	r.mu.Unlock()
	return r.recordingRunner.Execute(ctx, a, c)
}

func (r *clusterRecorder) Run(ctx context.Context, a commands.Actor, text string) (commands.Result, error) {
	r.mu.Lock()
	r.seen = append(r.seen, a.Cluster+" run "+text)
	r.mu.Unlock()
	return r.recordingRunner.Run(ctx, a, text)
}

// A click acts on the cluster its value names, whatever its block_id (none, another
// message's, an older one's); a value without a stamp takes the block's, then the typed rule;
// a cluster that does not exist reaches no command.
func TestClickActsOnTheValuesCluster(t *testing.T) {
	corr := uuid("c", 1)
	ref := legRef{Correlator: corr, Node: "cb2", LegID: uuid("1e", 1)}.encode()
	for _, tt := range []struct {
		name, action, value, option, block string
		clusters                           []string
		want                               string // "cluster op meeting"; "" reaches nothing
	}{
		{"value, no block_id", actMuteAudio, "~emea~" + ref, "", "", nil, "emea mute " + corr},
		{"value wins over another message's block", actMuteAudio, "~emea~" + ref, "", "~amer~nfmm_controls", nil, "emea mute " + corr},
		{"the longest name", actMuteAudio, "~" + longestCluster + "~" + ref, "", "", []string{longestCluster, "amer"}, longestCluster + " mute " + corr},
		{"block of a message of the previous version", actMuteAudio, ref, "", "~amer~#3", nil, "amer mute " + corr},
		{"no stamp: the typed rule", actMuteAudio, ref, "", "", nil, " mute " + corr},
		{"pager", actPage, "~amer~roster|1|" + corr, "", "", nil, "amer call " + corr},
		{"run", actRun, "~amer~calls", "", "", nil, "amer run calls"},
		{"@all pager", actPage, "~all~calls|1|", "", "", nil, "all calls "},
		{"meeting select, its meeting in the block", actMeeting, "", "~emea~lock", "~emea~nfmm_controls|" + corr, nil, "emea lock " + corr},
		{"meeting select of one cluster", actMeeting, "", "lock|" + corr, "nfmm_controls", nil, " lock " + corr},
		{"layout for all", actLayoutAll, "", "~emea~speakerOnly", "~emea~nfmm_controls|" + corr, nil, "emea layoutall " + corr},
		{"row menu", actRowMenu, "", "~emea~" + rowMuteAudio, "~emea~" + ref, nil, "emea mute " + corr},
		{"a cluster removed since", actMuteAudio, "~apac~" + ref, "", "~amer~x", nil, ""},
		{"a stamp with one cluster", actMuteAudio, "~emea~" + ref, "", "", []string{"default"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &clusterRecorder{names: cmpOr(tt.clusters, []string{"emea", "amer"})}
			b := offlineBot(t, rec)
			cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U1"},
				Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: "C1"}}}}
			act := slack.BlockAction{ActionID: tt.action, BlockID: tt.block, Value: tt.value, SelectedOption: slack.OptionBlockObject{Value: tt.option}}
			j, _ := b.blockActionJob(cb, act)
			b.runJob(context.Background(), j)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			switch {
			case tt.want == "" && len(rec.seen) > 0:
				t.Errorf("reached commands: %q", rec.seen)
			case tt.want != "" && (len(rec.seen) == 0 || rec.seen[0] != tt.want):
				t.Errorf("commands saw %q, want first %q", rec.seen, tt.want)
			}
		})
	}
}

func cmpOr(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}

// The answer to a stamp naming no configured cluster names it and the ones there are.
func TestKnownCluster(t *testing.T) {
	b := &Bot{svc: &clusterRecorder{names: []string{"emea", "amer"}}}
	for _, ok := range []string{"", "emea", "amer", commands.AllClusters} {
		if err := b.knownCluster(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	err := b.knownCluster("apac")
	if msg := commands.UserMessage(err); !strings.Contains(msg, "There is no cluster \"apac\"; clusters are emea, amer.") || !isUsage(err) {
		t.Errorf("apac: %q", msg)
	}
	if err := (&Bot{svc: nopRunner{}}).knownCluster("apac"); err != nil {
		t.Errorf("a Service that does not list its clusters: %v", err)
	}
}

// A stamp round-trips for every name, and only NFMM's own stamps read as one.
func TestStampRoundTrip(t *testing.T) {
	for _, c := range []string{"emea", "a", longestCluster, commands.AllClusters} {
		for _, v := range []string{"calls", uuid("c", 1), "calls|1|board", "", "#3", "a~b"} {
			if got, back := unstamp(stamp(c, v)); got != c || back != v {
				t.Errorf("unstamp(stamp(%q, %q)) = %q, %q", c, v, got, back)
			}
		}
	}
	for _, v := range []string{"calls ~x~", "~~x", "~e/u~x", "~ALL~x", "~" + longestCluster + "z~x", "~emea"} {
		if c, back := unstamp(v); c != "" || back != v {
			t.Errorf("unstamp(%q) = %q, %q; want no cluster", v, c, back)
		}
	}
}

// roleOnRunner is an operator everywhere but on amer, where they only look.
type roleOnRunner struct{ nopRunner }

func (roleOnRunner) RoleOf(commands.Actor) commands.Role { return commands.RoleOperator }

func (roleOnRunner) RoleOn(_ commands.Actor, cluster string) commands.Role {
	if cluster == "amer" {
		return commands.RoleViewer
	}
	return commands.RoleOperator
}

// The Bot wraps its Service (storeGuard); what a Service with several clusters adds must pass
// through: a message of amer shows amer's role's controls, and a stamp is checked.
func TestSeveralClustersPassTheStoreGuard(t *testing.T) {
	b := offlineBot(t, roleOnRunner{})
	r := rosterResult(3)
	r.Cluster = "amer"
	if m := render(r, b.opts(commands.Actor{UserID: "U1"}, 0, "")); strings.Contains(mustJSON(t, m.Blocks), actMuteAudio) {
		t.Error("amer's roster shows operator controls to a viewer of amer")
	}
	r.Cluster = "emea"
	if m := render(r, b.opts(commands.Actor{UserID: "U1"}, 0, "")); !strings.Contains(mustJSON(t, m.Blocks), actMuteAudio) {
		t.Error("emea's roster shows no operator controls to an operator of emea")
	}
	if b := offlineBot(t, &clusterRecorder{names: []string{"emea", "amer"}}); !b.severalClusters() || b.knownCluster("apac") == nil {
		t.Error("the Service's clusters do not reach the bot")
	}
}

// A block_actions payload that carries only an element's action_id and value (no block_id:
// slack-go would file it as an attachment action) acts like the click it copies; with one
// cluster, a value naming another cluster acts nowhere and says why.
func TestE2EClickWithoutBlockID(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	bob, carol := legByName(t, m, "Bob"), legByName(t, m, "Carol")
	r := h.roster(testOperator, m)
	env, err := h.fake.ClickAction(slackfake.Click{User: testOperator, Channel: r.Channel, MessageTS: r.TS,
		ActionID: actMuteAudio, BlockID: legControls(m, bob), OmitBlockID: true})
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(env)
	h.eventually("Bob muted by a click without a block_id", func() bool { return h.leg(bob.ID).RxAudioMute })

	api := slack.New("xoxb-test-bot", slack.OptionAPIURL(h.fake.APIURL()))
	_, ts, err := api.PostMessage(testChannel, slack.MsgOptionText("another cluster's", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("elsewhere", slack.NewButtonBlockElement(actMuteAudio, stamp("emea", legControls(m, carol)),
			slack.NewTextBlockObject(slack.PlainTextType, "Mute", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := h.fake.Message(testChannel, ts)
	h.click(testOperator, msg, actMuteAudio, "", "")
	h.waitMessage(testOperator, "the answer to a stamp of no cluster", contains("There is no cluster \"emea\"; clusters are default."))
	if h.leg(carol.ID).RxAudioMute {
		t.Error("a value naming another cluster muted Carol on this one")
	}
}

// The buttons of an ambiguous participant's candidates name the cluster they were found on;
// with one cluster they are as before.
func TestCandidateButtonsNameTheirCluster(t *testing.T) {
	refErr := func(cluster string) error {
		return &commands.RefError{Kind: "participant", Ref: "ali", Ambiguous: true, Cluster: cluster, Matches: []commands.Candidate{
			{LegID: uuid("1e", 1), Name: "Alice", Node: "cb1"}, {LegID: uuid("1e", 2), Name: "Alina", Node: "cb2"}}}
	}
	plain, ok := candidateMessage("mute ali", refErr(""))
	if !ok || len(valuesOf(t, plain.Blocks)) != 2 {
		t.Fatalf("no candidates: %+v", plain)
	}
	for _, c := range []string{"emea", longestCluster} {
		m, _ := candidateMessage("mute ali", refErr(c))
		if errs := checkLimits(m); len(errs) > 0 {
			t.Fatal(errs)
		}
		assertValuesName(t, m.Blocks, c)
		for i, v := range valuesOf(t, m.Blocks) {
			if _, run := unstamp(v.value); run != valuesOf(t, plain.Blocks)[i].value || stamped(valuesOf(t, plain.Blocks)[i].value) {
				t.Errorf("candidate %d = %q, one cluster %q", i, v.value, valuesOf(t, plain.Blocks)[i].value)
			}
		}
	}
}

// Every modal's submission acts on the cluster its origin names (private_metadata "cl"),
// whatever the channel it was opened from, reading the bare values of its stamped options.
func TestModalSubmissionsActOnTheirCluster(t *testing.T) {
	corr, target := uuid("c", 1), uuid("c", 2)
	leg := legRef{Correlator: corr, Node: "cb2", LegID: uuid("1e", 1)}
	o := origin{Correlator: corr, Channel: "C0AMER", MessageTS: "1.2", Cluster: "emea"}
	row := rowMeta{origin: o, Node: leg.Node, LegID: leg.LegID, Layout: "allEqual"}
	sel := func(v string) slack.BlockAction {
		return slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: stamp("emea", v)}}
	}
	state := func(vs map[string]map[string]slack.BlockAction) *slack.ViewState { return &slack.ViewState{Values: vs} }
	for _, tt := range []struct {
		callback, meta string
		state          *slack.ViewState
		want           string
	}{
		{viewAdd, o.encode(), state(map[string]map[string]slack.BlockAction{blockURI: {elemURI: {Value: "sip:bob@example.com"}}}), "emea add " + corr},
		{viewPresenter, o.encode(), state(map[string]map[string]slack.BlockAction{blockPresenter: {elemPresenter: sel(leg.LegID)}}), "emea presenter " + corr},
		{viewBanner, o.encode(), state(map[string]map[string]slack.BlockAction{blockBanner: {elemBanner: {Value: "Back at 10:15"}},
			blockPosition: {elemPosition: sel("top")}, blockDuration: {elemDuration: sel("30")}}), "emea banner " + corr},
		{viewRowSettings, row.encode(), state(map[string]map[string]slack.BlockAction{blockRowLayout: {elemRowLayout: sel("speakerOnly")}}), "emea layout " + corr},
		{viewRowMove, row.encode(), state(map[string]map[string]slack.BlockAction{blockMoveTo: {elemMoveTo: sel(target)}}), "emea move " + target},
		{viewRowDisconnect, row.encode(), state(nil), "emea disconnect " + corr},
	} {
		t.Run(tt.callback, func(t *testing.T) {
			rec := &clusterRecorder{names: []string{"emea", "amer"}}
			b := offlineBot(t, rec)
			cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: "U1"},
				View: slack.View{CallbackID: tt.callback, PrivateMetadata: tt.meta, State: tt.state}}
			ack, j := b.viewSubmission(cb)
			if j == nil {
				t.Fatalf("no work; ack %+v", ack)
			}
			b.runJob(context.Background(), *j)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.seen) == 0 || rec.seen[0] != tt.want {
				t.Errorf("commands saw %q, want first %q", rec.seen, tt.want)
			}
		})
	}
}
