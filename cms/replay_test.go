package cms

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The replay tests drive the real events client with the recorded server frames of real CMS
// nodes (testdata/events). The loopback server sends each recorded message in order and waits
// for the client's ack of that id before the next, so every message must be acked. Recorded
// subscription indexes are the recording client's; the server maps each to the (type, call)
// the recording subscribed, and that to the index NFMM chose, waiting until NFMM has
// subscribed to it: so NFMM must subscribe callInfo and callRoster for every call it learns.

type subKey struct{ typ, call string }

type replayServer struct {
	t      *testing.T
	frames []map[string]any   // recorded server messages, in order
	recSub map[float64]subKey // recorded index -> what it was

	mu      sync.Mutex
	cur     map[subKey]float64 // NFMM's current subscriptions
	acked   map[float64]bool
	subReqs int
}

// loadE1 reads the FCM session: client subscribe requests give the index map, server frames
// are replayed (the server's own messageAcks are regenerated live, not replayed).
func loadE1(t *testing.T) *replayServer {
	f, err := os.Open("testdata/events/fcm__websocket_official_flow.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs := &replayServer{t: t, recSub: map[float64]subKey{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		client, server := strings.Contains(line, "client--->server"), strings.Contains(line, "server--->client")
		i := strings.Index(line, "{")
		if (!client && !server) || i < 0 {
			continue
		}
		var fr map[string]any
		if err := json.Unmarshal([]byte(line[i:]), &fr); err != nil {
			t.Fatalf("E1 frame %q: %v", line[i:min(len(line), i+80)], err)
		}
		if fr["type"] != "message" {
			continue
		}
		m := fr["message"].(map[string]any)
		if client {
			for _, s := range m["subscriptions"].([]any) {
				sub := s.(map[string]any)
				call, _ := sub["call"].(string)
				rs.recSub[sub["index"].(float64)] = subKey{sub["type"].(string), call}
			}
			continue
		}
		rs.frames = append(rs.frames, m)
	}
	if len(rs.frames) != 30 {
		t.Fatalf("E1: %d server messages, want 30", len(rs.frames))
	}
	return rs
}

// e4Call is the call of the E4 recording, whose id the recording does not show.
const e4Call = "e4000000-0000-4000-8000-000000000001"

func loadE4(t *testing.T) *replayServer {
	b, err := os.ReadFile("testdata/events/abnormality-detector__log.json")
	if err != nil {
		t.Fatal(err)
	}
	var frames []map[string]any
	if err := json.Unmarshal(b, &frames); err != nil {
		t.Fatal(err)
	}
	rs := &replayServer{t: t, recSub: map[float64]subKey{
		0: {"calls", ""}, 1: {"callRoster", e4Call}, 2: {"callInfo", e4Call}}}
	prelude := []string{
		`{"messageId":1,"type":"subscriptionUpdate","subscriptions":[{"index":0,"state":"pending"}]}`,
		`{"messageId":2,"type":"subscriptionUpdate","subscriptions":[{"index":0,"state":"active"}]}`,
		`{"messageId":3,"type":"callListUpdate","subscriptionIndex":0,"updates":[{"call":"` + e4Call +
			`","updateType":"add","callCorrelator":"e4c00000-0000-4000-8000-000000000001","name":"AGH test call","participants":0,"distributedInstances":0,"streaming":"inactive","recording":"inactive","lockState":"notLocked","callType":"coSpace"}]}`,
		`{"messageId":4,"type":"subscriptionUpdate","subscriptions":[{"index":0,"state":"active"},{"index":1,"state":"pending"},{"index":2,"state":"pending"}]}`,
		`{"messageId":5,"type":"subscriptionUpdate","subscriptions":[{"index":0,"state":"active"},{"index":1,"state":"active"},{"index":2,"state":"active"}]}`,
	}
	for _, p := range prelude {
		var m map[string]any
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			t.Fatal(err)
		}
		rs.frames = append(rs.frames, m)
	}
	for _, fr := range frames {
		rs.frames = append(rs.frames, fr["message"].(map[string]any))
	}
	return rs
}

func (rs *replayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/authTokens":
		w.Header().Set(tokenHeader, "9db10e74-a3fc-4208-bad0-4a2a3a6dacb8")
		w.WriteHeader(http.StatusOK)
	case r.URL.Path == "/events/v1":
		rs.serveSocket(w, r)
	default:
		http.NotFound(w, r) // no REST: the state must come from the events alone
	}
}

