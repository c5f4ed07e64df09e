package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// ackAll acks every envelope without a payload.
func ackAll(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
	}
}

func TestReconnect(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(*slackfake.Server) error
	}{
		{"disconnect message", func(f *slackfake.Server) error { return f.Disconnect("refresh_requested") }},
		{"dropped TCP connection", (*slackfake.Server).DropConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			startBot(t, fake, ackAll)
			ctx := waitCtx(t)
			if err := fake.WaitConnected(ctx); err != nil {
				t.Fatal(err)
			}
			if err := tt.break_(fake); err != nil {
				t.Fatal(err)
			}
			err := fake.WaitFor(ctx, func() bool {
				return fake.Opens() == 2 && fake.Connects() == 2 && fake.Connections() == 1
			})
			if err != nil {
				t.Fatalf("no reconnect: opens=%d connects=%d live=%d", fake.Opens(), fake.Connects(), fake.Connections())
			}
			// The new socket works: an envelope is acked over it.
			env, _ := fake.SlashCommand("U1", "C1", "/cms", "calls")
			if _, err := fake.WaitAck(ctx, env.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestQueuedUntilConnected(t *testing.T) {
	fake := newFake(t)
	env, err := fake.SlashCommand("U1", "C1", "/cms", "calls")
	if err != nil || !env.SentAt.IsZero() {
		t.Fatalf("envelope %+v err %v: want queued", env, err)
	}
	if err := fake.Disconnect("warning"); err != slackfake.ErrNotConnected {
		t.Errorf("Disconnect without socket: %v", err)
	}
	startBot(t, fake, ackAll)
	if _, err := fake.WaitAck(waitCtx(t), env.ID); err != nil {
		t.Fatal(err)
	}
}

func TestRedeliver(t *testing.T) {
	fake := newFake(t)
	seen := make(chan socketmode.Request, 4)
	startBot(t, fake, func(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			seen <- *evt.Request
			_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		}
	})
	ctx := waitCtx(t)
	env, _ := fake.SlashCommand("U1", "C1", "/cms", "calls")
	if first := recv(t, seen); first.RetryAttempt != 0 || first.RetryReason != "" {
		t.Errorf("first delivery = %+v", first)
	}
	if _, err := fake.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Redeliver(env.ID); err != nil {
		t.Fatal(err)
	}
	again := recv(t, seen)
	if again.EnvelopeID != env.ID || again.RetryAttempt != 1 || again.RetryReason != "timeout" {
		t.Errorf("redelivery = %+v", again)
	}
	ack, err := fake.WaitAck(ctx, env.ID)
	if err != nil || ack.RetryAttempt != 1 {
		t.Errorf("ack of redelivery = %+v, %v", ack, err)
	}
	if n := len(fake.Acks()); n != 2 {
		t.Errorf("%d acks recorded, want 2", n)
	}
	if _, err := fake.Redeliver("nope"); err == nil {
		t.Error("Redeliver(unknown) succeeded")
	}
}

// TestSlashAckPayload: a slash command acked with a message payload is posted like Slack does.
func TestSlashAckPayload(t *testing.T) {
	tests := []struct {
		name          string
		payload       map[string]any
		wantEphemeral bool
		wantErr       string
	}{
		{"ephemeral by default", map[string]any{"text": "working…"}, true, ""},
		{"in_channel", map[string]any{"text": "done", "response_type": "in_channel"}, false, ""},
		{"invalid blocks", map[string]any{"text": "x", "blocks": []any{map[string]any{"type": "header", "text": md("x")}}}, false, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			startBot(t, fake, func(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
				if evt.Type == socketmode.EventTypeSlashCommand {
					_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, tt.payload)
				}
			})
			ctx := waitCtx(t)
			env, _ := fake.SlashCommand("U1", "C1", "/cms", "calls")
			ack, err := fake.WaitAck(ctx, env.ID)
			if err != nil {
				t.Fatal(err)
			}
			if ack.Error != tt.wantErr {
				t.Fatalf("ack error %q (%q), want %q", ack.Error, ack.Errors, tt.wantErr)
			}
			msgs := fake.Messages("C1")
			if tt.wantErr != "" {
				if len(msgs) != 0 {
					t.Errorf("invalid ack payload posted: %+v", msgs)
				}
				return
			}
			if len(msgs) != 1 || msgs[0].Ephemeral != tt.wantEphemeral || msgs[0].Via != "ack" {
				t.Errorf("messages = %+v", msgs)
			}
		})
	}
}

