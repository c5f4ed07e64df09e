package alerts

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nfmm/nfmm/commands"
)

var stillText = map[Kind]string{
	KindNodeDown:  "still down",
	KindAlarm:     "alarm still active",
	KindLicensing: "licence still not renewed",
	KindPoorMedia: "media still poor",
	KindCapacity:  "still over the limit",
	KindRecording: "still not recording",
	KindPresenter: "presenter mode still on",

	KindCDRReceivers: "CDR receiver slots still full",
}

var resolvedText = map[Kind]string{
	KindNodeDown:  "recovered",
	KindAlarm:     "alarm cleared",
	KindPoorMedia: "media recovered",
	KindCapacity:  "back under the limit",

	KindCDRReceivers: "NFMM's receiver added",
}

// ResolvedWord is how the message's status line says it resolved ("recovered", "alarm cleared").
func ResolvedWord(k Kind) string {
	if w, ok := resolvedText[k]; ok {
		return w
	}
	return "resolved"
}

// ReplyText is the plain text of a thread reply; mention writes a user (Slack: <@U…>).
func ReplyText(a Alert, d Delivery, mention func(string) string) string {
	switch d.Event {
	case EventResolved:
		return fmt.Sprintf("✅ %s after %s", ResolvedWord(a.Key.Kind), commands.HumanDuration(d.Dur))
	case EventRepeat:
		return fmt.Sprintf("⏳ %s · %s", stillText[a.Key.Kind], commands.HumanDuration(d.Dur))
	case EventAgain:
		return "🔁 again: " + a.Summary
	case EventFlapping:
		return fmt.Sprintf("🔁 flapping: %d times in %s · one message until it is stable for %s",
			d.Count, commands.HumanDuration(d.Window), commands.HumanDuration(d.Window))
	case EventAcked:
		return "👀 acknowledged by " + mention(d.Actor) + " · no more reminders"
	case EventSilenced:
		if d.Dur <= 0 {
			return "🔕 silenced until resolved by " + mention(d.Actor)
		}
		return fmt.Sprintf("🔕 silenced for %s by %s", commands.HumanDuration(d.Dur), mention(d.Actor))
	}
	return strings.TrimSpace(string(d.Event))
}

// Row is the alert as `alerts` lists it (times in UTC, like every other exec document).
func Row(a Alert) commands.AlertRow {
	return commands.AlertRow{
		Fingerprint: a.Fingerprint, Kind: string(a.Key.Kind), Cluster: a.Key.Cluster, Node: a.Key.Node,
		Object: a.Key.Object, State: string(a.State), Summary: a.Summary, Details: slices.Clone(a.Lines),
		Since: a.Since.UTC(), For: a.For, ResolvedAt: a.ResolvedAt, Flapping: a.Flapping, AckedBy: a.AckedBy,
		SilencedBy: a.SilencedBy, SilencedUntil: a.SilencedUntil, SilenceUntilResolved: a.SilenceUntilResolved,
	}
}

// Rows lists the alerts as `alerts` does, with the user-safe message of each source that
// could not look (errs), as of now.
func Rows(list []Alert, errs []error, now time.Time) *commands.AlertsResult {
	r := &commands.AlertsResult{Alerts: make([]commands.AlertRow, 0, len(list)), Errors: []string{}, AsOf: now.UTC()}
	for _, a := range list {
		r.Alerts = append(r.Alerts, Row(a))
	}
	for _, e := range errs {
		r.Errors = append(r.Errors, commands.UserMessage(e))
	}
	return r
}
