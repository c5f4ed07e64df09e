package slackfake_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
)

// The demo page's backend, without a bot: what the page reads, and that what it sends becomes
// the envelopes Slack would send.

func newUIFake(t *testing.T) (*slackfake.Server, *slack.Client) {
	t.Helper()
	fake := newFake(t)
	err := fake.MountUI(slackfake.UIOptions{
		Channel:  "C1",
		Users:    []slackfake.UIUser{{ID: "U1", Name: "Alice A", Role: "operator"}, {ID: "U2", Name: "Bob B", Role: "viewer"}},
		Commands: []slackfake.UICommand{{Usage: "calls [filter]", Summary: "active meetings"}},
	})
	if err != nil {
		t.Fatalf("MountUI: %v", err)
	}
	return fake, slack.New(testBotToken, slack.OptionAPIURL(fake.APIURL()))
}

func uiDo(t *testing.T, fake *slackfake.Server, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(waitCtx(t), method, fake.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+fake.UIToken())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func uiState(t *testing.T, fake *slackfake.Server, user string) slackfake.UIState {
	t.Helper()
	code, body := uiDo(t, fake, http.MethodGet, "/ui/state?user="+user, "")
	if code != http.StatusOK {
		t.Fatalf("state for %s: %d %s", user, code, body)
	}
	var st slackfake.UIState
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestMountUIValidatesOptions(t *testing.T) {
	tests := []struct {
		name string
		opts slackfake.UIOptions
		want string
	}{
		{"no channel", slackfake.UIOptions{Users: []slackfake.UIUser{{ID: "U1"}}}, "Channel"},
		{"no users", slackfake.UIOptions{Channel: "C1"}, "Users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := newFake(t).MountUI(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("MountUI = %v, want an error naming %s", err, tt.want)
			}
		})
	}
	fake, _ := newUIFake(t)
	if err := fake.MountUI(slackfake.UIOptions{Channel: "C1", Users: []slackfake.UIUser{{ID: "U1"}}}); err == nil {
		t.Errorf("a second MountUI succeeded")
	}
}

func TestUIStateShowsEachUserTheirOwnEphemerals(t *testing.T) {
	fake, api := newUIFake(t)
	ctx := waitCtx(t)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("for everyone", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only for U1", false)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user string
		want []string
	}{
		{"U1", []string{"for everyone", "only for U1"}},
		{"U2", []string{"for everyone"}},
	}
	for _, tt := range tests {
		st := uiState(t, fake, tt.user)
		var got []string
		for _, m := range st.Messages {
			got = append(got, m.Text)
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s sees %q, want %q", tt.user, got, tt.want)
		}
	}
	if code, _ := uiDo(t, fake, http.MethodGet, "/ui/state?user=U3", ""); code != http.StatusForbidden {
		t.Errorf("state for a user the page may not act as: %d, want 403", code)
	}
}

