package cms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrUnknownNode is returned when an action names a node that is not configured.
var ErrUnknownNode = errors.New("unknown CMS node")

// defaultDetailConcurrency bounds detail reads per node when its config names no cap; it
// matches the Node's own default so the cluster never queues more work than the node admits.
const defaultDetailConcurrency = 8

// Cluster is every configured call bridge, queried concurrently and seen as one.
type Cluster struct {
	nodes  []*Node
	byName map[string]*Node

	// flights coalesces identical in-flight reads (Meetings, Roster): a burst of Refresh
	// clicks costs one fan-out, not one per click.
	flights coalescer
	// gen counts writes through the cluster; a read only shares a flight (or a recent result)
	// of the same generation, so a read that starts after a write never gets an older read
	// (a user who mutes sees the mute).
	gen atomic.Uint64

	mu        sync.Mutex
	bridgeIDs map[string]string // node name -> its own /callBridges id, once learnt

	live liveLink // reads from live state when fresh (liveread.go)

	mediaAlarms mediaAlarmCache // MediaAlarms' last read (system.go)
}

// NewCluster returns the cluster of these nodes, in this order (the order of every listing).
func NewCluster(nodes []*Node) *Cluster {
	c := &Cluster{
		byName:    make(map[string]*Node, len(nodes)),
		bridgeIDs: make(map[string]string),
	}
	c.nodes = slices.DeleteFunc(slices.Clone(nodes), func(n *Node) bool { return n == nil })
	for _, n := range c.nodes {
		if _, dup := c.byName[n.Name()]; !dup {
			c.byName[n.Name()] = n
		}
	}
	return c
}

// Nodes returns the nodes in configuration order.
func (c *Cluster) Nodes() []*Node { return c.nodes }

// Node returns the node of that name.
func (c *Cluster) Node(name string) (*Node, bool) {
	n, ok := c.byName[name]
	return n, ok
}

// node is Node with an error that tells the operator which names are valid.
func (c *Cluster) node(name string) (*Node, error) {
	if n, ok := c.byName[name]; ok {
		return n, nil
	}
	names := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		names[i] = n.Name()
	}
	return nil, fmt.Errorf("%w %q (configured: %s)", ErrUnknownNode, name, strings.Join(names, ", "))
}

// Meeting is one meeting across the cluster: every call instance sharing a callCorrelator.
type Meeting struct {
	Correlator      string         // callCorrelator (the call id when CMS reports none)
	Name            string         //
	Instances       []CallInstance // one per hosting node, in node order
	Participants    int            // real participants over all nodes (sum of numParticipantsLocal)
	DurationSeconds int            // the longest instance
	// Lobby is how many participants wait in the lobby (their legs are deactivated); nil when
	// not counted. Live state counts it; a REST read leaves it for CompleteState.
	Lobby *int
	// PresenterName names the participant whose leg is presenterCallLeg, "" when nobody
	// presents or the name is not known.
	PresenterName string
}

// CallInstance is the meeting's call object on one node.
type CallInstance struct {
	Node string
	Call CallDetail
}

// NodeNames lists the nodes hosting the meeting.
func (m Meeting) NodeNames() []string {
	names := make([]string, 0, len(m.Instances))
	for _, in := range m.Instances {
		if !slices.Contains(names, in.Node) {
			names = append(names, in.Node)
		}
	}
	return names
}

// Instance returns the meeting's call instance on that node.
func (m Meeting) Instance(node string) (CallInstance, bool) {
	for _, in := range m.Instances {
		if in.Node == node {
			return in, true
		}
	}
	return CallInstance{}, false
}

// MeetingList is Meetings' result: what could be read, and which nodes could not be.
type MeetingList struct {
	Meetings []Meeting // sorted by name, then correlator
	Failed   []NodeError
}

// nodeResult is one node's share of a fan-out: whatever was read, and why it is incomplete.
type nodeResult[T any] struct {
	items []T
	err   error
}

