package cmssim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The Events API (cms-events.md): POST /api/v1/authTokens returns a token in the
// X-Cisco-CMS-Auth-Token header; GET /events/v1?authToken=… upgrades to a websocket on the same
// port and TLS. Frames follow the recorded traces: pretty-printed JSON, server message ids from 1
// per connection, a messageAck for every client message (ids may repeat), subscriptionUpdate
// pending then active, snapshot adds after every subscribe, sparse updates, removes with a
// reason, "active"/"inactive" strings and null importance.
//
// Choices where the traces are silent ([UNKNOWN] in cms-events.md):
//   - Tokens are single-use and expire tokenTTL after issue; a missing, unknown, used or
//     rejected token gets 401 on the upgrade (empty body).
//   - A roster subscription lists the participants hosted by the answering node only (REST
//     /participants lists every node's; the events of a distributed call come from each node).
//   - audioMuted/videoMuted mirror rxAudioMute/rxVideoMute (cms-api.md §4.3's assumption).
//   - When a subscribed call ends, its callInfo and callRoster indexes get a subscriptionUpdate
//     with state "deactivated" (E3 handles that state); a subscription to a call this node does
//     not host is deactivated at once.
//   - A call removed because its last local participant left has reason "allLeft" (E5); one
//     ended by DELETE /calls/<id> has "callEnded". A participant hung up by the API or by the
//     end of the call has "callEnded"; one who leaves by itself "remoteTeardown".
//   - An empty calls snapshot or an empty roster snapshot sends no frame.
//   - The server answers websocket pings (gorilla's default); whether CMS does is unknown.

const (
	tokenHeader  = "X-Cisco-CMS-Auth-Token"
	tokenTTL     = 30 * time.Second
	eventsBuffer = 4096 // frames queued per connection; a client that far behind is dropped
)

