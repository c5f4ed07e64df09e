package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/commands"
)

func auditResult(n int) *commands.AuditResult {
	r := &commands.AuditResult{Search: "all", AsOf: testAsOf}
	for i := range n {
		r.Events = append(r.Events, commands.AuditEntry{Time: testAsOf.Add(-time.Duration(i) * time.Minute), Actor: "U0OPS1",
			Channel: "C0OPS", Op: "mute", Media: "audio", Meeting: "Board review", Participant: fmt.Sprintf("Person %03d", i),
			Nodes: []string{"cb2"}, Outcome: commands.OutcomeOK,
			Changes: []commands.Change{{Subject: fmt.Sprintf("Person %03d", i), Field: "audio", Before: "unmuted", After: "muted"}}})
	}
	return r
}

func TestAuditGolden(t *testing.T) {
	mixed := auditResult(1)
	mixed.Query, mixed.Search = "board", "meeting"
	mixed.Events = append(mixed.Events,
		commands.AuditEntry{Time: testAsOf.Add(-time.Hour), Actor: "U0VIEW1", Channel: "C0OPS", Op: "disconnect",
			Meeting: "Board review", Participant: "alice", Outcome: commands.OutcomeDenied, Error: "Only NFMM operators may change calls."},
		commands.AuditEntry{Time: testAsOf.Add(-2 * time.Hour), Actor: "local", Op: "presenter", Presenter: "on",
			Meeting: "Board review", Participant: "Carol", Nodes: []string{"cb1", "cb2"}, Outcome: commands.OutcomePartial,
			Error: "cb2 did not answer in time."})
	for i := range 9 { // more changes than one event shows
		e := &mixed.Events[2]
		e.Changes = append(e.Changes, commands.Change{Subject: fmt.Sprintf("Guest %d", i), Field: "layout", Before: "", After: "speakerOnly"})
	}
	user := &commands.AuditResult{Query: "<@U0NONE1>", Search: "user", Actor: "U0NONE1", AsOf: testAsOf}
	for name, msg := range map[string]message{
		"audit_list":  render(mixed, opOpts),
		"audit_empty": render(user, opOpts),
		"audit_page2": render(auditResult(25), withPage(opOpts, 1)),
	} {
		t.Run(name, func(t *testing.T) {
			if errs := checkLimits(msg); len(errs) > 0 {
				t.Fatalf("limits: %v", errs)
			}
			assertGolden(t, name, msg)
		})
	}
}

// TestAuditPagingWithinLimits: the most an answer holds (200 events, each with changes) pages
// within Slack's limits and every event is on a page; the pager asks the same question again.
func TestAuditPagingWithinLimits(t *testing.T) {
	r := auditResult(200)
	r.More = true
	pages := allPages(t, r, opOpts)
	if len(pages) != 200/auditPerPage {
		t.Errorf("%d pages", len(pages))
	}
	var all strings.Builder
	for i, m := range pages {
		if errs := checkLimits(m); len(errs) > 0 {
			t.Errorf("page %d: %v", i, errs)
		}
		all.Write(marshal(t, m))
	}
	for _, s := range []string{"Person 000", "Person 199", "older events not shown"} {
		if !strings.Contains(all.String(), s) {
			t.Errorf("%s is on no page", s)
		}
	}
	for _, tt := range []struct{ query, search, actor, want string }{
		{"<@U0OPS1|olivia>", "user", "U0OPS1", "U0OPS1"},
		{"board review", "meeting", "", `"board review"`},
		{"today", "today", "", "today"},
	} {
		ref := auditRef(&commands.AuditResult{Query: tt.query, Search: tt.search, Actor: tt.actor})
		got, err := decodePageRef(ref.encode())
		if err != nil || got.Filter != tt.want {
			t.Fatalf("page ref %q: %+v, %v", ref.encode(), got, err)
		}
		c, err := commands.Parse("audit " + got.Filter)
		if err != nil || c.Op != commands.OpAudit {
			t.Errorf("the page of %q re-runs %+v (%v)", tt.query, c, err)
		}
	}
}

func TestAuditUntrustedText(t *testing.T) {
	e := evil()
	r := &commands.AuditResult{Query: e, Search: "meeting", AsOf: testAsOf, Events: []commands.AuditEntry{{
		Time: testAsOf, Actor: e, Channel: e, Op: "mute", Meeting: e, Participant: e, Nodes: []string{e}, Outcome: commands.OutcomeError,
		Error: e, Changes: []commands.Change{{Subject: e, Field: e, Before: e, After: e}}}}}
	m := render(r, opOpts)
	if errs := checkLimits(m); len(errs) > 0 {
		t.Errorf("limits: %v", errs)
	}
	if raw := string(marshal(t, m)); strings.Contains(raw, "<!channel>") || strings.Contains(raw, "<@U") {
		t.Errorf("untrusted text not escaped: %s", raw)
	}
}
