package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRoleOf(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		actor  Actor
		want   Role
	}{
		{"terminal", Policy{}, Actor{UserID: "local", Local: true}, RoleOperator},
		{"default viewer", Policy{}, Actor{UserID: "U1", ChannelID: "C1"}, RoleViewer},
		{"operator by id", Policy{Operators: []string{"U1"}}, Actor{UserID: "U1"}, RoleOperator},
		{"operator by group", Policy{Operators: []string{"S9"}}, Actor{UserID: "U1", Groups: []string{"S9"}}, RoleOperator},
		{"operator star", Policy{Operators: []string{"*"}}, Actor{UserID: "U7"}, RoleOperator},
		{"not operator", Policy{Operators: []string{"U2"}}, Actor{UserID: "U1"}, RoleViewer},
		{"viewer listed", Policy{Viewers: []string{"U1"}}, Actor{UserID: "U1"}, RoleViewer},
		{"viewer not listed", Policy{Viewers: []string{"U2"}}, Actor{UserID: "U1"}, RoleNone},
		{"operator not in viewers", Policy{Viewers: []string{"U2"}, Operators: []string{"U1"}}, Actor{UserID: "U1"}, RoleOperator},
		{"channel allowed", Policy{Channels: []string{"C1"}, Operators: []string{"U1"}}, Actor{UserID: "U1", ChannelID: "C1"}, RoleOperator},
		{"channel refused", Policy{Channels: []string{"C1"}, Operators: []string{"U1"}}, Actor{UserID: "U1", ChannelID: "C2"}, RoleNone},
		{"empty group id never matches", Policy{Operators: []string{""}}, Actor{UserID: ""}, RoleViewer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.RoleOf(tt.actor); got != tt.want {
				t.Errorf("RoleOf = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAllowedMessages(t *testing.T) {
	tests := []struct {
		name    string
		policy  Policy
		actor   Actor
		op      Op
		contain string // "" = allowed
	}{
		{"viewer reads", Policy{}, Actor{UserID: "U1"}, OpCalls, ""},
		{"report for viewers", Policy{}, Actor{UserID: "U1"}, OpReport, ""},
		{"no operators configured", Policy{}, Actor{UserID: "U1"}, OpMute, "set NFMM_OPERATORS=U123"},
		{"not an operator", Policy{Operators: []string{"U2"}}, Actor{UserID: "U1"}, OpDisconnect, "add your Slack user id (U1) to NFMM_OPERATORS"},
		{"wrong channel", Policy{Channels: []string{"C1"}}, Actor{UserID: "U1", ChannelID: "C9"}, OpCalls, "NFMM_CHANNELS"},
		{"not a viewer", Policy{Viewers: []string{"U2"}}, Actor{UserID: "U1"}, OpCalls, "NFMM_VIEWERS"},
		{"help always", Policy{Viewers: []string{"U2"}}, Actor{UserID: "U1"}, OpHelp, ""},
		{"operator acts", Policy{Operators: []string{"U1"}}, Actor{UserID: "U1"}, OpPresenter, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Allowed(tt.actor, tt.op)
			if tt.contain == "" {
				if err != nil {
					t.Fatalf("Allowed = %v, want nil", err)
				}
				return
			}
			var de *DeniedError
			if !errors.As(err, &de) || de.Op != tt.op {
				t.Fatalf("Allowed = %v, want *DeniedError for %s", err, tt.op)
			}
			if !strings.Contains(UserMessage(err), tt.contain) {
				t.Errorf("message %q does not contain %q", UserMessage(err), tt.contain)
			}
		})
	}
}

func TestHelpListsOnlyAllowed(t *testing.T) {
	s := New(Config{Cluster: newFake(t, "cb1"), Policy: Policy{Operators: []string{"U1"}}})
	names := func(a Actor) string {
		r, err := s.Run(context.Background(), a, "help")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range r.(*HelpResult).Entries {
			out = append(out, e.Name)
		}
		return strings.Join(out, ",")
	}
	if got, want := names(Actor{UserID: "U2"}), "help,calls,call,participant,status,report,schedule"; got != want {
		t.Errorf("viewer help = %s, want %s", got, want)
	}
	if got := names(Actor{UserID: "U1"}); !strings.Contains(got, "presenter") || !strings.Contains(got, "disconnect") {
		t.Errorf("operator help = %s, want every command", got)
	}
	r, _ := New(Config{Cluster: newFake(t, "cb1")}).Run(context.Background(), Actor{UserID: "U2"}, "help")
	if note := r.(*HelpResult).Note; !strings.Contains(note, "NFMM_OPERATORS=") {
		t.Errorf("help note without operators = %q, want how to configure them", note)
	}
	r, _ = New(Config{Cluster: newFake(t, "cb1")}).Run(context.Background(), Actor{UserID: "local", Local: true}, "help")
	if note := r.(*HelpResult).Note; note != "" {
		t.Errorf("help note for the terminal (a local operator) = %q, want none", note)
	}
}

// auditRecords decodes the JSON lines of an audit buffer.
func auditRecords(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRefusalIsAuditedAndSendsNothing(t *testing.T) {
	for _, text := range []string{"mute abcd1234", "disconnect abcd1234", "presenter board alice", "add board sip:a@example.com", "layout abcd1234 stacked", "unmute abcd1234 both"} {
		t.Run(text, func(t *testing.T) {
			var buf bytes.Buffer
			f := newFake(t, "cb1")
			s := New(Config{Cluster: f, Policy: Policy{Operators: []string{"U9"}}, Audit: NewAuditLog(slog.NewJSONHandler(&buf, nil))})
			_, err := s.Run(context.Background(), Actor{UserID: "U1", ChannelID: "C1"}, text)
			var de *DeniedError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want *DeniedError", err)
			}
			if f.total() != 0 {
				t.Errorf("refused command sent requests: %v", f.calls)
			}
			recs := auditRecords(t, &buf)
			if len(recs) != 1 {
				t.Fatalf("got %d audit records, want 1", len(recs))
			}
			r := recs[0]
			op := strings.Fields(text)[0]
			for k, want := range map[string]string{"actor": "U1", "channel": "C1", "op": op, "outcome": OutcomeDenied} {
				if r[k] != want {
					t.Errorf("audit %s = %v, want %q", k, r[k], want)
				}
			}
			for _, k := range []string{"time", "meeting", "participant", "nodes", "error"} {
				if _, ok := r[k]; !ok {
					t.Errorf("audit record lacks %q: %v", k, r)
				}
			}
			if !strings.Contains(r["error"].(string), "NFMM_OPERATORS") {
				t.Errorf("audit error = %v", r["error"])
			}
		})
	}
}

func TestReadsAreNotAudited(t *testing.T) {
	var buf bytes.Buffer
	s := New(Config{Cluster: newFake(t, "cb1"), Audit: NewAuditLog(slog.NewJSONHandler(&buf, nil))})
	for _, text := range []string{"calls", "status", "help", "report"} {
		if _, err := s.Run(context.Background(), Actor{UserID: "U1"}, text); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("reads wrote audit records: %s", buf.String())
	}
}