// eventHub is the emulator's Events API: tokens, connections and the change feed.
type eventHub struct {
	mu    sync.Mutex
	nodes map[string]*nodeEvents // by node name
	kick  chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

// nodeEvents is one node's events side: issued tokens, fault switches and open sockets.
type nodeEvents struct {
	tokens      map[string]eventToken
	rejectNext  bool
	silent      bool
	unavailable bool
	conns       map[*eventConn]struct{}
	connects    int
	acks        int // client acks received
	sent        int // server messages written
}

type eventToken struct {
	issued   time.Time
	rejected bool
}

func newEventHub() *eventHub {
	return &eventHub{nodes: map[string]*nodeEvents{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
}

func (h *eventHub) node(name string) *nodeEvents {
	ne := h.nodes[name]
	if ne == nil {
		ne = &nodeEvents{tokens: map[string]eventToken{}, conns: map[*eventConn]struct{}{}}
		h.nodes[name] = ne
	}
	return ne
}

// touch marks call c as changed (st.mu held for writing); the hub diffs it for every socket.
func (st *state) touch(c *call) {
	if c == nil {
		return
	}
	if st.dirty == nil {
		st.dirty = map[*call]struct{}{}
	}
	st.dirty[c] = struct{}{}
	if st.kick != nil {
		select {
		case st.kick <- struct{}{}:
		default:
		}
	}
}

// noteLeft remembers why participant p left (st.mu held), for the roster remove's reason.
func (st *state) noteLeft(p *participant) {
	if st.leftReason == nil {
		st.leftReason = map[string]string{}
	}
	reason := st.removing
	if reason == "" {
		reason = "remoteTeardown"
	}
	st.leftReason[p.id] = reason
}

// removingAs runs fn with removal reason r for the participants and calls it removes.
func (st *state) removingAs(r string, fn func()) {
	prev := st.removing
	st.removing = r
	defer func() { st.removing = prev }()
	fn()
}

func (s *Sim) startEvents() {
	s.events = newEventHub()
	s.state.mu.Lock()
	s.state.kick = s.events.kick
	s.state.mu.Unlock()
	s.events.wg.Add(1)
	go s.events.pump(s)
}

func (s *Sim) stopEvents() {
	h := s.events
	close(h.done)
	h.mu.Lock()
	for _, ne := range h.nodes {
		for c := range ne.conns {
			c.close()
		}
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// pump turns state changes into frames, one pass per batch of changes.
func (h *eventHub) pump(s *Sim) {
	defer h.wg.Done()
	for {
		select {
		case <-h.done:
			return
		case <-h.kick:
		}
		st := s.state
		st.mu.Lock()
		dirty := st.dirty
		st.dirty = nil
		h.mu.Lock()
		for _, ne := range h.nodes {
			for c := range ne.conns {
				c.changed(st, dirty)
			}
		}
		h.mu.Unlock()
		st.leftReason, st.callEnded = nil, nil
		st.mu.Unlock()
	}
}

func isEventsPath(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), "/events/v1")
}

func isTokenPath(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), "/api/v1/authTokens")
}

// issueToken answers POST /api/v1/authTokens: 200, the token in the header, no body.
func (ns *nodeServer) issueToken(w http.ResponseWriter) {
	h := ns.sim.events
	ns.sim.state.mu.Lock()
	tok := ns.sim.state.newToken()
	now := ns.sim.state.now()
	ns.sim.state.mu.Unlock()
	h.mu.Lock()
	ne := h.node(ns.node.name)
	for t, info := range ne.tokens {
		if now.Sub(info.issued) > tokenTTL {
			delete(ne.tokens, t)
		}
	}
	ne.tokens[tok] = eventToken{issued: now, rejected: ne.rejectNext}
	ne.rejectNext = false
	h.mu.Unlock()
	w.Header().Set(tokenHeader, tok)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 16384,
	CheckOrigin:     func(*http.Request) bool { return true }, // CMS clients are not browsers
}

// serveEvents upgrades GET /events/v1?authToken=… after checking the token.
func (ns *nodeServer) serveEvents(w http.ResponseWriter, r *http.Request) {
	h := ns.sim.events
	now := ns.sim.state.nowLocked() // before hub.mu: the lock order is state, then hub
	h.mu.Lock()
	ne := h.node(ns.node.name)
	if ne.unavailable {
		h.mu.Unlock()
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNotFound)
		return
	}
	tok := r.URL.Query().Get("authToken")
	info, known := ne.tokens[tok]
	delete(ne.tokens, tok)
	ok := tok != "" && known && !info.rejected && now.Sub(info.issued) <= tokenTTL
	h.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &eventConn{hub: h, node: ns.node, ws: ws, out: make(chan []byte, eventsBuffer),
		quit: make(chan struct{}), subs: map[int]subscription{}}
	h.mu.Lock()
	select {
	case <-h.done:
		h.mu.Unlock()
		_ = ws.Close()
		return
	default:
	}
	ne.conns[c] = struct{}{}
	ne.connects++
	c.ne = ne
	h.wg.Add(2)
	h.mu.Unlock()
	go c.writeLoop()
	go c.readLoop(ns.sim)
}

func (st *state) nowLocked() time.Time {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.now()
}

// subscription is one entry of the client's current subscribeRequest.
type subscription struct {
	index    int
	kind     string // calls | callInfo | callRoster
	call     string
	elements map[string]bool // empty: every element
	dead     bool            // deactivated: its call ended or was never here
}

func (s subscription) has(e string) bool { return len(s.elements) == 0 || s.elements[e] }

// eventConn is one client socket.
type eventConn struct {
	hub  *eventHub
	ne   *nodeEvents
	node *node
	ws   *websocket.Conn
	out  chan []byte
	quit chan struct{}
	once sync.Once

	// Guarded by hub.mu (taken under state.mu, or alone in readLoop's subscribe).
	nextID     int
	subs       map[int]subscription
	lastCalls  map[int]map[string]callView
	lastInfo   map[int]callView
	lastRoster map[int]map[string]partView
}

func (c *eventConn) close() {
	c.once.Do(func() {
		close(c.quit)
		_ = c.ws.Close()
	})
}

