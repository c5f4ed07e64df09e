package slackfake

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// tokenKind says which token a method wants, as Slack checks it.
type tokenKind int

const (
	botToken tokenKind = iota
	appToken
)

type apiRequest struct {
	method string
	form   url.Values     // form-encoded methods (token removed)
	body   map[string]any // JSON methods
	raw    []byte
	token  string
}

// param reads a string parameter from the form or the JSON body.
func (r *apiRequest) param(name string) string {
	if r.form != nil {
		return r.form.Get(name)
	}
	if v, ok := r.body[name].(string); ok {
		return v
	}
	return ""
}

// has reports whether the parameter was sent at all.
func (r *apiRequest) has(name string) bool {
	if r.form != nil {
		_, ok := r.form[name]
		return ok
	}
	_, ok := r.body[name]
	return ok
}

type apiMethod struct {
	token tokenKind
	fn    func(s *Server, r *apiRequest) map[string]any
}

func apiMethods() map[string]apiMethod {
	return map[string]apiMethod{
		"apps.connections.open": {appToken, (*Server).appsConnectionsOpen},
		"auth.test":             {botToken, (*Server).authTest},
		"chat.postMessage":      {botToken, (*Server).chatPostMessage},
		"chat.postEphemeral":    {botToken, (*Server).chatPostEphemeral},
		"chat.update":           {botToken, (*Server).chatUpdate},
		"chat.delete":           {botToken, (*Server).chatDelete},
		"views.open":            {botToken, (*Server).viewsOpen},
		"views.push":            {botToken, (*Server).viewsPush},
		"views.update":          {botToken, (*Server).viewsUpdate},
		"views.publish":         {botToken, (*Server).viewsPublish},
		"users.info":            {botToken, (*Server).usersInfo},
		"conversations.info":    {botToken, (*Server).conversationsInfo},
		"conversations.history": {botToken, (*Server).conversationsHistory},
		"conversations.replies": {botToken, (*Server).conversationsReplies},
		"usergroups.users.list": {botToken, (*Server).usergroupsUsersList},
	}
}

func slackErr(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

func blocksErr(errs []string) map[string]any {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = "[ERROR] " + e
	}
	return map[string]any{"ok": false, "error": "invalid_blocks", "errors": errs,
		"response_metadata": map[string]any{"messages": msgs}}
}

func (s *Server) serveAPI(w http.ResponseWriter, hr *http.Request) {
	req, perr := readAPIRequest(hr)
	s.mu.Lock()
	call := Call{Method: req.method, Form: req.form, At: s.nowLocked()}
	if req.form == nil && len(req.raw) > 0 {
		call.JSON = json.RawMessage(req.raw)
	}
	status, header, resp := s.dispatchLocked(req, perr)
	drop := s.dropAnswerLocked(req.method)
	if drop {
		call.Dropped = true
	}
	s.finishCallLocked(&call, status, resp)
	s.mu.Unlock()
	if drop {
		dropConnection(w)
		return
	}
	writeJSON(w, status, header, resp)
}

// dropConnection closes the connection without an answer: the client sees EOF or a reset after
// its request was handled, as when a timeout or a broken link loses Slack's answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // net/http closes the connection without writing a response
}

func (s *Server) dispatchLocked(req *apiRequest, perr string) (int, http.Header, map[string]any) {
	if status, h, resp, ok := s.faultLocked(req.method); ok {
		return status, h, resp
	}
	if status, h, resp, ok := s.rateLimitedLocked(req.method); ok {
		return status, h, resp
	}
	m, ok := apiMethods()[req.method]
	if !ok {
		s.log.Warn("unknown Web API method", "method", req.method)
		return http.StatusOK, nil, slackErr("unknown_method")
	}
	if perr != "" {
		return http.StatusOK, nil, slackErr(perr)
	}
	if code := s.checkTokenLocked(m.token, req.token); code != "" {
		return http.StatusOK, nil, slackErr(code)
	}
	return http.StatusOK, nil, m.fn(s, req)
}

func (s *Server) finishCallLocked(call *Call, status int, resp map[string]any) {
	call.Status = status
	if ok, _ := resp["ok"].(bool); !ok {
		call.Error, _ = resp["error"].(string)
		if errs, ok := resp["errors"].([]string); ok {
			call.Errors = errs
		}
	}
	call.Response, _ = json.Marshal(resp)
	s.st.calls = append(s.st.calls, *call)
	if call.Error != "" {
		s.log.Info("slack call rejected", "method", call.Method, "error", call.Error, "errors", call.Errors)
	}
	c := *call
	s.emitLocked(Event{Type: EventCall, Call: &c})
}

