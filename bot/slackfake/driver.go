package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Errors of the driver API.
var (
	ErrMessageNotFound  = errors.New("slackfake: message not found")
	ErrViewNotFound     = errors.New("slackfake: view not open")
	ErrElementNotFound  = errors.New("slackfake: interactive element not found")
	ErrOptionNotFound   = errors.New("slackfake: option not found")
	ErrEnvelopeNotFound = errors.New("slackfake: envelope not found")
	ErrNotVisible       = errors.New("slackfake: ephemeral message not visible to this user")
)

// verificationToken is the legacy per-app token Slack still puts in payloads; not a secret.
const verificationToken = "fake-verification-token"

func (s *Server) userObjLocked(id string) map[string]any {
	n := userName(id, s.st.users)
	return map[string]any{"id": id, "username": n, "name": n, "team_id": TeamID}
}

func (s *Server) channelNameLocked(id string) string {
	if c, ok := s.st.channels[id]; ok {
		return c.Name
	}
	if len(id) > 0 && (id[0] == 'D' || id[0] == 'U') {
		return "directmessage"
	}
	return id
}

// SlashCommand sends a slash_commands envelope as if user typed `command text` in channel. The
// envelope carries a fresh trigger_id and response_url; the ack's payload, if any, is posted
// like Slack does (ephemeral unless response_type is in_channel).
func (s *Server) SlashCommand(user, channel, command, text string) (Envelope, error) {
	s.mu.Lock()
	trig := s.newTriggerLocked(user, channel)
	ru := s.newResponseURLLocked(user, channel, "")
	payload := map[string]any{
		"token": verificationToken, "team_id": TeamID, "team_domain": TeamDomain,
		"channel_id": channel, "channel_name": s.channelNameLocked(channel),
		"user_id": user, "user_name": userName(user, s.st.users),
		"command": command, "text": text, "api_app_id": AppID, "is_enterprise_install": false,
		"response_url": s.responseURLString(ru.id), "trigger_id": trig,
	}
	env := &envelopeState{rurl: ru, Envelope: Envelope{
		ID: s.newEnvelopeID(), Type: "slash_commands", TriggerID: trig,
		ResponseURL: s.responseURLString(ru.id),
	}}
	s.mu.Unlock()
	raw, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("slackfake: slash command payload: %w", err)
	}
	env.Payload = raw
	return s.send(env, 0), nil
}

// Redeliver sends an earlier envelope again with retry_attempt+1 and retry_reason "timeout", as
// Slack does when an ack did not arrive in time: to another connection than the last delivery's
// when several are live.
func (s *Server) Redeliver(envelopeID string) (Envelope, error) {
	s.mu.Lock()
	env := s.st.envelopes[envelopeID]
	if env == nil {
		s.mu.Unlock()
		return Envelope{}, fmt.Errorf("%w: %s", ErrEnvelopeNotFound, envelopeID)
	}
	env.RetryAttempt++
	env.RetryReason = "timeout"
	avoid := env.Connection
	s.mu.Unlock()
	return s.deliver(envelopeID, avoid), nil
}

// Click is a user interacting with an element the bot posted: in a message (Channel and
// MessageTS) or in an open modal (ViewID).
type Click struct {
	User      string
	Channel   string
	MessageTS string
	ViewID    string
	// BlockID narrows the search when several blocks use the same action_id.
	BlockID  string
	ActionID string
	// Value picks the option of a static_select, overflow or radio_buttons by its value
	// (checkboxes/multi-selects: comma-free single value); for users/conversations/channels
	// selects, datepickers and timepickers it is the selected value itself. Buttons ignore it.
	Value string
	// OmitBlockID sends the action without its block_id, as a client that copies only the
	// element's action_id and value into the payload would (Slack itself always sends it).
	OmitBlockID bool
}

// ClickButton clicks the element with actionID in a recorded message.
func (s *Server) ClickButton(channel, messageTS, actionID, user string) (Envelope, error) {
	return s.ClickAction(Click{User: user, Channel: channel, MessageTS: messageTS, ActionID: actionID})
}

// ClickAction sends a block_actions envelope for the element c names. The element's type,
// value and block_id come from the recorded message or view, never from the caller.
func (s *Server) ClickAction(c Click) (Envelope, error) {
	s.mu.Lock()
	payload, env, err := s.blockActionsLocked(c)
	s.mu.Unlock()
	if err != nil {
		return Envelope{}, err
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("slackfake: block_actions payload: %w", err)
	}
	env.Payload = raw
	return s.send(env, 0), nil
}

