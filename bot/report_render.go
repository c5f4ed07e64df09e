package bot

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// maxScheduleRows bounds the entries `/cms schedule` lists (one section each, plus the header
// and the footer, within maxMessageBlocks).
const maxScheduleRows = 40

// channelIDRE is a channel id we may mention as <#C…>; anything else is shown escaped.
var channelIDRE = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// renderReportFailure is the short notice posted instead of a report when no CMS node answered:
// a report of zeros would read as "no calls".
func renderReportFailure(r *commands.ReportResult, next time.Time) message {
	reasons := make([]string, 0, min(len(r.Unreachable), maxListed)+1)
	for _, f := range r.Unreachable[:min(len(r.Unreachable), maxListed)] {
		reasons = append(reasons, "• "+escapeTrunc(commands.NodeDownText(f, r.AsOf, next.Location()), 300))
	}
	if rest := len(r.Unreachable) - maxListed; rest > 0 {
		reasons = append(reasons, fmt.Sprintf("and %d more", rest))
	}
	text := "⚠️ *NFMM report failed: no CMS node answered.*\n" + strings.Join(reasons, "\n")
	retry := "NFMM retries at the next scheduled run"
	if !next.IsZero() {
		retry += " (" + next.Format("Mon 2 Jan 15:04 MST") + ")"
	}
	blocks := []slack.Block{
		textSection(text),
		slack.NewContextBlock("", md(retry+". Details are in the NFMM log.", maxContextText)),
	}
	return message{Text: "NFMM report failed: the CMS cluster is unreachable", Blocks: blocks}
}

// scheduleView is what `/cms schedule` shows.
type scheduleView struct {
	Entries []ScheduleInfo
	Quiet   bool
	Now     time.Time
}

// renderSchedules lists the report schedules with their next and last runs.
func renderSchedules(v scheduleView) message {
	blocks := []slack.Block{header("NFMM scheduled reports")}
	switch {
	case len(v.Entries) == 0:
		blocks = append(blocks, textSection("No reports are scheduled. Set NFMM_REPORT_SCHEDULE (for example `CRON_TZ=Europe/Oslo 0 8 * * 1-5 > C0123ABCD`) and restart NFMM."))
		return message{Text: "No reports are scheduled", Blocks: blocks}
	}
	for _, e := range v.Entries[:min(len(v.Entries), maxScheduleRows)] {
		blocks = append(blocks, textSection(scheduleLine(e, v.Now)))
	}
	foot := []string{plural(len(v.Entries), "schedule", "schedules")}
	if rest := len(v.Entries) - maxScheduleRows; rest > 0 {
		foot = append(foot, fmt.Sprintf("%d not shown", rest))
	}
	if v.Quiet {
		foot = append(foot, "quiet: nothing is posted when there are no calls")
	}
	blocks = append(blocks, slack.NewContextBlock("", md(strings.Join(foot, " · "), maxContextText)))
	return message{Text: "NFMM scheduled reports: " + plural(len(v.Entries), "schedule", "schedules"), Blocks: blocks}
}

func scheduleLine(e ScheduleInfo, now time.Time) string {
	var b strings.Builder
	b.WriteString(codeSpan(e.Spec, 200) + " → " + channelMention(e.Channel))
	if e.Cluster != "" {
		b.WriteString(" · " + codeSpan("@"+e.Cluster, 40))
	}
	if e.Next.IsZero() {
		b.WriteString("\nNext run: never")
	} else {
		b.WriteString("\nNext run: " + e.Next.Format("Mon 2 Jan 15:04 MST"))
		if !now.IsZero() && e.Next.After(now) {
			b.WriteString(" (in " + commands.FormatDuration(e.Next.Sub(now)) + ")")
		}
	}
	if !e.LastRun.IsZero() {
		b.WriteString(" · last run " + e.LastRun.Format("Mon 2 Jan 15:04 MST") + ": " + string(e.LastOutcome))
	}
	return b.String()
}

// channelMention links a channel id; a #name (or anything else) is shown as text.
func channelMention(ch string) string {
	if channelIDRE.MatchString(ch) {
		return "<#" + ch + ">"
	}
	return escapeTrunc(ch, 100)
}

// codeSpan shows s literally in a code span, which Slack does not format inside, so only its
// own entities (&, <, >) need escaping; a backtick, which would end the span, becomes '.
func codeSpan(s string, max int) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "`", "'").Replace(clean(s))
	return "`" + truncate(s, max) + "`"
}
