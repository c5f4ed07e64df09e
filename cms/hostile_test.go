package cms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/hostile"
)

// maxAnswerAlloc bounds what the client may allocate for one hostile answer: bytes allocated
// in total (runtime.MemStats.TotalAlloc, a count, not a timing), which bounds the peak. The
// in-process server allocates a little too. Before issue 12 the same answers allocated
// 160 MB (huge total, 10⁷), over 1 GB (huge page) and 370 MB (deep nesting).
const maxAnswerAlloc = 8 << 20

// allocated runs fn and returns the bytes the process allocated meanwhile.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileCMS runs `/cms calls`'s read (Cluster.Meetings) against each hostile answer of
// cms/hostile: each is refused with an error naming the node, or (an illegal character) read
// leniently, and none costs more than a few MiB.
func TestHostileCMS(t *testing.T) {
	tests := []struct {
		answer  hostile.Answer
		want    error  // the node's error must match it; nil: the node must not fail
		message string // and contain this
		names   []string
		count   int // instead of names: how many meetings
	}{
		{answer: hostile.Healthy, names: []string{"Meeting c1", "Meeting c2", "Meeting c3"}},
		{answer: hostile.HugeTotal, want: ErrMalformedResponse, message: "list total 400000000 is more than a CMS node holds"},
		{answer: hostile.HugePage, want: ErrMalformedResponse, message: "body larger than"},
		{answer: hostile.DeepNesting, want: ErrMalformedResponse, message: "body larger than"},
		{answer: hostile.DeepSmall, want: ErrMalformedResponse, message: "nested deeper than 32"},
		{answer: hostile.Redirect, want: ErrMisconfigured, message: "redirect"},
		{answer: hostile.IllegalChar, names: []string{"Meeting c1", "Meeting c3", "Night\uFFFDshift"}},
		{answer: hostile.SlowDrip, want: context.DeadlineExceeded, message: "no answer within"},
		{answer: hostile.WorstLegal, count: 500},
	}
	for _, tt := range tests {
		t.Run(string(tt.answer), func(t *testing.T) {
			srv := hostile.Start(tt.answer)
			t.Cleanup(srv.Close)
			n, err := NewNode(NodeConfig{Name: "evil", BaseURL: srv.URL, Username: "api",
				Password: testPassword, Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			c := NewCluster([]*Node{n})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			// The list alone is one answer (every page of the huge total is refused with the
			// first); Meetings then reads each call's detail too.
			alloc := allocated(func() { n.Calls(ctx) })
			if alloc > maxAnswerAlloc {
				t.Errorf("one answer cost %d KiB of allocations, want at most %d", alloc>>10, maxAnswerAlloc>>10)
			}
			list := c.Meetings(ctx)
			if tt.want == nil {
				if len(list.Failed) > 0 {
					t.Fatalf("node failed: %v", list.Failed[0])
				}
				var got []string
				for _, m := range list.Meetings {
					got = append(got, m.Name)
				}
				if tt.count > 0 {
					if len(got) != tt.count {
						t.Errorf("%d meetings, want %d", len(got), tt.count)
					}
					return
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.names) {
					t.Errorf("meetings = %q, want %q", got, tt.names)
				}
				return
			}
			if len(list.Failed) != 1 || len(list.Meetings) != 0 {
				t.Fatalf("got %d meetings and failures %v, want the node to fail", len(list.Meetings), list.Failed)
			}
			err = list.Failed[0].Err
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.message) ||
				!strings.Contains(err.Error(), `"evil"`) {
				t.Errorf("err = %v, want %v saying %q and naming the node", err, tt.want, tt.message)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("err %v holds the password", err)
			}
			if followed, resent := srv.Followed(); followed > 0 || resent > 0 {
				t.Errorf("the redirect was followed %d times, %d with the credentials", followed, resent)
			}
		})
	}
}

// TestHugeTotalIsRefusedBeforeAllocating: a one-item page claiming 10⁷ items used to build the
// list of every page offset (160 MB) before the page limit refused it.
func TestHugeTotalIsRefusedBeforeAllocating(t *testing.T) {
	for _, total := range []int{10_000_000, maxListTotal} {
		t.Run(fmt.Sprint(total), func(t *testing.T) {
			var requests atomic.Int32
			n, _ := newTestNode(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				fmt.Fprintf(w, `<calls total="%d"><call id="c%d"/></calls>`, total, requests.Load())
			}))
			var err error
			alloc := allocated(func() { _, err = n.Calls(context.Background()) })
			if !errors.Is(err, ErrMalformedResponse) || !strings.Contains(err.Error(), `"cb1"`) {
				t.Errorf("err = %v, want a malformed response naming the node", err)
			}
			if requests.Load() != 1 {
				t.Errorf("%d requests, want only the first page", requests.Load())
			}
			if alloc > maxAnswerAlloc {
				t.Errorf("refusing the total allocated %d KiB", alloc>>10)
			}
		})
	}
}

