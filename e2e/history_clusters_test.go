package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/app"
	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cdr"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/store"
	"github.com/nfmm/nfmm/store/storetest"
)

// historyCluster is one emulated cluster of TestRunHistorySeveralClusters and the meetings it
// runs: both clusters have a cb1 and a cb2, and both have a "Weekly ops", with other people.
type historyCluster struct {
	name     string
	sim      *cmssim.Sim
	meetings []cmssim.MeetingInfo
	people   []string // everyone in its meetings
	opsSpec  cmssim.MeetingSpec
	ops      cmssim.MeetingInfo // its Weekly ops
}

// TestRunHistorySeveralClusters runs `nfmm run` over two emulated clusters, emea and amer,
// whose call bridges themselves post their CDRs to NFMM's one receiver (issue 19):
//   - the leader registers the receiver on every node of both clusters, each URI naming its
//     node and cluster (both clusters have a cb1 and a cb2); the posts of a receiver left from
//     before several clusters (?node=cb1 alone) are refused, not stored as the first cluster's;
//   - `history @amer` and `history @emea`, and `history` in a channel bound to either, list
//     exactly that cluster's meetings, never the other's, although both have a "Weekly ops";
//     in a DM NFMM asks which cluster, and its @amer button lists amer's;
//   - the Details button of each cluster's meeting, clicked on its list in the other cluster's
//     channel, shows that cluster's meeting;
//   - after a restart of nfmm run (amer's bridges keep what it missed and resend it) and a
//     second delivery of every post the bridges made, the answers are unchanged and the store
//     holds each leg once, under its own cluster;
//   - `nfmm exec --json history @amer` on the same store lists amer's meetings only.
func TestRunHistorySeveralClusters(t *testing.T) {
	const (
		viewer         = "U0HISTVIEW1"
		emeaCh, amerCh = "C0HISTEMEA1", "C0HISTAMER1"
		dm             = "D0HISTDM001"
		token          = "e2e0clusters0history0token"
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := func(name string, seed int64) *historyCluster {
		sim, err := cmssim.Start(cmssim.Options{Nodes: 2, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		return &historyCluster{name: name, sim: sim}
	}
	emea, amer := start("emea", 21), start("amer", 22)
	clusters := []*historyCluster{emea, amer}

	// The receiver's address stays the same across the restart: the bridges keep posting to it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cdrAddr := ln.Addr().String()
	ln.Close()
	cdrURL := "http://" + cdrAddr + "/cdr/" + token
	fake := slackfake.NewTest(t)
	env := map[string]string{
		"SLACK_BOT_TOKEN":       "xoxb-1111111111-2222222222-histclusterstestvalue",
		"SLACK_APP_TOKEN":       "xapp-1-A0123456789-3333333333-histclusterstestvalue",
		"SLACK_API_URL":         fake.APIURL(),
		"CMS_NODES":             "",
		"CMS_CLUSTERS":          "emea,amer",
		"CMS_EMEA_NODES":        cmsNodesValue(emea.sim),
		"CMS_AMER_NODES":        cmsNodesValue(amer.sim),
		"CMS_USERNAME":          emea.sim.Username,
		"CMS_PASSWORD":          emea.sim.Password,
		"CMS_AMER_USERNAME":     amer.sim.Username,
		"CMS_AMER_PASSWORD":     amer.sim.Password,
		"NFMM_CHANNEL_CLUSTERS": emeaCh + "=emea," + amerCh + "=amer",
		"NFMM_VIEWERS":          viewer,
		"NFMM_HTTP_ADDR":        "off",
		"NFMM_DATA_DIR":         t.TempDir(), // the same SQLite store across the restart
		"NFMM_CDR_URL":          cdrURL,
		"NFMM_CDR_ADDR":         cdrAddr,
	}
	// amer's cb1 still lists the receiver an NFMM of one cluster registered (?node=cb1, no
	// cluster): both clusters have a cb1, so its posts must be refused, not stored as emea's.
	legacy, ok := amer.sim.AddCDRReceiver("cb1", cdrURL+"?node=cb1")
	if !ok {
		t.Fatal("no receiver slot on amer's cb1")
	}
	run := startRun(t, env)
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatalf("nfmm run did not connect: %v\n%s", err, run.stderr.String())
	}
	logs := func() string { return run.stderr.String() }

	// The leader registers NFMM's receiver on every node of both clusters, the URI naming the
	// node and its cluster (docs/configuration.md, "Per cluster").
	uri := func(c *historyCluster, node string) string { return cdrURL + "?node=" + node + "&cluster=" + c.name }
	waitUntil(t, ctx, "NFMM's receiver is registered on every node of both clusters", logs, func() bool {
		for _, c := range clusters {
			for _, n := range []string{"cb1", "cb2"} {
				rs := c.sim.CDRReceivers(n)
				if len(rs) == 0 || rs[len(rs)-1].URI != uri(c, n) || len(rs) != 1 && rs[0].ID != legacy {
					return false
				}
			}
		}
		return true
	})

	// Every post the bridges make also goes to a recorder (another tool's receiver, as CMM's
	// would be), so that the test can deliver each of them to NFMM a second time.
	rec := &cdrRecorder{}
	recSrv := httptest.NewServer(rec)
	defer recSrv.Close()
	for _, c := range clusters {
		for _, n := range []string{"cb1", "cb2"} {
			if _, ok := c.sim.AddCDRReceiver(n, recSrv.URL+"/?node="+n+"&cluster="+c.name); !ok {
				t.Fatalf("no receiver slot on %s's %s", c.name, n)
			}
		}
	}

	play := func(c *historyCluster, spec cmssim.MeetingSpec) cmssim.MeetingInfo {
		m := c.sim.AddMeeting(spec)
		c.meetings = append(c.meetings, m)
		for _, p := range spec.Participants {
			c.people = append(c.people, p.Name)
		}
		return m
	}
	legacyRefused := func(c *historyCluster, err error) bool {
		return c == amer && legacy != "" && err != nil && strings.Contains(err.Error(), "cb1: CDR receiver answered 403")
	}
	flush := func(c *historyCluster) {
		t.Helper()
		if err := c.sim.FlushCDRs(ctx); err != nil && !legacyRefused(c, err) {
			t.Fatalf("%s: a receiver refused CDRs: %v\n%s", c.name, err, logs())
		}
	}
	weekly := func(c *historyCluster, people ...cmssim.ParticipantSpec) {
		c.opsSpec = cmssim.MeetingSpec{Name: "Weekly ops", Participants: people}
		c.ops = play(c, c.opsSpec)
	}
	weekly(emea, cmssim.ParticipantSpec{Name: "Ann Smith", URI: "ann.smith@emea.test", Node: "cb1"},
		cmssim.ParticipantSpec{Name: "Bob Jones", URI: "bob.jones@emea.test", Node: "cb2"})
	play(emea, cmssim.MeetingSpec{Name: "Emea board", Participants: []cmssim.ParticipantSpec{
		{Name: "Eve Moreau", URI: "eve.moreau@emea.test", Node: "cb1"}}})
	weekly(amer, cmssim.ParticipantSpec{Name: "Carl Diaz", URI: "carl.diaz@amer.test", Node: "cb1"},
		cmssim.ParticipantSpec{Name: "Dana Fox", URI: "dana.fox@amer.test", Node: "cb2"})
	// With seed 22 amer's Weekly ops has a callCorrelator starting with a digit, as a GUID may
	// (its Details button was once read as a mistyped date).
	if c := amer.ops.Correlator[0]; c < '0' || c > '9' {
		t.Fatalf("amer's Weekly ops is %s: pick a seed whose correlator starts with a digit", amer.ops.Correlator)
	}
	play(amer, cmssim.MeetingSpec{Name: "Amer standup", Participants: []cmssim.ParticipantSpec{
		{Name: "Gil Ortiz", URI: "gil.ortiz@amer.test", Node: "cb2"}}})
	for _, c := range clusters {
		flush(c) // the starts
		for _, m := range c.meetings {
			c.sim.EndMeeting(m.Correlator)
		}
		flush(c) // the ends
	}

	// ask runs a history command and returns its (private) answer: the viewer's next
	// ephemeral message in that channel.
	ask := func(channel, text string) slackfake.Message {
		t.Helper()
		n := len(fake.EphemeralFor(viewer, channel))
		if _, err := fake.SlashCommand(viewer, channel, "/cms", text); err != nil {
			t.Fatal(err)
		}
		var got slackfake.Message
		if err := fake.WaitFor(ctx, func() bool {
			if ms := fake.EphemeralFor(viewer, channel); len(ms) > n {
				got = ms[n]
				return true
			}
			return false
		}); err != nil {
			t.Fatalf("%s in %s: no answer: %v\n%s", text, channel, err, logs())
		}
		return got
	}
	// lists checks that an answer lists exactly c's meetings and people, naming c.
	lists := func(what string, m slackfake.Message, c *historyCluster) {
		t.Helper()
		blocks := string(m.Blocks)
		header := len(c.meetings) // always several here
		want := []string{"on cluster " + c.name}
		for _, mt := range c.meetings {
			want = append(want, "*"+mt.Name+"*", `"value":"~`+c.name+`~history `+mt.Correlator+`"`) // the value names its cluster
		}
		want = append(want, c.people...)
		for _, w := range want {
			if !strings.Contains(blocks, w) {
				t.Errorf("%s: the answer lacks %q:\n%s", what, w, blocks)
			}
		}
		if !strings.Contains(m.Text, fmt.Sprintf("%d meetings ended", header)) {
			t.Errorf("%s: the answer is not a list of %d meetings: %q", what, header, m.Text)
		}
		// Every meeting had someone in it, if only for the second it lasted here.
		if strings.Contains(blocks, "· peak 0 ·") {
			t.Errorf("%s: a meeting with participants has a peak of 0:\n%s", what, blocks)
		}
		for _, other := range clusters {
			if other == c {
				continue
			}
			for _, mt := range other.meetings {
				if strings.Contains(blocks, mt.Correlator) {
					t.Errorf("%s: the answer has %s's meeting %s:\n%s", what, other.name, mt.Correlator, blocks)
				}
			}
			for _, p := range other.people {
				if strings.Contains(blocks, p) {
					t.Errorf("%s: the answer has %s's %s:\n%s", what, other.name, p, blocks)
				}
			}
		}
	}
	// answers is every way of asking for each cluster's history, and whose it must be.
	answers := func() map[string]slackfake.Message {
		t.Helper()
		out := map[string]slackfake.Message{}
		for _, q := range []struct {
			channel, text string
			want          *historyCluster
		}{
			{emeaCh, "history @amer", amer}, // another cluster than the channel's
			{emeaCh, "history", emea},       // the channel's binding
			{amerCh, "history @emea", emea},
			{amerCh, "history", amer},
		} {
			what := q.text + " in " + q.channel
			m := ask(q.channel, q.text)
			lists(what, m, q.want)
			out[what] = m
		}
		return out
	}
	first := answers()

	// A DM is bound to no cluster: NFMM asks which, and the @amer button lists amer's.
	choice := ask(dm, "history")
	if !strings.Contains(choice.Text+string(choice.Blocks), "Which cluster?") || !strings.Contains(string(choice.Blocks), `"value":"history @amer"`) {
		t.Fatalf("history in a DM did not ask which cluster:\n%s %s", choice.Text, choice.Blocks)
	}
	if _, err := fake.ClickAction(slackfake.Click{User: viewer, Channel: dm, MessageTS: choice.TS, ActionID: "nfmm_run_cluster_1"}); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, func() bool {
		for _, m := range fake.EphemeralFor(viewer, dm) { // in place of the question, or a new one
			if strings.HasPrefix(m.Text, "Meeting history") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("the @amer button of the question did not list amer's history: %v\n%s", err, logs())
	}
	for _, m := range fake.EphemeralFor(viewer, dm) { // the DM's only history answer
		if strings.HasPrefix(m.Text, "Meeting history") {
			lists("the @amer button in a DM", m, amer)
		}
	}

	// The Details button of a cluster's Weekly ops, clicked on its list asked in the other
	// cluster's channel, shows that cluster's meeting with its people (the other cluster's
	// Weekly ops is another meeting, with other people).
	for _, d := range []struct {
		channel string
		c       *historyCluster
		other   *historyCluster
	}{{emeaCh, amer, emea}, {amerCh, emea, amer}} {
		list := first["history @"+d.c.name+" in "+d.channel]
		block := blockWithValue(t, list.Blocks, "~"+d.c.name+"~history "+d.c.ops.Correlator)
		if _, err := fake.ClickAction(slackfake.Click{User: viewer, Channel: d.channel, MessageTS: list.TS, BlockID: block, ActionID: "nfmm_run"}); err != nil {
			t.Fatal(err)
		}
		var lines []string // the detail's participant lines: name, address, node
		for _, p := range d.c.opsSpec.Participants {
			lines = append(lines, "*"+p.Name+"* · "+p.URI+" · "+p.Node)
		}
		var detail slackfake.Message
		if err := fake.WaitFor(ctx, func() bool {
			for _, m := range fake.EphemeralFor(viewer, d.channel) {
				if strings.Contains(string(m.Blocks), lines[0]) {
					detail = m
					return true
				}
			}
			return false
		}); err != nil {
			t.Fatalf("Details of %s's Weekly ops in %s's channel did not show its meeting: %v\n%s", d.c.name, d.other.name, err, logs())
		}
		for _, l := range lines[1:] {
			if !strings.Contains(string(detail.Blocks), l) {
				t.Errorf("Details of %s's Weekly ops lacks %q:\n%s", d.c.name, l, detail.Blocks)
			}
		}
		for _, p := range d.other.people {
			if strings.Contains(string(detail.Blocks), p) {
				t.Errorf("Details of %s's Weekly ops shows %s's %s:\n%s", d.c.name, d.other.name, p, detail.Blocks)
			}
		}
	}

	if !strings.Contains(logs(), "clusters emea, amer all have a node \\\"cb1\\\" and the URI names none") {
		t.Errorf("nfmm run did not say why it refused the posts of amer's old receiver:\n%s", logs())
	}
	// As the log says, the administrator deletes it.
	if !amer.sim.RemoveCDRReceiver("cb1", legacy) {
		t.Fatal("amer's old receiver is gone")
	}
	legacy = ""

	// nfmm run stops; meanwhile amer's late call ends, and its bridges keep the records NFMM
	// did not take. Once nfmm run is back, they deliver that backlog.
	late := play(amer, cmssim.MeetingSpec{Name: "Amer late call", Participants: []cmssim.ParticipantSpec{
		{Name: "Hal Kim", URI: "hal.kim@amer.test", Node: "cb1"}}})
	flush(amer)
	run.stop(ctx, t)
	amer.sim.EndMeeting(late.Correlator)
	if err := amer.sim.FlushCDRs(ctx); err == nil {
		t.Fatal("nfmm run is stopped, yet its receiver took amer's records")
	}
	connects := fake.Connects()
	run = startRun(t, env)
	waitUntil(t, ctx, "nfmm run is back on Slack", logs, func() bool { return fake.Connects() > connects })
	waitUntil(t, ctx, "amer's bridges deliver their backlog to nfmm run", logs, func() bool { return amer.sim.FlushCDRs(ctx) == nil })
	flush(emea)

	// Every post the bridges made arrives once more, as CMS does when a 200 is lost.
	for _, p := range rec.all() {
		resp, err := http.Post(cdrURL+"?"+p.query, "text/xml", bytes.NewReader(p.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the second delivery of a post of %s was refused: %d\n%s", p.query, resp.StatusCode, logs())
		}
	}
	if len(rec.all()) == 0 {
		t.Fatal("the recorder saw no post")
	}

	// The same answers, now with amer's late call, and nothing counted twice.
	// (answers checks that amer's lists now have the late call too.)
	second := answers()
	for what, m := range first {
		now := meetingLines(second[what].Blocks)
		for _, line := range meetingLines(m.Blocks) {
			if !slices.Contains(now, line) {
				t.Errorf("%s changed after the restart and the resends: %q is gone:\n%s", what, line, strings.Join(now, "\n"))
			}
		}
	}
	run.stop(ctx, t)

	// `nfmm exec --json history @amer` reads the same store: amer's meetings, the late call
	// included, with amer's people, and nothing of emea's.
	var out, errOut bytes.Buffer
	if code := app.Main(ctx, "test", []string{"exec", "--json", "history", "@amer"}, &out, &errOut); code != 0 {
		t.Fatalf("nfmm exec --json history @amer: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	var doc struct {
		Kind   string `json:"kind"`
		Result struct {
			Cluster  string `json:"cluster"`
			Meetings []struct {
				ID           string `json:"id"`
				Participants []struct {
					Name string `json:"name"`
				} `json:"participants"`
			} `json:"meetings"`
		} `json:"result"`
	}
	if err := json.NewDecoder(&out).Decode(&doc); err != nil {
		t.Fatalf("nfmm exec --json history @amer: %v\n%s", err, out.String())
	}
	var ids, wantIDs, people []string
	for _, m := range doc.Result.Meetings {
		ids = append(ids, m.ID)
		for _, p := range m.Participants {
			people = append(people, p.Name)
		}
	}
	for _, m := range amer.meetings {
		wantIDs = append(wantIDs, m.Correlator)
	}
	slices.Sort(ids)
	slices.Sort(wantIDs)
	slices.Sort(people)
	wantPeople := slices.Sorted(slices.Values(amer.people))
	if doc.Kind != "history" || doc.Result.Cluster != "amer" || !slices.Equal(ids, wantIDs) || !slices.Equal(people, wantPeople) {
		t.Errorf("nfmm exec --json history @amer: kind %q cluster %q meetings %v people %v, want amer's %v with %v",
			doc.Kind, doc.Result.Cluster, ids, people, wantIDs, wantPeople)
	}

	// The store holds each of a cluster's legs once, under that cluster, and none of the other's.
	st := storetest.OpenConfig(t, store.Config{DataDir: env["NFMM_DATA_DIR"]})
	legsOf := func(cluster string) map[string]int {
		q := cdr.HistoryQuery{From: time.Now().Add(-24 * time.Hour), To: time.Now().Add(24 * time.Hour), Cluster: cluster}
		rows, err := st.HistoryRows(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, l := range rows.Legs {
			n[l.Node+"/"+l.LegID]++
		}
		return n
	}
	every := legsOf("")
	for _, c := range clusters {
		mine := legsOf(c.name)
		for _, m := range c.meetings {
			for _, l := range m.Legs {
				key := l.Node + "/" + l.ID
				if mine[key] != 1 || every[key] != 1 {
					t.Errorf("%s's leg %s (%s) is stored %d times under %s, %d in all", c.name, key, l.Name, mine[key], c.name, every[key])
				}
			}
		}
	}
	if len(legsOf("emea"))+len(legsOf("amer")) != len(every) {
		t.Errorf("legs by cluster: emea %d + amer %d, all %d", len(legsOf("emea")), len(legsOf("amer")), len(every))
	}
}

// waitUntil polls cond until it holds or ctx ends (the emulator is not Slack: fake.WaitFor
// only wakes on Slack activity).
func waitUntil(t *testing.T, ctx context.Context, what string, logs func() string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("timed out waiting until %s\n%s", what, logs())
		}
	}
}

// cdrRecorder is a CDR receiver that keeps every post (its query string and body) and
// answers 200.
type cdrRecorder struct {
	mu    sync.Mutex
	posts []recordedPost
}

type recordedPost struct {
	query string
	body  []byte
}

func (r *cdrRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.posts = append(r.posts, recordedPost{query: req.URL.RawQuery, body: body})
	r.mu.Unlock()
}

func (r *cdrRecorder) all() []recordedPost {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.posts)
}

// blockWithValue is the block_id of the block whose accessory button has value.
func blockWithValue(t *testing.T, blocks json.RawMessage, value string) string {
	t.Helper()
	var bs []struct {
		BlockID   string `json:"block_id"`
		Accessory struct {
			Value string `json:"value"`
		} `json:"accessory"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Accessory.Value == value {
			return b.BlockID
		}
	}
	t.Fatalf("no button %q in %s", value, blocks)
	return ""
}

// meetingLines is a history list's meeting sections (name, times, peak, nodes, people),
// without the freshness line that changes with every answer.
func meetingLines(blocks json.RawMessage) []string {
	var bs []struct {
		Type string `json:"type"`
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
		Accessory *struct{} `json:"accessory"`
	}
	_ = json.Unmarshal(blocks, &bs)
	var out []string
	for _, b := range bs {
		if b.Type == "section" && b.Accessory != nil {
			out = append(out, b.Text.Text)
		}
	}
	return out
}
