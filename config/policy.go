package config

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Slack ids are upper-case alphanumerics whose first letter gives the kind:
// https://api.slack.com/changelog/2016-08-11-user-id-format-changes
var (
	principalRE   = regexp.MustCompile(`^[UWS][A-Z0-9]{2,}$`) // users U…/W…, user groups S…
	channelIDRE   = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	channelNameRE = regexp.MustCompile(`^#[a-z0-9][a-z0-9_-]{0,79}$`)
)

func (l *loader) policy() {
	l.cfg.Operators = l.principals("NFMM_OPERATORS")
	l.cfg.Viewers = l.principals("NFMM_VIEWERS")
	if len(l.cfg.Operators) == 0 {
		l.warn("NFMM_OPERATORS is empty: nobody may change calls (read-only bot)")
	}
	for _, op := range l.cfg.Operators {
		if op == "*" {
			l.warn("NFMM_OPERATORS=*: everyone in the allowed channels may change calls")
		}
	}
	for _, c := range l.list("NFMM_CHANNELS") {
		if c != "*" && !channelIDRE.MatchString(c) {
			l.fail("NFMM_CHANNELS", "%q is not a channel id (C…, G… or D…) or * (in Slack: channel details → About → Channel ID)", c)
			continue
		}
		l.cfg.Channels = append(l.cfg.Channels, c)
	}
	l.channelClusters()
	l.cfg.AuditChannel = l.channel("NFMM_AUDIT_CHANNEL", l.env("NFMM_AUDIT_CHANNEL"))
	l.cfg.AdminContact = l.adminContact()
}

// maxAdminContact bounds NFMM_ADMIN_CONTACT: it is quoted in every refusal.
const maxAdminContact = 80

// adminContact reads NFMM_ADMIN_CONTACT, who refusals tell people to ask (e.g. @cms-admins or
// "the video team in #video-help"). It is shown as plain text, never as a mention.
func (l *loader) adminContact() string {
	const name = "NFMM_ADMIN_CONTACT"
	v := l.env(name)
	switch {
	case utf8.RuneCountInString(v) > maxAdminContact:
		l.fail(name, "longer than %d characters", maxAdminContact)
		return ""
	case strings.ContainsFunc(v, unicode.IsControl):
		l.fail(name, "contains a control character")
		return ""
	}
	return v
}

func (l *loader) principals(name string) []string {
	var out []string
	for _, p := range l.list(name) {
		if p != "*" && !principalRE.MatchString(p) {
			l.fail(name, "%q is not a Slack user id (U…/W…), user-group id (S…) or * (profile → ⋮ → Copy member ID)", p)
			continue
		}
		out = append(out, p)
	}
	return out
}

// channel validates a channel a message is posted to: an id, or #name for a public channel.
func (l *loader) channel(name, v string) string {
	if v == "" || channelIDRE.MatchString(v) || channelNameRE.MatchString(v) {
		return v
	}
	l.fail(name, "%q is not a channel id (C…/G…) or #channel-name", v)
	return ""
}

// channelClusters reads NFMM_CHANNEL_CLUSTERS=C0123=emea,C0456=amer: each channel's default
// cluster. It runs after the clusters are known.
func (l *loader) channelClusters() {
	const name = "NFMM_CHANNEL_CLUSTERS"
	known := map[string]bool{}
	for _, c := range l.cfg.ClusterList() {
		known[c.Name] = true
	}
	for i, e := range l.list(name) {
		ch, cl, ok := strings.Cut(e, "=")
		ch, cl = strings.TrimSpace(ch), strings.TrimPrefix(strings.TrimSpace(cl), "@")
		switch {
		case !ok || cl == "":
			l.fail(name, "entry %d %q is not CHANNEL=cluster (e.g. C0123ABCD=emea)", i+1, e)
			continue
		case !channelIDRE.MatchString(ch):
			l.fail(name, "entry %d: %q is not a channel id (C…, G… or D…)", i+1, ch)
			continue
		case !known[cl]:
			l.fail(name, "entry %d: no cluster named %q (clusters: %s)", i+1, cl, strings.Join(l.clusterNames(), ", "))
			continue
		case l.cfg.ChannelClusters[ch] != "":
			l.fail(name, "channel %s is bound twice", ch)
			continue
		}
		if l.cfg.ChannelClusters == nil {
			l.cfg.ChannelClusters = map[string]string{}
		}
		l.cfg.ChannelClusters[ch] = cl
	}
}

func (l *loader) clusterNames() []string {
	var out []string
	for _, c := range l.cfg.ClusterList() {
		out = append(out, c.Name)
	}
	return out
}