// fanOut runs fn on every node concurrently and returns the results in node order. A failing
// node never cancels its siblings: partial results are the point.
func fanOut[T any](ctx context.Context, nodes []*Node, fn func(context.Context, *Node) ([]T, error)) []nodeResult[T] {
	out := make([]nodeResult[T], len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			items, err := fn(ctx, n)
			out[i] = nodeResult[T]{items: items, err: err}
		})
	}
	wg.Wait()
	return out
}

// failedNodes turns every fan-out error into a NodeError, in node order.
func failedNodes[T any](nodes []*Node, res []nodeResult[T]) []NodeError {
	var failed []NodeError
	for i, r := range res {
		if r.err != nil {
			failed = append(failed, NodeError{Node: nodes[i].Name(), Err: r.err})
		}
	}
	return failed
}

// everyNodeFailed returns one NodeError per node carrying err (the caller gave up waiting).
func everyNodeFailed(nodes []*Node, err error) []NodeError {
	failed := make([]NodeError, len(nodes))
	for i, n := range nodes {
		failed[i] = NodeError{Node: n.Name(), Err: err}
	}
	return failed
}

// Meetings lists every active meeting across the cluster. Concurrent calls share one read
// (nothing is cached once it finishes); a node that cannot be read is listed in Failed and the
// rest is returned. If ctx ends first, every node is reported failed with ctx's error.
func (c *Cluster) Meetings(ctx context.Context) MeetingList {
	if ml, ok := c.liveMeetings(); ok {
		return ml
	}
	v, err := c.flights.doGen(ctx, "meetings", c.gen.Load(), func(ctx context.Context) any {
		return c.readMeetings(ctx)
	})
	if err != nil {
		return MeetingList{Failed: everyNodeFailed(c.nodes, err)}
	}
	return v.(MeetingList)
}

func (c *Cluster) readMeetings(ctx context.Context) MeetingList {
	res := fanOut(ctx, c.nodes, nodeCalls)
	return MeetingList{Meetings: mergeMeetings(c.nodes, res), Failed: failedNodes(c.nodes, res)}
}

// nodeCalls reads every call on n with its detail. A call that ended between list and detail
// is skipped; a detail that failed otherwise keeps the list's data (so the meeting still shows)
// and the node is reported as failed.
func nodeCalls(ctx context.Context, n *Node) ([]CallDetail, error) {
	detail := func(ctx context.Context, c Call) (CallDetail, bool, error) {
		d, err := n.Call(ctx, c.ID)
		switch {
		case err == nil:
			return d, true, nil
		case errors.Is(err, ErrNotFound):
			return CallDetail{}, false, nil
		default:
			return CallDetail{Call: c}, true, err
		}
	}
	return listWithDetail(ctx, n, decodeCalls, func(c Call) string { return c.ID }, detail, "calls")
}

// listWithDetail lists the collection at segs on n and reads each item's detail as soon as the
// page holding it arrives, rather than after the last page: on a big node the detail reads
// then overlap the paging, which is most of the critical path. detail reports whether to keep
// the item; its errors are collected, never fatal. The result follows list order.
func listWithDetail[T, D any](ctx context.Context, n *Node, decode pageDecoder[T], id func(T) string,
	detail func(context.Context, T) (D, bool, error), segs ...string) ([]D, error) {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		seen    []string // ids in the order their pages arrived
		started = make(map[string]bool)
		results = make(map[string]D)
		errs    []error
	)
	// At most detailLimit workers read details, taking items from pending: a goroutine per item
	// would let one huge page cost a goroutine stack per item before any slot is free.
	var (
		pending []T
		workers int
		limit   = detailLimit(n)
	)
	work := func() {
		for {
			mu.Lock()
			if len(pending) == 0 {
				workers--
				mu.Unlock()
				return
			}
			item := pending[0]
			pending = pending[1:]
			mu.Unlock()
			d, keep, err := detail(ctx, item)
			mu.Lock()
			if keep {
				results[id(item)] = d
			}
			if err != nil {
				errs = append(errs, err)
			}
			mu.Unlock()
		}
	}
	// The decoder runs once per page as it arrives; pages may overlap, so each id starts once.
	streaming := func(body []byte) (int, []T, error) {
		total, items, err := decode(body)
		if err == nil {
			err = checkTotal(total) // before any detail read is started for a refused page
		}
		if err != nil {
			return total, items, err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, it := range items {
			if k := id(it); !started[k] {
				started[k] = true
				seen = append(seen, k)
				pending = append(pending, it)
				if workers < limit {
					workers++
					wg.Go(work)
				}
			}
		}
		return total, items, nil
	}
	items, err := fetchAll(ctx, n, nil, streaming, id, segs...)
	wg.Wait()
	order := seen
	if err == nil {
		order = make([]string, len(items))
		for i, it := range items {
			order[i] = id(it)
		}
	}
	out := make([]D, 0, len(results))
	for _, k := range order {
		if d, ok := results[k]; ok {
			out = append(out, d)
		}
	}
	return out, firstError(err, errs)
}