func (rs *replayServer) serveSocket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		rs.t.Errorf("upgrade: %v", err)
		return
	}
	defer ws.Close()
	var wmu sync.Mutex
	send := func(v any) error {
		wmu.Lock()
		defer wmu.Unlock()
		return ws.WriteJSON(v)
	}
	go func() { // the client's frames: acks, and subscribe requests to ack and remember
		for {
			var fr struct {
				Type       string `json:"type"`
				MessageAck struct {
					MessageID float64 `json:"messageId"`
				} `json:"messageAck"`
				Message struct {
					MessageID     float64 `json:"messageId"`
					Type          string  `json:"type"`
					Subscriptions []struct {
						Index float64 `json:"index"`
						Type  string  `json:"type"`
						Call  string  `json:"call"`
					} `json:"subscriptions"`
				} `json:"message"`
			}
			if err := ws.ReadJSON(&fr); err != nil {
				return
			}
			rs.mu.Lock()
			switch fr.Type {
			case "messageAck":
				rs.acked[fr.MessageAck.MessageID] = true
			case "message":
				if fr.Message.Type == "subscribeRequest" {
					rs.subReqs++
					rs.cur = map[subKey]float64{}
					for _, s := range fr.Message.Subscriptions {
						rs.cur[subKey{s.Type, s.Call}] = s.Index
					}
				}
			}
			rs.mu.Unlock()
			if fr.Type == "message" {
				_ = send(map[string]any{"type": "messageAck", "messageAck": map[string]any{"messageId": fr.Message.MessageID, "status": "success"}})
			}
		}
	}()
	for _, m := range rs.frames {
		out, err := rs.rewrite(m)
		if err != nil {
			rs.t.Errorf("message %v: %v", m["messageId"], err)
			return
		}
		if err := send(map[string]any{"type": "message", "message": out}); err != nil {
			return
		}
		id := m["messageId"].(float64)
		if !rs.waitFor(func() bool { return rs.acked[id] }) {
			rs.t.Errorf("message %v was never acked", id)
			return
		}
	}
	<-r.Context().Done()
}

// rewrite maps the recorded indexes of a message to NFMM's, waiting for its subscriptions.
func (rs *replayServer) rewrite(m map[string]any) (map[string]any, error) {
	var b strings.Builder
	_ = json.NewEncoder(&b).Encode(m)
	var out map[string]any
	_ = json.Unmarshal([]byte(b.String()), &out)
	mapIndex := func(rec float64) (float64, error) {
		key, ok := rs.recSub[rec]
		if !ok {
			return 0, fmt.Errorf("recorded index %v unknown", rec)
		}
		var idx float64
		if !rs.waitFor(func() bool { var ok bool; idx, ok = rs.cur[key]; return ok }) {
			return 0, fmt.Errorf("NFMM never subscribed to %s %s", key.typ, key.call)
		}
		return idx, nil
	}
	if v, ok := out["subscriptionIndex"].(float64); ok {
		idx, err := mapIndex(v)
		if err != nil {
			return nil, err
		}
		out["subscriptionIndex"] = idx
	}
	if subs, ok := out["subscriptions"].([]any); ok {
		for _, s := range subs {
			e := s.(map[string]any)
			idx, err := mapIndex(e["index"].(float64))
			if err != nil {
				return nil, err
			}
			e["index"] = idx
		}
	}
	return out, nil
}