func modalWithControls() slack.ModalViewRequest {
	mv := addModal()
	layout := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "layout_select",
		slack.NewOptionBlockObject("speaker", slack.NewTextBlockObject(slack.PlainTextType, "Speaker", false, false), nil),
		slack.NewOptionBlockObject("grid", slack.NewTextBlockObject(slack.PlainTextType, "Grid", false, false), nil))
	mv.Blocks.BlockSet = append(mv.Blocks.BlockSet,
		slack.NewInputBlock("layout", slack.NewTextBlockObject(slack.PlainTextType, "Layout", false, false), nil, layout),
		slack.NewActionBlock("tools", slack.NewButtonBlockElement("refresh", "r1", slack.NewTextBlockObject(slack.PlainTextType, "Refresh", false, false))),
	)
	mv.PrivateMetadata = "corr-1"
	mv.NotifyOnClose = true
	return mv
}

// TestEphemeralModalFlow: button in an ephemeral → views.open with its trigger → button inside
// the modal (container view) → submission with errors, then a clean submission closes it.
// modalBot answers a slash command with an ephemeral button, opens a modal on that button, and
// rejects the first submission with a field error. Every interaction is reported on got.
func modalBot(got chan<- slack.InteractionCallback) func(context.Context, *socketmode.Client, socketmode.Event) {
	submissions := 0 // only the single event goroutine touches it
	return func(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			cmd := evt.Data.(slack.SlashCommand)
			_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
			_, _ = sm.PostEphemeralContext(ctx, cmd.ChannelID, cmd.UserID, slack.MsgOptionText("open?", false), approvalBlocks())
		case socketmode.EventTypeInteractive:
			cb := evt.Data.(slack.InteractionCallback)
			var payload any
			if cb.Type == slack.InteractionTypeViewSubmission {
				if submissions++; submissions == 1 {
					payload = slack.NewErrorsViewSubmissionResponse(map[string]string{"uri": "bad URI"})
				}
			}
			_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, payload)
			if cb.Type == slack.InteractionTypeBlockActions && cb.Container.Type == "message" {
				_, _ = sm.OpenViewContext(ctx, cb.TriggerID, modalWithControls())
			}
			got <- cb
		}
	}
}

func TestEphemeralModalFlow(t *testing.T) {
	fake := newFake(t)
	got := make(chan slack.InteractionCallback, 8)
	startBot(t, fake, modalBot(got))
	ctx := waitCtx(t)
	if _, err := fake.SlashCommand("U1", "C1", "/cms", "add"); err != nil {
		t.Fatal(err)
	}
	eph, err := fake.WaitMessage(ctx, "C1", func(m slackfake.Message) bool { return m.Ephemeral })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.ClickButton("C1", eph.TS, "approve", "U2"); err != slackfake.ErrNotVisible {
		t.Errorf("U2 clicked U1's ephemeral: %v", err)
	}
	if _, err := fake.ClickButton("C1", eph.TS, "approve", "U1"); err != nil {
		t.Fatal(err)
	}
	if cb := recv(t, got); !cb.Container.IsEphemeral || cb.Container.MessageTs != eph.TS || cb.ResponseURL == "" {
		t.Errorf("ephemeral click container = %+v", cb.Container)
	}
	view, err := fake.WaitView(ctx, "U1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.ClickAction(slackfake.Click{User: "U1", ViewID: view.ID, ActionID: "refresh"}); err != nil {
		t.Fatal(err)
	}
	cb := recv(t, got)
	if cb.Container.Type != "view" || cb.Container.ViewID != view.ID || cb.View.PrivateMetadata != "corr-1" ||
		cb.ActionCallback.BlockActions[0].Value != "r1" {
		t.Errorf("modal click = container %+v view %q", cb.Container, cb.View.ID)
	}
	submitTwice(t, fake, view.ID, got)
}

