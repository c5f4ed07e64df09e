package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// History pages: one section per meeting (with its Details button), one per participant leg
// in the details; well under Slack's 50 blocks with the header, pager and context.
const (
	historyPerPage     = 10
	historyLegsPerPage = 30
	pageKindHistory    = "history"
)

// historyLoc is where history times are shown: the viewer's location when the bot knows it,
// else NFMM's own (the clock that decided "today").
func historyLoc(r *commands.HistoryResult, o renderOpts) *time.Location {
	if o.Location != nil {
		return o.Location
	}
	return r.AsOf.Location()
}

// historySpan is the range asked about: "2026-11-30" or "2026-11-24..2026-11-30".
func historySpan(r *commands.HistoryResult, loc *time.Location) string {
	first := r.From.In(loc).Format(time.DateOnly)
	if last := r.To.Add(-time.Nanosecond).In(loc).Format(time.DateOnly); last != first {
		return first + ".." + last
	}
	return first
}

// historyRef pages the same question: the query and the range, as `history` parses them.
func historyRef(r *commands.HistoryResult, loc *time.Location) pageRef {
	q := r.Query
	if strings.ContainsAny(q, " \t") {
		q = `"` + q + `"`
	}
	return pageRef{Kind: pageKindHistory, Filter: strings.TrimSpace(q + " " + historySpan(r, loc))}
}

func renderHistory(r *commands.HistoryResult, o renderOpts) message {
	if r == nil {
		r = &commands.HistoryResult{}
	}
	if r.Detail && len(r.Meetings) == 1 {
		return renderHistoryDetail(r, o)
	}
	loc := historyLoc(r, o)
	span := historySpan(r, loc)
	about := ""
	switch {
	case r.Query == "":
	case r.Search == "participant":
		about = " with “" + r.Query + "”"
	default:
		about = " matching “" + r.Query + "”"
	}
	if r.Cluster != "" { // several clusters: whose meetings these are
		about += " on cluster " + r.Cluster
	}
	total := len(r.Meetings)
	title := plural(total, "meeting", "meetings") + " ended " + span + about
	blocks := []slack.Block{header(title)}
	if total == 0 {
		blocks = append(blocks, textSection(escapeTrunc("No meeting ended "+span+about+".", 500)))
	}
	page, pages := clampPage(o.Page, total, historyPerPage)
	lo, hi := page*historyPerPage, min((page+1)*historyPerPage, total)
	for _, m := range r.Meetings[lo:hi] {
		blocks = append(blocks, historySection(m, r.Search == "participant", loc))
	}
	blocks = append(blocks, pagerBlocks(historyRef(r, loc), page, pages, total, historyPerPage, "meetings")...)
	var extra []string
	if r.More > 0 {
		extra = append(extra, fmt.Sprintf("%d more not shown: narrow the range", r.More))
	}
	blocks = append(blocks, freshness(r.AsOf, o, extra...))
	return message{Text: "Meeting history: " + escapeTrunc(title, 200), Blocks: blocks}
}

// historySection is one ended meeting: when, how long, how many, who; Details for the rest.
func historySection(m commands.HistoryMeeting, search bool, loc *time.Location) *slack.SectionBlock {
	name := m.Name
	if strings.TrimSpace(name) == "" {
		name = "(unnamed meeting)"
	}
	line := fmt.Sprintf("%s–%s · %s · peak %d · %s", m.StartedAt.In(loc).Format("Jan 2 15:04"), m.EndedAt.In(loc).Format("15:04"),
		commands.FormatDuration(m.Duration), m.Peak, escapeTrunc(joinNodes(m.Nodes), 200))
	if len(m.Recordings) > 0 {
		line += " · ⏺ recorded"
	}
	var who string
	if search {
		var hits []string
		for _, p := range m.Participants {
			if p.Matched {
				hits = append(hits, fmt.Sprintf("%s %s–%s", p.Name, p.JoinedAt.In(loc).Format("15:04"), p.LeftAt.In(loc).Format("15:04")))
			}
		}
		who = strings.Join(hits, "; ")
	} else {
		who = strings.Join(m.People(), ", ")
	}
	text := bold(name, 500) + "\n" + line + "\n" + escapeTrunc(who, 1500)
	var acc *slack.Accessory
	if value := "history " + m.ID; idPattern.MatchString(m.ID) && textLen(value) <= maxValueRoom {
		acc = slack.NewAccessory(button(actRun, "Details", value))
	}
	return slack.NewSectionBlock(md(text, maxSectionText), nil, acc)
}

