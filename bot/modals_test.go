package bot

import (
	"strings"
	"testing"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

func TestGoldenViews(t *testing.T) {
	many := rosterResult(150)
	tests := []struct {
		name string
		view slack.ModalViewRequest
	}{
		{"view_add", addModal(uuid("c", 1), "Board meeting")},
		{"view_presenter", presenterModal(rosterResult(3))},
		{"view_presenter_empty", presenterModal(rosterResult(0))},
		{"view_presenter_150", presenterModal(many)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if errs := checkViewLimits(tt.view); len(errs) > 0 {
				t.Fatalf("limits: %v", errs)
			}
			assertGolden(t, tt.name, tt.view)
		})
	}
}

func TestAddModalShape(t *testing.T) {
	v := addModal(uuid("c", 1), "Board")
	in, ok := v.Blocks.BlockSet[1].(*slack.InputBlock)
	if !ok || in.BlockID != blockURI {
		t.Fatalf("second block is %T, want the URI input", v.Blocks.BlockSet[1])
	}
	el, ok := in.Element.(*slack.PlainTextInputBlockElement)
	if !ok || el.ActionID != elemURI || el.Placeholder.Text != uriPlaceholder {
		t.Errorf("input element %+v", in.Element)
	}
	if v.CallbackID != viewAdd || v.PrivateMetadata != uuid("c", 1) || v.Title.Text != "Add participant" ||
		v.Submit.Text != "Dial" || v.Close.Text != "Cancel" {
		t.Errorf("modal %+v", v)
	}
}

func TestPresenterModalOptions(t *testing.T) {
	tests := []struct {
		name        string
		rows        int
		wantOptions int
		wantNote    bool
	}{
		{"3 participants", 3, 3, false},
		{"100 participants", 100, 100, false},
		{"150 participants", 150, 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rosterResult(tt.rows)
			r.Participants[0].Name = strings.Repeat("Ω", 200)
			v := presenterModal(r)
			if errs := checkViewLimits(v); len(errs) > 0 {
				t.Fatalf("limits: %v", errs)
			}
			in := v.Blocks.BlockSet[1].(*slack.InputBlock)
			sel := in.Element.(*slack.SelectBlockElement)
			if in.BlockID != blockPresenter || sel.ActionID != elemPresenter || len(sel.Options) != tt.wantOptions {
				t.Errorf("block %q, action %q, %d options", in.BlockID, sel.ActionID, len(sel.Options))
			}
			if sel.Options[1].Value != r.Participants[1].LegID || sel.Options[1].Text.Text != "Participant 001 (cb2)" {
				t.Errorf("option %+v %+v", sel.Options[1], sel.Options[1].Text)
			}
			if !strings.HasSuffix(sel.Options[0].Text.Text, "… (cb1)") {
				t.Errorf("long name not cut before the node: %q", sel.Options[0].Text.Text)
			}
			if got := len(v.Blocks.BlockSet) == 3; got != tt.wantNote {
				t.Errorf("note shown %v, want %v", got, tt.wantNote)
			}
		})
	}
}

func addView(meta, uri string) slack.View {
	return slack.View{PrivateMetadata: meta, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		blockURI: {elemURI: {Value: uri}},
	}}}
}

