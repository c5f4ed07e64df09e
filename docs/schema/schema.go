// Package schema holds the JSON Schemas of `nfmm exec --json` (one per document kind, shared
// parts in defs.schema.json) and validates documents against them. The tests of commands and
// e2e validate real output with it, so the published schemas cannot drift from the code.
package schema

import (
	"bytes"
	"embed"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed *.schema.json
var files embed.FS

// Set is the compiled schemas, keyed by document kind ("error" included, "defs" not).
type Set map[string]*jsonschema.Schema

// Load compiles every schema. Their $ids are names, never fetched: each is registered from its
// embedded file.
func Load() (Set, error) {
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	ids := map[string]string{}
	for _, f := range entries {
		b, err := files.ReadFile(f.Name())
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		obj, _ := doc.(map[string]any)
		id, _ := obj["$id"].(string)
		if !strings.HasSuffix(id, "/"+f.Name()) {
			return nil, fmt.Errorf("%s: $id %q must end in the file name", f.Name(), id)
		}
		if err := c.AddResource(id, doc); err != nil {
			return nil, err
		}
		ids[strings.TrimSuffix(f.Name(), ".schema.json")] = id
	}
	set := Set{}
	for kind, id := range ids {
		s, err := c.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", id, err)
		}
		if kind != "defs" {
			set[kind] = s
		}
	}
	return set, nil
}

// Validate checks one document against the schema its "kind" names.
func (s Set) Validate(doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	obj, _ := v.(map[string]any)
	kind, _ := obj["kind"].(string)
	sch, ok := s[kind]
	if !ok {
		return fmt.Errorf("no schema for kind %q", kind)
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s.schema.json: %w", kind, err)
	}
	return nil
}
