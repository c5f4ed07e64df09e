package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/slack-go/slack"
)

// TestRunSeveralClusters runs `nfmm run` over two emulated clusters, emea and amer, each with
// a channel bound to it (issue 19): a typed command acts on the channel's cluster, a click on a
// message of emea posted in amer's channel acts on emea (and leaves amer alone), an operator of
// amer only is refused on emea naming it, @all merges both, and a DM asks which cluster.
func TestRunSeveralClusters(t *testing.T) {
	const (
		global, amerOp, viewer = "U0GLOBAL01", "U0AMEROP01", "U0VIEWER01"
		emeaCh, amerCh, dm     = "C0EMEA0001", "C0AMER0001", "D0DIRECT01"
		alertCh                = "C0ALERTS01"
	)
	start := func(seed int64) *cmssim.Sim {
		sim, err := cmssim.Start(cmssim.Options{Nodes: 2, Seed: seed, Scenario: cmssim.ScenarioDemo})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		return sim
	}
	emea, amer := start(3), start(5)
	nodes := func(sim *cmssim.Sim) string {
		var parts []string
		for _, n := range sim.Nodes() {
			parts = append(parts, n.Name+"="+n.URL)
		}
		return strings.Join(parts, ",")
	}
	fake := slackfake.NewTest(t)
	run := startRun(t, map[string]string{
		"SLACK_BOT_TOKEN":            "xoxb-1111111111-2222222222-clustertesttokenvalue",
		"SLACK_APP_TOKEN":            "xapp-1-A0123456789-3333333333-clustertesttokenvalue",
		"SLACK_API_URL":              fake.APIURL(),
		"CMS_NODES":                  "",
		"CMS_CLUSTERS":               "emea,amer",
		"CMS_EMEA_NODES":             nodes(emea),
		"CMS_AMER_NODES":             nodes(amer),
		"CMS_USERNAME":               emea.Username,
		"CMS_PASSWORD":               emea.Password,
		"CMS_AMER_USERNAME":          amer.Username,
		"CMS_AMER_PASSWORD":          amer.Password,
		"NFMM_CHANNEL_CLUSTERS":      emeaCh + "=emea," + amerCh + "=amer",
		"NFMM_OPERATORS":             global,
		"CMS_AMER_OPERATORS":         amerOp,
		"NFMM_HTTP_ADDR":             freeAddr(t),
		"NFMM_ALERT_CHANNEL":         alertCh,
		"NFMM_ALERT_NODE_DOWN_AFTER": "1s",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatalf("nfmm run did not connect: %v\n%s", err, run.stderr.String())
	}
	correlators := func(sim *cmssim.Sim) []string {
		var out []string
		for _, m := range sim.Meetings() {
			out = append(out, m.Correlator)
		}
		return out
	}
	emeaMeetings, amerMeetings := correlators(emea), correlators(amer)
	if len(emeaMeetings) == 0 || len(amerMeetings) == 0 {
		t.Fatal("the emulators have no meetings")
	}
	// slash runs a command and returns the message it posted to the channel (public).
	slash := func(user, channel, text string, match func(slackfake.Message) bool) slackfake.Message {
		t.Helper()
		n := len(fake.Messages(channel))
		if _, err := fake.SlashCommand(user, channel, "/cms", text); err != nil {
			t.Fatal(err)
		}
		m, err := fake.WaitMessage(ctx, channel, func(m slackfake.Message) bool {
			return len(fake.Messages(channel)) > n && match(m)
		})
		if err != nil {
			t.Fatalf("%s in %s: %v\n%s", text, channel, err, run.stderr.String())
		}
		return m
	}
	private := func(user, channel, text string, want string) slackfake.Message {
		t.Helper()
		if _, err := fake.SlashCommand(user, channel, "/cms", text); err != nil {
			t.Fatal(err)
		}
		var got slackfake.Message
		err := fake.WaitFor(ctx, func() bool {
			for _, m := range fake.EphemeralFor(user, channel) {
				if strings.Contains(m.Text+string(m.Blocks), want) {
					got = m
					return true
				}
			}
			return false
		})
		if err != nil {
			t.Fatalf("%s in %s: no private answer with %q: %v\n%s", text, channel, want, err, run.stderr.String())
		}
		return got
	}
	has := func(m slackfake.Message, ids []string) bool {
		for _, id := range ids {
			if strings.Contains(string(m.Blocks), id) {
				return true
			}
		}
		return false
	}

	// Each channel lists its own cluster's meetings.
	isCalls := func(m slackfake.Message) bool { return strings.HasPrefix(m.Text, "Active meetings") }
	if m := slash(viewer, emeaCh, "calls public", isCalls); !has(m, emeaMeetings) || has(m, amerMeetings) {
		t.Errorf("calls in emea's channel:\n%s", m.Blocks)
	}
	if m := slash(viewer, amerCh, "calls public", isCalls); !has(m, amerMeetings) || has(m, emeaMeetings) {
		t.Errorf("calls in amer's channel:\n%s", m.Blocks)
	}

	// @all merges both, the cluster on every line.
	all := slash(viewer, emeaCh, "calls @all public", isCalls)
	if !has(all, emeaMeetings) || !has(all, amerMeetings) || !strings.Contains(string(all.Blocks), "cluster emea") || !strings.Contains(string(all.Blocks), "cluster amer") {
		t.Errorf("calls @all:\n%s", all.Blocks)
	}

	// A roster of emea posted in amer's channel: its Mute button acts on emea.
	corr := emeaMeetings[0]
	legs := emea.Legs(corr)
	roster := slash(global, amerCh, "call "+corr+" @emea public", func(m slackfake.Message) bool { return strings.Contains(string(m.Blocks), "nfmm_mute_audio") })
	amerBefore := mutedLegs(amer)
	if _, err := fake.ClickButton(amerCh, roster.TS, "nfmm_mute_audio", global); err != nil {
		t.Fatal(err)
	}
	var muted cmssim.LegState
	if err := fake.WaitFor(ctx, func() bool {
		for _, l := range legs {
			if st, ok := emea.Leg(l.ID); ok && st.RxAudioMute && !l.RxAudioMute {
				muted = l
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("the click on emea's roster in amer's channel muted nobody on emea: %v\n%s", err, run.stderr.String())
	}
	// The bot redraws the roster after the write to CMS: wait until it offers Unmute on that
	// row, so that the Mute buttons read below are the ones still offered. (Read before the
	// redraw, the first of them was the participant just muted, and clicking it changed nothing.)
	mutedRow := "~emea~" + corr + "|" + muted.Node + "|" + muted.ID
	if err := fake.WaitFor(ctx, func() bool {
		m, ok := fake.Message(amerCh, roster.TS)
		return ok && blockHasAction(m.Blocks, mutedRow, "nfmm_unmute_audio")
	}); err != nil {
		m, _ := fake.Message(amerCh, roster.TS)
		t.Fatalf("emea's roster was not redrawn with %s muted: %v\n%s", muted.Name, err, m.Blocks)
	}
	if after := mutedLegs(amer); !slices.Equal(after, amerBefore) {
		t.Errorf("amer changed: muted %v, was %v", after, amerBefore)
	}
	// Every value of that roster names emea, as its block ids do.
	for _, v := range valuesIn(t, roster.Blocks) {
		if !strings.HasPrefix(v, "~emea~") {
			t.Errorf("a value of emea's roster names no cluster: %q", v)
		}
	}
	// A payload carrying only a Mute's action_id and value (no block_id) acts on emea too …
	mutes := controlsIn(t, fake, amerCh, roster.TS, "nfmm_mute_audio")
	if len(mutes) < 3 {
		t.Fatalf("emea's roster has %d Mute buttons, want 3 or more", len(mutes))
	}
	muteOnEmea := func(what string, click func()) {
		t.Helper()
		before := mutedLegs(emea)
		click()
		if err := fake.WaitFor(ctx, func() bool { return len(mutedLegs(emea)) > len(before) }); err != nil {
			t.Fatalf("%s muted nobody on emea: %v\n%s", what, err, run.stderr.String())
		}
		if after := mutedLegs(amer); !slices.Equal(after, amerBefore) {
			t.Errorf("%s changed amer: muted %v, was %v", what, after, amerBefore)
		}
	}
	muteOnEmea("a click without a block_id", func() {
		if _, err := fake.ClickAction(slackfake.Click{User: global, Channel: amerCh, MessageTS: roster.TS,
			ActionID: "nfmm_mute_audio", BlockID: mutes[0].block, OmitBlockID: true}); err != nil {
			t.Fatal(err)
		}
	})
	// … and so does that value under another message's block_id, naming amer.
	api := slack.New("xoxb-1111111111-2222222222-clustertesttokenvalue", slack.OptionAPIURL(fake.APIURL()))
	post := func(blockID, value string) string {
		t.Helper()
		_, ts, err := api.PostMessage(amerCh, slack.MsgOptionText("copied", false), slack.MsgOptionBlocks(
			slack.NewActionBlock(blockID, slack.NewButtonBlockElement("nfmm_mute_audio", value,
				slack.NewTextBlockObject(slack.PlainTextType, "Mute", false, false)))))
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	muteOnEmea("a value of emea under amer's block_id", func() {
		if _, err := fake.ClickButton(amerCh, post("~amer~nfmm_controls", mutes[1].value), "nfmm_mute_audio", global); err != nil {
			t.Fatal(err)
		}
	})
	// A value naming a cluster that does not exist acts nowhere, and says so.
	emeaMuted := mutedLegs(emea)
	gone := strings.Replace(mutes[2].value, "~emea~", "~apac~", 1)
	if _, err := fake.ClickButton(amerCh, post("~amer~elsewhere", gone), "nfmm_mute_audio", global); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, func() bool {
		for _, m := range fake.EphemeralFor(global, amerCh) {
			if strings.Contains(m.Text+string(m.Blocks), `There is no cluster "apac"; clusters are emea, amer.`) {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("a value naming no cluster was not answered: %v\n%s", err, run.stderr.String())
	}
	if after := mutedLegs(emea); !slices.Equal(after, emeaMuted) {
		t.Errorf("a value naming apac changed emea: muted %v, was %v", after, emeaMuted)
	}
	if after := mutedLegs(amer); !slices.Equal(after, amerBefore) {
		t.Errorf("a value naming apac changed amer: muted %v, was %v", after, amerBefore)
	}

	// A row's Layout & importance modal names emea in its origin and options, and its
	// submission sets the layout on emea.
	rows := controlsIn(t, fake, amerCh, roster.TS, "nfmm_row")
	var target string
	for _, r := range rows {
		if _, leg, _ := strings.Cut(strings.TrimPrefix(r.block, "~emea~"), "|"); leg != "" {
			_, id, _ := strings.Cut(leg, "|")
			if st, ok := emea.Leg(id); ok && st.ChosenLayout != "speakerOnly" {
				target = id
				if _, err := fake.ClickAction(slackfake.Click{User: global, Channel: amerCh, MessageTS: roster.TS,
					ActionID: "nfmm_row", BlockID: r.block, Value: "~emea~settings"}); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
	}
	if target == "" {
		t.Fatalf("no row of emea's roster to set a layout on:\n%s", roster.Blocks)
	}
	var modal slackfake.View
	if err := fake.WaitFor(ctx, func() bool {
		for _, v := range fake.OpenViews(global) {
			if v.CallbackID == "nfmm_row_settings_modal" {
				modal = v
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("no layout modal: %v\n%s", err, run.stderr.String())
	}
	if !strings.Contains(modal.PrivateMetadata, `"cl":"emea"`) || !strings.Contains(string(modal.Raw), `"~emea~speakerOnly"`) {
		t.Errorf("the modal does not name emea: %s\n%s", modal.PrivateMetadata, modal.Raw)
	}
	if _, err := fake.SubmitView(modal.ID, global, map[string]map[string]any{"row_layout": {"row_layout_select": "~emea~speakerOnly"}}); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, func() bool { st, _ := emea.Leg(target); return st.ChosenLayout == "speakerOnly" }); err != nil {
		t.Fatalf("the modal did not set the layout on emea: %v\n%s", err, run.stderr.String())
	}

	// An operator of amer only: refused on emea, naming it; allowed on amer.
	emeaLeg := legs[len(legs)-1].ID
	private(amerOp, amerCh, "mute "+emeaLeg+" @emea", "You are not an operator of cluster emea")
	// … and so is their click on emea's roster, although it is posted in amer's channel.
	emeaMutedBefore := mutedLegs(emea)
	if _, err := fake.ClickButton(amerCh, roster.TS, "nfmm_mute_audio", amerOp); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, func() bool {
		for _, m := range fake.EphemeralFor(amerOp, amerCh) {
			if strings.Contains(m.Text+string(m.Blocks), "You are not an operator of cluster emea") && m.PostedAt.After(roster.PostedAt) {
				return strings.Count(run.stderr.String(), `"outcome":"denied"`) >= 2
			}
		}
		return false
	}); err != nil {
		t.Fatalf("amer's operator clicking on emea's roster was not refused: %v\n%s", err, run.stderr.String())
	}
	if after := mutedLegs(emea); !slices.Equal(after, emeaMutedBefore) {
		t.Errorf("the refused click changed emea: muted %v, was %v", after, emeaMutedBefore)
	}
	amerCorr := amerMeetings[0]
	amerLeg := amer.Legs(amerCorr)[0]
	private(amerOp, amerCh, "mute "+amerLeg.ID, "Muted")
	if st, _ := amer.Leg(amerLeg.ID); !st.RxAudioMute {
		t.Errorf("amer's operator could not mute on amer")
	}

	// A DM names no cluster: NFMM asks which, with a button per cluster.
	choice := private(viewer, dm, "calls", "Which cluster?")
	for _, c := range []string{"calls @emea", "calls @amer", "calls @all"} {
		if !strings.Contains(string(choice.Blocks), `"`+c+`"`) {
			t.Errorf("the choice has no button running %q:\n%s", c, choice.Blocks)
		}
	}
	// Its @amer button runs the command on amer.
	if _, err := fake.ClickAction(slackfake.Click{User: viewer, Channel: dm, MessageTS: choice.TS, ActionID: "nfmm_run_cluster_1"}); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, func() bool {
		for _, m := range fake.EphemeralFor(viewer, dm) { // in place of the question, or a new one
			if isCalls(m) && has(m, amerMeetings) && !has(m, emeaMeetings) {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("the @amer button did not list amer's meetings: %v\n%s", err, run.stderr.String())
	}

	// An alert names its cluster, and its Details button reads that cluster, posted in a
	// channel bound to none.
	amer.SetDown("cb2", true)
	alert, err := fake.WaitMessage(ctx, alertCh, func(m slackfake.Message) bool { return strings.Contains(m.Text+string(m.Blocks), "[amer] cb2") })
	if err != nil {
		t.Fatalf("no alert for amer's cb2: %v\n%s", err, run.stderr.String())
	}
	if _, err := fake.ClickButton(alertCh, alert.TS, "nfmm_alert_details", viewer); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, func() bool {
		for _, m := range fake.EphemeralFor(viewer, alertCh) {
			if strings.Contains(m.Text, "1 of 2 nodes reachable") {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatalf("Details of amer's alert did not show amer's status: %v\n%s", err, run.stderr.String())
	}
	checkClusterMetrics(ctx, t, "http://"+opsAddr(t, run.stderr.String()))
	run.stop(ctx, t)
}

// checkClusterMetrics: both emulators have a node cb1, and /metrics keeps them apart by the
// cluster label: the request histogram, the node and live-state gauges, and the alert count
// (amer's cb2 is down, emea has no alert). /healthz names each node's cluster.
func checkClusterMetrics(ctx context.Context, t *testing.T, base string) {
	t.Helper()
	var want []string
	for _, c := range []string{"emea", "amer"} {
		want = append(want,
			`nfmm_cms_request_duration_seconds_count{cluster="`+c+`",code="200",method="GET",node="cb1"} `,
			`nfmm_cms_node_up{cluster="`+c+`",node="cb1"} 1`,
			`nfmm_cms_events_connected{cluster="`+c+`",node="cb1"} 1`,
			`nfmm_cms_resyncs_total{cluster="`+c+`",node="cb1"} `,
			`nfmm_cms_polled_nodes{cluster="`+c+`"} 0`,
		)
	}
	want = append(want, `nfmm_alerts_active{cluster="amer",kind="node_down"} 1`, `nfmm_alerts_active{cluster="emea",kind="node_down"} 0`)
	var body string
	for {
		body, _ = get(t, base+"/metrics")
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return strings.Contains(body, w) })
		if len(missing) == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("/metrics lacks %q:\n%s", missing, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if strings.Contains(body, `cluster="default"`) {
		t.Errorf("/metrics has a default cluster, though the clusters are emea and amer")
	}
	health, _ := get(t, base+"/healthz")
	for _, c := range []string{"emea", "amer"} {
		if !strings.Contains(health, `"cluster":"`+c+`","name":"cb1"`) {
			t.Errorf("/healthz does not name %s's cb1:\n%s", c, health)
		}
	}
}

// valuesIn lists every value of a message's elements (buttons, options).
func valuesIn(t *testing.T, blocks json.RawMessage) []string {
	t.Helper()
	var doc any
	if err := json.Unmarshal(blocks, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(n any) {
		switch n := n.(type) {
		case map[string]any:
			for k, c := range n {
				if v, ok := c.(string); ok && k == "value" {
					out = append(out, v)
				} else {
					walk(c)
				}
			}
		case []any:
			for _, c := range n {
				walk(c)
			}
		}
	}
	walk(doc)
	return out
}

// clusterControl is one element of a posted message: its block's id and its value.
type clusterControl struct{ block, value string }

// controlsIn lists the elements with actionID of a message as it is now.
func controlsIn(t *testing.T, fake *slackfake.Server, channel, ts, actionID string) []clusterControl {
	t.Helper()
	m, ok := fake.Message(channel, ts)
	if !ok {
		t.Fatalf("no message %s in %s", ts, channel)
	}
	var blocks []struct {
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var out []clusterControl
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				out = append(out, clusterControl{b.BlockID, e.Value})
			}
		}
	}
	return out
}

// mutedLegs lists the ids of the audio-muted legs of every meeting of sim, sorted.
func mutedLegs(sim *cmssim.Sim) []string {
	var out []string
	for _, m := range sim.Meetings() {
		for _, l := range sim.Legs(m.Correlator) {
			if l.RxAudioMute {
				out = append(out, l.ID)
			}
		}
	}
	slices.Sort(out)
	return out
}
