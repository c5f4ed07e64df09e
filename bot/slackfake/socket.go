package slackfake

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const writeTimeout = 10 * time.Second

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
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "applink-slackfake", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": AppID}}
	if err := c.writeJSON(hello); err != nil {
		s.log.Warn("hello failed", "err", err)
		c.close()
		return
	}
	s.register(c)
	s.wg.Go(func() { s.pingLoop(c) })
	s.flushPending(c)
	s.readLoop(c)
}

// register makes c the active connection; the newest connection wins, like a client that
// reconnected before Slack noticed the old socket was gone.
func (s *Server) register(c *wsConn) {
	s.mu.Lock()
	if s.st.closed {
		s.mu.Unlock()
		c.close()
		return
	}
	old := s.st.conn
	s.st.connects++
	c.id = s.st.connects
	s.st.conn = c
	s.emitLocked(Event{Type: EventConnected})
	s.mu.Unlock()
	s.log.Info("socket connected", "connection", c.id)
	if old != nil {
		old.close()
	}
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
		s.handleAck(data)
	}
	c.close()
	s.mu.Lock()
	if s.st.conn == c {
		s.st.conn = nil
		s.emitLocked(Event{Type: EventDisconnected})
	}
	s.mu.Unlock()
	s.log.Info("socket closed", "connection", c.id)
}

func (s *Server) handleAck(data []byte) {
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
	ack := Ack{EnvelopeID: frame.EnvelopeID, Payload: frame.Payload, At: now}
	env := s.st.envelopes[frame.EnvelopeID]
	if env == nil {
		ack.Unknown = true
	} else {
		ack.SentAt = env.SentAt
		ack.Latency = now.Sub(env.SentAt)
		ack.RetryAttempt = env.RetryAttempt
		env.Acked = true
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

// send records env and delivers it if a socket is up, else queues it for the next connection.
func (s *Server) send(env *envelopeState) Envelope {
	s.mu.Lock()
	if _, seen := s.st.envelopes[env.ID]; !seen {
		s.st.envOrder = append(s.st.envOrder, env.ID)
	}
	s.st.envelopes[env.ID] = env
	c := s.st.conn
	if c == nil {
		s.st.pending = append(s.st.pending, env.ID)
		out := env.Envelope
		s.mu.Unlock()
		s.log.Info("envelope queued: no socket", "envelope", env.ID)
		return out
	}
	s.mu.Unlock()
	return s.deliver(c, env.ID)
}

func (s *Server) deliver(c *wsConn, id string) Envelope {
	s.mu.Lock()
	env := s.st.envelopes[id]
	env.SentAt = time.Now()
	env.Acked = false
	frame := map[string]any{"envelope_id": env.ID, "type": env.Type, "payload": env.Payload,
		"accepts_response_payload": env.Type == "slash_commands" || env.PayloadType == "view_submission",
		"retry_attempt":            env.RetryAttempt, "retry_reason": env.RetryReason}
	out := env.Envelope
	s.emitLocked(Event{Type: EventEnvelopeSent, Envelope: &out})
	s.mu.Unlock()
	if err := c.writeJSON(frame); err != nil {
		s.mu.Lock()
		cur := s.st.conn
		if cur == nil || cur == c {
			s.st.pending = append(s.st.pending, id)
			s.mu.Unlock()
			s.log.Warn("envelope write failed; queued", "envelope", id, "err", err)
			return out
		}
		s.mu.Unlock()
		// The socket was replaced while we wrote: the new one has already flushed the queue.
		return s.deliver(cur, id)
	}
	return out
}

func (s *Server) flushPending(c *wsConn) {
	s.mu.Lock()
	ids := s.st.pending
	s.st.pending = nil
	s.mu.Unlock()
	for _, id := range ids {
		s.deliver(c, id)
	}
}

// Disconnect sends {"type":"disconnect","reason":reason}, as Slack does before refreshing a
// socket; slack-go then reconnects through apps.connections.open.
func (s *Server) Disconnect(reason string) error {
	c := s.activeConn()
	if c == nil {
		return ErrNotConnected
	}
	return c.writeJSON(map[string]any{"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": "applink-slackfake"}})
}

// DropConnection closes the TCP connection under the socket without a close frame, like a
// network failure.
func (s *Server) DropConnection() error {
	c := s.activeConn()
	if c == nil {
		return ErrNotConnected
	}
	return c.ws.NetConn().Close()
}

func (s *Server) activeConn() *wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.conn
}
