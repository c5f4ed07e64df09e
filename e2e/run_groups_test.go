package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
)

// TestRunUserGroupOperatorsAndAuditChannel runs `nfmm run` with a user group in NFMM_OPERATORS
// and NFMM_AUDIT_CHANNEL set: the group's member passes the policy, a non-member is refused,
// and both actions reach the audit channel as lines and stderr as JSON records.
func TestRunUserGroupOperatorsAndAuditChannel(t *testing.T) {
	const (
		member, outsider, group, audit = "U0MEMBER01", "U0OUTSIDE1", "S0OPERATORS", "C0AUDIT001"
	)
	fake := slackfake.NewTest(t, slackfake.Options{UserGroups: map[string][]string{group: {member}}})
	run := startRun(t, map[string]string{
		"SLACK_BOT_TOKEN":    "xoxb-1111111111-2222222222-grouptesttokenvalue",
		"SLACK_APP_TOKEN":    "xapp-1-A0123456789-3333333333-grouptesttokenvalue",
		"SLACK_API_URL":      fake.APIURL(),
		"CMS_NODES":          "sim",
		"NFMM_OPERATORS":     group,
		"NFMM_AUDIT_CHANNEL": audit,
		"NFMM_HTTP_ADDR":     "off",
	})
	stderr := &run.stderr
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := fake.WaitConnected(wctx); err != nil {
		t.Fatalf("nfmm run did not connect: %v\n%s", err, stderr.String())
	}

	steps := []struct{ user, want string }{
		// The member passes the policy; the leg does not exist, so the action fails in CMS.
		{member, "⚠️ <@" + member + "> mute deadbeef"},
		{outsider, "⛔ <@" + outsider + "> was refused: mute deadbeef"},
	}
	for _, st := range steps {
		if _, err := fake.SlashCommand(st.user, "C1", "/cms", "mute deadbeef"); err != nil {
			t.Fatal(err)
		}
		if _, err := fake.WaitMessage(wctx, audit, func(m slackfake.Message) bool { return strings.HasPrefix(m.Text, st.want) }); err != nil {
			t.Fatalf("no audit line %q: %v\n%s", st.want, err, stderr.String())
		}
	}
	if n := len(fake.Calls("usergroups.users.list")); n != 1 {
		t.Errorf("%d usergroups.users.list calls, want 1", n)
	}
	run.stop(wctx, t)
	if got := strings.Count(stderr.String(), `"log":"audit"`); got != 2 {
		t.Errorf("%d JSON audit records on stderr, want 2\n%s", got, stderr.String())
	}
}
