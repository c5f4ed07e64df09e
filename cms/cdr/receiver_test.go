package cdr

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testToken = "s3cret-token"

var testNodes = []KnownNode{
	{Name: "cb1", Host: "10.0.0.1", CallBridgeID: cbClustered},
	{Name: "cb2", Host: "10.0.0.2", CallBridgeID: cbSIP},
	{Name: "cb3", Host: "127.0.0.1"},
}

type failingSink struct{ err error }

func (f failingSink) StoreCDRs(context.Context, string, string, Batch) (int, error) { return 0, f.err }

func newTestReceiver(t *testing.T, sink Sink) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(NewReceiver(ReceiverConfig{Token: testToken, Nodes: testNodes, Sink: sink, MaxBody: 64 << 10}))
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, srv *httptest.Server, query string, body []byte) (int, string) {
	t.Helper()
	return postTo(t, srv, Path(testToken)+query, "text/xml", body)
}

func postTo(t *testing.T, srv *httptest.Server, path, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func history(t *testing.T, m *Memory) []Meeting {
	t.Helper()
	rows, err := m.HistoryRows(context.Background(), HistoryQuery{To: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return Assemble(rows)
}

// TestReceiverExamples feeds every XML example of cms-cdr.md through the real receiver, each as
// its own post, and asserts the stored history.
func TestReceiverExamples(t *testing.T) {
	m := NewMemory()
	srv := newTestReceiver(t, m)
	posts := []struct {
		file, session, callBridge, query string
		records                          int
	}{
		{"callstart-readme.xml", "", "", "?node=cb3", 1},
		{"callstart-clustered.xml", "", "", "", 1}, // matched by callBridge: cb1
		{"sip-legstart.xml", "", "", "?node=cb2", 1},
		{"sip-legupdate.record.xml", sessSIP, cbSIP, "?node=cb2", 1},
		{"legend-callend-multi.xml", "", "", "?node=cb3", 2},
		{"lobby-update-end.record.xml", sessClustered, cbClustered, "?node=cb1", 2},
	}
	for _, p := range posts {
		code, body := post(t, srv, p.query, example(t, p.file, p.session, p.callBridge))
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", p.file, code, body)
		}
		if !strings.Contains(body, "stored "+string(rune('0'+p.records))+" new") {
			t.Errorf("%s: answer %q", p.file, body)
		}
	}
	if n := len(m.Records()); n != 8 {
		t.Errorf("%d raw records stored, want 8", n)
	}
	byID := map[string]Meeting{}
	for _, mt := range history(t, m) {
		byID[mt.ID] = mt
	}
	kashyyyk := byID["9f302948-f856-4c7f-8655-d45e4de22a8e"]
	want(t, kashyyyk.Name, "Kashyyyk Civil Engineering")
	want(t, kashyyyk.Nodes, []string{"cb3"})
	want(t, kashyyyk.StartedAt, time.Date(2019, 4, 4, 15, 28, 37, 0, time.UTC))
	want(t, kashyyyk.Ended(), false)

	test := byID["4417fa02-5538-48cc-a835-ff854afc0d8c"]
	want(t, test.Name, "Test")
	want(t, test.Nodes, []string{"cb1"})
	if len(test.Participants) != 1 {
		t.Fatalf("Test participants = %+v, want the lobby leg", test.Participants)
	}
	lobby := test.Participants[0]
	want(t, lobby.Name(), "0701234567@node01.example.org")
	want(t, lobby.JoinedAt, time.Date(2022, 5, 17, 10, 8, 31, 0, time.UTC))
	want(t, lobby.LeftAt, time.Date(2022, 5, 17, 10, 9, 8, 0, time.UTC))
	want(t, lobby.Duration(time.Time{}), 98*time.Second)
	want(t, lobby.Reason, "remoteTeardown")
	want(t, lobby.ConfirmationStatus, "rejected")
	want(t, lobby.Lobby(), 98*time.Second)
	want(t, test.Peak, 1)

	// The SIP leg's call (46d49cb4) never had a callStart here: the legs still show it.
	sip := byID["cb2/46d49cb4-8171-4abc-97f5-b88035b1da0a"]
	if len(sip.Participants) != 1 {
		t.Fatalf("SIP call = %+v", sip)
	}
	p := sip.Participants[0]
	want(t, p.Name(), "sipclient2@example.com")
	want(t, p.Direction, "incoming")
	want(t, p.JoinedAt, time.Date(2015, 7, 23, 7, 32, 55, 0, time.UTC))

	// 2017: the callEnd gives the call's start (end - durationSeconds); its leg never said
	// which call it was in, so it is stored but in no meeting.
	ended := byID["cb3/f54bfbc3-c11e-47a6-a918-6a308018ac1d"]
	want(t, ended.EndedAt, time.Date(2017, 4, 24, 13, 6, 5, 0, time.UTC))
	want(t, ended.StartedAt, ended.EndedAt.Add(-3955*time.Second))
	want(t, ended.Peak, 3)
	leg := m.legs[callKey{"cb3", "aa7c3c54-07d6-4af3-b853-a25fe676e554"}]
	want(t, leg.PacketLossPct, 0.1)
	want(t, leg.JitterPct, 0.0)
	want(t, leg.DurationS, 3912)
	want(t, leg.Encrypted, true)
	want(t, leg.Codecs, "audio opus/opus, video h264/h264")
	want(t, leg.MaxRxRes, "1280x720")
	want(t, leg.VideoViewerPct, 99.9)
}

// A realistic meeting on two nodes, posted as CMS would across several posts.
const boardCB1 = `<records session="sess-cb1" callBridge="` + cbClustered + `">
<record type="callStart" time="2026-11-30T09:00:00Z" recordIndex="1" correlatorIndex="100"><call id="call-1"><name>Board meeting</name><callType>coSpace</callType><coSpace>cs-board</coSpace><callCorrelator>corr-board</callCorrelator></call></record>
<record type="callLegStart" time="2026-11-30T09:01:00Z" recordIndex="2" correlatorIndex="101"><callLeg id="leg-ann"><displayName>Ann Smith</displayName><remoteParty>ann@corp.test</remoteParty><type>sip</type><direction>incoming</direction><call>call-1</call></callLeg></record>
<record type="callLegUpdate" time="2026-11-30T09:01:05Z" recordIndex="3" correlatorIndex="102"><callLeg id="leg-ann"><state>connected</state><call>call-1</call><deactivated>false</deactivated></callLeg></record>
<record type="callLegStart" time="2026-11-30T09:02:00Z" recordIndex="4" correlatorIndex="103"><callLeg id="leg-link"><remoteParty>cb2</remoteParty><type>acano</type><subType>distributionLink</subType><call>call-1</call></callLeg></record>
<record type="recordingStart" time="2026-11-30T09:03:00Z" recordIndex="5" correlatorIndex="104"><recording id="rec-1"><path>board/2026-11-30</path><call>call-1</call></recording></record>
</records>`

const boardCB1End = `<records session="sess-cb1" callBridge="` + cbClustered + `">
<record type="callLegEnd" time="2026-11-30T09:45:00Z" recordIndex="6" correlatorIndex="105"><callLeg id="leg-ann"><reason>remoteTeardown</reason><durationSeconds>2640</durationSeconds><activatedDuration>2635</activatedDuration><alarm type="packetLoss" durationPercentage="12.5"/><alarm type="excessiveJitter" durationPercentage="3.0"/></callLeg></record>
<record type="recordingEnd" time="2026-11-30T09:50:00Z" recordIndex="7" correlatorIndex="106"><recording id="rec-1"/></record>
<record type="callLegEnd" time="2026-11-30T09:59:00Z" recordIndex="8" correlatorIndex="107"><callLeg id="leg-link"><reason>localTeardown</reason></callLeg></record>
<record type="callEnd" time="2026-11-30T10:00:00Z" recordIndex="9" correlatorIndex="108"><call id="call-1"><callLegsCompleted>2</callLegsCompleted><callLegsMaxActive>2</callLegsMaxActive><durationSeconds>3600</durationSeconds></call></record>
</records>`

const boardCB2 = `<records session="sess-cb2" callBridge="` + cbSIP + `">
<record type="callStart" time="2026-11-30T09:02:00Z" recordIndex="1" correlatorIndex="7"><call id="call-2"><name>Board meeting</name><coSpace>cs-board</coSpace><callCorrelator>corr-board</callCorrelator></call></record>
<record type="callLegStart" time="2026-11-30T09:10:00Z" recordIndex="2" correlatorIndex="8"><callLeg id="leg-bob"><displayName>Bob Jones</displayName><remoteParty>bob@corp.test</remoteParty><type>sip</type><direction>outgoing</direction><call>call-2</call></callLeg></record>
<record type="callLegEnd" time="2026-11-30T09:20:00Z" recordIndex="3" correlatorIndex="9"><callLeg id="leg-bob"><reason>remoteTeardown</reason><durationSeconds>600</durationSeconds></callLeg></record>
<record type="callEnd" time="2026-11-30T10:05:00Z" recordIndex="4" correlatorIndex="10"><call id="call-2"><callLegsCompleted>2</callLegsCompleted><callLegsMaxActive>1</callLegsMaxActive><durationSeconds>3780</durationSeconds></call></record>
</records>`

func TestReceiverMergesAcrossNodes(t *testing.T) {
	m := NewMemory()
	srv := newTestReceiver(t, m)
	for _, p := range []struct{ q, body string }{{"?node=cb1", boardCB1}, {"?node=cb2", boardCB2}, {"?node=cb1", boardCB1End}} {
		if code, body := post(t, srv, p.q, []byte(p.body)); code != http.StatusOK {
			t.Fatalf("%d %s", code, body)
		}
	}
	ms := history(t, m)
	if len(ms) != 1 {
		t.Fatalf("meetings = %+v, want one merged on callCorrelator", ms)
	}
	b := ms[0]
	want(t, b.ID, "corr-board")
	want(t, b.Name, "Board meeting")
	want(t, b.Nodes, []string{"cb1", "cb2"})
	want(t, b.StartedAt, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	want(t, b.EndedAt, time.Date(2026, 11, 30, 10, 5, 0, 0, time.UTC))
	want(t, b.Duration(time.Time{}), 65*time.Minute)
	want(t, b.Peak, 2) // Ann and Bob overlapped; the distribution link does not count
	if len(b.Participants) != 2 {
		t.Fatalf("participants = %+v", b.Participants)
	}
	ann, bob := b.Participants[0], b.Participants[1]
	want(t, ann.Name(), "Ann Smith")
	want(t, ann.JoinedAt, time.Date(2026, 11, 30, 9, 1, 5, 0, time.UTC))
	want(t, ann.LeftAt, time.Date(2026, 11, 30, 9, 45, 0, 0, time.UTC))
	want(t, ann.Duration(time.Time{}), 2640*time.Second)
	want(t, ann.Lobby(), 5*time.Second)
	want(t, ann.PacketLossPct, 12.5)
	want(t, ann.JitterPct, 3.0)
	want(t, ann.PoorMedia(10), true)
	want(t, bob.Name(), "Bob Jones")
	want(t, bob.Node, "cb2")
	want(t, bob.Direction, "outgoing")
	want(t, bob.PoorMedia(10), false)
	if len(b.Recordings) != 1 || b.Recordings[0].Target != "board/2026-11-30" || b.Recordings[0].EndedAt.IsZero() {
		t.Errorf("recordings = %+v", b.Recordings)
	}
}

// TestReceiverDuplicatesAndOrder: CMS resends what it had no 200 for, and records of one meeting
// reach different replicas in any order. Every order and every repeat gives the same history.
func TestReceiverDuplicatesAndOrder(t *testing.T) {
	inOrder := NewMemory()
	srv := newTestReceiver(t, inOrder)
	for _, p := range []struct{ q, body string }{{"?node=cb1", boardCB1}, {"?node=cb2", boardCB2}, {"?node=cb1", boardCB1End}} {
		post(t, srv, p.q, []byte(p.body))
	}
	wantHistory := history(t, inOrder)

	shuffled := NewMemory()
	srv2 := newTestReceiver(t, shuffled)
	// The end first, then the start twice, then cb2's records one at a time, newest first.
	for _, p := range []struct{ q, body string }{{"?node=cb1", boardCB1End}, {"?node=cb1", boardCB1}, {"?node=cb1", boardCB1}} {
		if code, body := post(t, srv2, p.q, []byte(p.body)); code != http.StatusOK {
			t.Fatalf("%d %s", code, body)
		}
	}
	cb2, err := Decode([]byte(boardCB2))
	if err != nil {
		t.Fatal(err)
	}
	for i := len(cb2.Records) - 1; i >= 0; i-- {
		body := `<records session="sess-cb2">` + string(cb2.Records[i].XML) + `</records>`
		_, answer := post(t, srv2, "?node=cb2", []byte(body))
		want(t, answer, "stored 1 new of 1 records\n")
	}
	_, answer := post(t, srv2, "?node=cb2", []byte(boardCB2))
	want(t, answer, "stored 0 new of 4 records\n")
	want(t, len(shuffled.Records()), len(inOrder.Records()))
	got := history(t, shuffled)
	if !equal(got, wantHistory) {
		t.Errorf("shuffled history\n%+v\nwant\n%+v", got, wantHistory)
	}
}

func TestReceiverRefusals(t *testing.T) {
	good := []byte(boardCB2)
	tests := []struct {
		name, method, path, contentType string
		body                            []byte
		status                          int
		says                            string
	}{
		{"wrong token", "POST", "/cdr/guess?node=cb2", "text/xml", good, 403, "wrong CDR token"},
		{"no token", "POST", "/cdr/", "text/xml", good, 403, "wrong CDR token"},
		{"other path", "POST", "/records", "text/xml", good, 404, "/cdr/<token>"},
		{"GET", "GET", Path(testToken), "", nil, 405, "CMS posts CDRs"},
		{"JSON", "POST", Path(testToken) + "?node=cb2", "application/json", []byte(`{"a":1}`), 415, "application/json"},
		{"not XML", "POST", Path(testToken) + "?node=cb2", "", []byte("hello"), 415, "not XML"},
		{"empty", "POST", Path(testToken) + "?node=cb2", "text/xml", nil, 415, "not XML"},
		{"oversized", "POST", Path(testToken) + "?node=cb2", "text/xml", bytes.Repeat([]byte("<"), 65<<10), 413, "limit is 65536 bytes"},
		{"unknown node by name", "POST", Path(testToken) + "?node=cb9", "text/xml", good, 403, `node "cb9" is not configured`},
		{"unknown node by address", "POST", Path(testToken), "text/xml", []byte(`<records session="x"></records>`), 200, "stored 0"}, // 127.0.0.1 is cb3
		{"callBridge of another node", "POST", Path(testToken) + "?node=cb1", "text/xml", good, 403, "is not node cb1"},
	}
	m := NewMemory()
	srv := newTestReceiver(t, m)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, bytes.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.says) {
				t.Errorf("%d %q, want %d saying %q", resp.StatusCode, b, tt.status, tt.says)
			}
		})
	}
	if n := len(m.Records()); n != 0 {
		t.Errorf("%d records stored from refused posts", n)
	}
}

