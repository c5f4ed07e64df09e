package cmssim

import (
	"net/http"
	"slices"
	"strings"
)

// MaxCDRReceivers is how many receivers a call bridge holds: GET reports maximum="4", and a
// fifth POST fails with tooManyCdrReceivers (cms-cdr.md §2.2).
const MaxCDRReceivers = 4

// CDRReceiver is one configured receiver of one node, as the test API sees it.
type CDRReceiver struct {
	ID  string
	URI string
}

// CDRReceivers lists a node's receivers in creation order. The list is node-local, as on a
// real cluster ("not stored in the database shared between clustered call bridges").
func (s *Sim) CDRReceivers(node string) []CDRReceiver {
	f := &s.cdr
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []CDRReceiver
	for _, r := range f.node(s, node).receivers {
		out = append(out, CDRReceiver{ID: r.id, URI: r.uri})
	}
	return out
}

// AddCDRReceiver configures a receiver on node directly, as another tool (CMM, a billing
// system) would; it reports false when the node is full or unknown.
func (s *Sim) AddCDRReceiver(node, uri string) (string, bool) {
	if s.state.nodeByName(node) == nil {
		return "", false
	}
	s.state.mu.RLock() // the feed's first look (startLocked) reads the state
	defer s.state.mu.RUnlock()
	f := &s.cdr
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.add(s, node, uri)
	if ok {
		f.startLocked(s)
	}
	return id, ok
}

// RemoveCDRReceiver deletes one of node's receivers directly, as an administrator (or the
// tool that owns it) would with DELETE /system/cdrReceivers/<id>: the slot frees, and CDRs stop
// going there. It reports false when the node or the receiver is unknown.
func (s *Sim) RemoveCDRReceiver(node, id string) bool {
	if s.state.nodeByName(node) == nil {
		return false
	}
	f := &s.cdr
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.node(s, node).remove(id)
}

// remove deletes the receiver id (GUIDs compare in any case); false when there is none.
func (n *cdrNode) remove(id string) bool {
	i := slices.IndexFunc(n.receivers, func(r *cdrReceiver) bool { return strings.EqualFold(r.id, id) })
	if i < 0 {
		return false
	}
	n.receivers = slices.Delete(n.receivers, i, i+1)
	return true
}

type cdrReceiverXML struct {
	ID  string `xml:"id,attr"`
	URI string `xml:"uri"`
}

type cdrReceiversXML struct {
	XMLName   struct{}         `xml:"cdrReceivers"`
	Total     int              `xml:"total,attr"`
	Maximum   int              `xml:"maximum,attr"`
	Receivers []cdrReceiverXML `xml:"cdrReceiver"`
}

type cdrReceiverDetailXML struct {
	XMLName struct{} `xml:"cdrReceiver"`
	cdrReceiverXML
}

func getCDRReceivers(ns *nodeServer, _ *http.Request, _ []string) response {
	f := &ns.sim.cdr
	f.mu.Lock()
	defer f.mu.Unlock()
	x := cdrReceiversXML{Maximum: MaxCDRReceivers}
	for _, r := range f.node(ns.sim, ns.node.name).receivers {
		x.Receivers = append(x.Receivers, cdrReceiverXML{ID: r.id, URI: r.uri})
	}
	x.Total = len(x.Receivers)
	return response{status: http.StatusOK, body: render(x)}
}

func getCDRReceiver(ns *nodeServer, _ *http.Request, ids []string) response {
	f := &ns.sim.cdr
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.node(ns.sim, ns.node.name).receiver(ids[0])
	if r == nil {
		return ns.missing("cdrReceiverDoesNotExist")
	}
	return response{status: http.StatusOK, body: render(cdrReceiverDetailXML{cdrReceiverXML: cdrReceiverXML{ID: r.id, URI: r.uri}})}
}

func postCDRReceiver(ns *nodeServer, r *http.Request, _ []string) response {
	fm, bad := form(r)
	if bad != nil {
		return *bad
	}
	uri, _ := param(fm, "uri")
	if !validReceiverURI(uri) {
		return badParam("uri")
	}
	ns.sim.state.mu.RLock() // the feed's first look (startLocked) reads the state
	defer ns.sim.state.mu.RUnlock()
	f := &ns.sim.cdr
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.add(ns.sim, ns.node.name, uri)
	if !ok {
		return fail(http.StatusBadRequest, "tooManyCdrReceivers")
	}
	f.startLocked(ns.sim)
	return response{status: http.StatusOK, location: "/api/v1/system/cdrReceivers/" + id}
}

// putCDRReceiver changes a receiver's uri. An empty uri keeps the GUID but stops delivery, as
// on CMS (which is why NFMM never uses PUT: cms-cdr.md §2.2).
func putCDRReceiver(ns *nodeServer, r *http.Request, ids []string) response {
	fm, bad := form(r)
	if bad != nil {
		return *bad
	}
	uri, present := param(fm, "uri")
	if present && uri != "" && !validReceiverURI(uri) {
		return badParam("uri")
	}
	f := &ns.sim.cdr
	f.mu.Lock()
	defer f.mu.Unlock()
	rc := f.node(ns.sim, ns.node.name).receiver(ids[0])
	if rc == nil {
		return ns.missing("cdrReceiverDoesNotExist")
	}
	if present {
		rc.uri = uri
	}
	return response{status: http.StatusOK}
}

func deleteCDRReceiver(ns *nodeServer, _ *http.Request, ids []string) response {
	f := &ns.sim.cdr
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.node(ns.sim, ns.node.name).remove(ids[0]) {
		return ns.missing("cdrReceiverDoesNotExist")
	}
	return response{status: http.StatusOK}
}

func validReceiverURI(uri string) bool {
	return strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://")
}
