package slackfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const writeTimeout = 10 * time.Second

// MaxConnections is how many socket-mode connections Slack holds for one app at once; another
// is answered with a too_many_websockets disconnect.
const MaxConnections = 10

// wsConn is one socket-mode connection. gorilla allows one concurrent writer, so every data
// frame goes through wmu; control frames (PING, close) may be written concurrently.
type wsConn struct {
	id   int
	ws   *websocket.Conn
	wmu  sync.Mutex
	done chan struct{}
	once sync.Once
}

func (c *wsConn) writeJSON(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(v)
}

// writeLocked writes one data frame; the caller holds wmu.
func (c *wsConn) writeLocked(v any) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteJSON(v)
}

func (c *wsConn) close() {
	c.once.Do(func() {
		_ = c.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, ""), time.Now().Add(time.Second))
		_ = c.ws.Close()
	})
}

func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.st.tickets[ticket]
	delete(s.st.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		// Slack's tickets are single use; a reused or invented one is refused before the upgrade.
		s.log.Warn("websocket dial with unknown or reused ticket")
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		s.log.Warn("websocket upgrade failed", "err", err)
		return
	}
	c := &wsConn{ws: ws, done: make(chan struct{})}
	// Add under mu, checked against closed, so Close's wg.Wait never races a late Add.
	s.mu.Lock()
	if s.st.closed {
		s.mu.Unlock()
		c.close()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	if !s.register(c) {
		return
	}
	s.wg.Go(func() { s.pingLoop(c) })
	s.flushPending()
	s.readLoop(c)
}

// register adds c to the live connections and greets it. Like Slack, the fake holds every
// connection of the app at once (one per replica, up to MaxConnections) and spreads envelopes
// across them; a client that reconnects closes its old socket itself (slack-go does). The
// hello is written holding c's writer lock, so no envelope can overtake it.
func (s *Server) register(c *wsConn) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	s.mu.Lock()
	live := len(s.st.conns)
	if s.st.closed || live >= MaxConnections {
		s.mu.Unlock()
		if live >= MaxConnections { // Slack refuses an app's 11th socket the same way
			s.log.Warn("socket refused: too many connections", "live", live)
			_ = c.writeLocked(map[string]any{"type": "disconnect", "reason": "too_many_websockets",
				"debug_info": map[string]any{"host": "applink-slackfake"}})
		}
		c.close()
		return false
	}
	s.st.connects++
	c.id = s.st.connects
	s.st.conns = append(s.st.conns, c)
	s.emitLocked(Event{Type: EventConnected})
	s.mu.Unlock()
	hello := map[string]any{"type": "hello", "num_connections": live + 1,
		"debug_info":      map[string]any{"host": "applink-slackfake", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": AppID}}
	if err := c.writeLocked(hello); err != nil {
		s.log.Warn("hello failed", "err", err)
		c.close()
		s.mu.Lock()
		s.unregisterLocked(c)
		s.mu.Unlock()
		return false
	}
	s.log.Info("socket connected", "connection", c.id, "live", live+1)
	return true
}

// unregisterLocked removes c from the live connections; false when it was already gone.
func (s *Server) unregisterLocked(c *wsConn) bool {
	i := slices.Index(s.st.conns, c)
	if i < 0 {
		return false
	}
	s.st.conns = slices.Delete(s.st.conns, i, i+1)
	s.emitLocked(Event{Type: EventDisconnected})
	return true
}

func (s *Server) pingLoop(c *wsConn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-s.closing:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("slackfake"), time.Now().Add(writeTimeout)); err != nil {
				return
			}
		}
	}
}

func (s *Server) readLoop(c *wsConn) {
	defer close(c.done)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			break
		}
		s.handleAck(c, data)
	}
	c.close()
	s.mu.Lock()
	s.unregisterLocked(c)
	s.mu.Unlock()
	s.log.Info("socket closed", "connection", c.id)
}

