package commands

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cmssim"
)

// twoClusters is a Service over two emulated clusters, emea (2 nodes) and amer (3 nodes),
// with a channel bound to each and one operator of amer only.
func twoClusters(t *testing.T, policy Policy) (*Service, *bytes.Buffer) {
	t.Helper()
	build := func(nodes int, seed int64) *cms.Cluster {
		sim, err := cmssim.Start(cmssim.Options{Nodes: nodes, Seed: seed, Scenario: cmssim.ScenarioDemo})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		return newSimEnvOn(t, sim).cluster
	}
	var audit bytes.Buffer
	svc := New(Config{
		Clusters: []NamedCluster{
			{Name: "emea", Cluster: build(2, 7)},
			{Name: "amer", Cluster: build(3, 11), Operators: []string{"U0AMEROP"}},
		},
		ChannelClusters: map[string]string{"C0EMEA": "emea", "C0AMER": "amer"},
		Policy:          policy,
		Audit:           NewAuditLog(slog.NewJSONHandler(&audit, nil)),
	})
	return svc, &audit
}

func TestParseClusterWord(t *testing.T) {
	for _, tt := range []struct{ text, op, cluster, filter string }{
		{"calls @amer", "calls", "amer", ""},
		{"calls board @emea public", "calls", "emea", "board"},
		{"status @ALL", "status", "all", ""},
		{"calls", "calls", "", ""},
		{"mute dmitri @amer", "mute", "amer", ""},
		{"find @fabrikam.example @amer", "find", "amer", "@fabrikam.example"},
		{"find ann @amer", "find", "amer", "ann"},
	} {
		c, err := Parse(tt.text)
		if err != nil {
			t.Fatalf("%s: %v", tt.text, err)
		}
		if string(c.Op) != tt.op || c.Cluster != tt.cluster || c.Filter != tt.filter {
			t.Errorf("%s: op %s cluster %q filter %q, want %s %q %q", tt.text, c.Op, c.Cluster, c.Filter, tt.op, tt.cluster, tt.filter)
		}
	}
	// schedule and alerts cover every cluster: a cluster word there is refused, saying so.
	for _, text := range []string{"alerts @emea", "schedule @amer", "alerts @all"} {
		_, err := Parse(text)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Code != CodeInvalidCluster || !strings.Contains(ue.Msg, "covers every cluster: drop `@") {
			t.Errorf("%s: %v, want an invalid_cluster usage error", text, err)
		}
	}
	// Two cluster words: which one was meant is not for NFMM to guess.
	for _, text := range []string{"calls @emea @amer", "status @all @emea", "mute dmitri @emea @amer public"} {
		_, err := Parse(text)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Code != CodeInvalidCluster || !strings.Contains(ue.Msg, "Name one cluster") {
			t.Errorf("%s: %v, want an invalid_cluster usage error", text, err)
		}
	}
}

func TestClusterPick(t *testing.T) {
	svc, _ := twoClusters(t, Policy{})
	ctx := context.Background()
	calls := func(a Actor, text string) (*CallsResult, error) {
		r, err := svc.Run(ctx, a, text)
		if err != nil {
			return nil, err
		}
		return r.(*CallsResult), nil
	}
	for _, tt := range []struct {
		name    string
		actor   Actor
		text    string
		cluster string
	}{
		{"the channel's binding", Actor{UserID: "U1", ChannelID: "C0AMER"}, "calls", "amer"},
		{"the word beats the binding", Actor{UserID: "U1", ChannelID: "C0AMER"}, "calls @emea", "emea"},
		{"the clicked message beats the binding", Actor{UserID: "U1", ChannelID: "C0AMER", Cluster: "emea"}, "calls", "emea"},
	} {
		r, err := calls(tt.actor, tt.text)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if r.Cluster != tt.cluster || len(r.Meetings) == 0 || r.Meetings[0].Cluster != "" {
			t.Errorf("%s: cluster %q (first line %+v), want %s, said once", tt.name, r.Cluster, r.Meetings[:1], tt.cluster)
		}
	}
	_, err := calls(Actor{UserID: "U1", ChannelID: "D0DM"}, "calls")
	var choice *ClusterChoiceError
	if !errors.As(err, &choice) || strings.Join(choice.Clusters, ",") != "emea,amer" || !choice.All {
		t.Fatalf("a DM with two clusters: %v, want a ClusterChoiceError", err)
	}
	// The question says why it is asked where it is asked; it is a usage error (exec exits 2).
	for _, tt := range []struct{ channel, want string }{
		{"D0DM", "Which cluster? Add `@emea` or `@amer` (or `@all` for every cluster) to the command: a direct message has no default cluster."},
		{"C0UNBOUND", "Which cluster? Add `@emea` or `@amer` (or `@all` for every cluster) to the command: this channel has no default cluster."},
		{"", "Which cluster? Add `@emea` or `@amer` (or `@all` for every cluster) to the command: several clusters are configured."},
	} {
		_, err := calls(Actor{UserID: "U1", ChannelID: tt.channel, Local: tt.channel == ""}, "calls")
		if got := UserMessage(err); got != tt.want {
			t.Errorf("choice message in %q = %q, want %q", tt.channel, got, tt.want)
		}
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Code != CodeChooseCluster {
			t.Errorf("choice in %q: %v is no choose_cluster usage error", tt.channel, err)
		}
	}
	if _, err := calls(Actor{UserID: "U1"}, "calls @apac"); err == nil || UserMessage(err) != `There is no cluster "apac"; clusters are emea, amer.` {
		t.Errorf("unknown cluster: %v", err)
	}
	if _, err := svc.Run(ctx, Actor{UserID: "U1"}, "mute 1234 @all"); err == nil || !strings.Contains(UserMessage(err), "`@all` works with calls, status and report") {
		t.Errorf("mute @all: %v", err)
	}
}

