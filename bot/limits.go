package bot

import (
	"fmt"

	"github.com/slack-go/slack"
)

// Block Kit limits (slack.md §3.1). Primary source: the JSDoc of @slack/types 3.2.0
// (https://github.com/slackapi/node-slack-sdk/tree/main/packages/types/src/block-kit) and
// https://docs.slack.dev/reference/block-kit/blocks. Lengths are JavaScript string lengths
// (UTF-16 units), see textLen. Slack answers a violation with invalid_blocks and posts nothing.
const (
	maxMessageBlocks  = 50   // blocks per message
	maxViewBlocks     = 100  // blocks per modal
	maxBlockID        = 255  // block_id
	maxActionID       = 255  // action_id
	maxSectionText    = 3000 // section text (and any text object)
	maxFields         = 10   // section fields
	maxFieldText      = 2000 // one section field
	maxHeaderText     = 150  // header, plain_text only
	maxContextElems   = 10   // context elements
	maxContextText    = 3000 // one context text element
	maxActionElems    = 25   // actions block elements
	maxButtonText     = 75   // button label
	maxButtonValue    = 2000 // button value
	maxButtonURL      = 3000 // button url
	maxOptions        = 100  // static_select options (or option groups)
	minOverflow       = 2    // overflow options
	maxOverflow       = 5    // overflow options
	maxOptionText     = 75   // option text
	maxOptionValue    = 75   // option value (@slack/types says 75; older docs 150)
	maxPlaceholder    = 150  // placeholder
	maxConfirmTitle   = 100  // confirm dialog title
	maxConfirmText    = 300  // confirm dialog text
	maxConfirmButton  = 30   // confirm dialog confirm/deny
	maxInputLabel     = 2000 // input label and hint
	maxInputLength    = 3000 // plain_text_input max_length
	maxViewTitle      = 24   // modal title, submit, close
	maxPrivateMeta    = 3000 // modal private_metadata
	maxCallbackID     = 255  // modal callback_id
	maxTopText        = 3000 // message text: documented 40 000, msg_too_long seen at ~4 000
	maxOptionGroupLbl = 75   // option group label
	unlimited         = 1 << 30
)

// limitChecker collects every violation with a JSON-pointer-like path, the way Slack's
// invalid_blocks errors name them.
type limitChecker struct {
	errs     []error
	blockIDs map[string]bool
}

func (c *limitChecker) failf(path, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: "+format, append([]any{path}, args...)...))
}

// checkLimits reports every Block Kit limit a message breaks (slack.md §3.1); nil when valid.
func checkLimits(m message) []error {
	c := &limitChecker{blockIDs: map[string]bool{}}
	if m.Text == "" && len(m.Blocks) == 0 {
		c.failf("/", "message has neither text nor blocks")
	}
	if l := textLen(m.Text); l > maxTopText {
		c.failf("/text", "%d chars, limit %d", l, maxTopText)
	}
	c.blocks("/blocks", m.Blocks, maxMessageBlocks)
	return c.errs
}

// checkViewLimits is checkLimits for a modal.
func checkViewLimits(v slack.ModalViewRequest) []error {
	c := &limitChecker{blockIDs: map[string]bool{}}
	if v.Type != slack.VTModal {
		c.failf("/type", "%q, want modal", v.Type)
	}
	c.text("/title", v.Title, maxViewTitle, true)
	if v.Close != nil {
		c.text("/close", v.Close, maxViewTitle, true)
	}
	if v.Submit != nil {
		c.text("/submit", v.Submit, maxViewTitle, true)
	}
	hasInput := false
	for _, b := range v.Blocks.BlockSet {
		if _, ok := b.(*slack.InputBlock); ok {
			hasInput = true
		}
	}
	if hasInput && v.Submit == nil {
		c.failf("/submit", "required when the view has input blocks")
	}
	if l := textLen(v.PrivateMetadata); l > maxPrivateMeta {
		c.failf("/private_metadata", "%d chars, limit %d", l, maxPrivateMeta)
	}
	if l := textLen(v.CallbackID); l > maxCallbackID {
		c.failf("/callback_id", "%d chars, limit %d", l, maxCallbackID)
	}
	c.blocks("/blocks", v.Blocks.BlockSet, maxViewBlocks)
	return c.errs
}

func (c *limitChecker) blocks(path string, bs []slack.Block, max int) {
	if len(bs) > max {
		c.failf(path, "%d blocks, limit %d", len(bs), max)
	}
	for i, b := range bs {
		c.block(fmt.Sprintf("%s/%d", path, i), b)
	}
}

