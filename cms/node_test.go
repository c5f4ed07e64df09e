package cms

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testPassword = "s3cr3t-PW-never-shown"

// newTestNode starts h on loopback and returns a node for it with fast retries.
func newTestNode(t *testing.T, h http.Handler, mod ...func(*NodeConfig)) (*Node, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := NodeConfig{Name: "cb1", BaseURL: srv.URL, Username: "api", Password: testPassword}
	for _, m := range mod {
		m(&cfg)
	}
	n, err := NewNode(cfg)
	if err != nil {
		t.Fatalf("NewNode: %v", err)
	}
	n.retry.base, n.retry.max = time.Millisecond, 4*time.Millisecond
	return n, srv
}

// pagedLegServer serves /api/v1/callLegs from a mutable list, capping every page at pageCap
// whatever limit says, like CMS.
type pagedLegServer struct {
	mu       sync.Mutex
	ids      []string
	pageCap  func(offset int) int
	onPage   func(ls *pagedLegServer, offset int) // runs after a page is cut, under mu
	requests int
}

func (ls *pagedLegServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.requests++
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	n := ls.pageCap(offset)
	if limit > 0 && limit < n {
		n = limit
	}
	end := min(offset+n, len(ls.ids))
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><callLegs total="%d">`, len(ls.ids))
	for i := offset; i < end; i++ {
		fmt.Fprintf(&b, `<callLeg id="%s"><name>n%s</name></callLeg>`, ls.ids[i], ls.ids[i])
	}
	b.WriteString("</callLegs>")
	if ls.onPage != nil {
		ls.onPage(ls, offset)
	}
	io.WriteString(w, b.String())
}

func pageIDs(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s%03d", prefix, i))
	}
	return out
}

func TestPaging(t *testing.T) {
	tests := []struct {
		name    string
		initial []string
		pageCap func(int) int
		onPage  func(ls *pagedLegServer, offset int)
		want    []string
	}{
		{"single page", pageIDs("a", 0, 7), func(int) int { return 10 }, nil, pageIDs("a", 0, 7)},
		{"empty", nil, func(int) int { return 10 }, nil, nil},
		{"exact multiple", pageIDs("a", 0, 40), func(int) int { return 10 }, nil, pageIDs("a", 0, 40)},
		{"cap of 20", pageIDs("a", 0, 45), func(int) int { return 20 }, nil, pageIDs("a", 0, 45)},
		{"server returns fewer than asked mid-list", pageIDs("a", 0, 35),
			func(off int) int {
				if off == 10 {
					return 4
				}
				return 10
			}, nil, pageIDs("a", 0, 35)},
		{"total grows after the first page", pageIDs("a", 0, 25), func(int) int { return 10 },
			func(ls *pagedLegServer, off int) {
				if off == 0 {
					ls.ids = append(ls.ids, pageIDs("b", 0, 13)...)
				}
			}, append(pageIDs("a", 0, 25), pageIDs("b", 0, 13)...)},
		{"items inserted at the front while paging", pageIDs("a", 0, 30), func(int) int { return 10 },
			func(ls *pagedLegServer, off int) {
				if off == 0 {
					ls.ids = append([]string{"front"}, ls.ids...)
				}
			}, pageIDs("a", 0, 30)}, // an insert before the current offset is invisible to offset paging
		{"total shrinks", pageIDs("a", 0, 30), func(int) int { return 10 },
			func(ls *pagedLegServer, off int) {
				if off == 0 {
					ls.ids = ls.ids[:25]
				}
			}, pageIDs("a", 0, 25)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := &pagedLegServer{ids: tt.initial, pageCap: tt.pageCap, onPage: tt.onPage}
			n, _ := newTestNode(t, ls)
			legs, err := n.AllCallLegs(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range legs {
				got = append(got, l.ID)
				if l.Name != "n"+l.ID {
					t.Errorf("leg %s name %q", l.ID, l.Name)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// The concurrent page fetch reaches, and never exceeds, MaxConcurrency.
func TestPagingRespectsMaxConcurrency(t *testing.T) {
	const limit = 2
	var inFlight, peak atomic.Int32
	reached := make(chan struct{})
	var once sync.Once
	ls := &pagedLegServer{ids: pageIDs("a", 0, 95), pageCap: func(int) int { return 10 }}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		if r.URL.Query().Get("offset") != "" {
			// Hold every later page until the limit is reached, so the test proves the fan-out
			// is concurrent rather than hoping the scheduler overlaps requests.
			if cur >= limit {
				once.Do(func() { close(reached) })
			}
			select {
			case <-reached:
			case <-time.After(5 * time.Second):
			}
		}
		ls.ServeHTTP(w, r)
	})
	n, _ := newTestNode(t, h, func(c *NodeConfig) { c.MaxConcurrency = limit })
	legs, err := n.AllCallLegs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(legs) != 95 {
		t.Errorf("got %d legs, want 95", len(legs))
	}
	select {
	case <-reached:
	default:
		t.Errorf("pages never overlapped: peak in flight %d", peak.Load())
	}
	if p := peak.Load(); p > limit {
		t.Errorf("peak in flight %d > MaxConcurrency %d", p, limit)
	}
}

func TestBasicAuthAndObserve(t *testing.T) {
	var stats []RequestStat
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "api" || p != testPassword {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, `<status><softwareVersion>3.8</softwareVersion><uptimeSeconds>5</uptimeSeconds></status>`)
	})
	n, _ := newTestNode(t, h, func(c *NodeConfig) {
		c.Observe = func(s RequestStat) { mu.Lock(); stats = append(stats, s); mu.Unlock() }
	})
	st, err := n.SystemStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.SoftwareVersion != "3.8" || st.UptimeSeconds != 5 {
		t.Errorf("status = %+v", st)
	}
	want := RequestStat{Node: "cb1", Method: "GET", Path: "/api/v1/system/status", Status: 200}
	if len(stats) != 1 {
		t.Fatalf("observed %d requests, want 1", len(stats))
	}
	got := stats[0]
	got.Duration = 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stat = %+v, want %+v", got, want)
	}
}

func TestAuthErrorNamesNode(t *testing.T) {
	for _, status := range []int{401, 403} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var calls atomic.Int32
			n, _ := newTestNode(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("WWW-Authenticate", `Basic realm="acano"`)
				w.WriteHeader(status)
			}))
			_, err := n.Calls(context.Background())
			var ae *AuthError
			if !errors.As(err, &ae) || ae.Node != "cb1" || ae.Status != status {
				t.Fatalf("err = %#v, want *AuthError for cb1", err)
			}
			if !errors.Is(err, ErrAuth) || errors.Is(err, ErrUnavailable) {
				t.Errorf("errors.Is mismatch for %v", err)
			}
			if !strings.Contains(err.Error(), `"cb1"`) || !strings.Contains(err.Error(), "/api/v1/calls") {
				t.Errorf("message %q does not name the node and path", err)
			}
			if calls.Load() != 1 {
				t.Errorf("auth failure retried: %d requests", calls.Load())
			}
		})
	}
}

// statusSequence answers the given statuses in order, then 200 with body.
func statusSequence(body string, statuses ...int) (http.Handler, *atomic.Int32) {
	var calls atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(calls.Add(1)) - 1
		if i < len(statuses) {
			w.WriteHeader(statuses[i])
			return
		}
		w.Header().Set("Location", "/api/v1/callLegs/new-leg")
		io.WriteString(w, body)
	}), &calls
}

func TestRetries(t *testing.T) {
	const body = `<cluster><uniqueName>cb1</uniqueName></cluster>`
	tests := []struct {
		name      string
		statuses  []int
		op        func(n *Node) error
		wantCalls int32
		wantErr   error
	}{
		{"GET 503 burst then success", []int{503, 503}, func(n *Node) error {
			_, err := n.ClusterConfig(context.Background())
			return err
		}, 3, nil},
		{"GET 503 forever", []int{503, 503, 503, 503}, func(n *Node) error {
			_, err := n.ClusterConfig(context.Background())
			return err
		}, 3, ErrUnavailable},
		{"PUT 502 then success", []int{502}, func(n *Node) error {
			return n.UpdateCall(context.Background(), "c1", CallUpdate{Locked: Set(true)})
		}, 2, nil},
		{"DELETE 504 then success", []int{504}, func(n *Node) error {
			return n.DeleteCallLeg(context.Background(), "l1")
		}, 2, nil},
		{"POST 503 not retried", []int{503}, func(n *Node) error {
			_, err := n.AddCallLeg(context.Background(), "c1", "sip:x@y")
			return err
		}, 1, ErrUnavailable},
		{"GET 500 not retried", []int{500}, func(n *Node) error {
			_, err := n.Calls(context.Background())
			return err
		}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, calls := statusSequence(body, tt.statuses...)
			n, _ := newTestNode(t, h)
			err := tt.op(n)
			switch {
			case tt.wantErr == nil && tt.name == "GET 500 not retried":
				var ae *APIError
				if !errors.As(err, &ae) || ae.Status != 500 {
					t.Errorf("err = %v, want *APIError 500", err)
				}
			case tt.wantErr == nil && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("%d requests, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestNetworkErrorRetriedAndNamed(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more
	n, err := NewNode(NodeConfig{Name: "cb9", BaseURL: addr, Username: "u", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	n.retry.base = time.Millisecond
	var attempts atomic.Int32
	n.cfg.Observe = func(RequestStat) { attempts.Add(1) }
	_, err = n.Calls(context.Background())
	var te *TransportError
	if !errors.As(err, &te) || te.Node != "cb9" || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want *TransportError for cb9", err)
	}
	if attempts.Load() != 3 {
		t.Errorf("%d attempts, want 3", attempts.Load())
	}
	if strings.Contains(err.Error(), addr) {
		t.Errorf("message repeats the URL: %q", err)
	}
}

func TestMalformedResponse(t *testing.T) {
	tests := []struct {
		name string
		body string
		op   func(n *Node) error
	}{
		{"garbage list", "<<<", func(n *Node) error { _, err := n.Calls(context.Background()); return err }},
		{"truncated list", `<calls total="3"><call id="a">`, func(n *Node) error { _, err := n.Calls(context.Background()); return err }},
		{"wrong root", `<callLeg id="a"/>`, func(n *Node) error { _, err := n.Call(context.Background(), "a"); return err }},
		{"empty body", "", func(n *Node) error { _, err := n.SystemStatus(context.Background()); return err }},
		{"html", "<html><body>Oops</body></html>", func(n *Node) error { _, err := n.Participant(context.Background(), "p"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, _ := newTestNode(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, tt.body)
			}))
			err := tt.op(n)
			var te *TransportError
			if !errors.As(err, &te) || !errors.Is(err, ErrMalformedResponse) || errors.Is(err, ErrUnavailable) {
				t.Errorf("err = %v, want a malformed-response TransportError", err)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	n, _ := newTestNode(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}), func(c *NodeConfig) { c.Timeout = 50 * time.Millisecond })
	_, err := n.CallLeg(context.Background(), "slow")
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a timeout TransportError", err)
	}
	if !strings.Contains(err.Error(), `"cb1"`) {
		t.Errorf("message %q does not name the node", err)
	}
	if calls.Load() != 1 {
		t.Errorf("timed-out request retried: %d calls", calls.Load())
	}
}

func TestCallerCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	n, _ := newTestNode(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		cancel()
		w.WriteHeader(503)
	}))
	n.retry.base, n.retry.max = time.Hour, time.Hour // a backoff that ignored ctx would hang
	_, err := n.Calls(ctx)
	if !errors.Is(err, ErrUnavailable) || calls.Load() != 1 {
		t.Errorf("err = %v after %d calls", err, calls.Load())
	}
}

func TestFailureDetailsAndNotFound(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   []error
		reason string
	}{
		{"leg gone 400", 400, `<?xml version="1.0"?><failureDetails><callLegDoesNotExist /></failureDetails>`,
			[]error{ErrCallLegNotFound, ErrNotFound}, "callLegDoesNotExist"},
		{"leg gone 404", 404, `<failureDetails><callLegDoesNotExist/></failureDetails>`,
			[]error{ErrCallLegNotFound, ErrNotFound}, "callLegDoesNotExist"},
		{"404 without body", 404, "", []error{ErrNotFound}, ""},
		{"failure on 200", 200, `<failureDetails><callDoesNotExist/></failureDetails>`,
			[]error{ErrCallNotFound, ErrNotFound}, "callDoesNotExist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, _ := newTestNode(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			_, err := n.CallLeg(context.Background(), "x")
			var ae *APIError
			if !errors.As(err, &ae) || ae.Reason != tt.reason || ae.Node != "cb1" ||
				ae.Method != "GET" || ae.Path != "/api/v1/callLegs/x" {
				t.Fatalf("err = %#v", err)
			}
			for _, s := range tt.want {
				if !errors.Is(err, s) {
					t.Errorf("%v not Is %v", err, s)
				}
			}
		})
	}
}

func TestParameterErrorDetails(t *testing.T) {
	n, _ := newTestNode(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `<failureDetails><parameterError parameter="chosenLayout" error="invalidValue" /></failureDetails>`)
	}))
	err := n.UpdateCallLeg(context.Background(), "l1", LegUpdate{ChosenLayout: Set("bogus")})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Parameter != "chosenLayout" || ae.ParamError != "invalidValue" || !errors.Is(err, ErrParameter) {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "chosenLayout") || !strings.Contains(err.Error(), "PUT /api/v1/callLegs/l1") {
		t.Errorf("message %q lacks the parameter or operation", err)
	}
}

// reqRecorder captures what the node sent.
type reqRecorder struct {
	mu   sync.Mutex
	reqs []recordedReq
	loc  string
}

type recordedReq struct {
	Method, URI, ContentType string
	Form                     url.Values
}

func (rc *reqRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recordedReq{r.Method, r.RequestURI, r.Header.Get("Content-Type"), form})
	rc.mu.Unlock()
	if r.Method == http.MethodPost {
		w.Header().Set("Location", rc.loc)
	}
	if r.Method == http.MethodGet {
		io.WriteString(w, `<participants total="0"></participants>`)
	}
}

func TestWrites(t *testing.T) {
	const formCT = "application/x-www-form-urlencoded"
	tests := []struct {
		name string
		op   func(n *Node) error
		want []recordedReq
	}{
		{"mute rx audio", func(n *Node) error {
			return n.UpdateCallLeg(context.Background(), "l1", LegUpdate{RxAudioMute: Set(true)})
		}, []recordedReq{{"PUT", "/api/v1/callLegs/l1", formCT, url.Values{"rxAudioMute": {"true"}}}}},
		{"every leg field", func(n *Node) error {
			return n.UpdateCallLeg(context.Background(), "l1", LegUpdate{RxAudioMute: Set(false),
				TxAudioMute: Set(true), RxVideoMute: Unset[bool](), TxVideoMute: Set(false), ChosenLayout: Set("stacked")})
		}, []recordedReq{{"PUT", "/api/v1/callLegs/l1", formCT, url.Values{"rxAudioMute": {"false"},
			"txAudioMute": {"true"}, "rxVideoMute": {""}, "txVideoMute": {"false"}, "chosenLayout": {"stacked"}}}}},
		{"unset layout", func(n *Node) error {
			return n.UpdateCallLeg(context.Background(), "l1", LegUpdate{ChosenLayout: Unset[string]()})
		}, []recordedReq{{"PUT", "/api/v1/callLegs/l1", formCT, url.Values{"chosenLayout": {""}}}}},
		{"empty leg update sends nothing", func(n *Node) error {
			return n.UpdateCallLeg(context.Background(), "l1", LegUpdate{})
		}, nil},
		{"importance", func(n *Node) error {
			return n.UpdateParticipant(context.Background(), "p1", ParticipantUpdate{Importance: Set(5)})
		}, []recordedReq{{"PUT", "/api/v1/participants/p1", formCT, url.Values{"importance": {"5"}}}}},
		{"unset importance", func(n *Node) error {
			return n.UpdateParticipant(context.Background(), "p1", ParticipantUpdate{Importance: Unset[int]()})
		}, []recordedReq{{"PUT", "/api/v1/participants/p1", formCT, url.Values{"importance": {""}}}}},
		{"empty participant update sends nothing", func(n *Node) error {
			return n.UpdateParticipant(context.Background(), "p1", ParticipantUpdate{})
		}, nil},
		{"lock and join muted", func(n *Node) error {
			return n.UpdateCall(context.Background(), "c1", CallUpdate{Locked: Set(true), JoinAudioMuteOverride: Set(true)})
		}, []recordedReq{{"PUT", "/api/v1/calls/c1", formCT, url.Values{"locked": {"true"}, "joinAudioMuteOverride": {"true"}}}}},
		{"unset join mute", func(n *Node) error {
			return n.UpdateCall(context.Background(), "c1", CallUpdate{JoinAudioMuteOverride: Unset[bool]()})
		}, []recordedReq{{"PUT", "/api/v1/calls/c1", formCT, url.Values{"joinAudioMuteOverride": {""}}}}},
		{"empty call update sends nothing", func(n *Node) error {
			return n.UpdateCall(context.Background(), "c1", CallUpdate{})
		}, nil},
		{"delete leg", func(n *Node) error {
			return n.DeleteCallLeg(context.Background(), "l1")
		}, []recordedReq{{"DELETE", "/api/v1/callLegs/l1", "", url.Values{}}}},
		{"participants without filter", func(n *Node) error {
			_, err := n.CallParticipants(context.Background(), "c1", "")
			return err
		}, []recordedReq{{"GET", "/api/v1/calls/c1/participants", "", url.Values{}}}},
		{"participants with filter", func(n *Node) error {
			_, err := n.CallParticipants(context.Background(), "c1", "cb-id-1")
			return err
		}, []recordedReq{{"GET", "/api/v1/calls/c1/participants?callBridgeFilter=cb-id-1", "", url.Values{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &reqRecorder{}
			n, _ := newTestNode(t, rc)
			if err := tt.op(n); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rc.reqs, tt.want) {
				t.Errorf("sent %+v\nwant %+v", rc.reqs, tt.want)
			}
		})
	}
}

func TestAddCallLegLocation(t *testing.T) {
	tests := []struct {
		loc     string
		want    string
		wantErr error
	}{
		{"/api/v1/callLegs/9f003b66-0539-4513-b609-ed0d93d09781", "9f003b66-0539-4513-b609-ed0d93d09781", nil},
		{"/api/v1/callLegs/ 70ca0ed7-4e50-428c-b9ab-4e68faeb86ae", "70ca0ed7-4e50-428c-b9ab-4e68faeb86ae", nil},
		{" https://cms.example:445/api/v1/callLegs/abc ", "abc", nil},
		{"", "", ErrMalformedResponse},
		{"/api/v1/callLegs/", "", ErrMalformedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.loc, func(t *testing.T) {
			rc := &reqRecorder{loc: tt.loc}
			n, _ := newTestNode(t, rc)
			got, err := n.AddCallLeg(context.Background(), "c1", "desk.ex90@tkratzke.local")
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Fatalf("AddCallLeg = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			want := []recordedReq{{"POST", "/api/v1/calls/c1/callLegs", "application/x-www-form-urlencoded",
				url.Values{"remoteParty": {"desk.ex90@tkratzke.local"}}}}
			if !reflect.DeepEqual(rc.reqs, want) {
				t.Errorf("sent %+v", rc.reqs)
			}
		})
	}
}

// Ids a user typed can never leave their collection or hit another endpoint.
func TestPathEscaping(t *testing.T) {
	tests := []struct {
		id      string
		wantURI string
	}{
		{"../x", "/api/v1/callLegs/..%2Fx"},
		{"a/b", "/api/v1/callLegs/a%2Fb"},
		{"%2e", "/api/v1/callLegs/%252e"},
		{"..", "/api/v1/callLegs/%2E%2E"},
		{".", "/api/v1/callLegs/%2E"},
		{"a?b#c", "/api/v1/callLegs/a%3Fb%23c"},
		{"x y", "/api/v1/callLegs/x%20y"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			rc := &reqRecorder{}
			n, _ := newTestNode(t, rc)
			_ = n.DeleteCallLeg(context.Background(), tt.id)
			if len(rc.reqs) != 1 || rc.reqs[0].URI != tt.wantURI {
				t.Fatalf("sent %+v, want URI %s", rc.reqs, tt.wantURI)
			}
			seg := strings.TrimPrefix(rc.reqs[0].URI, "/api/v1/callLegs/")
			if back, err := url.PathUnescape(seg); err != nil || back != tt.id {
				t.Errorf("segment %q unescapes to %q, want %q", seg, back, tt.id)
			}
		})
	}
}

func TestEmptyIDsSendNothing(t *testing.T) {
	rc := &reqRecorder{}
	n, _ := newTestNode(t, rc)
	ctx := context.Background()
	errs := []error{
		n.DeleteCallLeg(ctx, ""),
		n.UpdateCallLeg(ctx, " ", LegUpdate{RxAudioMute: Set(true)}),
		func() error { _, err := n.CallLeg(ctx, ""); return err }(),
		func() error { _, err := n.CallLegs(ctx, ""); return err }(),
		func() error { _, err := n.AddCallLeg(ctx, "", "x"); return err }(),
		func() error { _, err := n.AddCallLeg(ctx, "c1", " "); return err }(),
	}
	for i, err := range errs {
		if !errors.Is(err, ErrParameter) {
			t.Errorf("case %d: err = %v, want ErrParameter", i, err)
		}
	}
	if len(rc.reqs) != 0 {
		t.Errorf("sent %+v", rc.reqs)
	}
}

func TestNewNodeConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	tests := []struct {
		name string
		cfg  NodeConfig
		ok   bool
	}{
		{"https", NodeConfig{Name: "cb1", BaseURL: "https://cms.example:445"}, true},
		{"http emulator", NodeConfig{Name: "cb1", BaseURL: "http://127.0.0.1:8080/"}, true},
		{"ftp", NodeConfig{Name: "cb1", BaseURL: "ftp://cms.example"}, false},
		{"no host", NodeConfig{Name: "cb1", BaseURL: "https://"}, false},
		{"garbage", NodeConfig{Name: "cb1", BaseURL: "::not a url"}, false},
		{"missing CA file", NodeConfig{Name: "cb1", BaseURL: "https://h", CAFile: filepath.Join(dir, "nope.pem")}, false},
		{"CA file without PEM", NodeConfig{Name: "cb1", BaseURL: "https://h", CAFile: bad}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := NewNode(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("NewNode err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), `"cb1"`) {
				t.Errorf("error %q does not name the node", err)
			}
			if n != nil && (n.timeout != defaultTimeout || cap(n.sem) != defaultConcurrency) {
				t.Errorf("defaults not applied: %v %d", n.timeout, cap(n.sem))
			}
		})
	}
}

func TestTLSTrust(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<cluster><uniqueName>cb1</uniqueName></cluster>`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case's handshake failure is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  NodeConfig
		ok   bool
	}{
		{"untrusted", NodeConfig{}, false},
		{"CA file", NodeConfig{CAFile: caFile}, true},
		{"insecure opt-in", NodeConfig{InsecureSkipVerify: true}, true},
		{"HTTPClient override", NodeConfig{HTTPClient: srv.Client()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Name, cfg.BaseURL, cfg.Password = "cb1", srv.URL, testPassword
			n, err := NewNode(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tr, ok := n.client.Transport.(*http.Transport); ok && tt.cfg.HTTPClient == nil {
				if tr.TLSClientConfig.MinVersion < tls.VersionTLS12 {
					t.Errorf("MinVersion %x", tr.TLSClientConfig.MinVersion)
				}
			}
			cc, err := n.ClusterConfig(context.Background())
			if tt.ok && (err != nil || cc.UniqueName != "cb1") {
				t.Errorf("ClusterConfig = %+v, %v", cc, err)
			}
			if !tt.ok && !errors.Is(err, ErrUnavailable) {
				t.Errorf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

// No error a node can produce carries the password or the Authorization header value.
func TestNoPasswordInErrors(t *testing.T) {
	authValue := base64.StdEncoding.EncodeToString([]byte("api:" + testPassword))
	handlers := map[string]http.HandlerFunc{
		"401": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) },
		"503": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
		"404": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) },
		"500 echoing auth": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			io.WriteString(w, r.Header.Get("Authorization"))
		},
		"failure": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			io.WriteString(w, `<failureDetails><parameterError parameter="x" error="invalidValue"/></failureDetails>`)
		},
		"malformed echoing auth": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<calls>"+r.Header.Get("Authorization"))
		},
		"hang": func(w http.ResponseWriter, r *http.Request) {
			// The server only notices the client leaving once the body has been read.
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		},
		"no location": func(w http.ResponseWriter, r *http.Request) {},
	}
	var errs []error
	for name, h := range handlers {
		n, _ := newTestNode(t, h, func(c *NodeConfig) { c.Timeout = 50 * time.Millisecond })
		ctx := context.Background()
		_, err := n.Calls(ctx)
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
		_, err = n.AddCallLeg(ctx, "c1", "x")
		errs = append(errs, err)
		errs = append(errs, n.UpdateCallLeg(ctx, "l1", LegUpdate{RxAudioMute: Set(true)}))
	}
	// Credentials embedded in the URL, and nodes that cannot be reached.
	for _, base := range []string{"https://api:" + testPassword + "@127.0.0.1:1", "::bad" + testPassword, "ftp://api:" + testPassword + "@h"} {
		n, err := NewNode(NodeConfig{Name: "cbX", BaseURL: base, Password: testPassword})
		if err == nil {
			n.retry.base = time.Millisecond
			_, err = n.Calls(context.Background())
		}
		errs = append(errs, err)
	}
	for _, err := range errs {
		if err == nil {
			continue
		}
		msg := fmt.Sprintf("%v %+v", err, err)
		if strings.Contains(msg, testPassword) || strings.Contains(msg, authValue) {
			t.Errorf("secret in error: %s", msg)
		}
	}
	if len(errs) < 20 {
		t.Fatalf("only %d errors checked", len(errs))
	}
}
