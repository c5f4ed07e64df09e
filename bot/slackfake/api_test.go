package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
)

func newAPI(fake *slackfake.Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAppLevelToken(testAppToken), slack.OptionAPIURL(fake.APIURL()))
}

func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func addModal() slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Add participant", false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Add", false, false), CallbackID: "add",
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("uri",
			slack.NewTextBlockObject(slack.PlainTextType, "URI", false, false), nil,
			slack.NewPlainTextInputBlockElement(nil, "uri_input"))}},
	}
}

func TestViewsOpenTrigger(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(fake *slackfake.Server, api *slack.Client, trigger string) string // returns trigger to use
		want    string
	}{
		{"fresh", func(_ *slackfake.Server, _ *slack.Client, tr string) string { return tr }, ""},
		{"reused", func(_ *slackfake.Server, api *slack.Client, tr string) string {
			_, _ = api.OpenViewContext(context.Background(), tr, addModal())
			return tr
		}, "exchanged_trigger_id"},
		{"just under 3s", func(f *slackfake.Server, _ *slack.Client, tr string) string {
			f.Advance(slackfake.TriggerTTL - time.Millisecond)
			return tr
		}, ""},
		{"3s old", func(f *slackfake.Server, _ *slack.Client, tr string) string {
			f.Advance(slackfake.TriggerTTL)
			return tr
		}, "expired_trigger_id"},
		{"ExpireTriggers", func(f *slackfake.Server, _ *slack.Client, tr string) string { f.ExpireTriggers(); return tr }, "expired_trigger_id"},
		{"unknown", func(*slackfake.Server, *slack.Client, string) string { return "123.456.nope" }, "invalid_trigger_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFrozenFake(t)
			api := newAPI(fake, testBotToken)
			env, err := fake.SlashCommand("U1", "C1", "/cms", "add")
			if err != nil {
				t.Fatal(err)
			}
			tr := tt.prepare(fake, api, env.TriggerID)
			resp, err := api.OpenViewContext(context.Background(), tr, addModal())
			if got := slackCode(err); got != tt.want {
				t.Fatalf("views.open error = %q, want %q", got, tt.want)
			}
			if tt.want != "" {
				return
			}
			if !strings.HasPrefix(resp.View.ID, "V") || resp.View.CallbackID != "add" || resp.View.Hash == "" {
				t.Errorf("view = %+v", resp.View)
			}
			open := fake.OpenViews("U1")
			if len(open) != 1 || open[0].ID != resp.View.ID {
				t.Errorf("OpenViews = %+v", open)
			}
		})
	}
}

func TestViewsUpdateAndPush(t *testing.T) {
	fake := newFake(t)
	api := newAPI(fake, testBotToken)
	ctx := waitCtx(t)
	env, _ := fake.SlashCommand("U1", "C1", "/cms", "add")
	mv := addModal()
	mv.ExternalID = "ext-1"
	resp, err := api.OpenViewContext(ctx, env.TriggerID, mv)
	if err != nil {
		t.Fatal(err)
	}
	mv.Title = slack.NewTextBlockObject(slack.PlainTextType, "Changed", false, false)
	if _, err := api.UpdateViewContext(ctx, mv, "", "", resp.View.ID); err != nil {
		t.Fatalf("update by id: %v", err)
	}
	if _, err := api.UpdateViewContext(ctx, mv, "ext-1", "", ""); err != nil {
		t.Fatalf("update by external_id: %v", err)
	}
	if _, err := api.UpdateViewContext(ctx, mv, "", "", "VNOPE"); slackCode(err) != "not_found" {
		t.Errorf("update unknown view: %v", err)
	}
	mv.Title = slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("x", 25), false, false)
	_, err = api.UpdateViewContext(ctx, mv, "", "", resp.View.ID)
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "invalid_blocks" || len(se.Errors) != 1 || se.Errors[0].Message == nil ||
		!strings.Contains(*se.Errors[0].Message, "[json-pointer:/view/title/text]") {
		t.Errorf("update with 25-char title: %#v", err)
	}
	for i := range 3 {
		click, _ := fake.SlashCommand("U1", "C1", "/cms", "more")
		mv.Title = slack.NewTextBlockObject(slack.PlainTextType, "Pushed", false, false)
		_, err := api.PushViewContext(ctx, click.TriggerID, mv)
		want := map[int]string{0: "", 1: "", 2: "push_limit_reached"}[i]
		if slackCode(err) != want {
			t.Errorf("push %d: %v, want %q", i, err, want)
		}
	}
	if v, ok := fake.View(resp.View.ID); !ok || !strings.Contains(string(v.Raw), `"Changed"`) {
		t.Errorf("root view not updated: %+v", v)
	}
	if n := len(fake.OpenViews("U1")); n != slackfake.MaxViewStack {
		t.Errorf("stack depth %d", n)
	}
}