// readAPIRequest parses either encoding slack-go uses. A parse problem becomes the Slack error
// code to answer with, so the call is still recorded.
func readAPIRequest(hr *http.Request) (*apiRequest, string) {
	req := &apiRequest{method: strings.TrimPrefix(hr.URL.Path, "/api/")}
	if a := hr.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		req.token = strings.TrimPrefix(a, "Bearer ")
	}
	raw, err := io.ReadAll(io.LimitReader(hr.Body, maxBodyBytes))
	if err != nil {
		return req, "request_timeout"
	}
	req.raw = raw
	ct, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	if ct == "application/json" {
		req.body = map[string]any{}
		if len(raw) > 0 && json.Unmarshal(raw, &req.body) != nil {
			return req, "invalid_json"
		}
		return req, ""
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return req, "invalid_form_data"
	}
	for k, v := range hr.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	if t := form.Get("token"); t != "" && req.token == "" {
		req.token = t
	}
	form.Del("token") // never record a secret
	req.form = form
	return req, ""
}

func (s *Server) checkTokenLocked(kind tokenKind, tok string) string {
	if tok == "" {
		return "not_authed"
	}
	prefix, want := "xoxb-", s.opts.BotToken
	if kind == appToken {
		prefix, want = "xapp-", s.opts.AppToken
	}
	if !strings.HasPrefix(tok, prefix) || (want != "" && tok != want) {
		return "invalid_auth"
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, header http.Header, body any) {
	for k, v := range header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// Fail makes the next n calls of method (a Web API method, or "response_url") answer HTTP 429
// with Retry-After (whole seconds, rounded up), as Slack's rate limiter does.
func (s *Server) Fail(method string, n int, retryAfter time.Duration) {
	s.Inject(method, Fault{N: n, Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// Fault is an injected failure for the next N calls of a method: an HTTP status (with
// Retry-After for 429), or, with Status 0 or 200, a {"ok":false,"error":Error} answer.
// With DropAnswer the method runs as usual (a post is stored) but its answer never arrives:
// the connection closes after the request was handled.
type Fault struct {
	N          int
	Status     int
	RetryAfter time.Duration
	Error      string
	DropAnswer bool
}

// Inject installs f for method, replacing any earlier fault for it; N <= 0 removes it.
func (s *Server) Inject(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.N <= 0 {
		delete(s.st.faults, method)
		return
	}
	s.st.faults[method] = &fault{n: f.N, status: f.Status, retryAfter: f.RetryAfter, slackErr: f.Error, drop: f.DropAnswer}
}

// dropAnswerLocked uses up one DropAnswer fault of method, if one is installed.
func (s *Server) dropAnswerLocked(method string) bool {
	f := s.st.faults[method]
	if f == nil || !f.drop {
		return false
	}
	f.n--
	if f.n <= 0 {
		delete(s.st.faults, method)
	}
	return true
}

func (s *Server) faultLocked(method string) (int, http.Header, map[string]any, bool) {
	f := s.st.faults[method]
	if f == nil || f.drop {
		return 0, nil, nil, false
	}
	f.n--
	if f.n <= 0 {
		delete(s.st.faults, method)
	}
	switch {
	case f.status == http.StatusTooManyRequests:
		secs := int64((f.retryAfter + time.Second - 1) / time.Second)
		h := http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}
		return f.status, h, slackErr("ratelimited"), true
	case f.status != 0 && f.status != http.StatusOK:
		return f.status, nil, slackErr("fatal_error"), true
	default:
		code := f.slackErr
		if code == "" {
			code = "internal_error"
		}
		return http.StatusOK, nil, slackErr(code), true
	}
}

func (s *Server) appsConnectionsOpen(_ *apiRequest) map[string]any {
	ticket := randomHex(12)
	s.st.tickets[ticket] = true
	s.st.opens++
	u := strings.Replace(s.base, "http://", "ws://", 1) + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return map[string]any{"ok": true, "url": u}
}

func (s *Server) authTest(_ *apiRequest) map[string]any {
	return map[string]any{"ok": true, "url": "https://" + TeamDomain + ".slack.com/", "team": "NFMM Fake",
		"user": "nfmm", "team_id": TeamID, "user_id": BotUserID, "bot_id": BotID}
}

func (s *Server) usersInfo(r *apiRequest) map[string]any {
	id := r.param("user")
	u, ok := s.st.users[id]
	if !ok {
		return slackErr("user_not_found")
	}
	return map[string]any{"ok": true, "user": map[string]any{
		"id": id, "team_id": TeamID, "name": u.Name, "real_name": u.RealName, "tz": u.TZ,
		"is_bot": false, "profile": map[string]any{"real_name": u.RealName, "display_name": u.Name},
	}}
}

func (s *Server) conversationsInfo(r *apiRequest) map[string]any {
	id := r.param("channel")
	c, ok := s.st.channels[id]
	if !ok {
		return slackErr("channel_not_found")
	}
	return map[string]any{"ok": true, "channel": map[string]any{
		"id": id, "name": c.Name, "is_channel": !c.IsPrivate, "is_group": c.IsPrivate,
		"is_private": c.IsPrivate, "is_member": true, "context_team_id": TeamID,
	}}
}
