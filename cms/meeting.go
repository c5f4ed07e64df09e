package cms

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"sync"
)

// The intention-level reads and writes commands asks for. Every round trip they send is
// planned here: what may run alongside what, and what must wait for which answer.

// NodeNames lists the configured nodes' names in configuration order.
func (c *Cluster) NodeNames() []string {
	names := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		names[i] = n.Name()
	}
	return names
}

// FindMeeting finds the meeting a user named from the calls lists alone (one round trip): a
// callCorrelator, a node-local call id, a unique prefix (≥4 chars) of either, or a unique
// case-insensitive substring of the name. Exact ids win over prefixes, prefixes over names, and
// an exact name over a name substring. The instances hold only what the lists say (no counters,
// no joinAudioMuteOverride: MeetingDetails fills them in); failed names the nodes whose calls
// could not be listed, where the meeting may also be. Errors: *AmbiguousError (lists
// candidates), *UnknownRefError (Is ErrNotFound), *AllNodesFailedError when no node could be
// searched.
func (c *Cluster) FindMeeting(ctx context.Context, ref string) (m Meeting, failed []NodeError, err error) {
	return c.resolveMeetingIn(ctx, ref, c.listedMeetings)
}

// MeetingRoster finds the meeting ref names and reads its roster and its call details at once:
// the roster's Meeting carries the details, and Failed names every node that could not be
// listed, whose call could not be read or whose legs could not be read. A meeting whose every
// instance ended since the list is unknown (*UnknownRefError). Concurrent callers for the same
// instances share the reads.
func (c *Cluster) MeetingRoster(ctx context.Context, ref string) (Roster, error) {
	m, unread, err := c.FindMeeting(ctx, ref)
	if err != nil {
		return Roster{}, err
	}
	var (
		ro      Roster
		wg      sync.WaitGroup
		md      Meeting
		badCall []NodeError
		derr    error
	)
	wg.Go(func() { ro = c.Roster(ctx, m) })
	md, badCall, derr = c.MeetingDetails(ctx, m)
	wg.Wait()
	if errors.Is(derr, ErrNotFound) {
		return Roster{}, &UnknownRefError{Kind: "meeting", Ref: ref}
	}
	if derr != nil {
		return Roster{}, derr
	}
	ro.Meeting = md
	ro.Failed = mergeNodeErrors(ro.Failed, badCall, unread)
	return ro, nil
}

// mergeNodeErrors appends the errors of later lists for nodes not already named.
func mergeNodeErrors(lists ...[]NodeError) []NodeError {
	var out []NodeError
	for _, l := range lists {
		for _, e := range l {
			if !containsNode(out, e.Node) {
				out = append(out, e)
			}
		}
	}
	return out
}

func containsNode(errs []NodeError, node string) bool {
	for _, e := range errs {
		if e.Node == node {
			return true
		}
	}
	return false
}

// LegInCall is a participant leg with the call instance it belongs to on its node.
type LegInCall struct {
	Node string
	Leg  CallLegDetail
	// Call is the leg's call instance (its callCorrelator names the meeting); CallErr says why
	// it could not be read, and then Call holds only its id.
	Call    CallDetail
	CallErr error
}

// Correlator is the meeting the leg's call belongs to ("" when the call could not be read).
func (l LegInCall) Correlator() string {
	if l.CallErr != nil {
		return ""
	}
	return cmp.Or(l.Call.CallCorrelator, l.Call.ID)
}

