package slackfake

// place is where an element sits; each accepts different element types
// (docs.slack.dev/reference/block-kit/blocks).
type place int

const (
	inActions place = iota
	inAccessory
	inInput
)

func isSelect(typ string) bool {
	switch typ {
	case "static_select", "external_select", "users_select", "conversations_select", "channels_select",
		"multi_static_select", "multi_external_select", "multi_users_select", "multi_conversations_select",
		"multi_channels_select":
		return true
	}
	return false
}

func allowedIn(pl place, typ string) bool {
	if isSelect(typ) {
		return true
	}
	switch typ {
	case "datepicker", "timepicker", "checkboxes", "radio_buttons":
		return true
	case "button", "overflow":
		return pl != inInput
	case "image":
		return pl == inAccessory
	case "datetimepicker", "rich_text_input":
		return pl != inAccessory
	case "plain_text_input", "number_input", "email_text_input", "url_text_input", "file_input":
		return pl == inInput
	}
	return false
}

func (c *checker) context(m map[string]any, p string) {
	for i, e := range c.list(m, "elements", p, 1, maxContextElements) {
		ep := idx(p+"/elements", i)
		em, ok := e.(map[string]any)
		if !ok {
			c.add(ep, "must be an object")
			continue
		}
		switch typ, _ := em["type"].(string); typ {
		case "image":
			c.str(em, "alt_text", ep, maxAltText, true)
		case "plain_text", "mrkdwn":
			c.textObj(em, ep, maxSectionText, false)
		default:
			c.add(ep+"/type", "must be a valid enum value")
		}
	}
}

// elements checks the elements of an actions block; action_ids must be unique within it.
func (c *checker) elements(els []any, p string, pl place) {
	ids := map[string]bool{}
	for i, e := range els {
		ep := idx(p, i)
		em, ok := e.(map[string]any)
		if !ok {
			c.add(ep, "must be an object")
			continue
		}
		if id, _ := em["action_id"].(string); id != "" {
			if ids[id] {
				c.add(ep+"/action_id", "duplicate action_id")
			}
			ids[id] = true
		}
		c.element(em, ep, pl)
	}
}

// oneElement checks the single element at m[key] (section accessory, input element).
func (c *checker) oneElement(m map[string]any, key, p string, pl place, required bool) {
	v, present := m[key]
	if !present || v == nil {
		if required {
			c.add(p+"/"+key, "missing required field: %s", key)
		}
		return
	}
	em, ok := v.(map[string]any)
	if !ok {
		c.add(p+"/"+key, "must be an object")
		return
	}
	c.element(em, p+"/"+key, pl)
}

func (c *checker) element(em map[string]any, p string, pl place) {
	typ, _ := em["type"].(string)
	if !allowedIn(pl, typ) {
		c.add(p+"/type", "must be a valid enum value")
		return
	}
	if typ == "image" {
		c.str(em, "alt_text", p, maxAltText, true)
		return
	}
	c.str(em, "action_id", p, maxActionID, false)
	c.text(em, "placeholder", p, maxPlaceholder, true, false)
	c.confirm(em, p)
	switch typ {
	case "button":
		c.text(em, "text", p, maxButtonText, true, true)
		c.str(em, "value", p, maxButtonValue, false)
		c.str(em, "url", p, maxButtonURL, false)
		if st, ok := em["style"]; ok && st != "primary" && st != "danger" {
			c.add(p+"/style", "must be a valid enum value")
		}
	case "static_select", "multi_static_select":
		c.selectOptions(em, p)
	case "overflow":
		c.options(c.list(em, "options", p, minOverflowOptions, maxOverflowOptions), p+"/options", true)
	case "checkboxes", "radio_buttons":
		c.options(c.list(em, "options", p, 1, maxChoiceOptions), p+"/options", false)
	case "plain_text_input":
		for _, k := range []string{"max_length", "min_length"} {
			if n, ok := em[k].(float64); ok && (n > maxInputMaxLength || n < 0) {
				c.add(p+"/"+k, "must be no more than %d", maxInputMaxLength)
			}
		}
	}
}

// selectOptions: options or option_groups (exactly one), each at most 100.
func (c *checker) selectOptions(em map[string]any, p string) {
	_, hasOpts := em["options"]
	_, hasGroups := em["option_groups"]
	switch {
	case hasOpts && hasGroups:
		c.add(p+"/option_groups", "must provide either options or option_groups, not both")
	case hasGroups:
		for i, g := range c.list(em, "option_groups", p, 1, maxSelectOptions) {
			gp := idx(p+"/option_groups", i)
			gm, ok := g.(map[string]any)
			if !ok {
				c.add(gp, "must be an object")
				continue
			}
			c.text(gm, "label", gp, maxOptionText, true, true)
			c.options(c.list(gm, "options", gp, 1, maxSelectOptions), gp+"/options", true)
		}
	default:
		c.options(c.list(em, "options", p, 1, maxSelectOptions), p+"/options", true)
	}
}

// options checks option objects; selects and overflow menus want plain_text option text.
func (c *checker) options(opts []any, p string, plainOnly bool) {
	for i, o := range opts {
		op := idx(p, i)
		om, ok := o.(map[string]any)
		if !ok {
			c.add(op, "must be an object")
			continue
		}
		c.text(om, "text", op, maxOptionText, plainOnly, true)
		c.str(om, "value", op, maxOptionValue, true)
		c.text(om, "description", op, maxOptionText, true, false)
	}
}

func (c *checker) confirm(em map[string]any, p string) {
	v, ok := em["confirm"]
	if !ok || v == nil {
		return
	}
	cp := p + "/confirm"
	cm, ok := v.(map[string]any)
	if !ok {
		c.add(cp, "must be an object")
		return
	}
	c.text(cm, "title", cp, maxConfirmTitle, true, true)
	c.text(cm, "text", cp, maxConfirmText, false, true)
	c.text(cm, "confirm", cp, maxConfirmButton, true, true)
	c.text(cm, "deny", cp, maxConfirmButton, true, true)
	if st, ok := cm["style"]; ok && st != "primary" && st != "danger" {
		c.add(cp+"/style", "must be a valid enum value")
	}
}

// validateView checks a view object; ptr is where it sits in the request (/view).
func validateView(v map[string]any, ptr string) []string {
	c := &checker{}
	typ, _ := v["type"].(string)
	switch typ {
	case "modal":
		c.text(v, "title", ptr, maxModalTitle, true, true)
		c.text(v, "close", ptr, maxModalTitle, true, false)
		c.text(v, "submit", ptr, maxModalTitle, true, false)
	case "home":
	default:
		c.add(ptr+"/type", "must be a valid enum value")
	}
	c.str(v, "private_metadata", ptr, maxPrivateMetadata, false)
	c.str(v, "callback_id", ptr, maxCallbackID, false)
	c.str(v, "external_id", ptr, maxCallbackID, false)
	blocks := c.list(v, "blocks", ptr, 0, 1<<30)
	if _, ok := v["blocks"]; !ok {
		c.add(ptr+"/blocks", "missing required field: blocks")
	}
	if typ == "modal" && hasInput(blocks) && v["submit"] == nil {
		c.add(ptr+"/submit", "missing required field: submit (the view has input blocks)")
	}
	c.errs = append(c.errs, validateBlockList(blocks, ptr+"/blocks", maxModalBlocks)...)
	return c.errs
}

func hasInput(blocks []any) bool {
	for _, b := range blocks {
		if m, ok := b.(map[string]any); ok && m["type"] == "input" {
			return true
		}
	}
	return false
}
