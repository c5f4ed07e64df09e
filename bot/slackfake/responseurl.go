package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

func (s *Server) serveResponseURL(w http.ResponseWriter, hr *http.Request) {
	id := strings.TrimPrefix(hr.URL.Path, "/response/")
	raw, err := io.ReadAll(io.LimitReader(hr.Body, maxBodyBytes))
	s.mu.Lock()
	call := Call{Method: "response_url", ResponseURL: s.responseURLString(id), At: s.nowLocked()}
	if json.Valid(raw) {
		call.JSON = json.RawMessage(raw)
	}
	var status int
	var header http.Header
	var resp map[string]any
	if hr.Method != http.MethodPost {
		status, resp = http.StatusMethodNotAllowed, slackErr("invalid_method")
	} else if err != nil {
		status, resp = http.StatusBadRequest, slackErr("invalid_payload")
	} else {
		status, header, resp = s.responseURLLocked(id, raw)
	}
	s.finishCallLocked(&call, status, resp)
	s.mu.Unlock()
	writeJSON(w, status, header, resp)
}

func (s *Server) responseURLLocked(id string, raw []byte) (int, http.Header, map[string]any) {
	if status, h, resp, ok := s.faultLocked("response_url"); ok {
		return status, h, resp
	}
	ru := s.st.rurls[id]
	if ru == nil {
		return http.StatusNotFound, nil, slackErr("expired_url")
	}
	ru.uses++
	if s.nowLocked().Sub(ru.issued) > ResponseURLTTL {
		return http.StatusNotFound, nil, slackErr("expired_url")
	}
	if ru.uses > ResponseURLMaxUses {
		return http.StatusNotFound, nil, slackErr("used_url")
	}
	var body map[string]any
	if json.Unmarshal(raw, &body) != nil || body == nil {
		return http.StatusBadRequest, nil, slackErr("invalid_payload")
	}
	if resp := s.respondLocked(ru, body, "response_url"); resp != nil {
		return http.StatusOK, nil, resp
	}
	return http.StatusOK, nil, map[string]any{"ok": true}
}

// respondLocked applies a response_url body (or a slash command's ack payload) the way Slack
// does: delete_original, replace_original, or a new message that is ephemeral unless
// response_type is in_channel. It returns the Slack error answer, nil on success.
func (s *Server) respondLocked(ru *responseURL, body map[string]any, via string) map[string]any {
	truthy := func(k string) bool {
		switch v := body[k].(type) {
		case bool:
			return v
		case string:
			return v == "true"
		}
		return false
	}
	target, idx := s.findMessageLocked(ru.targetChannel, ru.targetTS)
	if truthy("delete_original") {
		if target == nil {
			return slackErr("message_not_found")
		}
		s.deleteMessageLocked(ru.targetChannel, idx)
		return nil
	}
	text, _ := body["text"].(string)
	c, errResp := s.parseContentLocked(text, body["blocks"], true)
	if errResp != nil {
		return errResp
	}
	if truthy("replace_original") && target != nil {
		s.updateMessageLocked(target, c)
		return nil
	}
	m := s.botMessage(ru.channel, c, via)
	if rt, _ := body["response_type"].(string); rt != "in_channel" {
		m.Ephemeral, m.VisibleTo = true, ru.user
	}
	if ts, _ := body["thread_ts"].(string); ts != "" {
		m.ThreadTS = ts
	}
	m = s.addMessageLocked(m)
	if ru.targetTS == "" || via == "ack" {
		// A slash command's later responses replace what it posted first.
		ru.targetChannel, ru.targetTS = m.Channel, m.TS
	}
	return nil
}