func (c *limitChecker) block(path string, b slack.Block) {
	if b == nil {
		c.failf(path, "nil block")
		return
	}
	c.blockID(path, b.ID())
	switch b := b.(type) {
	case *slack.SectionBlock:
		c.section(path, b)
	case *slack.HeaderBlock:
		c.text(path+"/text", b.Text, maxHeaderText, true)
	case *slack.ContextBlock:
		c.context(path, b)
	case *slack.ActionBlock:
		c.actions(path, b)
	case *slack.InputBlock:
		c.text(path+"/label", b.Label, maxInputLabel, true)
		if b.Hint != nil {
			c.text(path+"/hint", b.Hint, maxInputLabel, true)
		}
		c.element(path+"/element", b.Element)
	case *slack.DividerBlock:
	default:
		c.failf(path, "block type %T is not one NFMM checks", b)
	}
}

func (c *limitChecker) blockID(path, id string) {
	if id == "" {
		return
	}
	if l := textLen(id); l > maxBlockID {
		c.failf(path+"/block_id", "%d chars, limit %d", l, maxBlockID)
	}
	if c.blockIDs[id] {
		c.failf(path+"/block_id", "duplicate block_id %q", truncate(id, 40))
	}
	c.blockIDs[id] = true
}

func (c *limitChecker) section(path string, b *slack.SectionBlock) {
	if b.Text == nil && len(b.Fields) == 0 {
		c.failf(path, "section needs text or fields")
	}
	if b.Text != nil {
		c.text(path+"/text", b.Text, maxSectionText, false)
	}
	if len(b.Fields) > maxFields {
		c.failf(path+"/fields", "%d fields, limit %d", len(b.Fields), maxFields)
	}
	for i, f := range b.Fields {
		c.text(fmt.Sprintf("%s/fields/%d", path, i), f, maxFieldText, false)
	}
	if b.Accessory != nil {
		c.accessory(path+"/accessory", b.Accessory)
	}
}

func (c *limitChecker) accessory(path string, a *slack.Accessory) {
	switch {
	case a.ButtonElement != nil:
		c.element(path, a.ButtonElement)
	case a.SelectElement != nil:
		c.element(path, a.SelectElement)
	case a.OverflowElement != nil:
		c.element(path, a.OverflowElement)
	case a.ImageElement != nil:
	default:
		c.failf(path, "accessory type NFMM does not check")
	}
}

func (c *limitChecker) context(path string, b *slack.ContextBlock) {
	els := b.ContextElements.Elements
	if len(els) == 0 || len(els) > maxContextElems {
		c.failf(path+"/elements", "%d elements, want 1..%d", len(els), maxContextElems)
	}
	for i, e := range els {
		p := fmt.Sprintf("%s/elements/%d", path, i)
		switch e := e.(type) {
		case *slack.TextBlockObject:
			c.text(p, e, maxContextText, false)
		case *slack.ImageBlockElement:
		default:
			c.failf(p, "context element %T not allowed", e)
		}
	}
}

func (c *limitChecker) actions(path string, b *slack.ActionBlock) {
	if b.Elements == nil || len(b.Elements.ElementSet) == 0 {
		c.failf(path+"/elements", "actions block without elements")
		return
	}
	els := b.Elements.ElementSet
	if len(els) > maxActionElems {
		c.failf(path+"/elements", "%d elements, limit %d", len(els), maxActionElems)
	}
	seen := map[string]bool{}
	for i, e := range els {
		p := fmt.Sprintf("%s/elements/%d", path, i)
		c.element(p, e)
		if id := actionID(e); id != "" {
			if seen[id] {
				c.failf(p+"/action_id", "duplicate action_id %q in block", id)
			}
			seen[id] = true
		}
	}
}

func actionID(e slack.BlockElement) string {
	switch e := e.(type) {
	case *slack.ButtonBlockElement:
		return e.ActionID
	case *slack.SelectBlockElement:
		return e.ActionID
	case *slack.PlainTextInputBlockElement:
		return e.ActionID
	case *slack.OverflowBlockElement:
		return e.ActionID
	}
	return ""
}

func (c *limitChecker) element(path string, e slack.BlockElement) {
	if l := textLen(actionID(e)); l > maxActionID {
		c.failf(path+"/action_id", "%d chars, limit %d", l, maxActionID)
	}
	switch e := e.(type) {
	case *slack.ButtonBlockElement:
		c.button(path, e)
	case *slack.SelectBlockElement:
		c.selectElem(path, e)
	case *slack.OverflowBlockElement:
		c.overflow(path, e)
	case *slack.PlainTextInputBlockElement:
		if e.Placeholder != nil {
			c.text(path+"/placeholder", e.Placeholder, maxPlaceholder, true)
		}
		if e.MaxLength < 0 || e.MaxLength > maxInputLength {
			c.failf(path+"/max_length", "%d, limit %d", e.MaxLength, maxInputLength)
		}
	default:
		c.failf(path, "element %T is not one NFMM checks", e)
	}
}

