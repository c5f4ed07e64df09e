package store_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cdr"
	"github.com/nfmm/nfmm/store"
)

// cdrPosts are the posts of one day on a two-node cluster: a board meeting on both nodes with
// a recording, a guest who left early with poor media, a lobby leg that was rejected, a
// meeting whose callStart never arrived, and a failed dial-out with no call. Then the XML
// examples of cms-cdr.md, verbatim.
func cdrPosts(t *testing.T) []cdrPost {
	rec := func(typ, at string, idx int, inner string) string {
		return fmt.Sprintf(`<record type="%s" time="2026-11-30T%sZ" recordIndex="%d" correlatorIndex="%d">%s</record>`, typ, at, idx, idx, inner)
	}
	wrap := func(session string, recs ...string) string {
		return `<?xml version="1.0"?><records session="` + session + `">` + strings.Join(recs, "\n") + `</records>`
	}
	posts := []cdrPost{
		{"?node=cb1", wrap("s-cb1",
			rec("callStart", "09:00:00", 1, `<call id="c1"><name>Board meeting</name><callType>coSpace</callType><callCorrelator>corr-board</callCorrelator></call>`),
			rec("callLegStart", "09:01:00", 2, `<callLeg id="l-ann"><displayName>Ann Smith</displayName><remoteParty>ann@corp.test</remoteParty><direction>incoming</direction><call>c1</call></callLeg>`),
			rec("callLegUpdate", "09:01:02", 3, `<callLeg id="l-ann"><state>connected</state><call>c1</call><deactivated>false</deactivated></callLeg>`),
			rec("callLegStart", "09:02:00", 4, `<callLeg id="l-link"><remoteParty>cb2</remoteParty><subType>distributionLink</subType><call>c1</call></callLeg>`),
			rec("recordingStart", "09:03:00", 5, `<recording id="r1"><path>board/1</path><call>c1</call></recording>`),
			rec("callLegStart", "09:05:00", 6, `<callLeg id="l-lobby"><remoteAddress>0701234567@node01.example.org</remoteAddress><call>c1</call></callLeg>`),
		)},
		{"?node=cb2", wrap("s-cb2",
			rec("callStart", "09:02:00", 1, `<call id="c2"><name>Board meeting</name><callCorrelator>corr-board</callCorrelator></call>`),
			rec("callLegStart", "09:10:00", 2, `<callLeg id="l-guest"><displayName>Guest (Web)</displayName><guestConnection>true</guestConnection><call>c2</call></callLeg>`),
			rec("callLegEnd", "09:20:00", 3, `<callLeg id="l-guest"><reason>remoteTeardown</reason><durationSeconds>600</durationSeconds><alarm type="packetLoss" durationPercentage="41.5"/><alarm type="excessiveJitter" durationPercentage="12.0"/></callLeg>`),
			rec("callLegStart", "10:30:00", 4, `<callLeg id="l-orphan"><displayName>Ann Smith</displayName><call>c9</call></callLeg>`),
			rec("callLegEnd", "10:31:00", 5, `<callLeg id="l-fail"><remoteParty>+4712345678</remoteParty><reason>unknownDestination</reason></callLeg>`),
			rec("callEnd", "10:05:00", 6, `<call id="c2"><callLegsCompleted>2</callLegsCompleted><callLegsMaxActive>1</callLegsMaxActive><durationSeconds>3780</durationSeconds></call>`),
		)},
		{"?node=cb1", wrap("s-cb1",
			// Out of order: the call's end before its legs' ends, a duplicate of record 2.
			rec("callEnd", "10:00:00", 11, `<call id="c1"><callLegsCompleted>3</callLegsCompleted><callLegsMaxActive>3</callLegsMaxActive><durationSeconds>3600</durationSeconds></call>`),
			rec("callLegStart", "09:01:00", 2, `<callLeg id="l-ann"><displayName>Ann Smith</displayName><remoteParty>ann@corp.test</remoteParty><direction>incoming</direction><call>c1</call></callLeg>`),
			rec("callLegEnd", "09:45:00", 7, `<callLeg id="l-ann"><reason>remoteTeardown</reason><durationSeconds>2640</durationSeconds><activatedDuration>2638</activatedDuration><encryptedMedia>true</encryptedMedia></callLeg>`),
			rec("callLegEnd", "09:06:38", 8, `<callLeg id="l-lobby"><reason>remoteTeardown</reason><confirmationStatus>rejected</confirmationStatus><durationSeconds>98</durationSeconds></callLeg>`),
			rec("recordingEnd", "09:50:00", 9, `<recording id="r1"/>`),
			rec("callLegEnd", "09:59:00", 10, `<callLeg id="l-link"><reason>localTeardown</reason></callLeg>`),
		)},
	}
	dir := filepath.Join("..", "cms", "cdr", "testdata")
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		body := string(b)
		if strings.HasSuffix(f.Name(), ".record.xml") {
			body = `<records session="example-` + f.Name() + `">` + body + `</records>`
		}
		posts = append(posts, cdrPost{"?node=cb3", body})
	}
	return posts
}

