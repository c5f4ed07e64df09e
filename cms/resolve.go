package cms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// minPrefix is the shortest id prefix accepted as a reference: shorter ones match too much to
// be meant.
const minPrefix = 4

// maxCandidates caps the candidates an AmbiguousError lists; a reply listing 300 meetings
// helps nobody.
const maxCandidates = 10

// ErrEmptyRef is returned when a reference is empty or blank.
var ErrEmptyRef = errors.New("empty reference")

// AllNodesFailedError means no node could be searched, so "not found" would be a lie.
type AllNodesFailedError struct {
	Failed []NodeError
}

func (e *AllNodesFailedError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Error()
	}
	return fmt.Sprintf("no CMS node could be reached (%s)", strings.Join(parts, "; "))
}

// Unwrap exposes every node's error to errors.Is/As (ErrAuth, ErrUnavailable…).
func (e *AllNodesFailedError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f
	}
	return errs
}

// notFound builds the "matches nothing" error; when some nodes could not be searched it says
// so too, while still matching ErrNotFound and *UnknownRefError.
func notFound(kind, ref string, failed []NodeError, nodes int) error {
	if nodes > 0 && len(failed) == nodes {
		return &AllNodesFailedError{Failed: failed}
	}
	unknown := &UnknownRefError{Kind: kind, Ref: ref}
	if len(failed) == 0 {
		return unknown
	}
	names := make([]string, len(failed))
	errs := make([]error, len(failed))
	for i, f := range failed {
		names[i], errs[i] = f.Node, f
	}
	return fmt.Errorf("%w (not searched: %s): %w", unknown, strings.Join(names, ", "), errors.Join(errs...))
}

// resolveMeetingIn resolves ref among the meetings list reads, with the nodes it could not read.
func (c *Cluster) resolveMeetingIn(ctx context.Context, ref string, list func(context.Context) MeetingList) (Meeting, []NodeError, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return Meeting{}, nil, fmt.Errorf("meeting: %w", ErrEmptyRef)
	}
	l := list(ctx)
	if len(c.nodes) > 0 && len(l.Failed) == len(c.nodes) {
		return Meeting{}, l.Failed, &AllNodesFailedError{Failed: l.Failed}
	}
	m, err := pickMeeting(l.Meetings, ref)
	if errors.Is(err, ErrNotFound) {
		return Meeting{}, l.Failed, notFound("meeting", ref, l.Failed, len(c.nodes))
	}
	return m, l.Failed, err
}

// pickMeeting applies the match tiers to ms; the first tier with a hit decides.
func pickMeeting(ms []Meeting, ref string) (Meeting, error) {
	for _, match := range meetingMatchers(ref) {
		var hits []Meeting
		for _, m := range ms {
			if match(m) {
				hits = append(hits, m)
			}
		}
		switch len(hits) {
		case 0:
			continue
		case 1:
			return hits[0], nil
		default:
			return Meeting{}, meetingAmbiguity(ref, hits)
		}
	}
	return Meeting{}, &UnknownRefError{Kind: "meeting", Ref: ref}
}

// meetingMatchers are the match tiers, strongest first; the first tier with a hit decides.
func meetingMatchers(ref string) []func(Meeting) bool {
	lower := strings.ToLower(ref)
	ids := func(m Meeting, pred func(id string) bool) bool {
		if pred(m.Correlator) {
			return true
		}
		return slices.ContainsFunc(m.Instances, func(in CallInstance) bool { return pred(in.Call.ID) })
	}
	tiers := []func(Meeting) bool{
		func(m Meeting) bool { return ids(m, func(id string) bool { return strings.EqualFold(id, ref) }) },
	}
	if len(ref) >= minPrefix {
		tiers = append(tiers, func(m Meeting) bool {
			return ids(m, func(id string) bool { return strings.HasPrefix(strings.ToLower(id), lower) })
		})
	}
	return append(tiers,
		func(m Meeting) bool { return strings.EqualFold(m.Name, ref) },
		func(m Meeting) bool { return strings.Contains(strings.ToLower(m.Name), lower) },
	)
}

