package slackfake_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/bot/slackfake"
)

type obj = map[string]any

func rep(n int) string        { return strings.Repeat("a", n) }
func pt(s string) obj         { return obj{"type": "plain_text", "text": s} }
func md(s string) obj         { return obj{"type": "mrkdwn", "text": s} }
func section(text string) obj { return obj{"type": "section", "text": md(text)} }
func actions(els ...any) obj  { return obj{"type": "actions", "elements": els} }
func button(id, text string) obj {
	return obj{"type": "button", "action_id": id, "text": pt(text), "value": "v"}
}
func opt(text, value string) obj       { return obj{"text": pt(text), "value": value} }
func header(t obj) obj                 { return obj{"type": "header", "text": t} }
func sel(opts ...any) obj              { return obj{"type": "static_select", "action_id": "s", "options": opts} }
func overflow(opts ...any) obj         { return obj{"type": "overflow", "action_id": "o", "options": opts} }
func withConfirm(c obj) obj            { b := button("b", "Go"); b["confirm"] = c; return b }
func withBlockID(b obj, id string) obj { b["block_id"] = id; return b }

func times[T any](n int, f func(i int) T) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func buttons(n int) []any {
	return times(n, func(i int) any { return button("b"+string(rune('a'+i%26))+rep(i/26), "B") })
}

func opts(n int) []any {
	return times(n, func(i int) any { return opt("o", "v"+strconv.Itoa(i)) })
}

func confirm(title, text, yes, no int) obj {
	return obj{"title": pt(rep(title)), "text": md(rep(text)), "confirm": pt(rep(yes)), "deny": pt(rep(no))}
}

func modal(mut func(v obj)) obj {
	v := obj{"type": "modal", "title": pt("Add participant"), "submit": pt("Add"), "close": pt("Cancel"),
		"callback_id": "cb", "blocks": []any{section("hi")}}
	if mut != nil {
		mut(v)
	}
	return v
}

func input() obj {
	return obj{"type": "input", "block_id": "uri", "label": pt("URI"),
		"element": obj{"type": "plain_text_input", "action_id": "uri_input"}}
}

