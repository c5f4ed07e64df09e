package commands

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/internal/names"
)

// Limits on what users type; everything is checked before any CMS request.
const (
	minIDPrefix  = 4   // issue 3: "a unique ≥4-char prefix"
	maxIDLen     = 64  // CMS ids are 36-char UUIDs; leave room, refuse essays
	maxTextLen   = 200 // meeting name substrings and filters
	maxURILen    = 255 // issue 3: URIs over 255 chars are refused
	presenterOff = "off"
)

var (
	// Leg and call ids are UUIDs: only hex digits and hyphens can reach a URL path.
	idPattern = regexp.MustCompile(`^[0-9a-fA-F-]+$`)

	// Dial-out address shapes CMS accepts as remoteParty.
	sipUserPattern = regexp.MustCompile(`^(?:sips?:)?[A-Za-z0-9._%+!~*'-]+@[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:;[A-Za-z0-9._=-]+)*$`)
	sipHostPattern = regexp.MustCompile(`^sips?:[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:;[A-Za-z0-9._=-]+)*$`)
	telPattern     = regexp.MustCompile(`^tel:\+?[0-9][0-9.()-]{0,30}$`)
	e164Pattern    = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	digitsPattern  = regexp.MustCompile(`^[0-9*#]{1,32}$`)
)

func usageErr(code, usage, format string, args ...any) *UsageError {
	return &UsageError{Code: code, Msg: fmt.Sprintf(format, args...), Usage: usage}
}

// checkLegRef validates a call leg id or id prefix.
func checkLegRef(ref, usage string) error {
	switch {
	case ref == "":
		return usageErr(CodeMissingArg, usage, "Which participant? Give a call leg id or its first %d characters.", minIDPrefix)
	case len(ref) > maxIDLen || !idPattern.MatchString(ref):
		return usageErr(CodeInvalidID, usage, "%s is not a call leg id: ids are hex digits and hyphens.", printable(ref))
	case len(ref) < minIDPrefix:
		return usageErr(CodeInvalidID, usage, "%q is too short: give at least %d characters of the call leg id.", ref, minIDPrefix)
	}
	return nil
}

// checkText validates a meeting name substring, id or filter.
func checkText(what, s, usage string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return usageErr(CodeMissingArg, usage, "Which %s? Give its name, id or a unique part of either.", what)
	case !utf8.ValidString(s):
		return usageErr(CodeInvalidText, usage, "The %s must be valid UTF-8 text.", what)
	case utf8.RuneCountInString(s) > maxTextLen:
		return usageErr(CodeInvalidText, usage, "The %s is too long (over %d characters).", what, maxTextLen)
	case strings.IndexFunc(s, isControl) >= 0:
		return usageErr(CodeInvalidText, usage, "The %s contains control characters.", what)
	}
	return nil
}

func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// checkNode validates a node hint against the configured nodes.
func checkNode(node string, known []string) error {
	if node == "" {
		return nil
	}
	if !names.Valid(node) {
		return usageErr(CodeInvalidNode, "", "%s is not a node name.", printable(node))
	}
	if len(known) > 0 && !contains(known, node) {
		return usageErr(CodeInvalidNode, "", "There is no node %q; nodes are %s.", node, strings.Join(known, ", "))
	}
	return nil
}

// canonicalLayout maps a case-insensitive layout name to CMS's spelling.
func canonicalLayout(s string) (string, error) {
	for _, l := range cms.Layouts {
		if strings.EqualFold(l, s) {
			return l, nil
		}
	}
	msg := "Which layout? Valid layouts: %s."
	if s != "" {
		msg = printable(s) + " is not a CMS layout. Valid layouts: %s."
	}
	code := CodeInvalidLayout
	if s == "" {
		code = CodeMissingArg
	}
	return "", usageErr(code, usageOf(OpLayout), msg, strings.Join(cms.Layouts, ", "))
}

// checkURI validates a dial-out address: a SIP/SIPS/tel URI, user@domain, E.164, digits or IP.
func checkURI(uri string) error {
	u := usageOf(OpAdd)
	switch {
	case uri == "":
		return usageErr(CodeMissingArg, u, "Whom should NFMM dial? Give a SIP URI, user@domain or a phone number.")
	case len(uri) > maxURILen:
		return usageErr(CodeInvalidURI, u, "The address is too long (over %d characters).", maxURILen)
	case strings.IndexFunc(uri, func(r rune) bool { return unicode.IsSpace(r) || isControl(r) }) >= 0:
		return usageErr(CodeInvalidURI, u, "The address contains spaces or control characters.")
	}
	if sipUserPattern.MatchString(uri) || sipHostPattern.MatchString(uri) || telPattern.MatchString(uri) ||
		e164Pattern.MatchString(uri) || digitsPattern.MatchString(uri) || net.ParseIP(uri) != nil {
		return nil
	}
	return usageErr(CodeInvalidURI, u, "%s is not a dialable address: use sip:user@domain, user@domain, +E.164, digits or an IP address.", printable(uri))
}

// printable quotes user input for a message, shortened and with control characters escaped.
func printable(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
