package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxMessageText is where Slack answers msg_too_long (documented truncation limit; slack.md §3.1).
const maxMessageText = 40000

// content is a validated message body.
type content struct {
	text      string
	blocks    json.RawMessage // nil when none were sent
	hasBlocks bool
}

// parseContentLocked validates text and blocks (blocks as JSON text, or an already-decoded
// value from a JSON body) like chat.postMessage does. errResp is the Slack answer on failure.
func (s *Server) parseContentLocked(text string, blocks any, needContent bool) (content, map[string]any) {
	c := content{text: text}
	if utf8.RuneCountInString(text) > maxMessageText {
		return c, slackErr("msg_too_long")
	}
	list, present, code := decodeBlocks(blocks)
	if code != "" {
		return c, slackErr(code)
	}
	if present {
		if errs := validateBlockList(list, "/blocks", maxMessageBlocks); len(errs) > 0 {
			return c, blocksErr(errs)
		}
		s.fillBlockIDsLocked(list)
		c.blocks, _ = json.Marshal(list)
		c.hasBlocks = true
	}
	if needContent && text == "" && len(list) == 0 {
		return c, slackErr("no_text")
	}
	return c, nil
}

// decodeBlocks accepts nil/absent, a JSON string (form field) or a decoded []any. A JSON null
// counts as absent: slack-go sends "blocks":null on response_url when there are none.
func decodeBlocks(v any) (list []any, present bool, code string) {
	switch b := v.(type) {
	case nil:
		return nil, false, ""
	case string:
		if strings.TrimSpace(b) == "" {
			return nil, false, ""
		}
		var decoded any
		if json.Unmarshal([]byte(b), &decoded) != nil {
			return nil, false, "invalid_blocks_format"
		}
		return decodeBlocks(decoded)
	case []any:
		return b, true, ""
	default:
		return nil, false, "invalid_blocks_format"
	}
}

// fillBlockIDsLocked gives every block without a block_id one, as Slack does when it stores a
// message (slack-go tells block actions from attachment actions by the presence of block_id).
func (s *Server) fillBlockIDsLocked(list []any) {
	for _, b := range list {
		if m, ok := b.(map[string]any); ok {
			if id, _ := m["block_id"].(string); id == "" {
				m["block_id"] = fmt.Sprintf("fk%d", s.nextSeqLocked())
			}
		}
	}
}

func (s *Server) knownChannelLocked(ch string) bool {
	if ch == "" {
		return false
	}
	if len(s.st.channels) == 0 {
		return true
	}
	_, ok := s.st.channels[ch]
	// A user id as channel is a DM with that user.
	return ok || strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "D")
}

func (s *Server) addMessageLocked(m Message) Message {
	m.TS = s.newTSLocked()
	m.PostedAt = s.nowLocked()
	stored := m
	s.st.messages[m.Channel] = append(s.st.messages[m.Channel], &stored)
	s.emitLocked(Event{Type: EventMessagePosted, Message: &m})
	return m
}

func (s *Server) botMessage(channel string, c content, via string) Message {
	return Message{Channel: channel, User: BotUserID, BotID: BotID, Text: c.text, Blocks: c.blocks, Via: via}
}

func (s *Server) findMessageLocked(channel, ts string) (*Message, int) {
	for i, m := range s.st.messages[channel] {
		if m.TS == ts {
			return m, i
		}
	}
	return nil, -1
}

func (s *Server) updateMessageLocked(m *Message, c content) {
	m.Text = c.text
	if c.hasBlocks {
		m.Blocks = c.blocks
	}
	m.Edited = true
	m.UpdatedAt = s.nowLocked()
	cp := *m
	s.emitLocked(Event{Type: EventMessageUpdated, Message: &cp})
}

func (s *Server) deleteMessageLocked(channel string, i int) {
	list := s.st.messages[channel]
	m := *list[i]
	s.st.messages[channel] = append(list[:i:i], list[i+1:]...)
	s.emitLocked(Event{Type: EventMessageDeleted, Message: &m})
}

// wireMessage is a message as Slack returns it in API responses and payloads.
func wireMessage(m Message) map[string]any {
	w := map[string]any{"type": "message", "text": m.Text, "ts": m.TS, "user": m.User, "team": TeamID}
	if m.BotID != "" {
		w["bot_id"] = m.BotID
		w["app_id"] = AppID
	}
	if m.ThreadTS != "" {
		w["thread_ts"] = m.ThreadTS
	}
	if len(m.Blocks) > 0 {
		w["blocks"] = m.Blocks
	}
	if m.Edited {
		w["edited"] = map[string]any{"user": m.User, "ts": fmt.Sprintf("%d.000000", m.UpdatedAt.Unix())}
	}
	return w
}

func (s *Server) chatPostMessage(r *apiRequest) map[string]any {
	ch := r.param("channel")
	if !s.knownChannelLocked(ch) {
		return slackErr("channel_not_found")
	}
	c, errResp := s.parseContentLocked(r.param("text"), r.param("blocks"), !r.has("attachments"))
	if errResp != nil {
		return errResp
	}
	meta, code := parseMetadata(r)
	if code != "" {
		return slackErr(code)
	}
	m := s.botMessage(ch, c, "chat.postMessage")
	m.ThreadTS = r.param("thread_ts")
	m.Metadata = meta
	m = s.addMessageLocked(m)
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "message": wireMessage(m)}
}

func (s *Server) chatPostEphemeral(r *apiRequest) map[string]any {
	ch, user := r.param("channel"), r.param("user")
	if !s.knownChannelLocked(ch) {
		return slackErr("channel_not_found")
	}
	if user == "" {
		return slackErr("user_not_in_channel")
	}
	c, errResp := s.parseContentLocked(r.param("text"), r.param("blocks"), !r.has("attachments"))
	if errResp != nil {
		return errResp
	}
	m := s.botMessage(ch, c, "chat.postEphemeral")
	m.Ephemeral, m.VisibleTo = true, user
	m.ThreadTS = r.param("thread_ts")
	m = s.addMessageLocked(m)
	return map[string]any{"ok": true, "message_ts": m.TS}
}

func (s *Server) chatUpdate(r *apiRequest) map[string]any {
	ch, ts := r.param("channel"), r.param("ts")
	m, _ := s.findMessageLocked(ch, ts)
	if m == nil || m.Ephemeral {
		// Slack cannot chat.update an ephemeral message either: only its response_url can.
		return slackErr("message_not_found")
	}
	if m.BotID == "" {
		return slackErr("cant_update_message")
	}
	c, errResp := s.parseContentLocked(r.param("text"), r.param("blocks"), false)
	if errResp != nil {
		return errResp
	}
	if c.text == "" && !c.hasBlocks {
		return slackErr("no_text")
	}
	s.updateMessageLocked(m, c)
	return map[string]any{"ok": true, "channel": ch, "ts": ts, "text": m.Text, "message": wireMessage(*m)}
}

func (s *Server) chatDelete(r *apiRequest) map[string]any {
	ch, ts := r.param("channel"), r.param("ts")
	m, i := s.findMessageLocked(ch, ts)
	if m == nil || m.Ephemeral {
		return slackErr("message_not_found")
	}
	if m.BotID == "" {
		return slackErr("cant_delete_message")
	}
	s.deleteMessageLocked(ch, i)
	return map[string]any{"ok": true, "channel": ch, "ts": ts}
}