func TestClusterAll(t *testing.T) {
	svc, _ := twoClusters(t, Policy{})
	ctx := context.Background()
	a := Actor{UserID: "U1", ChannelID: "C0EMEA"}
	one := func(text string) Result {
		r, err := svc.Run(ctx, a, text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		return r
	}
	emea, amer := one("calls @emea").(*CallsResult), one("calls @amer").(*CallsResult)
	all := one("calls @all").(*CallsResult)
	if all.Cluster != AllClusters || len(all.Meetings) != len(emea.Meetings)+len(amer.Meetings) ||
		all.TotalParticipants != emea.TotalParticipants+amer.TotalParticipants {
		t.Fatalf("calls @all: %d meetings (%d participants), want %d+%d", len(all.Meetings), all.TotalParticipants, len(emea.Meetings), len(amer.Meetings))
	}
	seen := map[string]int{}
	for _, m := range all.Meetings {
		seen[m.Cluster]++
	}
	if seen["emea"] != len(emea.Meetings) || seen["amer"] != len(amer.Meetings) {
		t.Errorf("lines per cluster = %v", seen)
	}
	if strings.Join(all.Nodes, ",") != "emea/cb1,emea/cb2,amer/cb1,amer/cb2,amer/cb3" {
		t.Errorf("nodes = %v", all.Nodes)
	}
	st := one("status @all").(*StatusResult)
	if len(st.Nodes) != 5 || st.Nodes[0].Cluster != "emea" || st.Nodes[4].Cluster != "amer" {
		t.Errorf("status @all: %+v", st.Nodes)
	}
	rep := one("report @all").(*ReportResult)
	if rep.Meetings != len(all.Meetings) || len(rep.Nodes) != 5 || len(rep.Largest) == 0 || rep.Largest[0].Cluster == "" {
		t.Errorf("report @all: %d meetings, %d nodes, largest %+v", rep.Meetings, len(rep.Nodes), rep.Largest)
	}
	// The text's summary line names the cluster, as its "No active meetings … on cluster amer".
	for _, tt := range []struct{ text, want string }{
		{"calls @amer", " participants on cluster amer\n"},
		{"calls @all", " participants on every cluster\n"},
	} {
		var b bytes.Buffer
		if err := FormatText(&b, one(tt.text)); err != nil || !strings.Contains(b.String(), tt.want) {
			t.Errorf("%s text (%v), want %q in:\n%s", tt.text, err, tt.want, b.String())
		}
	}
	var text bytes.Buffer
	if err := FormatText(&text, st); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text.String(), "CLUSTER") || !strings.Contains(text.String(), "amer") {
		t.Errorf("status @all text:\n%s", text.String())
	}
	b, err := MarshalResult(all)
	if err != nil || !strings.Contains(string(b), `"cluster": "amer"`) {
		t.Errorf("calls @all JSON: %v\n%s", err, b)
	}
	schemas := execSchemas(t)
	for _, r := range []Result{all, st, rep, one("calls @amer"), one("call " + all.Meetings[0].Correlator + " @" + all.Meetings[0].Cluster)} {
		b, err := MarshalResult(r)
		if err != nil {
			t.Fatal(err)
		}
		validateDoc(t, schemas, Kind(r), b)
	}
	_, err = svc.Run(ctx, Actor{UserID: "U1"}, "calls")
	if b, _ := MarshalError(err); !strings.Contains(string(b), `"code": "choose_cluster"`) {
		t.Errorf("choice error JSON:\n%s", b)
	} else {
		validateDoc(t, schemas, "error", b)
	}
}