// submitTwice submits the modal: the first ack reports a field error and keeps it open, the
// second closes it.
func submitTwice(t *testing.T, fake *slackfake.Server, viewID string, got <-chan slack.InteractionCallback) {
	t.Helper()
	ctx := waitCtx(t)
	values := map[string]map[string]any{"uri": {"uri_input": "sip:bob@example.com"}, "layout": {"layout_select": "grid"}}
	if _, err := fake.SubmitView(viewID, "U1", map[string]map[string]any{"nope": {"x": "y"}}); err == nil {
		t.Error("SubmitView with an unknown block succeeded")
	}
	env, err := fake.SubmitView(viewID, "U1", values)
	if err != nil {
		t.Fatal(err)
	}
	sub := recv(t, got)
	st := sub.View.State.Values
	if sub.Type != slack.InteractionTypeViewSubmission || st["uri"]["uri_input"].Value != "sip:bob@example.com" ||
		st["layout"]["layout_select"].SelectedOption.Value != "grid" || sub.View.CallbackID != "add" {
		t.Errorf("submission = %+v state %+v", sub.Type, st)
	}
	if _, err := fake.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	if v, _ := fake.View(viewID); !v.Open || v.Errors["uri"] != "bad URI" {
		t.Errorf("after errors ack: %+v", v)
	}
	env, _ = fake.SubmitView(viewID, "U1", values)
	if _, err := fake.WaitAck(ctx, env.ID); err != nil {
		t.Fatal(err)
	}
	if open := fake.OpenViews("U1"); len(open) != 0 {
		t.Errorf("view still open after a clean submission: %+v", open)
	}
}

func TestStaticSelectAndCloseView(t *testing.T) {
	fake := newFake(t)
	got := make(chan slack.InteractionCallback, 4)
	startBot(t, fake, func(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
		ackAll(ctx, sm, evt)
		if evt.Type == socketmode.EventTypeInteractive {
			got <- evt.Data.(slack.InteractionCallback)
		}
	})
	ctx := waitCtx(t)
	api := newAPI(fake, testBotToken)
	blocks := []any{
		map[string]any{"type": "section", "block_id": "leg-1", "text": md("leg 1"), "accessory": sel(opt("Speaker", "speaker"), opt("Grid", "grid"))},
		map[string]any{"type": "section", "block_id": "leg-2", "text": md("leg 2"), "accessory": sel(opt("Speaker", "speaker"), opt("Grid", "grid"))},
	}
	raw, _ := json.Marshal(blocks)
	var bs slack.Blocks
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(bs.BlockSet...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.ClickAction(slackfake.Click{User: "U1", Channel: "C1", MessageTS: ts, BlockID: "leg-2", ActionID: "s", Value: "nope"}); err == nil {
		t.Error("unknown option accepted")
	}
	if _, err := fake.ClickAction(slackfake.Click{User: "U1", Channel: "C1", MessageTS: ts, BlockID: "leg-2", ActionID: "s", Value: "grid"}); err != nil {
		t.Fatal(err)
	}
	a := recv(t, got).ActionCallback.BlockActions[0]
	if a.BlockID != "leg-2" || a.Type != "static_select" || a.SelectedOption.Value != "grid" || a.SelectedOption.Text.Text != "Grid" {
		t.Errorf("select action = %+v", a)
	}
	env, _ := fake.SlashCommand("U1", "C1", "/cms", "add")
	resp, err := api.OpenViewContext(ctx, env.TriggerID, modalWithControls())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.CloseView(resp.View.ID, "U1"); err != nil {
		t.Fatal(err)
	}
	for cb := recv(t, got); cb.Type != slack.InteractionTypeViewClosed; cb = recv(t, got) {
	}
	if v, _ := fake.View(resp.View.ID); v.Open {
		t.Error("view still open after CloseView")
	}
}

// TestRawSocketWire checks the frames themselves with a bare gorilla client: hello, PING
// control frames, single-use tickets, and acks for envelopes the fake never sent.
func TestRawSocketWire(t *testing.T) {
	o := fixtures()
	o.PingInterval = 10 * time.Millisecond
	fake := slackfake.NewTest(t, o)
	ctx := waitCtx(t)
	_, url, err := newAPI(fake, testBotToken).StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var hello socketmode.Request
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.ConnectionInfo.AppID != slackfake.AppID {
		t.Fatalf("hello = %+v, %v", hello, err)
	}
	pinged := make(chan struct{}, 1)
	ws.SetPingHandler(func(string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	})
	go func() { // control frames are processed while reading
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	recv(t, pinged)
	if err := ws.WriteJSON(map[string]any{"envelope_id": "made-up"}); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, func() bool { a := fake.Acks(); return len(a) == 1 && a[0].Unknown }); err != nil {
		t.Errorf("unknown ack not recorded: %+v", fake.Acks())
	}
	if _, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil); err == nil {
		t.Error("ticket accepted twice")
	}
	if snap := fake.Snapshot(); !snap.Connected || snap.Opens != 1 || snap.Connects != 1 {
		t.Errorf("snapshot = %+v", snap)
	}
}

