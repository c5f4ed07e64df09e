package cms

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// NodeConfig describes one call bridge's API endpoint.
type NodeConfig struct {
	Name               string        // operator-facing node name, e.g. "cb1"
	BaseURL            string        // https://host:port (http allowed for the emulator); without /api/v1
	Username           string        //
	Password           string        // never logged, never in an error
	CAFile             string        // optional PEM bundle added to the system roots
	InsecureSkipVerify bool          // explicit opt-in
	Timeout            time.Duration // per request; default 10s
	MaxConcurrency     int           // requests in flight to this node; default 8
	HTTPClient         *http.Client  // optional (tests: the emulator's client); overrides TLS settings
	// Observe, when set, is called after every HTTP request (metrics); it must not block.
	Observe func(RequestStat)
}

// RequestStat describes one finished HTTP request to a node.
type RequestStat struct {
	Node     string
	Method   string
	Path     string // the request path, ids included
	Status   int    // 0 on a transport error
	Duration time.Duration
	Err      error
}

const (
	defaultTimeout     = 10 * time.Second
	defaultConcurrency = 8
	apiRoot            = "/api/v1"
)

// retryPolicy is the backoff for idempotent requests on 503 and network errors.
type retryPolicy struct {
	attempts int
	base     time.Duration
	max      time.Duration
}

// Node is the API client for one call bridge.
type Node struct {
	cfg    NodeConfig
	base   *url.URL
	client *http.Client
	// once carries the requests that are never retried (POST): each on a connection of its
	// own. On a kept-alive connection the node may be closing (its keep-alive timeout), such a
	// request fails unread, and Go's transport replays only idempotent requests.
	once    *http.Client
	sem     chan struct{} // bounds every request to this node, page fan-out included
	queue   slotQueue     // who waits for a slot of sem, list pages first
	timeout time.Duration
	retry   retryPolicy
}

// NewNode validates the configuration and builds the node's HTTP client.
func NewNode(cfg NodeConfig) (*Node, error) {
	base, err := parseBaseURL(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = base.Host
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = defaultConcurrency
	}
	var client *http.Client
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient // a copy: the caller's client may serve others who follow redirects
		client = &c
	} else if client, err = newHTTPClient(cfg); err != nil {
		return nil, err
	}
	// A CMS API never redirects. Following one would re-send the Basic credentials to wherever
	// it points (in clear text for http://), so the 3xx answer itself is kept and classify
	// reports the node as misconfigured.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Node{
		cfg:     cfg,
		base:    base,
		client:  client,
		once:    unpooled(client),
		sem:     make(chan struct{}, cfg.MaxConcurrency),
		timeout: cfg.Timeout,
		retry:   retryPolicy{attempts: 3, base: 50 * time.Millisecond, max: 400 * time.Millisecond},
	}, nil
}

// parseBaseURL accepts http(s)://host[:port][/prefix]. Credentials embedded in the URL are moved
// to Basic auth and stripped, so they can never reach an error message.
func parseBaseURL(cfg NodeConfig) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil {
		// url.Parse echoes the input, which may embed a password.
		return nil, fmt.Errorf("cms node %q: base URL is not a valid URL", cfg.Name)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("cms node %q: base URL must start with https:// (or http:// for the emulator)", cfg.Name)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("cms node %q: base URL has no host", cfg.Name)
	}
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	return u, nil
}

func newHTTPClient(cfg NodeConfig) (*http.Client, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("cms node %q: reading CA file: %w", cfg.Name, err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("cms node %q: CA file %s holds no PEM certificate", cfg.Name, cfg.CAFile)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		RootCAs:            roots,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // explicit operator opt-in
	}
	// Keep as many idle connections as we allow requests, so page fan-out reuses them.
	tr.MaxIdleConnsPerHost = cfg.MaxConcurrency
	return &http.Client{Transport: tr}, nil
}

