package cmssim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// state is the whole cluster: the shared database (coSpaces, callBridges) and every node's
// runtime objects. One RWMutex guards all of it; handlers hold it only while rendering.
type state struct {
	mu  sync.RWMutex
	rng *rand.Rand
	// tokens draws the event sockets' auth tokens from a stream of their own: how often a
	// client asks for one depends on timing (connects, reconnects), and must not shift the ids
	// of the meetings a test adds afterwards.
	tokens *rand.Rand
	now    func() time.Time
	start  time.Time

	nodes        []*node
	coSpaces     []*coSpace
	coSpaceByID  map[string]*coSpace
	meetings     []*meeting // in creation order
	meetingByCor map[string]*meeting
	calls        map[string]*call
	legs         map[string]*leg
	participants map[string]*participant
	sys          sysState // alarms, licensing, recording (system.go)

	// The Events API's change feed (events.go): calls changed since the last pass, why
	// participants and calls went, and the reason removals made now carry.
	dirty      map[*call]struct{}
	kick       chan struct{}
	leftReason map[string]string
	callEnded  map[string]string
	removing   string
}

type node struct {
	idx      int
	name     string
	bridgeID string
	hostID   string
	url      string
	// What /callBridges says about this node (peers.go): the address configured for it in
	// the cluster ("" = its own URL) and its SIP domain. Node-local credentials, when set,
	// replace the emulator's (SetCredentials).
	address, sipDomain string
	username, password string
	calls              []*call
	legs               []*leg // every leg hosted here, distribution links included
	legsCompleted      int
	legsMaxActive      int
}

type coSpace struct {
	id, name, uri, callID string
}

type meeting struct {
	correlator    string
	name          string
	space         *coSpace
	instances     []*call // ordered by node
	participants  []*participant
	owner         string
	activeIfEmpty bool // created without participants: stays up like activeWhenEmpty=true
}

// call is one instance of a meeting on one node.
type call struct {
	id         string
	node       *node
	m          *meeting
	legs       []*leg
	maxLegs    int
	started    time.Time
	joinMute   *bool
	locked     bool
	presenting *leg
	// Seen only through the Events API: streaming state and the active speaker.
	streaming bool
	speaker   *leg
	ctl       callControls // recording/streaming policy, permissions, banner (controls.go)
}

type participant struct {
	id         string
	m          *meeting
	owner      *node
	name, uri  string
	importance *int
	legs       []*leg
	isActor    bool
	lobby      lobbyState // waiting in the lobby, canMove, where a move came from (controls.go)
}

type tri uint8 // a PUT-able boolean: unset, false or true

