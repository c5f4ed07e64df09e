package bot

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestCheckLimitsCatchesViolations(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	sec := func(s string) slack.Block { return slack.NewSectionBlock(md(s, unlimited), nil, nil) }
	btn := func(id, label, value string) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement(id, value, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
	}
	many := func(n int) []slack.Block {
		bs := make([]slack.Block, n)
		for i := range bs {
			bs[i] = sec("x")
		}
		return bs
	}
	opt := func(v, text string) *slack.OptionBlockObject {
		return slack.NewOptionBlockObject(v, slack.NewTextBlockObject(slack.PlainTextType, text, false, false), nil)
	}
	tests := []struct {
		name   string
		blocks []slack.Block
		want   string // substring of the first error; "" = valid
	}{
		{"valid", []slack.Block{header("h"), sec("x")}, ""},
		{"50 blocks", many(50), ""},
		{"51 blocks", many(51), "51 blocks"},
		{"section 3000", []slack.Block{sec(long(3000))}, ""},
		{"section 3001", []slack.Block{sec(long(3001))}, "/blocks/0/text/text"},
		{"emoji counts twice", []slack.Block{sec(strings.Repeat("😀", 1501))}, "3002 chars"},
		{"empty text", []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "", false, false), nil, nil)}, "0 chars"},
		{"11 fields", []slack.Block{slack.NewSectionBlock(nil, fieldList(make([]field, 11))[:10], nil), slack.NewSectionBlock(nil, append(fieldList(make([]field, 10)), md("x", 9)), nil)}, "11 fields"},
		{"field 2001", []slack.Block{slack.NewSectionBlock(nil, []*slack.TextBlockObject{md(long(2001), unlimited)}, nil)}, "/fields/0/text"},
		{"mrkdwn header", []slack.Block{slack.NewHeaderBlock(md("h", 10))}, "must be plain_text"},
		{"header 151", []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, long(151), false, false))}, "151 chars"},
		{"duplicate block_id", []slack.Block{slack.NewActionBlock("a", btn("x", "b", "")), slack.NewActionBlock("a", btn("x", "b", ""))}, "duplicate block_id"},
		{"block_id 256", []slack.Block{slack.NewActionBlock(long(256), btn("x", "b", ""))}, "256 chars"},
		{"duplicate action_id", []slack.Block{slack.NewActionBlock("", btn("x", "b", ""), btn("x", "c", ""))}, "duplicate action_id"},
		{"action_id 256", []slack.Block{slack.NewActionBlock("", btn(long(256), "b", ""))}, "/action_id"},
		{"button 76", []slack.Block{slack.NewActionBlock("", btn("x", long(76), ""))}, "76 chars"},
		{"button value 2001", []slack.Block{slack.NewActionBlock("", btn("x", "b", long(2001)))}, "/value"},
		{"26 elements", []slack.Block{slack.NewActionBlock("", func() []slack.BlockElement {
			els := make([]slack.BlockElement, 26)
			for i := range els {
				els[i] = btn(strings.Repeat("a", i+1), "b", "")
			}
			return els
		}()...)}, "26 elements"},
		{"confirm deny 31", []slack.Block{slack.NewActionBlock("", btn("x", "b", "").WithConfirm(slack.NewConfirmationBlockObject(plain("t", 9), plain("t", 9), plain("ok", 9), slack.NewTextBlockObject(slack.PlainTextType, long(31), false, false))))}, "/confirm/deny"},
		{"confirm text 301", []slack.Block{slack.NewActionBlock("", btn("x", "b", "").WithConfirm(slack.NewConfirmationBlockObject(plain("t", 9), md(long(301), unlimited), plain("ok", 9), nil)))}, "/confirm/text"},
		{"mrkdwn button", []slack.Block{slack.NewActionBlock("", slack.NewButtonBlockElement("x", "", md("b", 9)))}, "must be plain_text"},
		{"11 context elements", []slack.Block{slack.NewContextBlock("", func() []slack.MixedElement {
			els := make([]slack.MixedElement, 11)
			for i := range els {
				els[i] = plain("x", 9)
			}
			return els
		}()...)}, "11 elements"},
		{"101 options", []slack.Block{slack.NewActionBlock("", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "s", func() []*slack.OptionBlockObject {
			os := make([]*slack.OptionBlockObject, 101)
			for i := range os {
				os[i] = opt(strconv.Itoa(i), "t")
			}
			return os
		}()...))}, "101 options"},
		{"option text 76", []slack.Block{slack.NewActionBlock("", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "s", opt("v", long(76))))}, "/options/0/text"},
		{"option value 76", []slack.Block{slack.NewActionBlock("", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "s", opt(long(76), "t")))}, "/options/0/value"},
		{"foreign initial option", []slack.Block{slack.NewActionBlock("", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "s", opt("a", "t")).WithInitialOption(opt("b", "t")))}, "not one of the options"},
		{"no options", []slack.Block{slack.NewActionBlock("", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "s"))}, "needs options"},
		{"empty actions", []slack.Block{slack.NewActionBlock("")}, "without elements"},
		{"nil block", []slack.Block{nil}, "nil block"},
		{"unchecked block type", []slack.Block{slack.NewImageBlock("https://x/y.png", "alt", "", nil)}, "not one NFMM checks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := checkLimits(message{Text: "t", Blocks: tt.blocks})
			switch {
			case tt.want == "" && len(errs) > 0:
				t.Errorf("want valid, got %v", errs)
			case tt.want != "" && len(errs) == 0:
				t.Errorf("want an error containing %q, got none", tt.want)
			case tt.want != "" && !strings.Contains(errs[0].Error(), tt.want):
				t.Errorf("got %v, want an error containing %q", errs, tt.want)
			}
		})
	}
}

