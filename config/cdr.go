package config

import (
	"net/url"
	"regexp"
	"strings"
)

// Meeting history from CDRs (docs/configuration.md, "Meeting history").
const (
	DefaultCDRAddr     = ":8443"
	DefaultHistoryDays = 90
)

// cdrToken is the secret last path element of NFMM_CDR_URL: long enough not to be guessed.
var cdrToken = regexp.MustCompile(`^[A-Za-z0-9_-]{16,128}$`)

// CDR configures the CDR receiver and the meeting history it feeds. It is off (zero) unless
// NFMM_CDR_URL is set.
type CDR struct {
	// URL is what the call bridges post to, https://nfmm.example.com:8443/cdr/<token>: the
	// address they can reach (a load balancer or the Service in front of every replica).
	URL Secret
	// Token is the URL's last path element; the receiver refuses posts without it.
	Token Secret
	// Addr is where each replica's receiver listens (NFMM_CDR_ADDR).
	Addr string
	// HistoryDays is how long CDRs and history are kept (NFMM_HISTORY_DAYS).
	HistoryDays int
}

// Enabled reports whether NFMM receives CDRs.
func (c CDR) Enabled() bool { return c.URL != "" }

func (l *loader) cdr() {
	l.cfg.CDR.HistoryDays = l.intRange("NFMM_HISTORY_DAYS", DefaultHistoryDays, 1, 3650)
	v := l.env("NFMM_CDR_URL")
	addr := l.env("NFMM_CDR_ADDR")
	if v == "" {
		if addr != "" {
			l.warn("NFMM_CDR_ADDR is set but NFMM_CDR_URL is not: no CDR receiver runs (set NFMM_CDR_URL to receive CDRs)")
		}
		return
	}
	const name = "NFMM_CDR_URL"
	// The URL carries the token, so no message echoes it.
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		l.fail(name, "must be an http(s) URL the call bridges can reach, e.g. https://nfmm.example.com:8443/cdr/<token>")
		return
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		l.fail(name, "must have no user, query string or fragment (NFMM adds ?node=<name> for each call bridge)")
		return
	}
	token, ok := strings.CutPrefix(u.Path, "/cdr/")
	if !ok || !cdrToken.MatchString(token) {
		l.fail(name, "the path must be /cdr/<token> with a token of 16–128 letters, digits, - or _ (e.g. from openssl rand -hex 16)")
		return
	}
	if u.Scheme == "http" {
		l.warn("NFMM_CDR_URL uses http: CDRs (names, addresses) and the token cross the network in clear; prefer https through a TLS proxy")
	}
	l.cfg.CDR.URL, l.cfg.CDR.Token = Secret(v), Secret(token)
	l.cfg.CDR.Addr = DefaultCDRAddr
	if addr != "" && l.hostPort("NFMM_CDR_ADDR", addr, ":8443") {
		l.cfg.CDR.Addr = addr
	}
}