// TestValidateMessage has one row per Block Kit limit: at the limit passes, one over fails with
// the json-pointer of the offending field.
func TestValidateMessage(t *testing.T) {
	tests := []struct {
		name   string
		blocks []any
		want   string // json-pointer of the single expected error; "" = valid
	}{
		{"50 blocks", times(50, func(int) any { return obj{"type": "divider"} }), ""},
		{"51 blocks", times(51, func(int) any { return obj{"type": "divider"} }), "/blocks"},
		{"section 3000", []any{section(rep(3000))}, ""},
		{"section 3001", []any{section(rep(3001))}, "/blocks/0/text/text"},
		{"section empty text", []any{section("")}, "/blocks/0/text/text"},
		{"section without text or fields", []any{obj{"type": "section"}}, "/blocks/0/text"},
		{"10 fields", []any{obj{"type": "section", "fields": times(10, func(int) any { return md("f") })}}, ""},
		{"11 fields", []any{obj{"type": "section", "fields": times(11, func(int) any { return md("f") })}}, "/blocks/0/fields"},
		{"field 2000", []any{obj{"type": "section", "fields": []any{md(rep(2000))}}}, ""},
		{"field 2001", []any{obj{"type": "section", "fields": []any{md("ok"), md(rep(2001))}}}, "/blocks/0/fields/1/text"},
		{"header 150", []any{header(pt(rep(150)))}, ""},
		{"header 151", []any{header(pt(rep(151)))}, "/blocks/0/text/text"},
		{"header mrkdwn", []any{header(md("x"))}, "/blocks/0/text/type"},
		{"context 10", []any{obj{"type": "context", "elements": times(10, func(int) any { return md("c") })}}, ""},
		{"context 11", []any{obj{"type": "context", "elements": times(11, func(int) any { return md("c") })}}, "/blocks/0/elements"},
		{"button in context", []any{obj{"type": "context", "elements": []any{button("b", "B")}}}, "/blocks/0/elements/0/type"},
		{"actions 25", []any{actions(buttons(25)...)}, ""},
		{"actions 26", []any{actions(buttons(26)...)}, "/blocks/0/elements"},
		{"button text 75", []any{actions(button("b", rep(75)))}, ""},
		{"button text 76", []any{actions(button("b", rep(76)))}, "/blocks/0/elements/0/text/text"},
		{"button text mrkdwn", []any{actions(obj{"type": "button", "action_id": "b", "text": md("B")})}, "/blocks/0/elements/0/text/type"},
		{"button without text", []any{actions(obj{"type": "button", "action_id": "b"})}, "/blocks/0/elements/0/text"},
		{"button value 2000", []any{actions(obj{"type": "button", "action_id": "b", "text": pt("B"), "value": rep(2000)})}, ""},
		{"button value 2001", []any{actions(obj{"type": "button", "action_id": "b", "text": pt("B"), "value": rep(2001)})}, "/blocks/0/elements/0/value"},
		{"action_id 255", []any{actions(button(rep(255), "B"))}, ""},
		{"action_id 256", []any{actions(button(rep(256), "B"))}, "/blocks/0/elements/0/action_id"},
		{"duplicate action_id in a block", []any{actions(button("x", "B"), button("x", "C"))}, "/blocks/0/elements/1/action_id"},
		{"same action_id in two blocks", []any{actions(button("x", "B")), actions(button("x", "C"))}, ""},
		{"block_id 255", []any{withBlockID(section("s"), rep(255))}, ""},
		{"block_id 256", []any{withBlockID(section("s"), rep(256))}, "/blocks/0/block_id"},
		{"duplicate block_id", []any{withBlockID(section("s"), "b"), withBlockID(section("t"), "b")}, "/blocks/1/block_id"},
		{"select 100 options", []any{actions(sel(opts(100)...))}, ""},
		{"select 101 options", []any{actions(sel(opts(101)...))}, "/blocks/0/elements/0/options"},
		{"option text 75", []any{actions(sel(opt(rep(75), "v")))}, ""},
		{"option text 76", []any{actions(sel(opt(rep(76), "v")))}, "/blocks/0/elements/0/options/0/text/text"},
		{"option value 75", []any{actions(sel(opt("t", rep(75))))}, ""},
		{"option value 76", []any{actions(sel(opt("t", rep(76))))}, "/blocks/0/elements/0/options/0/value"},
		{"select option mrkdwn", []any{actions(sel(obj{"text": md("t"), "value": "v"}))}, "/blocks/0/elements/0/options/0/text/type"},
		{"overflow 1 option", []any{actions(overflow(opts(1)...))}, "/blocks/0/elements/0/options"},
		{"overflow 2 options", []any{actions(overflow(opts(2)...))}, ""},
		{"overflow 5 options", []any{actions(overflow(opts(5)...))}, ""},
		{"overflow 6 options", []any{actions(overflow(opts(6)...))}, "/blocks/0/elements/0/options"},
		{"confirm at limits", []any{actions(withConfirm(confirm(100, 300, 30, 30)))}, ""},
		{"confirm title 101", []any{actions(withConfirm(confirm(101, 300, 30, 30)))}, "/blocks/0/elements/0/confirm/title/text"},
		{"confirm text 301", []any{actions(withConfirm(confirm(100, 301, 30, 30)))}, "/blocks/0/elements/0/confirm/text/text"},
		{"confirm confirm 31", []any{actions(withConfirm(confirm(100, 300, 31, 30)))}, "/blocks/0/elements/0/confirm/confirm/text"},
		{"confirm deny 31", []any{actions(withConfirm(confirm(100, 300, 30, 31)))}, "/blocks/0/elements/0/confirm/deny/text"},
		{"section accessory button", []any{obj{"type": "section", "text": md("s"), "accessory": button("b", "B")}}, ""},
		{"unknown block type", []any{obj{"type": "carousel_of_doom"}}, "/blocks/0/type"},
		{"unknown element type", []any{actions(obj{"type": "slider", "action_id": "x"})}, "/blocks/0/elements/0/type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(tt.blocks)
			if err != nil {
				t.Fatal(err)
			}
			checkErrs(t, slackfake.ValidateMessage(raw), tt.want)
		})
	}
}