func TestResponseURLLimits(t *testing.T) {
	fake := newFrozenFake(t)
	api := newAPI(fake, testBotToken)
	ctx := waitCtx(t)
	env, _ := fake.SlashCommand("U1", "C1", "/cms", "calls")
	post := func(url string) error {
		_, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral),
			slack.MsgOptionText("hello", false))
		return err
	}
	for i := range slackfake.ResponseURLMaxUses {
		if err := post(env.ResponseURL); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	var sce slack.StatusCodeError
	if err := post(env.ResponseURL); !errors.As(err, &sce) || sce.Code != http.StatusNotFound {
		t.Errorf("6th use: %v, want HTTP 404", err)
	}
	if n := len(fake.EphemeralFor("U1", "C1")); n != 5 {
		t.Errorf("%d ephemeral messages, want 5", n)
	}
	if n := len(fake.EphemeralFor("U2", "C1")); n != 0 {
		t.Errorf("U2 sees %d ephemerals", n)
	}
	env2, _ := fake.SlashCommand("U1", "C1", "/cms", "calls")
	fake.Advance(slackfake.ResponseURLTTL + time.Second)
	if err := post(env2.ResponseURL); !errors.As(err, &sce) || sce.Code != http.StatusNotFound {
		t.Errorf("after 30 min: %v, want HTTP 404", err)
	}
	calls := fake.Calls("response_url")
	if len(calls) != 7 || calls[5].Error != "used_url" || calls[6].Error != "expired_url" {
		t.Errorf("recorded errors: %+v", calls)
	}
}