// forEachBounded calls fn(i) for i in [0,n) with at most limit calls in flight.
func forEachBounded(limit, n int, fn func(i int)) {
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// detailLimit is how many detail reads the cluster keeps in flight on n: the node's own cap,
// so the cluster does not pile goroutines behind the node's semaphore.
func detailLimit(n *Node) int {
	if n.cfg.MaxConcurrency > 0 {
		return n.cfg.MaxConcurrency
	}
	return defaultDetailConcurrency
}

// firstError returns first if set, else the first non-nil error of errs.
func firstError(first error, errs []error) error {
	if first != nil {
		return first
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeMeetings merges call instances by callCorrelator, in node order.
func mergeMeetings(nodes []*Node, res []nodeResult[CallDetail]) []Meeting {
	byKey := make(map[string]*Meeting)
	var order []string
	for i, r := range res {
		for _, call := range r.items {
			key := cmp.Or(call.CallCorrelator, call.ID)
			m, ok := byKey[key]
			if !ok {
				m = &Meeting{Correlator: key}
				byKey[key] = m
				order = append(order, key)
			}
			m.Instances = append(m.Instances, CallInstance{Node: nodes[i].Name(), Call: call})
			m.Participants += call.NumParticipantsLocal
			m.DurationSeconds = max(m.DurationSeconds, call.DurationSeconds)
			if m.Name == "" {
				m.Name = call.Name
			}
		}
	}
	out := make([]Meeting, len(order))
	for i, key := range order {
		out[i] = *byKey[key]
	}
	slices.SortFunc(out, func(a, b Meeting) int {
		return cmp.Or(compareNames(a.Name, b.Name), cmp.Compare(a.Correlator, b.Correlator))
	})
	return out
}

// compareNames orders names as people read them (case-insensitively), with a byte-wise
// tie-break so the order is total and stable across refreshes.
func compareNames(a, b string) int {
	return cmp.Or(cmp.Compare(strings.ToLower(a), strings.ToLower(b)), cmp.Compare(a, b))
}

// RosterEntry is one participant leg with the node that hosts it.
type RosterEntry struct {
	Node string
	Leg  CallLegDetail
}

// Roster is a meeting's participant legs on every node (distribution links dropped).
type Roster struct {
	Meeting Meeting
	Legs    []RosterEntry // sorted by name, then leg id
	Failed  []NodeError
}

// Roster reads the meeting's legs (with detail) on every node hosting it. Concurrent calls for
// the same meeting share one read; a leg that ends between list and detail is skipped.
func (c *Cluster) Roster(ctx context.Context, m Meeting) Roster {
	if r, ok := c.liveRoster(m); ok {
		return r
	}
	key := rosterKey(m)
	v, err := c.flights.doGen(ctx, key, c.gen.Load(), func(ctx context.Context) any {
		return c.readRoster(ctx, m, nil)
	})
	if err != nil {
		failed := make([]NodeError, 0, len(m.Instances))
		for _, name := range m.NodeNames() {
			failed = append(failed, NodeError{Node: name, Err: err})
		}
		return Roster{Meeting: m, Failed: failed}
	}
	r := v.(Roster)
	r.Meeting = m
	return r
}

// rosterKey identifies a roster read by the call instances it covers, so two callers holding
// different snapshots of one meeting do not share a read of the wrong calls.
func rosterKey(m Meeting) string {
	var b strings.Builder
	b.WriteString("roster\x00")
	b.WriteString(m.Correlator)
	for _, in := range m.Instances {
		b.WriteString("\x00" + in.Node + "/" + in.Call.ID)
	}
	return b.String()
}

// readRoster reads every instance's legs; onLeg, when set, sees each participant leg as it
// arrives.
func (c *Cluster) readRoster(ctx context.Context, m Meeting, onLeg func(RosterEntry)) Roster {
	res := make([]nodeResult[RosterEntry], len(m.Instances))
	var wg sync.WaitGroup
	for i, in := range m.Instances {
		n, err := c.node(in.Node)
		if err != nil {
			res[i].err = err
			continue
		}
		wg.Go(func() {
			legs, err := instanceLegs(ctx, n, in.Call.ID, onLeg)
			res[i] = nodeResult[RosterEntry]{items: legs, err: err}
		})
	}
	wg.Wait()
	r := Roster{Meeting: m}
	for i, x := range res {
		r.Legs = append(r.Legs, x.items...)
		if x.err != nil {
			r.Failed = append(r.Failed, NodeError{Node: m.Instances[i].Node, Err: x.err})
		}
	}
	slices.SortFunc(r.Legs, func(a, b RosterEntry) int {
		return cmp.Or(compareNames(a.Leg.Name, b.Leg.Name), cmp.Compare(a.Leg.ID, b.Leg.ID))
	})
	return r
}

// instanceLegs reads one call instance's participant legs with detail on its node, handing
// each to onLeg (when set) as soon as its detail is read.
func instanceLegs(ctx context.Context, n *Node, callID string, onLeg func(RosterEntry)) ([]RosterEntry, error) {
	if strings.TrimSpace(callID) == "" {
		return nil, fmt.Errorf("call instance without an id: %w", ErrParameter)
	}
	detail := func(ctx context.Context, l CallLeg) (RosterEntry, bool, error) {
		d, err := n.CallLeg(ctx, l.ID)
		switch {
		case err == nil:
			e := RosterEntry{Node: n.Name(), Leg: d}
			if onLeg != nil && !d.IsDistributionLink() {
				onLeg(e)
			}
			return e, !d.IsDistributionLink(), nil
		case errors.Is(err, ErrCallLegNotFound):
			return RosterEntry{}, false, nil // the participant hung up between list and detail
		default:
			return RosterEntry{}, false, err
		}
	}
	legs, err := listWithDetail(ctx, n, decodeCallLegs, func(l CallLeg) string { return l.ID }, detail,
		"calls", callID, "callLegs")
	if errors.Is(err, ErrCallNotFound) {
		return legs, nil // the instance ended since the meeting was listed: nobody is left there
	}
	return legs, err
}

// Leg reads one leg's detail from its node.
func (c *Cluster) Leg(ctx context.Context, node, legID string) (CallLegDetail, error) {
	n, err := c.node(node)
	if err != nil {
		return CallLegDetail{}, err
	}
	d, err := n.CallLeg(ctx, legID)
	if err != nil {
		return CallLegDetail{}, NodeError{Node: node, Err: err}
	}
	return d, nil
}

// onNode runs a single write to what on the named node and ties its error to that node.
func (c *Cluster) onNode(node string, what writeKey, fn func(*Node) error) error {
	n, err := c.node(node)
	if err != nil {
		return err
	}
	// Bumped even on failure: a write that timed out may still have been applied.
	defer c.gen.Add(1)
	c.live.wrote(node, what)
	if err := fn(n); err != nil {
		return NodeError{Node: node, Err: err}
	}
	return nil
}

type notBeforeKey struct{}

// ReadsNotBefore returns a context under which Meetings and Roster may answer with the result of
// an identical read that started at or after t, made for another caller, instead of reading
// again. Set t to when the user asked: data read after that is as fresh as they can expect,
// and a burst of identical requests queued behind each other then costs one read, not one per
// request (a request that waits for a worker would otherwise miss the in-flight read).
func ReadsNotBefore(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, notBeforeKey{}, t)
}

func readsNotBefore(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(notBeforeKey{}).(time.Time)
	return t, ok && !t.IsZero()
}

// UpdateLeg changes a leg on the node hosting it (the only node that knows the leg).
func (c *Cluster) UpdateLeg(ctx context.Context, node, legID string, u LegUpdate) error {
	return c.onNode(node, writeKey{writeLeg, legID}, func(n *Node) error { return n.UpdateCallLeg(ctx, legID, u) })
}

// DeleteLeg disconnects a leg on the node hosting it.
func (c *Cluster) DeleteLeg(ctx context.Context, node, legID string) error {
	return c.onNode(node, writeKey{writeLeg, legID}, func(n *Node) error { return n.DeleteCallLeg(ctx, legID) })
}

// AddLeg dials remoteParty out from the named node into its instance callID; it returns the
// new leg id (hosted by that node).
func (c *Cluster) AddLeg(ctx context.Context, node, callID, remoteParty string) (string, error) {
	var id string
	err := c.onNode(node, writeKey{writeRoster, callID}, func(n *Node) (err error) {
		id, err = n.AddCallLeg(ctx, callID, remoteParty)
		return err
	})
	return id, err
}

// UpdateCall changes one call instance; CMS applies call settings per node.
func (c *Cluster) UpdateCall(ctx context.Context, node, callID string, u CallUpdate) error {
	err := c.onNode(node, writeKey{writeCall, callID}, func(n *Node) error { return n.UpdateCall(ctx, callID, u) })
	if err == nil {
		c.noteCallWrite(node, callID, u)
	}
	return err
}

// UpdateParticipant changes a participant on the node hosting it (others refuse with
// participantCannotBeModified).
func (c *Cluster) UpdateParticipant(ctx context.Context, node, participantID string, u ParticipantUpdate) error {
	err := c.onNode(node, writeKey{writePart, participantID}, func(n *Node) error {
		return n.UpdateParticipant(ctx, participantID, u)
	})
	if err == nil {
		c.noteParticipantWrite(node, participantID, u)
	}
	return err
}

// NodeStatus is one node's health as seen by Status.
type NodeStatus struct {
	Node    string
	Status  SystemStatus
	Latency time.Duration
	Err     error // nil when reachable
	// Live says where the node's live state comes from and since when; nil without live state.
	Live *NodeLiveness
}

// Status reads GET /system/status on every node concurrently.
func (c *Cluster) Status(ctx context.Context) []NodeStatus {
	if st, ok := c.liveStatus(); ok {
		return st
	}
	out := make([]NodeStatus, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Go(func() {
			start := time.Now()
			st, err := n.SystemStatus(ctx)
			out[i] = NodeStatus{Node: n.Name(), Status: st, Latency: time.Since(start), Err: err}
		})
	}
	wg.Wait()
	c.addLiveness(out)
	return out
}

// coalescer shares one in-flight read among every caller asking for the same key. Unlike
// singleflight, the shared work runs on its own context and is cancelled only when its last
// waiter gives up, so one impatient caller cannot fail the read for the others. Nothing is
// kept once the read finishes: this is coalescing, not caching.
type coalescer struct {
	mu      sync.Mutex
	flights map[string]*flight
	// recent keeps each key's last completed result for callers that accept any read started
	// after they asked (ReadsNotBefore); entries older than recentKeep are dropped.
	recent map[string]finished
}

type flight struct {
	done    chan struct{}
	val     any
	waiters int
	cancel  context.CancelFunc
	started time.Time
	gen     uint64
}

type finished struct {
	val     any
	started time.Time
	gen     uint64
}

// recentKeep bounds how long a completed read is kept for late joiners: longer than a request
// can plausibly wait in the bot's queue, short enough that the table stays small.
const recentKeep = time.Minute

// do returns fn's result for key, running fn at most once for concurrent callers. It returns
// ctx.Err() if ctx ends first.
func (g *coalescer) do(ctx context.Context, key string, fn func(context.Context) any) (any, error) {
	return g.doGen(ctx, key, 0, fn)
}

// doGen is do for a caller that has seen gen writes: it joins only a flight (or, under
// ReadsNotBefore, a recent result) of that generation; a newer generation starts a new flight,
// which takes the key over while the older one finishes for its own waiters.
func (g *coalescer) doGen(ctx context.Context, key string, gen uint64, fn func(context.Context) any) (any, error) {
	g.mu.Lock()
	if g.flights == nil {
		g.flights = make(map[string]*flight)
	}
	if asked, ok := readsNotBefore(ctx); ok {
		if r, ok := g.recent[key]; ok && r.gen == gen && !r.started.Before(asked) {
			g.mu.Unlock()
			return r.val, nil
		}
	}
	f, ok := g.flights[key]
	if !ok || f.gen != gen {
		// Keep ctx's values (loggers, request ids) but not its cancellation: the work belongs
		// to every waiter.
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel, started: time.Now(), gen: gen}
		g.flights[key] = f
		go g.run(fctx, key, f, fn)
	}
	f.waiters++
	g.mu.Unlock()

	select {
	case <-f.done:
		return f.val, nil
	case <-ctx.Done():
		g.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			f.cancel()
			g.forget(key, f)
		}
		g.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (g *coalescer) run(ctx context.Context, key string, f *flight, fn func(context.Context) any) {
	defer f.cancel()
	f.val = fn(ctx)
	g.mu.Lock()
	g.forget(key, f)
	if ctx.Err() == nil { // a read every waiter abandoned is no answer for anyone
		g.remember(key, finished{val: f.val, started: f.started, gen: f.gen})
	}
	g.mu.Unlock()
	close(f.done)
}

// remember keeps r as key's latest result and drops expired ones; g.mu is held.
func (g *coalescer) remember(key string, r finished) {
	if g.recent == nil {
		g.recent = make(map[string]finished)
	}
	for k, old := range g.recent {
		if time.Since(old.started) > recentKeep {
			delete(g.recent, k)
		}
	}
	if old, ok := g.recent[key]; !ok || old.gen < r.gen || (old.gen == r.gen && !old.started.After(r.started)) {
		g.recent[key] = r
	}
}

// forget removes f from the table unless a newer flight already took its key; g.mu is held.
func (g *coalescer) forget(key string, f *flight) {
	if g.flights[key] == f {
		delete(g.flights, key)
	}
}

// ParticipantOfRosterLeg finds the participant owning a leg already read (a roster entry)
// through the documented endpoints (GET /participants/<id>/callLegs, then GET
// /calls/<id>/participants). Its status/groupId, which names the participant on CMS, and its
// id (in CMS samples a SIP participant shares its leg's id) are tried first as hints, each
// verified, never trusted (cms-api.md 3.5); the usual case costs one read.
func (c *Cluster) ParticipantOfRosterLeg(ctx context.Context, e RosterEntry) (string, error) {
	n, err := c.node(e.Node)
	if err != nil {
		return "", err
	}
	var hints []string
	if g := e.Leg.Status.GroupID; g != "" {
		hints = append(hints, g)
	}
	if e.Leg.ID != e.Leg.Status.GroupID {
		hints = append(hints, e.Leg.ID)
	}
	for _, pid := range hints {
		if ok, _ := ownsLeg(ctx, n, pid, e.Leg.ID); ok {
			return pid, nil
		}
	}
	pid, err := c.scanParticipants(ctx, n, e.Leg.Call, e.Leg.ID)
	if err != nil {
		return "", NodeError{Node: e.Node, Err: err}
	}
	return pid, nil
}

// LocalParticipants lists the participants of call instance callID that the node itself hosts.
// The node's own callBridge id filters the list on CMS when it is known (a 300-person meeting
// on 8 nodes is then ~4 pages per node instead of 30); remote entries are dropped either way.
func (c *Cluster) LocalParticipants(ctx context.Context, node, callID string) ([]Participant, error) {
	n, err := c.node(node)
	if err != nil {
		return nil, err
	}
	ps, err := n.CallParticipants(ctx, callID, c.ownBridgeID(ctx, n))
	if err != nil {
		return nil, NodeError{Node: node, Err: err}
	}
	return slices.DeleteFunc(ps, func(p Participant) bool { return p.CallBridge != "" }), nil
}
