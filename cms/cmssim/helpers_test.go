package cmssim

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The tests talk raw HTTP and decode with encoding/xml into the small generic shapes below, so
// they check the wire, not a client's interpretation of it.

type reply struct {
	status int
	header http.Header
	body   string
}

func start(t *testing.T, opts Options) *Sim {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func nodeURL(t *testing.T, s *Sim, node string) string {
	t.Helper()
	for _, n := range s.Nodes() {
		if n.Name == node {
			return n.URL
		}
	}
	t.Fatalf("no node %s", node)
	return ""
}

// do sends method to node's path (relative to /api/v1/) with the emulator's credentials.
func do(t *testing.T, s *Sim, node, method, path string, form url.Values) reply {
	t.Helper()
	return doAuth(t, s, node, method, path, form, s.Username, s.Password)
}

func doAuth(t *testing.T, s *Sim, node, method, path string, form url.Values, user, pass string) reply {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, nodeURL(t, s, node)+"/api/v1/"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// get requires a 200 and returns the body decoded as a generic element.
func get(t *testing.T, s *Sim, node, path string) elem {
	t.Helper()
	r := do(t, s, node, http.MethodGet, path, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s on %s: status %d, body %s", path, node, r.status, r.body)
	}
	return decode(t, r.body)
}

// elem is any XML element: name, attributes, text and children in order.
type elem struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []elem     `xml:",any"`
}

func decode(t *testing.T, body string) elem {
	t.Helper()
	if !strings.HasPrefix(body, `<?xml version="1.0"?>`) {
		t.Fatalf("body does not start with the XML declaration: %.80q", body)
	}
	var e elem
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("decode: %v in %s", err, body)
	}
	return e
}

func (e elem) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// child returns the first child with name; ok is false when there is none.
func (e elem) child(name string) (elem, bool) {
	for _, k := range e.Kids {
		if k.XMLName.Local == name {
			return k, true
		}
	}
	return elem{}, false
}

// text returns the trimmed text of the child at a slash-separated path, "" when absent.
func (e elem) text(path string) string {
	cur := e
	for _, p := range strings.Split(path, "/") {
		var ok bool
		if cur, ok = cur.child(p); !ok {
			return ""
		}
	}
	return strings.TrimSpace(cur.Text)
}

func (e elem) has(path string) bool {
	cur := e
	for _, p := range strings.Split(path, "/") {
		var ok bool
		if cur, ok = cur.child(p); !ok {
			return false
		}
	}
	return true
}

func (e elem) names() []string {
	out := make([]string, len(e.Kids))
	for i, k := range e.Kids {
		out[i] = k.XMLName.Local
	}
	return out
}

// failureReason returns the single child name of a <failureDetails> body.
func failureReason(t *testing.T, r reply) string {
	t.Helper()
	e := decode(t, r.body)
	if e.XMLName.Local != "failureDetails" || len(e.Kids) != 1 {
		t.Fatalf("not a failureDetails body: %s", r.body)
	}
	return e.Kids[0].XMLName.Local
}

// all fetches every page of a collection, advancing by the items received, and checks that
// total stays consistent.
func all(t *testing.T, s *Sim, node, path string) []elem {
	t.Helper()
	var out []elem
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for {
		page := get(t, s, node, path+sep+"offset="+itoa(len(out)))
		out = append(out, page.Kids...)
		total := atoi(t, page.attr("total"))
		if len(page.Kids) == 0 || len(out) >= total {
			if len(out) != total {
				t.Fatalf("%s: got %d items, total %d", path, len(out), total)
			}
			return out
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// values builds a form from key, value pairs.
func values(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
