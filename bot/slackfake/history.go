package slackfake

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// parseMetadata reads chat.postMessage's metadata argument: a JSON object (a string in a form
// body) with a string event_type and an object event_payload. Slack answers
// invalid_metadata_format when it is not JSON and invalid_metadata_schema when it lacks them.
func parseMetadata(r *apiRequest) (json.RawMessage, string) {
	var v any
	if r.form != nil {
		raw := r.form.Get("metadata")
		if strings.TrimSpace(raw) == "" {
			return nil, ""
		}
		if json.Unmarshal([]byte(raw), &v) != nil {
			return nil, "invalid_metadata_format"
		}
	} else if v = r.body["metadata"]; v == nil {
		return nil, ""
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "invalid_metadata_format"
	}
	et, _ := m["event_type"].(string)
	payload, ok := m["event_payload"].(map[string]any)
	if et == "" && len(payload) == 0 {
		return nil, "" // slack-go sends an empty metadata object when none is set
	}
	if et == "" || !ok {
		return nil, "invalid_metadata_schema"
	}
	out, _ := json.Marshal(map[string]any{"event_type": et, "event_payload": payload})
	return out, ""
}

// historyMessage is a message as conversations.history and .replies return it: metadata only
// when include_all_metadata asks for it.
func historyMessage(m Message, withMeta bool) map[string]any {
	w := wireMessage(m)
	if withMeta && len(m.Metadata) > 0 {
		w["metadata"] = m.Metadata
	}
	if m.ThreadTS == m.TS {
		w["thread_ts"] = m.TS
	}
	return w
}

// window is the oldest/latest/inclusive/limit/cursor arguments both methods share.
type window struct {
	oldest, latest float64
	inclusive      bool
	limit, offset  int
	withMeta       bool
}

func readWindow(r *apiRequest) (window, string) {
	w := window{latest: 1e18, limit: 100}
	if v := r.param("oldest"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return w, "invalid_ts_oldest"
		}
		w.oldest = f
	}
	if v := r.param("latest"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return w, "invalid_ts_latest"
		}
		w.latest = f
	}
	w.inclusive = truthy(r.param("inclusive"))
	w.withMeta = truthy(r.param("include_all_metadata"))
	if v := r.param("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return w, "invalid_limit"
		}
		if n > 0 {
			w.limit = min(n, 999)
		}
	}
	if v := r.param("cursor"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "fk:"))
		if err != nil || !strings.HasPrefix(v, "fk:") || n < 0 {
			return w, "invalid_cursor"
		}
		w.offset = n
	}
	return w, ""
}

func truthy(v string) bool { return v == "1" || v == "true" }

func (w window) holds(ts string) bool {
	f, _ := strconv.ParseFloat(ts, 64)
	if w.inclusive {
		return f >= w.oldest && f <= w.latest
	}
	return f > w.oldest && f < w.latest
}

// page cuts list at the cursor and the limit, as Slack pages: has_more and a next_cursor.
func (w window) page(list []map[string]any, resp map[string]any) map[string]any {
	start := min(w.offset, len(list))
	end := min(start+w.limit, len(list))
	resp["ok"], resp["messages"], resp["has_more"] = true, list[start:end], end < len(list)
	next := ""
	if end < len(list) {
		next = "fk:" + strconv.Itoa(end)
	}
	resp["response_metadata"] = map[string]any{"next_cursor": next}
	return resp
}

// conversationsHistory lists a channel's top-level messages (thread replies are left out, as
// Slack does), newest first, within oldest..latest. The channel must be an id.
func (s *Server) conversationsHistory(r *apiRequest) map[string]any {
	ch := r.param("channel")
	if strings.HasPrefix(ch, "#") || !s.knownChannelLocked(ch) {
		return slackErr("channel_not_found")
	}
	w, code := readWindow(r)
	if code != "" {
		return slackErr(code)
	}
	var list []map[string]any
	for _, m := range slices.Backward(s.st.messages[ch]) {
		if m.Ephemeral || (m.ThreadTS != "" && m.ThreadTS != m.TS) || !w.holds(m.TS) {
			continue
		}
		list = append(list, historyMessage(*m, w.withMeta))
	}
	return w.page(list, map[string]any{"pin_count": 0})
}

// conversationsReplies lists a thread: its parent first, then the replies within
// oldest..latest, oldest first.
func (s *Server) conversationsReplies(r *apiRequest) map[string]any {
	ch, ts := r.param("channel"), r.param("ts")
	if strings.HasPrefix(ch, "#") || !s.knownChannelLocked(ch) {
		return slackErr("channel_not_found")
	}
	parent, _ := s.findMessageLocked(ch, ts)
	if parent == nil || parent.Ephemeral {
		return slackErr("thread_not_found")
	}
	w, code := readWindow(r)
	if code != "" {
		return slackErr(code)
	}
	list := []map[string]any{historyMessage(*parent, w.withMeta)}
	for _, m := range s.st.messages[ch] {
		if m.Ephemeral || m.ThreadTS != ts || m.TS == ts || !w.holds(m.TS) {
			continue
		}
		list = append(list, historyMessage(*m, w.withMeta))
	}
	return w.page(list, map[string]any{})
}
