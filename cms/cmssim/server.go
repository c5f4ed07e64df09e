package cmssim

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
)

// nodeServer answers the API of one call bridge.
type nodeServer struct {
	sim    *Sim
	node   *node
	srv    *http.Server
	faults faults
}

// response is what a handler decided; ServeHTTP writes it (and may corrupt it on purpose).
type response struct {
	status   int
	body     []byte
	location string
}

func okXML(body []byte) response { return response{status: http.StatusOK, body: body} }

func fail(status int, reason string) response {
	return response{status: status, body: failure(reason)}
}

func badParam(param string) response {
	return response{status: http.StatusBadRequest, body: parameterError(param, "invalidValue")}
}

// ServeHTTP applies the node's faults, Basic auth, then routes case-insensitively.
func (ns *nodeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := ns.sim
	if !s.enter() {
		closeConn(w)
		return
	}
	defer s.handlers.Done()
	latency, down, fail503, malformed, authFailure := ns.faults.admit()
	defer ns.faults.leave()
	if down {
		closeConn(w)
		return
	}
	if !s.wait(r.Context(), latency) {
		closeConn(w)
		return
	}
	if hook := s.hook.get(); hook != nil {
		hook(RequestInfo{Node: ns.node.name, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()})
	}
	if ns.faults.isDown() { // the hook may have taken the node down
		closeConn(w)
		return
	}
	if isEventsPath(r) {
		ns.serveEvents(w, r) // authenticated by its token, not Basic auth
		return
	}
	if fail503 {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if authFailure || !ns.authorized(r) {
		// CMS answers 401 with an empty body and the acano realm (cms-api.md §1.2).
		w.Header().Set("WWW-Authenticate", `Basic realm="acano"`)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if isTokenPath(r) {
		ns.issueToken(w)
		return
	}
	ns.write(w, ns.route(r), malformed)
}

func (ns *nodeServer) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	wantUser, wantPass := ns.sim.credentials(ns.node)
	u := subtle.ConstantTimeCompare([]byte(user), []byte(wantUser))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(wantPass))
	return u&p == 1
}

func (ns *nodeServer) write(w http.ResponseWriter, resp response, malformed bool) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Server", "Apache")
	h.Set("X-Frame-Options", "DENY")
	if resp.location != "" {
		h.Set("Location", resp.location)
	}
	body := resp.body
	if malformed && len(body) > 0 {
		body = body[:len(body)/2]
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(body)
}

// closeConn drops the connection without writing a response.
func closeConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server then closes the connection quietly
	}
	_ = conn.Close()
}

// enter registers a running handler unless the emulator is closing.
func (s *Sim) enter() bool {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return false
	}
	s.handlers.Add(1)
	return true
}

type handler func(ns *nodeServer, r *http.Request, ids []string) response

type route struct {
	method  string
	pattern []string // lower-case segments after /api/v1; "*" matches an id
	h       handler
}

func routes() []route {
	r := func(method, pattern string, h handler) route {
		return route{method: method, pattern: strings.Split(pattern, "/"), h: h}
	}
	return []route{
		r(http.MethodGet, "calls", getCalls),
		r(http.MethodPost, "calls", postCall),
		r(http.MethodGet, "calls/*", getCall),
		r(http.MethodPut, "calls/*", putCall),
		r(http.MethodDelete, "calls/*", deleteCall),
		r(http.MethodGet, "calls/*/calllegs", getCallCallLegs),
		r(http.MethodPost, "calls/*/calllegs", postCallLeg),
		r(http.MethodGet, "calls/*/participants", getCallParticipants),
		r(http.MethodPost, "calls/*/participants", postCallParticipant),
		r(http.MethodPut, "calls/*/participants/*", putCallParticipants),
		r(http.MethodGet, "calllegs", getCallLegs),
		r(http.MethodGet, "calllegs/*", getCallLeg),
		r(http.MethodPut, "calllegs/*", putCallLeg),
		r(http.MethodDelete, "calllegs/*", deleteCallLeg),
		r(http.MethodGet, "participants", getParticipants),
		r(http.MethodGet, "participants/*", getParticipant),
		r(http.MethodPut, "participants/*", putParticipant),
		r(http.MethodDelete, "participants/*", deleteParticipant),
		r(http.MethodGet, "participants/*/calllegs", getParticipantCallLegs),
		// Cisco's reference also writes the singular form (cms-api.md §3.5).
		r(http.MethodGet, "participant/*/calllegs", getParticipantCallLegs),
		r(http.MethodGet, "system/status", getSystemStatus),
		r(http.MethodGet, "system/configuration/cluster", getClusterConfig),
		r(http.MethodGet, "system/alarms", getSystemAlarms),
		r(http.MethodGet, "system/licensing", getSystemLicensing),
		r(http.MethodGet, "system/cdrreceivers", getCDRReceivers),
		r(http.MethodPost, "system/cdrreceivers", postCDRReceiver),
		r(http.MethodGet, "system/cdrreceivers/*", getCDRReceiver),
		r(http.MethodPut, "system/cdrreceivers/*", putCDRReceiver),
		r(http.MethodDelete, "system/cdrreceivers/*", deleteCDRReceiver),
		r(http.MethodGet, "callbridges", getCallBridges),
		r(http.MethodGet, "callbridges/*", getCallBridge),
		r(http.MethodGet, "cospaces", getCoSpaces),
		r(http.MethodGet, "cospaces/*", getCoSpace),
	}
}

// route matches the path case-insensitively: CMS answers /api/v1/calllegs like /callLegs
// (cms-api.md §1.4).
func (ns *nodeServer) route(r *http.Request) response {
	path := strings.ToLower(r.URL.Path)
	rest, found := strings.CutPrefix(path, "/api/v1/")
	if !found {
		return fail(http.StatusNotFound, "unrecognizedObject")
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	known := false
	for _, rt := range ns.sim.routes {
		ids, match := matchPattern(rt.pattern, segs)
		if !match {
			continue
		}
		known = true
		if rt.method == r.Method {
			return rt.h(ns, r, ids)
		}
	}
	if known {
		return fail(http.StatusMethodNotAllowed, "invalidOperation")
	}
	return fail(http.StatusNotFound, "unrecognizedObject")
}

func matchPattern(pattern, segs []string) ([]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var ids []string
	for i, p := range pattern {
		switch {
		case p == "*" && segs[i] != "":
			ids = append(ids, segs[i])
		case p != segs[i]:
			return nil, false
		}
	}
	return ids, true
}
