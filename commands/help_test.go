package commands

import (
	"context"
	"slices"
	"testing"

	"github.com/nfmm/nfmm/cms/cdr"
)

// Help's examples are commands that parse, each shown only to someone who may run it; every
// row of the operation table falls in one of the help groups.
func TestHelpExamplesAndGroups(t *testing.T) {
	for _, e := range helpExamples() {
		if _, err := Parse(e.Text); err != nil {
			t.Errorf("example %q does not parse: %v", e.Text, err)
		}
	}
	groups := map[string]bool{}
	for _, g := range HelpGroups() {
		groups[g.ID] = true
	}
	for _, o := range operations() {
		if !groups[groupOf(o)] {
			t.Errorf("%s is in no help group", o.op)
		}
	}
	for op, want := range map[Op]string{OpCalls: GroupLook, OpMute: GroupParticipants, OpDisconnect: GroupParticipants,
		OpAdd: GroupMeetings, OpLock: GroupMeetings, OpHelp: GroupHelp, OpSchedule: GroupLook} {
		if o, _ := operationOf(op); groupOf(o) != want {
			t.Errorf("%s is in group %q, want %q", op, groupOf(o), want)
		}
	}

	policy := Policy{Operators: []string{"UOP"}}
	texts := func(a Actor) []string {
		r, err := New(Config{Cluster: newFake(t, "cb1"), Policy: policy}).Run(context.Background(), a, "help")
		if err != nil {
			t.Fatal(err)
		}
		h := r.(*HelpResult)
		var out []string
		for _, e := range h.Examples {
			out = append(out, e.Text)
		}
		for _, e := range h.Entries {
			if e.Group == "" {
				t.Errorf("help entry %s has no group", e.Name)
			}
		}
		return out
	}
	viewer, op, local := texts(Actor{UserID: "UV"}), texts(Actor{UserID: "UOP"}), texts(Actor{UserID: "local", Local: true})
	if slices.Contains(viewer, "mute dmitri") || !slices.Contains(viewer, "calls") || !slices.Contains(viewer, "calls public") {
		t.Errorf("viewer's examples = %v, want the looks and public, no changes", viewer)
	}
	if !slices.Contains(op, "mute dmitri") || !slices.Contains(op, "calls public") {
		t.Errorf("operator's examples = %v", op)
	}
	if slices.Contains(local, "calls public") || !slices.Contains(local, "mute dmitri") {
		t.Errorf("the terminal's examples = %v, want no public (no channel there)", local)
	}
}

// `help history` shows its usage where NFMM keeps history; where it does not, the note says
// history is off, for everyone who may look: not a word about operators, which would send the
// terminal (a local operator) or a Slack operator to an admin for nothing.
func TestHelpHistoryWhereHistoryIsOff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		operators []string
		actor     Actor
		history   bool
		entry     bool
		note      string
	}{
		{"terminal, history on", nil, Actor{UserID: "local", Local: true}, true, true, ""},
		{"terminal, history off", nil, Actor{UserID: "local", Local: true}, false, false, historyOff},
		{"terminal with operators, history off", []string{"UOP"}, Actor{UserID: "local", Local: true}, false, false, historyOff},
		{"operator, history on", []string{"UOP"}, Actor{UserID: "UOP"}, true, true, ""},
		{"operator, history off", []string{"UOP"}, Actor{UserID: "UOP"}, false, false, historyOff},
		{"viewer, history off", []string{"UOP"}, Actor{UserID: "UV"}, false, false, historyOff},
		{"viewer, no operators, history on", nil, Actor{UserID: "UV"}, true, true, "Nobody may change calls yet: ask an NFMM admin to name NFMM's operators."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{Cluster: newFake(t, "cb1"), Policy: Policy{Operators: tc.operators}}
			if tc.history {
				c.History = cdr.NewMemory()
			}
			r, err := New(c).Run(context.Background(), tc.actor, "help history")
			if err != nil {
				t.Fatal(err)
			}
			h := r.(*HelpResult)
			if got := len(h.Entries) == 1 && h.Entries[0].Name == string(OpHistory); got != tc.entry || len(h.Entries) > 1 {
				t.Errorf("entries %+v, want history's: %v", h.Entries, tc.entry)
			}
			if h.Note != tc.note {
				t.Errorf("note %q, want %q", h.Note, tc.note)
			}
		})
	}
}
