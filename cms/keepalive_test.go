package cms

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// closingNode is a node whose keep-alive timeout fires as the next request arrives on a kept
// connection: it closes that connection without reading the request (the race every client of a
// keep-alive server meets). It counts the writes it acted on.
type closingNode struct {
	mu    sync.Mutex
	acted map[string]int // method -> writes acted on
}

type connKey struct{}

func (s *closingNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	served := r.Context().Value(connKey{}).(*atomic.Int32)
	if served.Add(1) > 1 {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		_ = conn.Close()
		return
	}
	if r.Method != http.MethodGet {
		s.mu.Lock()
		s.acted[r.Method]++
		s.mu.Unlock()
	}
	if r.Method == http.MethodPost {
		w.Header().Set("Location", "/api/v1/callLegs/leg-new")
	}
	w.Header().Set("Content-Type", "text/xml")
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(`<?xml version="1.0"?><callLeg id="leg-1"><name>Ana</name></callLeg>`))
	}
}

// A write that meets a kept-alive connection the node just closed is neither lost nor sent
// twice: CMS acts on it exactly once and NFMM reports success. Go's transport replays only
// idempotent requests on such a connection; a dial-out (POST) is not one, so it must never go
// out on a connection that may be stale.
func TestWriteOnAClosedKeptAliveConnectionIsSentOnce(t *testing.T) {
	for _, tt := range []struct {
		method string
		write  func(context.Context, *Node) error
	}{
		{http.MethodPost, func(ctx context.Context, n *Node) error {
			id, err := n.AddCallLeg(ctx, "call-1", "sip:guest@example.com")
			if err == nil && id != "leg-new" {
				t.Errorf("dial-out returned leg %q, want leg-new", id)
			}
			return err
		}},
		{http.MethodPut, func(ctx context.Context, n *Node) error {
			return n.UpdateCallLeg(ctx, "leg-1", LegUpdate{RxAudioMute: Set(true)})
		}},
	} {
		t.Run(tt.method, func(t *testing.T) {
			cn := &closingNode{acted: map[string]int{}}
			srv := httptest.NewUnstartedServer(cn)
			srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
				return context.WithValue(ctx, connKey{}, new(atomic.Int32))
			}
			srv.Start()
			t.Cleanup(srv.Close)
			n, err := NewNode(NodeConfig{Name: "cb1", BaseURL: srv.URL, Username: "api", Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := n.CallLeg(ctx, "leg-1"); err != nil { // leaves a kept-alive connection
				t.Fatal(err)
			}
			if err := tt.write(ctx, n); err != nil {
				t.Errorf("%s on a closed kept-alive connection: %v", tt.method, err)
			}
			cn.mu.Lock()
			defer cn.mu.Unlock()
			if got := cn.acted[tt.method]; got != 1 {
				t.Errorf("CMS acted on the %s %d times, want exactly once", tt.method, got)
			}
		})
	}
}