// unpooled is c without kept-alive connections: every request dials anew. A transport that is
// not an *http.Transport (a test's hook) cannot be told so and is kept as it is.
func unpooled(c *http.Client) *http.Client {
	tr := c.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	ht, ok := tr.(*http.Transport)
	if !ok {
		return c
	}
	ht = ht.Clone()
	ht.DisableKeepAlives = true
	once := *c
	once.Transport = ht
	return &once
}

// Name is the operator-facing node name.
func (n *Node) Name() string { return n.cfg.Name }

// BaseURL is the node's API base URL (without credentials or /api/v1).
func (n *Node) BaseURL() string { return n.base.String() }

// endpoint is the one place request URLs are built: every segment is path-escaped, and "." and
// ".." are escaped too, so no id a user types can step out of its collection.
func (n *Node) endpoint(query url.Values, segs ...string) *url.URL {
	u := *n.base
	raw, esc := []string{apiRoot}, []string{apiRoot}
	for _, s := range segs {
		raw = append(raw, s)
		e := url.PathEscape(s)
		if s == "." || s == ".." {
			e = strings.ReplaceAll(s, ".", "%2E")
		}
		esc = append(esc, e)
	}
	u.Path = n.base.Path + strings.Join(raw, "/")
	u.RawPath = n.base.EscapedPath() + strings.Join(esc, "/")
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return &u
}

// request is one API call before it is sent.
type request struct {
	method string
	segs   []string
	query  url.Values
	form   url.Values // POST/PUT body, form-encoded
	// page marks a list page: it waits ahead of detail reads and writes, because each page
	// unlocks up to a page of further reads while a detail read unlocks nothing.
	page bool
}

func (r request) idempotent() bool { return r.method != http.MethodPost }

// response is a successful (2xx, non-failure) answer, its body fully read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send performs req, retrying idempotent requests with jittered backoff on network errors and
// busy statuses. POST is never retried: a dial-out that reached CMS must not be placed twice.
func (n *Node) send(ctx context.Context, req request) (*response, error) {
	u := n.endpoint(req.query, req.segs...)
	mayHaveActed := false // an earlier attempt may have reached CMS and lost only its answer
	for attempt := 0; ; attempt++ {
		resp, err := n.attempt(ctx, req, u)
		if err == nil {
			return resp, nil
		}
		if mayHaveActed && req.method == http.MethodDelete && errors.Is(err, ErrNotFound) {
			// The object a retried DELETE finds gone is most likely the first attempt's doing:
			// reporting "not found" would tell the operator a disconnect that worked did not.
			return &response{status: http.StatusOK}, nil
		}
		var te *TransportError
		if !req.idempotent() || attempt+1 >= n.retry.attempts || !errors.As(err, &te) || !te.retryable {
			return nil, err
		}
		mayHaveActed = mayHaveActed || reachedNode(te)
		if werr := n.backoff(ctx, attempt); werr != nil {
			return nil, err
		}
	}
}

// reachedNode reports whether a failed attempt's request may have reached CMS: a connection
// lost after it was made, or a proxy's 502 or 504 (CMS's answer lost behind it). A failure to
// connect and a 503 (busy: nothing was done) mean it did not.
func reachedNode(te *TransportError) bool {
	if te.Status != 0 {
		return te.Status == http.StatusBadGateway || te.Status == http.StatusGatewayTimeout
	}
	var op *net.OpError
	return !errors.As(te.Err, &op) || op.Op != "dial"
}

