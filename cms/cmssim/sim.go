package cmssim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Demo credentials of the emulator itself; they protect nothing real, so printing them is fine.
const (
	DefaultUsername = "admin"
	DefaultPassword = "cms-sim-demo"
)

// MaxNodes bounds Options.Nodes: Cisco documents CMS clusters of up to 24 call bridges. It is
// the same limit as config.MaxNodes (CMS_NODES, sim:N), so demo, sim and config agree.
const MaxNodes = 24

// Scenario selects the data a new emulator starts with.
type Scenario string

const (
	ScenarioEmpty Scenario = "empty" // no meetings (the zero value means the same)
	ScenarioDemo  Scenario = "demo"  // a dozen realistic meetings derived from Options.Seed
	ScenarioScale Scenario = "scale" // Options.Scale: many meetings and legs, for benchmarks
)

// Scale sizes ScenarioScale: Meetings meetings holding Legs participant legs in total, spread
// over Nodes call bridges (Nodes 0 means Options.Nodes).
type Scale struct {
	Nodes    int
	Meetings int
	Legs     int
}

// Options configure Start. The zero value is a 3-node, empty, plain-HTTP cluster on random ports.
type Options struct {
	Nodes int // number of call bridges, cb1..cbN; 0 means 3
	// Cluster names the emulated cluster when several run side by side (StartClusters): its
	// nodes are <Cluster>-cb1…, and its ids come from a random stream of their own, so two
	// clusters with the same Seed never share a call, leg or callBridge id. Empty: the one
	// cluster cb1..cbN, exactly as before.
	Cluster  string
	BasePort int  // 0: random ports; otherwise node i (from 0) listens on BasePort+i
	TLS      bool // HTTPS with a generated self-signed certificate (HTTPClient trusts it)
	Scenario Scenario
	Scale    Scale // used by ScenarioScale
	Seed     int64 // drives ids, names and media stats; same seed, same cluster

	Username, Password string // default DefaultUsername / DefaultPassword

	// PageCaps overrides the server-side page size per collection ("calls", "callLegs",
	// "participants", "coSpaces", "callBridges"). Defaults: 10, coSpaces 20 (cms-api.md §2.2).
	PageCaps map[string]int
	// GetMissingStatus is the status of a GET for an id the cluster does not know: 404 by
	// default (Cisco's documentation); cms-api.md §1.5 asks for it to be configurable.
	GetMissingStatus int
	// Now replaces the clock (durations, media-stat drift); default time.Now.
	Now    func() time.Time
	Logger *slog.Logger // default: discard
	// Live, when positive, makes the meetings change by themselves every Live (live.go):
	// people join and leave, unmute, start recording, and the active speaker moves.
	Live time.Duration
}

// NodeInfo describes one emulated call bridge.
type NodeInfo struct {
	Name         string // cb1, cb2, … (<Cluster>-cb1, …): also its callBridge name and cluster uniqueName
	URL          string // base URL without a trailing slash, e.g. http://127.0.0.1:PORT
	CallBridgeID string
}

// Sim is a running emulated cluster. All methods are safe for concurrent use.
type Sim struct {
	Username string
	Password string

	opts   Options
	state  *state
	nodes  []*nodeServer
	client *http.Client
	cert   *x509.Certificate // nil without TLS
	hook   hookBox
	cdr    cdrFeed // CDR receivers and the records posted to them (cdr_feed.go)
	events *eventHub

	routes []route

	done      chan struct{}
	closeOnce sync.Once
	life      sync.Mutex // guards closed against handlers.Add racing handlers.Wait
	closed    bool
	handlers  sync.WaitGroup
}

// Start builds the scenario and starts one server per node on 127.0.0.1.
func Start(opts Options) (*Sim, error) {
	opts, err := normalize(opts)
	if err != nil {
		return nil, err
	}
	s := &Sim{
		Username: opts.Username,
		Password: opts.Password,
		opts:     opts,
		state:    newState(opts),
		routes:   routes(),
		done:     make(chan struct{}),
	}
	var tlsCfg *tls.Config
	var pool *x509.CertPool
	if opts.TLS {
		if tlsCfg, pool, s.cert, err = selfSignedTLS(opts.Now()); err != nil {
			return nil, fmt.Errorf("cmssim: certificate: %w", err)
		}
	}
	for i, n := range s.state.nodes {
		ns, err := s.listen(n, i, tlsCfg)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.nodes = append(s.nodes, ns)
	}
	s.client = newClient(pool)
	s.startEvents()
	if err := s.state.populate(opts); err != nil {
		s.Close()
		return nil, err
	}
	if opts.Live > 0 {
		s.startLive(opts.Live, opts.Seed)
	}
	return s, nil
}

