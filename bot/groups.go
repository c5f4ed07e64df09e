package bot

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// Membership cache timings. Slack rate-limits usergroups.users.list (Tier 2, ~20/min), and
// NFMM_OPERATORS in a user group exists so access is managed in Slack: a few minutes of delay
// is the trade-off.
const (
	defaultGroupTTL     = 5 * time.Minute
	groupRetryAfterFail = 30 * time.Second // a failing Slack is asked again this soon, not per request
	groupFetchTimeout   = 5 * time.Second  // one refresh of every group; callers wait at most this
	modalGroupWait      = time.Second      // a modal-opening click waits at most this for a refresh
	// groupStaleTTLs bounds how long a group that Slack cannot read right now (rate limit,
	// network, Slack outage) keeps its last known members: this many TTLs after the last good
	// read, it has none.
	groupStaleTTLs = 3
)

// permanentGroupErrors are usergroups.users.list errors that no retry fixes: the group is gone
// or the token may not read it. Its members stop being trusted at once (fail closed).
var permanentGroupErrors = map[string]bool{
	"no_such_subteam": true, "subteam_not_found": true, "missing_scope": true, "invalid_auth": true,
	"not_authed": true, "account_inactive": true, "token_revoked": true, "token_expired": true,
	"not_allowed_token_type": true, "no_permission": true, "team_access_not_granted": true, "access_denied": true,
}

func permanentGroupError(err error) bool { return permanentGroupErrors[strings.TrimSpace(err.Error())] }

// UserGroupIDs returns the Slack user-group ids (S…) among policy entries, without duplicates,
// in first-seen order: what main passes as Config.UserGroups from NFMM_OPERATORS and
// NFMM_VIEWERS.
func UserGroupIDs(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, id := range l {
			id = strings.TrimSpace(id)
			if strings.HasPrefix(id, "S") && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// groupLister is the one slack-go call the cache makes (a seam for unit tests).
type groupLister interface {
	GetUserGroupMembersContext(ctx context.Context, group string, opts ...slack.GetUserGroupMembersOption) ([]string, error)
}

// groupCache knows which configured user groups each user belongs to. It refreshes lazily when
// the data is older than ttl; concurrent callers share one refresh. A group whose refresh fails
// permanently (deleted, no scope, bad token) loses its members at once; one that fails
// transiently keeps its last known members for at most groupStaleTTLs TTLs after its last good
// read; a group never read successfully has none (fail closed). Problems lists what is wrong.
type groupCache struct {
	api    groupLister
	groups []string
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger

	mu       sync.Mutex
	members  map[string]map[string]bool // group -> user ids; absent = never known
	readAt   map[string]time.Time       // group -> its last successful read
	problems map[string]string          // group -> why it could not be read, until it can
	next     time.Time                  // when the data is due for a refresh
	inflight chan struct{}              // non-nil while a refresh runs; closed when it ends
}

func newGroupCache(api groupLister, groups []string, ttl time.Duration, now func() time.Time, log *slog.Logger) *groupCache {
	if ttl <= 0 {
		ttl = defaultGroupTTL
	}
	return &groupCache{
		api: api, groups: UserGroupIDs(groups), ttl: ttl, now: now, log: log,
		members: make(map[string]map[string]bool), readAt: make(map[string]time.Time), problems: make(map[string]string),
	}
}

// groupsOf returns the configured groups user belongs to, refreshing first when the data is
// stale. It waits for a refresh at most groupFetchTimeout (or until ctx ends), then answers from
// what is known.
func (c *groupCache) groupsOf(ctx context.Context, user string) []string {
	if c == nil || len(c.groups) == 0 {
		return nil
	}
	c.mu.Lock()
	wait, lead := c.inflight, false
	if wait == nil && !c.now().Before(c.next) {
		wait = make(chan struct{})
		c.inflight, lead = wait, true
	}
	c.mu.Unlock()
	if lead {
		// The first caller does the work; its ctx bounds it, so there is no orphan goroutine.
		c.refresh(ctx, wait)
	} else if wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
		}
	}
	return c.lookup(user)
}

func (c *groupCache) lookup(user string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, g := range c.groups {
		if c.members[g][user] {
			out = append(out, g)
		}
	}
	return out
}

