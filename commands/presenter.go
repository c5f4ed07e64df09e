package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nfmm/nfmm/cms"
)

// presenterImportance is the participant importance presenter mode gives the presenter: CMS
// shows the most important participant in speakerOnly, and 100 dominates any hand-set value
// we have seen in practice (operators use small numbers like 1-10).
const presenterImportance = 100

// presenter turns presenter mode on or off for every participant leg of the meeting on every
// node: the cluster finds the meeting and reads its roster while it writes (see
// cms.Cluster.UpdateMeeting); this only decides. Legs that left meanwhile are reported in Gone,
// other failures in Failed; running it twice is harmless because every update sets absolute
// values.
//
// The decision comes as early as the roster allows: for "off" at the first leg (the only
// refusal, "no leg could be read", is then ruled out); for "on" when the presenter is known,
// which for an exact leg id is when that leg arrives (an exact id wins whatever else the roster
// holds), else when the whole roster is read.
func (s *Service) presenter(ctx context.Context, c Command) (*ActionResult, error) {
	// Off restores the snapshot presenter mode on took (snapshot.go), when there is one; it is
	// found by the first leg's call instance, so finding it costs no extra list.
	var snap *presenterSnapshot
	decide := func(pres *cms.RosterEntry) *cms.MeetingChange {
		join := cms.CallUpdate{JoinAudioMuteOverride: cms.Unset[bool]()}
		if pres != nil {
			join.JoinAudioMuteOverride = cms.Set(true)
		} else if snap != nil {
			for _, v := range snap.Calls { // the instances were written together
				if v != nil {
					join.JoinAudioMuteOverride = cms.Set(*v)
				}
				break
			}
		}
		leg := func(e cms.RosterEntry) cms.LegUpdate { return presenterUpdate(e, pres) }
		if pres == nil {
			leg = snap.restoreLeg
		}
		return &cms.MeetingChange{
			Leg:        leg,
			Call:       &join,
			Importance: &cms.ImportanceChange{Of: pres, Value: presenterImportance},
		}
	}
	plan := cms.MeetingPlan{Importance: true, PerNode: s.perNode,
		Decide: func(e cms.RosterEntry, roster []cms.RosterEntry, final bool) (*cms.MeetingChange, error) {
			switch {
			case c.Off:
				if !final {
					snap = s.takeSnapshot(ctx, e.Node+"/"+e.Leg.Call)
				}
				return decide(nil), nil
			case !final && strings.EqualFold(e.Leg.ID, c.Participant) && (c.Node == "" || e.Node == c.Node):
				return decide(&e), nil
			case !final:
				return nil, nil
			}
			pres, err := pickPresenter(roster, c.Participant, c.Node)
			if err != nil {
				return nil, err
			}
			return decide(pres), nil
		}}
	out, err := s.cluster.UpdateMeeting(ctx, c.Meeting, plan)
	if err != nil {
		var ne cms.NodeError
		if errors.As(err, &ne) {
			return nil, wrapErr(ne.Node, err)
		}
		return nil, wrapErr("", err)
	}
	r := presenterResult(c, out)
	if c.Off {
		s.restoreImportance(ctx, snap, r)
	} else {
		s.saveSnapshot(ctx, snapshotOf(out))
	}
	return r, nil
}

// presenterResult reports what UpdateMeeting did: unread nodes, legs (roster order), calls,
// importance.
func presenterResult(c Command, out cms.MeetingOutcome) *ActionResult {
	ro := out.Roster
	r := &ActionResult{Op: OpPresenter, Meeting: summarize(ro.Meeting)}
	var pres *cms.RosterEntry
	if imp := out.Change.Importance; imp != nil && imp.Of != nil {
		pres = imp.Of
		r.Participant, r.LegID, r.Node = displayName(pres.Leg), pres.Leg.ID, pres.Node
	}
	for _, f := range ro.Failed {
		r.Failed = append(r.Failed, LegFailure{Node: f.Node, Reason: "legs not read: " + reason(f.Node, f.Err)})
	}
	for _, l := range out.Legs {
		recordLeg(r, l.Entry, out.Change.Leg(l.Entry), l.Err)
	}
	joinAudioMute(r, ro.Meeting.Name, out.Calls, !c.Off)
	if pres != nil {
		if err := out.Presenter.Err; err != nil {
			r.Failed = append(r.Failed, LegFailure{LegID: pres.Leg.ID, Name: r.Participant, Node: pres.Node,
				Reason: "importance not set: " + reason(pres.Node, err)})
		} else {
			r.Changes = append(r.Changes, Change{Subject: r.Participant, Field: "importance", Before: "-", After: fmt.Sprint(presenterImportance)})
		}
	}
	for _, f := range out.Unlisted {
		r.Failed = append(r.Failed, LegFailure{Node: f.Node, Reason: "importance not cleared: " + reason(f.Node, f.Err)})
	}
	for _, p := range out.Cleared {
		if p.Err != nil {
			r.Failed = append(r.Failed, LegFailure{Name: p.Participant.Name, Node: p.Node, Reason: "importance not cleared: " + reason(p.Node, p.Err)})
		}
	}
	r.Summary = presenterSummary(r, c.Off, len(ro.Legs))
	return r
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

// recordLeg adds the outcome err of e's update to r: left, failed, or updated with its changes.
func recordLeg(r *ActionResult, e cms.RosterEntry, u cms.LegUpdate, err error) {
	name := displayName(e.Leg)
	switch {
	case errors.Is(err, cms.ErrCallLegNotFound):
		r.Gone = append(r.Gone, LegFailure{LegID: e.Leg.ID, Name: name, Node: e.Node, Reason: "left the meeting"})
	case err != nil:
		r.Failed = append(r.Failed, LegFailure{LegID: e.Leg.ID, Name: name, Node: e.Node, Reason: reason(e.Node, err)})
	default:
		r.Updated++
		r.Changes = append(r.Changes, legChanges(e, u)...)
	}
}

// presenterUpdate is the absolute state of one leg: presenter mode on when pres is not nil.
func presenterUpdate(e cms.RosterEntry, pres *cms.RosterEntry) cms.LegUpdate {
	if pres == nil {
		return cms.LegUpdate{ChosenLayout: cms.Unset[string](), RxAudioMute: cms.Set(false)}
	}
	isPres := e.Node == pres.Node && e.Leg.ID == pres.Leg.ID
	return cms.LegUpdate{ChosenLayout: cms.Set("speakerOnly"), RxAudioMute: cms.Set(!isPres)}
}

func legChanges(e cms.RosterEntry, u cms.LegUpdate) []Change {
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

// joinAudioMute reports the mute-on-join writes: set (on) or unset (off) on every call
// instance, so people who join later are muted too.
func joinAudioMute(r *ActionResult, name string, calls []cms.CallOutcome, on bool) {
	after := "unset"
	if on {
		after = "on"
	}
	for _, co := range calls {
		in := co.Instance
		switch err := co.Err; {
		case errors.Is(err, cms.ErrCallNotFound):
			continue // the instance ended: nobody left to join it
		case err != nil:
			r.Failed = append(r.Failed, LegFailure{Node: in.Node, Name: name,
				Reason: "mute-on-join not changed: " + reason(in.Node, err)})
			continue
		}
		before := "unset"
		if v := in.Call.JoinAudioMuteOverride; v != nil {
			before = map[bool]string{true: "on", false: "off"}[*v]
		}
		if before != after {
			r.Changes = append(r.Changes, Change{Subject: name + " (" + in.Node + ")", Field: "joinAudioMute", Before: before, After: after})
		}
	}
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
