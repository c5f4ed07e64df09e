package slackfake

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// subscriberBuffer is how many events a subscriber may fall behind before it loses events.
const subscriberBuffer = 1024

// Calls returns the recorded requests of method ("response_url" for response_url posts), or
// every request when method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.st.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the current messages of a channel in post order, ephemeral ones included
// (see Message.Ephemeral and VisibleTo).
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.st.messages[channel]))
	for _, m := range s.st.messages[channel] {
		out = append(out, *m)
	}
	return out
}

// EphemeralFor returns the ephemeral messages of channel that only user can see.
func (s *Server) EphemeralFor(user, channel string) []Message {
	var out []Message
	for _, m := range s.Messages(channel) {
		if m.Ephemeral && m.VisibleTo == user {
			out = append(out, m)
		}
	}
	return out
}

// Message returns one message by channel and ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, _ := s.findMessageLocked(channel, ts); m != nil {
		return *m, true
	}
	return Message{}, false
}

// Channels returns the ids of channels that have (or had) messages, sorted.
func (s *Server) Channels() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.st.messages))
	for ch := range s.st.messages {
		out = append(out, ch)
	}
	slices.Sort(out)
	return out
}

// View returns a view (open or closed) by id.
func (s *Server) View(viewID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if vs, ok := s.st.views[viewID]; ok {
		return vs.View, true
	}
	return View{}, false
}

// OpenViews returns user's open modal stack, root first.
func (s *Server) OpenViews(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, id := range s.st.stacks[user] {
		out = append(out, s.st.views[id].View)
	}
	return out
}

// Acks returns every ack received, in arrival order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.acks)
}

// Envelopes returns every envelope sent or queued, in creation order.
func (s *Server) Envelopes() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Envelope, 0, len(s.st.envOrder))
	for _, id := range s.st.envOrder {
		out = append(out, s.st.envelopes[id].out())
	}
	return out
}

// Opens counts successful apps.connections.open calls.
func (s *Server) Opens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.opens
}

// Connections is the number of live sockets (at most MaxConnections).
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.conns)
}

// ConnectionIDs are the live sockets, oldest first, numbered like Connects (Envelope.Connection,
// Ack.Connection).
func (s *Server) ConnectionIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, len(s.st.conns))
	for i, c := range s.st.conns {
		ids[i] = c.id
	}
	return ids
}

// Connects counts websocket connections accepted so far.
func (s *Server) Connects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.connects
}

// Subscribe returns a stream of changes and a cancel func that ends it. Events are dropped
// (and logged) for a subscriber more than 1024 events behind; Close ends every stream.
func (s *Server) Subscribe() (<-chan Event, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan Event, subscriberBuffer)
	if s.st.closed {
		close(ch)
		return ch, func() {}
	}
	id := s.st.nextSub
	s.st.nextSub++
	s.st.subs[id] = ch
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if c, ok := s.st.subs[id]; ok {
			close(c)
			delete(s.st.subs, id)
		}
	}
}

// WaitFor blocks until pred returns true or ctx ends. pred is re-evaluated after every change
// in the fake; it may call the fake's observation methods (it runs without the lock held).
func (s *Server) WaitFor(ctx context.Context, pred func() bool) error {
	for {
		s.mu.Lock()
		changed := s.st.changed
		s.mu.Unlock()
		if pred() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("slackfake: wait: %w", ctx.Err())
		}
	}
}

// WaitConnected waits until a socket-mode connection is live.
func (s *Server) WaitConnected(ctx context.Context) error {
	return s.WaitConnections(ctx, 1)
}

// WaitConnections waits until at least n socket-mode connections are live (one per replica).
func (s *Server) WaitConnections(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func() bool { return s.Connections() >= n })
}

// WaitAck waits for the ack of the latest delivery of an envelope (after Redeliver, the ack of
// the redelivery).
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var got Ack
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		env := s.st.envelopes[envelopeID]
		if env == nil {
			return false
		}
		for _, a := range slices.Backward(s.st.acks) {
			if a.EnvelopeID == envelopeID && a.RetryAttempt == env.RetryAttempt && !a.At.Before(env.SentAt) {
				got = a
				return true
			}
		}
		return false
	})
	return got, err
}

// WaitMessage waits until channel holds a message for which match is true, and returns it
// (the last such message).
func (s *Server) WaitMessage(ctx context.Context, channel string, match func(Message) bool) (Message, error) {
	var got Message
	err := s.WaitFor(ctx, func() bool {
		for _, m := range slices.Backward(s.Messages(channel)) {
			if match(m) {
				got = m
				return true
			}
		}
		return false
	})
	return got, err
}

// WaitCalls waits until at least n requests of method were recorded and returns them all.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) ([]Call, error) {
	var got []Call
	err := s.WaitFor(ctx, func() bool {
		got = s.Calls(method)
		return len(got) >= n
	})
	return got, err
}

// WaitView waits until user has an open modal for which match is true (nil matches any) and
// returns the top-most such view.
func (s *Server) WaitView(ctx context.Context, user string, match func(View) bool) (View, error) {
	var got View
	err := s.WaitFor(ctx, func() bool {
		for _, v := range slices.Backward(s.OpenViews(user)) {
			if match == nil || match(v) {
				got = v
				return true
			}
		}
		return false
	})
	return got, err
}

// Snapshot is the whole visible state at one instant (the demo page's initial load).
type Snapshot struct {
	Connected bool                 `json:"connected"`
	Opens     int                  `json:"opens"`
	Connects  int                  `json:"connects"`
	Channels  map[string][]Message `json:"channels"`
	OpenViews map[string][]View    `json:"open_views"` // user -> modal stack, root first
	Now       time.Time            `json:"now"`
}

// Snapshot returns the current state of every channel and modal stack.
func (s *Server) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{Connected: len(s.st.conns) > 0, Opens: s.st.opens, Connects: s.st.connects,
		Channels: map[string][]Message{}, OpenViews: map[string][]View{}, Now: s.nowLocked()}
	for ch, msgs := range s.st.messages {
		for _, m := range msgs {
			snap.Channels[ch] = append(snap.Channels[ch], *m)
		}
	}
	for user, stack := range s.st.stacks {
		for _, id := range stack {
			snap.OpenViews[user] = append(snap.OpenViews[user], s.st.views[id].View)
		}
	}
	return snap
}