func (s *Server) blockActionsLocked(c Click) (map[string]any, *envelopeState, error) {
	payload := map[string]any{
		"type": "block_actions", "user": s.userObjLocked(c.User), "api_app_id": AppID,
		"token": verificationToken, "team": map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise": nil, "is_enterprise_install": false,
		"state": map[string]any{"values": map[string]any{}},
	}
	env := &envelopeState{Envelope: Envelope{ID: s.newEnvelopeID(), Type: "interactive", PayloadType: "block_actions"}}
	var blocks json.RawMessage
	if c.ViewID != "" {
		vs := s.st.views[c.ViewID]
		if vs == nil || !vs.Open {
			return nil, nil, fmt.Errorf("%w: %s", ErrViewNotFound, c.ViewID)
		}
		b, _ := json.Marshal(vs.doc["blocks"])
		blocks = b
		payload["container"] = map[string]any{"type": "view", "view_id": vs.ID}
		payload["view"] = json.RawMessage(vs.Raw)
		env.ViewID = vs.ID
	} else {
		m, _ := s.findMessageLocked(c.Channel, c.MessageTS)
		if m == nil {
			return nil, nil, fmt.Errorf("%w: %s %s", ErrMessageNotFound, c.Channel, c.MessageTS)
		}
		if m.Ephemeral && m.VisibleTo != c.User {
			return nil, nil, ErrNotVisible
		}
		blocks = m.Blocks
		s.messageContextLocked(payload, env, m, c.User)
	}
	action, err := findAction(blocks, c)
	if err != nil {
		return nil, nil, err
	}
	if c.OmitBlockID {
		delete(action, "block_id")
	}
	action["action_ts"] = s.newTSLocked()
	payload["actions"] = []any{action}
	env.TriggerID = s.newTriggerLocked(c.User, c.Channel)
	payload["trigger_id"] = env.TriggerID
	return payload, env, nil
}

// messageContextLocked adds what Slack sends for an element in a message: container, channel,
// message (not for ephemeral messages: Slack omits it) and a response_url bound to it.
func (s *Server) messageContextLocked(payload map[string]any, env *envelopeState, m *Message, user string) {
	payload["container"] = map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel,
		"is_ephemeral": m.Ephemeral}
	payload["channel"] = map[string]any{"id": m.Channel, "name": s.channelNameLocked(m.Channel)}
	if !m.Ephemeral {
		payload["message"] = wireMessage(*m)
	}
	ru := s.newResponseURLLocked(user, m.Channel, m.TS)
	env.rurl = ru
	env.ResponseURL = s.responseURLString(ru.id)
	payload["response_url"] = env.ResponseURL
}

// findAction locates the element in blocks and builds the actions[] entry Slack would send.
func findAction(blocksJSON json.RawMessage, c Click) (map[string]any, error) {
	var blocks []map[string]any
	if len(blocksJSON) > 0 {
		if err := json.Unmarshal(blocksJSON, &blocks); err != nil {
			return nil, fmt.Errorf("slackfake: stored blocks unreadable: %w", err)
		}
	}
	for _, b := range blocks {
		bid, _ := b["block_id"].(string)
		if c.BlockID != "" && bid != c.BlockID {
			continue
		}
		for _, el := range blockElements(b) {
			if aid, _ := el["action_id"].(string); aid == c.ActionID {
				return actionFor(el, bid, c.Value)
			}
		}
	}
	return nil, fmt.Errorf("%w: action_id %q block_id %q", ErrElementNotFound, c.ActionID, c.BlockID)
}

func blockElements(b map[string]any) []map[string]any {
	var out []map[string]any
	if els, ok := b["elements"].([]any); ok {
		for _, e := range els {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	for _, k := range []string{"accessory", "element"} {
		if m, ok := b[k].(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func actionFor(el map[string]any, blockID, value string) (map[string]any, error) {
	typ, _ := el["type"].(string)
	a := map[string]any{"type": typ, "action_id": el["action_id"], "block_id": blockID}
	switch typ {
	case "button":
		a["text"] = el["text"]
		if v, ok := el["value"]; ok {
			a["value"] = v
		}
		if st, ok := el["style"]; ok {
			a["style"] = st
		}
	case "static_select", "overflow", "radio_buttons":
		opt, err := findOption(el, value)
		if err != nil {
			return nil, err
		}
		a["selected_option"] = opt
		if p, ok := el["placeholder"]; ok {
			a["placeholder"] = p
		}
	case "checkboxes", "multi_static_select":
		opt, err := findOption(el, value)
		if err != nil {
			return nil, err
		}
		a["selected_options"] = []any{opt}
	case "users_select":
		a["selected_user"] = value
	case "conversations_select":
		a["selected_conversation"] = value
	case "channels_select":
		a["selected_channel"] = value
	case "datepicker":
		a["selected_date"] = value
	case "timepicker":
		a["selected_time"] = value
	default:
		a["value"] = value
	}
	return a, nil
}

// findOption looks value up in options or option_groups and returns the option as Slack sends
// it back ({text, value}).
func findOption(el map[string]any, value string) (map[string]any, error) {
	var opts []any
	if o, ok := el["options"].([]any); ok {
		opts = append(opts, o...)
	}
	if groups, ok := el["option_groups"].([]any); ok {
		for _, g := range groups {
			if gm, ok := g.(map[string]any); ok {
				if o, ok := gm["options"].([]any); ok {
					opts = append(opts, o...)
				}
			}
		}
	}
	for _, o := range opts {
		if om, ok := o.(map[string]any); ok && om["value"] == value {
			return map[string]any{"text": om["text"], "value": om["value"]}, nil
		}
	}
	return nil, fmt.Errorf("%w: value %q", ErrOptionNotFound, value)
}
