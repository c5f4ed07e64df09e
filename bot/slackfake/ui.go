package slackfake

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The demo page: static assets (no build step, no CDN) and a small JSON/SSE API. Every click,
// submit and command the page sends goes through the same drivers the tests use (SlashCommand,
// ClickAction, SubmitView, CloseView), so the bot sees exactly what a real Slack would send.

//go:embed web
var webAssets embed.FS

// UIUser is someone the page can act as.
type UIUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"` // a label for the switch, e.g. "operator"
}

// UICommand is one entry of the composer's command list.
type UICommand struct {
	Usage    string `json:"usage"`   // e.g. "call <meeting>"
	Summary  string `json:"summary"` // one line
	Operator bool   `json:"operator,omitempty"`
}

// UIOptions configure the demo page.
type UIOptions struct {
	Channel     string // the channel the page shows; required
	ChannelName string // shown as #name; default: the Channels fixture's name or the id
	Command     string // the slash command; default "/cms"
	Title       string // the page title; default "NFMM demo"
	Users       []UIUser
	Commands    []UICommand
}

// uiEchoLimit bounds the remembered "you ran …" lines.
const uiEchoLimit = 200

// uiHeartbeat keeps idle event streams (and proxies between) from timing out.
const uiHeartbeat = 15 * time.Second

// uiMaxRequest bounds a request body from the page.
const uiMaxRequest = 64 << 10

// ErrUnknownUser is returned when the page names a user it may not act as.
var ErrUnknownUser = errors.New("slackfake: the page may not act as this user")

// UIEcho is a slash command typed on the page, shown to its author only (Slack shows the
// author nothing, but a demo reads better with it).
type UIEcho struct {
	User     string    `json:"user"`
	Text     string    `json:"text"`
	PostedAt time.Time `json:"posted_at"`
}

// UIState is what the page shows to one user: the channel's messages and the user's own
// ephemeral ones, in post order, and the top of the user's modal stack.
type UIState struct {
	Connected bool      `json:"connected"`
	User      string    `json:"user"`
	Messages  []Message `json:"messages"`
	Echoes    []UIEcho  `json:"echoes"`
	View      *View     `json:"view"`
	Now       time.Time `json:"now"`
}

type ui struct {
	s     *Server
	opts  UIOptions
	token string // per-run bearer token of the page API, handed out by /ui/config

	mu     sync.Mutex
	echoes []UIEcho
}

// MountUI serves the demo page on the fake's own listener: the page at /, its assets under
// /ui/static/, and its API under /ui/. It may be called once.
func (s *Server) MountUI(o UIOptions) error {
	if o.Channel == "" {
		return errors.New("slackfake: UIOptions.Channel is required")
	}
	if len(o.Users) == 0 {
		return errors.New("slackfake: UIOptions.Users is empty")
	}
	if o.Command == "" {
		o.Command = "/cms"
	}
	if o.Title == "" {
		o.Title = "NFMM demo"
	}
	if o.ChannelName == "" {
		o.ChannelName = s.channelName(o.Channel)
	}
	static, err := fs.Sub(webAssets, "web")
	if err != nil {
		return fmt.Errorf("slackfake: ui assets: %w", err)
	}
	token, err := randomToken()
	if err != nil {
		return err
	}
	u := &ui{s: s, opts: o, token: token}
	s.mu.Lock()
	s.uiToken = token
	s.mu.Unlock()
	routes := []struct {
		pattern string
		h       http.Handler
	}{
		{"GET /{$}", http.HandlerFunc(u.serveIndex)},
		{"GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static))},
		{"GET /ui/config", http.HandlerFunc(u.serveConfig)},
		{"GET /ui/state", http.HandlerFunc(u.serveState)},
		{"GET /ui/events", http.HandlerFunc(u.serveEvents)},
		{"POST /ui/command", http.HandlerFunc(u.serveCommand)},
		{"POST /ui/action", http.HandlerFunc(u.serveAction)},
		{"POST /ui/submit", http.HandlerFunc(u.serveSubmit)},
		{"POST /ui/close", http.HandlerFunc(u.serveClose)},
	}
	for _, r := range routes {
		if err := s.Handle(r.pattern, r.h); err != nil {
			return err
		}
	}
	return nil
}

// randomToken is 128 random bits, hex-encoded.
func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("slackfake: random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// UIToken is the page API's bearer token ("" before MountUI), for tests that drive the page
// API directly.
func (s *Server) UIToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uiToken
}

func (s *Server) channelName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channelNameLocked(id)
}

