package cms

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
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

// gatedConns dials through to the emulator; once held, the events socket's reads wait until
// released (a client slower than its node), and wrote is signalled at each client write on
// that socket while held.
type gatedConns struct {
	mu    sync.Mutex
	held  chan struct{} // nil: not held
	wrote chan struct{}
}

func (g *gatedConns) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, g: g}, nil
}

func (g *gatedConns) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.held, g.wrote = make(chan struct{}), make(chan struct{}, 16)
}

// rearm forgets the writes so far.
func (g *gatedConns) rearm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.wrote != nil && len(g.wrote) > 0 {
		<-g.wrote
	}
}

func (g *gatedConns) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held != nil {
		close(g.held)
		g.held = nil
	}
}

func (g *gatedConns) state() (held, wrote chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held, g.wrote
}

type gatedConn struct {
	net.Conn
	g      *gatedConns
	events atomic.Bool // this connection carries the events socket
	first  atomic.Bool
}

func (c *gatedConn) Write(p []byte) (int, error) {
	if c.first.CompareAndSwap(false, true) && bytes.HasPrefix(p, []byte("GET /events/v1")) {
		c.events.Store(true)
	} else if c.events.Load() {
		if held, wrote := c.g.state(); held != nil {
			select {
			case wrote <- struct{}{}:
			default:
			}
		}
	}
	return c.Conn.Write(p)
}

// Read holds what arrives while held, also for a read already waiting when hold was called.
func (c *gatedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.events.Load() {
		if held, _ := c.g.state(); held != nil {
			<-held
		}
	}
	return n, err
}

// A resync whose REST read is newer than event frames the client has not read yet applies
// after them: the frames then say nothing older than what REST already showed. Here the
// layout changes twice while the events socket lags behind, and a resync reads the second
// layout; live state must tell the two changes in order, not the second layout, then the first
// again (from the late frame), then the second once more. Under load, `nfmm exec watch` printed
// a participant's video mute three times that way after a reconnect.
func TestResyncAppliesAfterTheFramesItOvertook(t *testing.T) {
	gate := &gatedConns{}
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 1}, func(cfg *NodeConfig) {
		cfg.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: gate.dial}}
	})
	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board", Participants: []cmssim.ParticipantSpec{{Name: "Alice"}}})
	cfg := fastLive()
	cfg.CheckEvery = 20 * time.Millisecond                      // the idle check finds the new call and resyncs
	cfg.ProbeAfter, cfg.ProbeTimeout = time.Minute, time.Minute // no probe while the socket lags
	cfg.Observe = func(s LiveStat) {
		if s.Kind == StatResync {
			gate.rearm() // the REST read is done: what the socket is written next comes after it
		}
	}
	l := startLive(t, c, cfg)
	ctx := context.Background()
	sub := l.Subscribe()
	defer sub.Close()
	var alice LiveParticipant
	waitUntil(t, "Alice with her leg id", func() bool {
		lm, _ := liveMeeting(l, m.Correlator)
		return len(lm.Participants) == 1 && lm.Participants[0].LegID != "" && func() bool { alice = lm.Participants[0]; return true }()
	})
	gate.hold()
	t.Cleanup(gate.release) // before the live state stops (cleanups run last first)
	for _, layout := range []string{"stacked", "allEqual"} {
		sent := sim.EventStats("cb1").Sent
		if err := c.UpdateLeg(ctx, "cb1", alice.LegID, LegUpdate{ChosenLayout: Set(layout)}); err != nil {
			t.Fatal(err)
		}
		// One frame each: the emulator would send one for both if they came together.
		waitUntil(t, layout+" sent", func() bool { return sim.EventStats("cb1").Sent > sent })
	}
	other := sim.AddMeeting(cmssim.MeetingSpec{Name: "Other", Participants: []cmssim.ParticipantSpec{{Name: "Olga"}}})
	_, wrote := gate.state()
	select { // the resync has read REST and written to the socket since
	case <-wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("no resync wrote to the events socket")
	}
	gate.release()
	waitUntil(t, "every frame read, the other meeting and the last layout", func() bool {
		st := sim.EventStats("cb1")
		_, ok := liveMeeting(l, other.Correlator)
		lm, _ := liveMeeting(l, m.Correlator)
		return st.Acks == st.Sent && ok && len(lm.Participants) == 1 && lm.Participants[0].Layout == "allEqual"
	})
	var got []string
	for {
		select {
		case <-sub.Ready():
			for _, ch := range sub.Next() {
				if ch.Type != ParticipantChanged || ch.Participant == nil || ch.Participant.ID != alice.ID {
					continue
				}
				for _, f := range ch.Changes {
					if f.Field == FieldLayout {
						got = append(got, fmt.Sprintf("%v→%v", f.Before, f.After))
					}
				}
			}
			continue
		default:
		}
		break
	}
	want := []string{alice.Layout + "→stacked", "stacked→allEqual"}
	if !slices.Equal(got, want) {
		t.Errorf("Alice's layout changes %q, want %q", got, want)
	}
}
