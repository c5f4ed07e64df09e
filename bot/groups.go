package bot

import (
	"context"
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
)

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
// keeps its last known members; a group never read successfully has none (fail closed).
type groupCache struct {
	api    groupLister
	groups []string
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger

	mu       sync.Mutex
	members  map[string]map[string]bool // group -> user ids; absent = never known
	next     time.Time                  // when the data is due for a refresh
	inflight chan struct{}              // non-nil while a refresh runs; closed when it ends
}

func newGroupCache(api groupLister, groups []string, ttl time.Duration, now func() time.Time, log *slog.Logger) *groupCache {
	if ttl <= 0 {
		ttl = defaultGroupTTL
	}
	return &groupCache{
		api: api, groups: UserGroupIDs(groups), ttl: ttl, now: now, log: log,
		members: make(map[string]map[string]bool),
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
	failed := true // until proven otherwise, e.g. if the call panics
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		maps.Copy(c.members, fresh)
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
			c.log.Warn("could not read a Slack user group; keeping its last known members (none if never read)",
				"group", g, "err", err, "hint", "the bot token needs the usergroups:read scope")
			continue
		}
		set := make(map[string]bool, len(users))
		for _, u := range users {
			set[u] = true
		}
		fresh[g] = set
	}
}

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
