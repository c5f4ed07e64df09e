package cms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The Events API client of one node (cms-events.md): a token from POST /api/v1/authTokens
// (X-Cisco-CMS-Auth-Token header), a fresh one for every connection, then
// wss://<node>/events/v1?authToken=… with the node's own host, port and TLS trust. It
// subscribes to calls, then callInfo and callRoster for every call, resending the whole set
// whenever it changes; acks every server message before processing it; and maps
// subscriptionIndex back to its call. The token is a credential: it is never logged and never
// in an error.

// Typed outcomes of a connection attempt, which the node's supervisor branches on.
var (
	// ErrNoEvents: the node has no Events API (404 on authTokens or /events/v1).
	ErrNoEvents = errors.New("no Events API on this node")
	// ErrTokenRejected: the upgrade refused the token (401/403).
	ErrTokenRejected = errors.New("events token rejected")
	// ErrSilentSocket: the socket stayed open but stopped answering.
	ErrSilentSocket = errors.New("events socket went silent")
	// ErrUpgradeFailed: the node issued a token (its REST API works) but the websocket
	// upgrade failed otherwise (a proxy that strips Upgrade, a TLS or handshake problem).
	ErrUpgradeFailed = errors.New("events upgrade failed")
)

const tokenHeader = "X-Cisco-CMS-Auth-Token"

// The elements NFMM subscribes to (the sets real clients used, cms-events.md §5, minus the
// two moved… elements, whose values look like unset memory).
var (
	callsElements = []string{"name", "participants", "distributedInstances", "recording",
		"endpointRecording", "streaming", "lockState", "callType", "callCorrelator"}
	callInfoElements = []string{"name", "participants", "distributedInstances", "recording",
		"endpointRecording", "streaming", "lockState", "callType", "callCorrelator", "joinAudioMuteOverride"}
	rosterElements = []string{"name", "uri", "state", "direction", "audioMuted", "videoMuted",
		"importance", "layout", "activeSpeaker", "presenter", "endpointRecording", "canMove"}
)

// eventsToken asks the node for a websocket token.
func (n *Node) eventsToken(ctx context.Context) (string, error) {
	resp, err := n.send(ctx, request{method: http.MethodPost, segs: []string{"authTokens"}})
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed) {
			return "", fmt.Errorf("%s: POST authTokens: HTTP %d: %w", n.cfg.Name, ae.Status, ErrNoEvents)
		}
		return "", err
	}
	tok := strings.TrimSpace(resp.header.Get(tokenHeader))
	if tok == "" {
		return "", fmt.Errorf("%s: POST authTokens: no %s header: %w", n.cfg.Name, tokenHeader, ErrMalformedResponse)
	}
	return tok, nil
}

// eventsURL is wss://host:port[/prefix]/events/v1?authToken=…, from the node's base URL.
func (n *Node) eventsURL(token string) string {
	u := *n.base
	u.Scheme = "wss"
	if n.base.Scheme == "http" {
		u.Scheme = "ws"
	}
	u.Path = n.base.Path + "/events/v1"
	u.RawPath = ""
	u.RawQuery = url.Values{"authToken": {token}}.Encode()
	return u.String()
}

// dialEvents opens the events socket with the node's TLS trust.
func (n *Node) dialEvents(ctx context.Context, token string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: n.timeout, ReadBufferSize: 64 << 10, WriteBufferSize: 16 << 10}
	if tr, ok := n.client.Transport.(*http.Transport); ok {
		if tr.TLSClientConfig != nil {
			d.TLSClientConfig = tr.TLSClientConfig.Clone()
		}
		d.NetDialContext = tr.DialContext
		d.Proxy = tr.Proxy // HTTPS_PROXY/NO_PROXY, like the node's REST requests
	}
	ws, resp, err := d.DialContext(ctx, n.eventsURL(token), nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
			_ = resp.Body.Close()
		}
		switch status {
		case http.StatusNotFound:
			return nil, fmt.Errorf("%s: /events/v1: HTTP 404: %w", n.cfg.Name, ErrNoEvents)
		case http.StatusUnauthorized, http.StatusForbidden:
			return nil, fmt.Errorf("%s: /events/v1: HTTP %d: %w", n.cfg.Name, status, ErrTokenRejected)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it repeats the URL, which holds the token
		}
		if status != 0 {
			return nil, fmt.Errorf("%s: /events/v1: HTTP %d: %w", n.cfg.Name, status, ErrUpgradeFailed)
		}
		return nil, fmt.Errorf("%s: /events/v1: %w: %w", n.cfg.Name, ErrUpgradeFailed, scrubToken(err, token))
	}
	ws.SetReadLimit(maxBody)
	return ws, nil
}

