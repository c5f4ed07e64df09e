package slackfake_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// chat.update's tier as a sliding window: the call over the limit gets 429 with the seconds
// until the oldest call leaves the window, and the window moves with the fake's clock.
func TestChatUpdateRateLimit(t *testing.T) {
	fake := newFrozenFake(t)
	api := newAPI(fake, testBotToken)
	ctx := waitCtx(t)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	if err != nil {
		t.Fatal(err)
	}
	fake.SetRateLimit("chat.update", slackfake.RateLimit{PerMinute: 3})
	for i := range 3 {
		if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("y", false)); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		fake.Advance(10 * time.Second)
	}
	_, _, _, err = api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("z", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
		t.Fatalf("fourth update in a minute: %v, want a 429 with Retry-After 30s", err)
	}
	if cs := fake.Calls("chat.update"); cs[len(cs)-1].Status != http.StatusTooManyRequests {
		t.Errorf("the limited call was recorded as %+v", cs[len(cs)-1])
	}
	fake.Advance(30 * time.Second)
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("z", false)); err != nil {
		t.Errorf("after Retry-After: %v", err)
	}
	if m, _ := fake.Message("C1", ts); m.Text != "z" {
		t.Errorf("message text %q, want the last accepted update", m.Text)
	}
}

// app_home_opened arrives as an events_api envelope slack-go parses, and views.publish
// stores the Home tab.
func TestAppHomeOpened(t *testing.T) {
	fake := newFake(t)
	got := make(chan *slackevents.AppHomeOpenedEvent, 1)
	bot := startBot(t, fake, func(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeEventsAPI {
			return
		}
		_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			if h, ok := ev.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
				got <- h
			}
		}
	})
	if err := fake.WaitConnected(waitCtx(t)); err != nil {
		t.Fatal(err)
	}
	env, err := fake.AppHomeOpened("U1", "home")
	if err != nil {
		t.Fatal(err)
	}
	ev := recv(t, got)
	if ev.User != "U1" || ev.Tab != "home" || ev.Channel == "" {
		t.Errorf("event = %+v", ev)
	}
	if _, err := fake.WaitAck(waitCtx(t), env.ID); err != nil {
		t.Fatal(err)
	}
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*hello*", false, false), nil, nil)}}}
	if _, err := bot.api.PublishViewContext(waitCtx(t), slack.PublishViewContextRequest{UserID: "U1", View: view}); err != nil {
		t.Fatal(err)
	}
	v, ok := fake.HomeView("U1")
	if !ok || v.Type != "home" {
		t.Fatalf("Home view = %+v, %v", v, ok)
	}
	// The next app_home_opened names the published view.
	if _, err := fake.AppHomeOpened("U1", "home"); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, got); ev.View == nil || ev.View.ID != v.ID {
		t.Errorf("second event's view = %+v, want %s", ev.View, v.ID)
	}
}