func TestParseAddSubmission(t *testing.T) {
	meta := uuid("c", 1)
	tests := []struct {
		name    string
		view    slack.View
		wantURI string
		wantErr bool
	}{
		{"sip uri", addView(meta, "sip:alice@example.com"), "sip:alice@example.com", false},
		{"phone", addView(meta, "+4722334455"), "+4722334455", false},
		{"surrounding space trimmed", addView(meta, "  alice@example.com \n"), "alice@example.com", false},
		{"255 chars", addView(meta, "sip:"+strings.Repeat("a", 239)+"@example.com"), "sip:" + strings.Repeat("a", 239) + "@example.com", false},
		{"empty", addView(meta, ""), "", true},
		{"only spaces", addView(meta, "   "), "", true},
		{"inner space", addView(meta, "sip:alice @example.com"), "", true},
		{"256 chars", addView(meta, "sip:"+strings.Repeat("a", 240)+"@example.com"), "", true},
		{"control char", addView(meta, "sip:alice\x00@example.com"), "", true},
		{"escape char", addView(meta, "sip:al\x1bice@example.com"), "", true},
		{"invalid utf-8", addView(meta, "sip:\xffalice@example.com"), "", true},
		{"no state", slack.View{PrivateMetadata: meta}, "", true},
		// Friction 1: each of these closed the modal and posted the whole help.
		{"no domain", addView(meta, "alice@"), "", true},
		{"bare sip", addView(meta, "sip:"), "", true},
		{"letters in a number", addView(meta, "+47abc"), "", true},
		{"two at signs", addView(meta, "a@b@c"), "", true},
		{"no user", addView(meta, "@example.com"), "", true},
		{"http", addView(meta, "http://x"), "", true},
		{"tampered metadata", addView("<!channel>", "sip:alice@example.com"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			corr, uri, errs := parseAddSubmission(tt.view)
			if tt.wantErr {
				if errs[blockURI] == "" || len(errs) != 1 || uri != "" || corr != "" {
					t.Errorf("got (%q, %q, %v), want one error on %s", corr, uri, errs, blockURI)
				}
				// The typed command's own sentence, not a generic one.
				if a, _ := stateValue(tt.view, blockURI, elemURI); idPattern.MatchString(tt.view.PrivateMetadata) &&
					errs[blockURI] != commands.URIProblem(strings.TrimSpace(a.Value)) {
					t.Errorf("modal says %q, the typed add would say %q", errs[blockURI], commands.URIProblem(a.Value))
				}
				return
			}
			if errs != nil || uri != tt.wantURI || corr != meta {
				t.Errorf("got (%q, %q, %v), want (%q, %q, nil)", corr, uri, errs, meta, tt.wantURI)
			}
		})
	}
}

func presenterView(meta, leg string) slack.View {
	return slack.View{PrivateMetadata: meta, State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		blockPresenter: {elemPresenter: {SelectedOption: slack.OptionBlockObject{Value: leg}}},
	}}}
}

func TestParsePresenterSubmission(t *testing.T) {
	meta, leg := uuid("c", 1), uuid("1e", 2)
	tests := []struct {
		name    string
		view    slack.View
		wantErr bool
	}{
		{"chosen", presenterView(meta, leg), false},
		{"nothing chosen", presenterView(meta, ""), true},
		{"tampered leg", presenterView(meta, "../system/status"), true},
		{"tampered metadata", presenterView("x|y", leg), true},
		{"no state", slack.View{PrivateMetadata: meta}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			corr, got, errs := parsePresenterSubmission(tt.view)
			if tt.wantErr {
				if errs[blockPresenter] == "" || got != "" || corr != "" {
					t.Errorf("got (%q, %q, %v), want an error on %s", corr, got, errs, blockPresenter)
				}
				return
			}
			if errs != nil || got != leg || corr != meta {
				t.Errorf("got (%q, %q, %v), want (%q, %q, nil)", corr, got, errs, meta, leg)
			}
		})
	}
}

func TestPresenterModalSkipsUnsafeLegs(t *testing.T) {
	r := rosterResult(3)
	r.Participants[0].LegID = "<!channel>"
	r.Participants[2].LegID = r.Participants[1].LegID
	v := presenterModal(r)
	sel := v.Blocks.BlockSet[1].(*slack.InputBlock).Element.(*slack.SelectBlockElement)
	if len(sel.Options) != 1 || sel.Options[0].Value != r.Participants[1].LegID {
		t.Errorf("options %+v", sel.Options)
	}
	if errs := checkViewLimits(v); len(errs) > 0 {
		t.Errorf("limits: %v", errs)
	}
}