func TestUICommandBecomesSlashCommandEnvelope(t *testing.T) {
	fake, _ := newUIFake(t)
	code, body := uiDo(t, fake, http.MethodPost, "/ui/command", `{"user":"U1","text":"  /cms   calls board "}`)
	if code != http.StatusOK {
		t.Fatalf("command: %d %s", code, body)
	}
	envs := fake.Envelopes()
	if len(envs) != 1 || envs[0].Type != "slash_commands" {
		t.Fatalf("envelopes = %+v, want one slash command", envs)
	}
	var p slack.SlashCommand
	if err := json.Unmarshal(envs[0].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if p.Command != "/cms" || p.Text != "calls board" || p.UserID != "U1" || p.ChannelID != "C1" || p.TriggerID == "" || p.ResponseURL == "" {
		t.Errorf("payload = %+v", p)
	}
	if st := uiState(t, fake, "U1"); len(st.Echoes) != 1 || st.Echoes[0].Text != "/cms   calls board" {
		t.Errorf("echoes = %+v", st.Echoes)
	}
	if code, _ := uiDo(t, fake, http.MethodPost, "/ui/command", `{"user":"U1","text":"/other calls"}`); code != http.StatusBadRequest {
		t.Errorf("another slash command: %d, want 400", code)
	}
	if n := len(fake.Envelopes()); n != 1 {
		t.Errorf("%d envelopes after a refused command, want 1", n)
	}
}

func TestUIActionTakesValuesFromTheMessage(t *testing.T) {
	fake, api := newUIFake(t)
	ctx := waitCtx(t)
	btn := slack.NewButtonBlockElement("nfmm_mute_audio", "leg-42", slack.NewTextBlockObject(slack.PlainTextType, "Mute", false, false))
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(slack.NewActionBlock("b1", btn)))
	if err != nil {
		t.Fatal(err)
	}
	code, body := uiDo(t, fake, http.MethodPost, "/ui/action",
		`{"user":"U2","message_ts":"`+ts+`","block_id":"b1","action_id":"nfmm_mute_audio","value":"forged"}`)
	if code != http.StatusOK {
		t.Fatalf("action: %d %s", code, body)
	}
	envs := fake.Envelopes()
	var p slack.InteractionCallback
	if err := json.Unmarshal(envs[len(envs)-1].Payload, &p); err != nil {
		t.Fatal(err)
	}
	acts := p.ActionCallback.BlockActions
	if p.Type != slack.InteractionTypeBlockActions || p.User.ID != "U2" || len(acts) != 1 || acts[0].Value != "leg-42" {
		t.Errorf("block_actions = type %s user %s actions %+v, want U2 clicking value leg-42", p.Type, p.User.ID, acts)
	}
	if code, _ := uiDo(t, fake, http.MethodPost, "/ui/action", `{"user":"U2","message_ts":"`+ts+`","action_id":"nope"}`); code != http.StatusNotFound {
		t.Errorf("unknown action: %d, want 404", code)
	}
}

