package config

import (
	"net"
	"net/url"
	"strings"
)

// Token prefixes: https://api.slack.com/authentication/token-types
const (
	botPrefix  = "xoxb-"
	appPrefix  = "xapp-"
	userPrefix = "xoxp-"
)

func (l *loader) slack() {
	if l.mode == ModeRun {
		l.cfg.SlackBotToken = l.token("SLACK_BOT_TOKEN", botPrefix)
		l.cfg.SlackAppToken = l.token("SLACK_APP_TOKEN", appPrefix)
	}
	l.cfg.SlackAPIURL = l.slackAPIURL()
}

// token validates a Slack token without ever quoting it: only the well-known prefix is named.
func (l *loader) token(name, want string) Secret {
	raw := l.get(name)
	v := strings.TrimSpace(raw)
	switch {
	case v == "":
		l.fail(name, "required by `nfmm run` (%s)", tokenHelp(want))
	case strings.ContainsAny(v, " \t\r\n\"'"):
		l.fail(name, "contains spaces or quotes; paste the token alone")
	case strings.HasPrefix(v, want) && len(v) > len(want)+8:
		if v != raw {
			l.warn("%s: ignored white space around the token", name)
		}
		return Secret(v)
	case strings.HasPrefix(v, want):
		l.fail(name, "is too short to be a %s token", want)
	case want == botPrefix && strings.HasPrefix(v, appPrefix):
		l.fail(name, "looks like an app-level token (xapp-…); it belongs in SLACK_APP_TOKEN, and this variable needs the %s", tokenHelp(want))
	case want == appPrefix && strings.HasPrefix(v, botPrefix):
		l.fail(name, "looks like a bot token (xoxb-…); it belongs in SLACK_BOT_TOKEN, and this variable needs the %s", tokenHelp(want))
	case strings.HasPrefix(v, userPrefix):
		l.fail(name, "looks like a user token (xoxp-…); NFMM acts as a bot and needs the %s", tokenHelp(want))
	default:
		l.fail(name, "must start with %s (%s)", want, tokenHelp(want))
	}
	return ""
}

func tokenHelp(prefix string) string {
	if prefix == botPrefix {
		return "bot token xoxb-…: Slack app settings → OAuth & Permissions → Bot User OAuth Token"
	}
	return "app-level token xapp-…: Slack app settings → Basic Information → App-Level Tokens, scope connections:write"
}

func (l *loader) slackAPIURL() string {
	const name = "SLACK_API_URL"
	v := l.env(name)
	if v == "" {
		return DefaultSlackAPIURL
	}
	u, msg := parseBaseURL(v)
	if msg != "" {
		l.fail(name, "%s", msg)
		return DefaultSlackAPIURL
	}
	if u.RawQuery != "" || u.Fragment != "" {
		l.fail(name, "must not have a query or fragment")
		return DefaultSlackAPIURL
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String()
}

// parseBaseURL checks the parts NFMM cares about for any base URL it sends credentials to:
// http(s) only, a host, no user info, and plain http only towards this machine (the emulators),
// so that a password or token never crosses a network unencrypted. The returned message never
// quotes the input, which may hold user info.
func parseBaseURL(raw string) (*url.URL, string) {
	u, err := url.Parse(raw)
	if err != nil {
		var detail string
		if ue, ok := err.(*url.Error); ok && ue.Err != nil {
			detail = ": " + ue.Err.Error()
		}
		if strings.Contains(raw, "@") {
			detail = "" // the parser's detail may quote user info
		}
		return nil, "is not a valid URL" + detail
	}
	switch {
	case u.User != nil:
		return nil, "must not contain user info (user:password@); credentials have their own variables"
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, "must be an https:// URL"
	case u.Hostname() == "":
		return nil, "has no host"
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, "must use https:// (plain http:// is allowed only for 127.0.0.1, ::1 and localhost, i.e. the emulators)"
	}
	if p := u.Port(); p != "" && !validPort(p) {
		return nil, "has an invalid port " + p
	}
	return u, ""
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
