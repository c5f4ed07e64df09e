package slackfake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Identity of the fake workspace. Payloads and responses use these, so tests can assert on them.
const (
	TeamID     = "TFAKE0001"
	TeamDomain = "nfmm-fake"
	AppID      = "AFAKEAPP01"
	BotUserID  = "UFAKEBOT01"
	BotID      = "BFAKEBOT01"
)

// Validity windows Slack documents (slack.md §3.3).
const (
	// TriggerTTL: "Pass a valid trigger_id within 3 seconds of receiving it".
	TriggerTTL = 3 * time.Second
	// ResponseURLTTL and ResponseURLMaxUses: "up to 5 times within 30 minutes".
	ResponseURLTTL     = 30 * time.Minute
	ResponseURLMaxUses = 5
	// MaxViewStack: views.push allows at most 2 views on top of the root.
	MaxViewStack = 3
)

const (
	defaultAddr         = "127.0.0.1:0"
	defaultPingInterval = 5 * time.Second
	maxBodyBytes        = 4 << 20
)

// ErrNotConnected is returned by drivers that need a live socket (Disconnect, DropConnection).
var ErrNotConnected = errors.New("slackfake: no socket-mode connection")

// User is a users.info fixture; the map key in Options.Users is the user id.
type User struct {
	Name     string `json:"name"`
	RealName string `json:"real_name"`
	TZ       string `json:"tz"`
}

// Channel is a conversations.info fixture; the map key in Options.Channels is the channel id.
type Channel struct {
	Name      string `json:"name"`
	IsPrivate bool   `json:"is_private"`
}

// Options configure a Server. The zero value is usable.
type Options struct {
	// Addr to listen on; default 127.0.0.1:0. Only loopback addresses are accepted.
	Addr string
	// Logger receives the fake's own log lines; default: discarded.
	Logger *slog.Logger
	// PingInterval between WebSocket PING frames; default 5 s (slack-go drops the socket after 30 s
	// without one).
	PingInterval time.Duration
	// Users and Channels are the users.info / conversations.info fixtures. When Channels is
	// non-empty, chat.* to a channel not in it (and not a user id) fails with channel_not_found.
	Users    map[string]User
	Channels map[string]Channel
	// UserGroups are the usergroups.users.list fixtures: user-group id (S…) -> member user ids.
	// SetUserGroup changes them at run time.
	UserGroups map[string][]string
	// Clock is the fake's notion of now, used for trigger_id and response_url expiry and message
	// timestamps; default time.Now. Advance adds an offset on top of it.
	Clock func() time.Time
	// BotToken and AppToken, when set, must match exactly; otherwise any xoxb- / xapp- token is
	// accepted.
	BotToken string
	AppToken string
	// AckTimeout, when positive, makes the fake redeliver an envelope that was not acked within
	// it, to another connection when there is one, with retry_attempt+1 and retry_reason
	// "timeout", as Slack retries deliveries. Zero: only Redeliver sends an envelope again.
	AckTimeout time.Duration
	// MaxRetries caps those redeliveries per envelope; default 3 (Slack's).
	MaxRetries int
	// Extra serves every path that is not /api/, /response/ or /link/ and not registered with
	// Handle (the demo's web page).
	Extra http.Handler
}

// Server is a running fake Slack. All methods are safe for concurrent use.
type Server struct {
	opts  Options
	log   *slog.Logger
	ln    net.Listener
	http  *http.Server
	base  string
	extra *http.ServeMux
	up    websocket.Upgrader

	wg        sync.WaitGroup
	closing   chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	st      state
	uiToken string // set by MountUI
}

// New starts a fake Slack listening on opts.Addr.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = defaultAddr
	}
	if err := checkLoopback(opts.Addr); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = defaultPingInterval
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 3
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("slackfake: listen %s: %w", opts.Addr, err)
	}
	s := &Server{
		opts:    opts,
		log:     opts.Logger.With("component", "slackfake"),
		ln:      ln,
		base:    "http://" + ln.Addr().String(),
		extra:   http.NewServeMux(),
		closing: make(chan struct{}),
		st:      newState(opts),
	}
	s.up = websocket.Upgrader{CheckOrigin: s.originAllowed}
	s.http = &http.Server{Handler: s.guard(s.routes()), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Go(func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve failed", "err", err)
		}
	})
	s.log.Info("fake slack listening", "url", s.base)
	return s, nil
}