func TestUISubmitAndCloseOnlyTheUsersOwnView(t *testing.T) {
	fake, api := newUIFake(t)
	ctx := waitCtx(t)
	env, err := fake.SlashCommand("U1", "C1", "/cms", "add")
	if err != nil {
		t.Fatal(err)
	}
	input := slack.NewInputBlock("uri", slack.NewTextBlockObject(slack.PlainTextType, "Address", false, false), nil,
		slack.NewPlainTextInputBlockElement(nil, "uri_input"))
	view, err := api.OpenViewContext(ctx, env.TriggerID, slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: "add", Title: slack.NewTextBlockObject(slack.PlainTextType, "Add", false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Dial", false, false), Blocks: slack.Blocks{BlockSet: []slack.Block{input}},
	})
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if st := uiState(t, fake, "U1"); st.View == nil || st.View.ID != view.ID {
		t.Fatalf("U1's state has view %+v, want %s", st.View, view.ID)
	}
	if st := uiState(t, fake, "U2"); st.View != nil {
		t.Errorf("U2 sees U1's modal")
	}
	if code, _ := uiDo(t, fake, http.MethodPost, "/ui/submit", `{"user":"U2","view_id":"`+view.ID+`","values":{}}`); code != http.StatusNotFound {
		t.Errorf("U2 submitting U1's view: %d, want 404", code)
	}
	code, body := uiDo(t, fake, http.MethodPost, "/ui/submit",
		`{"user":"U1","view_id":"`+view.ID+`","values":{"uri":{"uri_input":"sip:dave@example.com"}}}`)
	if code != http.StatusOK {
		t.Fatalf("submit: %d %s", code, body)
	}
	envs := fake.Envelopes()
	var p slack.InteractionCallback
	if err := json.Unmarshal(envs[len(envs)-1].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if got := p.View.State.Values["uri"]["uri_input"].Value; p.Type != slack.InteractionTypeViewSubmission || got != "sip:dave@example.com" {
		t.Errorf("view_submission %s with uri %q", p.Type, got)
	}
	if code, body := uiDo(t, fake, http.MethodPost, "/ui/close", `{"user":"U1","view_id":"`+view.ID+`"}`); code != http.StatusOK {
		t.Fatalf("close: %d %s", code, body)
	}
	if v, _ := fake.View(view.ID); v.Open {
		t.Errorf("the view is still open after close")
	}
}

func TestUIEventsStreamChanges(t *testing.T) {
	fake, api := newUIFake(t)
	ctx, cancel := context.WithCancel(waitCtx(t))
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fake.URL()+"/ui/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func(prefix string) string {
		t.Helper()
		for {
			l, ok := <-lines
			if !ok {
				t.Fatalf("stream ended before %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
	}
	if l := next("event: "); l != "event: hello" {
		t.Fatalf("first event %q, want hello", l)
	}
	if _, _, err := api.PostMessageContext(waitCtx(t), "C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatal(err)
	}
	next("event: change")
	if l := next("data: "); !strings.Contains(l, string(slackfake.EventMessagePosted)) {
		t.Errorf("change data %q, want %s", l, slackfake.EventMessagePosted)
	}
}

func TestUIRefusesCrossSiteFormPosts(t *testing.T) {
	fake, _ := newUIFake(t)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		req, _ := http.NewRequestWithContext(waitCtx(t), http.MethodPost, fake.URL()+"/ui/command",
			strings.NewReader(`{"user":"U1","text":"/cms calls"}`))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Type %q: %d, want 415", ct, resp.StatusCode)
		}
	}
	if n := len(fake.Envelopes()); n != 0 {
		t.Errorf("%d envelopes sent by refused posts", n)
	}
}

// The demo's CSRF and DNS-rebinding holes (issue 12 item 14): every route checks Host and
// Origin, and the page API wants the per-run Bearer token that only a same-origin page can read.
func TestEveryRouteRefusesForeignHostsAndOrigins(t *testing.T) {
	fake, _ := newUIFake(t)
	do := func(method, path, host, origin, ct, auth, body string) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(waitCtx(t), method, fake.URL()+path, strings.NewReader(body))
		if host != "" {
			req.Host = host
		}
		for k, v := range map[string]string{"Origin": origin, "Content-Type": ct, "Authorization": auth} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const form = "application/x-www-form-urlencoded"
	post := "token=" + testBotToken + "&channel=C1&text=pwned"
	bearer := "Bearer " + fake.UIToken()
	command := `{"user":"U1","text":"/cms calls"}`
	tests := []struct {
		name, method, path, host, origin, ct, auth, body string
		want                                             int
	}{
		{"rebinding: the page", "GET", "/", "evil.example:80", "", "", "", "", http.StatusMisdirectedRequest},
		{"rebinding: state", "GET", "/ui/state?user=U1", "attacker.test", "", "", "", "", http.StatusMisdirectedRequest},
		{"rebinding: config and its token", "GET", "/ui/config", "attacker.test", "", "", "", "", http.StatusMisdirectedRequest},
		{"rebinding: Web API", "POST", "/api/chat.postMessage", "attacker.test", "", form, "", post, http.StatusMisdirectedRequest},
		{"cross-site form to the Web API", "POST", "/api/chat.postMessage", "", "http://evil.example", form, "", post, http.StatusForbidden},
		{"cross-site fetch to the page API", "POST", "/ui/command", "", "http://evil.example", "application/json", bearer, command, http.StatusForbidden},
		{"another local port's page", "POST", "/ui/command", "", "http://127.0.0.1:1", "application/json", bearer, command, http.StatusForbidden},
		{"cross-site socket", "GET", "/link/?ticket=x", "", "http://evil.example", "", "", "", http.StatusForbidden},
		{"page API without the token", "POST", "/ui/command", "", "", "application/json", "", command, http.StatusUnauthorized},
		{"page API with a wrong token", "POST", "/ui/command", "", "", "application/json", "Bearer 0123", command, http.StatusUnauthorized},
		{"page API as the page sends it", "POST", "/ui/command", "", fake.URL(), "application/json", bearer, command, http.StatusOK},
		{"the page under localhost", "GET", "/", "localhost:" + fake.URL()[strings.LastIndex(fake.URL(), ":")+1:], "", "", "", "", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := do(tt.method, tt.path, tt.host, tt.origin, tt.ct, tt.auth, tt.body); got != tt.want {
				t.Errorf("%s %s: %d, want %d", tt.method, tt.path, got, tt.want)
			}
		})
	}
	for _, m := range fake.Messages("C1") {
		if strings.Contains(m.Text, "pwned") {
			t.Errorf("a forged request posted %q", m.Text)
		}
	}
	code, body := uiDo(t, fake, http.MethodGet, "/ui/config", "")
	if code != http.StatusOK || !strings.Contains(string(body), `"token":"`+fake.UIToken()+`"`) || len(fake.UIToken()) < 32 {
		t.Errorf("/ui/config = %d %s, want the page's token", code, body)
	}
}