func (c *eventConn) writeLoop() {
	defer c.hub.wg.Done()
	for {
		select {
		case <-c.quit:
			return
		case f := <-c.out:
			c.hub.mu.Lock()
			silent := c.ne.silent
			c.hub.mu.Unlock()
			if silent {
				continue // "stop sending": the socket stays open and says nothing
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.ws.WriteMessage(websocket.TextMessage, f); err != nil {
				c.close()
				return
			}
		}
	}
}

func (c *eventConn) readLoop(s *Sim) {
	defer c.hub.wg.Done()
	defer func() {
		c.close()
		c.hub.mu.Lock()
		delete(c.ne.conns, c)
		c.hub.mu.Unlock()
	}()
	c.ws.SetReadLimit(1 << 20)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var f struct {
			Type    string          `json:"type"`
			Message json.RawMessage `json:"message"`
		}
		if json.Unmarshal(data, &f) != nil {
			continue // CMS's answer to garbage is unknown; ignoring it is the safe guess
		}
		switch f.Type {
		case "messageAck":
			c.hub.mu.Lock()
			c.ne.acks++
			c.hub.mu.Unlock()
		case "message":
			var m struct {
				MessageID     int    `json:"messageId"`
				Type          string `json:"type"`
				Subscriptions []struct {
					Index    int      `json:"index"`
					Type     string   `json:"type"`
					Call     string   `json:"call"`
					Elements []string `json:"elements"`
				} `json:"subscriptions"`
			}
			_ = json.Unmarshal(f.Message, &m)
			st := s.state
			st.mu.RLock()
			c.hub.mu.Lock()
			// CMS acks every client message, whatever its type (E2), before anything else.
			c.send(obj{{"type", "messageAck"}, {"messageAck", obj{{"messageId", m.MessageID}, {"status", "success"}}}})
			if m.Type == "subscribeRequest" {
				subs := make([]subscription, 0, len(m.Subscriptions))
				for _, x := range m.Subscriptions {
					sub := subscription{index: x.Index, kind: x.Type, call: x.Call}
					if len(x.Elements) > 0 {
						sub.elements = map[string]bool{}
						for _, e := range x.Elements {
							sub.elements[e] = true
						}
					}
					subs = append(subs, sub)
				}
				c.subscribe(st, subs)
			}
			c.hub.mu.Unlock()
			st.mu.RUnlock()
		}
	}
}

// send queues one frame (hub.mu held). A "message" gets the next server id.
func (c *eventConn) send(frame obj) {
	if frame[0].v == "message" {
		c.nextID++
		msg := frame[1].v.(obj)
		frame[1].v = append(obj{{"messageId", c.nextID}}, msg...)
		c.ne.sent++
	}
	select {
	case c.out <- pretty(frame):
	default:
		c.close() // hopelessly behind: drop it, as a server would
	}
}

func message(body obj) obj { return obj{{"type", "message"}, {"message", body}} }

// subscribe replaces the subscription set (state.mu read-held, hub.mu held): the set's
// indexes pending/active, then all active, then the snapshot of every new subscription.
func (c *eventConn) subscribe(st *state, subs []subscription) {
	old := c.subs
	c.subs = map[int]subscription{}
	var first, second []any
	var fresh []subscription
	for _, s := range subs {
		prev, had := old[s.index]
		state := "pending"
		if had && prev.kind == s.kind && prev.call == s.call && !prev.dead {
			state = "active"
			s.dead = prev.dead
		} else {
			fresh = append(fresh, s)
			c.forget(s.index)
		}
		if s.kind != "calls" && !c.hosts(st, s.call) {
			s.dead = true
		}
		c.subs[s.index] = s
		first = append(first, obj{{"index", s.index}, {"state", state}})
		final := "active"
		if s.dead {
			final = "deactivated"
		}
		second = append(second, obj{{"index", s.index}, {"state", final}})
	}
	for idx := range old {
		if _, kept := c.subs[idx]; !kept {
			c.forget(idx)
		}
	}
	c.send(message(obj{{"type", "subscriptionUpdate"}, {"subscriptions", first}}))
	c.send(message(obj{{"type", "subscriptionUpdate"}, {"subscriptions", second}}))
	// Rosters before call info, as E1 shows; the calls list snapshot comes first of all.
	slices.SortStableFunc(fresh, func(a, b subscription) int { return kindOrder(a.kind) - kindOrder(b.kind) })
	for _, s := range fresh {
		if c.subs[s.index].dead {
			continue
		}
		switch s.kind {
		case "calls":
			views := map[string]callView{}
			var adds []any
			for _, cl := range c.node.calls {
				v := viewCall(st, cl)
				views[cl.id] = v
				adds = append(adds, callAdd(s, cl, v))
			}
			c.lastCalls[s.index] = views
			if len(adds) > 0 {
				c.send(message(obj{{"type", "callListUpdate"}, {"subscriptionIndex", s.index}, {"updates", adds}}))
			}
		case "callRoster":
			cl := st.calls[s.call]
			views := viewRoster(cl)
			c.lastRoster[s.index] = views
			var adds []any
			for _, l := range rosterLegs(cl) {
				adds = append(adds, partAdd(s, l.p.id, views[l.p.id]))
			}
			if len(adds) > 0 {
				c.send(message(obj{{"type", "rosterUpdate"}, {"subscriptionIndex", s.index}, {"updates", adds}}))
			}
		case "callInfo":
			cl := st.calls[s.call]
			v := viewCall(st, cl)
			c.lastInfo[s.index] = v
			c.send(message(obj{{"type", "callInfoUpdate"}, {"subscriptionIndex", s.index}, {"callInfo", infoFields(s, v, nil)}}))
		}
	}
}