func TestReceiverUnknownSource(t *testing.T) {
	srv := httptest.NewServer(NewReceiver(ReceiverConfig{Token: testToken, Nodes: testNodes[:2], Sink: NewMemory()}))
	defer srv.Close()
	code, body := post(t, srv, "", []byte(`<records session="x"></records>`))
	if code != 403 || !strings.Contains(body, "matches no configured node") {
		t.Errorf("%d %q", code, body)
	}
}

// TestReceiverMalformed: a malformed post is refused with 400 and logged with the node; the
// records before the fault are stored, records stored by earlier posts stay, and the receiver
// keeps working.
func TestReceiverMalformed(t *testing.T) {
	var logs bytes.Buffer
	m := NewMemory()
	srv := httptest.NewServer(NewReceiver(ReceiverConfig{Token: testToken, Nodes: testNodes, Sink: m,
		Logger: slogText(&logs)}))
	defer srv.Close()
	if code, _ := post(t, srv, "?node=cb1", []byte(boardCB1)); code != 200 {
		t.Fatal(code)
	}
	broken := boardCB2[:strings.Index(boardCB2, `<record type="callLegEnd"`)+40]
	code, body := post(t, srv, "?node=cb2", []byte(broken))
	if code != 400 || !strings.Contains(body, "malformed CDR post") || !strings.Contains(body, "2 records before it stored") {
		t.Errorf("%d %q", code, body)
	}
	if !strings.Contains(logs.String(), "node=cb2") || !strings.Contains(logs.String(), "malformed") {
		t.Errorf("log = %q, want the node and the fault", logs.String())
	}
	want(t, len(m.Records()), 5+2)
	// CMS resends the whole post once it is fixed: only the rest is new.
	_, body = post(t, srv, "?node=cb2", []byte(boardCB2))
	want(t, body, "stored 2 new of 4 records\n")
}

