package cmssim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestCDRReceiversAPI(t *testing.T) {
	s := start(t, Options{Nodes: 2})
	for i := range MaxCDRReceivers {
		r := do(t, s, "cb1", http.MethodPost, "system/cdrReceivers", url.Values{"uri": {"http://127.0.0.1:9/r" + string(rune('0'+i))}})
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Location"), "/api/v1/system/cdrReceivers/") {
			t.Fatalf("POST %d: %d %q", i, r.status, r.header.Get("Location"))
		}
	}
	r := do(t, s, "cb1", http.MethodPost, "system/cdrReceivers", url.Values{"uri": {"http://127.0.0.1:9/r5"}})
	if r.status != http.StatusBadRequest || failureReason(t, r) != "tooManyCdrReceivers" {
		t.Errorf("fifth POST: %d %s", r.status, r.body)
	}
	if r := do(t, s, "cb1", http.MethodPost, "system/cdrReceivers", url.Values{"uri": {"ftp://x"}}); r.status != http.StatusBadRequest {
		t.Errorf("bad uri: %d", r.status)
	}
	list := get(t, s, "cb1", "system/cdrreceivers") // case-insensitive like every CMS path
	if list.attr("total") != "4" || list.attr("maximum") != "4" || len(list.Kids) != 4 {
		t.Errorf("list = %+v", list)
	}
	// The list is per node.
	if other := get(t, s, "cb2", "system/cdrReceivers"); other.attr("total") != "0" {
		t.Errorf("cb2 = %+v", other)
	}
	id := list.Kids[0].attr("id")
	if one, _ := get(t, s, "cb1", "system/cdrReceivers/"+id).child("uri"); one.Text != "http://127.0.0.1:9/r0" {
		t.Errorf("GET one: uri %q", one.Text)
	}
	if r := do(t, s, "cb1", http.MethodPut, "system/cdrReceivers/"+id, url.Values{"uri": {"http://127.0.0.1:9/moved"}}); r.status != http.StatusOK {
		t.Errorf("PUT: %d", r.status)
	}
	if r := do(t, s, "cb1", http.MethodDelete, "system/cdrReceivers/"+id, nil); r.status != http.StatusOK {
		t.Errorf("DELETE: %d", r.status)
	}
	if r := do(t, s, "cb1", http.MethodGet, "system/cdrReceivers/"+id, nil); r.status != http.StatusNotFound {
		t.Errorf("GET deleted: %d", r.status)
	}
	if got := s.CDRReceivers("cb1"); len(got) != 3 {
		t.Errorf("after delete: %v", got)
	}
	// The test switches fill and free slots the way another tool or an administrator would.
	if _, ok := s.AddCDRReceiver("cb1", "http://127.0.0.1:9/cmm"); !ok {
		t.Fatal("AddCDRReceiver into the freed slot")
	}
	if _, ok := s.AddCDRReceiver("cb1", "http://127.0.0.1:9/billing"); ok {
		t.Error("AddCDRReceiver beyond the maximum")
	}
	first := s.CDRReceivers("cb1")[0]
	if !s.RemoveCDRReceiver("cb1", strings.ToUpper(first.ID)) || s.RemoveCDRReceiver("cb1", first.ID) || s.RemoveCDRReceiver("cb9", first.ID) {
		t.Error("RemoveCDRReceiver: want true once, then false, and false on an unknown node")
	}
	if got := get(t, s, "cb1", "system/cdrReceivers"); got.attr("total") != "3" {
		t.Errorf("after RemoveCDRReceiver the API lists %s", got.attr("total"))
	}
}

