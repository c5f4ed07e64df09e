package slackfake_test

import (
	"context"
	"slices"
	"testing"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
)

func TestUserGroupsUsersList(t *testing.T) {
	fixture := map[string][]string{"SOPS": {"U1", "U2"}}
	fake := slackfake.NewTest(t, slackfake.Options{UserGroups: fixture})
	fixture["SOPS"][0] = "UCHANGED" // the fake copied its fixtures
	api := slack.New(testBotToken, slack.OptionAPIURL(fake.APIURL()))
	ctx := context.Background()

	list := func(group string) ([]string, error) {
		return api.GetUserGroupMembersContext(ctx, group, slack.GetUserGroupMembersOptionIncludeDisabled(true))
	}
	steps := []struct {
		name    string
		change  func()
		group   string
		want    []string
		wantErr string
	}{
		{name: "fixture", group: "SOPS", want: []string{"U1", "U2"}},
		{name: "unknown group", group: "SNOPE", wantErr: "no_such_subteam"},
		{name: "set replaces", change: func() { fake.SetUserGroup("SOPS", []string{"U3"}) }, group: "SOPS", want: []string{"U3"}},
		{name: "set creates", change: func() { fake.SetUserGroup("SNEW", nil) }, group: "SNEW", want: []string{}},
		{name: "delete", change: func() { fake.DeleteUserGroup("SOPS") }, group: "SOPS", wantErr: "no_such_subteam"},
	}
	for _, st := range steps {
		if st.change != nil {
			st.change()
		}
		got, err := list(st.group)
		if st.wantErr != "" {
			if err == nil || err.Error() != st.wantErr {
				t.Errorf("%s: err = %v, want %s", st.name, err, st.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, st.want) {
			t.Errorf("%s: got %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	calls := fake.Calls("usergroups.users.list")
	if len(calls) != len(steps) {
		t.Fatalf("%d usergroups.users.list calls recorded, want %d", len(calls), len(steps))
	}
	if c := calls[0]; c.Param("usergroup") != "SOPS" || c.Param("include_disabled") != "true" || c.Param("token") != "" {
		t.Errorf("first call recorded as %+v, want usergroup=SOPS, include_disabled, no token", c.Form)
	}
	if got := fake.UserGroups(); len(got) != 1 || len(got["SNEW"]) != 0 {
		t.Errorf("UserGroups() = %v, want only SNEW", got)
	}
}