// An operator of amer only changes amer and is refused on emea, naming it; the audit names the
// cluster acted on.
func TestClusterRoles(t *testing.T) {
	svc, audit := twoClusters(t, Policy{Operators: []string{"U0GLOBAL"}})
	ctx := context.Background()
	op := Actor{UserID: "U0AMEROP", ChannelID: "C0EMEA"}
	leg := func(cluster string) ParticipantRow {
		ro, err := svc.Run(ctx, Actor{UserID: "U0GLOBAL", Cluster: cluster}, "call "+firstMeeting(t, svc, cluster))
		if err != nil {
			t.Fatal(err)
		}
		return ro.(*RosterResult).Participants[0]
	}
	emeaLeg, amerLeg := leg("emea"), leg("amer")
	_, err := svc.Run(ctx, op, "mute "+emeaLeg.LegID)
	var denied *DeniedError
	if !errors.As(err, &denied) || !strings.Contains(denied.Msg, "You are not an operator of cluster emea") {
		t.Fatalf("amer operator on emea: %v", err)
	}
	if _, err := svc.Run(ctx, op, "mute "+amerLeg.LegID+" @amer"); err != nil {
		t.Fatalf("amer operator on amer: %v", err)
	}
	if svc.RoleOn(op, "amer") != RoleOperator || svc.RoleOn(op, "emea") != RoleViewer || svc.RoleOf(op) != RoleViewer {
		t.Errorf("roles: amer %s emea %s in C0EMEA %s", svc.RoleOn(op, "amer"), svc.RoleOn(op, "emea"), svc.RoleOf(op))
	}
	if !strings.Contains(audit.String(), `"op":"mute","cluster":"emea"`) || !strings.Contains(audit.String(), `"op":"mute","cluster":"amer"`) {
		t.Errorf("audit names no cluster:\n%s", audit.String())
	}
	// The global operator may act on both.
	if _, err := svc.Run(ctx, Actor{UserID: "U0GLOBAL", ChannelID: "C0AMER"}, "unmute "+emeaLeg.LegID+" @emea"); err != nil {
		t.Errorf("global operator on emea: %v", err)
	}
}

func firstMeeting(t *testing.T, svc *Service, cluster string) string {
	t.Helper()
	r, err := svc.Run(context.Background(), Actor{Local: true, Cluster: cluster}, "calls")
	if err != nil {
		t.Fatal(err)
	}
	return r.(*CallsResult).Meetings[0].Correlator
}

// A free text (find's, a banner's) keeps a last `@word` that names no cluster: `@helpdesk` in
// a banner and `@fabrikam.example` to find stay what they meant before there were clusters.
func TestFreeTextKeepsItsAtWord(t *testing.T) {
	svc, _ := twoClusters(t, Policy{Operators: []string{"U0GLOBAL"}})
	ctx := context.Background()
	a := Actor{UserID: "U0GLOBAL", ChannelID: "C0EMEA"}
	for _, tt := range []struct{ text, cluster, want string }{
		{"find @example.com", "emea", "@example.com"},
		{"find @example.com @amer", "amer", "@example.com"},
		{"find @example.com @all", "", ""}, // find reads one cluster
	} {
		r, err := svc.Run(ctx, a, tt.text)
		if tt.want == "" {
			if err == nil || !strings.Contains(UserMessage(err), "`@all` works with") {
				t.Errorf("%s: %v, want the @all refusal", tt.text, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.text, err)
		}
		if f := r.(*FindResult); f.Text != tt.want || f.Cluster != tt.cluster {
			t.Errorf("%s: text %q on %q, want %q on %q", tt.text, f.Text, f.Cluster, tt.want, tt.cluster)
		}
	}
	calls, err := svc.Run(ctx, a, "calls")
	if err != nil {
		t.Fatal(err)
	}
	meeting := calls.(*CallsResult).Meetings[0].Correlator
	for _, tt := range []struct{ text, after string }{
		{"banner " + meeting + " questions to @helpdesk", "questions to @helpdesk"},
		{"banner " + meeting + " back at 10, ask @helpdesk @emea public", "back at 10, ask @helpdesk"},
	} {
		r, err := svc.Run(ctx, a, tt.text)
		if err != nil {
			t.Fatalf("%s: %v", tt.text, err)
		}
		ar := r.(*ActionResult)
		if len(ar.Changes) == 0 || !strings.Contains(ar.Changes[0].After, tt.after) || ar.Cluster != "emea" {
			t.Errorf("%s: %+v on %q, want the banner %q on emea", tt.text, ar.Changes, ar.Cluster, tt.after)
		}
	}
	// Any other command's `@word` is its cluster, and one that names none is refused.
	if _, err := svc.Run(ctx, a, "call "+meeting+" @helpdesk"); err == nil || UserMessage(err) != `There is no cluster "helpdesk"; clusters are emea, amer.` {
		t.Errorf("call @helpdesk: %v", err)
	}
}

// With several clusters help shows how to name one, and what a command without one acts on.
func TestHelpShowsClusterWords(t *testing.T) {
	svc, _ := twoClusters(t, Policy{})
	for _, tt := range []struct {
		channel string
		want    []string
	}{
		{"C0EMEA", []string{"calls @amer", "commands here act on emea", "status @all"}},
		{"C0AMER", []string{"calls @emea", "commands here act on amer"}},
		{"D0DM", []string{"calls @emea", "asks which"}},
	} {
		r, err := svc.Run(context.Background(), Actor{UserID: "U1", ChannelID: tt.channel}, "help")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range r.(*HelpResult).Examples {
			got = append(got, e.Text+" "+e.What)
		}
		for _, w := range tt.want {
			if !strings.Contains(strings.Join(got, "\n"), w) {
				t.Errorf("help in %s: no %q in the examples:\n%s", tt.channel, w, strings.Join(got, "\n"))
			}
		}
	}
}
