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
		{"no operators configured", Policy{}, Actor{UserID: "U1"}, OpMute, "Nobody may change calls yet: ask an NFMM admin to name NFMM's operators."},
		{"not an operator", Policy{Operators: []string{"U2"}}, Actor{UserID: "U1"}, OpDisconnect, "Only NFMM operators may change calls: ask an NFMM admin to make you one (your Slack user id is U1)."},
		{"wrong channel", Policy{Channels: []string{"C1"}}, Actor{UserID: "U1", ChannelID: "C9"}, OpCalls, "NFMM does not answer in this channel: use a channel it serves, or ask an NFMM admin to add this one."},
		{"not a viewer", Policy{Viewers: []string{"U2"}}, Actor{UserID: "U1"}, OpCalls, "You may not use NFMM: ask an NFMM admin for access (your Slack user id is U1)."},
		// Refusals name who to ask (NFMM_ADMIN_CONTACT), never a variable the user cannot set.
		{"contact: no operators", Policy{AdminContact: "@cms-admins"}, Actor{UserID: "U1"}, OpMute, "ask @cms-admins to name NFMM's operators"},
		{"contact: not an operator", Policy{Operators: []string{"U2"}, AdminContact: "@cms-admins"}, Actor{UserID: "U1"}, OpDisconnect, "ask @cms-admins to make you one"},
		{"contact: wrong channel", Policy{Channels: []string{"C1"}, AdminContact: "@cms-admins"}, Actor{UserID: "U1", ChannelID: "C9"}, OpCalls, "ask @cms-admins to add this one"},
		{"contact: not a viewer", Policy{Viewers: []string{"U2"}, AdminContact: "@cms-admins"}, Actor{UserID: "U1"}, OpCalls, "ask @cms-admins for access"},
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
			if strings.Contains(UserMessage(err), "NFMM_") {
				t.Errorf("message %q names a variable instead of who to ask", UserMessage(err))
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
	if got, want := names(Actor{UserID: "U2"}), "help,calls,call,watch,follow,participant,status,report,schedule,alerts,find"; got != want {
		t.Errorf("viewer help = %s, want %s", got, want)
	}
	if got := names(Actor{UserID: "U1"}); !strings.Contains(got, "presenter") || !strings.Contains(got, "disconnect") {
		t.Errorf("operator help = %s, want every command", got)
	}
	r, _ := New(Config{Cluster: newFake(t, "cb1")}).Run(context.Background(), Actor{UserID: "U2"}, "help")
	if note := r.(*HelpResult).Note; !strings.Contains(note, "ask an NFMM admin to name NFMM's operators") || strings.Contains(note, "NFMM_") {
		t.Errorf("help note without operators = %q, want who to ask, not a variable", note)
	}
	viewer := Config{Cluster: newFake(t, "cb1"), Policy: Policy{Operators: []string{"U1"}, AdminContact: "@cms-admins"}}
	r, _ = New(viewer).Run(context.Background(), Actor{UserID: "U2"}, "help")
	if note := r.(*HelpResult).Note; note != "You may look; to change calls, ask @cms-admins." {
		t.Errorf("viewer's help note = %q, want who to ask", note)
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
			if !strings.Contains(r["error"].(string), "Only NFMM operators may change calls") {
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