// backoff sleeps base·2^attempt (capped) with ±50% jitter, or until ctx ends.
func (n *Node) backoff(ctx context.Context, attempt int) error {
	d := n.retry.base << attempt
	if d > n.retry.max || d <= 0 {
		d = n.retry.max
	}
	if d > 0 {
		d = d/2 + rand.N(d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// attempt is one HTTP exchange: it holds a concurrency slot, applies the per-request timeout,
// reads the capped body and classifies the outcome.
func (n *Node) attempt(ctx context.Context, req request, u *url.URL) (*response, error) {
	path := u.EscapedPath()
	if err := n.acquire(ctx, req.page); err != nil {
		return nil, n.transportErr(req.method, path, 0, err, false)
	}
	defer n.release()

	actx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	start := time.Now()
	status, header, body, err := n.roundTrip(actx, req, u)
	if err != nil {
		err = n.netErr(ctx, actx, req.method, path, status, err)
	} else {
		err = n.classify(req.method, path, status, body)
	}
	if n.cfg.Observe != nil {
		n.cfg.Observe(RequestStat{Node: n.cfg.Name, Method: req.method, Path: path,
			Status: status, Duration: time.Since(start), Err: err})
	}
	if err != nil {
		return nil, err
	}
	return &response{status: status, header: header, body: body}, nil
}

// slotQueue holds the requests waiting for one of the node's slots: pages in one FIFO, all
// else in another. A freed slot goes to the oldest page, else to the oldest other request, else
// back to the pool; so sem's length is always the number of requests in flight.
type slotQueue struct {
	mu    sync.Mutex
	pages []chan struct{}
	other []chan struct{}
}

// acquire takes a slot of the node's concurrency cap, or fails when ctx ends first.
func (n *Node) acquire(ctx context.Context, page bool) error {
	q := &n.queue
	q.mu.Lock()
	if len(q.pages) == 0 && (page || len(q.other) == 0) {
		select {
		case n.sem <- struct{}{}:
			q.mu.Unlock()
			return nil
		default:
		}
	}
	ch := make(chan struct{})
	if page {
		q.pages = append(q.pages, ch)
	} else {
		q.other = append(q.other, ch)
	}
	q.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	removed := q.remove(ch)
	q.mu.Unlock()
	if !removed { // the slot was handed over just as ctx ended: pass it on
		n.release()
	}
	return ctx.Err()
}

// release hands the caller's slot to the next waiter, or returns it to the pool.
func (n *Node) release() {
	q := &n.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, list := range []*[]chan struct{}{&q.pages, &q.other} {
		if len(*list) > 0 {
			ch := (*list)[0]
			*list = (*list)[1:]
			close(ch)
			return
		}
	}
	<-n.sem
}

// remove drops ch from the queue and reports whether it was still waiting; q.mu is held.
func (q *slotQueue) remove(ch chan struct{}) bool {
	for _, list := range []*[]chan struct{}{&q.pages, &q.other} {
		if i := slices.Index(*list, ch); i >= 0 {
			*list = slices.Delete(*list, i, i+1)
			return true
		}
	}
	return false
}

func (n *Node) roundTrip(ctx context.Context, req request, u *url.URL) (int, http.Header, []byte, error) {
	var body io.Reader
	if req.form != nil {
		body = strings.NewReader(req.form.Encode())
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u.String(), body)
	if err != nil {
		return 0, nil, nil, err
	}
	hr.SetBasicAuth(n.cfg.Username, n.cfg.Password)
	hr.Header.Set("Accept", "text/xml")
	if req.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := n.client
	if !req.idempotent() {
		client = n.once
	}
	resp, err := client.Do(hr)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return resp.StatusCode, nil, nil, err
	}
	if len(data) > maxBody {
		return resp.StatusCode, nil, nil, fmt.Errorf("%w: body larger than %d bytes", ErrMalformedResponse, maxBody)
	}
	return resp.StatusCode, resp.Header, data, nil
}

// netErr turns a failed exchange into a *TransportError. *url.Error is unwrapped because it
// repeats the full URL; we name the node and path ourselves.
func (n *Node) netErr(ctx, actx context.Context, method, path string, status int, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, ErrMalformedResponse):
		return n.transportErr(method, path, status, err, false)
	case ctx.Err() != nil:
		return n.transportErr(method, path, status, ctx.Err(), false)
	case actx.Err() != nil:
		// A node too slow for one request is not retried: three more waits would only multiply
		// the delay the user sees.
		return n.transportErr(method, path, status,
			fmt.Errorf("no answer within %s: %w", n.timeout, context.DeadlineExceeded), false)
	}
	return n.transportErr(method, path, status, err, true)
}

