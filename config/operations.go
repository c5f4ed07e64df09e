package config

import (
	"net"
	"regexp"
	"strings"
)

// hostLabel is one DNS label (RFC 1123).
var hostLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// validHostname reports a syntactically valid host name. The last label must not be all
// digits (RFC 3696 §2), so a malformed IPv4 address such as 999.1.1.1 is no host name either.
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if !hostLabel.MatchString(l) {
			return false
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

func (l *loader) operations() {
	l.cfg.HTTPAddr = l.httpAddr()
	l.cfg.LogLevel = DefaultLogLevel
	switch v := strings.ToLower(l.env("NFMM_LOG_LEVEL")); v {
	case "":
	case "debug", "info", "warn", "error":
		l.cfg.LogLevel = v
	case "warning":
		l.cfg.LogLevel = "warn"
	default:
		l.fail("NFMM_LOG_LEVEL", "%q is not one of debug, info, warn, error", v)
	}
}

// hostPort checks a listen address, reporting a problem with name (example shows the form).
func (l *loader) hostPort(name, v, example string) bool {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		l.fail(name, "%q is not host:port (e.g. %s)", v, example)
		return false
	}
	if !validPort(port) {
		l.fail(name, "%q has an invalid port (1-65535)", v)
		return false
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		// 999.1.1.1 would pass SplitHostPort and only fail at listen time, after start-up.
		l.fail(name, "%q: %q is not an IP address or host name", v, host)
		return false
	}
	return true
}

// httpAddr reads NFMM_HTTP_ADDR; "off" disables the operations endpoint (unset = the default,
// since an empty variable cannot be told apart from an unset one through getenv).
func (l *loader) httpAddr() string {
	const name = "NFMM_HTTP_ADDR"
	v := l.env(name)
	switch strings.ToLower(v) {
	case "":
		return DefaultHTTPAddr
	case "off":
		return ""
	}
	if !l.hostPort(name, v, "127.0.0.1:9090, or off") {
		return ""
	}
	if host, _, _ := net.SplitHostPort(v); host == "" || host == "0.0.0.0" || host == "::" {
		l.warn("NFMM_HTTP_ADDR=%s listens on every interface; /healthz and /metrics have no authentication", v)
	}
	return v
}
