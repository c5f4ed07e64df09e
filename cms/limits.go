package cms

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// What one CMS answer may cost. A node is trusted to be a call bridge, not to be well behaved:
// a compromised or broken one must not be able to take the bot down with a single answer, so
// every body is bounded before it is decoded, and the bounds sit far above anything CMS sends
// (cms-api.md §2.2: a page holds "10 or 20" elements; a call leg with media statistics is a few
// KiB). Together they keep the memory of any single answer to a few MiB (docs/reliability.md).
const (
	// maxBody caps the bytes read from one answer: 512 KiB is some 25 full pages of call legs.
	maxBody = 512 << 10
	// maxListTotal caps a list's total attribute: more call legs (or calls) than any CMS node
	// hosts, and more than maxPageRequests pages of CMS's smallest page could fetch anyway.
	maxListTotal = maxPageRequests * 10
	// maxPageItems caps the children of a list's root element.
	maxPageItems = 1000
	// maxElements caps the elements of one body; a full CMS page has a few hundred.
	maxElements = 10000
	// maxDepth caps element nesting; CMS's deepest documents (a call leg's media statistics)
	// are 4 levels deep.
	maxDepth = 32
)

// checkShape refuses a body nested deeper than maxDepth, or with more than maxElements elements
// or more than maxPageItems children of its root, before the decoder builds anything. It is a
// byte scan, not a parser: a body it cannot follow (truncated, stray '<') is left to the
// decoder, which reports it. Errors match ErrMalformedResponse.
func checkShape(body []byte) error {
	depth, elems, children := 0, 0, 0
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			return nil
		}
		i += j + 1
		rest := body[i:]
		var skip int
		switch {
		case bytes.HasPrefix(rest, []byte("!--")):
			skip = indexAfter(rest, "-->")
		case bytes.HasPrefix(rest, []byte("![CDATA[")):
			skip = indexAfter(rest, "]]>")
		case len(rest) > 0 && (rest[0] == '!' || rest[0] == '?'):
			skip = indexAfter(rest, ">")
		case len(rest) > 0 && rest[0] == '/':
			depth--
			skip = indexAfter(rest, ">")
		default:
			end := tagEnd(rest)
			if end < 0 {
				return nil
			}
			skip = end + 1
			elems++
			if depth == 1 {
				children++
			}
			if rest[max(end-1, 0)] != '/' {
				depth++
			}
			switch {
			case depth > maxDepth:
				return fmt.Errorf("%w: XML nested deeper than %d elements", ErrMalformedResponse, maxDepth)
			case elems > maxElements:
				return fmt.Errorf("%w: more than %d XML elements in one answer", ErrMalformedResponse, maxElements)
			case children > maxPageItems:
				return fmt.Errorf("%w: more than %d items in one list page", ErrMalformedResponse, maxPageItems)
			}
		}
		if skip < 0 {
			return nil
		}
		i += skip
	}
	return nil
}

// indexAfter is the index just past the first sep in b, or -1.
func indexAfter(b []byte, sep string) int {
	k := bytes.Index(b, []byte(sep))
	if k < 0 {
		return -1
	}
	return k + len(sep)
}

// tagEnd is the index of the '>' closing the start tag b begins, skipping quoted attribute
// values, or -1.
func tagEnd(b []byte) int {
	var quote byte
	for i, c := range b {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return -1
}

// sanitize replaces what XML forbids with U+FFFD: control characters, invalid UTF-8, and
// character references to either (&#1;). encoding/xml rejects the whole document for one of
// them, so a single odd meeting name would hide every meeting on the node. A clean body (the
// normal case) is returned as is, without a copy.
func sanitize(b []byte) []byte {
	var out []byte // nil until the first replacement
	last := 0
	replace := func(from, to int, with string) {
		if out == nil {
			out = make([]byte, 0, len(b)+16)
		}
		out = append(out, b[last:from]...)
		out = append(out, with...)
		last = to
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '&' && i+1 < len(b) && b[i+1] == '#':
			n, r, ok := charRef(b[i:])
			if ok && !isXMLChar(r) {
				replace(i, i+n, "&#xFFFD;")
				i += n
				continue
			}
			i++
		case c < utf8.RuneSelf:
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				replace(i, i+1, "\uFFFD")
			}
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if (r == utf8.RuneError && n == 1) || !isXMLChar(r) {
				replace(i, i+n, "\uFFFD")
			}
			i += n
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// charRef parses the character reference b starts with (&#65; or &#x41;) and returns its
// length and value; ok is false for text that is no reference (left to the decoder). A value
// too large for a rune is returned as -1, which isXMLChar refuses.
func charRef(b []byte) (n int, r rune, ok bool) {
	end := bytes.IndexByte(b[:min(len(b), 32)], ';')
	if end < 3 {
		return 0, 0, false
	}
	digits, base := b[2:end], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	v, err := strconv.ParseUint(string(digits), base, 32)
	switch {
	case err == nil:
		return end + 1, rune(v), true
	case len(digits) > 0 && errors.Is(err, strconv.ErrRange):
		return end + 1, -1, true
	}
	return 0, 0, false
}

// isXMLChar is XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}
