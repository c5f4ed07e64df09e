package config

import (
	"strconv"
	"strings"
	"time"
)

// boolean accepts the usual spellings; anything else is a problem rather than a silent false.
func (l *loader) boolean(name string, def bool) bool {
	v := l.env(name)
	switch strings.ToLower(v) {
	case "":
		return def
	case "1", "t", "true", "yes", "y", "on":
		return true
	case "0", "f", "false", "no", "n", "off":
		return false
	}
	l.fail(name, "%q is not a boolean (use true or false)", v)
	return def
}

func (l *loader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v := l.env(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		l.fail(name, "%q is not a duration (e.g. 10s, 1m30s)", v)
		return def
	}
	if d < lo || d > hi {
		l.fail(name, "%s is out of range: use %s to %s", d, lo, hi)
		return def
	}
	return d
}

func (l *loader) intRange(name string, def, lo, hi int) int {
	v := l.env(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		l.fail(name, "%q is not a whole number", v)
		return def
	}
	if n < lo || n > hi {
		l.fail(name, "%d is out of range: use %d to %d", n, lo, hi)
		return def
	}
	return n
}

// list splits a comma-separated value, trimming blanks and dropping empty items.
func (l *loader) list(name string) []string {
	var out []string
	for _, item := range strings.Split(l.env(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}
