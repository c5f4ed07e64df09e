package commands

import (
	"context"
	"strings"
	"sync"

	"github.com/nfmm/nfmm/cms"
)

// rosterStreamer is what the pipelined presenter mode needs of *cms.Cluster: the meeting from
// the calls lists alone, its call details apart, and a roster that hands over each leg as its
// detail arrives.
type rosterStreamer interface {
	listedResolver
	StreamRoster(ctx context.Context, m cms.Meeting, onLeg func(cms.RosterEntry)) cms.Roster
}

// Presenter mode, pipelined. What it changes and reports is exactly what the sequential version
// (resolve, roster, then writes) does; only the order of independent requests differs:
//
//   - reads that change nothing start as soon as the meeting is resolved: the call details and
//     each node's own participants run alongside the roster;
//   - a leg's PUT is sent as soon as its detail is read, once it is decided that the operation
//     goes ahead: for "off" when the first leg arrives (the only refusal, "no leg could be
//     read", is then ruled out); for "on" when the presenter is known, which for an exact leg
//     id is when that leg arrives (an exact id wins whatever else the roster holds), else when
//     the whole roster is read;
//   - nothing is written before that decision: a refused operation changes nothing.
type presenterRun struct {
	s   *Service
	c   Command
	m   cms.Meeting // from the calls lists
	ctx context.Context

	mu       sync.Mutex
	decided  bool
	pres     *cms.RosterEntry // nil for off
	pending  []cms.RosterEntry
	outcome  map[legKey]error
	puts     sync.WaitGroup
	decision chan struct{} // closed once decided
	abort    chan struct{} // closed when the operation is refused before any write
	perNode  map[string]chan struct{}
}

type legKey struct{ node, id string }

func (s *Service) presenterStreamed(ctx context.Context, st rosterStreamer, c Command) (*ActionResult, error) {
	m, unread, err := st.ResolveMeetingListed(ctx, c.Meeting)
	if err != nil {
		return nil, wrapErr("", err)
	}
	p := &presenterRun{s: s, c: c, m: m, ctx: ctx, outcome: map[legKey]error{},
		decision: make(chan struct{}), abort: make(chan struct{})}
	if s.perNode > 0 {
		p.perNode = map[string]chan struct{}{}
		for _, n := range m.NodeNames() {
			p.perNode[n] = make(chan struct{}, s.perNode)
		}
	}
	var (
		md      cms.Meeting
		badCall []cms.NodeError
		derr    error
		parts   = p.listParticipants()
		details = make(chan struct{})
	)
	go func() {
		defer close(details)
		md, badCall, derr = st.MeetingDetails(ctx, m)
		if derr != nil { // every instance ended: no call left to change
			md = cms.Meeting{Correlator: m.Correlator, Name: m.Name}
		}
	}()
	side := p.sideWrites(&md, details, parts)
	ro := st.StreamRoster(ctx, m, p.onLeg)
	<-details
	ro.Failed = mergeFailed(mergeFailed(ro.Failed, badCall), unread)
	if err := p.decideAtEnd(ro, derr); err != nil {
		close(p.abort)
		parts.wait()
		<-side.done
		return nil, err
	}
	return p.finish(md, ro, parts, side), nil
}

// sideResults are the call and importance changes, made once the operation goes ahead.
type sideResults struct {
	calls, imp *ActionResult
	done       chan struct{}
}

// sideWrites changes the calls' mute-on-join and the importances as soon as the operation is
// decided and the call details (the "before" of mute-on-join) are read; *md is set by then.
func (p *presenterRun) sideWrites(md *cms.Meeting, details <-chan struct{}, parts *participantLists) *sideResults {
	sr := &sideResults{calls: &ActionResult{}, imp: &ActionResult{}, done: make(chan struct{})}
	go func() {
		defer close(sr.done)
		select {
		case <-p.decision:
		case <-p.abort:
			return
		}
		if p.pres != nil {
			sr.imp.Participant = displayName(p.pres.Leg)
		}
		var wg sync.WaitGroup
		// An instance that ended before its detail was read is no longer the meeting's, as
		// when the calls are listed with detail.
		list := func(in cms.CallInstance) ([]cms.Participant, error) {
			<-details
			if _, ok := md.Instance(in.Node); !ok {
				return nil, nil
			}
			return parts.of(in)
		}
		wg.Go(func() { p.s.importanceOf(p.ctx, p.m, p.pres, list, sr.imp) })
		<-details
		p.s.joinAudioMute(p.ctx, *md, !p.c.Off, sr.calls)
		wg.Wait()
	}()
	return sr
}

// onLeg runs on the roster's reading goroutines for each participant leg as it arrives.
func (p *presenterRun) onLeg(e cms.RosterEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.decided {
		switch {
		case p.c.Off:
			p.decideLocked(nil)
		case p.isExactPresenter(e):
			p.decideLocked(&e)
		default:
			p.pending = append(p.pending, e)
			return
		}
	}
	p.putLocked(e)
}

