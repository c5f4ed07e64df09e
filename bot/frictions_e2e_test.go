package bot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/commands"
)

// Friction 1: every address rule is checked inside the Add participant modal. A bad address
// keeps the modal open with its own inline error (the typed `add` command's sentence), posts
// nothing and dials nothing; a good one closes the modal and dials.
func TestE2EAddModalShowsEveryAddressErrorInline(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	r := h.roster(testOperator, m)
	h.click(testOperator, r, actAdd, "", "")
	v, err := h.fake.WaitView(h.ctx(), testOperator, func(v slackfake.View) bool { return v.CallbackID == viewAdd })
	if err != nil {
		t.Fatalf("add modal did not open: %v", err)
	}
	posted := len(h.fake.Messages(testChannel))
	seen := map[string]string{}
	for _, uri := range []string{"alice@", "sip:", "+47abc", "a@b@c", "@example.com", "http://x", "sip:al ice@example.com", ""} {
		env, err := h.fake.SubmitView(v.ID, testOperator, map[string]map[string]any{blockURI: {elemURI: uri}})
		if err != nil {
			t.Fatal(err)
		}
		if ack := h.waitAck(env); ack.Error != "" {
			t.Fatalf("%q: Slack refused the ack: %s %v", uri, ack.Error, ack.Errors)
		}
		got, _ := h.fake.View(v.ID)
		want := commands.URIProblem(strings.TrimSpace(uri))
		if !got.Open || got.Errors[blockURI] != want || want == "" {
			t.Fatalf("%q: modal open=%v, inline error %q, want %q", uri, got.Open, got.Errors[blockURI], want)
		}
		if other, dup := seen[want]; dup {
			t.Errorf("%q and %q get the same error %q: not specific", uri, other, want)
		}
		seen[want] = uri
	}
	if n := len(h.fake.Messages(testChannel)); n != posted {
		t.Errorf("%d messages posted while the modal refused addresses, want none", n-posted)
	}
	if n := len(h.sim.Legs(m.Correlator)); n != 3 {
		t.Fatalf("%d legs after refused addresses, want 3", n)
	}

	env, err := h.fake.SubmitView(v.ID, testOperator, map[string]map[string]any{blockURI: {elemURI: "alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if ack := h.waitAck(env); strings.Contains(string(ack.Payload), "errors") {
		t.Fatalf("a valid address acked with %s", ack.Payload)
	}
	if got, _ := h.fake.View(v.ID); got.Open {
		t.Error("the modal stayed open after a valid address")
	}
	h.eventually("the valid address is dialled", func() bool { return len(h.sim.Legs(m.Correlator)) == 4 })
}

// Friction 2: a usage error in Slack is the error and that command's usage, never the whole
// help (which buried the one line that mattered); a typo keeps its "did you mean".
func TestE2EUsageErrorsShowOnlyThatCommandsUsage(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.board()
	alice := legByName(t, m, "Alice")
	tests := []struct {
		text, want, usage string
	}{
		{"mutee alice", "Did you mean `mute`?", "/cms mute <participant> [audio|video|both]"},
		{"disconnect alice bob", `"bob" is not expected`, "/cms disconnect <participant>"},
		{"layout " + alice.ID + " grid", `"grid" is not a CMS layout`, "/cms layout <participant> <layout>"},
		{"add board alice@", "nothing follows the @", "/cms add <meeting> <uri>"},
	}
	for _, tt := range tests {
		before := len(h.fake.EphemeralFor(testOperator, testChannel))
		h.slash(testOperator, tt.text)
		var got []slackfake.Message
		h.eventually("the answer to "+tt.text, func() bool {
			got = h.fake.EphemeralFor(testOperator, testChannel)
			return len(got) > before
		})
		msg := got[len(got)-1]
		if !contains(tt.want, `"text":"usage: `+tt.usage+`"`)(msg) {
			t.Errorf("%q answered %s, want %q and the usage %q", tt.text, msg.Blocks, tt.want, tt.usage)
		}
		for _, other := range []string{"NFMM help", "presenter <meeting>", "calls [filter]", actRun} {
			if contains(other)(msg) {
				t.Errorf("%q answered with %q in it: more than that command's usage\n%s", tt.text, other, msg.Blocks)
			}
		}
		if n := strings.Count(string(msg.Blocks), `"type":"context"`) + strings.Count(string(msg.Blocks), `"type":"section"`); n > 2 {
			t.Errorf("%q answered with %d blocks of text, want the error and the usage", tt.text, n)
		}
		if len(h.fake.EphemeralFor(testOperator, testChannel)) != before+1 {
			t.Errorf("%q answered more than once", tt.text)
		}
	}
	if legs := h.sim.Legs(m.Correlator); len(legs) != 3 {
		t.Errorf("a usage error changed CMS: %d legs", len(legs))
	}
}

// auditRecords is every JSON line of the harness's audit log.
func (h *harness) auditRecords() []map[string]any {
	h.t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(h.audit.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			h.t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

// Friction 3: a stale click says what is true. Muting someone already muted says "X was
// already muted" (and the audit records no change); disconnecting someone who has left says
// "<name> has already left" (privately), never the leg id, and the roster is refreshed.
func TestE2EStaleClicksSayWhatIsTrue(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := h.meeting("Board review",
		cmssim.ParticipantSpec{Name: "Alice", URI: "alice@example.com", Node: "cb1"},
		cmssim.ParticipantSpec{Name: "Bob", URI: "bob@example.com", Node: "cb2"},
		cmssim.ParticipantSpec{Name: "Carol", URI: "carol@example.com", Node: "cb3"},
		cmssim.ParticipantSpec{Name: "Tamar Andersson", URI: "tamar@example.com", Node: "cb2"},
	)
	bob, tamar := legByName(t, m, "Bob"), legByName(t, m, "Tamar Andersson")
	r := h.roster(testOperator, m)

	// Bob is muted from elsewhere (another operator's roster, a typed command) ...
	h.slash(testOperator, "mute "+bob.ID)
	h.eventually("Bob is muted and that audited", func() bool { return h.leg(bob.ID).RxAudioMute && len(h.auditRecords()) == 1 })
	audits := len(h.auditRecords())
	// ... and this roster's Mute button is clicked.
	h.click(testOperator, r, actMuteAudio, legControls(m, bob), "")
	r = h.waitMessage(testOperator, "the roster saying Bob was already muted", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("<@"+testOperator+">: Bob was already muted")(msg)
	})
	if contains("muted Bob ·")(r) {
		t.Errorf("the roster says Bob was muted by this click:\n%s", r.Blocks)
	}
	recs := h.auditRecords()
	if len(recs) != audits+1 {
		t.Fatalf("%d audit records for the click, want 1", len(recs)-audits)
	}
	if ch, _ := recs[len(recs)-1]["changes"].([]any); len(ch) != 0 || recs[len(recs)-1]["outcome"] != commands.OutcomeOK {
		t.Errorf("audit of a mute that changed nothing: %v", recs[len(recs)-1])
	}

	// Tamar hangs up while Disconnect's confirmation is open; it is confirmed.
	v := h.rowModal(testOperator, r, m, tamar, rowDisconnect, viewRowDisconnect)
	if !h.sim.RemoveLeg(tamar.ID) {
		t.Fatal("could not remove Tamar's leg")
	}
	before := len(h.fake.EphemeralFor(testOperator, testChannel))
	h.submit(v, testOperator, nil)
	h.waitMessage(testOperator, "the answer naming Tamar", func(msg slackfake.Message) bool {
		return msg.TS != r.TS && msg.Ephemeral && contains("⚠️ Tamar Andersson has already left.")(msg)
	})
	r = h.waitMessage(testOperator, "the refreshed roster without Tamar", func(msg slackfake.Message) bool {
		return msg.TS == r.TS && contains("3 participants")(msg) && !contains("Tamar")(msg)
	})
	for _, msg := range h.fake.EphemeralFor(testOperator, testChannel)[before:] {
		if strings.Contains(string(msg.Blocks)+msg.Text, tamar.ID) {
			t.Errorf("a message quotes Tamar's leg id:\n%s", msg.Blocks)
		}
	}

	// Carol hangs up before her row's menu is used: the form says so by name.
	carol := legByName(t, m, "Carol")
	h.sim.RemoveLeg(carol.ID)
	h.click(testOperator, r, actRowMenu, legControls(m, carol), rowDisconnect)
	if _, err := h.fake.WaitView(h.ctx(), testOperator, func(v slackfake.View) bool {
		return strings.Contains(string(v.Raw), "Carol has already left.") && !strings.Contains(string(v.Raw), carol.ID)
	}); err != nil {
		t.Errorf("the Disconnect form does not say Carol has left: %v", err)
	}
}

// Friction 8: help says what the user is and how to share an answer, gives examples first,
// then the commands by group; it has no "Run help" button, and its Run schedule button works
// (hardening_e2e_test.go's TestE2EScheduleRunButtonInHelp clicks it).
func TestE2EHelpExamplesFirstThenGroups(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for _, tt := range []struct {
		user, role string
		groups     []string
	}{
		{testViewer, "You are a viewer", []string{"*Look*", "*Help*"}},
		{testOperator, "You are an operator", []string{"*Look*", "*Participants*", "*Meetings*", "*Help*"}},
	} {
		before := len(h.fake.EphemeralFor(tt.user, testChannel))
		h.slash(tt.user, "help")
		var help slackfake.Message
		h.eventually("help for "+tt.user, func() bool {
			got := h.fake.EphemeralFor(tt.user, testChannel)
			if len(got) > before {
				help = got[len(got)-1]
			}
			return len(got) > before
		})
		text := jsonUnescaper.Replace(string(help.Blocks))
		order := []string{tt.role, "`public`", "*Examples*", "`/cms calls`"}
		order = append(order, tt.groups...)
		at := 0
		for _, w := range order {
			i := strings.Index(text[at:], w)
			if i < 0 {
				t.Fatalf("%s's help lacks %q after position %d (want, in order, %q):\n%s", tt.user, w, at, order, text)
			}
			at += i + len(w)
		}
		if strings.Contains(text, `"value":"help"`) {
			t.Errorf("%s's help has a Run help button", tt.user)
		}
		if tt.user == testViewer && strings.Contains(text, "*Participants*") {
			t.Errorf("viewer's help lists the operators' groups")
		}
	}
}

// Friction 4: a node that does not answer is named once per line, with the cause and since
// when (the live state knows), and the calls header lists the nodes that answered plus the
// down one, marked once.
func TestE2ENodeDownNamedOnceWithCauseAndSince(t *testing.T) {
	h := newHarness(t, harnessOptions{Live: true})
	h.board()
	h.sim.SetDown("cb2", true)
	h.eventually("the live state marks cb2 down", func() bool {
		for _, n := range h.live.Nodes() {
			if n.Node == "cb2" {
				return n.Mode == cms.ModeDown
			}
		}
		return false
	})
	var since time.Time
	for _, n := range h.live.Nodes() {
		if n.Node == "cb2" {
			since = n.Since
		}
	}
	clockAt := since.UTC().Format("15:04")
	h.slash(testViewer, "calls")
	calls := h.waitMessage(testViewer, "the calls list with cb2 down", contains("cb2 down"))
	text := jsonUnescaper.Replace(string(calls.Blocks))
	if !strings.Contains(text, "cb1, cb3 · cb2 down") {
		t.Errorf("calls header does not list the answering nodes then cb2 marked down:\n%s", text)
	}
	// The cause is "connection closed" (the emulator drops the connection); on a loaded machine
	// the request may time out first, which names its own cause.
	line := regexp.MustCompile(`⚠️ cb2 (could not be reached \([a-z ]+\)|did not answer in time) · down since ` + clockAt)
	if !line.MatchString(text) {
		t.Errorf("calls list lacks %q:\n%s", line, text)
	}
	if strings.Contains(text, "cb2: cb2") || strings.Count(text, "cb2") != 2 {
		t.Errorf("cb2 is named %d times (want once in the header, once in its line):\n%s", strings.Count(text, "cb2"), text)
	}

	h.slash(testViewer, "status")
	st := h.waitMessage(testViewer, "status with cb2 down", contains("Cluster status"))
	text = jsonUnescaper.Replace(string(st.Blocks))
	if !regexp.MustCompile(`❌ cb2 (could not be reached \([a-z ]+\)|did not answer in time) · down since `+clockAt).MatchString(text) ||
		strings.Count(text, "cb2") != 1 {
		t.Errorf("status names cb2 %d times, want once with its cause and since when:\n%s", strings.Count(text, "cb2"), text)
	}
}

// Friction 5: the report lists poor media once per participant, with a Details button that
// opens that participant, and says it checked every meeting.
func TestE2EReportPoorMediaPerParticipantWithDetails(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	bad := cmssim.Media{PacketLoss: 12, Jitter: 90}
	m := h.meeting("Board review",
		cmssim.ParticipantSpec{Name: "Hamid Kim", Node: "cb2", Media: bad},
		cmssim.ParticipantSpec{Name: "Alice", Node: "cb1"},
	)
	for i := range 25 { // more meetings than the report used to check
		h.meeting(fmt.Sprintf("Standup %02d", i), cmssim.ParticipantSpec{Name: fmt.Sprintf("Sam %02d", i), Node: "cb3", Media: bad})
	}
	hamid := legByName(t, m, "Hamid Kim")
	h.slash(testViewer, "report")
	rep := h.waitMessage(testViewer, "the report", contains("NFMM report", "Poor media"))
	text := jsonUnescaper.Replace(string(rep.Blocks))
	if n := strings.Count(text, "Hamid Kim"); n != 1 {
		t.Errorf("Hamid Kim is on %d lines of the report, want 1:\n%s", n, text)
	}
	if !strings.Contains(text, "26 participants") || !strings.Contains(text, "media checked in all 26 meetings") {
		t.Errorf("the report does not cover every meeting:\n%s", text)
	}
	if strings.Contains(text, "Alice") {
		t.Errorf("Alice (good media) is listed:\n%s", text)
	}
	h.click(testViewer, rep, actDetails, blockIDWithValue(t, rep, actDetails, hamid.ID), "")
	h.waitMessage(testViewer, "Hamid's details", func(msg slackfake.Message) bool {
		return msg.Text == "Hamid Kim in Board review" && contains("Back to roster")(msg)
	})
}