func (rs *replayServer) waitFor(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		rs.mu.Lock()
		ok := cond()
		rs.mu.Unlock()
		if ok {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return false
}

// replay runs one live node against rs until every recorded message is acked.
func replay(t *testing.T, rs *replayServer) (*Live, *changeLog) {
	t.Helper()
	rs.acked = map[float64]bool{}
	srv := httptest.NewServer(rs)
	t.Cleanup(srv.Close)
	n, err := NewNode(NodeConfig{Name: "cb1", BaseURL: srv.URL, Username: "u", Password: "p", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLive(NewCluster([]*Node{n}), LiveConfig{Events: EventsOn, BackoffMin: time.Hour})
	log := collect(t.Context(), l.Subscribe())
	ctx, cancel := context.WithCancel(context.Background())
	l.Start(ctx)
	t.Cleanup(func() { cancel(); l.Wait() })
	last := rs.frames[len(rs.frames)-1]["messageId"].(float64)
	if !rs.waitFor(func() bool { return rs.acked[last] }) {
		t.Fatalf("the replay did not finish (last id %v)", last)
	}
	return l, log
}

func TestReplayFCMSession(t *testing.T) {
	rs := loadE1(t)
	l, log := replay(t, rs)
	ms := l.Meetings()
	if len(ms) != 10 {
		t.Fatalf("%d meetings, want the 9 of the snapshot plus test95655", len(ms))
	}
	byName := map[string]LiveMeeting{}
	for _, m := range ms {
		byName[m.Name] = m
	}
	hub := byName["BKC_级联测试，勿删"]
	if hub.Correlator == "" || hub.Count != 7 || len(hub.Participants) != 5 {
		t.Fatalf("cascade hub: count %d, %d participants", hub.Count, len(hub.Participants))
	}
	for _, p := range hub.Participants {
		if !p.AudioMuted || p.State != "connected" || p.Node != "cb1" {
			t.Fatalf("hub participant %+v", p)
		}
	}
	busy := byName["test95655"]
	if busy.Count != 0 || len(busy.Participants) != 0 {
		t.Fatalf("test95655 after the busy dial-out: %+v", busy)
	}
	if n := log.count(ParticipantLeft, func(c Change) bool {
		return c.Reason == "remoteBusy" && c.Participant.ID == "47586d1a-d98f-4792-b538-c99cc92bca27"
	}); n != 1 {
		t.Fatalf("remoteBusy leave announced %d times:\n%s", n, log)
	}
	if n := log.count(ParticipantChanged, func(c Change) bool {
		return len(c.Changes) == 1 && c.Changes[0] == FieldChange{Field: FieldName, Before: "248", After: ""}
	}); n != 1 {
		t.Fatalf("the name change after the add: %d\n%s", n, log)
	}
	if got := log.count(MeetingStarted, nil); got != 10 {
		t.Fatalf("%d meeting_started, want 10", got)
	}
	// Three subscribe requests at least: calls, then each time the call set changed.
	if rs.subReqs < 3 {
		t.Fatalf("%d subscribe requests", rs.subReqs)
	}
}

func TestReplayAbnormalityDetectorCall(t *testing.T) {
	rs := loadE4(t)
	l, log := replay(t, rs)
	ms := l.Meetings()
	if len(ms) != 1 {
		t.Fatalf("%d meetings", len(ms))
	}
	m := ms[0]
	if m.Count != 2 || m.Recording || len(m.Participants) != 2 {
		t.Fatalf("meeting %+v", m)
	}
	want := map[string]LiveParticipant{
		"a54f9ec3-6604-4cb1-bf7c-5afe20b2f0e2": {Name: "Lukasz Czekierda", Address: "l.czekierda@mche.edu.pl;x-cisco-number=12001", Layout: "telepresence"},
		"d8cec823-867e-484c-a041-d5979efb577d": {Name: "agh-test-krak-p", Address: "agh-test-krak-p@mche.edu.pl;x-cisco-number=18703", Layout: "onePlusN"},
	}
	for _, p := range m.Participants {
		w, ok := want[p.ID]
		if !ok || p.Name != w.Name || p.Address != w.Address || p.Layout != w.Layout || p.State != "connected" ||
			p.AudioMuted || p.Importance != nil {
			t.Fatalf("participant %+v", p)
		}
	}
	if n := log.count(ParticipantLeft, func(c Change) bool { return c.Reason == "unknownDestination" }); n != 1 {
		t.Fatalf("unknownDestination leave: %d\n%s", n, log)
	}
	// 9 roster updates change an announced field (name 2, state 4, audioMuted 2, layout 3,
	// some together); the 24 active-speaker-only updates announce nothing.
	if n := log.count(ParticipantChanged, nil); n != 9 {
		t.Fatalf("%d participant_changed, want 9:\n%s", n, log)
	}
	rec := 0
	for _, c := range log.list() {
		for _, f := range c.Changes {
			if f.Field == FieldRecording {
				rec++
			}
		}
	}
	if rec != 2 {
		t.Fatalf("recording changes %d, want on and off:\n%s", rec, log)
	}
}
