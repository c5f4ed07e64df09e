package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// maxAlertsListed bounds `/cms alerts`: one section each, under maxMessageBlocks.
const maxAlertsListed = 40

// renderAlert is an alert's top-level message: headline, details, status line and, while it
// fires, the operator buttons.
func renderAlert(a alerts.Alert, now time.Time, loc *time.Location) message {
	icon := "🔴"
	switch {
	case a.State == alerts.StateResolved:
		icon = "✅"
	case a.Silenced(now):
		icon = "🔕"
	case a.AckedBy != "":
		icon = "👀"
	}
	head := icon + " *" + escapeTrunc(a.Summary, 500) + "*"
	if a.State == alerts.StateResolved {
		head = icon + " ~" + escapeTrunc(a.Summary, 500) + "~ · resolved"
	}
	blocks := []slack.Block{slack.NewSectionBlock(md(head, maxSectionText), nil, nil, slack.SectionBlockOptionBlockID("nfmm_alert"))}
	if len(a.Lines) > 0 {
		var lines []string
		for _, l := range a.Lines {
			lines = append(lines, escapeTrunc(l, 300))
		}
		blocks = append(blocks, slack.NewContextBlock("", md(strings.Join(lines, "\n"), maxContextText)))
	}
	blocks = append(blocks, slack.NewContextBlock("", md(alertStatus(alerts.Row(a), now, loc), maxContextText)))
	if a.State == alerts.StateFiring {
		blocks = append(blocks, alertButtons(a))
	}
	text := icon + " " + escapeTrunc(a.Summary, 500)
	if a.State == alerts.StateResolved {
		text += " · resolved after " + commands.HumanDuration(a.Duration(now))
	}
	return message{Text: truncate(text, maxTopText), Blocks: blocks}
}

// alertStatus is the message's status line: since when, and who acked or silenced it.
func alertStatus(a commands.AlertRow, now time.Time, loc *time.Location) string {
	parts := []string{"`" + a.Kind + "`"}
	if a.State == string(alerts.StateResolved) {
		parts = append(parts, "✅ "+alerts.ResolvedWord(alerts.Kind(a.Kind))+" after "+commands.HumanDuration(a.Duration(now)))
	} else {
		parts = append(parts, "since "+clock(a.Since, loc)+" ("+commands.HumanDuration(a.Duration(now))+")")
	}
	if a.Flapping {
		parts = append(parts, "flapping")
	}
	if a.AckedBy != "" {
		parts = append(parts, "acknowledged by <@"+a.AckedBy+">")
	}
	switch {
	case a.SilenceUntilResolved:
		parts = append(parts, "silenced until resolved by <@"+a.SilencedBy+">")
	case now.Before(a.SilencedUntil):
		parts = append(parts, "silenced until "+clock(a.SilencedUntil, loc)+" by <@"+a.SilencedBy+">")
	}
	return strings.Join(parts, " · ")
}

func alertButtons(a alerts.Alert) *slack.ActionBlock {
	fp := a.Fingerprint
	var els []slack.BlockElement
	if a.AckedBy == "" {
		els = append(els, button(actAlertAck, "Ack", fp))
	}
	els = append(els,
		button(actAlertSilence1h, "Silence 1 h", fp),
		button(actAlertSilence4h, "Silence 4 h", fp),
		button(actAlertSilenceRe, "Silence until resolved", fp),
		button(actAlertDetails, "Details", fp),
	)
	return slack.NewActionBlock("nfmm_alert_actions", els...)
}

// renderAlertList is `/cms alerts`.
func renderAlertList(r *commands.AlertsResult, now time.Time, loc *time.Location) message {
	if r.Off {
		return message{Text: "Alerts are off on this NFMM.", Blocks: []slack.Block{textSection("Alerts are off on this NFMM (set NFMM_ALERT_CHANNEL or NFMM_ALERT_ROUTES).")}}
	}
	active := r.Alerts
	if len(active) == 0 {
		return message{Text: "No active alerts.", Blocks: []slack.Block{textSection("✅ No active alerts.")}}
	}
	title := fmt.Sprintf("%d active alert", len(active))
	if len(active) != 1 {
		title += "s"
	}
	blocks := []slack.Block{header(title)}
	for i, a := range active {
		if i == maxAlertsListed {
			blocks = append(blocks, slack.NewContextBlock("", md(fmt.Sprintf("and %d more", len(active)-i), maxContextText)))
			break
		}
		icon := "🔴"
		if a.Silenced(now) {
			icon = "🔕"
		} else if a.AckedBy != "" {
			icon = "👀"
		}
		line := icon + " *" + escapeTrunc(a.Summary, 300) + "*\n" + alertStatus(a, now, loc)
		blocks = append(blocks, slack.NewSectionBlock(md(line, maxSectionText), nil, nil))
	}
	return message{Text: title, Blocks: blocks}
}