func (c *limitChecker) button(path string, b *slack.ButtonBlockElement) {
	if b.Type != slack.METButton {
		c.failf(path+"/type", "%q, want button", b.Type)
	}
	c.text(path+"/text", b.Text, maxButtonText, true)
	if l := textLen(b.Value); l > maxButtonValue {
		c.failf(path+"/value", "%d chars, limit %d", l, maxButtonValue)
	}
	if l := textLen(b.URL); l > maxButtonURL {
		c.failf(path+"/url", "%d chars, limit %d", l, maxButtonURL)
	}
	if b.Style != "" && b.Style != slack.StyleDanger && b.Style != slack.StylePrimary {
		c.failf(path+"/style", "%q", b.Style)
	}
	if b.Confirm != nil {
		c.confirm(path+"/confirm", b.Confirm)
	}
}

func (c *limitChecker) confirm(path string, d *slack.ConfirmationBlockObject) {
	c.text(path+"/title", d.Title, maxConfirmTitle, true)
	c.text(path+"/text", d.Text, maxConfirmText, false)
	c.text(path+"/confirm", d.Confirm, maxConfirmButton, true)
	if d.Deny != nil {
		c.text(path+"/deny", d.Deny, maxConfirmButton, true)
	}
}

func (c *limitChecker) selectElem(path string, s *slack.SelectBlockElement) {
	if s.Type != slack.OptTypeStatic {
		c.failf(path+"/type", "%q, want static_select", s.Type)
	}
	if s.Placeholder != nil {
		c.text(path+"/placeholder", s.Placeholder, maxPlaceholder, true)
	}
	if (len(s.Options) == 0) == (len(s.OptionGroups) == 0) {
		c.failf(path, "static_select needs options or option_groups (exactly one)")
	}
	if len(s.Options) > maxOptions || len(s.OptionGroups) > maxOptions {
		c.failf(path, "%d options / %d groups, limit %d", len(s.Options), len(s.OptionGroups), maxOptions)
	}
	values := map[string]bool{}
	for i, o := range s.Options {
		c.option(fmt.Sprintf("%s/options/%d", path, i), o, values)
	}
	for i, g := range s.OptionGroups {
		gp := fmt.Sprintf("%s/option_groups/%d", path, i)
		c.text(gp+"/label", g.Label, maxOptionGroupLbl, true)
		if len(g.Options) == 0 || len(g.Options) > maxOptions {
			c.failf(gp+"/options", "%d options, want 1..%d", len(g.Options), maxOptions)
		}
		for j, o := range g.Options {
			c.option(fmt.Sprintf("%s/options/%d", gp, j), o, values)
		}
	}
	if s.InitialOption != nil {
		c.option(path+"/initial_option", s.InitialOption, nil)
		if !values[s.InitialOption.Value] {
			c.failf(path+"/initial_option", "value %q is not one of the options", s.InitialOption.Value)
		}
	}
	if s.Confirm != nil {
		c.confirm(path+"/confirm", s.Confirm)
	}
}

// overflow checks an overflow menu: 2-5 options, and no confirm (NFMM asks in a modal instead,
// since Slack's one confirm would cover every option).
func (c *limitChecker) overflow(path string, o *slack.OverflowBlockElement) {
	if o.Type != slack.METOverflow {
		c.failf(path+"/type", "%q, want overflow", o.Type)
	}
	if n := len(o.Options); n < minOverflow || n > maxOverflow {
		c.failf(path+"/options", "%d options, want %d..%d", n, minOverflow, maxOverflow)
	}
	values := map[string]bool{}
	for i, opt := range o.Options {
		c.option(fmt.Sprintf("%s/options/%d", path, i), opt, values)
	}
	if o.Confirm != nil {
		c.failf(path+"/confirm", "a confirm on an overflow covers every option")
	}
}

// option checks one option; values (when not nil) collects values to catch duplicates.
func (c *limitChecker) option(path string, o *slack.OptionBlockObject, values map[string]bool) {
	if o == nil {
		c.failf(path, "nil option")
		return
	}
	c.text(path+"/text", o.Text, maxOptionText, true)
	if l := textLen(o.Value); l == 0 || l > maxOptionValue {
		c.failf(path+"/value", "%d chars, want 1..%d", l, maxOptionValue)
	}
	if values != nil {
		if values[o.Value] {
			c.failf(path+"/value", "duplicate option value %q", o.Value)
		}
		values[o.Value] = true
	}
}

// text checks a text object: present, a known type (plain_text when plainOnly), 1..max units.
func (c *limitChecker) text(path string, t *slack.TextBlockObject, max int, plainOnly bool) {
	if t == nil {
		c.failf(path, "missing text object")
		return
	}
	switch {
	case plainOnly && t.Type != slack.PlainTextType:
		c.failf(path+"/type", "%q, must be plain_text", t.Type)
	case t.Type != slack.PlainTextType && t.Type != slack.MarkdownType:
		c.failf(path+"/type", "%q, want plain_text or mrkdwn", t.Type)
	}
	if t.Type == slack.PlainTextType && t.Verbatim {
		c.failf(path+"/verbatim", "only mrkdwn may be verbatim")
	}
	if l := textLen(t.Text); l == 0 || l > max {
		c.failf(path+"/text", "%d chars, want 1..%d", l, max)
	}
}
