package alerts

import (
	"fmt"
	"strings"
	"time"
)

// HumanDuration writes d the way the thread replies do: "45 s", "7 min 12 s", "2 h 5 min",
// "3 d 4 h". Two units at most: an alert's age needs no more precision.
func HumanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	hours, s := s/3600, s%3600
	mins, secs := s/60, s%60
	two := func(a int64, ua string, b int64, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d %s", a, ua)
		}
		return fmt.Sprintf("%d %s %d %s", a, ua, b, ub)
	}
	switch {
	case days > 0:
		return two(days, "d", hours, "h")
	case hours > 0:
		return two(hours, "h", mins, "min")
	case mins > 0:
		return two(mins, "min", secs, "s")
	default:
		return fmt.Sprintf("%d s", secs)
	}
}

var stillText = map[Kind]string{
	KindNodeDown:  "still down",
	KindAlarm:     "alarm still active",
	KindLicensing: "licence still not renewed",
	KindPoorMedia: "media still poor",
	KindCapacity:  "still over the limit",
	KindRecording: "still not recording",
	KindPresenter: "presenter mode still on",
}

var resolvedText = map[Kind]string{
	KindNodeDown:  "recovered",
	KindAlarm:     "alarm cleared",
	KindPoorMedia: "media recovered",
	KindCapacity:  "back under the limit",
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
		return fmt.Sprintf("✅ %s after %s", ResolvedWord(a.Key.Kind), HumanDuration(d.Dur))
	case EventRepeat:
		return fmt.Sprintf("⏳ %s · %s", stillText[a.Key.Kind], HumanDuration(d.Dur))
	case EventAgain:
		return "🔁 again: " + a.Summary
	case EventFlapping:
		return fmt.Sprintf("🔁 flapping: %d times in %s · one message until it is stable for %s",
			d.Count, HumanDuration(d.Window), HumanDuration(d.Window))
	case EventAcked:
		return "👀 acknowledged by " + mention(d.Actor) + " · no more reminders"
	case EventSilenced:
		if d.Dur <= 0 {
			return "🔕 silenced until resolved by " + mention(d.Actor)
		}
		return fmt.Sprintf("🔕 silenced for %s by %s", HumanDuration(d.Dur), mention(d.Actor))
	}
	return strings.TrimSpace(string(d.Event))
}
