package slackfake_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func approvalBlocks() slack.MsgOption {
	return slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Deploy *api*?", false, false), nil, nil),
		slack.NewActionBlock("",
			slack.NewButtonBlockElement("approve", "req-42", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)),
		),
	)
}

func TestHelloAndAckLatency(t *testing.T) {
	fake := newFake(t)
	hello := make(chan socketmode.Request, 1)
	startBot(t, fake, func(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeHello:
			hello <- *evt.Request
		case socketmode.EventTypeSlashCommand:
			_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		}
	})
	ctx := waitCtx(t)
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	h := recv(t, hello)
	if h.NumConnections != 1 || h.ConnectionInfo.AppID != slackfake.AppID || h.DebugInfo.Host == "" {
		t.Errorf("hello = %+v", h)
	}
	env, err := fake.SlashCommand("U1", "C1", "/cms", "calls")
	if err != nil {
		t.Fatal(err)
	}
	ack, err := fake.WaitAck(ctx, env.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Latency <= 0 || ack.Latency > 3*time.Second || ack.Unknown || ack.RetryAttempt != 0 {
		t.Errorf("ack = %+v, want a known first-attempt ack with 0 < latency < 3s", ack)
	}
	if got := fake.Opens(); got != 1 {
		t.Errorf("Opens() = %d, want 1", got)
	}
}

// approvalBot posts a button for every slash command and answers every click by replacing the
// clicked message through its response_url. It reports what it received and any call error.
type approvalBot struct {
	cmds   chan slack.SlashCommand
	clicks chan slack.InteractionCallback
	errs   chan error
}

func newApprovalBot() *approvalBot {
	return &approvalBot{cmds: make(chan slack.SlashCommand, 1), clicks: make(chan slack.InteractionCallback, 1),
		errs: make(chan error, 4)}
}

func (b *approvalBot) handle(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd := evt.Data.(slack.SlashCommand)
		_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		b.cmds <- cmd
		if _, _, err := sm.PostMessageContext(ctx, cmd.ChannelID, slack.MsgOptionText("approve?", false), approvalBlocks()); err != nil {
			b.errs <- err
		}
	case socketmode.EventTypeInteractive:
		cb := evt.Data.(slack.InteractionCallback)
		_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		b.clicks <- cb
		if _, _, err := sm.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL),
			slack.MsgOptionText("Approved by <@"+cb.User.ID+">", false)); err != nil {
			b.errs <- err
		}
	}
}

// TestSlashCommandButtonReplaceOriginal is the main interaction loop: slash command → ack →
// chat.postMessage with a button → click → block_actions → response_url replace_original.
func TestSlashCommandButtonReplaceOriginal(t *testing.T) {
	fake := newFake(t)
	bot := newApprovalBot()
	startBot(t, fake, bot.handle)
	ctx := waitCtx(t)
	if err := fake.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	env, err := fake.SlashCommand("U1", "C1", "/cms", "deploy api")
	if err != nil {
		t.Fatal(err)
	}
	cmd := recv(t, bot.cmds)
	if cmd.UserName != "alice" || cmd.ChannelName != "ops" || cmd.Text != "deploy api" || cmd.TeamID != slackfake.TeamID ||
		cmd.APIAppID != slackfake.AppID || cmd.TriggerID != env.TriggerID || cmd.ResponseURL != env.ResponseURL ||
		!strings.HasPrefix(cmd.ResponseURL, fake.URL()+"/response/") {
		t.Errorf("slash command payload = %+v", cmd)
	}
	posted, err := fake.WaitMessage(ctx, "C1", func(m slackfake.Message) bool { return len(m.Blocks) > 0 })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.ClickButton("C1", posted.TS, "approve", "U1"); err != nil {
		t.Fatal(err)
	}
	cb := recv(t, bot.clicks)
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback = %+v", cb)
	}
	a := cb.ActionCallback.BlockActions[0]
	if a.ActionID != "approve" || a.Value != "req-42" || a.BlockID == "" || a.ActionTs == "" || a.Type != "button" {
		t.Errorf("action = %+v", a)
	}
	if cb.Container.Type != "message" || cb.Container.MessageTs != posted.TS || cb.Channel.ID != "C1" ||
		cb.User.ID != "U1" || cb.Message.Timestamp != posted.TS || cb.TriggerID == "" {
		t.Errorf("callback context = container %+v channel %q user %q message ts %q", cb.Container, cb.Channel.ID, cb.User.ID, cb.Message.Timestamp)
	}
	replaced, err := fake.WaitMessage(ctx, "C1", func(m slackfake.Message) bool { return m.Text == "Approved by <@U1>" })
	if err != nil {
		t.Fatal(err)
	}
	if replaced.TS != posted.TS || !replaced.Edited || replaced.Ephemeral {
		t.Errorf("replaced = %+v, want the original message edited in place", replaced)
	}
	if n := len(fake.Messages("C1")); n != 1 {
		t.Errorf("channel has %d messages, want 1", n)
	}
	select {
	case err := <-bot.errs:
		t.Errorf("bot call failed: %v", err)
	default:
	}
	var rb map[string]any
	calls := fake.Calls("response_url")
	if len(calls) != 1 || json.Unmarshal(calls[0].JSON, &rb) != nil || rb["replace_original"] != true {
		t.Errorf("response_url calls = %+v", calls)
	}
}
