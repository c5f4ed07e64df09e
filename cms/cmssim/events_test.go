package cmssim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// evClient is a minimal events client for the emulator's tests: it records every frame.
type evClient struct {
	t  *testing.T
	ws *websocket.Conn
}

func token(t *testing.T, s *Sim, node string) string {
	t.Helper()
	r := do(t, s, node, http.MethodPost, "authTokens", nil)
	if r.status != http.StatusOK || r.body != "" {
		t.Fatalf("authTokens: %d %q", r.status, r.body)
	}
	tok := r.header.Get("X-Cisco-CMS-Auth-Token")
	if len(tok) != 36 {
		t.Fatalf("token %q", tok)
	}
	return tok
}

func dialEvents(t *testing.T, s *Sim, node, tok string) (*evClient, *http.Response, error) {
	t.Helper()
	u := strings.Replace(nodeURL(t, s, node), "http", "ws", 1) + "/events/v1?authToken=" + tok
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if tr, ok := s.HTTPClient().Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
		d.TLSClientConfig = tr.TLSClientConfig.Clone()
	}
	ws, resp, err := d.Dial(u, nil)
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { ws.Close() })
	return &evClient{t: t, ws: ws}, resp, nil
}

func (c *evClient) sendJSON(v string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(v)); err != nil {
		c.t.Fatal(err)
	}
}

// next reads one frame, acks it when it is a message, and returns it decoded plus raw.
func (c *evClient) next() (map[string]any, string) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		c.t.Fatalf("frame %s: %v", data, err)
	}
	if f["type"] == "message" {
		id := f["message"].(map[string]any)["messageId"]
		b, _ := json.Marshal(map[string]any{"type": "messageAck", "messageAck": map[string]any{"messageId": id, "status": "success"}})
		c.sendJSON(string(b))
	}
	return f, string(data)
}

func (c *evClient) nextMessage(typ string) map[string]any {
	c.t.Helper()
	for range 50 {
		f, raw := c.next()
		if f["type"] != "message" {
			continue
		}
		m := f["message"].(map[string]any)
		if m["type"] == typ {
			return m
		}
		_ = raw
	}
	c.t.Fatalf("no %s", typ)
	return nil
}

func TestEventsSessionLikeTheTraces(t *testing.T) {
	s := start(t, Options{Nodes: 2, TLS: true})
	m := s.AddMeeting(MeetingSpec{Name: "Board review", Participants: []ParticipantSpec{
		{Name: "Alice", URI: "alice@example.com", Node: "cb1"},
		{Name: "Bob", URI: "bob@example.com", Node: "cb1", RxAudioMute: true},
		{Name: "Chen", URI: "chen@example.com", Node: "cb2"},
	}})
	c, _, err := dialEvents(t, s, "cb1", token(t, s, "cb1"))
	if err != nil {
		t.Fatal(err)
	}
	c.sendJSON(`{"type":"message","message":{"messageId":10,"type":"subscribeRequest","subscriptions":[{"index":100000,"type":"calls","elements":["name","participants","distributedInstances","recording","streaming","lockState","callType","callCorrelator"]}]}}`)
	f, raw := c.next()
	if f["type"] != "messageAck" || !strings.HasPrefix(raw, `{ "type": "messageAck", "messageAck": { "messageId": 10, "status": "success" } }`) {
		t.Fatalf("first frame %s", raw)
	}
	_, raw = c.next()
	if raw != `{ "type": "message", "message": { "messageId": 1, "type": "subscriptionUpdate", "subscriptions": [ { "index": 100000, "state": "pending" } ] } }` {
		t.Fatalf("pending frame %s", raw)
	}
	_, raw = c.next()
	if !strings.Contains(raw, `"messageId": 2,`) || !strings.Contains(raw, `"state": "active"`) {
		t.Fatalf("active frame %s", raw)
	}
	list := c.nextMessage("callListUpdate")
	if list["messageId"].(float64) != 3 {
		t.Fatalf("snapshot id %v", list["messageId"])
	}
	ups := list["updates"].([]any)
	add := ups[0].(map[string]any)
	callID := m.Calls["cb1"]
	if len(ups) != 1 || add["call"] != callID || add["updateType"] != "add" || add["callCorrelator"] != m.Correlator ||
		add["participants"].(float64) != 2 || add["distributedInstances"].(float64) != 1 || add["recording"] != "inactive" ||
		add["lockState"] != "notLocked" || add["name"] != "Board review" {
		t.Fatalf("snapshot add %v", add)
	}
	// The whole set again, plus this call's info and roster (client id 10 again, as FCM does).
	c.sendJSON(`{"type":"message","message":{"messageId":10,"type":"subscribeRequest","subscriptions":[` +
		`{"index":100000,"type":"calls","elements":["name","participants","lockState","recording","callCorrelator"]},` +
		`{"index":100001,"type":"callInfo","call":"` + callID + `","elements":["name","participants","recording","streaming","lockState","joinAudioMuteOverride","callCorrelator"]},` +
		`{"index":100002,"type":"callRoster","call":"` + callID + `","elements":["name","uri","state","direction","audioMuted","videoMuted","importance","layout","activeSpeaker","presenter"]}]}}`)
	if f, _ := c.next(); f["type"] != "messageAck" {
		t.Fatalf("want ack, got %v", f)
	}
	sub := c.nextMessage("subscriptionUpdate")
	states := map[float64]string{}
	for _, x := range sub["subscriptions"].([]any) {
		e := x.(map[string]any)
		states[e["index"].(float64)] = e["state"].(string)
	}
	if states[100000] != "active" || states[100001] != "pending" || states[100002] != "pending" {
		t.Fatalf("resubscribe states %v", states)
	}
	c.nextMessage("subscriptionUpdate")
	roster := c.nextMessage("rosterUpdate")
	if roster["subscriptionIndex"].(float64) != 100002 || len(roster["updates"].([]any)) != 2 {
		t.Fatalf("roster snapshot %v", roster)
	}
	bob := roster["updates"].([]any)[1].(map[string]any)
	if bob["audioMuted"] != true || bob["importance"] != nil || bob["name"] != "Bob" || bob["state"] != "connected" {
		t.Fatalf("bob %v", bob)
	}
	if _, has := bob["importance"]; !has {
		t.Fatal("importance must be present as null")
	}
	info := c.nextMessage("callInfoUpdate")
	ci := info["callInfo"].(map[string]any)
	if _, hasID := ci["call"]; hasID || ci["joinAudioMuteOverride"] != nil || ci["participants"].(float64) != 2 {
		t.Fatalf("callInfo %v", ci)
	}

	// A REST write: a sparse roster update and nothing else for that participant.
	alice := m.Legs[0]
	if r := do(t, s, "cb1", http.MethodPut, "callLegs/"+alice.ID, values("rxAudioMute", "true")); r.status != 200 {
		t.Fatalf("PUT: %d", r.status)
	}
	up := c.nextMessage("rosterUpdate")["updates"].([]any)[0].(map[string]any)
	if len(up) != 3 || up["participant"] != alice.ParticipantID || up["updateType"] != "update" || up["audioMuted"] != true {
		t.Fatalf("mute update %v", up)
	}
	// Scenario changes: recording, then a leave with its reason.
	s.SetRecording(m.Correlator, true)
	if ci := c.nextMessage("callInfoUpdate")["callInfo"].(map[string]any); len(ci) != 1 || ci["recording"] != "active" {
		t.Fatalf("recording info %v", ci)
	}
	if u := c.nextMessage("callListUpdate")["updates"].([]any)[0].(map[string]any); u["recording"] != "active" || len(u) != 3 {
		t.Fatalf("recording list %v", u)
	}
	s.RemoveLeg(alice.ID)
	rm := c.nextMessage("rosterUpdate")["updates"].([]any)[0].(map[string]any)
	if rm["updateType"] != "remove" || rm["reason"] != "remoteTeardown" || len(rm) != 3 {
		t.Fatalf("remove %v", rm)
	}
	// The call ends: its subscriptions are deactivated and the calls list removes it.
	s.EndMeeting(m.Correlator)
	rm = c.nextMessage("rosterUpdate")["updates"].([]any)[0].(map[string]any)
	if rm["reason"] != "callEnded" {
		t.Fatalf("end remove %v", rm)
	}
	if u := c.nextMessage("callListUpdate")["updates"].([]any)[0].(map[string]any); u["updateType"] != "remove" || u["reason"] != "callEnded" {
		t.Fatalf("call remove %v", u)
	}
	if d := c.nextMessage("subscriptionUpdate")["subscriptions"].([]any); len(d) != 2 || d[0].(map[string]any)["state"] != "deactivated" {
		t.Fatalf("deactivated %v", d)
	}
	waitFor(t, "every message acked", func() bool { st := s.EventStats("cb1"); return st.Acks == st.Sent && st.Connections == 1 })
}