// refresh reads every configured group, then publishes the result and closes done (deferred,
// so waiters are released whatever happens).
func (c *groupCache) refresh(ctx context.Context, done chan struct{}) {
	fresh := make(map[string]map[string]bool, len(c.groups))
	errs := make(map[string]error, len(c.groups))
	failed := true // until proven otherwise, e.g. if the call panics
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		now := c.now()
		maps.Copy(c.members, fresh)
		for g := range fresh {
			c.readAt[g] = now
			delete(c.problems, g)
		}
		for g, err := range errs {
			c.failedLocked(g, err, now)
		}
		wait := c.ttl
		if failed {
			wait = min(c.ttl, groupRetryAfterFail)
		}
		c.next = c.now().Add(wait)
		c.inflight = nil
		close(done)
	}()
	ctx, cancel := context.WithTimeout(ctx, groupFetchTimeout)
	defer cancel()
	failed = false
	for _, g := range c.groups {
		users, err := c.api.GetUserGroupMembersContext(ctx, g)
		if err != nil {
			failed = true
			errs[g] = err
			continue
		}
		set := make(map[string]bool, len(users))
		for _, u := range users {
			set[u] = true
		}
		fresh[g] = set
	}
}

// failedLocked decides what a failed read of group g means for its members, logs it and
// records the problem. Caller holds mu.
func (c *groupCache) failedLocked(g string, err error, now time.Time) {
	last, known := c.readAt[g]
	switch {
	case permanentGroupError(err):
		delete(c.members, g)
		c.problems[g] = fmt.Sprintf("Slack user group %s cannot be read (%v): its members are not trusted", g, err)
		c.log.Error("a Slack user group cannot be read; its members lose the role it gives until it can",
			"group", g, "err", err, "hint", "is the group deleted? the bot token needs the usergroups:read scope")
	case known && now.Sub(last) <= groupStaleTTLs*c.ttl:
		c.problems[g] = fmt.Sprintf("Slack user group %s cannot be read (%v): using its members as read at %s", g, err, last.UTC().Format(time.TimeOnly+" UTC"))
		c.log.Warn("could not read a Slack user group; keeping its last known members for now",
			"group", g, "err", err, "read_at", last, "trusted_until", last.Add(groupStaleTTLs*c.ttl))
	default:
		delete(c.members, g)
		c.problems[g] = fmt.Sprintf("Slack user group %s cannot be read (%v): its members are not trusted", g, err)
		c.log.Warn("could not read a Slack user group; it gives no role until it can be read",
			"group", g, "err", err, "hint", "the bot token needs the usergroups:read scope")
	}
}

// Problems describes the configured user groups that cannot be read now, sorted (for /healthz).
func (c *groupCache) Problems() []string {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Values(c.problems))
}

// Problems lists what makes this bot degraded (for /healthz): today, Slack user groups that
// cannot be read.
func (b *Bot) Problems() []string { return b.groups.Problems() }

// withGroups returns the actor with the configured user groups it belongs to. Every actor built
// from a Slack payload passes through here (via userJob) before the policy sees it.
func (b *Bot) withGroups(ctx context.Context, a commands.Actor) commands.Actor {
	if a.Local {
		return a
	}
	a.Groups = b.groups.groupsOf(ctx, a.UserID)
	return a
}

// userJob is a job acting for a Slack user: in the worker (never the read loop, since it may
// call Slack) it fills the actor's user groups, then runs fn with the completed interaction.
func (b *Bot) userJob(kind string, ia interaction, fn func(ctx context.Context, ia interaction)) job {
	return job{kind: kind, ia: ia, run: func(ctx context.Context) {
		groupCtx, cancel := ctx, context.CancelFunc(func() {})
		if ia.triggerID != "" && (kind == actAdd || kind == actPresenterOn) {
			// The modal must open within the trigger's 3 s: answer from the membership known
			// by then (fail closed when none is) rather than lose the click.
			groupCtx, cancel = context.WithTimeout(ctx, modalGroupWait)
		}
		ia.actor = b.withGroups(groupCtx, ia.actor)
		cancel()
		fn(ctx, ia)
	}}
}
