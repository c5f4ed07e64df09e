package cmssim

import (
	"net"
	"net/url"
	"sync"
	"time"
)

// faults is one node's injected misbehaviour plus its request counters.
type faults struct {
	mu          sync.Mutex
	latency     time.Duration
	down        bool
	fail503     int
	malformed   bool
	authFailure bool

	requests    int
	inFlight    int
	maxInFlight int
}

// RequestInfo describes a request as it reaches a node, for OnRequest hooks.
type RequestInfo struct {
	Node   string
	Method string
	Path   string // as sent, e.g. /api/v1/callLegs/<id>
	Query  url.Values
}

type hookBox struct {
	mu sync.Mutex
	fn func(RequestInfo)
}

func (h *hookBox) get() func(RequestInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fn
}

// OnRequest installs fn (nil removes it); it runs for every authenticated-or-not request after
// the latency and before the request is handled, without any emulator lock held, so it may call
// RemoveLeg and friends.
func (s *Sim) OnRequest(fn func(RequestInfo)) {
	s.hook.mu.Lock()
	defer s.hook.mu.Unlock()
	s.hook.fn = fn
}

// faultsOf returns the node's faults; unknown names get a throwaway value so a typo in a test
// cannot panic (the fault then simply has no effect).
func (s *Sim) faultsOf(node string) *faults {
	for _, ns := range s.nodes {
		if ns.node.name == node {
			return &ns.faults
		}
	}
	return &faults{}
}

// SetLatency delays every request to node by d (0 removes it). The wait ends early when the
// client gives up or the emulator closes.
func (s *Sim) SetLatency(node string, d time.Duration) {
	f := s.faultsOf(node)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = d
}

// SetDown makes node drop every connection without a response (new ones are closed on accept,
// open keep-alive ones on their next request), as a crashed or unreachable bridge.
func (s *Sim) SetDown(node string, down bool) {
	f := s.faultsOf(node)
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
	if down {
		s.DropEventSockets(node) // a crashed bridge takes its sockets with it
	}
}

// Fail503 makes the next n requests to node answer 503 Service Unavailable.
func (s *Sim) Fail503(node string, n int) {
	f := s.faultsOf(node)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail503 = max(n, 0)
}

// SetMalformed makes node truncate every XML body it sends.
func (s *Sim) SetMalformed(node string, on bool) {
	f := s.faultsOf(node)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.malformed = on
}

// SetAuthFailure makes node answer 401 to every request, whatever the credentials.
func (s *Sim) SetAuthFailure(node string, on bool) {
	f := s.faultsOf(node)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authFailure = on
}

// Requests returns how many requests node received since the start or ResetCounters.
func (s *Sim) Requests(node string) int {
	f := s.faultsOf(node)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// MaxInFlight returns the most requests node was handling at the same time.
func (s *Sim) MaxInFlight(node string) int {
	f := s.faultsOf(node)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInFlight
}

// ResetCounters zeroes Requests and MaxInFlight on every node.
func (s *Sim) ResetCounters() {
	for _, ns := range s.nodes {
		f := &ns.faults
		f.mu.Lock()
		f.requests, f.maxInFlight = 0, f.inFlight
		f.mu.Unlock()
	}
}

// admit counts a request and returns the faults to apply to it.
func (f *faults) admit() (latency time.Duration, down, fail503, malformed, authFailure bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	if !f.down && f.fail503 > 0 {
		f.fail503--
		fail503 = true
	}
	return f.latency, f.down, fail503, f.malformed, f.authFailure
}

func (f *faults) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
}

func (f *faults) isDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

func (f *faults) isMalformed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.malformed
}

// downListener closes connections accepted while the node is down, so clients see the
// connection close without a response.
type downListener struct {
	net.Listener
	f *faults
}

func (l *downListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !l.f.isDown() {
			return c, nil
		}
		_ = c.Close()
	}
}