// FindLeg finds a participant leg by reference (a full id, or a unique prefix of at least four
// characters) and reads its call. With node set and a full id (what a button carries) that is
// two requests on that node: the leg, then its call; a leg that node does not host is looked
// for on every node (it may have moved). Errors as ResolveLeg.
func (c *Cluster) FindLeg(ctx context.Context, ref, node string) (LegInCall, error) {
	ref = strings.TrimSpace(ref)
	var out LegInCall
	found := false
	if n, ok := c.byName[node]; ok && looksLikeFullID(ref) {
		d, err := n.CallLeg(ctx, ref)
		switch {
		case err == nil && !d.IsDistributionLink():
			out, found = LegInCall{Node: node, Leg: d}, true
		case err != nil && !errors.Is(err, ErrNotFound):
			return LegInCall{}, NodeError{Node: node, Err: err}
		}
	}
	if !found {
		lr, d, err := c.resolveLegDetail(ctx, ref)
		if err != nil {
			return LegInCall{}, err
		}
		out = LegInCall{Node: lr.Node, Leg: d}
	}
	out.Call = CallDetail{Call: Call{ID: out.Leg.Call}}
	if out.Leg.Call == "" {
		out.CallErr = ErrCallNotFound
		return out, nil
	}
	call, err := c.byName[out.Node].Call(ctx, out.Leg.Call)
	if err != nil {
		out.CallErr = NodeError{Node: out.Node, Err: err}
		return out, nil
	}
	out.Call = call
	return out, nil
}

// resolveLegDetail is ResolveLeg with the leg's detail, read once: by id every node is asked
// for the leg itself; by prefix the survivors' details are kept from the distribution-link
// check when there is one hit.
func (c *Cluster) resolveLegDetail(ctx context.Context, ref string) (LegRef, CallLegDetail, error) {
	lr, d, err := c.resolveLeg(ctx, ref)
	if err != nil {
		return LegRef{}, CallLegDetail{}, err
	}
	if d != nil {
		return lr, *d, nil
	}
	detail, err := c.Leg(ctx, lr.Node, lr.LegID)
	if err != nil {
		return LegRef{}, CallLegDetail{}, err
	}
	return lr, detail, nil
}

// MeetingPlan is a change to a whole meeting: its participant legs, its call instances and
// its participants' importance. UpdateMeeting reads and writes; the plan only decides.
type MeetingPlan struct {
	// Decide is called with each participant leg as its detail arrives (final false, roster
	// nil), then, if it has not decided yet, once with final true and the whole roster. It
	// returns the change once it knows it, nil to wait for more legs; with final true it must
	// decide or refuse. An error refuses the operation, and nothing is written: writes start
	// only once decided. Calls are serialised.
	Decide func(arrived RosterEntry, roster []RosterEntry, final bool) (*MeetingChange, error)
	// Importance says the change may set importances: each instance's own participants are
	// then listed while the roster is read.
	Importance bool
	// PerNode bounds the leg writes in flight per node (0: the node's own cap alone).
	PerNode int
}

// MeetingChange is what a plan decided.
type MeetingChange struct {
	// Leg is every participant leg's update (nil: legs unchanged).
	Leg func(RosterEntry) LegUpdate
	// Call, when set, is applied to every call instance.
	Call *CallUpdate
	// Importance, when set, gives the participant of the leg Of (nil: no one) the importance
	// Value and unsets it on every other participant that has one.
	Importance *ImportanceChange
}

// ImportanceChange sets one participant's importance and clears the others'.
type ImportanceChange struct {
	Of    *RosterEntry
	Value int
}

// MeetingOutcome is what UpdateMeeting did.
type MeetingOutcome struct {
	Roster Roster // the meeting with its details, every leg read, every node not read
	Change *MeetingChange
	Legs   []LegOutcome  // the legs written, in roster order
	Calls  []CallOutcome // the instances written, in node order (Call is the detail before)
	// Importance: the participant given Value (with its error; Participant.Importance is its
	// importance before, as its node listed it), and each one cleared (as listed, before).
	Presenter    ParticipantOutcome
	Cleared      []ParticipantOutcome
	Unlisted     []NodeError // nodes whose participants could not be listed: none cleared there
	CallsChanged bool        // Change.Call was applied
}

// LegOutcome is one leg's write.
type LegOutcome struct {
	Entry RosterEntry
	Err   error
}