func (u *ui) serveIndex(w http.ResponseWriter, _ *http.Request) {
	page, err := webAssets.ReadFile("web/index.html")
	if err != nil {
		http.Error(w, "page missing", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(page)
}

func (u *ui) serveConfig(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, nil, map[string]any{
		"channel": u.opts.Channel, "channel_name": u.opts.ChannelName, "command": u.opts.Command,
		"title": u.opts.Title, "users": u.opts.Users, "commands": u.opts.Commands,
		"bot_user": BotUserID,
		// Only a same-origin page can read this (no CORS, and guard checks Host and Origin), so
		// another web page cannot learn the token the page API wants.
		"token": u.token,
	})
}

// user returns the user id if the page may act as it.
func (u *ui) user(id string) (string, error) {
	if slices.ContainsFunc(u.opts.Users, func(x UIUser) bool { return x.ID == id }) {
		return id, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownUser, id)
}

// State returns what the page shows to user.
func (u *ui) state(user string) UIState {
	snap := u.s.Snapshot()
	st := UIState{Connected: snap.Connected, User: user, Messages: []Message{}, Echoes: []UIEcho{}, Now: snap.Now}
	for _, m := range snap.Channels[u.opts.Channel] {
		if !m.Ephemeral || m.VisibleTo == user {
			st.Messages = append(st.Messages, m)
		}
	}
	if stack := snap.OpenViews[user]; len(stack) > 0 {
		top := stack[len(stack)-1]
		st.View = &top
	}
	u.mu.Lock()
	for _, e := range u.echoes {
		if e.User == user {
			st.Echoes = append(st.Echoes, e)
		}
	}
	u.mu.Unlock()
	return st
}

func (u *ui) serveState(w http.ResponseWriter, r *http.Request) {
	user, err := u.user(r.URL.Query().Get("user"))
	if err != nil {
		uiError(w, http.StatusForbidden, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, nil, u.state(user))
}

// uiRequest is every POST body of the page; each endpoint uses its own fields.
type uiRequest struct {
	User      string                    `json:"user"`
	Text      string                    `json:"text"`
	MessageTS string                    `json:"message_ts"`
	ViewID    string                    `json:"view_id"`
	BlockID   string                    `json:"block_id"`
	ActionID  string                    `json:"action_id"`
	Value     string                    `json:"value"`
	Values    map[string]map[string]any `json:"values"`
}

// decode reads a page request and checks who it acts as.
func (u *ui) decode(w http.ResponseWriter, r *http.Request) (uiRequest, bool) {
	var req uiRequest
	// Browsers send a cross-site form or text/plain POST without asking; application/json needs
	// a CORS preflight this server never grants, so another web page cannot click for you.
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) != "application/json" {
		uiError(w, http.StatusUnsupportedMediaType, errors.New("the page API takes application/json"))
		return req, false
	}
	if !u.authorized(w, r) {
		return req, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, uiMaxRequest+1))
	if err == nil && len(body) > uiMaxRequest {
		err = errors.New("request too large")
	}
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		uiError(w, http.StatusBadRequest, fmt.Errorf("bad request: %w", err))
		return req, false
	}
	if _, err := u.user(req.User); err != nil {
		uiError(w, http.StatusForbidden, err)
		return req, false
	}
	return req, true
}

// authorized checks the page API's bearer token.
func (u *ui) authorized(w http.ResponseWriter, r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(u.token)) != 1 {
		uiError(w, http.StatusUnauthorized, errors.New("the page API takes the token from /ui/config as a Bearer token"))
		return false
	}
	return true
}

func (u *ui) serveCommand(w http.ResponseWriter, r *http.Request) {
	req, ok := u.decode(w, r)
	if !ok {
		return
	}
	line := strings.TrimSpace(req.Text)
	cmd, text, _ := strings.Cut(line, " ")
	if !strings.EqualFold(cmd, u.opts.Command) {
		uiError(w, http.StatusBadRequest, fmt.Errorf("only %s commands work in this channel", u.opts.Command))
		return
	}
	env, err := u.s.SlashCommand(req.User, u.opts.Channel, u.opts.Command, strings.TrimSpace(text))
	if err != nil {
		uiError(w, http.StatusInternalServerError, err)
		return
	}
	u.mu.Lock()
	u.echoes = append(u.echoes, UIEcho{User: req.User, Text: line, PostedAt: u.s.Now()})
	if len(u.echoes) > uiEchoLimit {
		u.echoes = slices.Delete(u.echoes, 0, len(u.echoes)-uiEchoLimit)
	}
	u.mu.Unlock()
	writeJSON(w, http.StatusOK, nil, map[string]any{"ok": true, "envelope_id": env.ID})
}