// NewTest starts a fake for a test and closes it in t.Cleanup. The first opts, if any, is used.
func NewTest(t testing.TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("slackfake.New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("slackfake: bad address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("slackfake: address %q is not loopback", addr)
	}
	return nil
}

// URL is the server's base URL, http://127.0.0.1:PORT (no trailing slash).
func (s *Server) URL() string { return s.base }

// APIURL is the value for slack.OptionAPIURL: http://127.0.0.1:PORT/api/ (trailing slash).
func (s *Server) APIURL() string { return s.base + "/api/" }

// Handle registers an extra handler (e.g. the demo page) on the fake's own listener. Patterns
// use http.ServeMux syntax; /api/, /response/ and /link/ stay the fake's.
func (s *Server) Handle(pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("slackfake: handle %q: %v", pattern, r)
		}
	}()
	s.extra.Handle(pattern, h)
	return nil
}

// Close stops the server, drops every socket and ends every Subscribe channel. It waits for the
// fake's goroutines; it is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if s.http.Shutdown(ctx) != nil {
			// Shutdown leaves open what did not finish in time, and a connection a client
			// dialed but never used (net/http counts it idle only at 5 s old): close them, or
			// they outlive the fake until the 10 s ReadHeaderTimeout.
			_ = s.http.Close()
		}
		s.mu.Lock()
		s.st.closed = true
		conns := s.st.conns
		s.st.conns = nil
		for _, env := range s.st.envelopes {
			if env.timer != nil {
				env.timer.Stop()
			}
		}
		s.closeSubscribersLocked()
		s.mu.Unlock()
		for _, c := range conns {
			c.close()
		}
		s.wg.Wait()
	})
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/response/", s.serveResponseURL)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("/", s.serveExtra)
	return mux
}

// guard refuses, on every route, a request whose Host is not this server's own address (a
// DNS-rebinding page reaches 127.0.0.1 under its own name) or that comes from another web
// origin (a cross-site form or fetch carries the page's Origin). slack-go and test clients
// send no Origin; the demo page's own requests carry this server's.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			s.log.Warn("refused a request for another host name", "host", r.Host, "path", r.URL.Path)
			http.Error(w, "slackfake: unknown Host", http.StatusMisdirectedRequest)
			return
		}
		if !s.originAllowed(r) {
			s.log.Warn("refused a cross-origin request", "origin", r.Header.Get("Origin"), "path", r.URL.Path)
			http.Error(w, "slackfake: cross-origin requests are refused", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed accepts the listener's own host:port under the loopback names it answers to.
func (s *Server) hostAllowed(host string) bool {
	_, port, err := net.SplitHostPort(s.ln.Addr().String())
	if err != nil {
		return false
	}
	switch host {
	case "127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port:
		return true
	}
	return false
}

// slackGoOrigin is the Origin slack-go's socket-mode client sends when it dials; a browser
// page can only send it if api.slack.com served the page.
const slackGoOrigin = "https://api.slack.com"

// originAllowed accepts a request without Origin, with this server's own, or slack-go's.
func (s *Server) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == slackGoOrigin {
		return true
	}
	host, ok := strings.CutPrefix(o, "http://")
	return ok && s.hostAllowed(host)
}

func (s *Server) serveExtra(w http.ResponseWriter, r *http.Request) {
	if h, pattern := s.extra.Handler(r); pattern != "" {
		h.ServeHTTP(w, r)
		return
	}
	if s.opts.Extra != nil {
		s.opts.Extra.ServeHTTP(w, r)
		return
	}
	http.NotFound(w, r)
}

// now is the fake's clock (Options.Clock plus Advance offsets). Caller holds mu.
func (s *Server) nowLocked() time.Time { return s.opts.Clock().Add(s.st.offset) }

// Now returns the fake's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

// Advance moves the fake's clock forward (trigger_id and response_url expiry tests).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.offset += d
	s.changedLocked()
}

// ExpireTriggers makes every trigger_id issued so far unusable (expired_trigger_id).
func (s *Server) ExpireTriggers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.st.triggers {
		t.expired = true
	}
}

func userName(id string, users map[string]User) string {
	if u, ok := users[id]; ok && u.Name != "" {
		return u.Name
	}
	return strings.ToLower(id)
}