// CallOutcome is one call instance's write.
type CallOutcome struct {
	Instance CallInstance
	Err      error
}

// ParticipantOutcome is one participant's write.
type ParticipantOutcome struct {
	Node        string
	Participant Participant
	Err         error
}

// UpdateMeeting finds the meeting ref names and applies plan to it, pipelined: reads that
// change nothing (the call details, each node's own participants) run alongside the roster; a
// leg's write is sent as soon as its detail is read once the plan has decided; the call and
// importance writes start once decided and once the call details (their "before") are read.
// Nothing is written before the decision, so a refused operation changes nothing. The
// refusals of its own are those of MeetingRoster, plus a meeting with no leg read whose nodes
// failed (the first NodeError).
func (c *Cluster) UpdateMeeting(ctx context.Context, ref string, plan MeetingPlan) (MeetingOutcome, error) {
	m, unread, err := c.FindMeeting(ctx, ref)
	if err != nil {
		return MeetingOutcome{}, err
	}
	u := &meetingUpdate{c: c, ctx: ctx, plan: plan, m: m, outcome: map[legKey]*LegOutcome{},
		decision: make(chan struct{}), abort: make(chan struct{})}
	if plan.PerNode > 0 {
		u.perNode = map[string]chan struct{}{}
		for _, n := range m.NodeNames() {
			u.perNode[n] = make(chan struct{}, plan.PerNode)
		}
	}
	var (
		md      Meeting
		badCall []NodeError
		derr    error
		details = make(chan struct{})
		parts   = u.listParticipants()
	)
	go func() {
		defer close(details)
		md, badCall, derr = c.MeetingDetails(ctx, m)
		if derr != nil { // every instance ended: no call left to change
			md = Meeting{Correlator: m.Correlator, Name: m.Name}
		}
	}()
	side := u.sideWrites(&md, details, parts)
	ro := c.readRoster(ctx, m, u.onLeg)
	<-details
	ro.Meeting = md
	ro.Failed = mergeNodeErrors(ro.Failed, badCall, unread)
	if err := u.decideAtEnd(ro, derr, ref); err != nil {
		close(u.abort)
		parts.wait()
		<-side.done
		return MeetingOutcome{}, err
	}
	defer parts.cancel()
	u.puts.Wait()
	<-side.done
	out := MeetingOutcome{Roster: ro, Change: u.change, Calls: side.calls, Presenter: side.presenter,
		Cleared: side.cleared, Unlisted: side.unlisted, CallsChanged: u.change.Call != nil}
	for _, e := range ro.Legs {
		if o, sent := u.outcome[legKey{e.Node, e.Leg.ID}]; sent {
			out.Legs = append(out.Legs, LegOutcome{Entry: e, Err: o.Err})
		}
	}
	return out, nil
}

type legKey struct{ node, id string }

// meetingUpdate is one UpdateMeeting run.
type meetingUpdate struct {
	c    *Cluster
	ctx  context.Context
	plan MeetingPlan
	m    Meeting // from the calls lists

	mu       sync.Mutex
	decided  bool
	change   *MeetingChange
	refused  error
	pending  []RosterEntry
	outcome  map[legKey]*LegOutcome
	puts     sync.WaitGroup
	decision chan struct{} // closed once decided
	abort    chan struct{} // closed when refused before any write
	perNode  map[string]chan struct{}
}

// onLeg runs on the roster's reading goroutines for each participant leg as it arrives.
func (u *meetingUpdate) onLeg(e RosterEntry) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.refused != nil {
		return
	}
	if !u.decided {
		ch, err := u.plan.Decide(e, nil, false)
		switch {
		case err != nil:
			u.refused = err
			return
		case ch == nil:
			u.pending = append(u.pending, e)
			return
		}
		u.decideLocked(ch)
	}
	u.putLocked(e)
}

