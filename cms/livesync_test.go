package cms

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// logBuffer collects the text log of concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// answerFirst answers, once armed, the first n GETs whose path matches itself instead of the
// node.
type answerFirst struct {
	base   http.RoundTripper
	match  *regexp.Regexp
	answer func(*http.Request) *http.Response
	left   atomic.Int32 // arms it
}

func (a *answerFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && a.match.MatchString(r.URL.Path) && a.left.Add(-1) >= 0 {
		return a.answer(r), nil
	}
	return a.base.RoundTrip(r)
}

func answer(status int, body string) func(*http.Request) *http.Response {
	return func(r *http.Request) *http.Response {
		return &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"text/xml"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}
	}
}

// The leg lookup of a join (events carry no leg id, and no lobby) survives one failed read:
// it logs a warning naming the node and the cause and reads again, so a guest who joins a
// locked meeting still shows in the lobby. Before, the lookup dropped the participant silently
// and live state never knew the guest was waiting.
func TestLegLookupRetriesAFailedRead(t *testing.T) {
	for _, tt := range []struct {
		name   string
		path   string // the request that fails once
		answer func(*http.Request) *http.Response
		fails  int32
		cause  string // in the warning
	}{
		{"the participant's legs fail", `^/api/v1/participants/[^/]+/callLegs$`, answer(http.StatusInternalServerError, ""), 1, "500"},
		{"the participant lists no leg yet", `^/api/v1/participants/[^/]+/callLegs$`,
			answer(http.StatusOK, `<?xml version="1.0"?><callLegs total="0"></callLegs>`), 1, "no call leg yet"},
		{"the leg's lobby fails", `^/api/v1/callLegs/[^/]+$`, answer(http.StatusInternalServerError, ""), 1, "500"},
		// After legTries the lookup gives up until the next idle check, which offers it again.
		{"the leg's lobby fails longer", `^/api/v1/callLegs/[^/]+$`, answer(http.StatusInternalServerError, ""), legTries, "500"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hook := &answerFirst{match: regexp.MustCompile(tt.path), answer: tt.answer}
			sim, c := newSimCluster(t, cmssim.Options{Nodes: 1}, func(cfg *NodeConfig) {
				cl := *cfg.HTTPClient
				hook.base = cl.Transport
				if hook.base == nil {
					hook.base = http.DefaultTransport
				}
				cl.Transport = hook
				cfg.HTTPClient = &cl
			})
			m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{{Name: "Alice"}}})
			sim.SetLocked(m.Correlator, true)
			logs := &logBuffer{}
			cfg := fastLive()
			cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
			cfg.CheckEvery = 300 * time.Millisecond
			l := startLive(t, c, cfg)
			waitUntil(t, "the locked meeting in live state", func() bool {
				lm, ok := liveMeeting(l, m.Correlator)
				return ok && len(lm.Instances) == 1 && lm.Instances[0].Locked
			})
			hook.left.Store(tt.fails)
			guest, _ := sim.Join(m.Correlator, cmssim.ParticipantSpec{Name: "Guest"})
			waitUntil(t, "the guest in the lobby, with the leg id", func() bool {
				lm, _ := liveMeeting(l, m.Correlator)
				return slices.ContainsFunc(lm.Participants, func(p LiveParticipant) bool {
					return p.Name == "Guest" && p.Lobby && p.LegID == guest.ID
				})
			})
			if left := hook.left.Load(); left >= 0 {
				t.Fatalf("%d of the %d failing requests were never sent", left, tt.fails)
			}
			warn := ""
			for line := range strings.Lines(logs.String()) {
				if strings.Contains(line, "level=WARN") && strings.Contains(line, "leg not read") {
					warn = line
				}
			}
			if !strings.Contains(warn, "node=cb1") || !strings.Contains(warn, tt.cause) {
				t.Errorf("want a warning naming node=cb1 and %q; log:\n%s", tt.cause, logs.String())
			}
		})
	}
}