// scrubToken makes sure no error text carries the token.
func scrubToken(err error, token string) error {
	if token != "" && strings.Contains(err.Error(), token) {
		return errors.New(strings.ReplaceAll(err.Error(), token, "<token>"))
	}
	return err
}

// wire frames (cms-events.md §3–9); every value is optional on the wire.
type evFrame struct {
	Type    string     `json:"type"`
	Message *evMessage `json:"message"`
	Ack     *struct {
		MessageID int64 `json:"messageId"`
	} `json:"messageAck"`
}

type evMessage struct {
	MessageID         *int64 `json:"messageId"`
	Type              string `json:"type"`
	SubscriptionIndex int    `json:"subscriptionIndex"`
	Subscriptions     []struct {
		Index int    `json:"index"`
		State string `json:"state"`
	} `json:"subscriptions"`
	Updates  []map[string]json.RawMessage `json:"updates"`
	CallInfo map[string]json.RawMessage   `json:"callInfo"`
}

type evSub struct {
	Index    int      `json:"index"`
	Type     string   `json:"type"`
	Call     string   `json:"call,omitempty"`
	Elements []string `json:"elements"`
}

// session is one open events socket.
type session struct {
	node *Node
	ls   *liveState
	cfg  *LiveConfig
	ws   *websocket.Conn

	wmu sync.Mutex // one writer at a time: acks, subscribes, probes

	// subsMu guards the subscription set, the client message ids and the barriers, and is
	// held while a subscription set is written, so CMS gets the sets in the order they were
	// made (it replaces the set with each one).
	subsMu sync.Mutex
	nextID int64
	// barriers: client message id -> what the read loop runs when CMS acks that message.
	barriers map[int64]func()

	// Read-loop state (one goroutine), except the subsMu-guarded set for the prober.
	subs      map[int]evSub
	byCall    map[string][2]int // call id -> callInfo, callRoster indexes
	nextIndex int

	lastRX     atomic.Int64 // unix nanos of the last frame read
	activeOnce chan struct{}
	activated  bool
	onActive   func() // the calls subscription is active: resync from REST
	onNewPart  func(callID, pid string)
}

func (s *session) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.ws.SetWriteDeadline(time.Now().Add(s.node.timeout))
	return s.ws.WriteMessage(websocket.TextMessage, b)
}

func (s *session) ack(id int64) error {
	return s.write(map[string]any{"type": "messageAck", "messageAck": map[string]any{"messageId": id, "status": "success"}})
}

// subscribe sends the whole subscription set: calls plus callInfo and callRoster of each call
// in wanted. Indexes of calls already subscribed are kept, so CMS keeps them active.
func (s *session) subscribe(wanted []string) error {
	s.subsMu.Lock()
	if s.subs == nil {
		s.subs, s.byCall, s.nextIndex = map[int]evSub{}, map[string][2]int{}, 2
		s.subs[1] = evSub{Index: 1, Type: "calls", Elements: callsElements}
	}
	keep := map[string]bool{}
	for _, id := range wanted {
		keep[id] = true
		if _, ok := s.byCall[id]; ok {
			continue
		}
		info, roster := s.nextIndex, s.nextIndex+1
		s.nextIndex += 2
		s.byCall[id] = [2]int{info, roster}
		s.subs[info] = evSub{Index: info, Type: "callInfo", Call: id, Elements: callInfoElements}
		s.subs[roster] = evSub{Index: roster, Type: "callRoster", Call: id, Elements: rosterElements}
	}
	for id, idx := range s.byCall {
		if !keep[id] {
			delete(s.byCall, id)
			delete(s.subs, idx[0])
			delete(s.subs, idx[1])
		}
	}
	defer s.subsMu.Unlock()
	return s.write(s.requestLocked())
}

func (s *session) requestLocked() map[string]any {
	list := make([]evSub, 0, len(s.subs))
	for _, sub := range s.subs {
		list = append(list, sub)
	}
	slices.SortFunc(list, func(a, b evSub) int { return a.Index - b.Index })
	s.nextID++
	return map[string]any{"type": "message", "message": map[string]any{
		"messageId": s.nextID, "type": "subscribeRequest", "subscriptions": list}}
}

// resend sends the current set again unchanged: the liveness probe (CMS acks every client
// message, cms-events.md §4).
func (s *session) resend() error {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	return s.write(s.requestLocked())
}