func kindOrder(k string) int {
	switch k {
	case "calls":
		return 0
	case "callRoster":
		return 1
	}
	return 2
}

func (c *eventConn) forget(idx int) {
	if c.lastCalls == nil {
		c.lastCalls, c.lastInfo, c.lastRoster = map[int]map[string]callView{}, map[int]callView{}, map[int]map[string]partView{}
	}
	delete(c.lastCalls, idx)
	delete(c.lastInfo, idx)
	delete(c.lastRoster, idx)
}

func (c *eventConn) hosts(st *state, callID string) bool {
	cl := st.calls[callID]
	return cl != nil && cl.node == c.node
}

// changed sends what changed in the dirty calls (state.mu and hub.mu held).
func (c *eventConn) changed(st *state, dirty map[*call]struct{}) {
	var mine []*call
	for cl := range dirty {
		if cl.node == c.node {
			mine = append(mine, cl)
		}
	}
	if len(mine) == 0 || len(c.subs) == 0 {
		return
	}
	slices.SortFunc(mine, func(a, b *call) int { return strings.Compare(a.id, b.id) })
	idxs := make([]int, 0, len(c.subs))
	for idx := range c.subs {
		idxs = append(idxs, idx)
	}
	slices.Sort(idxs)
	var dead []any
	// Rosters and call info first: a call's participants leave before the call goes.
	for _, idx := range idxs {
		s := c.subs[idx]
		if s.dead || s.kind == "calls" {
			continue
		}
		cl := st.calls[s.call]
		if !slices.ContainsFunc(mine, func(d *call) bool { return d.id == s.call }) {
			continue
		}
		switch s.kind {
		case "callRoster":
			c.rosterChanged(st, s, cl)
		case "callInfo":
			if cl != nil {
				v := viewCall(st, cl)
				old := c.lastInfo[idx]
				c.lastInfo[idx] = v
				if f := infoFields(s, v, &old); len(f) > 0 {
					c.send(message(obj{{"type", "callInfoUpdate"}, {"subscriptionIndex", idx}, {"callInfo", f}}))
				}
			}
		}
		if cl == nil {
			s.dead = true
			c.subs[idx] = s
			dead = append(dead, obj{{"index", idx}, {"state", "deactivated"}})
		}
	}
	for _, idx := range idxs {
		s := c.subs[idx]
		if s.kind != "calls" {
			continue
		}
		last := c.lastCalls[idx]
		var ups []any
		for _, cl := range mine {
			old, had := last[cl.id]
			if st.calls[cl.id] != cl {
				if had {
					delete(last, cl.id)
					reason := "allLeft"
					if r := st.callEnded[cl.id]; r != "" {
						reason = r
					}
					ups = append(ups, obj{{"call", cl.id}, {"updateType", "remove"}, {"reason", reason}})
				}
				continue
			}
			v := viewCall(st, cl)
			last[cl.id] = v
			if !had {
				ups = append(ups, callAdd(s, cl, v))
			} else if f := callDiff(s, old, v); len(f) > 0 {
				ups = append(ups, append(obj{{"call", cl.id}, {"updateType", "update"}}, f...))
			}
		}
		if len(ups) > 0 {
			c.send(message(obj{{"type", "callListUpdate"}, {"subscriptionIndex", idx}, {"updates", ups}}))
		}
	}
	if len(dead) > 0 {
		c.send(message(obj{{"type", "subscriptionUpdate"}, {"subscriptions", dead}}))
	}
}

