package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
)

// SubmitView sends a view_submission envelope for an open modal. values is
// block_id -> action_id -> value: a string for plain_text_input, static_select and radio_buttons
// (the option's value), users/conversations/channels selects, date and time pickers; []string
// for checkboxes and multi selects; or a map[string]any used verbatim as the state entry.
// Input elements without a value are sent empty, as Slack does. The ack's response_action is
// applied to the fake's view stack (errors, update, push, clear; none closes the view).
func (s *Server) SubmitView(viewID, user string, values map[string]map[string]any) (Envelope, error) {
	s.mu.Lock()
	payload, env, err := s.viewSubmissionLocked(viewID, user, values)
	s.mu.Unlock()
	if err != nil {
		return Envelope{}, err
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("slackfake: view_submission payload: %w", err)
	}
	env.Payload = raw
	return s.send(env, 0), nil
}

func (s *Server) viewSubmissionLocked(viewID, user string, values map[string]map[string]any) (map[string]any, *envelopeState, error) {
	vs := s.st.views[viewID]
	if vs == nil || !vs.Open {
		return nil, nil, fmt.Errorf("%w: %s", ErrViewNotFound, viewID)
	}
	if user == "" {
		user = vs.User
	}
	state, err := submissionState(vs.doc, values)
	if err != nil {
		return nil, nil, err
	}
	vs.doc["state"] = map[string]any{"values": state}
	vs.Raw, _ = json.Marshal(vs.doc)
	env := &envelopeState{submittedView: vs.ID, Envelope: Envelope{
		ID: s.newEnvelopeID(), Type: "interactive", PayloadType: "view_submission", ViewID: vs.ID,
	}}
	env.TriggerID = s.newTriggerLocked(user, "")
	payload := map[string]any{
		"type": "view_submission", "team": map[string]any{"id": TeamID, "domain": TeamDomain},
		"user": s.userObjLocked(user), "api_app_id": AppID, "token": verificationToken,
		"trigger_id": env.TriggerID, "view": json.RawMessage(vs.Raw), "response_urls": []any{},
		"enterprise": nil, "is_enterprise_install": false,
	}
	return payload, env, nil
}

// submissionState builds state.values: every input element, filled from values.
func submissionState(doc map[string]any, values map[string]map[string]any) (map[string]any, error) {
	out := map[string]any{}
	used := 0
	blocks, _ := doc["blocks"].([]any)
	for _, b := range blocks {
		bm, ok := b.(map[string]any)
		if !ok {
			continue
		}
		bid, _ := bm["block_id"].(string)
		for _, el := range blockElements(bm) {
			aid, _ := el["action_id"].(string)
			v, given := values[bid][aid]
			if !given && bm["type"] != "input" {
				continue
			}
			if given {
				used++
			}
			entry, err := stateEntry(el, v)
			if err != nil {
				return nil, fmt.Errorf("block %q action %q: %w", bid, aid, err)
			}
			if out[bid] == nil {
				out[bid] = map[string]any{}
			}
			out[bid].(map[string]any)[aid] = entry
		}
	}
	total := 0
	for _, m := range values {
		total += len(m)
	}
	if used != total {
		return nil, fmt.Errorf("%w: some submitted values name no element of the view", ErrElementNotFound)
	}
	return out, nil
}

func stateEntry(el map[string]any, v any) (map[string]any, error) {
	if raw, ok := v.(map[string]any); ok {
		return raw, nil
	}
	typ, _ := el["type"].(string)
	e := map[string]any{"type": typ}
	str, _ := v.(string)
	switch typ {
	case "static_select", "radio_buttons":
		e["selected_option"] = nil
		if v != nil {
			opt, err := findOption(el, str)
			if err != nil {
				return nil, err
			}
			e["selected_option"] = opt
		}
	case "checkboxes", "multi_static_select":
		sel := []any{}
		list, _ := v.([]string)
		for _, val := range list {
			opt, err := findOption(el, val)
			if err != nil {
				return nil, err
			}
			sel = append(sel, opt)
		}
		e["selected_options"] = sel
	case "users_select":
		e["selected_user"] = nullable(str)
	case "conversations_select":
		e["selected_conversation"] = nullable(str)
	case "channels_select":
		e["selected_channel"] = nullable(str)
	case "datepicker":
		e["selected_date"] = nullable(str)
	case "timepicker":
		e["selected_time"] = nullable(str)
	default: // plain_text_input, number_input, email/url inputs
		e["value"] = nullable(str)
	}
	return e, nil
}

// CloseView is the user closing a modal (and whatever was pushed on top of it). When the bot
// asked for notify_on_close, a view_closed envelope is sent and returned; otherwise the returned
// Envelope is empty.
func (s *Server) CloseView(viewID, user string) (Envelope, error) {
	s.mu.Lock()
	vs := s.st.views[viewID]
	if vs == nil || !vs.Open {
		s.mu.Unlock()
		return Envelope{}, fmt.Errorf("%w: %s", ErrViewNotFound, viewID)
	}
	if user == "" {
		user = vs.User
	}
	s.closeViewLocked(vs.User, vs.ID, "closed")
	notify, _ := vs.doc["notify_on_close"].(bool)
	if !notify {
		s.mu.Unlock()
		return Envelope{}, nil
	}
	payload := map[string]any{
		"type": "view_closed", "team": map[string]any{"id": TeamID, "domain": TeamDomain},
		"user": s.userObjLocked(user), "api_app_id": AppID, "token": verificationToken,
		"view": json.RawMessage(vs.Raw), "is_cleared": false,
		"enterprise": nil, "is_enterprise_install": false,
	}
	env := &envelopeState{Envelope: Envelope{
		ID: s.newEnvelopeID(), Type: "interactive", PayloadType: "view_closed", ViewID: vs.ID,
	}}
	s.mu.Unlock()
	raw, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("slackfake: view_closed payload: %w", err)
	}
	env.Payload = raw
	return s.send(env, 0), nil
}

// viewErrors reads a response_action "errors" map as Slack does: every key must be the block_id
// of an input block in the view, and every message non-empty text.
func viewErrors(doc map[string]any, raw any) (map[string]string, []string) {
	m, ok := raw.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, []string{"[ERROR] response_action errors needs a non-empty errors object [json-pointer:/errors]"}
	}
	inputs := map[string]bool{}
	blocks, _ := doc["blocks"].([]any)
	for _, b := range blocks {
		if bm, ok := b.(map[string]any); ok && bm["type"] == "input" {
			id, _ := bm["block_id"].(string)
			inputs[id] = true
		}
	}
	errs := map[string]string{}
	var problems []string
	for k, v := range m {
		msg, _ := v.(string)
		switch {
		case !inputs[k]:
			problems = append(problems, fmt.Sprintf("[ERROR] %q is not the block_id of an input block in the view [json-pointer:/errors/%s]", k, k))
		case msg == "":
			problems = append(problems, fmt.Sprintf("[ERROR] the error for %q must be non-empty text [json-pointer:/errors/%s]", k, k))
		default:
			errs[k] = msg
		}
	}
	slices.Sort(problems)
	return errs, problems
}
