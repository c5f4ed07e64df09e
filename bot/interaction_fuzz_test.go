package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/internal/names"
	"github.com/slack-go/slack"
)

// recordingRunner is a Runner that records what reaches it and refuses everything, so a fuzzed
// click never needs CMS.
type recordingRunner struct {
	mu   sync.Mutex
	cmds []commands.Command
	runs []string
}

func (r *recordingRunner) Run(_ context.Context, _ commands.Actor, text string) (commands.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, text)
	return nil, &commands.RefError{Kind: "meeting", Ref: "x"}
}

func (r *recordingRunner) Execute(_ context.Context, _ commands.Actor, c commands.Command) (commands.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds = append(r.cmds, c)
	return nil, &commands.RefError{Kind: "participant", Ref: "x"}
}

func (r *recordingRunner) RoleOf(commands.Actor) commands.Role              { return commands.RoleOperator }
func (r *recordingRunner) Allowed(commands.Actor, commands.Op) error        { return nil }
func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

type roundTripFunc func(*http.Request) (*http.Response, error)

// offlineBot is a Bot whose Slack calls fail at once without leaving the process.
func offlineBot(t *testing.T, r Runner) *Bot {
	t.Helper()
	offline := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("offline")
	})}
	// No pacing: a generated payload may carry many actions, and each would otherwise wait
	// the per-channel post interval (1 s), turning one input into a hang for the fuzzer.
	b, err := New(Config{BotToken: "xoxb-fuzz", AppToken: "xapp-fuzz", APIURL: "http://127.0.0.1:9/api/", Service: r,
		HTTPClient: offline, PostInterval: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkCommand asserts that a Command built from an untrusted payload carries only ids of the
// shapes NFMM itself puts in buttons.
func checkCommand(t *testing.T, c commands.Command) {
	t.Helper()
	ids := map[string]string{"participant": c.Participant, "meeting": c.Meeting}
	if c.Op == commands.OpCalls {
		delete(ids, "meeting")
		if !validFilter(c.Filter) {
			t.Errorf("calls filter %q from a payload reached commands", c.Filter)
		}
	}
	if c.Op == commands.OpAdd || (c.Op == commands.OpPresenter && !c.Off) {
		delete(ids, "participant") // a presenter leg or a URI comes from a validated modal input
	}
	for what, id := range ids {
		if id != "" && !idPattern.MatchString(id) {
			t.Errorf("%s %q from a payload reached commands (%s)", what, id, c.Op)
		}
	}
	if c.Node != "" && !names.Valid(c.Node) {
		t.Errorf("node %q from a payload reached commands", c.Node)
	}
	if len(c.Layout) > 64 || len(c.URI) > 4000 {
		t.Errorf("oversized field reached commands: layout %d bytes, uri %d bytes", len(c.Layout), len(c.URI))
	}
}

// FuzzInteractionPayload feeds arbitrary interactive payloads (block_actions and
// view_submission JSON as Slack would send them) through the bot's decoding and handlers: no
// panic, and only well-formed ids ever reach commands.
func FuzzInteractionPayload(f *testing.F) {
	corr := "11111111-2222-3333-4444-555555555555"
	leg := "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	ref := corr + "|cb1|" + leg
	click := func(action, value, blockID string) string {
		return `{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"container":{"type":"message","message_ts":"1.2","channel_id":"C1"},` +
			`"trigger_id":"T1","response_url":"http://127.0.0.1:9/r","actions":[{"action_id":"` + action + `","block_id":"` + blockID + `","value":"` + value + `","selected_option":{"value":"speakerOnly"}}]}`
	}
	submit := func(callback, meta, values string) string {
		return `{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"` + callback + `","private_metadata":` + meta + `,"state":{"values":` + values + `}}}`
	}
	for _, s := range []string{
		click(actMuteAudio, ref, ref), click(actDisconnect, ref, "x"), click(actLayout, "", ref),
		click(actDetails, ref, ""), click(actParticipants, corr, ""), click(actRefresh, corr, ""),
		click(actPage, "roster|2|"+corr, ""), click(actPage, "calls|0|board", ""), click(actRun, "calls", ""),
		click(actAdd, corr, ""), click(actPresenterOn, corr, ""), click(actPresenterOff, corr, ""),
		click(actMuteAudio, corr+"|cb1|<!channel>", ""), click(actPage, "calls|1|<@U1>", ""),
		click("nfmm_unknown", "x", "y"), click(actMuteVideo, strings.Repeat("a|", 1000), ""),
		click(actMuteAudio, "~emea~"+ref, "~amer~nfmm_controls"), click(actMeeting, "", "~emea~nfmm_controls|"+corr),
		click(actPage, "~all~calls|1|", ""), click(actMuteAudio, "~apac~"+ref, ""), click(actRun, "~~calls", "~emea"),
		// No block_id: slack-go cannot parse it; blockActions reads it again.
		`{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"actions":[{"action_id":"` + actMuteAudio + `","type":"button","text":{"type":"plain_text","text":"Mute"},"value":"~emea~` + ref + `"}]}`,
		submit(viewAdd, `"{\"c\":\"`+corr+`\",\"ch\":\"C1\"}"`, `{"uri":{"uri_input":{"type":"plain_text_input","value":"sip:a@b.c"}}}`),
		submit(viewPresenter, `"{\"c\":\"`+corr+`\"}"`, `{"presenter":{"presenter_select":{"type":"static_select","selected_option":{"value":"`+ref+`"}}}}`),
		submit(viewAdd, `"{\"c\":\"../../etc\"}"`, `{}`), submit(viewPresenter, `"not json"`, `{}`),
		`{}`, `null`, `[]`, `{"type":"block_actions","actions":[null]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var cb slack.InteractionCallback
		var acts []slack.BlockAction
		if json.Unmarshal(payload, &cb) == nil {
			acts = blockActions(cb, payload)
		} else if c, as, ok := parseBlockActions(payload); ok { // what recoverBlockActions runs
			cb, acts = c, as
		} else {
			return
		}
		rec := &recordingRunner{}
		b := offlineBot(t, rec)
		ctx := context.Background()
		switch cb.Type {
		case slack.InteractionTypeBlockActions:
			for _, act := range acts {
				j, _ := b.blockActionJob(cb, act)
				b.runJob(ctx, j)
			}
		case slack.InteractionTypeViewSubmission:
			if _, work := b.viewSubmission(cb); work != nil {
				b.runJob(ctx, *work)
			}
		}
		for _, c := range rec.cmds {
			checkCommand(t, c)
		}
		for _, text := range rec.runs {
			if len(text) > 200 || strings.TrimSpace(text) == "" {
				t.Errorf("run text %.40q (%d bytes) reached commands", text, len(text))
			}
		}
	})
}

// FuzzDecodeRefs: every decoder of untrusted button values and modal metadata either refuses
// the input or returns a value that survives its own encoding.
func FuzzDecodeRefs(f *testing.F) {
	corr := "11111111-2222-3333-4444-555555555555"
	for _, s := range []string{
		corr + "|cb1|" + corr, "|||", "a|b|c", "roster|0|" + corr, "calls|12|board review", "calls|-1|x",
		"calls|01|x", "roster|99999|" + corr, `{"c":"` + corr + `","ch":"C1","ts":"1.2","u":"http://x","e":true}`,
		`{"c":"<!channel>"}`, `{"c":1}`, "", strings.Repeat("|", 300), "calls|0|\u202e<@U1>",
		"~emea~" + corr + "|cb1|" + corr, "~all~calls|1|", "~emea~#3", "~~x", "~e/u~x", "~emea", "~" + strings.Repeat("z", 33) + "~x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := decodeLegRef(s); err == nil {
			if !r.valid() || r.encode() != s {
				t.Errorf("legRef %q decoded to %+v, which does not round-trip", s, r)
			}
		}
		if p, err := decodePageRef(s); err == nil {
			if !p.valid() {
				t.Errorf("pageRef %q decoded to %+v, which does not round-trip", s, p)
			}
			if p.Kind == pageKindCalls && !validFilter(p.Filter) {
				t.Errorf("pageRef %q carries an unsafe filter %q", s, p.Filter)
			}
		}
		if o, err := decodeOrigin(s); err == nil {
			if !idPattern.MatchString(o.Correlator) {
				t.Errorf("origin %q decoded with correlator %q", s, o.Correlator)
			}
			if back, err := decodeOrigin(o.encode()); err != nil || back.Correlator != o.Correlator {
				t.Errorf("origin %+v does not round-trip: %+v, %v", o, back, err)
			}
		}
		if c, ok := decodeCorrelator(s); ok && !idPattern.MatchString(c) {
			t.Errorf("correlator %q accepted", c)
		}
		// A stamp names a valid cluster, or @all, and is exactly what stamp made.
		if c, v := unstamp(s); c != "" {
			if !names.ValidCluster(c) && c != commands.AllClusters || stamp(c, v) != s || strings.Contains(c, stampMark) {
				t.Errorf("unstamp(%q) = %q, %q", s, c, v)
			}
		} else if v != s {
			t.Errorf("unstamp(%q) changed it to %q without a cluster", s, v)
		}
		if c, id := unstampID(s); c == "" && id != s {
			t.Errorf("unstampID(%q) changed it to %q without a cluster", s, id)
		}
	})
}
