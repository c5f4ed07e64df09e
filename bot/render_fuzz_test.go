package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/nfmm/nfmm/commands"
)

// namedResults puts one untrusted string (a name from CMS) in every text field of every result
// kind, the way evilResults does with its fixed string.
func namedResults(name string) []commands.Result {
	calls := callsResult(3)
	calls.Filter = name
	calls.Unreachable = []commands.NodeFailure{{Node: name, Reason: name}}
	for i := range calls.Meetings {
		calls.Meetings[i].Name = name
	}
	roster := rosterResult(23)
	roster.Meeting.Name = name
	roster.Unreachable = calls.Unreachable
	for i := range roster.Participants {
		p := &roster.Participants[i]
		p.Name, p.Address, p.Layout = name, name, name
		if i%3 == 0 {
			p.Node = name
		}
	}
	part := participantResult()
	part.Participant = roster.Participants[1]
	part.Meeting = roster.Meeting
	part.CipherSuite, part.ChosenLayout, part.Alarms = name, name, []string{name}
	act := actionResult(12)
	act.Summary, act.Participant, act.Meeting = name, name, roster.Meeting
	for i := range act.Changes {
		act.Changes[i] = commands.Change{Subject: name, Field: name, Before: name, After: name}
	}
	act.Failed = []commands.LegFailure{{Name: name, Node: name, Reason: name}}
	act.Gone = act.Failed
	status := statusResult()
	status.Nodes[0].Node, status.Nodes[0].Version, status.Nodes[1].Error = name, name, name
	report := reportResult()
	report.Largest = calls.Meetings
	return []commands.Result{calls, roster, part, act, status, report}
}

// FuzzRenderNames: whatever names CMS reports, every rendered message and modal stays within
// Slack's limits, is accepted by the fake Slack's Block Kit validator, and shows the names as
// literal text (no mention, link or formatting survives).
func FuzzRenderNames(f *testing.F) {
	for _, s := range []string{
		"Alice", "", " ", "<!channel>", "<@U0123ABC>", "<#C123|general>", "<!subteam^S123>",
		"*bold* _it_ ~st~ `code` ```pre```", "&lt;!here&gt;", "<https://evil.example|click>",
		"\u202eevil\u202c", "مرحبا بالعالم", "👩\u200d💻🏳️\u200d🌈", strings.Repeat("W", 3100),
		strings.Repeat("<!", 400), "a\nb\r\nc\x00d", "\xff\xfe invalid utf-8",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, r := range namedResults(name) {
			for _, o := range []renderOpts{opOpts, viewerOpts, withPage(opOpts, 1)} {
				m := render(r, o)
				if errs := checkLimits(m); len(errs) > 0 {
					t.Fatalf("%T: limits: %v", r, errs)
				}
				assertInert(t, m)
				raw, err := json.Marshal(m.Blocks)
				if err != nil {
					t.Fatalf("%T: blocks do not marshal: %v", r, err)
				}
				if errs := slackfake.ValidateMessage(raw); len(errs) > 0 {
					t.Fatalf("%T: Slack would reject the blocks: %v", r, errs)
				}
			}
		}
		roster := namedResults(name)[1].(*commands.RosterResult)
		for _, v := range []any{presenterModal(roster), addModal(uuid("c", 1), name)} {
			assertInert(t, v)
			raw, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if errs := slackfake.ValidateView(raw); len(errs) > 0 {
				t.Fatalf("Slack would reject the modal: %v", errs)
			}
		}
	})
}