func TestEventsTokensAndFaults(t *testing.T) {
	s := start(t, Options{Nodes: 1})
	tok := token(t, s, "cb1")
	if _, _, err := dialEvents(t, s, "cb1", tok); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := dialEvents(t, s, "cb1", tok); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reused token: %v %v", err, resp)
	}
	if _, resp, err := dialEvents(t, s, "cb1", "nonsense"); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %v", err)
	}
	s.RejectNextToken("cb1")
	if _, resp, err := dialEvents(t, s, "cb1", token(t, s, "cb1")); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("rejected token: %v", err)
	}
	if _, _, err := dialEvents(t, s, "cb1", token(t, s, "cb1")); err != nil {
		t.Fatalf("the token after a rejected one: %v", err)
	}
	if r := doAuth(t, s, "cb1", http.MethodPost, "authTokens", nil, "admin", "wrong"); r.status != http.StatusUnauthorized {
		t.Fatalf("token without credentials: %d", r.status)
	}
	s.SetEventsUnavailable("cb1", true)
	if _, resp, err := dialEvents(t, s, "cb1", token(t, s, "cb1")); err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("no events: %v", err)
	}
	s.SetEventsUnavailable("cb1", false)
	c, _, err := dialEvents(t, s, "cb1", token(t, s, "cb1"))
	if err != nil {
		t.Fatal(err)
	}
	s.DropEventSockets("cb1")
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ws.ReadMessage(); err == nil {
		t.Fatal("socket survived DropEventSockets")
	}
	// Silent: an open socket that acks nothing.
	c, _, err = dialEvents(t, s, "cb1", token(t, s, "cb1"))
	if err != nil {
		t.Fatal(err)
	}
	s.StopSending("cb1", true)
	c.sendJSON(`{"type":"message","message":{"messageId":1,"type":"subscribeRequest","subscriptions":[{"index":1,"type":"calls"}]}}`)
	_ = c.ws.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, data, err := c.ws.ReadMessage(); err == nil {
		t.Fatalf("silent node sent %s", data)
	}
}

func TestLiveScenarioChangesByItself(t *testing.T) {
	s := start(t, Options{Nodes: 3, Scenario: ScenarioDemo, Seed: 1, Live: 2 * time.Millisecond})
	snapshot := func() string {
		var b strings.Builder
		for _, m := range s.Meetings() {
			for _, l := range m.Legs {
				b.WriteString(l.ID)
				if l.RxAudioMute {
					b.WriteString("m")
				}
			}
		}
		return b.String()
	}
	before := snapshot()
	waitFor(t, "a live change", func() bool { return snapshot() != before })
}