func (s *Server) handleAck(c *wsConn, data []byte) {
	var frame struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &frame); err != nil || frame.EnvelopeID == "" {
		s.log.Warn("unreadable frame from the bot", "bytes", len(data))
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ack := Ack{EnvelopeID: frame.EnvelopeID, Payload: frame.Payload, At: now, Connection: c.id}
	env := s.st.envelopes[frame.EnvelopeID]
	if env == nil {
		ack.Unknown = true
	} else {
		ack.SentAt = env.SentAt
		ack.Latency = now.Sub(env.SentAt)
		ack.RetryAttempt = env.RetryAttempt
		env.Acked = true
		if env.timer != nil {
			env.timer.Stop()
		}
		ack.Error, ack.Errors = s.applyAckLocked(env, frame.Payload)
	}
	s.st.acks = append(s.st.acks, ack)
	s.emitLocked(Event{Type: EventAck, Ack: &ack})
}

// applyAckLocked does what Slack does with an ack payload: a slash command's payload is posted
// as a response; a view_submission's response_action updates, pushes, clears or reports errors;
// no response_action closes the submitted view.
func (s *Server) applyAckLocked(env *envelopeState, payload json.RawMessage) (string, []string) {
	var body map[string]any
	if len(payload) > 0 {
		_ = json.Unmarshal(payload, &body)
	}
	switch {
	case env.Type == "slash_commands" && len(body) > 0 && env.rurl != nil:
		if resp := s.respondLocked(env.rurl, body, "ack"); resp != nil {
			code, _ := resp["error"].(string)
			errs, _ := resp["errors"].([]string)
			return code, errs
		}
	case env.PayloadType == "view_submission":
		return s.applyViewAckLocked(env.submittedView, body)
	}
	return "", nil
}

func (s *Server) applyViewAckLocked(viewID string, body map[string]any) (string, []string) {
	vs := s.st.views[viewID]
	if vs == nil || !vs.Open {
		return "not_found", nil
	}
	action, _ := body["response_action"].(string)
	switch action {
	case "errors":
		errs, problems := viewErrors(vs.doc, body["errors"])
		if len(problems) > 0 {
			// Slack refuses the ack: the modal stays open without the errors.
			return "invalid_arguments", problems
		}
		vs.Errors = errs
		s.emitViewLocked(EventViewUpdated, vs, "errors")
	case "update", "push":
		doc, _ := body["view"].(map[string]any)
		if doc == nil {
			return "invalid_arguments", nil
		}
		if errs := validateView(doc, "/view"); len(errs) > 0 {
			return "invalid_blocks", errs
		}
		if action == "update" {
			s.replaceViewLocked(vs, doc)
		} else if _, code := s.pushViewLocked(vs.User, doc); code != "" {
			return code, nil
		}
	case "clear":
		s.closeStackLocked(vs.User, "cleared")
	default:
		s.closeViewLocked(vs.User, vs.ID, "submitted")
	}
	return "", nil
}

// send records env and delivers it over one of the live sockets, taken in turn (avoiding the
// connection avoid when another is up), else queues it for the next connection.
func (s *Server) send(env *envelopeState, avoid int) Envelope {
	s.mu.Lock()
	if _, seen := s.st.envelopes[env.ID]; !seen {
		s.st.envOrder = append(s.st.envOrder, env.ID)
	}
	s.st.envelopes[env.ID] = env
	s.mu.Unlock()
	return s.deliver(env.ID, avoid)
}

// pickLocked takes the live connections in turn, skipping avoid unless it is the only one.
func (s *Server) pickLocked(avoid int) *wsConn {
	n := len(s.st.conns)
	for range n {
		c := s.st.conns[s.st.next%n]
		s.st.next++
		if c.id != avoid || n == 1 {
			return c
		}
	}
	return nil
}