func (c *eventConn) rosterChanged(st *state, s subscription, cl *call) {
	last := c.lastRoster[s.index]
	now := viewRoster(cl)
	var ups []any
	var gone []string
	for pid := range last {
		if _, ok := now[pid]; !ok {
			gone = append(gone, pid)
		}
	}
	slices.Sort(gone)
	for _, pid := range gone {
		reason := st.leftReason[pid]
		if reason == "" {
			reason = "callEnded"
		}
		ups = append(ups, obj{{"participant", pid}, {"updateType", "remove"}, {"reason", reason}})
	}
	for _, l := range rosterLegs(cl) {
		pid := l.p.id
		v := now[pid]
		old, had := last[pid]
		if !had {
			ups = append(ups, partAdd(s, pid, v))
		} else if f := partDiff(s, old, v); len(f) > 0 {
			ups = append(ups, append(obj{{"participant", pid}, {"updateType", "update"}}, f...))
		}
	}
	c.lastRoster[s.index] = now
	if len(ups) > 0 {
		c.send(message(obj{{"type", "rosterUpdate"}, {"subscriptionIndex", s.index}, {"updates", ups}}))
	}
}

// callView is what the calls and callInfo subscriptions report about a call.
type callView struct {
	name, correlator        string
	participants, instances int
	recording, streaming    bool
	locked                  bool
	joinMute                *bool
}

func viewCall(st *state, c *call) callView {
	if c == nil {
		return callView{}
	}
	return callView{name: c.m.name, correlator: c.m.correlator, participants: st.localParticipants(c),
		instances: len(c.m.instances) - 1, recording: st.sys.recording[c.m.correlator], streaming: c.streaming,
		locked: c.locked, joinMute: copyBool(c.joinMute)}
}

func activeString(b bool) string {
	if b {
		return "active"
	}
	return "inactive"
}

func lockString(b bool) string {
	if b {
		return "locked"
	}
	return "notLocked"
}

// callFields lists the call elements in the traces' order; with old set only the changed ones.
func callFields(s subscription, v callView, old *callView, info bool) obj {
	var o obj
	add := func(name string, val any, changed bool) {
		if s.has(name) && (old == nil || changed) {
			o = append(o, kv{name, val})
		}
	}
	var ov callView
	if old != nil {
		ov = *old
	}
	if !info {
		add("callCorrelator", v.correlator, v.correlator != ov.correlator)
	}
	add("name", v.name, v.name != ov.name)
	add("participants", v.participants, v.participants != ov.participants)
	if !info {
		add("distributedInstances", v.instances, v.instances != ov.instances)
	}
	add("streaming", activeString(v.streaming), v.streaming != ov.streaming)
	add("recording", activeString(v.recording), v.recording != ov.recording)
	add("endpointRecording", "inactive", false)
	if info {
		var jm any
		if v.joinMute != nil {
			jm = *v.joinMute
		}
		add("joinAudioMuteOverride", jm, !equalBoolPtr(v.joinMute, ov.joinMute))
	}
	add("lockState", lockString(v.locked), v.locked != ov.locked)
	add("callType", "coSpace", false)
	if info {
		add("callCorrelator", v.correlator, v.correlator != ov.correlator)
		add("distributedInstances", v.instances, v.instances != ov.instances)
	}
	return o
}

func callAdd(s subscription, c *call, v callView) obj {
	return append(obj{{"call", c.id}, {"updateType", "add"}}, callFields(s, v, nil, false)...)
}

func callDiff(s subscription, old, v callView) obj { return callFields(s, v, &old, false) }

func infoFields(s subscription, v callView, old *callView) obj { return callFields(s, v, old, true) }

func equalBoolPtr(a, b *bool) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// partView is what a roster subscription reports about a participant.
type partView struct {
	name, uri, state, direction, layout string
	audioMuted, videoMuted              bool
	activeSpeaker, presenter            bool
	importance                          *int
}

// rosterLegs returns the call's participant legs in join order, one per participant.
func rosterLegs(c *call) []*leg {
	if c == nil {
		return nil
	}
	seen := map[*participant]bool{}
	var out []*leg
	for _, l := range c.legs {
		if l.p != nil && !seen[l.p] {
			seen[l.p] = true
			out = append(out, l)
		}
	}
	return out
}

func viewRoster(c *call) map[string]partView {
	out := map[string]partView{}
	for _, l := range rosterLegs(c) {
		layout := l.chosenLayout
		if layout == "" {
			layout = "telepresence"
		}
		dir := "incoming"
		if l.outgoing {
			dir = "outgoing"
		}
		out[l.p.id] = partView{name: l.name, uri: l.remoteParty, state: "connected", direction: dir,
			layout: layout, audioMuted: l.mutes[muteRxAudio].bool(), videoMuted: l.mutes[muteRxVideo].bool(),
			activeSpeaker: c.speaker == l, presenter: c.presenting == l, importance: copyInt(l.p.importance)}
	}
	return out
}