func (n *Node) transportErr(method, path string, status int, err error, retryable bool) error {
	return &TransportError{Node: n.cfg.Name, Method: method, Path: path, Status: status, Err: err, retryable: retryable}
}

// classify maps a complete HTTP answer to nil or a typed error. failureDetails wins over the
// status code, because CMS uses 400 and 404 interchangeably for the same reasons.
func (n *Node) classify(method, path string, status int, body []byte) error {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &AuthError{Node: n.cfg.Name, Method: method, Path: path, Status: status}
	case status == http.StatusServiceUnavailable || status == http.StatusBadGateway ||
		status == http.StatusGatewayTimeout:
		return n.transportErr(method, path, status, errors.New(http.StatusText(status)), true)
	case status >= 300 && status <= 399:
		return n.transportErr(method, path, status, fmt.Errorf(
			"%w: it answered with a redirect, which NFMM does not follow (check the node's URL in CMS_NODES)",
			ErrMisconfigured), false)
	}
	// Only a body naming failureDetails can be one; skipping the XML scan of every 2xx page
	// saves a decoder per request, which adds up at hundreds of requests per command.
	if !bytes.Contains(body, []byte("failureDetails")) {
		if status < 200 || status > 299 {
			return &APIError{Node: n.cfg.Name, Method: method, Path: path, Status: status}
		}
		return nil
	}
	if f, ok := parseFailure(body); ok {
		return &APIError{Node: n.cfg.Name, Method: method, Path: path, Status: status,
			Reason: f.Reason, Parameter: f.Parameter, ParamError: f.Error}
	}
	if status < 200 || status > 299 {
		return &APIError{Node: n.cfg.Name, Method: method, Path: path, Status: status}
	}
	return nil
}

// get fetches a single object and decodes it into v, whose root element must be root.
func (n *Node) get(ctx context.Context, root string, v any, segs ...string) error {
	for _, s := range segs {
		if strings.TrimSpace(s) == "" {
			return n.emptyID(http.MethodGet, segs)
		}
	}
	resp, err := n.send(ctx, request{method: http.MethodGet, segs: segs})
	if err != nil {
		return err
	}
	if err := decodeRoot(resp.body, root, v); err != nil {
		return n.transportErr(http.MethodGet, n.endpoint(nil, segs...).EscapedPath(), resp.status, err, false)
	}
	return nil
}

// emptyID refuses a request whose id is blank: it would address the whole collection instead.
func (n *Node) emptyID(method string, segs []string) error {
	return fmt.Errorf("cms node %q: %s %s: empty id: %w", n.cfg.Name, method,
		apiRoot+"/"+strings.Join(segs, "/"), ErrParameter)
}

// Calls lists the call instances active on this node.
func (n *Node) Calls(ctx context.Context) ([]Call, error) {
	return fetchAll(ctx, n, nil, decodeCalls, func(c Call) string { return c.ID }, "calls")
}

// Call reads one call instance.
func (n *Node) Call(ctx context.Context, id string) (CallDetail, error) {
	var x xCall
	if err := n.get(ctx, "call", &x, "calls", id); err != nil {
		return CallDetail{}, err
	}
	return x.detail(), nil
}

// CallLegs lists the legs of one call on this node (distribution links included).
func (n *Node) CallLegs(ctx context.Context, callID string) ([]CallLeg, error) {
	if strings.TrimSpace(callID) == "" {
		return nil, n.emptyID(http.MethodGet, []string{"calls", callID, "callLegs"})
	}
	return fetchAll(ctx, n, nil, decodeCallLegs, legID, "calls", callID, "callLegs")
}

// AllCallLegs lists every leg on this node.
func (n *Node) AllCallLegs(ctx context.Context) ([]CallLeg, error) {
	return fetchAll(ctx, n, nil, decodeCallLegs, legID, "callLegs")
}

