package bot

import (
	"context"

	"github.com/nfmm/nfmm/commands"
)

// Claims claims a Slack delivery exactly once across replicas and restarts (the store does).
// ClaimEnvelope returns true when this replica must act on it, false when it was claimed
// before; an error means nobody can tell.
type Claims interface {
	ClaimEnvelope(ctx context.Context, envelopeID, eventID string) (bool, error)
}

// Reclaimer is implemented by Claims that can retry a claim whose answer was lost, counting a
// claim this replica already holds as its own (the store does).
type Reclaimer interface {
	ReclaimEnvelope(ctx context.Context, envelopeID, eventID string) (bool, error)
}

// ClaimMetrics is implemented by metrics that count claim outcomes (ops.Metrics does).
type ClaimMetrics interface {
	Claim(outcome string)
}

// Claim outcomes (the metric label).
const (
	ClaimWon       = "won"       // this replica acts on the envelope
	ClaimDuplicate = "duplicate" // claimed before: acked, not acted on again
	ClaimError     = "error"     // the store did not answer: reads run, changes are refused
)

// unclaimedKey marks a job whose envelope could not be claimed (the store was down).
type unclaimedKey struct{}

func isUnclaimed(ctx context.Context) bool { return ctx.Value(unclaimedKey{}) != nil }

// claim decides whether job j runs. Without a store the read loop's in-memory dedupe has
// already decided. With one, a duplicate is dropped; when the store does not answer, the job
// runs with its context marked so that storeGuard refuses anything that changes state: a
// read twice is harmless, an action twice is not.
func (b *Bot) claim(ctx context.Context, j job) (context.Context, bool) {
	if b.cfg.Claims == nil || j.claim == "" {
		return ctx, true
	}
	ok, err := b.cfg.Claims.ClaimEnvelope(ctx, j.claim, "")
	if err != nil && ctx.Err() == nil {
		// Once more before failing closed: a claim whose timeout ran out while this process
		// was stalled (paused, throttled) is answered at once by a database that is up, and
		// then says whether another replica already took the envelope; without the retry the
		// user would get "cannot reach its database" beside the other replica's answer. The
		// first insert may have landed, so a claim held by this replica is ours (Reclaimer).
		if r, ok2 := b.cfg.Claims.(Reclaimer); ok2 {
			ok, err = r.ReclaimEnvelope(ctx, j.claim, "")
		} else {
			ok, err = b.cfg.Claims.ClaimEnvelope(ctx, j.claim, "")
		}
	}
	switch {
	case err != nil:
		b.countClaim(ClaimError)
		b.log.Warn("could not claim the envelope (store unavailable): reads run, changes are refused", "envelope", j.claim, "kind", j.kind, "err", err)
		return context.WithValue(ctx, unclaimedKey{}, true), true
	case !ok:
		b.countClaim(ClaimDuplicate)
		b.log.Info("envelope already claimed (another replica or before a restart): not run again", "envelope", j.claim, "kind", j.kind)
		return ctx, false
	}
	b.countClaim(ClaimWon)
	return ctx, true
}

func (b *Bot) countClaim(outcome string) {
	if m, ok := b.metrics.(ClaimMetrics); ok {
		m.Claim(outcome)
	}
}

// storeGuard fails closed: in a job whose envelope could not be claimed, state-changing
// commands are refused with commands.ErrStoreUnavailable before they reach CMS.
type storeGuard struct{ Runner }

func (g storeGuard) Run(ctx context.Context, a commands.Actor, text string) (commands.Result, error) {
	if isUnclaimed(ctx) {
		if c, err := commands.Parse(text); err == nil && c.Op.Changes() {
			return nil, commands.ErrStoreUnavailable
		}
	}
	return g.Runner.Run(ctx, a, text)
}

func (g storeGuard) Execute(ctx context.Context, a commands.Actor, c commands.Command) (commands.Result, error) {
	if isUnclaimed(ctx) && c.Op.Changes() {
		return nil, commands.ErrStoreUnavailable
	}
	return g.Runner.Execute(ctx, a, c)
}

// RoleOn passes through what a Service with several clusters adds to Runner (the role on one
// cluster: the controls a cluster's message shows); without it, the role anywhere.
func (g storeGuard) RoleOn(a commands.Actor, cluster string) commands.Role {
	if ro, ok := g.Runner.(interface {
		RoleOn(commands.Actor, string) commands.Role
	}); ok {
		return ro.RoleOn(a, cluster)
	}
	return g.Runner.RoleOf(a)
}

// ClusterNames passes through the Service's clusters (nil when it does not list them).
func (g storeGuard) ClusterNames() []string {
	if cn, ok := g.Runner.(interface{ ClusterNames() []string }); ok {
		return cn.ClusterNames()
	}
	return nil
}