// TestCDRFeedPosts checks the wire: a <records> document per post with the node's session and
// callBridge, records in correlatorIndex order, resent until a 200.
//
// The receiver refuses until the test's own flush has seen a refusal: the feed's loop, kicked by
// the new receiver, may post first, so which round meets the 503 is not the test's to choose.
func TestCDRFeedPosts(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var accepted int
	refuse := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, string(b))
		if refuse {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		accepted++
	}))
	defer srv.Close()
	s := start(t, Options{Nodes: 2})
	s.AddMeeting(MeetingSpec{Name: "Review <Q4>", Participants: []ParticipantSpec{{Name: "Ann", Node: "cb1"}}})
	if _, ok := s.AddCDRReceiver("cb1", srv.URL+"/cdr/t?node=cb1"); !ok {
		t.Fatal("no slot")
	}
	if err := s.FlushCDRs(t.Context()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("FlushCDRs = %v, want the refused post reported", err)
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	if err := s.FlushCDRs(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Nothing is pending once the receiver took the records: a later round posts nothing.
	if err := s.FlushCDRs(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) < 2 || accepted != 1 {
		t.Fatalf("%d posts, %d accepted, want refused ones and then exactly one accepted: %q", len(bodies), accepted, bodies)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("posts = %q, want the refused one sent again unchanged", bodies)
		}
	}
	e := decode(t, bodies[len(bodies)-1])
	if e.XMLName.Local != "records" || e.attr("session") == "" || e.attr("callBridge") != s.Nodes()[0].CallBridgeID {
		t.Errorf("envelope = %+v", e)
	}
	var types []string
	for _, k := range e.Kids {
		types = append(types, k.attr("type")+"#"+k.attr("correlatorIndex"))
	}
	if want := "callStart#1 callLegStart#2 callLegUpdate#3"; strings.Join(types, " ") != want {
		t.Errorf("records = %s, want %s", strings.Join(types, " "), want)
	}
	if last := bodies[len(bodies)-1]; !strings.Contains(last, "<name>Review &lt;Q4&gt;</name>") {
		t.Errorf("the name is not escaped: %s", last)
	}
}

// TestCDRReceiversIndependent: a receiver that refuses (or is down) keeps its records pending
// without holding up the node's other receivers, as on CMS; once it answers 200 it gets them.
func TestCDRReceiversIndependent(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{} // posts taken, by receiver path
	refuse := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/refusing" && refuse {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		got[r.URL.Path]++
	}))
	defer srv.Close()
	s := start(t, Options{Nodes: 1})
	for _, path := range []string{"/refusing", "/down", "/taking"} {
		uri := srv.URL + path
		if path == "/down" {
			uri = "http://127.0.0.1:9/down" // discard port: nothing listens
		}
		if _, ok := s.AddCDRReceiver("cb1", uri); !ok {
			t.Fatal("no slot")
		}
	}
	s.AddMeeting(MeetingSpec{Name: "Review", Participants: []ParticipantSpec{{Name: "Ann"}}})
	if err := s.FlushCDRs(t.Context()); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("FlushCDRs = %v, want the first receiver's refusal", err)
	}
	mu.Lock()
	if got["/taking"] != 1 {
		t.Errorf("the third receiver took %d posts behind a refusing and a dead one, want 1", got["/taking"])
	}
	refuse = false
	mu.Unlock()
	_ = s.FlushCDRs(t.Context()) // /down still fails
	mu.Lock()
	defer mu.Unlock()
	if got["/refusing"] != 1 || got["/taking"] != 1 {
		t.Errorf("after the refusal ended: %v, want the pending post once to /refusing and nothing new to /taking", got)
	}
}

// A call that is up when the first receiver is configured and ends before the feed's loop
// first looks is still recorded, start and end, as on CMS. The demo's history test ended a
// meeting right after the registration; under load the loop looked only afterwards, so that
// meeting never reached the history.
func TestCDRFeedRecordsACallThatEndsBeforeTheFirstRound(t *testing.T) {
	var mu sync.Mutex
	var bodies strings.Builder
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		bodies.Write(b)
	}))
	defer srv.Close()
	s := start(t, Options{Nodes: 1})
	m := s.AddMeeting(MeetingSpec{Name: "Board", Participants: []ParticipantSpec{{Name: "Ann"}}})
	s.cdr.flush.Lock() // the feed's loop is late: it cannot look before the meeting ends
	r := do(t, s, "cb1", http.MethodPost, "system/cdrReceivers", url.Values{"uri": {srv.URL + "/cdr/t?node=cb1"}})
	if r.status != http.StatusOK {
		s.cdr.flush.Unlock()
		t.Fatalf("POST: %d", r.status)
	}
	s.EndMeeting(m.Correlator)
	s.cdr.flush.Unlock()
	if err := s.FlushCDRs(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, typ := range []string{"callStart", "callLegStart", "callLegEnd", "callEnd"} {
		if !strings.Contains(bodies.String(), `type="`+typ+`"`) {
			t.Errorf("no %s record; posted:\n%s", typ, bodies.String())
		}
	}
}