func legID(l CallLeg) string { return l.ID }

// CallLeg reads one leg with its configuration overrides and live status.
func (n *Node) CallLeg(ctx context.Context, id string) (CallLegDetail, error) {
	var x xCallLeg
	if err := n.get(ctx, "callLeg", &x, "callLegs", id); err != nil {
		return CallLegDetail{}, err
	}
	return x.detail(), nil
}

// CallParticipants lists a call's participants as this node sees them; callBridgeFilter, when
// set, keeps those hosted by that call bridge id.
func (n *Node) CallParticipants(ctx context.Context, callID, callBridgeFilter string) ([]Participant, error) {
	if strings.TrimSpace(callID) == "" {
		return nil, n.emptyID(http.MethodGet, []string{"calls", callID, "participants"})
	}
	var q url.Values
	if callBridgeFilter != "" {
		q = url.Values{"callBridgeFilter": {callBridgeFilter}}
	}
	return fetchAll(ctx, n, q, decodeParticipants, func(p Participant) string { return p.ID },
		"calls", callID, "participants")
}

// Participant reads one participant.
func (n *Node) Participant(ctx context.Context, id string) (Participant, error) {
	var x xParticipant
	if err := n.get(ctx, "participant", &x, "participants", id); err != nil {
		return Participant{}, err
	}
	return x.participant(), nil
}

// ParticipantCallLegs lists the legs of a participant hosted on this node.
func (n *Node) ParticipantCallLegs(ctx context.Context, id string) ([]CallLeg, error) {
	if strings.TrimSpace(id) == "" {
		return nil, n.emptyID(http.MethodGet, []string{"participants", id, "callLegs"})
	}
	return fetchAll(ctx, n, nil, decodeCallLegs, legID, "participants", id, "callLegs")
}

// SystemStatus reads /system/status.
func (n *Node) SystemStatus(ctx context.Context) (SystemStatus, error) {
	var x xSystemStatus
	if err := n.get(ctx, "status", &x, "system", "status"); err != nil {
		return SystemStatus{}, err
	}
	return x.status(), nil
}

// CallBridges lists the cluster's call bridges (names only).
func (n *Node) CallBridges(ctx context.Context) ([]CallBridge, error) {
	return fetchAll(ctx, n, nil, decodeCallBridges, func(b CallBridge) string { return b.ID }, "callBridges")
}

// CallBridge reads one call bridge with its address.
func (n *Node) CallBridge(ctx context.Context, id string) (CallBridge, error) {
	var x xCallBridge
	if err := n.get(ctx, "callBridge", &x, "callBridges", id); err != nil {
		return CallBridge{}, err
	}
	return x.bridge(), nil
}

// ClusterConfig reads this node's own cluster identity.
func (n *Node) ClusterConfig(ctx context.Context) (ClusterConfig, error) {
	var x xCluster
	if err := n.get(ctx, "cluster", &x, "system", "configuration", "cluster"); err != nil {
		return ClusterConfig{}, err
	}
	return ClusterConfig{UniqueName: str(x.UniqueName)}, nil
}

// UpdateCallLeg changes a leg's mute flags and layout; an empty update sends nothing.
func (n *Node) UpdateCallLeg(ctx context.Context, id string, u LegUpdate) error {
	f := url.Values{}
	formBool(f, "rxAudioMute", u.RxAudioMute)
	formBool(f, "txAudioMute", u.TxAudioMute)
	formBool(f, "rxVideoMute", u.RxVideoMute)
	formBool(f, "txVideoMute", u.TxVideoMute)
	formString(f, "chosenLayout", u.ChosenLayout)
	return n.put(ctx, f, "callLegs", id)
}

// UpdateParticipant changes a participant's importance; an empty update sends nothing.
func (n *Node) UpdateParticipant(ctx context.Context, id string, u ParticipantUpdate) error {
	f := url.Values{}
	formInt(f, "importance", u.Importance)
	formBool(f, "deactivated", u.Deactivated)
	return n.put(ctx, f, "participants", id)
}

