package commands

import (
	"context"
	"strings"
	"testing"
)

// The operation table is the one place an operation is described: every row is complete, and
// the parser, the policy and help agree with it.
func TestOperationTableIsComplete(t *testing.T) {
	seen := map[Op]bool{}
	for _, o := range operations() {
		if seen[o.op] {
			t.Errorf("%s: two rows", o.op)
		}
		seen[o.op] = true
		if !strings.HasPrefix(o.usage, string(o.op)) || o.summary == "" || o.run == nil {
			t.Errorf("%s: usage %q, summary %q, run set %v", o.op, o.usage, o.summary, o.run != nil)
		}
		if o.changes && (o.sentence == nil || o.validate == nil || needs(o.op) != RoleOperator) {
			t.Errorf("%s changes state but has no sentence or validator, or needs %v", o.op, needs(o.op))
		}
		if !o.changes && o.sentence != nil {
			t.Errorf("%s changes nothing but has a result sentence", o.op)
		}
		if _, err := Parse(string(o.op)); err != nil && !isUsage(err) {
			t.Errorf("Parse(%q) = %v, want a result or a usage error", o.op, err)
		}
	}
	s := New(Config{Cluster: newFake(t, "cb1"), Policy: Policy{Operators: []string{"*"}}})
	help := s.help(Actor{UserID: "local", Local: true}, "")
	for _, e := range help.Entries {
		o, ok := operationOf(Op(e.Name))
		if !ok || e.Usage != o.usage || e.Summary != o.summary || e.Operator != (needs(o.op) == RoleOperator) {
			t.Errorf("help entry %+v does not match its row", e)
		}
	}
	if want := len(operations()) - 1; len(help.Entries) != want { // history needs a CDR store
		t.Errorf("help lists %d operations, want %d", len(help.Entries), want)
	}
}

func isUsage(err error) bool {
	_, ok := err.(*UsageError)
	return ok
}

// Every state-changing operation tells what it did in one sentence, the same for the audit
// event and the bot's note, audio apart from video and presenter on apart from off.
func TestResultSentences(t *testing.T) {
	tests := []struct {
		c        Command
		who      string
		done, do string
	}{
		{Command{Op: OpMute}, "Alice", "muted Alice", "mute Alice"},
		{Command{Op: OpMute, Media: MediaVideo}, "Alice", "stopped the video of Alice", "stop the video of Alice"},
		{Command{Op: OpUnmute, Media: MediaVideo}, "Alice", "restored the video of Alice", "restore the video of Alice"},
		{Command{Op: OpUnmute, Media: MediaAudio}, "Alice", "unmuted Alice", "unmute Alice"},
		{Command{Op: OpPresenter, Participant: "ali"}, "Alice", "made Alice the presenter", "make Alice the presenter"},
		{Command{Op: OpPresenter, Off: true}, "", "turned presenter mode off", "turn presenter mode off"},
		{Command{Op: OpLayout, Layout: "stacked"}, "Alice", "set the layout of Alice to stacked", "set the layout of Alice to stacked"},
		{Command{Op: OpDisconnect}, "", "disconnected a participant", "disconnect a participant"},
		{Command{Op: OpAdd, URI: "sip:bob@example.com"}, "", "added sip:bob@example.com", "add sip:bob@example.com"},
	}
	for _, tt := range tests {
		got := SentenceOf(tt.c, tt.who)
		if got.Done != tt.done || got.Do != tt.do {
			t.Errorf("SentenceOf(%+v, %q) = %+v, want %q / %q", tt.c, tt.who, got, tt.done, tt.do)
		}
	}
	// The audit event carries the same sentence.
	e := newSimEnv(t, 1, Policy{})
	rec := &recordingSink{}
	e.svc.audit = rec
	_, _ = e.svc.Execute(context.Background(), Actor{UserID: "U1"}, Command{Op: OpMute, Media: MediaVideo, Participant: "deadbeef"})
	if len(rec.events) != 1 || rec.events[0].Sentence.Do != "stop the video of deadbeef" {
		t.Errorf("audit events %+v, want one telling \"stop the video of deadbeef\"", rec.events)
	}
}
