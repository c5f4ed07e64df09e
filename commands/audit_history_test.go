package commands

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeAudit is a stored audit history: it answers like the store (newest first, Meeting a
// case-insensitive part, Actor exact) and records the queries.
type fakeAudit struct {
	events  []AuditEntry // newest first
	err     error
	queries []AuditQuery
}

func (f *fakeAudit) AuditEvents(_ context.Context, q AuditQuery) ([]AuditEntry, error) {
	f.queries = append(f.queries, q)
	if f.err != nil {
		return nil, f.err
	}
	var out []AuditEntry
	for _, e := range f.events {
		switch {
		case q.Meeting != "" && !strings.Contains(strings.ToLower(e.Meeting), strings.ToLower(q.Meeting)),
			q.Actor != "" && e.Actor != q.Actor,
			!q.Since.IsZero() && e.Time.Before(q.Since),
			!q.Until.IsZero() && !e.Time.Before(q.Until):
			continue
		}
		if len(out) == q.Limit {
			break
		}
		out = append(out, e)
	}
	return out, nil
}

func sampleAuditEvents() []AuditEntry {
	return []AuditEntry{
		{Time: asOf.Add(-time.Minute), Actor: "U0OPS1", Channel: "C0OPS", Op: "mute", Media: "audio", Meeting: "Board review",
			Participant: "Bob\tTab", Nodes: []string{"cb2"}, Outcome: OutcomeOK, LegID: "b1b2c3d4-0000-4000-8000-000000000002",
			Changes: []Change{{Subject: "Bob", Field: "audio", Before: "unmuted", After: "muted"}}},
		{Time: asOf.Add(-10 * time.Minute), Actor: "U0VIEW1", Channel: "C0OPS", Op: "disconnect", Meeting: "Board review",
			Participant: "alice", Outcome: OutcomeDenied, Error: "Only NFMM operators may change calls."},
		{Time: asOf.Add(-26 * time.Hour), Actor: "local", Op: "presenter", Presenter: "off", Meeting: "Standup",
			Nodes: []string{"cb1", "cb2"}, Outcome: OutcomeOK,
			Changes: []Change{{Subject: "Carol", Field: "layout", Before: "speakerOnly", After: "(default)"}}},
	}
}

func auditService(h AuditHistory) *Service {
	return New(Config{Cluster: &fakeCluster{}, Policy: Policy{Operators: []string{"U0OPS1"}, Viewers: []string{"U0VIEW1"}},
		AuditHistory: h, Now: func() time.Time { return asOf }})
}

func TestAuditCommand(t *testing.T) {
	op := Actor{UserID: "U0OPS1", ChannelID: "C0OPS"}
	tests := []struct {
		text       string
		search     string
		actor      string
		ops        []string // the events' ops, newest first
		queryCount int
	}{
		{"audit", "all", "", []string{"mute", "disconnect", "presenter"}, 1},
		{"audit today", "today", "", []string{"mute", "disconnect"}, 1},
		{"audit TODAY", "today", "", []string{"mute", "disconnect"}, 1},
		{"audit board", "meeting", "", []string{"mute", "disconnect"}, 1},
		{`audit "board review"`, "meeting", "", []string{"mute", "disconnect"}, 1},
		{"audit standup", "meeting", "", []string{"presenter"}, 1},
		{"audit <@U0VIEW1>", "user", "U0VIEW1", []string{"disconnect"}, 1},
		{"audit <@U0OPS1|olivia>", "user", "U0OPS1", []string{"mute"}, 1},
		{"audit U0OPS1", "user", "U0OPS1", []string{"mute"}, 1},
		{"audit wallboard", "meeting", "", nil, 2},
		{"audit local", "user", "local", []string{"presenter"}, 1},
		{"audit nothing-like-this", "meeting", "", nil, 2}, // no meeting: then an actor as stored
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			h := &fakeAudit{events: sampleAuditEvents()}
			r, err := auditService(h).Run(context.Background(), op, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			ar := r.(*AuditResult)
			var ops []string
			for _, e := range ar.Events {
				ops = append(ops, e.Op)
			}
			if ar.Search != tt.search || ar.Actor != tt.actor || strings.Join(ops, ",") != strings.Join(tt.ops, ",") {
				t.Errorf("got search %q actor %q ops %v, want %q %q %v", ar.Search, ar.Actor, ops, tt.search, tt.actor, tt.ops)
			}
			if len(h.queries) != tt.queryCount {
				t.Errorf("%d queries, want %d: %+v", len(h.queries), tt.queryCount, h.queries)
			}
		})
	}
}

