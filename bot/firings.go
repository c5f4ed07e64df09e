package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"
)

// nextFire is the schedule's first fire time strictly after t. "@every d" fires on multiples
// of d since the zero time (so on whole minutes for @every 1m), not d after whenever the
// process started: every replica and every restart then agree on the fire times, which are
// the keys that make a firing happen once.
func nextFire(sched cron.Schedule, t time.Time) time.Time {
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		return t.Truncate(every.Delay).Add(every.Delay)
	}
	return sched.Next(t)
}

// prevFire is the schedule's latest fire time at or before now and after now-window; zero
// when there is none.
func prevFire(sched cron.Schedule, now time.Time, window time.Duration) time.Time {
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		p := now.Truncate(every.Delay)
		if now.Sub(p) < window {
			return p
		}
		return time.Time{}
	}
	var prev time.Time
	// cron's Next works to the second; start just before the window so a fire time on its
	// edge counts. The window is minutes, so this walks a handful of fire times.
	for t := sched.Next(now.Add(-window)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		prev = t
	}
	return prev
}

// memFirings keeps firings in memory: one process, no store (tests, exec-less setups).
type memFirings struct {
	mu   sync.Mutex
	seen map[string]map[time.Time]bool
	last map[string]time.Time
}

func newMemFirings() *memFirings {
	return &memFirings{seen: map[string]map[time.Time]bool{}, last: map[string]time.Time{}}
}

func (m *memFirings) ClaimFiring(_ context.Context, report string, at time.Time, _ bool) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen[report] == nil {
		m.seen[report] = map[time.Time]bool{}
	}
	if m.seen[report][at] {
		return false, nil
	}
	m.seen[report][at] = true
	if at.After(m.last[report]) {
		m.last[report] = at
	}
	return true, nil
}

func (m *memFirings) FinishFiring(context.Context, string, time.Time, string) error { return nil }

func (m *memFirings) LastFiring(_ context.Context, report string) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.last[report]
	return t, ok, nil
}

// markLate says on a caught-up report that it is late, and why.
func markLate(m message, due, now time.Time) message {
	note := fmt.Sprintf(":hourglass: Posted late: this report was due at %s and NFMM was not running then.", due.Format("15:04"))
	if due.YearDay() != now.YearDay() || due.Year() != now.Year() {
		note = fmt.Sprintf(":hourglass: Posted late: this report was due on %s and NFMM was not running then.", due.Format("Mon 2 Jan 15:04"))
	}
	m.Text = "(late) " + m.Text
	// Right under the header, where it is read first.
	blocks := make([]slack.Block, 0, len(m.Blocks)+1)
	if len(m.Blocks) > 0 {
		blocks = append(blocks, m.Blocks[0])
	}
	blocks = append(blocks, slack.NewContextBlock("", md(note, maxContextText)))
	if len(m.Blocks) > 1 {
		blocks = append(blocks, m.Blocks[1:]...)
	}
	if len(blocks) > maxMessageBlocks { // keep the footer, lose the row before it
		blocks = append(blocks[:maxMessageBlocks-1], blocks[len(blocks)-1])
	}
	m.Blocks = blocks
	return m
}
