package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nfmm/nfmm/cms"
)

// presenterImportance is the participant importance presenter mode gives the presenter: CMS
// shows the most important participant in speakerOnly, and 100 dominates any hand-set value
// we have seen in practice (operators use small numbers like 1-10).
const presenterImportance = 100

// legOutcome is what happened to one leg during a bulk update.
type legOutcome struct {
	err error
}

// presenter turns presenter mode on or off for every participant leg of the meeting on every
// node. Legs that left meanwhile are reported in Gone, other failures in Failed; running it
// twice is harmless because every update sets absolute values.
func (s *Service) presenter(ctx context.Context, c Command) (*ActionResult, error) {
	if st, ok := s.cluster.(rosterStreamer); ok {
		return s.presenterStreamed(ctx, st, c)
	}
	m, ro, err := s.meetingRoster(ctx, c.Meeting)
	if err != nil {
		return nil, err
	}
	if len(ro.Legs) == 0 && len(ro.Failed) > 0 {
		return nil, wrapErr(ro.Failed[0].Node, ro.Failed[0])
	}
	r := &ActionResult{Op: OpPresenter, Meeting: summarize(m)}
	var pres *cms.RosterEntry
	if !c.Off {
		if pres, err = pickPresenter(ro.Legs, c.Participant, c.Node); err != nil {
			return nil, err
		}
		r.Participant, r.LegID, r.Node = displayName(pres.Leg), pres.Leg.ID, pres.Node
	}
	for _, f := range ro.Failed {
		r.Failed = append(r.Failed, LegFailure{Node: f.Node, Reason: "legs not read: " + reason(f.Node, f.Err)})
	}
	// Legs, calls and participants are different objects, so the three parts run at once; each
	// node's own concurrency cap bounds the load. Results are joined in a fixed order.
	legs, calls, imp := &ActionResult{}, &ActionResult{}, &ActionResult{Participant: r.Participant}
	var wg sync.WaitGroup
	wg.Go(func() { s.presenterLegs(ctx, ro.Legs, pres, legs) })
	wg.Go(func() { s.joinAudioMute(ctx, m, !c.Off, calls) })
	wg.Go(func() { s.importance(ctx, m, pres, imp) })
	wg.Wait()
	for _, part := range []*ActionResult{legs, calls, imp} {
		r.Updated += part.Updated
		r.Gone = append(r.Gone, part.Gone...)
		r.Failed = append(r.Failed, part.Failed...)
		r.Changes = append(r.Changes, part.Changes...)
	}
	r.Summary = presenterSummary(r, c.Off, len(ro.Legs))
	return r, nil
}

func displayName(l cms.CallLegDetail) string {
	if l.Name != "" {
		return l.Name
	}
	return l.RemoteParty
}

// pickPresenter finds the presenter in the roster: a leg id or unique prefix (on the hinted node
// when there is a hint), else a unique case-insensitive substring of the name.
func pickPresenter(legs []cms.RosterEntry, ref, hint string) (*cms.RosterEntry, error) {
	var byID, byName []int
	low := strings.ToLower(ref)
	for i, e := range legs {
		if hint != "" && e.Node != hint {
			continue
		}
		id := strings.ToLower(e.Leg.ID)
		if id == low {
			return &legs[i], nil
		}
		if len(ref) >= minIDPrefix && idPattern.MatchString(ref) && strings.HasPrefix(id, low) {
			byID = append(byID, i)
		}
		if strings.Contains(strings.ToLower(displayName(e.Leg)), low) {
			byName = append(byName, i)
		}
	}
	pick := byID
	if len(pick) == 0 {
		pick = byName
	}
	if len(pick) == 1 {
		return &legs[pick[0]], nil
	}
	cands := pick
	if len(pick) == 0 {
		cands = make([]int, len(legs))
		for i := range legs {
			cands[i] = i
		}
	}
	names := make([]string, 0, len(cands))
	matches := make([]Candidate, 0, min(len(cands), shownCandidates))
	for _, i := range cands {
		names = append(names, fmt.Sprintf("%s (%s)", displayName(legs[i].Leg), shortID(legs[i].Leg.ID)))
		if len(matches) < shownCandidates {
			matches = append(matches, Candidate{LegID: legs[i].Leg.ID, Name: displayName(legs[i].Leg), Node: legs[i].Node})
		}
	}
	return nil, &RefError{Kind: "participant", Ref: ref, Ambiguous: len(pick) > 1, Candidates: names,
		Matches: matches, More: len(cands) - len(matches)}
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// presenterLegs updates every leg concurrently, at most s.perNode at a time per node (when set;
// otherwise the node's own concurrency cap is the only bound).
func (s *Service) presenterLegs(ctx context.Context, legs []cms.RosterEntry, pres *cms.RosterEntry, r *ActionResult) {
	out := make([]legOutcome, len(legs))
	byNode := map[string][]int{}
	for i, e := range legs {
		byNode[e.Node] = append(byNode[e.Node], i)
	}
	var wg sync.WaitGroup
	for _, idx := range byNode {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.updateNodeLegs(ctx, legs, idx, pres, out)
		}()
	}
	wg.Wait()
	for i, e := range legs {
		recordLeg(r, e, pres, out[i].err)
	}
}