func TestCheckLimitsMessageText(t *testing.T) {
	tests := []struct {
		name string
		m    message
		bad  bool
	}{
		{"text only", message{Text: "hi"}, false},
		{"nothing", message{}, true},
		{"text 3001", message{Text: strings.Repeat("x", 3001), Blocks: []slack.Block{textSection("x")}}, true},
	}
	for _, tt := range tests {
		if errs := checkLimits(tt.m); (len(errs) > 0) != tt.bad {
			t.Errorf("%s: got %v, want error %v", tt.name, errs, tt.bad)
		}
	}
}

func TestCheckViewLimits(t *testing.T) {
	tests := []struct {
		name string
		edit func(v *slack.ModalViewRequest)
		want string
	}{
		{"valid", func(*slack.ModalViewRequest) {}, ""},
		{"title 25", func(v *slack.ModalViewRequest) {
			v.Title = slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("t", 25), false, false)
		}, "/title"},
		{"no submit with input", func(v *slack.ModalViewRequest) { v.Submit = nil }, "/submit"},
		{"metadata 3001", func(v *slack.ModalViewRequest) { v.PrivateMetadata = strings.Repeat("m", 3001) }, "/private_metadata"},
		{"101 blocks", func(v *slack.ModalViewRequest) {
			for len(v.Blocks.BlockSet) < 101 {
				v.Blocks.BlockSet = append(v.Blocks.BlockSet, textSection("x"))
			}
		}, "101 blocks"},
		{"not a modal", func(v *slack.ModalViewRequest) { v.Type = "home" }, "want modal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := addModal("c0000001-0000-4000-8000-000000000001", "Board")
			tt.edit(&v)
			errs := checkViewLimits(v)
			if (tt.want == "") != (len(errs) == 0) || (tt.want != "" && !strings.Contains(errs[0].Error(), tt.want)) {
				t.Errorf("got %v, want %q", errs, tt.want)
			}
		})
	}
}

func TestTruncateAndEscape(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"cut", "abcdef", 5, "abcd…"},
		{"rune boundary", "ééééé", 3, "éé…"},
		{"emoji not split", "a😀😀", 4, "a😀…"},
		{"emoji does not fit", "😀😀", 3, "😀…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.max); got != tt.want || textLen(got) > tt.max {
			t.Errorf("%s: truncate(%q, %d) = %q, want %q", tt.name, tt.in, tt.max, got, tt.want)
		}
	}
	esc := []struct{ in, want string }{
		{"a & b", "a &amp; b"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"*b*", zwj + "*" + zwj + "b" + zwj + "*" + zwj},
		{"line\nbreak", "line break"},
		{"مرحبا 👍", "مرحبا 👍"},
	}
	for _, tt := range esc {
		if got := escapeMrkdwn(tt.in); got != tt.want {
			t.Errorf("escapeMrkdwn(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// An escape sequence is never cut in half.
	if got := escapeTrunc("ab&&&", 9); got != "ab&amp;…" {
		t.Errorf("escapeTrunc = %q", got)
	}
}

func TestLegRefRoundTripAndTampering(t *testing.T) {
	good := legRef{Correlator: "c0000001-0000-4000-8000-000000000001", Node: "cb-1.example_2", LegID: "1e000001-0000-4000-8000-000000000001"}
	got, err := decodeLegRef(good.encode())
	if err != nil || got != good {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	bad := []string{
		"",
		"a|b",
		good.encode() + "|x",
		"zz|cb1|" + good.LegID,
		good.Correlator + "|cb1|not-hex",
		good.Correlator + "|cb 1|" + good.LegID,
		good.Correlator + "|<!channel>|" + good.LegID,
		good.Correlator + "|cb1|" + strings.Repeat("a", 65),
		strings.Repeat("a", 5000),
		good.Correlator + "|cb1\n|" + good.LegID,
	}
	for _, s := range bad {
		if r, err := decodeLegRef(s); !errors.Is(err, errBadRef) {
			t.Errorf("decodeLegRef(%.60q) = %+v, %v; want errBadRef", s, r, err)
		}
	}
}

func TestPageRefRoundTripAndTampering(t *testing.T) {
	good := []pageRef{
		{Kind: pageKindCalls, Page: 0},
		{Kind: pageKindCalls, Page: 3, Filter: "board room ß"},
		{Kind: pageKindRoster, Page: 9999, Filter: "c0000001-0000-4000-8000-000000000001"},
		// The longest filter still fits in a button value with the widest page number.
		{Kind: pageKindCalls, Page: maxPage, Filter: strings.Repeat("é", maxFilterLen)},
	}
	for _, p := range good {
		got, err := decodePageRef(p.encode())
		if err != nil || got != p || !p.valid() {
			t.Errorf("round trip %.80v: %.80v, %v", p, got, err)
		}
		if n := textLen(p.encode()); n > maxButtonValue {
			t.Errorf("%.40q encodes to %d chars, more than a button value holds (%d)", p.encode(), n, maxButtonValue)
		}
	}
	bad := []string{
		"",
		"calls|1",
		"calls|1|a|b",
		"other|1|x",
		"calls|-1|x",
		"calls|01|x",
		"calls|10000|x",
		"calls|1e3|x",
		"roster|1|not-hex!",
		"roster|1|",
		"calls|1|<!channel>",
		"calls|1|a&b",
		"calls|1|tab\there",
		"calls|1|" + strings.Repeat("x", maxFilterLen+1),
		"calls|1|" + strings.Repeat("é", 3000),
	}
	for _, s := range bad {
		if p, err := decodePageRef(s); !errors.Is(err, errBadRef) {
			t.Errorf("decodePageRef(%.60q) = %+v, %v; want errBadRef", s, p, err)
		}
	}
}
