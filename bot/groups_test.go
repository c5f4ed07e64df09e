package bot

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/bot/slackfake"
	"github.com/slack-go/slack"
)

// testClock is a settable Config.Now, so cache expiry is tested without sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeLister answers usergroups.users.list from a map; err, when set, fails every call.
type fakeLister struct {
	mu      sync.Mutex
	members map[string][]string
	err     error
	calls   int
	gate    chan struct{} // when non-nil, calls block until it is closed
	entered chan struct{} // receives once per call that reached the gate
}

func (f *fakeLister) GetUserGroupMembersContext(ctx context.Context, group string, _ ...slack.GetUserGroupMembersOption) ([]string, error) {
	f.mu.Lock()
	f.calls++
	gate, entered := f.gate, f.entered
	f.mu.Unlock()
	if gate != nil {
		entered <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	m, ok := f.members[group]
	if !ok {
		return nil, errors.New("no_such_subteam")
	}
	return slices.Clone(m), nil
}

func (f *fakeLister) set(members map[string][]string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members, f.err = members, err
}

func (f *fakeLister) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func TestUserGroupIDs(t *testing.T) {
	tests := []struct {
		name  string
		lists [][]string
		want  []string
	}{
		{"none", nil, nil},
		{"users only", [][]string{{"U1", "W2", "*"}}, nil},
		{"mixed and deduplicated", [][]string{{"U1", "SOPS", " SVIEW"}, {"SOPS", "SVIEW", "U2"}}, []string{"SOPS", "SVIEW"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UserGroupIDs(tt.lists...); !slices.Equal(got, tt.want) {
				t.Errorf("UserGroupIDs(%v) = %v, want %v", tt.lists, got, tt.want)
			}
		})
	}
}

// TestGroupCacheLifecycle walks one cache through expiry, Slack errors and recovery.
func TestGroupCacheLifecycle(t *testing.T) {
	clock := newTestClock()
	lister := &fakeLister{}
	var logs syncBuffer
	c := newGroupCache(lister, []string{"SOPS", "SVIEW"}, time.Minute, clock.Now, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	steps := []struct {
		name      string
		members   map[string][]string // nil keeps the lister's members
		err       error
		advance   time.Duration
		user      string
		want      []string
		wantCalls int // cumulative usergroups.users.list calls (2 groups per refresh)
	}{
		{name: "Slack fails before anything is known: no groups", err: errors.New("missing_scope"), user: "U1", want: nil, wantCalls: 2},
		{name: "failure is not retried per request", user: "U1", want: nil, wantCalls: 2},
		{name: "retried after the failure backoff", members: map[string][]string{"SOPS": {"U1"}, "SVIEW": {"U1", "U2"}},
			advance: time.Minute, user: "U1", want: []string{"SOPS", "SVIEW"}, wantCalls: 4},
		{name: "cached: other user, no call", user: "U2", want: []string{"SVIEW"}, wantCalls: 4},
		{name: "change not seen before the TTL", members: map[string][]string{"SOPS": {"U2"}, "SVIEW": {}},
			advance: 59 * time.Second, user: "U1", want: []string{"SOPS", "SVIEW"}, wantCalls: 4},
		{name: "change seen after the TTL", advance: time.Second, user: "U1", want: nil, wantCalls: 6},
		{name: "Slack fails: last membership kept", err: errors.New("ratelimited"), advance: time.Minute,
			user: "U2", want: []string{"SOPS"}, wantCalls: 8},
		// A deleted group (no_such_subteam) is a permanent error: fail closed at once.
		{name: "one group gone: the other refreshes, the gone one loses its members", members: map[string][]string{"SVIEW": {"U2"}},
			advance: time.Minute, user: "U2", want: []string{"SVIEW"}, wantCalls: 10},
		{name: "unknown user", user: "U9", want: nil, wantCalls: 10},
		{name: "the group is back", members: map[string][]string{"SOPS": {"U2"}, "SVIEW": {"U2"}},
			advance: time.Minute, user: "U2", want: []string{"SOPS", "SVIEW"}, wantCalls: 12},
		// Transient errors keep the members for at most three TTLs after the last good read.
		{name: "rate-limited one TTL later: kept", err: errors.New("ratelimited"), advance: time.Minute, user: "U2", want: []string{"SOPS", "SVIEW"}, wantCalls: 14},
		{name: "rate-limited three TTLs later: kept", err: errors.New("ratelimited"), advance: 2 * time.Minute, user: "U2", want: []string{"SOPS", "SVIEW"}, wantCalls: 16},
		{name: "rate-limited four TTLs later: no longer trusted", err: errors.New("ratelimited"), advance: time.Minute, user: "U2", want: nil, wantCalls: 18},
		{name: "the scope was removed: still nothing", err: errors.New("missing_scope"), advance: time.Minute, user: "U2", want: nil, wantCalls: 20},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		m := st.members
		if m == nil {
			m = lister.members
		}
		lister.set(m, st.err)
		got := c.groupsOf(ctx, st.user)
		if !slices.Equal(got, st.want) {
			t.Errorf("%s: groupsOf(%s) = %v, want %v", st.name, st.user, got, st.want)
		}
		if n := lister.callCount(); n != st.wantCalls {
			t.Errorf("%s: %d calls so far, want %d", st.name, n, st.wantCalls)
		}
	}
	if !strings.Contains(logs.String(), "could not read a Slack user group") || !strings.Contains(logs.String(), "missing_scope") {
		t.Errorf("failures not logged:\n%s", logs.String())
	}
	want := []string{
		"Slack user group SOPS cannot be read (missing_scope): its members are not trusted",
		"Slack user group SVIEW cannot be read (missing_scope): its members are not trusted",
	}
	if got := c.Problems(); !slices.Equal(got, want) {
		t.Errorf("Problems() = %q, want %q", got, want)
	}
	lister.set(map[string][]string{"SOPS": {"U2"}, "SVIEW": {"U2"}}, nil)
	clock.Advance(time.Minute)
	c.groupsOf(ctx, "U2")
	if got := c.Problems(); len(got) != 0 {
		t.Errorf("Problems() = %q after both groups were read again, want none", got)
	}
}

func TestGroupCacheCoalescesConcurrentRefreshes(t *testing.T) {
	lister := &fakeLister{members: map[string][]string{"SOPS": {"U1"}}, gate: make(chan struct{}), entered: make(chan struct{}, 100)}
	c := newGroupCache(lister, []string{"SOPS"}, time.Minute, time.Now, slog.New(slog.DiscardHandler))
	const callers = 20
	results := make(chan []string, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() { results <- c.groupsOf(context.Background(), "U1") })
	}
	<-lister.entered // one refresh is under way and holds the others back
	close(lister.gate)
	wg.Wait()
	close(results)
	for got := range results {
		if !slices.Equal(got, []string{"SOPS"}) {
			t.Errorf("a caller got %v, want [SOPS]", got)
		}
	}
	if n := lister.callCount(); n != 1 {
		t.Errorf("%d usergroups.users.list calls for %d concurrent callers, want 1", n, callers)
	}
}

func TestGroupCacheWaiterHonoursContext(t *testing.T) {
	lister := &fakeLister{members: map[string][]string{"SOPS": {"U1"}}, gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	c := newGroupCache(lister, []string{"SOPS"}, time.Minute, time.Now, slog.New(slog.DiscardHandler))
	leader := make(chan []string, 1)
	go func() { leader <- c.groupsOf(context.Background(), "U1") }()
	<-lister.entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := c.groupsOf(ctx, "U1"); got != nil {
		t.Errorf("a cancelled waiter got %v before any membership was known, want none", got)
	}
	close(lister.gate)
	if got := <-leader; !slices.Equal(got, []string{"SOPS"}) {
		t.Errorf("leader got %v, want [SOPS]", got)
	}
}

const testGroup = "SOPERATORS"

// groupHarness runs the e2e harness with one operator user group and a settable clock; the
// group starts with members.
func groupHarness(t *testing.T, members ...string) (*harness, *testClock) {
	t.Helper()
	clock := newTestClock()
	h := newHarness(t, harnessOptions{
		Operators: []string{testGroup},
		BotConfig: func(c *Config) {
			c.UserGroups = UserGroupIDs([]string{testGroup})
			c.Now = clock.Now
		},
		// The group exists before the bot starts, as in Slack: the bot reads it at start-up.
		UserGroups: map[string][]string{testGroup: members},
	})
	return h, clock
}

// refusals counts the operator-only refusals user has been shown.
func (h *harness) refusals(user string) int {
	n := 0
	for _, m := range h.fake.EphemeralFor(user, testChannel) {
		if contains("Only NFMM operators")(m) {
			n++
		}
	}
	return n
}

func TestE2EUserGroupOperatorMayChangeCalls(t *testing.T) {
	h, _ := groupHarness(t, testViewer)
	m := h.board()
	alice, bob := legByName(t, m, "Alice"), legByName(t, m, "Bob")

	// Slash command path.
	h.slash(testViewer, "mute "+alice.ID)
	h.eventually("the group member's mute reaches CMS", func() bool { return h.leg(alice.ID).RxAudioMute })

	// Click path.
	r := h.roster(testViewer, m)
	h.click(testViewer, r, actMuteAudio, legControls(m, bob), "")
	h.eventually("the group member's click reaches CMS", func() bool { return h.leg(bob.ID).RxAudioMute })

	// Modal path: the add button checks the policy, the submission runs as the member.
	h.click(testViewer, r, actAdd, "", "")
	v, err := h.fake.WaitView(h.ctx(), testViewer, func(v slackfake.View) bool { return v.CallbackID == viewAdd })
	if err != nil {
		t.Fatalf("add modal did not open for the group member: %v", err)
	}
	env, err := h.fake.SubmitView(v.ID, testViewer, map[string]map[string]any{blockURI: {elemURI: "sip:dave@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	h.waitAck(env)
	h.eventually("the group member's dial-out reaches CMS", func() bool { return len(h.sim.Legs(m.Correlator)) == 4 })

	// Three requests, one cache fill.
	if n := len(h.fake.Calls("usergroups.users.list")); n != 1 {
		t.Errorf("%d usergroups.users.list calls, want 1 (cached)", n)
	}
}

func TestE2EUserGroupNonMemberRefused(t *testing.T) {
	h, _ := groupHarness(t, testViewer)
	m := h.board()
	carol := legByName(t, m, "Carol")
	h.slash(testOperator, "mute "+carol.ID)
	h.eventually("the non-member is refused", func() bool { return h.refusals(testOperator) == 1 })
	if got := h.leg(carol.ID); got.RxAudioMute {
		t.Errorf("a refused mute changed CMS: %+v", got)
	}
}

func TestE2EUserGroupChangeSeenAfterTTL(t *testing.T) {
	h, clock := groupHarness(t, testViewer)
	m := h.board()
	alice := legByName(t, m, "Alice")

	h.slash(testOperator, "mute "+alice.ID)
	h.eventually("the non-member is refused", func() bool { return h.refusals(testOperator) == 1 })

	// Slack moves the operator role from the viewer to the operator; the bot still has the
	// old membership cached.
	h.fake.SetUserGroup(testGroup, []string{testOperator})
	h.slash(testOperator, "mute "+alice.ID)
	h.eventually("refused again from the cache", func() bool { return h.refusals(testOperator) == 2 })

	clock.Advance(defaultGroupTTL + time.Second)
	h.slash(testOperator, "mute "+alice.ID)
	h.eventually("the new member's mute reaches CMS", func() bool { return h.leg(alice.ID).RxAudioMute })
	h.slash(testViewer, "unmute "+alice.ID)
	h.eventually("the removed member is refused", func() bool { return h.refusals(testViewer) == 1 })
	if !h.leg(alice.ID).RxAudioMute {
		t.Errorf("the removed member's unmute reached CMS")
	}
	if n := len(h.fake.Calls("usergroups.users.list")); n != 2 {
		t.Errorf("%d usergroups.users.list calls, want 2 (one per TTL)", n)
	}
}

func TestE2EUserGroupErrorKeepsLastMembership(t *testing.T) {
	h, clock := groupHarness(t, testViewer)
	m := h.board()
	alice, bob := legByName(t, m, "Alice"), legByName(t, m, "Bob")
	h.slash(testViewer, "mute "+alice.ID)
	h.eventually("the member's mute reaches CMS", func() bool { return h.leg(alice.ID).RxAudioMute })

	h.fake.Inject("usergroups.users.list", slackfake.Fault{N: 100, Error: "internal_error"})
	clock.Advance(defaultGroupTTL + time.Second)
	h.slash(testViewer, "mute "+bob.ID)
	h.eventually("the member still may mute while Slack fails", func() bool { return h.leg(bob.ID).RxAudioMute })
	if got := h.fake.Calls("usergroups.users.list"); len(got) != 2 || got[1].Error != "internal_error" {
		t.Errorf("usergroups.users.list calls %+v, want a second one that failed", got)
	}
	if !strings.Contains(h.logs.String(), "could not read a Slack user group") {
		t.Errorf("the failure was not logged")
	}
}

// A deleted operator group stops giving the operator role at the next refresh, and the bot
// reports itself degraded; a transient failure is trusted for a few TTLs only (issue 12 item 3).
func TestE2EDeletedOperatorGroupFailsClosed(t *testing.T) {
	h, clock := groupHarness(t, testViewer)
	m := h.board()
	alice, bob, carol := legByName(t, m, "Alice"), legByName(t, m, "Bob"), legByName(t, m, "Carol")
	h.slash(testViewer, "mute "+alice.ID)
	h.eventually("the member's mute reaches CMS", func() bool { return h.leg(alice.ID).RxAudioMute })
	if p := h.bot.Problems(); len(p) != 0 {
		t.Errorf("Problems() = %q while the group reads fine", p)
	}

	h.fake.DeleteUserGroup(testGroup)
	clock.Advance(defaultGroupTTL + time.Second)
	before := h.refusals(testViewer)
	h.slash(testViewer, "mute "+bob.ID)
	h.eventually("the former member is refused", func() bool { return h.refusals(testViewer) > before })
	if h.leg(bob.ID).RxAudioMute {
		t.Errorf("a member of a deleted group still muted Bob")
	}
	if p := h.bot.Problems(); len(p) != 1 || !strings.Contains(p[0], "no_such_subteam") || !strings.Contains(p[0], "not trusted") {
		t.Errorf("Problems() = %q, want the deleted group named", p)
	}

	// Back, then Slack fails transiently for longer than groupStaleTTLs TTLs.
	h.fake.SetUserGroup(testGroup, []string{testViewer})
	clock.Advance(groupRetryAfterFail + time.Second)
	h.slash(testViewer, "unmute "+alice.ID)
	h.eventually("the member is an operator again", func() bool { return !h.leg(alice.ID).RxAudioMute })
	h.fake.Inject("usergroups.users.list", slackfake.Fault{N: 1000, Error: "internal_error"})
	clock.Advance(groupStaleTTLs*defaultGroupTTL + time.Second)
	before = h.refusals(testViewer)
	h.slash(testViewer, "mute "+carol.ID)
	h.eventually("the stale member is refused", func() bool { return h.refusals(testViewer) > before })
	if h.leg(carol.ID).RxAudioMute {
		t.Errorf("membership read %v ago was still trusted", groupStaleTTLs*defaultGroupTTL)
	}
}
