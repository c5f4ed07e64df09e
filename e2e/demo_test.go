package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/nfmm/nfmm/app"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
)

const demoWait = 15 * time.Second

// startTestDemo runs the whole demo on a free loopback port until the test ends.
func startTestDemo(t *testing.T) *app.Demo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), demoWait)
	defer cancel()
	run, err := app.StartDemo(ctx, app.DemoOptions{Addr: "127.0.0.1:0", Nodes: 3, Seed: 1})
	if err != nil {
		t.Fatalf("app.StartDemo: %v", err)
	}
	t.Cleanup(func() {
		if err := run.Close(); err != nil {
			t.Errorf("demo Close: %v", err)
		}
	})
	return run
}

func demoCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), demoWait)
	t.Cleanup(cancel)
	return ctx
}

// fetch does one request and returns the status and body.
func fetch(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	return fetchBearer(t, method, url, "", body)
}

// fetchBearer is fetch with the page API's bearer token ("" sends none).
func fetchBearer(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(demoCtx(t), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp.StatusCode, data
}

func TestDemoRefusesNonLoopbackAddr(t *testing.T) {
	_, err := app.StartDemo(demoCtx(t), app.DemoOptions{Addr: "0.0.0.0:0", Nodes: 1, Seed: 1})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("app.StartDemo on 0.0.0.0 = %v, want a loopback error", err)
	}
}

func TestDemoPageServesAssetsAndConfig(t *testing.T) {
	run := startTestDemo(t)
	tests := []struct {
		path, contentType, contains string
	}{
		{"/", "text/html", `<script src="/ui/static/app.js">`},
		{"/ui/static/app.js", "javascript", "EventSource"},
		{"/ui/static/mrkdwn.js", "javascript", "nfmmMrkdwn"},
		{"/ui/static/app.css", "text/css", ".overlay"},
		{"/ui/config", "application/json", `"calls [filter] [--node \u003cnode\u003e]"`},
	}
	for _, tt := range tests {
		resp, err := http.Get(strings.TrimSuffix(run.URL, "/") + tt.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), tt.contentType) {
			t.Errorf("GET %s: %d %s", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(string(body), tt.contains) {
			t.Errorf("GET %s does not contain %q", tt.path, tt.contains)
		}
	}
	var cfg struct {
		Users []slackfake.UIUser `json:"users"`
	}
	_, body := fetch(t, http.MethodGet, run.URL+"ui/config", "")
	if err := json.Unmarshal(body, &cfg); err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for _, u := range cfg.Users {
		roles[u.ID] = u.Role
	}
	if roles[app.DemoOperator] != "operator" || roles[app.DemoViewer] != "viewer" {
		t.Errorf("page users = %+v, want the operator and the viewer", cfg.Users)
	}
}

// sseReader reads server-sent events in the background.
type sseReader struct {
	mu     sync.Mutex
	events []string
	more   chan struct{}
}

func openEvents(t *testing.T, url string) *sseReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", url, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events Content-Type = %q", ct)
	}
	r := &sseReader{more: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				r.mu.Lock()
				r.events = append(r.events, name)
				r.mu.Unlock()
				select {
				case r.more <- struct{}{}:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	return r
}

// waitEvent waits until an event with the name arrived.
func (r *sseReader) waitEvent(t *testing.T, name string) {
	t.Helper()
	deadline := time.After(demoWait)
	for {
		r.mu.Lock()
		n := strings.Count(strings.Join(r.events, " ")+" ", name+" ")
		r.mu.Unlock()
		if n > 0 {
			return
		}
		select {
		case <-r.more:
		case <-deadline:
			t.Fatalf("no %q event within %v", name, demoWait)
		}
	}
}

func TestDemoPageCommandReachesBotAndStreams(t *testing.T) {
	run := startTestDemo(t)
	events := openEvents(t, run.URL+"ui/events")
	events.waitEvent(t, "hello")

	code, body := fetch(t, http.MethodPost, run.URL+"ui/command", `{"user":"`+app.DemoOperator+`","text":"/cms calls"}`)
	if code != http.StatusUnauthorized {
		t.Errorf("POST /ui/command without the page's token: %d %s, want 401", code, body)
	}
	code, body = fetchBearer(t, http.MethodPost, run.URL+"ui/command", run.Fake.UIToken(), `{"user":"`+app.DemoOperator+`","text":"/cms calls"}`)
	if code != http.StatusOK || !strings.Contains(string(body), "envelope_id") {
		t.Fatalf("POST /ui/command: %d %s", code, body)
	}
	events.waitEvent(t, "change")
	// The real bot answered through the fake's Web API / response_url.
	if _, err := run.Fake.WaitMessage(demoCtx(t), app.DemoChannel, func(m slackfake.Message) bool {
		return m.Ephemeral && m.VisibleTo == app.DemoOperator && strings.Contains(string(m.Blocks), "nfmm_participants")
	}); err != nil {
		t.Fatalf("no calls list from the bot: %v", err)
	}

	var st slackfake.UIState
	_, body = fetch(t, http.MethodGet, run.URL+"ui/state?user="+app.DemoOperator, "")
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if msgs := withoutScheduledReports(st.Messages); !st.Connected || len(msgs) != 1 || len(st.Echoes) != 1 || st.Echoes[0].Text != "/cms calls" {
		t.Fatalf("operator's state = connected %v, %d messages, echoes %+v; want connected, the calls list and the echo",
			st.Connected, len(msgs), st.Echoes)
	}
	// The viewer sees neither the operator's ephemeral answer nor their echo.
	_, body = fetch(t, http.MethodGet, run.URL+"ui/state?user="+app.DemoViewer, "")
	st = slackfake.UIState{}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	if msgs := withoutScheduledReports(st.Messages); len(msgs) != 0 || len(st.Echoes) != 0 {
		t.Errorf("viewer sees %d messages and %d echoes of the operator's", len(msgs), len(st.Echoes))
	}
}

// withoutScheduledReports leaves out the demo's scheduled report, which it posts to the channel
// for everyone on every 5-minute boundary of the wall clock ("@every 5m"): a test that
// straddles one sees it beside its own messages.
func withoutScheduledReports(ms []slackfake.Message) []slackfake.Message {
	return slices.DeleteFunc(ms, func(m slackfake.Message) bool {
		return !m.Ephemeral && strings.HasPrefix(m.Text, "NFMM report")
	})
}

func TestDemoPageRejectsBadRequests(t *testing.T) {
	run := startTestDemo(t)
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"unknown user state", http.MethodGet, "ui/state?user=UINTRUDER", "", http.StatusForbidden},
		{"unknown user command", http.MethodPost, "ui/command", `{"user":"UINTRUDER","text":"/cms calls"}`, http.StatusForbidden},
		{"not the slash command", http.MethodPost, "ui/command", `{"user":"` + app.DemoOperator + `","text":"hello"}`, http.StatusBadRequest},
		{"malformed JSON", http.MethodPost, "ui/action", `{"user":`, http.StatusBadRequest},
		{"click on no message", http.MethodPost, "ui/action", `{"user":"` + app.DemoOperator + `","message_ts":"1.2","action_id":"nfmm_mute_audio"}`, http.StatusNotFound},
		{"submit a view that is not open", http.MethodPost, "ui/submit", `{"user":"` + app.DemoOperator + `","view_id":"VNONE"}`, http.StatusNotFound},
		{"close a view that is not open", http.MethodPost, "ui/close", `{"user":"` + app.DemoViewer + `","view_id":"VNONE"}`, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := fetchBearer(t, tt.method, run.URL+tt.path, run.Fake.UIToken(), tt.body)
			if code != tt.want {
				t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, code, body, tt.want)
			}
		})
	}
	if n := len(run.Fake.Envelopes()); n != 0 {
		t.Errorf("bad requests sent %d envelopes to the bot", n)
	}
}

func TestCmdDemoPrintsURLAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &demoOutput{}
	code := make(chan int, 1)
	go func() {
		code <- app.Main(ctx, "test", []string{"demo", "--addr", "127.0.0.1:0", "--nodes", "2"}, out, io.Discard)
	}()
	var url string
	deadline := time.Now().Add(demoWait)
	for url == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed within %v; stdout %q", demoWait, out.String())
		}
		if _, rest, ok := strings.Cut(out.String(), "open "); ok {
			url, _, _ = strings.Cut(rest, " ")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if status, _ := fetch(t, http.MethodGet, url, ""); status != http.StatusOK {
		t.Fatalf("GET %s = %d", url, status)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("cmdDemo returned %d after Ctrl-C, want 0", c)
		}
	case <-time.After(demoWait):
		t.Fatal("cmdDemo did not stop after its context ended")
	}
}

// demoOutput is a bytes.Buffer the command writes while the test reads.
type demoOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *demoOutput) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *demoOutput) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDemoSchedulesReports: the demo runs the report scheduler like `nfmm run`, so
// /cms schedule lists its schedules instead of saying reports are off.
func TestDemoSchedulesReports(t *testing.T) {
	run := startTestDemo(t)
	if _, err := run.Fake.SlashCommand(app.DemoOperator, app.DemoChannel, "/cms", "schedule"); err != nil {
		t.Fatal(err)
	}
	m, err := run.Fake.WaitMessage(demoCtx(t), app.DemoChannel, func(m slackfake.Message) bool {
		return strings.Contains(string(m.Blocks), "scheduled reports")
	})
	if err != nil {
		t.Fatalf("no answer to /cms schedule: %v", err)
	}
	blocks := string(m.Blocks)
	for _, want := range []string{"@every 5m", "CRON_TZ=Europe/Oslo 0 8 * * 1-5", "Next run"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("/cms schedule lacks %q:\n%s", want, blocks)
		}
	}
	if strings.Contains(blocks, "switched off") || strings.Contains(blocks, "No reports are scheduled") {
		t.Errorf("the demo's reports are off:\n%s", blocks)
	}
}