// cdrPost is one post to the receiver: the query string of the URI it was registered with
// (its node, and its cluster beside CMS_NODES's) and the body.
type cdrPost struct{ query, body string }

// cdrNodes are the nodes of cdrPosts' one cluster (CMS_NODES).
var cdrNodes = []cdr.KnownNode{{Name: "cb1"}, {Name: "cb2"}, {Name: "cb3"}}

// postAll posts every post, in order, through a real receiver knowing nodes into sink.
func postAll(t *testing.T, sink cdr.Sink, nodes []cdr.KnownNode, posts []cdrPost) {
	t.Helper()
	srv := httptest.NewServer(cdr.NewReceiver(cdr.ReceiverConfig{Token: "tok", Sink: sink, Nodes: nodes}))
	defer srv.Close()
	for _, p := range posts {
		resp, err := srv.Client().Post(srv.URL+"/cdr/tok"+p.query, "text/xml", bytes.NewBufferString(p.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("post %s: %d", p.query, resp.StatusCode)
		}
	}
}

var allTime = cdr.HistoryQuery{From: time.Unix(0, 0), To: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}

// TestCDRHistory: the store projects exactly what cdr.Memory projects, on both engines, for
// every query shape, and a second delivery of everything changes nothing.
func TestCDRHistory(t *testing.T) {
	posts := cdrPosts(t)
	mem := cdr.NewMemory()
	postAll(t, mem, cdrNodes, posts)
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	queries := map[string]cdr.HistoryQuery{
		"all":              allTime,
		"that day":         {From: day, To: day.Add(24 * time.Hour)},
		"the day after":    {From: day.Add(24 * time.Hour), To: day.Add(48 * time.Hour)},
		"board":            {From: day, To: day.Add(24 * time.Hour), Meeting: "BOARD"},
		"by correlator":    {From: allTime.From, To: allTime.To, Meeting: "corr-bo"},
		"ann":              {From: allTime.From, To: allTime.To, Participant: "ann"},
		"by address":       {From: allTime.From, To: allTime.To, Participant: "0701234567"},
		"guest on a board": {From: allTime.From, To: allTime.To, Meeting: "board", Participant: "guest"},
		"like wildcards":   {From: allTime.From, To: allTime.To, Participant: "%"},
	}
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		s, err := store.Open(ctx(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		postAll(t, s, cdrNodes, posts)
		postAll(t, s, cdrNodes, posts) // CMS resending everything
		for name, q := range queries {
			want, _ := mem.HistoryRows(ctx(t), q)
			got, err := s.HistoryRows(ctx(t), q)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if g, w := cdr.Assemble(got), cdr.Assemble(want); !sameHistory(g, w) {
				t.Errorf("%s:\n got %s\nwant %s", name, describe(g), describe(w))
			}
		}
		board := cdr.Assemble(must(s.HistoryRows(ctx(t), queries["board"])))
		if len(board) != 1 || len(board[0].Participants) != 3 || board[0].Peak != 2 || len(board[0].Recordings) != 1 {
			t.Fatalf("board = %s", describe(board))
		}
		if none := cdr.Assemble(must(s.HistoryRows(ctx(t), queries["like wildcards"]))); len(none) != 0 {
			t.Errorf("%% matched %s", describe(none))
		}
	})
}

func TestCDRPrune(t *testing.T) {
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		s, err := store.Open(ctx(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		postAll(t, s, cdrNodes, cdrPosts(t))
		n, err := s.PruneCDRs(ctx(t), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || n != 8 { // the 2015–2022 examples
			t.Errorf("pruned %d, %v; want the 8 example records", n, err)
		}
		left := cdr.Assemble(must(s.HistoryRows(ctx(t), allTime)))
		for _, m := range left {
			if m.StartedAt.Year() < 2026 {
				t.Errorf("kept %s from %v", m.ID, m.StartedAt)
			}
		}
		if len(left) == 0 {
			t.Error("pruned 2026 too")
		}
		if _, err := s.PruneCDRs(ctx(t), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		if all := must(s.HistoryRows(ctx(t), allTime)); len(all.Instances)+len(all.Legs)+len(all.Recordings) != 0 {
			t.Errorf("rows left: %+v", all)
		}
	})
}

// TestCDRReplicasRace: two replicas store overlapping posts of the same legs at once.
func TestCDRReplicasRace(t *testing.T) {
	posts := cdrPosts(t)[:3]
	mem := cdr.NewMemory()
	postAll(t, mem, cdrNodes, posts)
	want := cdr.Assemble(must(mem.HistoryRows(ctx(t), allTime)))
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		a, err := store.Open(ctx(t), withReplica(cfg, "a"))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := store.Open(ctx(t), withReplica(cfg, "b"))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		var wg sync.WaitGroup
		for _, s := range []*store.Store{a, b, a, b} {
			wg.Go(func() { postAll(t, s, cdrNodes, posts) })
		}
		wg.Wait()
		if got := cdr.Assemble(must(b.HistoryRows(ctx(t), allTime))); !sameHistory(got, want) {
			t.Errorf("got %s\nwant %s", describe(got), describe(want))
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// sameHistory compares assembled meetings; row order from the database is not significant,
// and Assemble sorts everything it returns.
func sameHistory(a, b []cdr.Meeting) bool { return describe(a) == describe(b) }

func describe(ms []cdr.Meeting) string {
	var sb strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&sb, "\n  %s %q %v %s..%s peak %d rec %d:", m.ID, m.Name, m.Nodes, m.StartedAt.Format(time.RFC3339), m.EndedAt.Format(time.RFC3339), m.Peak, len(m.Recordings))
		for _, p := range m.Participants {
			fmt.Fprintf(&sb, " [%s %s %s..%s %ds %s loss %.1f jit %.1f guest %v lobby %v]", p.Node, p.Name(), p.JoinedAt.Format(time.TimeOnly), p.LeftAt.Format(time.TimeOnly), p.DurationS, p.Reason, p.PacketLossPct, p.JitterPct, p.Guest, p.Lobby())
		}
	}
	return sb.String()
}

// TestCDRHistoryClusters: each row names its sender's cluster, two clusters' same-named nodes
// included, and a query for one cluster reads only its meetings, on both engines as in
// cdr.Memory; rows posted without a cluster (CMS_NODES) are "default"'s.
func TestCDRHistoryClusters(t *testing.T) {
	call := func(session, id, name string) string {
		return `<records session="` + session + `"><record type="callStart" time="2026-11-30T09:00:00Z" recordIndex="1" correlatorIndex="1">` +
			`<call id="` + id + `"><name>` + name + `</name></call></record>` +
			`<record type="callLegStart" time="2026-11-30T09:01:00Z" recordIndex="2" correlatorIndex="2">` +
			`<callLeg id="leg-` + id + `"><displayName>Guest of ` + name + `</displayName><call>` + id + `</call></callLeg></record></records>`
	}
	posts := []cdrPost{
		{"?node=cb1&cluster=emea", call("s-emea", "c-emea", "Emea standup")},
		{"?node=cb1&cluster=amer", call("s-amer", "c-amer", "Amer standup")},
		{"?node=cb2", call("s-default", "c-default", "Old standup")},
	}
	nodes := []cdr.KnownNode{{Name: "cb1", Cluster: "emea"}, {Name: "cb1", Cluster: "amer"}, {Name: "cb2"}}
	mem := cdr.NewMemory()
	postAll(t, mem, nodes, posts)
	want := map[string]string{"amer": "Amer standup", "emea": "Emea standup", "default": "Old standup"}
	check := func(t *testing.T, h interface {
		HistoryRows(context.Context, cdr.HistoryQuery) (cdr.Rows, error)
	}) {
		for cluster, name := range want {
			q := allTime
			q.Cluster = cluster
			got := cdr.Assemble(must(h.HistoryRows(ctx(t), q)))
			if len(got) != 1 || got[0].Name != name || len(got[0].Participants) != 1 {
				t.Errorf("%s: %s, want only %q with its guest", cluster, describe(got), name)
			}
		}
		if every := cdr.Assemble(must(h.HistoryRows(ctx(t), allTime))); len(every) != 3 {
			t.Errorf("every cluster: %s", describe(every))
		}
	}
	check(t, mem)
	eachEngine(t, func(t *testing.T, cfg store.Config) {
		s, err := store.Open(ctx(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		postAll(t, s, nodes, posts)
		check(t, s)
	})
}