// decideLocked lets the writes go: the queued legs' and, through decision, the call and
// importance writes. u.mu is held.
func (u *meetingUpdate) decideLocked(ch *MeetingChange) {
	u.decided, u.change = true, ch
	close(u.decision)
	for _, e := range u.pending {
		u.putLocked(e)
	}
	u.pending = nil
}

// putLocked sends e's write on its own goroutine; u.mu is held.
func (u *meetingUpdate) putLocked(e RosterEntry) {
	if u.change.Leg == nil {
		return
	}
	k := legKey{e.Node, e.Leg.ID}
	if _, dup := u.outcome[k]; dup {
		return
	}
	o := &LegOutcome{Entry: e}
	u.outcome[k] = o
	upd := u.change.Leg(e)
	u.puts.Go(func() {
		if sem := u.perNode[e.Node]; sem != nil {
			sem <- struct{}{}
			defer func() { <-sem }()
		}
		err := u.c.UpdateLeg(u.ctx, e.Node, e.Leg.ID, upd)
		u.mu.Lock()
		o.Err = err
		u.mu.Unlock()
	})
}

// decideAtEnd takes the decision the arriving legs did not, or refuses.
func (u *meetingUpdate) decideAtEnd(ro Roster, derr error, ref string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.refused != nil {
		return u.refused
	}
	if u.decided {
		return nil
	}
	if len(ro.Legs) == 0 && len(ro.Failed) > 0 {
		return ro.Failed[0]
	}
	if derr != nil { // every instance ended since the list: the meeting is over
		return &UnknownRefError{Kind: "meeting", Ref: ref}
	}
	ch, err := u.plan.Decide(RosterEntry{}, ro.Legs, true)
	if err != nil {
		return err
	}
	if ch == nil {
		ch = &MeetingChange{}
	}
	u.decideLocked(ch)
	return nil
}

// sideResults are the call and importance writes, made once the operation goes ahead.
type sideResults struct {
	calls     []CallOutcome
	presenter ParticipantOutcome
	cleared   []ParticipantOutcome
	unlisted  []NodeError
	done      chan struct{}
}

// sideWrites runs the call and importance writes once decided and once the call details are
// read; *md is set by then.
func (u *meetingUpdate) sideWrites(md *Meeting, details <-chan struct{}, parts *participantLists) *sideResults {
	sr := &sideResults{done: make(chan struct{})}
	go func() {
		defer close(sr.done)
		select {
		case <-u.decision:
		case <-u.abort:
			return
		}
		var wg sync.WaitGroup
		if imp := u.change.Importance; imp != nil {
			// An instance that ended before its detail was read is no longer the meeting's.
			list := func(in CallInstance) ([]Participant, error) {
				<-details
				if _, ok := md.Instance(in.Node); !ok {
					return nil, nil
				}
				return parts.of(in)
			}
			wg.Go(func() { u.importance(*imp, list, sr) })
		}
		<-details
		if cu := u.change.Call; cu != nil {
			sr.calls = u.updateCalls(md.Instances, *cu)
		}
		wg.Wait()
	}()
	return sr
}

// updateCalls applies cu to every instance at once (the nodes' caps bound what reaches CMS).
func (u *meetingUpdate) updateCalls(ins []CallInstance, cu CallUpdate) []CallOutcome {
	out := make([]CallOutcome, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		out[i].Instance = in
		wg.Go(func() { out[i].Err = u.c.UpdateCall(u.ctx, in.Node, in.Call.ID, cu) })
	}
	wg.Wait()
	return out
}

