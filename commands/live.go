package commands

import (
	"context"
	"sync"
	"time"

	"github.com/nfmm/nfmm/cms"
)

// Live messages: `watch [<meeting>]` (and `calls live`) and `follow <meeting>` ask the bot to
// keep a message current from the cluster's live state. commands answers them with the first
// snapshot and hands the bot the change stream (Service.Subscribe), Slack-free.

// The live operations.
const (
	OpWatch  Op = "watch"
	OpFollow Op = "follow"
)

// WatchResult is `watch [<meeting>]`, `calls live` and `follow <meeting>`: what the message
// shows now (a *RosterResult for a meeting, a *CallsResult for the list). JSON and text show
// the snapshot: outside Slack there is no message to keep current.
type WatchResult struct {
	Cluster  string // with several clusters: the cluster whose live state the message follows
	Follow   bool   // follow: a parent message and a threaded line per change
	Meeting  string // the meeting's correlator; "" watches the calls list
	Snapshot Result
}

func (*WatchResult) isResult() {}

// parseWatch: `watch` alone is the calls list, anything else names a meeting.
func parseWatch(c *Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return parseCall(c, args)
}

func validateWatch(c Command) error {
	if c.Meeting == "" && c.Op == OpWatch {
		return nil
	}
	return validateMeeting(c)
}

// watch resolves what to watch and reads it once.
func (s *Service) watch(ctx context.Context, c Command) (*WatchResult, error) {
	if c.Meeting == "" {
		return &WatchResult{Snapshot: s.calls(ctx, "", "")}, nil
	}
	r, err := s.roster(ctx, c.Meeting)
	if err != nil {
		return nil, err
	}
	return &WatchResult{Follow: c.Op == OpFollow, Meeting: r.Meeting.Correlator, Snapshot: r}, nil
}

// LiveChange is one change of the live state, as the watch stream's event plus its readable
// line (FormatWatchLine).
type LiveChange struct {
	WatchEvent
	Line string
}

// Correlator is the meeting the change is about ("" for node changes).
func (c LiveChange) Correlator() string {
	if c.Meeting == nil {
		return ""
	}
	return c.Meeting.Correlator
}

// LiveFeed delivers every change of the live state in order until Close; with several
// clusters, every cluster's changes (correlators are unique across clusters).
type LiveFeed struct {
	sub liveSub
	loc *time.Location
}

// liveSub is a cms.Subscription, or several merged.
type liveSub interface {
	Ready() <-chan struct{}
	Next() []cms.Change
	Close()
}

// mergedSub fans several subscriptions into one.
type mergedSub struct {
	subs   []*cms.Subscription
	notify chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
}

func mergeSubs(subs []*cms.Subscription) *mergedSub {
	m := &mergedSub{subs: subs, notify: make(chan struct{}, 1), done: make(chan struct{})}
	for _, s := range subs {
		m.wg.Go(func() {
			for {
				select {
				case <-m.done:
					return
				case <-s.Ready():
					select {
					case m.notify <- struct{}{}:
					default:
					}
				}
			}
		})
	}
	return m
}

func (m *mergedSub) Ready() <-chan struct{} { return m.notify }

func (m *mergedSub) Next() []cms.Change {
	var out []cms.Change
	for _, s := range m.subs {
		out = append(out, s.Next()...)
	}
	return out
}

func (m *mergedSub) Close() {
	close(m.done)
	m.wg.Wait()
	for _, s := range m.subs {
		s.Close()
	}
}

// Ready is signalled when Next has something to return.
func (f *LiveFeed) Ready() <-chan struct{} { return f.sub.Ready() }

// Next returns the changes queued so far.
func (f *LiveFeed) Next() []LiveChange {
	cs := f.sub.Next()
	out := make([]LiveChange, 0, len(cs))
	for _, c := range cs {
		out = append(out, LiveChange{WatchEvent: NewWatchEvent(c), Line: FormatWatchLine(c, f.loc)})
	}
	return out
}

// Close ends the feed.
func (f *LiveFeed) Close() { f.sub.Close() }

// Subscribe returns the live state's change stream, lines in loc's clock, or nil when the
// cluster keeps no live state (then nothing can stay current by itself).
func (s *Service) Subscribe(loc *time.Location) *LiveFeed {
	if loc == nil {
		loc = time.UTC
	}
	var subs []*cms.Subscription
	for _, c := range s.clusters {
		lc, ok := c.cluster.(interface{ Live() *cms.Live })
		if !ok {
			continue
		}
		if l := lc.Live(); l != nil {
			subs = append(subs, l.Subscribe())
		}
	}
	switch len(subs) {
	case 0:
		return nil
	case 1:
		return &LiveFeed{sub: subs[0], loc: loc}
	}
	return &LiveFeed{sub: mergeSubs(subs), loc: loc}
}
