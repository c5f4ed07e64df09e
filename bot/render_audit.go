package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// Audit pages: one section per event, its changes inside it; well under Slack's 50 blocks
// with the header, the pager and the context line.
const (
	auditPerPage    = 10
	auditChangesMax = 6 // changes shown per event before "and N more" (presenter mode has many)
	pageKindAudit   = "audit"
)

// auditRef pages the same question. A mention pages as the bare user id, which `audit` reads
// the same way (page values cannot hold "<@…>").
func auditRef(r *commands.AuditResult) pageRef {
	q := r.Query
	if r.Search == "user" {
		q = r.Actor
	}
	if strings.ContainsAny(q, " \t") {
		q = `"` + q + `"`
	}
	return pageRef{Kind: pageKindAudit, Filter: q}
}

// auditTitle says what was asked: "12 audit events today", "3 audit events by @olivia".
func auditTitle(r *commands.AuditResult) (head, about string) {
	n := len(r.Events)
	head = plural(n, "audit event", "audit events")
	switch {
	case n == 0:
		head = "No audit events"
	case r.More:
		head = fmt.Sprintf("The newest %d audit events", n)
	}
	switch r.Search {
	case "today":
		about = " today"
	case "user":
		about = " by " + mention("@", r.Actor)
	case "meeting":
		about = " in meetings matching “" + escapeTrunc(clean(r.Query), 200) + "”"
	}
	return head, about
}

func renderAudit(r *commands.AuditResult, o renderOpts) message {
	head, about := auditTitle(r)
	blocks := []slack.Block{header(head)}
	if about != "" || len(r.Events) == 0 {
		text := "Newest first" + strings.Replace(about, " ", ", ", 1) + "."
		if len(r.Events) == 0 {
			text = "Nothing was changed or attempted" + about + "."
		}
		blocks = append(blocks, textSection(text))
	}
	total := len(r.Events)
	page, pages := clampPage(o.Page, total, auditPerPage)
	lo, hi := page*auditPerPage, min((page+1)*auditPerPage, total)
	for _, e := range r.Events[lo:hi] {
		blocks = append(blocks, slack.NewSectionBlock(md(auditEntry(e, o), maxSectionText), nil, nil))
	}
	blocks = append(blocks, pagerBlocks(auditRef(r), page, pages, total, auditPerPage, "events")...)
	var extra []string
	if r.More {
		extra = append(extra, "older events not shown: ask about a meeting, a user or today")
	}
	blocks = append(blocks, freshness(r.AsOf, o, extra...))
	return message{Text: truncate(head+about, maxTopText), Blocks: blocks}
}

// auditEntry is one event: when, who, what to whom where, the outcome, then each change's
// before → after. Everything but the ids comes from CMS or a user and is escaped.
func auditEntry(e commands.AuditEntry, o renderOpts) string {
	icon := map[string]string{commands.OutcomeOK: "✅", commands.OutcomeDenied: "⛔", commands.OutcomePartial: "⚠️"}[e.Outcome]
	if icon == "" {
		icon = "⚠️"
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	when := e.Time.In(loc).Format("Jan 2 15:04:05")
	parts := []string{icon + " `" + when + "` " + mention("@", e.Actor), "*" + escapeTrunc(commands.AuditWhat(e), 60) + "*"}
	if p := strings.TrimSpace(e.Participant); p != "" {
		parts = append(parts, escapeTrunc(clean(p), auditFieldMax))
	}
	where := ""
	if m := strings.TrimSpace(e.Meeting); m != "" {
		where = "in " + bold(clean(m), auditFieldMax)
	}
	if len(e.Nodes) > 0 {
		where = strings.TrimSpace(where + " (" + escapeTrunc(clean(strings.Join(e.Nodes, ", ")), auditFieldMax) + ")")
	}
	if where != "" {
		parts = append(parts, where)
	}
	if e.Channel != "" {
		parts = append(parts, mention("#", e.Channel))
	}
	line := strings.Join(parts, " · ")
	switch e.Outcome {
	case commands.OutcomeOK:
	case commands.OutcomeDenied:
		line += " · refused"
	case commands.OutcomePartial:
		line += " · partly failed"
	default:
		line += " · failed"
	}
	if e.Error != "" && e.Outcome != commands.OutcomeOK {
		line += ": " + escapeTrunc(clean(e.Error), auditErrorMax)
	}
	for i, c := range e.Changes {
		if i == auditChangesMax {
			line += fmt.Sprintf("\n   and %d more changes", len(e.Changes)-i)
			break
		}
		line += "\n   " + escapeTrunc(clean(c.Subject), 80) + " " + escapeTrunc(clean(c.Field), 40) + ": " +
			escapeTrunc(clean(orNone(c.Before)), 80) + " → " + escapeTrunc(clean(orNone(c.After)), 80)
	}
	return line
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
