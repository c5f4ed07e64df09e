package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nfmm/nfmm/cms"
)

func onOff(b bool) string {
	if b {
		return "muted"
	}
	return "unmuted"
}

func orDefault(s string) string {
	if s == "" {
		return "(default)"
	}
	return s
}

// legAction is the common frame of single-leg actions: find the leg and its call (the before
// state), check it belongs to the button's meeting, then act.
func (s *Service) legAction(ctx context.Context, c Command) (cms.LegRef, cms.CallLegDetail, *ActionResult, error) {
	l, err := s.findLeg(ctx, c.Participant, c.Node)
	if err != nil {
		return cms.LegRef{}, cms.CallLegDetail{}, nil, s.leftErr(c, err)
	}
	d := l.Leg
	lr := cms.LegRef{Node: l.Node, LegID: d.ID, CallID: d.Call, Name: d.Name}
	if err := inMeeting(c, l); err != nil {
		return lr, d, nil, err
	}
	s.seen.remember(d.ID, displayName(d))
	r := &ActionResult{Op: c.Op, Meeting: meetingOfLeg(l), Participant: displayName(d), LegID: d.ID, Node: l.Node}
	return lr, d, r, nil
}

// leftErr turns "no such leg" for a control's leg (a full leg id and its node, as a roster
// button carries) into "<name> has already left": the roster the click came from showed the
// person, so the leg is gone, and the leg id would mean nothing to the user. The name is the
// one this service last showed for the leg, when it did.
func (s *Service) leftErr(c Command, err error) error {
	var re *RefError
	if c.Node == "" || !looksLikeID(c.Participant) || !errors.As(err, &re) || re.Ambiguous || re.Kind != "participant" {
		return err
	}
	if len(re.Unsearched) > 0 {
		return err // a node could not be searched: the participant may still be there
	}
	left := *re
	left.Left, left.Name = true, s.seen.name(c.Participant)
	return &left
}

// inMeeting checks a leg against the meeting its button named: a leg of another meeting means a
// tampered or mixed-up value, and NFMM refuses rather than act where the user was not looking.
// The leg's call names its meeting; when that call cannot be read the check fails closed.
func inMeeting(c Command, l cms.LegInCall) error {
	if c.Meeting == "" {
		return nil
	}
	switch {
	case errors.Is(l.CallErr, cms.ErrNotFound):
		// The leg's call ended (the leg is leaving with it): not the meeting's any more.
		return &RefError{Kind: "participant", Ref: c.Participant, Err: l.CallErr, Left: true, Name: displayName(l.Leg)}
	case l.CallErr != nil:
		return wrapErr(l.Node, l.CallErr)
	case strings.EqualFold(l.Correlator(), c.Meeting), strings.EqualFold(l.Call.ID, c.Meeting):
		return nil
	}
	return &RefError{Kind: "participant", Ref: c.Participant}
}

func (s *Service) mute(ctx context.Context, c Command) (*ActionResult, error) {
	lr, d, r, err := s.legAction(ctx, c)
	if err != nil {
		return nil, err
	}
	want := c.Op == OpMute
	var u cms.LegUpdate
	var changed, same []string
	media := mediaOrDefault(c.Media)
	if media == MediaAudio || media == MediaBoth {
		if d.Config.RxAudioMute != want {
			u.RxAudioMute = cms.Set(want)
			changed = append(changed, "audio")
			r.Changes = append(r.Changes, Change{Subject: r.Participant, Field: "audio", Before: onOff(!want), After: onOff(want)})
		} else {
			same = append(same, "audio")
		}
	}
	if media == MediaVideo || media == MediaBoth {
		if d.Config.RxVideoMute != want {
			u.RxVideoMute = cms.Set(want)
			changed = append(changed, "video")
			r.Changes = append(r.Changes, Change{Subject: r.Participant, Field: "video", Before: onOff(!want), After: onOff(want)})
		} else {
			same = append(same, "video")
		}
	}
	verb := "Muted"
	if !want {
		verb = "Unmuted"
	}
	if len(changed) == 0 {
		r.Summary = fmt.Sprintf("%s is already %s (%s) on %s.", r.Participant, onOff(want), joinAnd(same), lr.Node)
		return r, nil
	}
	if err := s.cluster.UpdateLeg(ctx, lr.Node, lr.LegID, u); err != nil {
		return nil, s.legErr(c.Participant, lr.Node, err)
	}
	r.Updated = 1
	r.Summary = fmt.Sprintf("%s %s of %s (%s).", verb, joinAnd(changed), r.Participant, lr.Node)
	if len(same) > 0 {
		r.Summary += fmt.Sprintf(" %s was already %s.", capitalize(joinAnd(same)), onOff(want))
	}
	return r, nil
}

// legErr maps a failed leg action: a leg that vanished is an unknown participant.
func (s *Service) legErr(ref, node string, err error) error {
	if errors.Is(err, cms.ErrCallLegNotFound) {
		return &RefError{Kind: "participant", Ref: ref, Err: err}
	}
	return wrapErr(node, err)
}

func (s *Service) layout(ctx context.Context, c Command) (*ActionResult, error) {
	layout, err := canonicalLayout(c.Layout)
	if err != nil {
		return nil, err
	}
	lr, d, r, err := s.legAction(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.cluster.UpdateLeg(ctx, lr.Node, lr.LegID, cms.LegUpdate{ChosenLayout: cms.Set(layout)}); err != nil {
		return nil, s.legErr(c.Participant, lr.Node, err)
	}
	r.Updated = 1
	r.Changes = []Change{{Subject: r.Participant, Field: "layout", Before: orDefault(d.Config.ChosenLayout), After: layout}}
	r.Summary = fmt.Sprintf("Set the layout of %s to %s (%s).", r.Participant, layout, lr.Node)
	return r, nil
}

func (s *Service) disconnect(ctx context.Context, c Command) (*ActionResult, error) {
	lr, d, r, err := s.legAction(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.cluster.DeleteLeg(ctx, lr.Node, lr.LegID); err != nil {
		return nil, s.legErr(c.Participant, lr.Node, err)
	}
	r.Updated = 1
	r.Changes = []Change{{Subject: r.Participant, Field: "participant", Before: orDefault(d.Status.State), After: "disconnected"}}
	r.Summary = fmt.Sprintf("Disconnected %s (%s).", r.Participant, lr.Node)
	return r, nil
}

// add dials out from the hinted node when it hosts the meeting, else from the first instance.
// The meeting comes from the calls lists: dialling needs only an instance's call id.
func (s *Service) add(ctx context.Context, c Command) (*ActionResult, error) {
	m, _, err := s.cluster.FindMeeting(ctx, c.Meeting)
	if err != nil {
		return nil, wrapErr("", err)
	}
	if len(m.Instances) == 0 {
		return nil, &RefError{Kind: "meeting", Ref: c.Meeting}
	}
	inst := m.Instances[0]
	for _, in := range m.Instances {
		if c.Node != "" && in.Node == c.Node {
			inst = in
		}
	}
	leg, err := s.cluster.AddLeg(ctx, inst.Node, inst.Call.ID, c.URI)
	if err != nil {
		return nil, wrapErr(inst.Node, err)
	}
	return &ActionResult{
		Op: OpAdd, Meeting: summarize(m), Participant: c.URI, LegID: leg, Node: inst.Node,
		Summary: fmt.Sprintf("Dialling %s into %s from %s.", c.URI, m.Name, inst.Node),
		Changes: []Change{{Subject: c.URI, Field: "participant", Before: "absent", After: "dialling"}},
		Updated: 1,
	}, nil
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return items[0] + " and " + joinAnd(items[1:])
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
