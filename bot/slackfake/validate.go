package slackfake

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Block Kit limits (slack.md §3.1; primary source @slack/types 3.2.0 JSDoc and
// https://docs.slack.dev/reference/block-kit/blocks).
const (
	maxMessageBlocks   = 50
	maxModalBlocks     = 100
	maxBlockID         = 255
	maxActionID        = 255
	maxSectionText     = 3000
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxHeaderText      = 150
	maxContextElements = 10
	maxActionsElements = 25
	maxButtonText      = 75
	maxButtonValue     = 2000
	maxButtonURL       = 3000
	maxSelectOptions   = 100
	minOverflowOptions = 2
	maxOverflowOptions = 5
	maxChoiceOptions   = 10 // checkboxes, radio_buttons
	maxOptionText      = 75
	maxOptionValue     = 75
	maxPlaceholder     = 150
	maxConfirmTitle    = 100
	maxConfirmText     = 300
	maxConfirmButton   = 30
	maxInputLabel      = 2000
	maxInputMaxLength  = 3000
	maxAltText         = 2000
	maxMarkdownBlock   = 12000
	maxModalTitle      = 24
	maxPrivateMetadata = 3000
	maxCallbackID      = 255
)

// ValidateMessage checks message blocks against Slack's Block Kit rules and returns Slack-style
// errors ("must be less than 3001 characters [json-pointer:/blocks/1/text/text]"), nil when
// valid. blocksJSON is the blocks array, or an object with a "blocks" field; null means none.
func ValidateMessage(blocksJSON []byte) []string {
	var v any
	if err := json.Unmarshal(blocksJSON, &v); err != nil {
		return []string{"invalid JSON: " + err.Error() + " [json-pointer:/blocks]"}
	}
	if obj, ok := v.(map[string]any); ok {
		v = obj["blocks"]
	}
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return []string{"must be an array [json-pointer:/blocks]"}
	}
	return validateBlockList(list, "/blocks", maxMessageBlocks)
}

// ValidateView checks a modal or Home tab view object (as passed to views.open) and returns
// Slack-style errors with json-pointers rooted at /view, nil when valid.
func ValidateView(viewJSON []byte) []string {
	var v map[string]any
	if err := json.Unmarshal(viewJSON, &v); err != nil || v == nil {
		return []string{"must be an object [json-pointer:/view]"}
	}
	return validateView(v, "/view")
}

// checker collects errors; every check names the json-pointer of what it rejects.
type checker struct{ errs []string }

func (c *checker) add(ptr, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...)+" [json-pointer:"+ptr+"]")
}

func idx(ptr string, i int) string { return ptr + "/" + strconv.Itoa(i) }

// str checks an optional string field's length; required makes absence an error.
func (c *checker) str(m map[string]any, key, ptr string, maxLen int, required bool) string {
	v, present := m[key]
	if !present || v == nil {
		if required {
			c.add(ptr+"/"+key, "missing required field: %s", key)
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		c.add(ptr+"/"+key, "must be a string")
		return ""
	}
	if n := utf8.RuneCountInString(s); n > maxLen {
		c.add(ptr+"/"+key, "must be less than %d characters", maxLen+1)
	} else if required && n == 0 {
		c.add(ptr+"/"+key, "must be more than 0 characters")
	}
	return s
}

// text checks a text object at m[key]: type plain_text (or mrkdwn unless plainOnly), text of
// 1..maxLen characters.
func (c *checker) text(m map[string]any, key, ptr string, maxLen int, plainOnly, required bool) {
	v, present := m[key]
	if !present || v == nil {
		if required {
			c.add(ptr+"/"+key, "missing required field: %s", key)
		}
		return
	}
	c.textObj(v, ptr+"/"+key, maxLen, plainOnly)
}

func (c *checker) textObj(v any, p string, maxLen int, plainOnly bool) {
	t, ok := v.(map[string]any)
	if !ok {
		c.add(p, "must be a text object")
		return
	}
	switch typ, _ := t["type"].(string); {
	case typ != "plain_text" && typ != "mrkdwn":
		c.add(p+"/type", "must be a valid enum value")
	case plainOnly && typ != "plain_text":
		c.add(p+"/type", "must be plain_text")
	}
	c.str(t, "text", p, maxLen, true)
}

// list returns m[key] as an array, checking its length; absent with min > 0 is an error.
func (c *checker) list(m map[string]any, key, ptr string, minN, maxN int) []any {
	p := ptr + "/" + key
	v, present := m[key]
	if !present || v == nil {
		if minN > 0 {
			c.add(p, "missing required field: %s", key)
		}
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		c.add(p, "must be an array")
		return nil
	}
	if len(l) > maxN {
		c.add(p, "must be no more than %d items", maxN)
	} else if len(l) < minN {
		c.add(p, "must provide at least %d items", minN)
	}
	return l
}

func validateBlockList(list []any, ptr string, maxBlocks int) []string {
	c := &checker{}
	if len(list) > maxBlocks {
		c.add(ptr, "must be no more than %d items", maxBlocks)
	}
	seen := map[string]bool{}
	for i, b := range list {
		p := idx(ptr, i)
		m, ok := b.(map[string]any)
		if !ok {
			c.add(p, "must be an object")
			continue
		}
		if id := c.str(m, "block_id", p, maxBlockID, false); id != "" {
			if seen[id] {
				c.add(p+"/block_id", "duplicate block_id")
			}
			seen[id] = true
		}
		c.block(m, p)
	}
	return c.errs
}

func (c *checker) block(m map[string]any, p string) {
	typ, _ := m["type"].(string)
	switch typ {
	case "section":
		c.section(m, p)
	case "header":
		c.text(m, "text", p, maxHeaderText, true, true)
	case "context":
		c.context(m, p)
	case "actions":
		els := c.list(m, "elements", p, 1, maxActionsElements)
		c.elements(els, p+"/elements", inActions)
	case "input":
		c.text(m, "label", p, maxInputLabel, true, true)
		c.text(m, "hint", p, maxInputLabel, true, false)
		c.oneElement(m, "element", p, inInput, true)
	case "divider":
	case "image":
		c.str(m, "alt_text", p, maxAltText, true)
		c.text(m, "title", p, maxAltText, true, false)
	case "markdown":
		c.str(m, "text", p, maxMarkdownBlock, true)
	case "rich_text":
		c.list(m, "elements", p, 1, 1<<30)
	case "file", "video", "table":
		// accepted as is: NFMM does not post them
	default:
		c.add(p+"/type", "unsupported block type %q", typ)
	}
}

func (c *checker) section(m map[string]any, p string) {
	_, hasText := m["text"]
	_, hasFields := m["fields"]
	if !hasText && !hasFields {
		c.add(p+"/text", "missing required field: text")
	}
	c.text(m, "text", p, maxSectionText, false, false)
	for i, f := range c.list(m, "fields", p, 0, maxSectionFields) {
		c.textObj(f, idx(p+"/fields", i), maxFieldText, false)
	}
	c.oneElement(m, "accessory", p, inAccessory, false)
}
