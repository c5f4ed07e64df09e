// Package hostile is a CMS API that misbehaves on purpose, for the tests and the memory
// measurement of docs/reliability.md: each Answer is one way a broken or malicious call bridge
// answered NFMM's first request of `/cms calls` (GET /api/v1/calls) in the attack of issue 12.
// Everything else it serves is healthy: call details for the listed calls, and system status.
//
//	srv := hostile.Start(hostile.HugeTotal)
//	defer srv.Close()
//	node := cms.NewNode(cms.NodeConfig{BaseURL: srv.URL, …})
//
// Like cms/cmssim it imports nothing of NFMM: it answers as the attacker did, not as our client
// wishes.
package hostile

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"
)

// Answer is one hostile way of answering GET /api/v1/calls.
type Answer string

const (
	// Healthy is three ordinary calls: the baseline the others are measured against.
	Healthy Answer = "healthy"
	// HugeTotal is a page of one call claiming total="400000000".
	HugeTotal Answer = "huge-total"
	// HugePage is one page of 200 000 calls, about 4 MB.
	HugePage Answer = "huge-page"
	// DeepNesting is about 14 MB of unknown elements nested 9 000 deep inside <calls>.
	DeepNesting Answer = "deep-nesting"
	// DeepSmall is the same nesting in a body of a few KiB: a tree too deep, not too big.
	DeepSmall Answer = "deep-small"
	// Redirect is a 302 to an http:// URL on the same host.
	Redirect Answer = "redirect"
	// IllegalChar is three calls, one named with the character reference &#1;.
	IllegalChar Answer = "illegal-char"
	// SlowDrip is a healthy page sent one byte every DripInterval.
	SlowDrip Answer = "slow-drip"
	// WorstLegal is about the costliest page NFMM still accepts: 500 calls of 19 elements
	// each, just under 512 KiB, each call then read in detail.
	WorstLegal Answer = "worst-legal"
)

// Answers lists every answer, Healthy first.
func Answers() []Answer {
	return []Answer{Healthy, HugeTotal, HugePage, DeepNesting, DeepSmall, Redirect, IllegalChar, SlowDrip, WorstLegal}
}

// DripInterval is the pause between the bytes of SlowDrip.
const DripInterval = 50 * time.Millisecond

// RedirectTarget is where Redirect points, on the same host.
const RedirectTarget = "/moved/api/v1/calls"

// IllegalName is the name of the call that carries &#1; (as sent, before decoding).
const IllegalName = "Night&#1;shift"

// Server is a running hostile node on 127.0.0.1.
type Server struct {
	*httptest.Server
	answer   Answer
	list     []byte // the body of GET /api/v1/calls
	requests atomic.Int64
	followed atomic.Int64 // requests that reached RedirectTarget
	resent   atomic.Int64 // of those, how many carried credentials
}

// Start builds the answer's body and serves it on loopback.
func Start(a Answer) *Server {
	s := &Server{answer: a, list: listBody(a)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests is how many requests the server has answered.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Followed is how many requests followed the redirect, and how many of those re-sent the
// Authorization header.
func (s *Server) Followed() (requests, withCredentials int64) {
	return s.followed.Load(), s.resent.Load()
}

// BodySize is the size of the hostile list body.
func (s *Server) BodySize() int { return len(s.list) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	w.Header().Set("Content-Type", "text/xml")
	path := r.URL.Path
	switch {
	case path == RedirectTarget:
		s.followed.Add(1)
		if r.Header.Get("Authorization") != "" {
			s.resent.Add(1)
		}
		fmt.Fprint(w, `<?xml version="1.0"?><calls total="0"></calls>`)
	case path == "/api/v1/calls":
		s.serveList(w, r)
	case strings.HasPrefix(path, "/api/v1/calls/"):
		id := strings.TrimPrefix(path, "/api/v1/calls/")
		fmt.Fprintf(w, `<?xml version="1.0"?><call id="%s"><name>%s</name><callCorrelator>corr-%s</callCorrelator>`+
			`<numParticipantsLocal>1</numParticipantsLocal></call>`, id, s.name(id), id)
	case path == "/api/v1/system/status":
		fmt.Fprint(w, `<?xml version="1.0"?><status><softwareVersion>3.9</softwareVersion>`+
			`<uptimeSeconds>60</uptimeSeconds><callLegsActive>3</callLegsActive></status>`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<?xml version="1.0"?><failureDetails><unrecognizedObject/></failureDetails>`)
	}
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request) {
	switch s.answer {
	case Redirect:
		http.Redirect(w, r, "http://"+r.Host+RedirectTarget, http.StatusFound)
	case SlowDrip:
		fl, _ := w.(http.Flusher)
		for i := range s.list {
			if _, err := w.Write(s.list[i : i+1]); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(DripInterval):
			}
		}
	default: // HugeTotal answers every page with the same single call
		w.Write(s.list)
	}
}

// name is a call's name in its detail: IllegalChar's middle call keeps its illegal character.
func (s *Server) name(id string) string {
	if s.answer == IllegalChar && id == "c2" {
		return IllegalName
	}
	return "Meeting " + id
}

const healthyList = `<?xml version="1.0"?><calls total="3">` +
	`<call id="c1"><name>Meeting c1</name></call><call id="c2"><name>Meeting c2</name></call>` +
	`<call id="c3"><name>Meeting c3</name></call></calls>`

func listBody(a Answer) []byte {
	switch a {
	case HugeTotal:
		return []byte(`<?xml version="1.0"?><calls total="400000000"><call id="c1"><name>Meeting c1</name></call></calls>`)
	case HugePage:
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0"?><calls total="200000">`)
		for i := range 200000 {
			fmt.Fprintf(&b, "<call id=\"c%07d\"/>\n", i)
		}
		b.WriteString(`</calls>`)
		return b.Bytes()
	case DeepNesting:
		return deep(9000, 14<<20)
	case DeepSmall:
		return deep(200, 0)
	case IllegalChar:
		return []byte(strings.Replace(healthyList, "Meeting c2", IllegalName, 1))
	case WorstLegal:
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0"?><calls total="500">`)
		name := strings.Repeat("n", 750)
		for i := range 500 {
			fmt.Fprintf(&b, `<call id="c%04d"><name>%s</name>`, i, name)
			for j := range 17 {
				fmt.Fprintf(&b, "<f%02d>%d</f%02d>", j, j, j)
			}
			b.WriteString("</call>")
		}
		b.WriteString(`</calls>`)
		return b.Bytes()
	}
	return []byte(healthyList)
}

// deep is an empty <calls> list holding trees of unknown elements depth levels deep, repeated
// until the body reaches size (at least one tree).
func deep(depth, size int) []byte {
	tree := strings.Repeat("<u>", depth) + strings.Repeat("</u>", depth)
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?><calls total="0">`)
	b.WriteString(tree)
	for b.Len() < size-len(tree) {
		b.WriteString(tree)
	}
	b.WriteString(`</calls>`)
	return b.Bytes()
}