// importance gives imp.Of's participant imp.Value and unsets the importance of every other
// participant that has one. Each node's participants are listed while the first is set; the
// unsets wait only for its id.
func (u *meetingUpdate) importance(imp ImportanceChange, list func(CallInstance) ([]Participant, error), sr *sideResults) {
	var presID string
	presDone := make(chan struct{})
	ins := u.m.Instances
	go func() {
		defer close(presDone)
		if imp.Of == nil {
			return
		}
		e := *imp.Of
		sr.presenter.Node = e.Node
		pid, err := u.c.ParticipantOfRosterLeg(u.ctx, e)
		sr.presenter.Participant = Participant{ID: pid, Name: e.Leg.Name}
		if err == nil {
			// The importance before, from the node's list already under way, read before the
			// write so it cannot show the new value (presenter mode off puts it back).
			sr.presenter.Participant.Importance = importanceBefore(ins, e.Node, pid, list)
			err = u.c.UpdateParticipant(u.ctx, e.Node, pid, ParticipantUpdate{Importance: Set(imp.Value)})
		}
		sr.presenter.Err = err
		if err == nil {
			presID = pid
		}
	}()
	cleared := make([][]ParticipantOutcome, len(ins))
	unlisted := make([]error, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			ps, err := list(in)
			<-presDone
			if err != nil {
				unlisted[i] = err
				return
			}
			cleared[i] = u.clearImportance(in.Node, ps, presID)
		})
	}
	wg.Wait()
	<-presDone // also when the meeting has no instances left
	for i, c := range cleared {
		if unlisted[i] != nil {
			sr.unlisted = append(sr.unlisted, NodeError{Node: ins[i].Node, Err: unlisted[i]})
		}
		sr.cleared = append(sr.cleared, c...)
	}
}

// importanceBefore is participant pid's importance in node's participant list (nil when unset,
// or when the list could not be read).
func importanceBefore(ins []CallInstance, node, pid string, list func(CallInstance) ([]Participant, error)) *int {
	for _, in := range ins {
		if in.Node != node {
			continue
		}
		ps, err := list(in)
		if err != nil {
			return nil
		}
		for _, p := range ps {
			if p.ID == pid {
				return p.Importance
			}
		}
	}
	return nil
}

// clearImportance unsets the importance of every participant in ps that has one, except keep.
func (u *meetingUpdate) clearImportance(node string, ps []Participant, keep string) []ParticipantOutcome {
	var todo []Participant
	for _, p := range ps {
		if p.Importance != nil && p.ID != keep {
			todo = append(todo, p)
		}
	}
	out := make([]ParticipantOutcome, len(todo))
	var wg sync.WaitGroup
	for i, p := range todo {
		out[i] = ParticipantOutcome{Node: node, Participant: p}
		wg.Go(func() {
			err := u.c.UpdateParticipant(u.ctx, node, p.ID, ParticipantUpdate{Importance: Unset[int]()})
			if !errors.Is(err, ErrNotFound) { // gone meanwhile: nothing left to clear
				out[i].Err = err
			}
		})
	}
	wg.Wait()
	return out
}

// participantLists is each instance's own participants, listed while the roster is read.
type participantLists struct {
	wg     sync.WaitGroup
	cancel context.CancelFunc
	byNode map[string]*nodeParticipants
}

type nodeParticipants struct {
	done chan struct{}
	ps   []Participant
	err  error
}

// listParticipants starts listing every instance's own participants when the plan may set
// importances (reads only).
func (u *meetingUpdate) listParticipants() *participantLists {
	ctx, cancel := context.WithCancel(u.ctx)
	l := &participantLists{cancel: cancel, byNode: map[string]*nodeParticipants{}}
	if !u.plan.Importance {
		return l
	}
	for _, in := range u.m.Instances {
		np := &nodeParticipants{done: make(chan struct{})}
		l.byNode[in.Node] = np
		l.wg.Go(func() {
			defer close(np.done)
			np.ps, np.err = u.c.LocalParticipants(ctx, in.Node, in.Call.ID)
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
func (l *participantLists) of(in CallInstance) ([]Participant, error) {
	if np := l.byNode[in.Node]; np != nil {
		<-np.done
		return np.ps, np.err
	}
	return nil, nil
}