// recordLeg adds the outcome err of e's update to r: left, failed, or updated with its changes.
func recordLeg(r *ActionResult, e cms.RosterEntry, pres *cms.RosterEntry, err error) {
	name := displayName(e.Leg)
	switch {
	case errors.Is(err, cms.ErrCallLegNotFound):
		r.Gone = append(r.Gone, LegFailure{LegID: e.Leg.ID, Name: name, Node: e.Node, Reason: "left the meeting"})
	case err != nil:
		r.Failed = append(r.Failed, LegFailure{LegID: e.Leg.ID, Name: name, Node: e.Node, Reason: reason(e.Node, err)})
	default:
		r.Updated++
		r.Changes = append(r.Changes, legChanges(e, pres)...)
	}
}

// updateNodeLegs updates the legs idx of one node, s.perNode at a time; each goroutine writes
// only its own out[i].
func (s *Service) updateNodeLegs(ctx context.Context, legs []cms.RosterEntry, idx []int, pres *cms.RosterEntry, out []legOutcome) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, cmp.Or(s.perNode, len(idx), 1))
	for _, i := range idx {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			e := legs[i]
			out[i].err = s.cluster.UpdateLeg(ctx, e.Node, e.Leg.ID, presenterUpdate(e, pres))
		}()
	}
	wg.Wait()
}

// presenterUpdate is the absolute state of one leg: presenter mode on when pres is not nil.
func presenterUpdate(e cms.RosterEntry, pres *cms.RosterEntry) cms.LegUpdate {
	if pres == nil {
		return cms.LegUpdate{ChosenLayout: cms.Unset[string](), RxAudioMute: cms.Set(false)}
	}
	isPres := e.Node == pres.Node && e.Leg.ID == pres.Leg.ID
	return cms.LegUpdate{ChosenLayout: cms.Set("speakerOnly"), RxAudioMute: cms.Set(!isPres)}
}

func legChanges(e cms.RosterEntry, pres *cms.RosterEntry) []Change {
	u := presenterUpdate(e, pres)
	name := displayName(e.Leg)
	var ch []Change
	if muted, _ := u.RxAudioMute.Value(); muted != e.Leg.Config.RxAudioMute {
		ch = append(ch, Change{Subject: name, Field: "audio", Before: onOff(!muted), After: onOff(muted)})
	}
	layout, _ := u.ChosenLayout.Value()
	if layout != e.Leg.Config.ChosenLayout {
		ch = append(ch, Change{Subject: name, Field: "layout", Before: orDefault(e.Leg.Config.ChosenLayout), After: orDefault(layout)})
	}
	return ch
}

// joinAudioMute sets (on) or unsets (off) joinAudioMuteOverride on every call instance, so
// people who join later are muted too.
func (s *Service) joinAudioMute(ctx context.Context, m cms.Meeting, on bool, r *ActionResult) {
	u := cms.CallUpdate{JoinAudioMuteOverride: cms.Unset[bool]()}
	after := "unset"
	if on {
		u.JoinAudioMuteOverride, after = cms.Set(true), "on"
	}
	errs := make([]error, len(m.Instances))
	concurrently(len(m.Instances), func(i int) {
		in := m.Instances[i]
		errs[i] = s.cluster.UpdateCall(ctx, in.Node, in.Call.ID, u)
	})
	for i, in := range m.Instances {
		switch err := errs[i]; {
		case errors.Is(err, cms.ErrCallNotFound):
			continue // the instance ended: nobody left to join it
		case err != nil:
			r.Failed = append(r.Failed, LegFailure{Node: in.Node, Name: m.Name,
				Reason: "mute-on-join not changed: " + reason(in.Node, err)})
			continue
		}
		before := "unset"
		if v := in.Call.JoinAudioMuteOverride; v != nil {
			before = map[bool]string{true: "on", false: "off"}[*v]
		}
		if before != after {
			r.Changes = append(r.Changes, Change{Subject: m.Name + " (" + in.Node + ")", Field: "joinAudioMute", Before: before, After: after})
		}
	}
}

// concurrently runs fn(0..n-1) at once and waits; the nodes' caps bound what reaches CMS.
func concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

// rosterParticipants is what presenter mode uses of *cms.Cluster beyond the Cluster interface
// when it has it: the presenter's participant from the roster entry (no re-read of the leg)
// and each node's own participants (filtered on CMS, not 30 pages of the whole roster).
type rosterParticipants interface {
	ParticipantOfRosterLeg(ctx context.Context, e cms.RosterEntry) (string, error)
	LocalParticipants(ctx context.Context, node, callID string) ([]cms.Participant, error)
}

