package commands

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Every address the Add participant modal was seen letting through (issue 16, friction 1) gets
// its own reason, and the typed `add` refuses it with the same reason: one rule, two places.
func TestURIProblemIsSpecificAndSharedWithAdd(t *testing.T) {
	tests := []struct {
		uri, want string // want: a part of the modal's sentence; "" = dialable
	}{
		{"alice@", "Nothing follows the @"},
		{"sip:", "Nothing follows sip:"},
		{"sips:", "Nothing follows sips:"},
		{"+47abc", "only digits after the +"},
		{"a@b@c", "more than one @"},
		{"@example.com", "Nothing comes before the @"},
		{"http://x", `"http:" is not a scheme NFMM can dial`},
		{"sip:alice @example.com", "spaces"},
		{"alice\t@example.com", "control characters"},
		{"", "Whom should NFMM dial?"},
		{"tel:", "Nothing follows tel:"},
		{"tel:abc", "A tel: number holds only digits"},
		{"+0123", "never +0"},
		{"+1234567890123456", "2 to 15 digits"},
		{"alice@exa$mple.com", "The domain"},
		{"al<i>ce@example.com", "The user part"},
		{"bob@example.com&rxAudioMute=true", "The domain"},
		{"alice", "Use sip:alice@example.com"},
		{strings.Repeat("1", 33), "at most 32 digits"},
		{"sip:" + strings.Repeat("a", 250) + "@example.com", "too long"},
		{"\xffalice@example.com", "valid UTF-8"},
		{"sip:alice@example.com", ""},
		{"sips:alice@example.com:5061;transport=tls", ""},
		{"alice@example.com", ""},
		{"+4722334455", ""},
		{"tel:+47-22-33-44-55", ""},
		{"4455", ""},
		{"10.0.0.1", ""},
		{"2001:db8::1", ""},
		{"sip:conf.example.com", ""},
	}
	s := New(Config{Cluster: newFake(t, "cb1")})
	local := Actor{UserID: "local", Local: true}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			got := URIProblem(tt.uri)
			if tt.want == "" {
				if got != "" {
					t.Fatalf("URIProblem(%q) = %q, want dialable", tt.uri, got)
				}
				if err := checkURI(tt.uri); err != nil {
					t.Fatalf("checkURI(%q) = %v, want nil", tt.uri, err)
				}
				return
			}
			if !strings.Contains(got, tt.want) {
				t.Fatalf("URIProblem(%q) = %q, want it to contain %q", tt.uri, got, tt.want)
			}
			if strings.Contains(got, "(usage:") || len(got) > 150 {
				t.Errorf("URIProblem(%q) = %q: not one short sentence for beside the input", tt.uri, got)
			}
			// The typed command: the same reason (quoting the address), no CMS request.
			_, err := s.Execute(context.Background(), local, Command{Op: OpAdd, Meeting: "board", URI: tt.uri})
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("add %q: %v, want a usage error", tt.uri, err)
			}
			if !strings.Contains(strings.ToLower(ue.Msg), strings.ToLower(tt.want)) {
				t.Errorf("add %q says %q; the modal says %q", tt.uri, ue.Msg, got)
			}
		})
	}
}