// renderHistoryDetail is one meeting: every participant's join and leave, duration, why they
// left and how the media was.
func renderHistoryDetail(r *commands.HistoryResult, o renderOpts) message {
	m := r.Meetings[0]
	loc := historyLoc(r, o)
	name := m.Name
	if strings.TrimSpace(name) == "" {
		name = "(unnamed meeting)"
	}
	blocks := []slack.Block{header(name)}
	summary := fmt.Sprintf("%s–%s · %s · %s · peak %d · %s", m.StartedAt.In(loc).Format("Mon Jan 2 15:04"), m.EndedAt.In(loc).Format("15:04"),
		commands.FormatDuration(m.Duration), plural(len(m.People()), "person", "people"), m.Peak, escapeTrunc(joinNodes(m.Nodes), 200))
	for _, rec := range m.Recordings {
		summary += fmt.Sprintf(" · ⏺ %s %s–%s", rec.Kind, rec.StartedAt.In(loc).Format("15:04"), rec.EndedAt.In(loc).Format("15:04"))
	}
	blocks = append(blocks, slack.NewContextBlock("", md(truncate(summary, maxContextText), maxContextText)))
	total := len(m.Participants)
	page, pages := clampPage(o.Page, total, historyLegsPerPage)
	lo, hi := page*historyLegsPerPage, min((page+1)*historyLegsPerPage, total)
	for _, p := range m.Participants[lo:hi] {
		blocks = append(blocks, textSection(historyLegLine(p, loc)))
	}
	ref := pageRef{Kind: pageKindHistory, Filter: m.ID}
	blocks = append(blocks, pagerBlocks(ref, page, pages, total, historyLegsPerPage, "participants")...)
	blocks = append(blocks, freshness(r.AsOf, o))
	return message{Text: "Meeting history: " + escapeTrunc(name, 200), Blocks: blocks}
}

func historyLegLine(p commands.HistoryLeg, loc *time.Location) string {
	who := bold(p.Name, 300)
	if p.Address != "" && p.Address != p.Name {
		who += " · " + escapeTrunc(p.Address, 300)
	}
	who += " · " + escapeTrunc(p.Node, 60)
	if p.Guest {
		who += " · guest"
	}
	when := fmt.Sprintf("joined %s · left %s · %s", p.JoinedAt.In(loc).Format("15:04"), p.LeftAt.In(loc).Format("15:04"), commands.FormatDuration(p.Duration))
	if p.Lobby > 0 {
		when += " · lobby " + commands.FormatDuration(p.Lobby)
	}
	if p.Reason != "" {
		when += " · " + escapeTrunc(p.Reason, 100)
	}
	return who + "\n" + when + " · " + historyQuality(p)
}

// historyQuality is a traffic light with the alarms that set it.
func historyQuality(p commands.HistoryLeg) string {
	var alarms []string
	for _, a := range []struct {
		name string
		pct  float64
	}{{"packet loss", p.PacketLossPct}, {"jitter", p.JitterPct}, {"round trip", p.HighRTTPct}} {
		if a.pct > 0 {
			alarms = append(alarms, fmt.Sprintf("%s %.1f %% of the time", a.name, a.pct))
		}
	}
	light := map[string]string{"good": "🟢 good", "fair": "🟡 fair", "poor": "🔴 poor"}[p.Quality]
	if light == "" {
		light = p.Quality
	}
	if len(alarms) > 0 {
		light += " (" + strings.Join(alarms, ", ") + ")"
	}
	return light
}