// meetingAmbiguity lists the meetings, capped: "Name (corr8…) on cb1,cb2" each, and as data.
func meetingAmbiguity(ref string, ms []Meeting) *AmbiguousError {
	e := &AmbiguousError{Kind: "meeting", Ref: ref, More: max(len(ms)-maxCandidates, 0)}
	for _, m := range ms[:min(len(ms), maxCandidates)] {
		c := Candidate{Correlator: m.Correlator, Name: m.Name, Nodes: m.NodeNames()}
		e.Matches = append(e.Matches, c)
		e.Candidates = append(e.Candidates, fmt.Sprintf("%s (%s) on %s", cmp.Or(c.Name, "(no name)"), shortID(c.Correlator),
			strings.Join(c.Nodes, ",")))
	}
	return e
}

// shortID is the first 8 characters of an id, enough to tell candidates apart and to type.
func shortID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8] + "…"
}

// ResolveLeg finds a participant leg by id or unique id prefix (≥4 chars) on any node.
// Distribution links are never participants. Errors as FindMeeting (Kind "participant").
func (c *Cluster) ResolveLeg(ctx context.Context, ref string) (LegRef, error) {
	lr, _, err := c.resolveLeg(ctx, ref)
	return lr, err
}

// resolveLeg is ResolveLeg with the leg's detail, read on the way (nil when it was not).
func (c *Cluster) resolveLeg(ctx context.Context, ref string) (LegRef, *CallLegDetail, error) {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return LegRef{}, nil, fmt.Errorf("participant: %w", ErrEmptyRef)
	case len(ref) < minPrefix:
		return LegRef{}, nil, fmt.Errorf("participant id %q is too short: give at least %d characters: %w",
			ref, minPrefix, ErrParameter)
	case looksLikeFullID(ref):
		return c.resolveLegByID(ctx, ref)
	default:
		return c.resolveLegByPrefix(ctx, ref)
	}
}

// LegRef locates a call leg: the node hosting it and its call.
type LegRef struct {
	Node   string
	LegID  string
	CallID string
	Name   string
}

// looksLikeFullID reports whether ref has the shape of a CMS object id (a UUID), which can be
// asked for directly instead of listing every leg of the cluster.
func looksLikeFullID(ref string) bool {
	if len(ref) != 36 {
		return false
	}
	for i, r := range ref {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", r):
			return false
		}
	}
	return true
}

