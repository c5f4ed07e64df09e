package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
)

// useTriggerLocked checks a trigger_id the way views.open/push do and marks it used.
func (s *Server) useTriggerLocked(id string) (*trigger, string) {
	t := s.st.triggers[id]
	switch {
	case t == nil:
		return nil, "invalid_trigger_id"
	case t.used:
		return nil, "exchanged_trigger_id"
	case t.expired || s.nowLocked().Sub(t.issued) >= TriggerTTL:
		return nil, "expired_trigger_id"
	}
	return t, ""
}

// viewFromRequest decodes and validates the "view" argument.
func viewFromRequest(r *apiRequest) (map[string]any, map[string]any) {
	v, ok := r.body["view"].(map[string]any)
	if !ok {
		if str := r.param("view"); str != "" && json.Unmarshal([]byte(str), &v) == nil && v != nil {
			ok = true
		}
	}
	if !ok {
		return nil, slackErr("invalid_arguments")
	}
	if errs := validateView(v, "/view"); len(errs) > 0 {
		return nil, blocksErr(errs)
	}
	return v, nil
}

// storeViewLocked builds the stored view from the bot's request, adding the fields Slack adds.
func (s *Server) storeViewLocked(doc map[string]any, id, user, root, prev string) *viewState {
	if blocks, ok := doc["blocks"].([]any); ok {
		s.fillBlockIDsLocked(blocks)
	}
	if _, ok := doc["type"]; !ok {
		doc["type"] = "modal"
	}
	if root == "" {
		root = id
	}
	hash := fmt.Sprintf("%d.%s", s.nowLocked().Unix(), randomHex(6))
	doc["id"], doc["team_id"], doc["app_id"], doc["bot_id"] = id, TeamID, AppID, BotID
	doc["hash"], doc["root_view_id"], doc["previous_view_id"] = hash, root, nullable(prev)
	doc["app_installed_team_id"] = TeamID
	if _, ok := doc["state"]; !ok {
		doc["state"] = map[string]any{"values": map[string]any{}}
	}
	str := func(k string) string { v, _ := doc[k].(string); return v }
	raw, _ := json.Marshal(doc)
	vs := &viewState{doc: doc, View: View{
		ID: id, ExternalID: str("external_id"), User: user, Type: str("type"), CallbackID: str("callback_id"),
		PrivateMetadata: str("private_metadata"), Hash: hash, RootViewID: root, PreviousViewID: prev,
		Raw: raw, Open: true,
	}}
	s.st.views[id] = vs
	return vs
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) newViewIDLocked() string { return fmt.Sprintf("VFAKE%06d", s.nextSeqLocked()) }

func viewResponse(vs *viewState) map[string]any {
	return map[string]any{"ok": true, "view": json.RawMessage(vs.Raw)}
}

func (s *Server) viewsOpen(r *apiRequest) map[string]any {
	t, code := s.useTriggerLocked(r.param("trigger_id"))
	if code != "" {
		return slackErr(code)
	}
	doc, errResp := viewFromRequest(r)
	if errResp != nil {
		return errResp
	}
	t.used = true
	s.closeStackLocked(t.user, "replaced")
	vs := s.storeViewLocked(doc, s.newViewIDLocked(), t.user, "", "")
	s.st.stacks[t.user] = []string{vs.ID}
	s.emitViewLocked(EventViewOpened, vs)
	return viewResponse(vs)
}

func (s *Server) viewsPush(r *apiRequest) map[string]any {
	t, code := s.useTriggerLocked(r.param("trigger_id"))
	if code != "" {
		return slackErr(code)
	}
	doc, errResp := viewFromRequest(r)
	if errResp != nil {
		return errResp
	}
	t.used = true
	vs, code := s.pushViewLocked(t.user, doc)
	if code != "" {
		return slackErr(code)
	}
	return viewResponse(vs)
}

// pushViewLocked puts a new view on top of the user's open modal stack.
func (s *Server) pushViewLocked(user string, doc map[string]any) (*viewState, string) {
	stack := s.st.stacks[user]
	if len(stack) == 0 {
		return nil, "not_found"
	}
	if len(stack) >= MaxViewStack {
		return nil, "push_limit_reached"
	}
	top := stack[len(stack)-1]
	vs := s.storeViewLocked(doc, s.newViewIDLocked(), user, s.st.views[top].RootViewID, top)
	s.st.stacks[user] = append(stack, vs.ID)
	s.emitViewLocked(EventViewOpened, vs)
	return vs, ""
}

func (s *Server) viewsUpdate(r *apiRequest) map[string]any {
	id, ext := r.param("view_id"), r.param("external_id")
	var old *viewState
	if id != "" {
		old = s.st.views[id]
	} else if ext != "" {
		for _, v := range s.st.views {
			if v.ExternalID == ext && v.Open {
				old = v
			}
		}
	}
	if old == nil || !old.Open {
		return slackErr("not_found")
	}
	doc, errResp := viewFromRequest(r)
	if errResp != nil {
		return errResp
	}
	vs := s.replaceViewLocked(old, doc)
	return viewResponse(vs)
}

func (s *Server) replaceViewLocked(old *viewState, doc map[string]any) *viewState {
	vs := s.storeViewLocked(doc, old.ID, old.User, old.RootViewID, old.PreviousViewID)
	s.emitViewLocked(EventViewUpdated, vs)
	return vs
}

func (s *Server) viewsPublish(r *apiRequest) map[string]any {
	user := r.param("user_id")
	if user == "" {
		return slackErr("invalid_arguments")
	}
	doc, errResp := viewFromRequest(r)
	if errResp != nil {
		return errResp
	}
	id := ""
	for _, v := range s.st.views {
		if v.User == user && v.Type == "home" {
			id = v.ID
		}
	}
	if id == "" {
		id = s.newViewIDLocked()
	}
	doc["type"] = "home"
	vs := s.storeViewLocked(doc, id, user, "", "")
	s.emitViewLocked(EventViewUpdated, vs)
	return viewResponse(vs)
}

// closeViewLocked closes id and everything pushed on top of it.
func (s *Server) closeViewLocked(user, id, reason string) {
	stack := s.st.stacks[user]
	i := slices.Index(stack, id)
	if i < 0 {
		return
	}
	for j := len(stack) - 1; j >= i; j-- {
		if vs := s.st.views[stack[j]]; vs != nil {
			vs.Open = false
			s.emitViewLocked(EventViewClosed, vs, reason)
		}
	}
	s.st.stacks[user] = stack[:i]
	if i == 0 {
		delete(s.st.stacks, user)
	}
}

func (s *Server) closeStackLocked(user, reason string) {
	if stack := s.st.stacks[user]; len(stack) > 0 {
		s.closeViewLocked(user, stack[0], reason)
	}
}

func (s *Server) emitViewLocked(t EventType, vs *viewState, reason ...string) {
	v := vs.View
	ev := Event{Type: t, View: &v}
	if len(reason) > 0 {
		ev.Reason = reason[0]
	}
	s.emitLocked(ev)
}