// importance gives the presenter's participant presenterImportance and unsets it on every other
// participant that has one (all of them when pres is nil). Every node's participants are listed
// while the presenter's is being set; the unsets wait only for the presenter's id.
func (s *Service) importance(ctx context.Context, m cms.Meeting, pres *cms.RosterEntry, r *ActionResult) {
	list := func(in cms.CallInstance) ([]cms.Participant, error) { return s.localParticipants(ctx, in) }
	s.importanceOf(ctx, m, pres, list, r)
}

// importanceOf is importance with each instance's own participants from list.
func (s *Service) importanceOf(ctx context.Context, m cms.Meeting, pres *cms.RosterEntry,
	list func(cms.CallInstance) ([]cms.Participant, error), r *ActionResult) {
	var presID string
	presDone := make(chan struct{})
	go func() {
		defer close(presDone)
		if pres != nil {
			presID = s.setPresenterImportance(ctx, *pres, r)
		}
	}()
	failed := make([][]LegFailure, len(m.Instances))
	concurrently(len(m.Instances), func(i int) {
		in := m.Instances[i]
		ps, err := list(in)
		<-presDone
		if err != nil {
			failed[i] = []LegFailure{{Node: in.Node, Reason: "importance not cleared: " + reason(in.Node, err)}}
			return
		}
		failed[i] = s.clearImportance(ctx, in.Node, ps, presID)
	})
	<-presDone // also when the meeting has no instances left
	for _, f := range failed {
		r.Failed = append(r.Failed, f...)
	}
}

// setPresenterImportance finds the presenter's participant and sets its importance; it returns
// the participant id, or "" after recording the failure in r.
func (s *Service) setPresenterImportance(ctx context.Context, pres cms.RosterEntry, r *ActionResult) string {
	var id string
	var err error
	if rp, ok := s.cluster.(rosterParticipants); ok {
		id, err = rp.ParticipantOfRosterLeg(ctx, pres)
	} else {
		id, err = s.cluster.ParticipantOfLeg(ctx, pres.Node, pres.Leg.Call, pres.Leg.ID)
	}
	if err == nil {
		err = s.cluster.UpdateParticipant(ctx, pres.Node, id, cms.ParticipantUpdate{Importance: cms.Set(presenterImportance)})
	}
	if err != nil {
		r.Failed = append(r.Failed, LegFailure{LegID: pres.Leg.ID, Name: r.Participant, Node: pres.Node,
			Reason: "importance not set: " + reason(pres.Node, err)})
		return ""
	}
	r.Changes = append(r.Changes, Change{Subject: r.Participant, Field: "importance", Before: "-", After: fmt.Sprint(presenterImportance)})
	return id
}

// localParticipants lists the participants the instance's node hosts itself.
func (s *Service) localParticipants(ctx context.Context, in cms.CallInstance) ([]cms.Participant, error) {
	if rp, ok := s.cluster.(rosterParticipants); ok {
		return rp.LocalParticipants(ctx, in.Node, in.Call.ID)
	}
	n, ok := s.cluster.Node(in.Node)
	if !ok || n == nil {
		return nil, nil
	}
	ps, err := n.CallParticipants(ctx, in.Call.ID, "")
	// Remote participants are cleared by their own node.
	return slices.DeleteFunc(ps, func(p cms.Participant) bool { return p.CallBridge != "" }), err
}

// clearImportance unsets the importance of every participant in ps that has one, except presID.
func (s *Service) clearImportance(ctx context.Context, node string, ps []cms.Participant, presID string) []LegFailure {
	ps = slices.DeleteFunc(slices.Clone(ps), func(p cms.Participant) bool { return p.Importance == nil || p.ID == presID })
	errs := make([]error, len(ps))
	concurrently(len(ps), func(i int) {
		errs[i] = s.cluster.UpdateParticipant(ctx, node, ps[i].ID, cms.ParticipantUpdate{Importance: cms.Unset[int]()})
	})
	var failed []LegFailure
	for i, err := range errs {
		if err != nil && !errors.Is(err, cms.ErrNotFound) {
			failed = append(failed, LegFailure{Name: ps[i].Name, Node: node, Reason: "importance not cleared: " + reason(node, err)})
		}
	}
	return failed
}

func presenterSummary(r *ActionResult, off bool, legs int) string {
	var b strings.Builder
	if off {
		fmt.Fprintf(&b, "Presenter mode off for %s", r.Meeting.Name)
	} else {
		fmt.Fprintf(&b, "Presenter mode on for %s: %s presents", r.Meeting.Name, r.Participant)
	}
	fmt.Fprintf(&b, "; %d of %d legs updated", r.Updated, legs)
	if len(r.Gone) > 0 {
		fmt.Fprintf(&b, ", %d left meanwhile", len(r.Gone))
	}
	if len(r.Failed) > 0 {
		fmt.Fprintf(&b, ", %d failed", len(r.Failed))
	}
	b.WriteString(".")
	return b.String()
}