// deliver writes the envelope id to a connection. A socket that fails the write is dropped and
// the next one tried; with none left the envelope waits for the next connection.
func (s *Server) deliver(id string, avoid int) Envelope {
	for {
		s.mu.Lock()
		env := s.st.envelopes[id]
		c := s.pickLocked(avoid)
		if c == nil {
			s.st.pending = append(s.st.pending, id)
			out := env.out()
			s.mu.Unlock()
			s.log.Info("envelope queued: no socket", "envelope", id)
			return out
		}
		env.SentAt = time.Now()
		env.Acked = false
		env.Connection = c.id
		env.Deliveries = append(env.Deliveries, Delivery{Connection: c.id, RetryAttempt: env.RetryAttempt,
			RetryReason: env.RetryReason, At: env.SentAt})
		frame := map[string]any{"envelope_id": env.ID, "type": env.Type, "payload": env.Payload,
			"accepts_response_payload": env.Type == "slash_commands" || env.PayloadType == "view_submission",
			"retry_attempt":            env.RetryAttempt, "retry_reason": env.RetryReason}
		s.armRedeliveryLocked(env)
		out := env.out()
		s.emitLocked(Event{Type: EventEnvelopeSent, Envelope: &out})
		s.mu.Unlock()
		err := c.writeJSON(frame)
		if err == nil {
			return out
		}
		s.log.Warn("envelope write failed; dropping that socket", "envelope", id, "connection", c.id, "err", err)
		c.close()
		s.mu.Lock()
		s.unregisterLocked(c)
		s.mu.Unlock()
	}
}

// armRedeliveryLocked starts the ack timer of the delivery just made (Options.AckTimeout):
// unacked when it fires, the envelope goes again, to another connection, with retry_attempt+1
// and retry_reason "timeout", at most Options.MaxRetries times.
func (s *Server) armRedeliveryLocked(env *envelopeState) {
	if env.timer != nil {
		env.timer.Stop()
		env.timer = nil
	}
	if s.opts.AckTimeout <= 0 || env.RetryAttempt >= s.opts.MaxRetries {
		return
	}
	delivery, id := len(env.Deliveries), env.ID
	env.timer = time.AfterFunc(s.opts.AckTimeout, func() { s.ackTimedOut(id, delivery) })
}

func (s *Server) ackTimedOut(id string, delivery int) {
	s.mu.Lock()
	env := s.st.envelopes[id]
	if s.st.closed || env == nil || env.Acked || len(env.Deliveries) != delivery {
		s.mu.Unlock()
		return
	}
	env.RetryAttempt++
	env.RetryReason = "timeout"
	avoid, attempt := env.Connection, env.RetryAttempt
	s.wg.Add(1) // under mu, checked against closed, like serveLink
	s.mu.Unlock()
	defer s.wg.Done()
	s.log.Info("envelope not acked in time; redelivering", "envelope", id, "retry_attempt", attempt, "after", s.opts.AckTimeout)
	s.deliver(id, avoid)
}

func (s *Server) flushPending() {
	s.mu.Lock()
	ids := s.st.pending
	s.st.pending = nil
	s.mu.Unlock()
	for _, id := range ids {
		s.deliver(id, 0)
	}
}

// Disconnect sends {"type":"disconnect","reason":reason} over the newest socket, as Slack does
// before refreshing a socket; slack-go then reconnects through apps.connections.open.
func (s *Server) Disconnect(reason string) error {
	c := s.newestConn()
	if c == nil {
		return ErrNotConnected
	}
	return c.writeJSON(map[string]any{"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": "applink-slackfake"}})
}

// DropConnection closes the TCP connection under the newest socket without a close frame, like
// a network failure.
func (s *Server) DropConnection() error {
	c := s.newestConn()
	if c == nil {
		return ErrNotConnected
	}
	return c.ws.NetConn().Close()
}

func (s *Server) newestConn() *wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.st.conns); n > 0 {
		return s.st.conns[n-1]
	}
	return nil
}