const (
	triUnset tri = iota
	triFalse
	triTrue
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func (t tri) bool() bool { return t == triTrue }

const (
	muteRxAudio = iota
	muteTxAudio
	muteRxVideo
	muteTxVideo
)

type leg struct {
	id           string
	c            *call
	p            *participant // nil for a distribution link
	peer         *call        // the other instance, for a distribution link
	name         string
	remoteParty  string
	outgoing     bool
	started      time.Time
	mutes        [4]tri
	chosenLayout string
	media        media
}

func newState(opts Options) *state {
	st := &state{
		rng:          rand.New(rand.NewPCG(uint64(opts.Seed), idStream(opts.Cluster))),
		tokens:       rand.New(rand.NewPCG(uint64(opts.Seed), idStream(opts.Cluster)^0x746f6b656e73)), // "tokens"
		now:          opts.Now,
		start:        opts.Now(),
		coSpaceByID:  map[string]*coSpace{},
		meetingByCor: map[string]*meeting{},
		calls:        map[string]*call{},
		legs:         map[string]*leg{},
		participants: map[string]*participant{},
	}
	for i := range opts.Nodes {
		st.nodes = append(st.nodes, &node{idx: i, name: nodeName(opts.Cluster, i), bridgeID: st.newID(), hostID: st.newID()})
	}
	return st
}

func (st *state) populate(opts Options) error {
	switch opts.Scenario {
	case ScenarioDemo:
		st.mu.Lock()
		defer st.mu.Unlock()
		buildDemo(st)
	case ScenarioScale:
		st.mu.Lock()
		defer st.mu.Unlock()
		return buildScale(st, opts.Scale)
	}
	return nil
}

// newID returns a lowercase hyphenated UUID (version 4 layout) from the seeded generator.
func (st *state) newID() string { return uuidFrom(st.rng) }

// newToken is an event-socket token, from its own stream (state.tokens).
func (st *state) newToken() string { return uuidFrom(st.tokens) }

func uuidFrom(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	a = a&^0xf000 | 0x4000         // version 4
	b = b&^(0xc<<60) | (0x8 << 60) // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func (st *state) nodeByName(name string) *node {
	for _, n := range st.nodes {
		if strings.EqualFold(n.name, name) {
			return n
		}
	}
	return nil
}

func (st *state) newMeeting(name, owner string) *meeting {
	uri := slugify(name)
	space := &coSpace{id: st.newID(), name: name, uri: uri, callID: fmt.Sprintf("%09d", 100000000+st.rng.IntN(900000000))}
	st.coSpaces = append(st.coSpaces, space)
	st.coSpaceByID[space.id] = space
	m := &meeting{correlator: st.newID(), name: name, space: space, owner: owner}
	st.meetings = append(st.meetings, m)
	st.meetingByCor[m.correlator] = m
	return m
}

// instance returns the meeting's call on n, creating it (and its distribution links to every
// other instance) when n joins the meeting.
func (st *state) instance(m *meeting, n *node, started time.Time) *call {
	for _, c := range m.instances {
		if c.node == n {
			return c
		}
	}
	c := &call{id: st.newID(), node: n, m: m, started: started}
	for _, peer := range m.instances {
		st.addLink(c, peer, true)
		st.addLink(peer, c, false)
	}
	m.instances = append(m.instances, c)
	slices.SortFunc(m.instances, func(a, b *call) int { return a.node.idx - b.node.idx })
	n.calls = append(n.calls, c)
	st.calls[c.id] = c
	for _, in := range m.instances {
		st.touch(in) // new, or its distributedInstances count changed
	}
	return c
}

func (st *state) addLink(c, peer *call, outgoing bool) {
	host := strings.TrimPrefix(strings.TrimPrefix(peer.node.url, "https://"), "http://")
	l := &leg{id: st.newID(), c: c, peer: peer, name: peer.node.name, remoteParty: host,
		outgoing: outgoing, started: st.now()}
	l.media = linkMedia(st.rng)
	st.attach(l)
}

// attach registers a new leg with its call and node.
func (st *state) attach(l *leg) {
	c, n := l.c, l.c.node
	c.legs = append(c.legs, l)
	c.maxLegs = max(c.maxLegs, len(c.legs))
	n.legs = append(n.legs, l)
	n.legsMaxActive = max(n.legsMaxActive, len(n.legs))
	st.legs[l.id] = l
	if l.p != nil {
		l.p.legs = append(l.p.legs, l)
	}
	st.touch(c)
}

// join adds a participant with one leg to meeting m on node n.
func (st *state) join(m *meeting, n *node, ps ParticipantSpec, started time.Time) *leg {
	c := st.instance(m, n, started)
	p := &participant{id: st.newID(), m: m, owner: n, name: ps.Name, uri: ps.URI, importance: ps.Importance,
		lobby: lobbyState{deactivated: ps.Lobby, immovable: ps.CannotMove}}
	m.participants = append(m.participants, p)
	st.participants[p.id] = p
	l := &leg{id: st.newID(), c: c, p: p, name: ps.Name, remoteParty: ps.URI, outgoing: ps.Outgoing,
		started: started, chosenLayout: ps.ChosenLayout}
	if ps.RxAudioMute || (c.joinMute != nil && *c.joinMute) {
		l.mutes[muteRxAudio] = triTrue
	}
	for i, on := range []bool{false, ps.TxAudioMute, ps.RxVideoMute, ps.TxVideoMute} {
		if on {
			l.mutes[i] = triTrue
		}
	}
	l.media = st.mediaFor(ps)
	st.attach(l)
	return l
}

// removeLeg ends a leg; a participant whose last leg goes leaves, an instance without local
// participants is torn down, and a meeting without instances ends.
func (st *state) removeLeg(l *leg) {
	c, n := l.c, l.c.node
	c.legs = remove(c.legs, l)
	n.legs = remove(n.legs, l)
	n.legsCompleted++
	delete(st.legs, l.id)
	st.touch(c)
	if c.presenting == l {
		c.presenting = nil
	}
	if c.speaker == l {
		c.speaker = nil
	}
	if l.p == nil {
		return
	}
	p := l.p
	p.legs = remove(p.legs, l)
	if len(p.legs) == 0 {
		p.m.participants = remove(p.m.participants, p)
		delete(st.participants, p.id)
		st.noteLeft(p)
	}
	if st.localParticipants(c) > 0 || (len(c.m.instances) == 1 && c.m.activeIfEmpty) {
		return
	}
	st.dropInstance(c)
}

func (st *state) dropInstance(c *call) {
	m := c.m
	for _, l := range slices.Clone(c.legs) {
		st.removeLeg(l) // only distribution links remain here
	}
	for _, peer := range m.instances {
		for _, l := range slices.Clone(peer.legs) {
			if l.peer == c {
				st.removeLeg(l)
			}
		}
	}
	m.instances = remove(m.instances, c)
	c.node.calls = remove(c.node.calls, c)
	delete(st.calls, c.id)
	st.touch(c)
	for _, peer := range m.instances {
		st.touch(peer) // its distributedInstances count changed
	}
	if st.removing == "callEnded" {
		if st.callEnded == nil {
			st.callEnded = map[string]string{}
		}
		st.callEnded[c.id] = "callEnded"
	}
	if len(m.instances) == 0 {
		st.meetings = remove(st.meetings, m)
		delete(st.meetingByCor, m.correlator)
	}
}

func (st *state) localParticipants(c *call) int {
	n := 0
	for _, p := range c.m.participants {
		if p.owner == c.node {
			n++
		}
	}
	return n
}

// visibleOn reports whether node n knows the participant: n hosts an instance of its meeting.
func (st *state) instanceOn(m *meeting, n *node) *call {
	for _, c := range m.instances {
		if c.node == n {
			return c
		}
	}
	return nil
}

func remove[T comparable](s []T, v T) []T {
	if i := slices.Index(s, v); i >= 0 {
		return slices.Delete(s, i, i+1)
	}
	return s
}

func slugify(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '_':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), ".") {
				b.WriteByte('.')
			}
		}
	}
	return strings.TrimSuffix(b.String(), ".")
}