func TestReceiverStoreDown(t *testing.T) {
	srv := newTestReceiver(t, failingSink{errors.New("database is locked")})
	code, body := post(t, srv, "?node=cb2", []byte(boardCB2))
	if code != 503 || !strings.Contains(body, "CMS will resend") {
		t.Errorf("%d %q", code, body)
	}
}

func TestReceiverServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMemory()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- NewReceiver(ReceiverConfig{Token: testToken, Nodes: testNodes, Sink: m}).Serve(ctx, ln)
	}()
	base := "http://" + ln.Addr().String()
	resp, err := http.Post(base+Path(testToken)+"?node=cb2", "text/xml", strings.NewReader(boardCB2))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	other, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	other.Body.Close()
	if resp.StatusCode != 200 || other.StatusCode != 404 || len(m.Records()) != 4 {
		t.Errorf("post %d, other path %d, %d records", resp.StatusCode, other.StatusCode, len(m.Records()))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
}

// TestReceiverSeveralClusters: two clusters may both have a cb1; the URI's ?cluster= picks the
// node, and a node unknown in the named cluster is refused naming it.
func TestReceiverSeveralClusters(t *testing.T) {
	nodes := []KnownNode{{Name: "cb1", Cluster: "emea", Host: "10.0.0.1"}, {Name: "cb2", Cluster: "emea", Host: "10.0.0.2"},
		{Name: "cb1", Cluster: "amer", Host: "10.1.0.1", CallBridgeID: cbSIP}}
	rc := NewReceiver(ReceiverConfig{Token: testToken, Nodes: nodes, Sink: NewMemory()})
	for _, tc := range []struct {
		named, cluster, callBridge, remote string
		want                               *KnownNode
	}{
		{"cb1", "amer", "", "127.0.0.1:1", &nodes[2]},
		{"cb1", "emea", "", "127.0.0.1:1", &nodes[0]},
		{"cb2", "amer", "", "127.0.0.1:1", nil},
		{"", "", cbSIP, "127.0.0.1:1", &nodes[2]},
		{"", "", "", "10.1.0.1:443", &nodes[2]},
		// No ?cluster= (a receiver registered before several clusters): a name only one
		// cluster has is that node; one both have is told by the address, else nobody's.
		{"cb2", "", "", "127.0.0.1:1", &nodes[1]},
		{"cb1", "", "", "10.1.0.1:443", &nodes[2]},
		{"cb1", "", "", "127.0.0.1:1", nil},
	} {
		if got := rc.match(tc.named, tc.cluster, tc.callBridge, tc.remote); got != tc.want {
			t.Errorf("match(%q, %q, %q, %q) = %+v, want %+v", tc.named, tc.cluster, tc.callBridge, tc.remote, show(got), show(tc.want))
		}
	}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	if code, body := post(t, srv, "?node=cb2&cluster=amer", []byte("<records/>")); code != http.StatusForbidden || !strings.Contains(body, `node "cb2" is not configured in cluster "amer"`) {
		t.Errorf("unknown node in amer: %d %s", code, body)
	}
	if code, body := post(t, srv, "?node=cb1", []byte("<records/>")); code != http.StatusForbidden || !strings.Contains(body, `clusters emea, amer all have a node "cb1" and the URI names none`) {
		t.Errorf("cb1 of no cluster: %d %s", code, body)
	}
	// The default cluster's URI names no cluster: its node, wherever it is in the list.
	withDefault := []KnownNode{{Name: "cb1", Cluster: "amer"}, {Name: "cb1", Cluster: "default"}}
	if got := NewReceiver(ReceiverConfig{Token: testToken, Nodes: withDefault}).match("cb1", "", "", "127.0.0.1:1"); got == nil || got.Cluster != "default" {
		t.Errorf("?node=cb1 beside a cluster called default = %+v, want default's", show(got))
	}
}
