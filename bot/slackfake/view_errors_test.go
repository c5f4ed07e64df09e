package slackfake_test

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// A response_action "errors" ack keeps the modal open and records the errors, as Slack shows
// them under the inputs; errors that name no input block of the view are refused, as Slack
// refuses them, and record nothing.
func TestViewSubmissionErrorsAck(t *testing.T) {
	fake := newFake(t)
	next := make(chan map[string]string, 4) // the errors each submission is answered with
	startBot(t, fake, func(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeInteractive {
			ackAll(ctx, sm, evt)
			return
		}
		var payload any
		if errs := <-next; errs != nil {
			payload = slack.NewErrorsViewSubmissionResponse(errs)
		}
		_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, payload)
	})
	ctx := waitCtx(t)
	api := newAPI(fake, testBotToken)
	env, err := fake.SlashCommand("U1", "C1", "/cms", "add")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := api.OpenViewContext(ctx, env.TriggerID, modalWithControls())
	if err != nil {
		t.Fatal(err)
	}
	id := resp.View.ID
	submit := func(errs map[string]string) (string, []string) {
		t.Helper()
		next <- errs
		env, err := fake.SubmitView(id, "U1", map[string]map[string]any{"uri": {"uri_input": "alice@"}})
		if err != nil {
			t.Fatal(err)
		}
		ack, err := fake.WaitAck(ctx, env.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ack.Error, ack.Errors
	}

	if code, _ := submit(map[string]string{"uri": "Nothing follows the @."}); code != "" {
		t.Fatalf("errors ack refused: %s", code)
	}
	v, _ := fake.View(id)
	if !v.Open || v.Errors["uri"] != "Nothing follows the @." {
		t.Fatalf("after an errors ack: open %v, errors %v", v.Open, v.Errors)
	}
	if !strings.Contains(string(v.Raw), `"alice@"`) {
		t.Errorf("the modal lost what the user typed: %s", v.Raw)
	}

	code, problems := submit(map[string]string{"tools": "not an input"})
	if code != "invalid_arguments" || len(problems) != 1 || !strings.Contains(problems[0], `"tools"`) {
		t.Errorf("errors on a non-input block: %q %v, want invalid_arguments naming it", code, problems)
	}
	if v, _ := fake.View(id); !v.Open || v.Errors["uri"] != "Nothing follows the @." || v.Errors["tools"] != "" {
		t.Errorf("a refused errors ack changed the view: open %v, errors %v", v.Open, v.Errors)
	}

	if code, _ := submit(nil); code != "" || len(fake.OpenViews("U1")) != 0 {
		t.Errorf("a plain ack did not close the modal: %q, open %v", code, fake.OpenViews("U1"))
	}
}
