package cms

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// A DELETE whose answer is lost after CMS acted is retried, and the retry finds the leg gone.
// That 404 is the first attempt's doing: the disconnect worked and is reported as done. When the
// first attempt cannot have acted (CMS was busy), the same 404 still means the leg had already
// gone, and says so.
func TestRetriedDeleteThatFindsTheLegGone(t *testing.T) {
	for _, tt := range []struct {
		name   string
		first  func(w http.ResponseWriter) // how the first DELETE's answer fails
		wantOK bool                        // whether that attempt may have acted
	}{
		{"answer lost on the connection", func(w http.ResponseWriter) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(http.ErrAbortHandler)
			}
			_ = conn.Close()
		}, true},
		{"proxy timed out waiting for CMS", func(w http.ResponseWriter) { w.WriteHeader(http.StatusGatewayTimeout) }, true},
		{"CMS busy", func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			deletes, gone := 0, false
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if r.Method != http.MethodDelete || r.URL.Path != "/api/v1/callLegs/leg-1" {
					http.NotFound(w, r)
					return
				}
				deletes++
				if gone {
					w.Header().Set("Content-Type", "text/xml")
					w.WriteHeader(http.StatusNotFound)
					_, _ = w.Write([]byte(`<?xml version="1.0"?><failureDetails><callLegDoesNotExist /></failureDetails>`))
					return
				}
				// After the first DELETE the leg is gone: that attempt's doing, or (CMS busy) the
				// leg left on its own before the retry.
				gone = true
				tt.first(w)
			}))
			t.Cleanup(srv.Close)
			n, err := NewNode(NodeConfig{Name: "cb1", BaseURL: srv.URL, Username: "api", Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			err = n.DeleteCallLeg(t.Context(), "leg-1")
			switch {
			case tt.wantOK && err != nil:
				t.Errorf("DeleteCallLeg = %v, want success: the first attempt disconnected the leg", err)
			case !tt.wantOK && !errors.Is(err, ErrCallLegNotFound):
				t.Errorf("DeleteCallLeg = %v, want ErrCallLegNotFound: the leg had gone before", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if deletes != 2 {
				t.Errorf("%d DELETEs, want the lost one and one retry", deletes)
			}
		})
	}
}
