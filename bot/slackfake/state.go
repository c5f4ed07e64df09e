package slackfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"
)

// Message is the current state of one message in a channel.
type Message struct {
	Channel  string          `json:"channel"`
	TS       string          `json:"ts"`
	ThreadTS string          `json:"thread_ts,omitempty"`
	User     string          `json:"user"`             // poster; BotUserID for the bot's messages
	BotID    string          `json:"bot_id,omitempty"` // set for the bot's messages
	Text     string          `json:"text"`
	Blocks   json.RawMessage `json:"blocks,omitempty"` // as stored: missing block_ids filled in, like Slack
	// Ephemeral messages are seen only by VisibleTo.
	Ephemeral bool      `json:"ephemeral,omitempty"`
	VisibleTo string    `json:"visible_to,omitempty"`
	Via       string    `json:"via"` // chat.postMessage, chat.postEphemeral, response_url, ack
	PostedAt  time.Time `json:"posted_at"`
	Edited    bool      `json:"edited,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Metadata is the message metadata chat.postMessage was given ({event_type, event_payload}).
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// View is the current state of a modal (or Home tab) opened by the bot.
type View struct {
	ID              string `json:"id"`
	ExternalID      string `json:"external_id,omitempty"`
	User            string `json:"user"`
	Type            string `json:"type"`
	CallbackID      string `json:"callback_id,omitempty"`
	PrivateMetadata string `json:"private_metadata,omitempty"`
	Hash            string `json:"hash"`
	RootViewID      string `json:"root_view_id"`
	PreviousViewID  string `json:"previous_view_id,omitempty"`
	// Raw is the whole view object as the fake sends it in payloads (blocks, title, state, …).
	Raw  json.RawMessage `json:"raw"`
	Open bool            `json:"open"`
	// Errors is the last response_action "errors" ack for this view (block_id -> message).
	Errors map[string]string `json:"errors,omitempty"`
}

// Call is one recorded Web API or response_url request. Tokens are never recorded.
type Call struct {
	Method      string          `json:"method"` // Web API method, or "response_url"
	Form        url.Values      `json:"form,omitempty"`
	JSON        json.RawMessage `json:"json,omitempty"`
	ResponseURL string          `json:"response_url,omitempty"` // response_url calls: the full URL
	Status      int             `json:"status"`
	Error       string          `json:"error,omitempty"` // Slack error code answered, "" when ok
	Errors      []string        `json:"errors,omitempty"`
	Response    json.RawMessage `json:"response,omitempty"`
	At          time.Time       `json:"at"`
	// Dropped: the call was handled but its answer was never sent (Fault.DropAnswer).
	Dropped bool `json:"dropped,omitempty"`
}

// Param returns a string parameter of the call, from the form or the top level of the JSON body.
func (c Call) Param(name string) string {
	if c.Form != nil {
		return c.Form.Get(name)
	}
	var m map[string]any
	if json.Unmarshal(c.JSON, &m) == nil {
		if v, ok := m[name].(string); ok {
			return v
		}
	}
	return ""
}

// Envelope is one socket-mode delivery the fake made (or queued) for the bot.
type Envelope struct {
	ID           string          `json:"envelope_id"`
	Type         string          `json:"type"` // slash_commands, interactive
	PayloadType  string          `json:"payload_type,omitempty"`
	TriggerID    string          `json:"trigger_id,omitempty"`
	ResponseURL  string          `json:"response_url,omitempty"`
	ViewID       string          `json:"view_id,omitempty"`
	Payload      json.RawMessage `json:"payload"`
	RetryAttempt int             `json:"retry_attempt"`
	RetryReason  string          `json:"retry_reason,omitempty"`
	// SentAt is the wall-clock time of the latest delivery; zero while queued.
	SentAt time.Time `json:"sent_at,omitzero"`
	Acked  bool      `json:"acked"`
	// Connection is the socket (numbered like Connects, from 1) of the latest delivery, 0 while
	// queued; Deliveries lists every delivery, oldest first.
	Connection int        `json:"connection,omitempty"`
	Deliveries []Delivery `json:"deliveries,omitempty"`
}

// Delivery is one write of an envelope to a socket.
type Delivery struct {
	Connection   int       `json:"connection"`
	RetryAttempt int       `json:"retry_attempt"`
	RetryReason  string    `json:"retry_reason,omitempty"`
	At           time.Time `json:"at"`
}

// Ack is one acknowledgement the bot sent over the socket.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	// At is the wall-clock arrival, SentAt the latest delivery of the envelope, Latency the
	// difference (monotonic, independent of Options.Clock).
	At           time.Time     `json:"at"`
	SentAt       time.Time     `json:"sent_at"`
	Latency      time.Duration `json:"latency"`
	RetryAttempt int           `json:"retry_attempt"`
	// Connection is the socket the ack came over (numbered like Connects).
	Connection int `json:"connection"`
	// Unknown is true when no envelope with this id was sent; Error is what Slack would do with
	// the payload (e.g. invalid_blocks), "" when fine.
	Unknown bool     `json:"unknown,omitempty"`
	Error   string   `json:"error,omitempty"`
	Errors  []string `json:"errors,omitempty"`
}

// EventType names a change in the fake.
type EventType string

// Event types delivered by Subscribe.
const (
	EventMessagePosted  EventType = "message_posted"
	EventMessageUpdated EventType = "message_updated"
	EventMessageDeleted EventType = "message_deleted"
	EventViewOpened     EventType = "view_opened"
	EventViewUpdated    EventType = "view_updated"
	EventViewClosed     EventType = "view_closed"
	EventEnvelopeSent   EventType = "envelope_sent"
	EventAck            EventType = "ack"
	EventConnected      EventType = "connected"
	EventDisconnected   EventType = "disconnected"
	EventCall           EventType = "call"
)

// Event is one change; exactly the field matching Type is set.
type Event struct {
	Type     EventType `json:"type"`
	At       time.Time `json:"at"`
	Message  *Message  `json:"message,omitempty"`
	View     *View     `json:"view,omitempty"`
	Envelope *Envelope `json:"envelope,omitempty"`
	Ack      *Ack      `json:"ack,omitempty"`
	Call     *Call     `json:"call,omitempty"`
	Reason   string    `json:"reason,omitempty"`
}

type trigger struct {
	user    string
	channel string
	issued  time.Time
	used    bool
	expired bool
}

type responseURL struct {
	id      string
	user    string
	channel string
	issued  time.Time
	uses    int
	// target is the message replace_original/delete_original act on: the clicked message, or
	// for slash commands the last message this URL (or the ack) posted.
	targetChannel, targetTS string
}

type viewState struct {
	View
	doc map[string]any // the view as the bot sent it, plus the fields Slack adds
}

type envelopeState struct {
	Envelope
	submittedView string // view_submission: the view the ack's response_action applies to
	rurl          *responseURL
	timer         *time.Timer // Options.AckTimeout of the latest delivery
}

// out is the envelope as observers get it: a copy that shares nothing with the state.
func (e *envelopeState) out() Envelope {
	o := e.Envelope
	o.Deliveries = slices.Clone(e.Deliveries)
	return o
}

type fault struct {
	n          int
	status     int
	retryAfter time.Duration
	slackErr   string
	drop       bool // DropAnswer
}

type state struct {
	users      map[string]User
	channels   map[string]Channel
	usergroups map[string][]string // user-group id -> member user ids

	offset time.Duration
	seq    int64

	calls     []Call
	messages  map[string][]*Message // channel -> messages in post order
	views     map[string]*viewState
	stacks    map[string][]string // user -> open modal view ids, root first
	triggers  map[string]*trigger
	rurls     map[string]*responseURL
	envelopes map[string]*envelopeState
	envOrder  []string
	pending   []string
	acks      []Ack
	faults    map[string]*fault
	limits    map[string]*limiter

	closed   bool
	conns    []*wsConn // live sockets, oldest first
	next     int       // round-robin cursor over conns
	opens    int
	connects int
	tickets  map[string]bool

	subs    map[int]chan Event
	nextSub int
	changed chan struct{}
}

func newState(o Options) state {
	return state{
		users:      maps.Clone(o.Users),
		channels:   maps.Clone(o.Channels),
		usergroups: cloneUserGroups(o.UserGroups),
		messages:   map[string][]*Message{},
		views:      map[string]*viewState{},
		stacks:     map[string][]string{},
		triggers:   map[string]*trigger{},
		rurls:      map[string]*responseURL{},
		envelopes:  map[string]*envelopeState{},
		faults:     map[string]*fault{},
		limits:     map[string]*limiter{},
		tickets:    map[string]bool{},
		subs:       map[int]chan Event{},
		changed:    make(chan struct{}),
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b)
}

// nextSeqLocked returns a number unique within this server.
func (s *Server) nextSeqLocked() int64 {
	s.st.seq++
	return s.st.seq
}

// newTSLocked makes a Slack-style "seconds.micros" timestamp; the counter in the micro part keeps
// it unique even when the clock stands still.
func (s *Server) newTSLocked() string {
	return fmt.Sprintf("%d.%06d", s.nowLocked().Unix(), s.nextSeqLocked()%1000000)
}

func (s *Server) newEnvelopeID() string {
	h := randomHex(16)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

func (s *Server) newTriggerLocked(user, channel string) string {
	now := s.nowLocked()
	id := fmt.Sprintf("%d.%d.%s", now.Unix(), s.nextSeqLocked(), randomHex(16))
	s.st.triggers[id] = &trigger{user: user, channel: channel, issued: now}
	return id
}

func (s *Server) newResponseURLLocked(user, channel, targetTS string) *responseURL {
	id := fmt.Sprintf("R%d%s", s.nextSeqLocked(), randomHex(8))
	r := &responseURL{id: id, user: user, channel: channel, issued: s.nowLocked(),
		targetChannel: channel, targetTS: targetTS}
	s.st.rurls[id] = r
	return r
}

func (s *Server) responseURLString(id string) string { return s.base + "/response/" + id }

// emitLocked sends ev to every subscriber without blocking (a slow subscriber loses events, the
// fake never stalls) and wakes every WaitFor.
func (s *Server) emitLocked(ev Event) {
	ev.At = s.nowLocked()
	for id, ch := range s.st.subs {
		select {
		case ch <- ev:
		default:
			s.log.Warn("subscriber too slow, event dropped", "subscriber", id, "event", ev.Type)
		}
	}
	s.changedLocked()
}

func (s *Server) changedLocked() {
	close(s.st.changed)
	s.st.changed = make(chan struct{})
}

func (s *Server) closeSubscribersLocked() {
	for id, ch := range s.st.subs {
		close(ch)
		delete(s.st.subs, id)
	}
}
