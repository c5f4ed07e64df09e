package bot

import (
	"sync"
	"time"
)

// dedupe remembers envelope ids for a while so a redelivered envelope is acked but never run
// twice. Slack retries an envelope it thinks was not acked (retry_attempt > 0), e.g. after a
// reconnect, with the same envelope id.
type dedupe struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	seen  map[string]time.Time
	order []dedupeEntry // insertion order == time order, so the oldest is always first
	now   func() time.Time
}

type dedupeEntry struct {
	id string
	at time.Time
}

func newDedupe(ttl time.Duration, max int, now func() time.Time) *dedupe {
	if now == nil {
		now = time.Now
	}
	return &dedupe{ttl: ttl, max: max, seen: make(map[string]time.Time), now: now}
}

// firstTime records id and reports whether it had not been seen within the TTL. An empty id
// (lifecycle events) is never deduplicated.
func (d *dedupe) firstTime(id string) bool {
	if id == "" {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	d.prune(now)
	if _, ok := d.seen[id]; ok {
		return false
	}
	d.seen[id] = now
	d.order = append(d.order, dedupeEntry{id: id, at: now})
	return true
}

// prune drops expired entries and, past the size bound, the oldest ones.
func (d *dedupe) prune(now time.Time) {
	n := 0
	for n < len(d.order) {
		e := d.order[n]
		if now.Sub(e.at) < d.ttl && len(d.order)-n < d.max {
			break
		}
		delete(d.seen, e.id)
		n++
	}
	// Re-slicing is enough: append reallocates once the backing array is full and the dropped
	// prefix is freed then.
	d.order = d.order[n:]
}

// len reports how many ids are remembered (for tests).
func (d *dedupe) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
}
