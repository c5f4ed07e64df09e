package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
)

// Every operation × role × channel: the policy decides exactly as documented, a refusal sends
// nothing to CMS, every refused state change is audited once, and help lists exactly what the
// actor may run.

var policyOps = []struct {
	op   Op
	text string
}{
	{OpHelp, "help"},
	{OpCalls, "calls"},
	{OpCall, "call board"},
	{OpParticipant, "participant abcd1234"},
	{OpStatus, "status"},
	{OpReport, "report"},
	{OpAdd, "add board sip:a@example.com"},
	{OpPresenter, "presenter board alice"},
	{OpLayout, "layout abcd1234 stacked"},
	{OpMute, "mute abcd1234"},
	{OpUnmute, "unmute abcd1234 video"},
	{OpDisconnect, "disconnect abcd1234"},
}

// policyActors are the roles a Slack user can have under matrixPolicy, in an allowed channel.
var policyActors = []struct {
	name  string
	actor Actor
	role  Role
}{
	{"operator by id", Actor{UserID: "UOP"}, RoleOperator},
	{"operator by group", Actor{UserID: "UGRP", Groups: []string{"SOPS"}}, RoleOperator},
	{"viewer", Actor{UserID: "UVIEW"}, RoleViewer},
	{"stranger", Actor{UserID: "USTRANGE"}, RoleNone},
	{"terminal", Actor{UserID: "local", Local: true}, RoleOperator},
}

var matrixPolicy = Policy{Operators: []string{"UOP", "SOPS"}, Viewers: []string{"UVIEW"}, Channels: []string{"CALLOWED"}}

func TestPolicyMatrix(t *testing.T) {
	for _, a := range policyActors {
		for _, channel := range []string{"CALLOWED", "COTHER"} {
			actor := a.actor
			actor.ChannelID = channel
			role := a.role
			if channel != "CALLOWED" && !actor.Local {
				role = RoleNone // the terminal has no channel
			}
			for _, o := range policyOps {
				t.Run(fmt.Sprintf("%s/%s/%s", a.name, channel, o.op), func(t *testing.T) {
					checkPolicyCell(t, actor, role, o.op, o.text)
				})
			}
		}
	}
}

func checkPolicyCell(t *testing.T, actor Actor, role Role, op Op, text string) {
	t.Helper()
	var audit bytes.Buffer
	f := newFake(t, "cb1")
	s := New(Config{Cluster: f, Policy: matrixPolicy, Audit: NewAuditLog(slog.NewJSONHandler(&audit, nil))})
	if got := s.RoleOf(actor); got != role {
		t.Fatalf("RoleOf = %v, want %v", got, role)
	}
	want := role >= needs(op)
	_, err := s.Run(context.Background(), actor, text)
	var de *DeniedError
	denied := errors.As(err, &de)
	if denied == want {
		t.Fatalf("%q: denied = %v (err %v), want allowed = %v", text, denied, err, want)
	}
	if (s.Allowed(actor, op) == nil) != want {
		t.Errorf("Allowed disagrees with Run for %s", op)
	}
	if !denied {
		return
	}
	if f.total() != 0 {
		t.Errorf("a refused %s sent %d requests to CMS", op, f.total())
	}
	recs := auditRecords(t, &audit)
	wantRecs := 0
	if op.Changes() {
		wantRecs = 1
	}
	if len(recs) != wantRecs {
		t.Fatalf("refused %s wrote %d audit records, want %d", op, len(recs), wantRecs)
	}
	if wantRecs == 1 && (recs[0]["outcome"] != OutcomeDenied || recs[0]["actor"] != actor.UserID || recs[0]["channel"] != actor.ChannelID) {
		t.Errorf("audit record of the refusal = %v", recs[0])
	}
	if UserMessage(err) == "" {
		t.Errorf("a refusal without a message for the user")
	}
}

func TestHelpListsExactlyWhatTheActorMayRun(t *testing.T) {
	s := New(Config{Cluster: newFake(t, "cb1"), Policy: matrixPolicy})
	for _, a := range policyActors {
		for _, channel := range []string{"CALLOWED", "COTHER"} {
			actor := a.actor
			actor.ChannelID = channel
			t.Run(a.name+"/"+channel, func(t *testing.T) {
				r, err := s.Run(context.Background(), actor, "help")
				if err != nil {
					t.Fatal(err)
				}
				var listed []Op
				for _, e := range r.(*HelpResult).Entries {
					listed = append(listed, Op(e.Name))
				}
				for _, o := range policyOps {
					may := s.Allowed(actor, o.op) == nil
					if shown := slices.Contains(listed, o.op); shown != may {
						t.Errorf("help shows %s = %v, but the actor may run it = %v", o.op, shown, may)
					}
				}
			})
		}
	}
}

// A button click carries a Command built from ids; the policy is checked for whoever clicks,
// never taken from the message the button sat in.
func TestButtonCommandsRecheckPolicyForTheClicker(t *testing.T) {
	var audit bytes.Buffer
	f := newFake(t, "cb1")
	s := New(Config{Cluster: f, Policy: matrixPolicy, Audit: NewAuditLog(slog.NewJSONHandler(&audit, nil))})
	leg := "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	clicks := []Command{
		{Op: OpMute, Participant: leg, Node: "cb1", Media: MediaAudio},
		{Op: OpDisconnect, Participant: leg, Node: "cb1"},
		{Op: OpLayout, Participant: leg, Node: "cb1", Layout: "stacked"},
		{Op: OpPresenter, Meeting: "11111111-2222-3333-4444-555555555555", Off: true},
	}
	for _, c := range clicks {
		for _, who := range []Actor{{UserID: "UVIEW", ChannelID: "CALLOWED"}, {UserID: "UOP", ChannelID: "COTHER"}} {
			_, err := s.Execute(context.Background(), who, c)
			var de *DeniedError
			if !errors.As(err, &de) {
				t.Errorf("%s clicked by %s in %s: err = %v, want *DeniedError", c.Op, who.UserID, who.ChannelID, err)
			}
		}
	}
	if f.total() != 0 {
		t.Errorf("refused clicks sent %d requests to CMS", f.total())
	}
	if got := len(auditRecords(t, &audit)); got != 2*len(clicks) {
		t.Errorf("%d audit records for %d refused clicks", got, 2*len(clicks))
	}
}