// afterFramesSoFar runs fn on the read loop once every frame CMS sent before this call has
// been applied: it sends the subscription set again unchanged, and CMS acks every client
// message in stream order (cms-events.md §4), so the ack comes after those frames. A REST read
// applied this way is never followed by an older frame that undoes it. Without an ack within
// ProbeTimeout fn runs here (the watchdog then decides about the socket); it runs once.
func (s *session) afterFramesSoFar(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	run := func() { fn(); close(done) }
	s.subsMu.Lock()
	msg := s.requestLocked()
	id := s.nextID
	if s.barriers == nil {
		s.barriers = map[int64]func(){}
	}
	s.barriers[id] = run
	err := s.write(msg)
	s.subsMu.Unlock()
	if err != nil {
		s.takeBarrier(id)
		return err
	}
	t := time.NewTimer(s.cfg.ProbeTimeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		if s.takeBarrier(id) != nil {
			return ctx.Err()
		}
	case <-t.C:
		if f := s.takeBarrier(id); f != nil {
			f()
			return nil
		}
	}
	<-done // the read loop took it first and is running it
	return nil
}

// takeBarrier removes and returns the barrier of client message id (nil when already taken).
func (s *session) takeBarrier(id int64) func() {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	f := s.barriers[id]
	delete(s.barriers, id)
	return f
}

