package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/nfmm/nfmm/alerts"
)

// Alerts is the NFMM_ALERT_* configuration.
type Alerts struct {
	Channel string       // NFMM_ALERT_CHANNEL: every kind no route names
	Routes  []AlertRoute // NFMM_ALERT_ROUTES, in order

	NodeDownAfter time.Duration // NFMM_ALERT_NODE_DOWN_AFTER
	MediaAfter    time.Duration // NFMM_ALERT_MEDIA_AFTER
	Repeat        time.Duration // NFMM_ALERT_REPEAT
	MeetingMax    int           // NFMM_ALERT_MEETING_MAX; 0 = off
	NodeShare     float64       // NFMM_ALERT_NODE_SHARE; 0 = off
}

// AlertRoute sends some kinds to a channel.
type AlertRoute struct {
	Kinds   []alerts.Kind
	Channel string
}

// Enabled reports whether any alert goes to Slack.
func (a Alerts) Enabled() bool { return a.Channel != "" || len(a.Routes) > 0 }

// ChannelFor is the channel of an alert kind: its route, else NFMM_ALERT_CHANNEL ("" = none).
func (a Alerts) ChannelFor(k alerts.Kind) string {
	for _, r := range a.Routes {
		for _, rk := range r.Kinds {
			if rk == k {
				return r.Channel
			}
		}
	}
	return a.Channel
}

// Bounds of the alert variables.
const (
	MaxAlertMeetingMax = 100000
)

func (l *loader) alerts() {
	a := &l.cfg.Alerts
	a.Channel = l.channel("NFMM_ALERT_CHANNEL", l.env("NFMM_ALERT_CHANNEL"))
	a.Routes = l.alertRoutes()
	a.NodeDownAfter = l.duration("NFMM_ALERT_NODE_DOWN_AFTER", alerts.DefaultNodeDownAfter, time.Second, time.Hour)
	a.MediaAfter = l.duration("NFMM_ALERT_MEDIA_AFTER", alerts.DefaultMediaAfter, time.Second, time.Hour)
	a.Repeat = l.duration("NFMM_ALERT_REPEAT", alerts.DefaultRepeat, time.Minute, 7*24*time.Hour)
	a.MeetingMax = l.intRange("NFMM_ALERT_MEETING_MAX", 0, 0, MaxAlertMeetingMax)
	a.NodeShare = l.share("NFMM_ALERT_NODE_SHARE")
}

// alertRoutes reads NFMM_ALERT_ROUTES: entries separated by ';', each KIND[,KIND…] > CHANNEL,
// e.g. "node_down,alarm > C0OPS; poor_media > C0QUALITY". A kind may be routed once.
func (l *loader) alertRoutes() []AlertRoute {
	const name = "NFMM_ALERT_ROUTES"
	raw := l.env(name)
	if raw == "" {
		return nil
	}
	var routes []AlertRoute
	routedIn := map[alerts.Kind]int{}
	for i, entry := range strings.Split(raw, ";") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		kinds, channel, ok := strings.Cut(entry, ">")
		kinds, channel = strings.TrimSpace(kinds), strings.TrimSpace(channel)
		if !ok || kinds == "" || channel == "" {
			l.fail(name, "entry %d %q: want KIND[,KIND…] > CHANNEL, e.g. node_down,alarm > C0OPS", i+1, entry)
			continue
		}
		r := AlertRoute{Channel: l.channelIn(name, i+1, channel)}
		for _, word := range strings.Split(kinds, ",") {
			k, known := alerts.ParseKind(word)
			switch {
			case !known:
				l.fail(name, "entry %d: unknown alert kind %q (kinds: %s)", i+1, strings.TrimSpace(word), kindList())
			case routedIn[k] != 0:
				l.fail(name, "entry %d: kind %s is already routed by entry %d", i+1, k, routedIn[k])
			default:
				routedIn[k] = i + 1
				r.Kinds = append(r.Kinds, k)
			}
		}
		if r.Channel != "" && len(r.Kinds) > 0 {
			routes = append(routes, r)
		}
	}
	return routes
}

func (l *loader) channelIn(name string, entry int, v string) string {
	if channelIDRE.MatchString(v) || channelNameRE.MatchString(v) {
		return v
	}
	l.fail(name, "entry %d: %q is not a channel id (C…/G…) or #channel-name", entry, v)
	return ""
}

func kindList() string {
	names := make([]string, len(alerts.Kinds))
	for i, k := range alerts.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// share reads a fraction in (0, 1]; "" is off, and so is 0.
func (l *loader) share(name string) float64 {
	v := l.env(name)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err == nil && strings.HasSuffix(v, "%") {
		f /= 100
	}
	if err != nil || f < 0 || f > 1 {
		l.fail(name, "%q is not a share between 0 and 1 (e.g. 0.6 or 60%%)", v)
		return 0
	}
	return f
}