func TestValidateView(t *testing.T) {
	tests := []struct {
		name string
		view obj
		want string
	}{
		{"valid", modal(nil), ""},
		{"title 24", modal(func(v obj) { v["title"] = pt(rep(24)) }), ""},
		{"title 25", modal(func(v obj) { v["title"] = pt(rep(25)) }), "/view/title/text"},
		{"title mrkdwn", modal(func(v obj) { v["title"] = md("T") }), "/view/title/type"},
		{"no title", modal(func(v obj) { delete(v, "title") }), "/view/title"},
		{"submit 25", modal(func(v obj) { v["submit"] = pt(rep(25)) }), "/view/submit/text"},
		{"close 25", modal(func(v obj) { v["close"] = pt(rep(25)) }), "/view/close/text"},
		{"input with submit", modal(func(v obj) { v["blocks"] = []any{input()} }), ""},
		{"input without submit", modal(func(v obj) { v["blocks"] = []any{input()}; delete(v, "submit") }), "/view/submit"},
		{"private_metadata 3000", modal(func(v obj) { v["private_metadata"] = rep(3000) }), ""},
		{"private_metadata 3001", modal(func(v obj) { v["private_metadata"] = rep(3001) }), "/view/private_metadata"},
		{"callback_id 255", modal(func(v obj) { v["callback_id"] = rep(255) }), ""},
		{"callback_id 256", modal(func(v obj) { v["callback_id"] = rep(256) }), "/view/callback_id"},
		{"100 blocks", modal(func(v obj) { v["blocks"] = times(100, func(int) any { return obj{"type": "divider"} }) }), ""},
		{"101 blocks", modal(func(v obj) { v["blocks"] = times(101, func(int) any { return obj{"type": "divider"} }) }), "/view/blocks"},
		{"block error inside view", modal(func(v obj) { v["blocks"] = []any{section(rep(3001))} }), "/view/blocks/0/text/text"},
		{"input label mrkdwn", modal(func(v obj) { in := input(); in["label"] = md("L"); v["blocks"] = []any{in} }), "/view/blocks/0/label/type"},
		{"button in input", modal(func(v obj) { in := input(); in["element"] = button("b", "B"); v["blocks"] = []any{in} }), "/view/blocks/0/element/type"},
		{"bad type", modal(func(v obj) { v["type"] = "dialog" }), "/view/type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(tt.view)
			if err != nil {
				t.Fatal(err)
			}
			checkErrs(t, slackfake.ValidateView(raw), tt.want)
		})
	}
}

func checkErrs(t *testing.T, errs []string, want string) {
	t.Helper()
	if want == "" {
		if len(errs) != 0 {
			t.Errorf("errors = %q, want none", errs)
		}
		return
	}
	if len(errs) != 1 || !strings.HasSuffix(errs[0], "[json-pointer:"+want+"]") {
		t.Errorf("errors = %q, want exactly one at %s", errs, want)
	}
}

func TestValidateBadInput(t *testing.T) {
	for _, in := range []string{``, `{`, `42`, `"x"`, `[1,"a",null]`, `[{"type":5}]`, `{"blocks":{}}`,
		`[{"type":"section","text":"plain string"}]`, `[{"type":"actions","elements":"x"}]`,
		`[{"type":"actions","elements":[{"type":"static_select","options":[1]}]}]`} {
		if errs := slackfake.ValidateMessage([]byte(in)); len(errs) == 0 {
			t.Errorf("ValidateMessage(%s) = no errors", in)
		}
		if errs := slackfake.ValidateView([]byte(in)); len(errs) == 0 {
			t.Errorf("ValidateView(%s) = no errors", in)
		}
	}
	if errs := slackfake.ValidateMessage([]byte(`null`)); errs != nil {
		t.Errorf("null blocks: %q", errs)
	}
}