// isExactPresenter reports whether e is the leg the command names by its full id; pickPresenter
// returns such a leg whatever else the roster holds.
func (p *presenterRun) isExactPresenter(e cms.RosterEntry) bool {
	return strings.EqualFold(e.Leg.ID, p.c.Participant) && (p.c.Node == "" || e.Node == p.c.Node)
}

// decideLocked lets the writes go: the queued legs' PUTs and, through decision, the call and
// importance changes. p.mu is held.
func (p *presenterRun) decideLocked(pres *cms.RosterEntry) {
	p.decided, p.pres = true, pres
	close(p.decision)
	for _, e := range p.pending {
		p.putLocked(e)
	}
	p.pending = nil
}

// putLocked sends e's PUT on its own goroutine; p.mu is held.
func (p *presenterRun) putLocked(e cms.RosterEntry) {
	k := legKey{e.Node, e.Leg.ID}
	if _, dup := p.outcome[k]; dup {
		return
	}
	p.outcome[k] = nil
	u := presenterUpdate(e, p.pres)
	p.puts.Go(func() {
		if sem := p.perNode[e.Node]; sem != nil {
			sem <- struct{}{}
			defer func() { <-sem }()
		}
		err := p.s.cluster.UpdateLeg(p.ctx, e.Node, e.Leg.ID, u)
		p.mu.Lock()
		p.outcome[k] = err
		p.mu.Unlock()
	})
}

// decideAtEnd takes the decision the arriving legs did not: it refuses as the sequential
// version does (nothing read, or no such presenter), or lets the writes go.
func (p *presenterRun) decideAtEnd(ro cms.Roster, derr error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.decided {
		return nil
	}
	if len(ro.Legs) == 0 && len(ro.Failed) > 0 {
		return wrapErr(ro.Failed[0].Node, ro.Failed[0])
	}
	if derr != nil { // every instance ended since the list: the meeting is over
		return wrapErr("", &cms.UnknownRefError{Kind: "meeting", Ref: p.c.Meeting})
	}
	var pres *cms.RosterEntry
	if !p.c.Off {
		var err error
		if pres, err = pickPresenter(ro.Legs, p.c.Participant, p.c.Node); err != nil {
			return err
		}
	}
	p.decideLocked(pres)
	return nil
}

// participantLists is each instance's own participants, listed while the roster is read.
type participantLists struct {
	wg     sync.WaitGroup
	cancel context.CancelFunc
	byNode map[string]*nodeParticipants
}

type nodeParticipants struct {
	done chan struct{}
	ps   []cms.Participant
	err  error
}

// listParticipants starts listing every instance's own participants (reads only).
func (p *presenterRun) listParticipants() *participantLists {
	ctx, cancel := context.WithCancel(p.ctx)
	l := &participantLists{cancel: cancel, byNode: map[string]*nodeParticipants{}}
	for _, in := range p.m.Instances {
		np := &nodeParticipants{done: make(chan struct{})}
		l.byNode[in.Node] = np
		l.wg.Go(func() {
			defer close(np.done)
			np.ps, np.err = p.s.localParticipants(ctx, in)
		})
	}
	return l
}

// wait gives up the lists (the operation was refused) and waits for their goroutines.
func (l *participantLists) wait() {
	l.cancel()
	l.wg.Wait()
}

// of returns in's participants once listed.
func (l *participantLists) of(in cms.CallInstance) ([]cms.Participant, error) {
	if np := l.byNode[in.Node]; np != nil {
		<-np.done
		return np.ps, np.err
	}
	return nil, nil
}

// finish runs the call and importance changes, waits for every leg's PUT and reports in the
// order the sequential version does: unread nodes, legs (roster order), calls, importance.
func (p *presenterRun) finish(md cms.Meeting, ro cms.Roster, parts *participantLists, side *sideResults) *ActionResult {
	defer parts.cancel()
	r := &ActionResult{Op: OpPresenter, Meeting: summarize(md)}
	if p.pres != nil {
		r.Participant, r.LegID, r.Node = displayName(p.pres.Leg), p.pres.Leg.ID, p.pres.Node
	}
	for _, f := range ro.Failed {
		r.Failed = append(r.Failed, LegFailure{Node: f.Node, Reason: "legs not read: " + reason(f.Node, f.Err)})
	}
	p.puts.Wait()
	<-side.done
	legs := &ActionResult{}
	for _, e := range ro.Legs {
		if err, sent := p.outcome[legKey{e.Node, e.Leg.ID}]; sent {
			recordLeg(legs, e, p.pres, err)
		}
	}
	for _, part := range []*ActionResult{legs, side.calls, side.imp} {
		r.Updated += part.Updated
		r.Gone = append(r.Gone, part.Gone...)
		r.Failed = append(r.Failed, part.Failed...)
		r.Changes = append(r.Changes, part.Changes...)
	}
	r.Summary = presenterSummary(r, p.c.Off, len(ro.Legs))
	return r
}