// resolveLegByID asks every node for the leg; legs are node-local, so the node that answers
// hosts it.
func (c *Cluster) resolveLegByID(ctx context.Context, id string) (LegRef, *CallLegDetail, error) {
	res := fanOut(ctx, c.nodes, func(ctx context.Context, n *Node) ([]CallLegDetail, error) {
		d, err := n.CallLeg(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []CallLegDetail{d}, nil
	})
	for i, r := range res {
		for _, d := range r.items {
			if !d.IsDistributionLink() {
				return LegRef{Node: c.nodes[i].Name(), LegID: d.ID, CallID: d.Call, Name: d.Name}, &d, nil
			}
		}
	}
	return LegRef{}, nil, notFound("participant", id, failedNodes(c.nodes, res), len(c.nodes))
}

// legHit is a leg whose id matches a reference, with the node hosting it (and its detail,
// once read).
type legHit struct {
	node   string
	leg    CallLeg
	detail *CallLegDetail
}

// resolveLegByPrefix lists every node's legs, keeps those whose id starts with the reference
// (an exact id wins), and reads the few survivors' detail to drop distribution links.
func (c *Cluster) resolveLegByPrefix(ctx context.Context, ref string) (LegRef, *CallLegDetail, error) {
	lower := strings.ToLower(ref)
	res := fanOut(ctx, c.nodes, func(ctx context.Context, n *Node) ([]legHit, error) {
		legs, err := n.AllCallLegs(ctx)
		var hits []legHit
		for _, l := range legs {
			if strings.HasPrefix(strings.ToLower(l.ID), lower) {
				hits = append(hits, legHit{node: n.Name(), leg: l})
			}
		}
		return hits, err
	})
	failed := failedNodes(c.nodes, res)
	if len(c.nodes) > 0 && len(failed) == len(c.nodes) {
		return LegRef{}, nil, &AllNodesFailedError{Failed: failed}
	}
	var hits []legHit
	for _, r := range res {
		hits = append(hits, r.items...)
	}
	if i := slices.IndexFunc(hits, func(h legHit) bool { return strings.EqualFold(h.leg.ID, ref) }); i >= 0 {
		hits = hits[i : i+1]
	}
	hits = c.participantLegs(ctx, hits)
	switch len(hits) {
	case 0:
		return LegRef{}, nil, notFound("participant", ref, failed, len(c.nodes))
	case 1:
		h := hits[0]
		return LegRef{Node: h.node, LegID: h.leg.ID, CallID: h.leg.Call, Name: h.leg.Name}, h.detail, nil
	}
	return LegRef{}, nil, legAmbiguity(ref, hits)
}

// participantLegs drops distribution links and legs that vanished, reading each hit's detail
// on its node. A detail that fails otherwise keeps the hit: better an ambiguity than a miss.
func (c *Cluster) participantLegs(ctx context.Context, hits []legHit) []legHit {
	keep := make([]bool, len(hits))
	forEachBounded(defaultDetailConcurrency, len(hits), func(i int) {
		n, ok := c.Node(hits[i].node)
		if !ok {
			return
		}
		d, err := n.CallLeg(ctx, hits[i].leg.ID)
		if err != nil {
			keep[i] = !errors.Is(err, ErrCallLegNotFound)
			return
		}
		keep[i], hits[i].detail = !d.IsDistributionLink(), &d
	})
	out := hits[:0:0]
	for i, h := range hits {
		if keep[i] {
			out = append(out, h)
		}
	}
	return out
}

// legAmbiguity lists the legs by name, capped: "Name (leg8…) on cb1" each, and as data.
func legAmbiguity(ref string, hits []legHit) *AmbiguousError {
	slices.SortFunc(hits, func(a, b legHit) int {
		return cmp.Or(compareNames(a.leg.Name, b.leg.Name), cmp.Compare(a.leg.ID, b.leg.ID))
	})
	e := &AmbiguousError{Kind: "participant", Ref: ref, More: max(len(hits)-maxCandidates, 0)}
	for _, h := range hits[:min(len(hits), maxCandidates)] {
		c := Candidate{LegID: h.leg.ID, Name: cmp.Or(h.leg.Name, h.leg.RemoteParty), Node: h.node}
		e.Matches = append(e.Matches, c)
		e.Candidates = append(e.Candidates, fmt.Sprintf("%s (%s) on %s", cmp.Or(c.Name, "(no name)"), shortID(c.LegID), c.Node))
	}
	return e
}

// ownsLeg reports whether participant pid (on n) has the leg legID.
func ownsLeg(ctx context.Context, n *Node, pid, legID string) (bool, error) {
	legs, err := n.ParticipantCallLegs(ctx, pid)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(legs, func(l CallLeg) bool { return l.ID == legID }), nil
}

// scanParticipants lists the call's participants hosted by n and checks each one's legs.
func (c *Cluster) scanParticipants(ctx context.Context, n *Node, callID, legID string) (string, error) {
	if callID == "" {
		return "", fmt.Errorf("participant of leg %s: call unknown: %w", legID, ErrParticipantNotFound)
	}
	parts, err := n.CallParticipants(ctx, callID, c.ownBridgeID(ctx, n))
	if err != nil {
		return "", err
	}
	var local []Participant
	for _, p := range parts {
		if p.CallBridge == "" { // remote participants carry their owner's id; their legs live there
			local = append(local, p)
		}
	}
	found := make([]bool, len(local))
	errs := make([]error, len(local))
	forEachBounded(detailLimit(n), len(local), func(i int) {
		found[i], errs[i] = ownsLeg(ctx, n, local[i].ID, legID)
	})
	if i := slices.Index(found, true); i >= 0 {
		return local[i].ID, nil
	}
	if err := firstError(nil, errs); err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	return "", fmt.Errorf("no participant of call %s owns leg %s: %w", callID, legID, ErrParticipantNotFound)
}

// ownBridgeID returns n's own /callBridges id (matched through its cluster uniqueName), or ""
// when n is not clustered or cannot tell; the answer is cached once known.
func (c *Cluster) ownBridgeID(ctx context.Context, n *Node) string {
	c.mu.Lock()
	id, ok := c.bridgeIDs[n.Name()]
	c.mu.Unlock()
	if ok {
		return id
	}
	cc, err := n.ClusterConfig(ctx)
	if err != nil {
		return ""
	}
	if cc.UniqueName != "" {
		bridges, err := n.CallBridges(ctx)
		if err != nil {
			return ""
		}
		for _, b := range bridges {
			if b.Name == cc.UniqueName {
				id = b.ID
				break
			}
		}
	}
	c.mu.Lock()
	if c.bridgeIDs == nil {
		c.bridgeIDs = make(map[string]string)
	}
	c.bridgeIDs[n.Name()] = id
	c.mu.Unlock()
	return id
}
