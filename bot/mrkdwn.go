package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Every name CMS reports (meetings, participants, addresses, nodes) is untrusted: anyone who can
// dial in chooses their display name. These helpers make such text render literally.

// zwj is put on both sides of mrkdwn formatting characters taken from untrusted text. Slack has
// no escape for *, _, ~ and ` (only for &, < and >), and a joiner next to them keeps them from
// pairing up into bold, italic, strike or code.
const zwj = "\u200d"

const ellipsis = "…"

// textLen is the length Slack checks limits against: JavaScript string length, i.e. UTF-16
// code units (an emoji outside the BMP counts 2). Counting this way is never more lenient
// than counting runes.
func textLen(s string) int {
	n := 0
	for _, r := range s { // invalid bytes range as U+FFFD, one unit
		n += utf16.RuneLen(r)
	}
	return n
}

// clean replaces control characters (newlines included) with spaces and invalid UTF-8 with
// U+FFFD, so a name cannot forge extra lines or break JSON.
func clean(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s { // ranging a string yields U+FFFD for invalid bytes
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// truncate shortens s to at most max UTF-16 units, cutting on a rune boundary and ending with
// "…" when something was cut.
func truncate(s string, max int) string {
	if textLen(s) <= max {
		return s
	}
	return joinPieces(strings.Split(s, ""), max)
}

// joinPieces concatenates pieces (each one escaped rune) while they fit in max-1 units, then
// appends "…". A piece is never split, so an escape sequence is never cut in half.
func joinPieces(pieces []string, max int) string {
	var b strings.Builder
	n := 0
	for _, p := range pieces {
		l := textLen(p)
		if n+l > max-1 {
			break
		}
		b.WriteString(p)
		n += l
	}
	return b.String() + ellipsis
}

// escapePiece is the mrkdwn-safe form of one rune of untrusted text.
func escapePiece(r rune) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	case '*', '_', '~', '`':
		return zwj + string(r) + zwj
	}
	if unicode.IsControl(r) {
		return " "
	}
	return string(r)
}

// escapeMrkdwn makes untrusted text render literally inside a mrkdwn text object: no mentions
// (<!channel>, <@U…>), no links, no formatting. Handlers composing renderOpts.Note from CMS
// names should pass the names through it.
func escapeMrkdwn(s string) string { return escapeTrunc(s, 1<<30) }

// escapeTrunc escapes s for mrkdwn and truncates the result to max UTF-16 units.
func escapeTrunc(s string, max int) string {
	pieces := make([]string, 0, len(s))
	n := 0
	for _, r := range s {
		p := escapePiece(r)
		pieces = append(pieces, p)
		n += textLen(p)
	}
	if n <= max {
		return strings.Join(pieces, "")
	}
	return joinPieces(pieces, max)
}

// plainSafe prepares untrusted text for a plain_text object: Slack does not parse mentions
// there, but the text is cleaned anyway and "<!", "<@", "<#" are broken up so no copy of it
// ever pastes as a mention.
func plainSafe(s string, max int) string {
	s = clean(s)
	if strings.Contains(s, "<") {
		s = strings.NewReplacer("<!", "<"+zwj+"!", "<@", "<"+zwj+"@", "<#", "<"+zwj+"#").Replace(s)
	}
	return truncate(s, max)
}

// plain is a plain_text object of untrusted or fixed text, cut to max.
func plain(s string, max int) *slack.TextBlockObject {
	s = plainSafe(s, max)
	if strings.TrimSpace(s) == "" {
		s = "-" // Slack rejects empty text objects
	}
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// md is a mrkdwn object of already-escaped text, cut to max. verbatim keeps Slack from
// auto-linking URLs and channel names that might still be in the text.
func md(s string, max int) *slack.TextBlockObject {
	s = truncate(s, max)
	if strings.TrimSpace(s) == "" {
		s = "-"
	}
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

// bold is *text* of untrusted text, escaped and cut so the whole stays within max.
func bold(s string, max int) string {
	if max < 3 {
		return ""
	}
	// Slack only bolds when the asterisks touch the text.
	return "*" + escapeTrunc(strings.TrimSpace(clean(s)), max-2) + "*"
}

// clock is t as HH:MM:SS in loc (UTC when nil).
func clock(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("15:04:05")
}

// plural is "1 meeting" / "2 meetings".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// escapeEntities escapes only Slack's three control characters, for mrkdwn that NFMM writes
// itself (templates with `code` and *bold* that must keep their formatting).
func escapeEntities(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