func partFields(s subscription, v partView, old *partView) obj {
	var o obj
	var ov partView
	if old != nil {
		ov = *old
	}
	add := func(name string, val any, changed bool) {
		if s.has(name) && (old == nil || changed) {
			o = append(o, kv{name, val})
		}
	}
	add("name", v.name, v.name != ov.name)
	add("uri", v.uri, v.uri != ov.uri)
	add("state", v.state, v.state != ov.state)
	add("direction", v.direction, v.direction != ov.direction)
	add("canMove", false, false)
	add("audioMuted", v.audioMuted, v.audioMuted != ov.audioMuted)
	add("videoMuted", v.videoMuted, v.videoMuted != ov.videoMuted)
	var imp any
	if v.importance != nil {
		imp = *v.importance
	}
	add("importance", imp, !equalIntPtr(v.importance, ov.importance))
	add("layout", v.layout, v.layout != ov.layout)
	add("activeSpeaker", v.activeSpeaker, v.activeSpeaker != ov.activeSpeaker)
	add("presenter", v.presenter, v.presenter != ov.presenter)
	add("endpointRecording", "inactive", false)
	return o
}

func partAdd(s subscription, pid string, v partView) obj {
	return append(obj{{"participant", pid}, {"updateType", "add"}}, partFields(s, v, nil)...)
}

func partDiff(s subscription, old, v partView) obj { return partFields(s, v, &old) }

func equalIntPtr(a, b *int) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// obj is a JSON object that keeps its key order (the traces' order).
type obj []kv

type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// pretty renders a frame the way CMS does: one line, a space inside braces and brackets and
// after every colon and comma ({ "type": "messageAck", "messageAck": { … } }).
func pretty(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		return []byte(`{ }`)
	}
	var b bytes.Buffer
	inStr, esc := false, false
	for _, ch := range raw {
		if inStr {
			b.WriteByte(ch)
			switch {
			case esc:
				esc = false
			case ch == '\\':
				esc = true
			case ch == '"':
				inStr = false
			}
			continue
		}
		switch ch {
		case '"':
			inStr = true
			b.WriteByte(ch)
		case '{', '[':
			b.WriteByte(ch)
			b.WriteByte(' ')
		case '}', ']':
			b.WriteByte(' ')
			b.WriteByte(ch)
		case ':', ',':
			b.WriteByte(ch)
			b.WriteByte(' ')
		default:
			b.WriteByte(ch)
		}
	}
	return b.Bytes()
}

// EventStats counts one node's Events API traffic.
type EventStats struct {
	Connections int // open sockets
	Connects    int // sockets ever accepted
	Sent        int // server messages queued
	Acks        int // client messageAcks received
}

// EventStats returns the node's Events API counters.
func (s *Sim) EventStats(node string) EventStats {
	h := s.events
	h.mu.Lock()
	defer h.mu.Unlock()
	ne := h.node(node)
	return EventStats{Connections: len(ne.conns), Connects: ne.connects, Sent: ne.sent, Acks: ne.acks}
}

// DropEventSockets closes every events socket of node (the client sees the connection end).
func (s *Sim) DropEventSockets(node string) {
	h := s.events
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.node(node).conns {
		c.close()
	}
}

// RejectNextToken makes the next token node issues fail the websocket upgrade with 401.
func (s *Sim) RejectNextToken(node string) {
	h := s.events
	h.mu.Lock()
	defer h.mu.Unlock()
	h.node(node).rejectNext = true
}

// StopSending makes node's events sockets go silent (no frames, no acks) while staying open.
func (s *Sim) StopSending(node string, on bool) {
	h := s.events
	h.mu.Lock()
	defer h.mu.Unlock()
	h.node(node).silent = on
}

// SetEventsUnavailable makes node answer 404 on /events/v1, as a CMS without the Events API.
func (s *Sim) SetEventsUnavailable(node string, on bool) {
	h := s.events
	h.mu.Lock()
	defer h.mu.Unlock()
	h.node(node).unavailable = on
	if on {
		for c := range h.node(node).conns {
			c.close()
		}
	}
}