// TestDetailReadsAreBoundedByTheirSlots: a page of many calls used to start a goroutine per
// call before any detail slot was free (1.14 GB for 200 000 calls). The goroutines are counted
// when the second page is requested, by which time the first page has been dispatched.
func TestDetailReadsAreBoundedByTheirSlots(t *testing.T) {
	const items = 400
	base := runtime.NumGoroutine()
	var peak atomic.Int64
	n, _ := newTestNode(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/v1/calls/"):
			time.Sleep(2 * time.Millisecond)
			id := strings.TrimPrefix(r.URL.Path, "/api/v1/calls/")
			fmt.Fprintf(w, `<call id="%s"><name>m %s</name></call>`, id, id)
		case r.URL.Query().Get("offset") != "":
			peak.Store(int64(runtime.NumGoroutine()))
			fmt.Fprintf(w, `<calls total="%d"></calls>`, items+1)
		default:
			var b strings.Builder
			fmt.Fprintf(&b, `<calls total="%d">`, items+1)
			for i := range items {
				fmt.Fprintf(&b, `<call id="c%d"/>`, i)
			}
			io.WriteString(w, b.String()+`</calls>`)
		}
	}), func(c *NodeConfig) { c.MaxConcurrency = 4 })
	got, err := nodeCalls(context.Background(), n)
	if err != nil || len(got) != items {
		t.Fatalf("got %d calls, err %v; want %d", len(got), err, items)
	}
	if extra := peak.Load() - int64(base); extra > 60 {
		t.Errorf("%d goroutines beyond the %d at start while %d details were pending, want about the 4 slots",
			extra, base, items)
	}
}

// TestIllegalCharactersAreReplaced: one &#1; (or a raw control byte, or invalid UTF-8) made
// encoding/xml refuse the whole list; now only that character is replaced.
func TestIllegalCharactersAreReplaced(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"decimal reference", "a&#1;b", "a\uFFFDb"},
		{"hex reference", "a&#x1F;b", "a\uFFFDb"},
		{"NUL reference", "&#0;", "\uFFFD"},
		{"surrogate reference", "&#xD800;", "\uFFFD"},
		{"out of range reference", "&#99999999999;", "\uFFFD"},
		{"raw control byte", "a\x01b", "a\uFFFDb"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"U+FFFE", "a\uFFFEb", "a\uFFFDb"},
		{"legal references stay", "&#65;&#x42;&amp;", "AB&"},
		{"tab and newline stay", "a\tb", "a\tb"},
		{"emoji stays", "🎉 Ünïcode", "🎉 Ünïcode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `<calls total="2"><call id="a"><name>` + tt.in + `</name></call><call id="b"><name>ok</name></call></calls>`
			_, calls, err := decodeCalls([]byte(body))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(calls) != 2 || calls[0].Name != tt.want || calls[1].Name != "ok" {
				t.Errorf("calls = %+v, want names %q and \"ok\"", calls, tt.want)
			}
		})
	}
}

// TestShapeLimits: depth, element count and page size are refused before decoding, and a body
// a CMS could send passes.
func TestShapeLimits(t *testing.T) {
	nest := func(d int) string { return strings.Repeat("<a>", d) + strings.Repeat("</a>", d) }
	tests := []struct {
		name, body, want string // want "": accepted
	}{
		{"32 levels", "<calls>" + nest(31) + "</calls>", ""},
		{"33 levels", "<calls>" + nest(32) + "</calls>", "nested deeper than 32"},
		{"self-closing does not nest", "<calls>" + strings.Repeat("<a/>", 900) + "</calls>", ""},
		{"quoted > and /> in attributes", `<calls><call id="a>/>"><name x='/>'>n</name></call></calls>`, ""},
		{"comments and CDATA are not elements", "<calls><!-- <a><a> --><![CDATA[<b><b>]]></calls>", ""},
		{"too many items", "<calls>" + strings.Repeat("<call/>", maxPageItems+1) + "</calls>",
			fmt.Sprintf("more than %d items", maxPageItems)},
		{"too many elements", "<calls>" + strings.Repeat("<call>"+strings.Repeat("<x/>", 30)+"</call>", maxElements/31+1) + "</calls>",
			fmt.Sprintf("more than %d XML elements", maxElements)},
		{"truncated is left to the decoder", "<calls><call", "XML syntax error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeCalls([]byte(tt.body))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v, want accepted", err)
			case tt.want != "" && (!errors.Is(err, ErrMalformedResponse) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want a malformed response saying %q", err, tt.want)
			}
		})
	}
}