func (u *ui) serveAction(w http.ResponseWriter, r *http.Request) {
	req, ok := u.decode(w, r)
	if !ok {
		return
	}
	c := Click{User: req.User, ViewID: req.ViewID, BlockID: req.BlockID, ActionID: req.ActionID, Value: req.Value}
	if req.ViewID == "" {
		c.Channel, c.MessageTS = u.opts.Channel, req.MessageTS
	}
	env, err := u.s.ClickAction(c)
	u.reply(w, env, err)
}

func (u *ui) serveSubmit(w http.ResponseWriter, r *http.Request) {
	req, ok := u.decode(w, r)
	if !ok {
		return
	}
	if v, found := u.s.View(req.ViewID); !found || v.User != req.User {
		uiError(w, http.StatusNotFound, fmt.Errorf("%w: %s", ErrViewNotFound, req.ViewID))
		return
	}
	env, err := u.s.SubmitView(req.ViewID, req.User, submittedValues(req.Values))
	u.reply(w, env, err)
}

func (u *ui) serveClose(w http.ResponseWriter, r *http.Request) {
	req, ok := u.decode(w, r)
	if !ok {
		return
	}
	if v, found := u.s.View(req.ViewID); !found || v.User != req.User {
		uiError(w, http.StatusNotFound, fmt.Errorf("%w: %s", ErrViewNotFound, req.ViewID))
		return
	}
	env, err := u.s.CloseView(req.ViewID, req.User)
	u.reply(w, env, err)
}

// submittedValues turns the page's JSON (strings, lists of strings, nulls) into what
// SubmitView takes; anything else is dropped rather than trusted.
func submittedValues(in map[string]map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for bid, actions := range in {
		for aid, v := range actions {
			var val any
			switch x := v.(type) {
			case string:
				val = x
			case []any:
				list := []string{}
				for _, e := range x {
					if str, ok := e.(string); ok {
						list = append(list, str)
					}
				}
				val = list
			default:
				continue
			}
			if out[bid] == nil {
				out[bid] = map[string]any{}
			}
			out[bid][aid] = val
		}
	}
	return out
}

func (u *ui) reply(w http.ResponseWriter, env Envelope, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, nil, map[string]any{"ok": true, "envelope_id": env.ID})
	case errors.Is(err, ErrMessageNotFound), errors.Is(err, ErrViewNotFound),
		errors.Is(err, ErrElementNotFound), errors.Is(err, ErrOptionNotFound):
		uiError(w, http.StatusNotFound, err)
	case errors.Is(err, ErrNotVisible):
		uiError(w, http.StatusForbidden, err)
	default:
		uiError(w, http.StatusBadRequest, err)
	}
}

func uiError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, nil, map[string]any{"ok": false, "error": err.Error()})
}

// uiRelevant reports whether a change alters what the page shows.
func uiRelevant(t EventType) bool {
	switch t {
	case EventMessagePosted, EventMessageUpdated, EventMessageDeleted, EventViewOpened, EventViewUpdated,
		EventViewClosed, EventEnvelopeSent, EventAck, EventConnected, EventDisconnected:
		return true
	}
	return false
}

// serveEvents streams "something changed" notices as server-sent events; the page then
// re-reads /ui/state. Notices carry no content, so one stream serves every user.
func (u *ui) serveEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	events, cancel := u.s.Subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, "retry: 1000\nevent: hello\ndata: {}\n\n")
	flusher.Flush()
	beat := time.NewTicker(uiHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-u.s.closing:
			return
		case <-beat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case ev, open := <-events:
			if !open {
				return
			}
			if !uiRelevant(ev.Type) {
				continue
			}
			data, _ := json.Marshal(map[string]any{"type": ev.Type, "reason": ev.Reason})
			fmt.Fprintf(w, "event: change\ndata: %s\n\n", data)
		}
		flusher.Flush()
	}
}
