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

// isLegIDRef reports whether a participant reference can be a call leg id or id prefix: hex
// digits and hyphens, at least minIDPrefix long. Anything shorter ("dee", "abe") can only be
// part of a name or address.
func isLegIDRef(ref string) bool { return len(ref) >= minIDPrefix && idPattern.MatchString(ref) }

// checkLegRef validates a call leg id or id prefix (isLegIDRef: never shorter than
// minIDPrefix, since a shorter reference is a name).
func checkLegRef(ref, usage string) error {
	switch {
	case ref == "":
		return usageErr(CodeMissingArg, usage, "Which participant? Give a call leg id or its first %d characters.", minIDPrefix)
	case len(ref) > maxIDLen || !idPattern.MatchString(ref):
		return usageErr(CodeInvalidID, usage, "%s is not a call leg id: ids are hex digits and hyphens.", printable(ref))
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
	code, _, long := uriProblem(uri)
	if code == "" {
		return nil
	}
	return &UsageError{Code: code, Msg: long, Usage: usageOf(OpAdd)}
}

// URIProblem is what is wrong with a dial-out address, as one sentence to show beside the
// input that holds it (the Add participant modal), or "" when NFMM would dial it. The typed
// `add` applies the same rule.
func URIProblem(uri string) string {
	_, short, _ := uriProblem(uri)
	return short
}

// uriProblem is the one rule for dial-out addresses: the error code, the sentence shown beside
// the address, and the sentence that quotes it (for a typed command). Empty when dialable.
func uriProblem(uri string) (code, short, long string) {
	same := func(code, msg string) (string, string, string) { return code, msg, msg }
	switch {
	case strings.TrimSpace(uri) == "":
		return same(CodeMissingArg, "Whom should NFMM dial? Give a SIP URI, user@domain or a phone number.")
	case !utf8.ValidString(uri):
		return same(CodeInvalidURI, "The address must be valid UTF-8 text.")
	case len(uri) > maxURILen:
		return same(CodeInvalidURI, fmt.Sprintf("The address is too long (over %d characters).", maxURILen))
	case strings.IndexFunc(uri, isControl) >= 0:
		return same(CodeInvalidURI, "The address contains control characters.")
	case strings.IndexFunc(uri, unicode.IsSpace) >= 0:
		return same(CodeInvalidURI, "The address contains spaces: an address is one word.")
	case dialable(uri):
		return "", "", ""
	}
	why := uriReason(uri)
	return CodeInvalidURI, capitalize(why), printable(uri) + " is not a dialable address: " + why
}

// dialable reports whether CMS can take uri as a remoteParty.
func dialable(uri string) bool {
	return sipUserPattern.MatchString(uri) || sipHostPattern.MatchString(uri) || telPattern.MatchString(uri) ||
		e164Pattern.MatchString(uri) || digitsPattern.MatchString(uri) || net.ParseIP(uri) != nil
}

var (
	schemePattern = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+-]*):`)
	userPattern   = regexp.MustCompile(`^[A-Za-z0-9._%+!~*'-]+$`)
	hostPattern   = regexp.MustCompile(`^[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:;[A-Za-z0-9._=-]+)*$`)
)

// uriReason says why an address that is not dialable is not, as specifically as its shape
// allows: the scheme, the parts around the @, a phone number's digits.
func uriReason(uri string) string {
	const example = "sip:alice@example.com, alice@example.com, +4722334455, digits or an IP address"
	rest := uri
	if m := schemePattern.FindStringSubmatch(uri); m != nil && net.ParseIP(uri) == nil {
		scheme := strings.ToLower(m[1])
		rest = uri[len(m[0]):]
		switch scheme {
		case "sip", "sips":
			if rest == "" {
				return "nothing follows " + scheme + ":; give user@domain or a host, as in " + scheme + ":alice@example.com."
			}
			if !strings.Contains(rest, "@") {
				return "after " + scheme + ": give user@domain or a host name, as in " + scheme + ":alice@example.com."
			}
		case "tel":
			if rest == "" {
				return "nothing follows tel:; give a phone number, as in tel:+4722334455."
			}
			return "a tel: number holds only digits, an optional leading +, and . ( ) -, as in tel:+4722334455."
		default:
			return printable(m[1]+":") + " is not a scheme NFMM can dial; use sip:, sips: or tel:, or no scheme (alice@example.com)."
		}
	}
	switch at := strings.Count(rest, "@"); {
	case at > 1:
		return "it has more than one @; give one user@domain, as in alice@example.com."
	case at == 1:
		user, host, _ := strings.Cut(rest, "@")
		switch {
		case user == "":
			return "nothing comes before the @; give the user, as in alice@example.com."
		case host == "":
			return "nothing follows the @; give the domain, as in alice@example.com."
		case !userPattern.MatchString(user):
			return "the user part " + printable(user) + " may hold only letters, digits and . _ % + ! ~ * ' -."
		case !hostPattern.MatchString(host):
			return "the domain " + printable(host) + " may hold only letters, digits, dots and hyphens (and :port)."
		}
	case strings.HasPrefix(rest, "+"):
		digits := rest[1:]
		switch {
		case digits == "" || strings.Trim(digits, "0123456789") != "":
			return "a phone number holds only digits after the +, as in +4722334455."
		case digits[0] == '0':
			return "an E.164 number starts with a country code, never +0."
		default:
			return "an E.164 number has 2 to 15 digits after the +."
		}
	case rest != "" && strings.Trim(rest, "0123456789*#") == "":
		return "a number to dial has at most 32 digits."
	}
	return "use " + example + "."
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
