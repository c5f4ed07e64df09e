package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/commands"
)

func historyMeeting(i, legs int) commands.HistoryMeeting {
	start := testAsOf.Add(-time.Duration(24+i) * time.Hour)
	m := commands.HistoryMeeting{ID: uuid("a", i), Name: fmt.Sprintf("Meeting %03d", i), Nodes: []string{"cb1", "cb2"},
		StartedAt: start, EndedAt: start.Add(time.Hour), Duration: time.Hour, Peak: min(legs, 5)}
	for j := range legs {
		q := []string{"good", "fair", "poor"}[j%3]
		m.Participants = append(m.Participants, commands.HistoryLeg{
			Name: fmt.Sprintf("Person %03d", j), Address: fmt.Sprintf("p%03d@example.com", j), Node: m.Nodes[j%2],
			Direction: "incoming", JoinedAt: start.Add(time.Duration(j) * time.Minute), LeftAt: start.Add(time.Hour),
			Duration: time.Hour - time.Duration(j)*time.Minute, Lobby: time.Duration(j%2) * 5 * time.Second,
			Reason: "remoteTeardown", PacketLossPct: float64(j%3) * 6, JitterPct: float64(j % 2), Quality: q,
		})
	}
	return m
}

func historyResult(meetings, legs int) *commands.HistoryResult {
	r := &commands.HistoryResult{Search: "meetings", From: testAsOf.Add(-7 * 24 * time.Hour).Truncate(24 * time.Hour),
		To: testAsOf.Truncate(24 * time.Hour).Add(24 * time.Hour), AsOf: testAsOf}
	for i := range meetings {
		r.Meetings = append(r.Meetings, historyMeeting(i, legs))
	}
	return r
}

func historyDetail(legs int) *commands.HistoryResult {
	r := historyResult(1, legs)
	r.Query, r.Detail = "meeting 000", true
	r.Meetings[0].Recordings = []commands.HistoryRecording{{Kind: "recording", Target: "board/1", StartedAt: r.Meetings[0].StartedAt, EndedAt: r.Meetings[0].EndedAt}}
	return r
}

func TestHistoryGolden(t *testing.T) {
	search := historyResult(2, 4)
	search.Query, search.Search = "person 001", "participant"
	for i := range search.Meetings {
		search.Meetings[i].Participants[1].Matched = true
	}
	for name, msg := range map[string]message{
		"history_list":    render(historyResult(3, 4), viewerOpts),
		"history_detail":  render(historyDetail(4), viewerOpts),
		"history_search":  render(search, viewerOpts),
		"history_empty":   render(historyResult(0, 0), viewerOpts),
		"history_page2of": render(historyResult(25, 2), withPage(viewerOpts, 1)),
	} {
		t.Run(name, func(t *testing.T) {
			if errs := checkLimits(msg); len(errs) > 0 {
				t.Fatalf("limits: %v", errs)
			}
			assertGolden(t, name, msg)
		})
	}
}

func TestHistoryPagingWithinLimits(t *testing.T) {
	tests := []struct {
		name   string
		result *commands.HistoryResult
		pages  int
		want   []string
	}{
		{"35 meetings", historyResult(35, 40), 4, []string{uuid("a", 0), uuid("a", 34)}},
		{"70 legs", historyDetail(70), 3, []string{"Person 000", "Person 069"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := allPages(t, tt.result, viewerOpts)
			if len(pages) != tt.pages {
				t.Errorf("%d pages, want %d", len(pages), tt.pages)
			}
			var all strings.Builder
			for i, m := range pages {
				if errs := checkLimits(m); len(errs) > 0 {
					t.Errorf("page %d: %v", i, errs)
				}
				all.Write(marshal(t, m))
			}
			for _, s := range tt.want {
				if !strings.Contains(all.String(), s) {
					t.Errorf("%s is on no page", s)
				}
			}
		})
	}
}

func TestHistoryButtonsRoundTrip(t *testing.T) {
	r := historyResult(12, 2)
	r.Query = "weekly sync"
	m := render(r, viewerOpts)
	b := string(marshal(t, m))
	if !strings.Contains(b, `"value": "history `+uuid("a", 0)+`"`) {
		t.Errorf("no Details button running history <id>:\n%s", b)
	}
	ref := historyRef(r, time.UTC)
	got, err := decodePageRef(ref.encode())
	if err != nil || got != ref {
		t.Fatalf("page ref %q: %v", ref.encode(), err)
	}
	c, err := commands.Parse("history " + ref.Filter)
	if err != nil || c.Filter != "weekly sync" || c.When != "2026-11-17..2026-11-24" {
		t.Errorf("the page re-runs %+v (%v), want the same question", c, err)
	}
}

func TestHistoryUntrustedText(t *testing.T) {
	e := evil()
	r := historyDetail(3)
	r.Query = e
	m := &r.Meetings[0]
	m.Name, m.Nodes = e, []string{e}
	for i := range m.Participants {
		p := &m.Participants[i]
		p.Name, p.Address, p.Node, p.Reason = e, e, e, e
	}
	m.Recordings[0].Target = e
	list := *r
	list.Detail = false
	list.Meetings = append(list.Meetings, *m)
	for _, res := range []*commands.HistoryResult{r, &list} {
		msg := render(res, viewerOpts)
		if errs := checkLimits(msg); len(errs) > 0 {
			t.Fatalf("limits: %v", errs)
		}
		assertInert(t, msg)
	}
}

func TestStatusCDRField(t *testing.T) {
	r := statusResult()
	r.Nodes[0].CDR = &commands.CDRHealth{State: "registered", Receivers: 2, Maximum: 4, Others: []string{"https://cmm/cdr"}}
	r.Nodes[1].CDR = &commands.CDRHealth{State: "full", Receivers: 4, Maximum: 4, Others: []string{evil(), evil(), evil(), evil()}}
	m := render(r, viewerOpts)
	if errs := checkLimits(m); len(errs) > 0 {
		t.Fatalf("limits: %v", errs)
	}
	assertInert(t, m)
	b := string(marshal(t, m))
	if !strings.Contains(b, "✅ registered (2 of 4 receivers)") || !strings.Contains(b, "⚠️ slots full (4 of 4)") {
		t.Errorf("status without the CDR receiver state:\n%s", b)
	}
}

// TestRenderHistoryNamesCluster: with several clusters the list's header names its cluster.
func TestRenderHistoryNamesCluster(t *testing.T) {
	r := historyResult(2, 1)
	r.Cluster = "amer"
	msg := render(r, viewerOpts)
	if b, _ := json.Marshal(msg.Blocks); !strings.Contains(string(b), "on cluster amer") {
		t.Errorf("the header does not name the cluster: %s", b)
	}
}