// UpdateCall changes one call instance (this node only); an empty update sends nothing.
func (n *Node) UpdateCall(ctx context.Context, id string, u CallUpdate) error {
	f := url.Values{}
	formBool(f, "joinAudioMuteOverride", u.JoinAudioMuteOverride)
	formBool(f, "locked", u.Locked)
	formBool(f, "recording", u.Recording)
	formBool(f, "streaming", u.Streaming)
	formString(f, "messageText", u.MessageText)
	formString(f, "messagePosition", u.MessagePosition)
	formString(f, "messageDuration", u.MessageDuration)
	return n.put(ctx, f, "calls", id)
}

func (n *Node) put(ctx context.Context, form url.Values, segs ...string) error {
	if strings.TrimSpace(segs[len(segs)-1]) == "" {
		return n.emptyID(http.MethodPut, segs)
	}
	if len(form) == 0 {
		return nil
	}
	_, err := n.send(ctx, request{method: http.MethodPut, segs: segs, form: form})
	return err
}

// DeleteCallLeg disconnects a leg.
func (n *Node) DeleteCallLeg(ctx context.Context, id string) error {
	segs := []string{"callLegs", id}
	if strings.TrimSpace(id) == "" {
		return n.emptyID(http.MethodDelete, segs)
	}
	_, err := n.send(ctx, request{method: http.MethodDelete, segs: segs})
	return err
}

// AddCallLeg dials remoteParty into the call from this node and returns the new leg id, taken
// from the Location header (/api/v1/callLegs/<id>).
func (n *Node) AddCallLeg(ctx context.Context, callID, remoteParty string) (string, error) {
	segs := []string{"calls", callID, "callLegs"}
	if strings.TrimSpace(callID) == "" {
		return "", n.emptyID(http.MethodPost, segs)
	}
	if strings.TrimSpace(remoteParty) == "" {
		return "", fmt.Errorf("cms node %q: add call leg: empty remote party: %w", n.cfg.Name, ErrParameter)
	}
	form := url.Values{"remoteParty": {remoteParty}}
	resp, err := n.send(ctx, request{method: http.MethodPost, segs: segs, form: form})
	if err != nil {
		return "", err
	}
	id := lastSegment(resp.header.Get("Location"))
	if id == "" {
		return "", n.transportErr(http.MethodPost, n.endpoint(nil, segs...).EscapedPath(), resp.status,
			fmt.Errorf("%w: no call leg id in the Location header (the leg may have been created)",
				ErrMalformedResponse), false)
	}
	return id, nil
}

// lastSegment returns the id at the end of a Location header. CMS samples show stray spaces
// ("/api/v1/coSpaces/ 70ca…"), so every piece is trimmed.
func lastSegment(loc string) string {
	loc = strings.TrimSpace(loc)
	if i := strings.IndexAny(loc, "?#"); i >= 0 {
		loc = loc[:i]
	}
	seg := strings.TrimSpace(loc[strings.LastIndex(loc, "/")+1:])
	if s, err := url.PathUnescape(seg); err == nil {
		seg = s
	}
	return strings.TrimSpace(seg)
}

func formBool(f url.Values, key string, p Param[bool]) {
	if v, ok := p.Value(); ok {
		f.Set(key, fmt.Sprint(v))
	} else if p.IsUnset() {
		f.Set(key, "")
	}
}

func formString(f url.Values, key string, p Param[string]) {
	if v, ok := p.Value(); ok {
		f.Set(key, v)
	} else if p.IsUnset() {
		f.Set(key, "")
	}
}

func formInt(f url.Values, key string, p Param[int]) {
	if v, ok := p.Value(); ok {
		f.Set(key, fmt.Sprint(v))
	} else if p.IsUnset() {
		f.Set(key, "")
	}
}