func TestResponseURLInChannelAndDelete(t *testing.T) {
	fake := newFake(t)
	api := newAPI(fake, testBotToken)
	ctx := waitCtx(t)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("list", false), approvalBlocks())
	if err != nil {
		t.Fatal(err)
	}
	env, err := fake.ClickButton("C1", ts, "approve", "U1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(env.ResponseURL, slack.ResponseTypeInChannel),
		slack.MsgOptionText("for everyone", false)); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages("C1")
	if len(msgs) != 2 || msgs[1].Ephemeral || msgs[1].Text != "for everyone" {
		t.Fatalf("messages = %+v", msgs)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionDeleteOriginal(env.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	if msgs := fake.Messages("C1"); len(msgs) != 1 || msgs[0].TS == ts {
		t.Errorf("after delete_original: %+v", msgs)
	}
}

func TestChatMethods(t *testing.T) {
	fake := newFake(t)
	api := newAPI(fake, testBotToken)
	ctx := waitCtx(t)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("one", false))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"update ok", func() error {
			_, _, _, e := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("two", false))
			return e
		}, ""},
		{"update unknown ts", func() error {
			_, _, _, e := api.UpdateMessageContext(ctx, "C1", "1.000001", slack.MsgOptionText("x", false))
			return e
		}, "message_not_found"},
		{"update without channel", func() error {
			_, _, _, e := api.UpdateMessageContext(ctx, "", ts, slack.MsgOptionText("x", false))
			return e
		}, "message_not_found"},
		{"post unknown channel", func() error {
			_, _, e := api.PostMessageContext(ctx, "CNOPE", slack.MsgOptionText("x", false))
			return e
		}, "channel_not_found"},
		{"post no text", func() error { _, _, e := api.PostMessageContext(ctx, "C1"); return e }, "no_text"},
		{"post too long", func() error {
			_, _, e := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(strings.Repeat("x", 40001), false))
			return e
		}, "msg_too_long"},
		{"post 40000", func() error {
			_, _, e := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(strings.Repeat("x", 40000), false))
			return e
		}, ""},
		{"ephemeral", func() error {
			_, e := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("psst", false))
			return e
		}, ""},
		{"ephemeral without user", func() error {
			_, e := api.PostEphemeralContext(ctx, "C1", "", slack.MsgOptionText("psst", false))
			return e
		}, "user_not_in_channel"},
		{"delete ok", func() error { _, _, e := api.DeleteMessageContext(ctx, "C1", ts); return e }, ""},
		{"delete again", func() error { _, _, e := api.DeleteMessageContext(ctx, "C1", ts); return e }, "message_not_found"},
		{"users.info", func() error {
			u, e := api.GetUserInfoContext(ctx, "U1")
			if e == nil && (u.Name != "alice" || u.TZ != "Europe/Oslo") {
				return errors.New("wrong user " + u.Name)
			}
			return e
		}, ""},
		{"users.info unknown", func() error { _, e := api.GetUserInfoContext(ctx, "U404"); return e }, "user_not_found"},
		{"conversations.info", func() error {
			c, e := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C1"})
			if e == nil && c.Name != "ops" {
				return errors.New("wrong channel " + c.Name)
			}
			return e
		}, ""},
		{"conversations.info unknown", func() error {
			_, e := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C404"})
			return e
		}, "channel_not_found"},
		{"auth.test", func() error {
			r, e := api.AuthTestContext(ctx)
			if e == nil && (r.UserID != slackfake.BotUserID || r.TeamID != slackfake.TeamID) {
				return errors.New("wrong identity")
			}
			return e
		}, ""},
	}
	for _, tt := range tests { // sequential on purpose: later rows depend on earlier ones
		if got := slackCode(tt.call()); got != tt.want {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.want)
		}
	}
	if msgs := fake.Messages("C1"); len(msgs) != 2 || !msgs[1].Ephemeral || msgs[1].VisibleTo != "U1" {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestAuth(t *testing.T) {
	fake := slackfake.NewTest(t, slackfake.Options{BotToken: testBotToken})
	ctx := waitCtx(t)
	tests := []struct {
		name, bot, app string
		call           func(api *slack.Client) error
		want           string
	}{
		{"user token", "xoxp-1", testAppToken, func(api *slack.Client) error { _, e := api.AuthTestContext(ctx); return e }, "invalid_auth"},
		{"other bot token", "xoxb-other", testAppToken, func(api *slack.Client) error { _, e := api.AuthTestContext(ctx); return e }, "invalid_auth"},
		{"no token", "", testAppToken, func(api *slack.Client) error { _, e := api.AuthTestContext(ctx); return e }, "not_authed"},
		{"views with app token", testAppToken, testAppToken, func(api *slack.Client) error {
			_, e := api.OpenViewContext(ctx, "1.2.3", addModal())
			return e
		}, "invalid_auth"},
		{"connections.open with bot token", testBotToken, testBotToken, func(api *slack.Client) error {
			_, _, e := api.StartSocketModeContext(ctx)
			return e
		}, "invalid_auth"},
		{"connections.open without app token", testBotToken, "", func(api *slack.Client) error {
			_, _, e := api.StartSocketModeContext(ctx)
			return e
		}, "not_authed"},
		{"connections.open ok", testBotToken, testAppToken, func(api *slack.Client) error {
			_, url, e := api.StartSocketModeContext(ctx)
			if e == nil && !strings.HasPrefix(url, "ws://127.0.0.1:") {
				return errors.New("bad url " + url)
			}
			return e
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := slack.New(tt.bot, slack.OptionAppLevelToken(tt.app), slack.OptionAPIURL(fake.APIURL()))
			if got := slackCode(tt.call(api)); got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
		})
	}
	for _, c := range fake.Calls("") {
		if strings.Contains(string(c.JSON)+c.Form.Encode(), "xox") {
			t.Errorf("token recorded in call %+v", c)
		}
	}
}

func TestUnknownMethodAndBadInput(t *testing.T) {
	fake := newFake(t)
	tests := []struct {
		name, path, ctype, body string
		wantStatus              int
		wantErr                 string
	}{
		{"unknown method", "/api/chat.frobnicate", "application/x-www-form-urlencoded", "token=xoxb-1", 200, "unknown_method"},
		{"bad json", "/api/views.open", "application/json", "{", 200, "invalid_json"},
		{"view not an object", "/api/views.open", "application/json", `{"trigger_id":"x","view":7}`, 200, "invalid_trigger_id"},
		{"bad form", "/api/chat.postMessage", "application/x-www-form-urlencoded", "%zz", 200, "invalid_form_data"},
		{"blocks not json", "/api/chat.postMessage", "application/x-www-form-urlencoded", "token=xoxb-1&channel=C1&blocks=%7B", 200, "invalid_blocks_format"},
		{"blocks not array", "/api/chat.postMessage", "application/x-www-form-urlencoded", "token=xoxb-1&channel=C1&blocks=7", 200, "invalid_blocks_format"},
		{"blocks garbage", "/api/chat.postMessage", "application/x-www-form-urlencoded", "token=xoxb-1&channel=C1&blocks=%5B1%5D", 200, "invalid_blocks"},
		{"unknown response_url", "/response/nope", "application/json", "{}", 404, "expired_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, fake.URL()+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ctype)
			if strings.HasPrefix(tt.path, "/api/views") {
				req.Header.Set("Authorization", "Bearer xoxb-1")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			raw, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(raw, &body); err != nil || resp.StatusCode != tt.wantStatus || body.OK || body.Error != tt.wantErr {
				t.Errorf("status %d body %s, want %d %q", resp.StatusCode, raw, tt.wantStatus, tt.wantErr)
			}
		})
	}
	if c := fake.Calls("chat.frobnicate"); len(c) != 1 || c[0].Error != "unknown_method" {
		t.Errorf("unknown method not recorded: %+v", c)
	}
	resp, err := http.Get(fake.URL() + "/link/?ticket=forged")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged ticket: status %d", resp.StatusCode)
	}
}