func normalize(opts Options) (Options, error) {
	if opts.Scenario == ScenarioScale && opts.Scale.Nodes > 0 {
		opts.Nodes = opts.Scale.Nodes
	}
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	if opts.Nodes < 1 || opts.Nodes > MaxNodes {
		return opts, fmt.Errorf("cmssim: %d nodes: want 1..%d", opts.Nodes, MaxNodes)
	}
	if msg := checkClusterName(opts.Cluster); msg != "" {
		return opts, fmt.Errorf("cmssim: cluster %q: %s", opts.Cluster, msg)
	}
	if opts.BasePort < 0 || (opts.BasePort > 0 && opts.BasePort+opts.Nodes-1 > 65535) {
		return opts, fmt.Errorf("cmssim: base port %d with %d nodes is out of range", opts.BasePort, opts.Nodes)
	}
	switch opts.Scenario {
	case "", ScenarioEmpty, ScenarioDemo, ScenarioScale:
	default:
		return opts, fmt.Errorf("cmssim: unknown scenario %q", opts.Scenario)
	}
	if opts.Username == "" {
		opts.Username = DefaultUsername
	}
	if opts.Password == "" {
		opts.Password = DefaultPassword
	}
	if opts.GetMissingStatus == 0 {
		opts.GetMissingStatus = http.StatusNotFound
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return opts, nil
}

func (s *Sim) listen(n *node, i int, tlsCfg *tls.Config) (*nodeServer, error) {
	addr := "127.0.0.1:0"
	if s.opts.BasePort > 0 {
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.opts.BasePort+i))
	}
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cmssim: node %s: %w", n.name, err)
	}
	ns := &nodeServer{sim: s, node: n}
	var ln net.Listener = &downListener{Listener: raw, f: &ns.faults}
	scheme := "http"
	if tlsCfg != nil {
		ln, scheme = tls.NewListener(ln, tlsCfg), "https"
	}
	// The URL is written once before any request can read it, under the state lock for -race.
	s.state.mu.Lock()
	n.url = scheme + "://" + raw.Addr().String()
	s.state.mu.Unlock()
	ns.srv = &http.Server{
		Handler:           ns,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := ns.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Warn("cmssim: serve", "node", n.name, "err", err)
		}
	}()
	return ns, nil
}

// Close stops every node and waits for requests in progress (latency waits end at once).
func (s *Sim) Close() {
	s.closeOnce.Do(func() {
		s.life.Lock()
		s.closed = true
		s.life.Unlock()
		close(s.done)
		for _, ns := range s.nodes {
			_ = ns.srv.Close()
		}
		if s.events != nil {
			s.stopEvents()
		}
		s.handlers.Wait()
		if s.client != nil {
			s.client.CloseIdleConnections()
		}
	})
}

// Nodes lists the call bridges in order cb1..cbN.
func (s *Sim) Nodes() []NodeInfo {
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	out := make([]NodeInfo, len(s.state.nodes))
	for i, n := range s.state.nodes {
		out[i] = NodeInfo{Name: n.name, URL: n.url, CallBridgeID: n.bridgeID}
	}
	return out
}

// Cluster is the emulated cluster's name (Options.Cluster); "" for a lone cluster.
func (s *Sim) Cluster() string { return s.opts.Cluster }

// HTTPClient returns a client for the emulator: it trusts the generated certificate when
// Options.TLS is set, and never uses http.DefaultTransport (tests stay isolated).
func (s *Sim) HTTPClient() *http.Client { return s.client }

func newClient(pool *x509.CertPool) *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // loopback only: never through a proxy from the environment
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	if pool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// wait sleeps for d unless the request or the emulator ends first.
func (s *Sim) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}