// delivery is one envelope as a test bot saw it.
type delivery struct {
	bot int
	req socketmode.Request
}

// startBots connects n slack-go clients; bot i acks unless ack(i) is false, and reports every
// slash command it receives on got.
func startBots(t *testing.T, fake *slackfake.Server, n int, ack func(bot int) bool, got chan<- delivery) {
	t.Helper()
	for i := range n {
		startBot(t, fake, func(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
			if evt.Type != socketmode.EventTypeSlashCommand {
				return
			}
			if ack(i) {
				_ = sm.AckCtx(ctx, evt.Request.EnvelopeID, nil)
			}
			got <- delivery{bot: i, req: *evt.Request}
		})
		// One at a time, so bot i holds connection i+1.
		if err := fake.WaitConnections(waitCtx(t), i+1); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSeveralConnectionsShareEnvelopes: three sockets of one app stay up together, and the
// envelopes go to each in turn; every ack names the socket it came over.
func TestSeveralConnectionsShareEnvelopes(t *testing.T) {
	fake := newFake(t)
	got := make(chan delivery, 16)
	startBots(t, fake, 3, func(int) bool { return true }, got)
	if n := fake.Connections(); n != 3 || !slices.Equal(fake.ConnectionIDs(), []int{1, 2, 3}) {
		t.Fatalf("%d live connections %v, want 3: [1 2 3]", n, fake.ConnectionIDs())
	}
	perBot := map[int]int{}
	for range 9 {
		env, _ := fake.SlashCommand("U1", "C1", "/cms", "calls")
		d := recv(t, got)
		perBot[d.bot]++
		ack, err := fake.WaitAck(waitCtx(t), env.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ack.Connection != d.bot+1 {
			t.Errorf("ack over connection %d, want %d (bot %d)", ack.Connection, d.bot+1, d.bot)
		}
	}
	if !maps.Equal(perBot, map[int]int{0: 3, 1: 3, 2: 3}) {
		t.Errorf("envelopes per bot = %v, want 3 each", perBot)
	}
	for _, e := range fake.Envelopes() {
		if len(e.Deliveries) != 1 || e.Deliveries[0].Connection != e.Connection {
			t.Errorf("envelope %s deliveries %+v, connection %d", e.ID, e.Deliveries, e.Connection)
		}
	}
}

// TestRedeliverGoesToAnotherConnection: Redeliver, like Slack's retry, picks another socket
// than the one that had the envelope.
func TestRedeliverGoesToAnotherConnection(t *testing.T) {
	fake := newFake(t)
	got := make(chan delivery, 8)
	startBots(t, fake, 2, func(int) bool { return true }, got)
	env, _ := fake.SlashCommand("U1", "C1", "/cms", "calls")
	first := recv(t, got)
	for i := 1; i <= 3; i++ {
		if _, err := fake.Redeliver(env.ID); err != nil {
			t.Fatal(err)
		}
		again := recv(t, got)
		if again.bot == first.bot || again.req.RetryAttempt != i || again.req.RetryReason != "timeout" {
			t.Fatalf("redelivery %d went to bot %d (attempt %d %q), the first to bot %d", i, again.bot, again.req.RetryAttempt, again.req.RetryReason, first.bot)
		}
		first = again
	}
}

// TestAckTimeoutRedelivers: with Options.AckTimeout an envelope nobody acked goes again to
// another socket, with retry_attempt and retry_reason "timeout"; at most MaxRetries times.
func TestAckTimeoutRedelivers(t *testing.T) {
	o := fixtures()
	o.AckTimeout = 100 * time.Millisecond
	o.MaxRetries = 2
	t.Run("to another connection", func(t *testing.T) {
		// Bot 1 must ack the redelivery within AckTimeout, or it is rightly sent again: a
		// slack-go ack on a loaded machine can take longer than 100 ms, so this one gets 1 s.
		o := o
		o.AckTimeout = time.Second
		fake := slackfake.NewTest(t, o)
		got := make(chan delivery, 16)
		startBots(t, fake, 2, func(bot int) bool { return bot == 1 }, got) // bot 0 never acks
		env, _ := fake.SlashCommand("U1", "C1", "/cms", "calls")           // round robin: bot 0
		if d := recv(t, got); d.bot != 0 || d.req.RetryAttempt != 0 {
			t.Fatalf("first delivery = bot %d attempt %d", d.bot, d.req.RetryAttempt)
		}
		d := recv(t, got)
		if d.bot != 1 || d.req.EnvelopeID != env.ID || d.req.RetryAttempt != 1 || d.req.RetryReason != "timeout" {
			t.Fatalf("redelivery = bot %d %+v", d.bot, d.req)
		}
		ack, err := fake.WaitAck(waitCtx(t), env.ID)
		if err != nil || ack.Connection != 2 || ack.RetryAttempt != 1 {
			t.Fatalf("ack = %+v, %v", ack, err)
		}
		time.Sleep(3 * o.AckTimeout) // acked: no further delivery
		if e := fake.Envelopes()[0]; len(e.Deliveries) != 2 || e.Deliveries[0].Connection != 1 || e.Deliveries[1].Connection != 2 {
			t.Errorf("deliveries = %+v", e.Deliveries)
		}
	})
	t.Run("at most MaxRetries", func(t *testing.T) {
		fake := slackfake.NewTest(t, o)
		got := make(chan delivery, 16)
		startBots(t, fake, 1, func(int) bool { return false }, got)
		fake.SlashCommand("U1", "C1", "/cms", "calls")
		for i := range 3 {
			if d := recv(t, got); d.req.RetryAttempt != i {
				t.Fatalf("delivery %d has retry_attempt %d", i, d.req.RetryAttempt)
			}
		}
		time.Sleep(3 * o.AckTimeout)
		if n := len(fake.Envelopes()[0].Deliveries); n != 3 {
			t.Errorf("%d deliveries, want 1 + MaxRetries (2)", n)
		}
	})
}

// TestTooManyWebsockets: Slack holds at most 10 sockets per app; the 11th is told
// too_many_websockets and closed.
func TestTooManyWebsockets(t *testing.T) {
	fake := newFake(t)
	ctx := waitCtx(t)
	api := newAPI(fake, testBotToken)
	dial := func() *websocket.Conn {
		_, url, err := api.StartSocketModeContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	for i := range slackfake.MaxConnections {
		var hello socketmode.Request
		if err := dial().ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.NumConnections != i+1 {
			t.Fatalf("connection %d: hello %+v, %v", i+1, hello, err)
		}
	}
	if err := fake.WaitConnections(ctx, slackfake.MaxConnections); err != nil {
		t.Fatal(err)
	}
	var msg socketmode.Request
	if err := dial().ReadJSON(&msg); err != nil || msg.Type != "disconnect" || msg.Reason != "too_many_websockets" {
		t.Fatalf("11th connection got %+v, %v", msg, err)
	}
	if n := fake.Connections(); n != slackfake.MaxConnections {
		t.Errorf("%d live connections, want %d", n, slackfake.MaxConnections)
	}
}

// TestCloseDropsConnectionsThatNeverSentARequest: an HTTP client may dial a connection and
// then send its request over another one, leaving the new connection open and silent.
// net/http's Shutdown does not close such a connection until it is 5 s old, which is as long
// as Close gives it, so it stayed open after Close. Close must close it.
func TestCloseDropsConnectionsThatNeverSentARequest(t *testing.T) {
	fake, err := slackfake.New(fixtures())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(fake.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The fake accepts in order: once a later connection is answered, this one is accepted.
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Post(fake.APIURL()+"api.test", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	fake.Close()
	// Closed by Close, not later by the server's 10 s ReadHeaderTimeout: the 3 s bound only
	// ends the read when the connection was left open.
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("read on a silent connection after Close: %v, want EOF (Close closed it)", err)
	}
}