func TestRateLimit(t *testing.T) {
	fake := newFake(t)
	api := newAPI(fake, testBotToken)
	ctx := waitCtx(t)
	fake.Fail("chat.postMessage", 1, 1500*time.Millisecond)
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("first call: %v, want RateLimitedError retry after 2s", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("second call: %v", err)
	}
	calls := fake.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != http.StatusTooManyRequests || calls[1].Status != http.StatusOK {
		t.Errorf("calls = %+v", calls)
	}
	fake.Inject("users.info", slackfake.Fault{N: 1, Error: "fatal_error"})
	if _, err := api.GetUserInfoContext(ctx, "U1"); slackCode(err) != "fatal_error" {
		t.Errorf("injected error: %v", err)
	}
}

func TestSubscribe(t *testing.T) {
	fake := newFake(t)
	api := newAPI(fake, testBotToken)
	events, cancel := fake.Subscribe()
	defer cancel()
	if _, _, err := api.PostMessageContext(waitCtx(t), "C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatal(err)
	}
	var got []slackfake.EventType
	for len(got) < 2 {
		ev := recv(t, events)
		got = append(got, ev.Type)
		if ev.Type == slackfake.EventMessagePosted && (ev.Message == nil || ev.Message.Text != "hi") {
			t.Errorf("event message = %+v", ev.Message)
		}
	}
	if got[0] != slackfake.EventMessagePosted || got[1] != slackfake.EventCall {
		t.Errorf("events = %v", got)
	}
	cancel()
	if _, ok := <-events; ok {
		t.Error("channel open after cancel")
	}
}

// TestConcurrentPosts: parallel callers each get a distinct ts and every post is recorded.
func TestConcurrentPosts(t *testing.T) {
	fake := newFake(t)
	api := newAPI(fake, testBotToken)
	ctx := waitCtx(t)
	events, cancel := fake.Subscribe()
	defer cancel()
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("m"+strconv.Itoa(i), false))
			errs <- err
		}()
	}
	for range n {
		if err := recv(t, errs); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, m := range fake.Messages("C1") {
		seen[m.TS] = true
	}
	if len(seen) != n || len(fake.Calls("chat.postMessage")) != n {
		t.Errorf("%d distinct ts, %d calls, want %d", len(seen), len(fake.Calls("chat.postMessage")), n)
	}
	if len(events) != 2*n { // message_posted + call per post, nothing dropped
		t.Errorf("%d events buffered, want %d", len(events), 2*n)
	}
}