func TestAuditCommandRefusesAndFails(t *testing.T) {
	ctx := context.Background()
	op := Actor{UserID: "U0OPS1", ChannelID: "C0OPS"}
	h := &fakeAudit{events: sampleAuditEvents()}
	svc := auditService(h)
	var de *DeniedError
	if _, err := svc.Run(ctx, Actor{UserID: "U0VIEW1", ChannelID: "C0OPS"}, "audit"); !errors.As(err, &de) {
		t.Errorf("a viewer read the audit history: %v", err)
	}
	if len(h.queries) != 0 {
		t.Error("a refused audit read the store")
	}
	for _, text := range []string{"audit <@bogus>", "audit <@U1", "audit board\x07", "audit @olivia"} {
		var ue *UsageError
		if _, err := svc.Run(ctx, op, text); !errors.As(err, &ue) || ue.Usage != "audit [<meeting>|<user>|today]" {
			t.Errorf("%q: %v, want the audit usage", text, err)
		}
	}
	// A button-built command is checked the same way.
	if _, err := svc.Execute(ctx, op, Command{Op: OpAudit, Filter: "<@nope>"}); err == nil {
		t.Error("a forged audit button was accepted")
	}
	h.err = errors.New("dial tcp 127.0.0.1:5432: connection refused")
	_, err := svc.Run(ctx, op, "audit")
	if msg := UserMessage(err); !strings.Contains(msg, "database did not answer") || strings.Contains(msg, "5432") {
		t.Errorf("store down: %q", msg)
	}
	_, err = auditService(nil).Run(ctx, op, "audit")
	if msg := UserMessage(err); !strings.Contains(msg, "audit history is off") {
		t.Errorf("no store: %q", msg)
	}
}

// TestAuditCommandBounded: one answer holds at most maxAuditEvents, and says there are more.
func TestAuditCommandBounded(t *testing.T) {
	h := &fakeAudit{}
	for i := range maxAuditEvents + 5 {
		h.events = append(h.events, AuditEntry{Time: asOf.Add(-time.Duration(i) * time.Second), Actor: "U0OPS1", Op: "mute", Outcome: OutcomeOK})
	}
	r, err := auditService(h).Run(context.Background(), Actor{UserID: "U0OPS1", ChannelID: "C0OPS"}, "audit")
	if err != nil {
		t.Fatal(err)
	}
	if ar := r.(*AuditResult); len(ar.Events) != maxAuditEvents || !ar.More {
		t.Errorf("%d events, more %v", len(ar.Events), ar.More)
	}
}

func sampleAudit() *AuditResult {
	return &AuditResult{Query: "board", Search: "meeting", Events: sampleAuditEvents()[:2], AsOf: asOf}
}

// TestAuditJSON pins `nfmm exec --json audit` and checks it against its schema.
func TestAuditJSON(t *testing.T) {
	schemas := execSchemas(t)
	for name, r := range map[string]*AuditResult{
		"audit":       {Query: "", Search: "all", Events: sampleAuditEvents(), AsOf: asOf},
		"audit_empty": {Query: "<@U0NONE1>", Search: "user", Actor: "U0NONE1", AsOf: asOf, More: false},
	} {
		b, err := MarshalResult(r)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name+".json", append(b, '\n'))
		validateDoc(t, schemas, name, b)
	}
}

// TestAuditText: a row per event with each change under it, in the terminal's zone.
func TestAuditText(t *testing.T) {
	var buf bytes.Buffer
	if err := FormatText(&buf, sampleAudit()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"TIME", "ACTOR", "OUTCOME",
		asOf.Add(-time.Minute).Local().Format("2006-01-02 15:04:05"), "U0OPS1", "mute (audio)", "Board review", "Bob Tab", "cb2", "ok",
		"Bob", "audio: unmuted → muted",
		"U0VIEW1", "disconnect", "denied: Only NFMM operators may change calls.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\t") {
		t.Errorf("a tab from CMS reached the terminal: %q", out)
	}
	buf.Reset()
	_ = FormatText(&buf, &AuditResult{Search: "today", AsOf: asOf})
	if got := buf.String(); got != "No audit events today.\n" {
		t.Errorf("empty: %q", got)
	}
}