func (s *session) subscribedCalls() []string {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	out := make([]string, 0, len(s.byCall))
	for id := range s.byCall {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func (s *session) callOf(index int) (evSub, bool) {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	sub, ok := s.subs[index]
	return sub, ok
}

// run reads frames until the socket fails or ctx ends.
func (s *session) run(ctx context.Context) error {
	s.lastRX.Store(time.Now().UnixNano())
	stop := context.AfterFunc(ctx, func() { _ = s.ws.Close() })
	defer stop()
	silent := make(chan struct{})
	go s.watchdog(ctx, silent)
	if err := s.subscribe(nil); err != nil {
		return err
	}
	for {
		_, data, err := s.ws.ReadMessage()
		if err != nil {
			select {
			case <-silent:
				return fmt.Errorf("%s: %w", s.node.cfg.Name, ErrSilentSocket)
			default:
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &TransportError{Node: s.node.cfg.Name, Method: http.MethodGet, Path: "/events/v1", Err: err}
		}
		s.lastRX.Store(time.Now().UnixNano())
		if err := s.handle(data); err != nil {
			return err
		}
	}
}

// watchdog detects a silent socket. Whether CMS answers websocket pings is unknown (the two
// clients that ran against CMS turn pings off), so it relies on a documented behaviour: CMS
// acks every client message. After ProbeAfter without a frame it resends the subscription
// set; if nothing at all arrives within ProbeTimeout, the socket is declared dead and closed.
func (s *session) watchdog(ctx context.Context, silent chan struct{}) {
	every := max(s.cfg.ProbeAfter/4, 10*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	var probed time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		last := time.Unix(0, s.lastRX.Load())
		switch {
		case !probed.IsZero() && last.After(probed):
			probed = time.Time{}
		case !probed.IsZero() && time.Since(probed) > s.cfg.ProbeTimeout:
			close(silent)
			_ = s.ws.Close()
			return
		case probed.IsZero() && time.Since(last) > s.cfg.ProbeAfter:
			probed = time.Now()
			if s.resend() != nil {
				close(silent)
				_ = s.ws.Close()
				return
			}
		}
	}
}

// handle acks a frame and then applies it.
func (s *session) handle(data []byte) error {
	var f evFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return nil // not JSON: nothing to ack or apply; CMS never sent such a frame in any trace
	}
	if f.Type == "messageAck" && f.Ack != nil {
		if run := s.takeBarrier(f.Ack.MessageID); run != nil {
			run()
		}
		return nil
	}
	if f.Type != "message" || f.Message == nil {
		return nil
	}
	m := f.Message
	if m.MessageID != nil {
		if err := s.ack(*m.MessageID); err != nil {
			return err
		}
	}
	if s.cfg.observe != nil {
		s.cfg.observe(LiveStat{Kind: StatMessage, Node: s.node.cfg.Name, MessageType: m.Type})
	}
	node := s.node.cfg.Name
	var about []writeKey // what this frame reports on, for the reads waiting on a write
	defer func() { s.ls.heard(node, about...) }()
	switch m.Type {
	case "subscriptionUpdate":
		var dead []string
		for _, x := range m.Subscriptions {
			sub, ok := s.callOf(x.Index)
			switch {
			case !ok:
			case x.State == "deactivated" && sub.Type == "calls":
				return fmt.Errorf("%s: calls subscription deactivated: %w", node, ErrUnavailable)
			case x.State == "deactivated":
				dead = append(dead, sub.Call)
			case x.State == "active" && sub.Type == "calls" && !s.activated:
				s.activated = true
				if s.onActive != nil {
					s.onActive()
				}
			}
		}
		if len(dead) > 0 {
			s.ls.batch(func() {
				for _, id := range dead {
					s.ls.removeCall(node, id, "")
				}
			})
			return s.subscribe(s.ls.callIDs(node))
		}
	case "callListUpdate":
		s.ls.batch(func() {
			for _, u := range m.Updates {
				id := rawString(u["call"])
				about = append(about, writeKey{writeCall, id})
				switch rawString(u["updateType"]) {
				case "remove":
					s.ls.removeCall(node, id, rawString(u["reason"]))
				case "add":
					f := decodeCallFields(u)
					f.listed = true
					s.ls.upsertCall(node, id, f, 0)
				default:
					s.ls.upsertCall(node, id, decodeCallFields(u), 0)
				}
			}
		})
		if want := s.ls.callIDs(node); !slices.Equal(want, s.subscribedCalls()) {
			return s.subscribe(want)
		}
	case "callInfoUpdate":
		sub, ok := s.callOf(m.SubscriptionIndex)
		if !ok || sub.Type != "callInfo" || m.CallInfo == nil {
			return nil
		}
		about = append(about, writeKey{writeCall, sub.Call})
		s.ls.batch(func() { s.ls.upsertCall(node, sub.Call, decodeCallFields(m.CallInfo), 0) })
	case "rosterUpdate":
		sub, ok := s.callOf(m.SubscriptionIndex)
		if !ok || sub.Type != "callRoster" {
			return nil
		}
		var fresh []string
		about = append(about, writeKey{writeRoster, sub.Call})
		s.ls.batch(func() {
			for _, u := range m.Updates {
				pid := rawString(u["participant"])
				about = append(about, writeKey{writePart, pid})
				if p := s.ls.findPart(node, sub.Call, pid); p != nil && p.legID != "" {
					about = append(about, writeKey{writeLeg, p.legID})
				}
				switch rawString(u["updateType"]) {
				case "remove":
					s.ls.removePart(node, sub.Call, pid, rawString(u["reason"]))
				default:
					if s.ls.upsertPart(node, sub.Call, pid, decodePartFields(u), 0) {
						fresh = append(fresh, pid)
					}
				}
			}
		})
		if s.onNewPart != nil {
			for _, pid := range fresh {
				s.onNewPart(sub.Call, pid)
			}
		}
	}
	return nil
}

func rawString(r json.RawMessage) string {
	var s string
	if len(r) > 0 && json.Unmarshal(r, &s) == nil {
		return s
	}
	return ""
}

// rawValue decodes u[key] as a T; nil when absent or of another type.
func rawValue[T any](u map[string]json.RawMessage, key string) *T {
	r, ok := u[key]
	if !ok {
		return nil
	}
	var v T
	if json.Unmarshal(r, &v) != nil {
		return nil
	}
	return &v
}

func rawStringPtr(u map[string]json.RawMessage, key string) *string { return rawValue[string](u, key) }

func rawBoolPtr(u map[string]json.RawMessage, key string) *bool { return rawValue[bool](u, key) }

func rawIntPtr(u map[string]json.RawMessage, key string) *int {
	if f := rawValue[float64](u, key); f != nil {
		return ptr(int(*f))
	}
	return nil
}

// activePtr reads "active"/"inactive" (booleans are accepted too, defensively).
func activePtr(u map[string]json.RawMessage, key string) *bool {
	if s := rawStringPtr(u, key); s != nil {
		return ptr(*s == "active")
	}
	return rawBoolPtr(u, key)
}

func decodeCallFields(u map[string]json.RawMessage) callFields {
	f := callFields{
		correlator:   rawStringPtr(u, "callCorrelator"),
		name:         rawStringPtr(u, "name"),
		participants: rawIntPtr(u, "participants"),
		instances:    rawIntPtr(u, "distributedInstances"),
		recording:    activePtr(u, "recording"),
		streaming:    activePtr(u, "streaming"),
	}
	if s := rawStringPtr(u, "lockState"); s != nil {
		f.locked = ptr(*s == "locked")
	}
	if r, ok := u["joinAudioMuteOverride"]; ok {
		var b *bool
		_ = json.Unmarshal(r, &b) // null: unset
		f.joinMute = &b
	}
	return f
}

func decodePartFields(u map[string]json.RawMessage) partFields {
	f := partFields{
		name:      rawStringPtr(u, "name"),
		uri:       rawStringPtr(u, "uri"),
		state:     rawStringPtr(u, "state"),
		direction: rawStringPtr(u, "direction"),
		layout:    rawStringPtr(u, "layout"),
		audio:     rawBoolPtr(u, "audioMuted"),
		video:     rawBoolPtr(u, "videoMuted"),
		presenter: rawBoolPtr(u, "presenter"),
		speaker:   rawBoolPtr(u, "activeSpeaker"),
	}
	if r, ok := u["importance"]; ok {
		var i *float64
		var imp *int
		if json.Unmarshal(r, &i) == nil && i != nil {
			imp = ptr(int(*i))
		}
		f.importance = &imp
	}
	return f
}
