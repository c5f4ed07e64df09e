package commands

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nfmm/nfmm/cms"
)

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

func summarize(m cms.Meeting) MeetingSummary {
	return MeetingSummary{
		Correlator:   m.Correlator,
		Name:         m.Name,
		Participants: m.Participants,
		Nodes:        m.NodeNames(),
		Duration:     seconds(m.DurationSeconds),
	}
}

// mergeFailed adds the nodes of extra not already in failed: a node that could not list its
// calls may host part of the meeting, so a roster names it too.
func mergeFailed(failed, extra []cms.NodeError) []cms.NodeError {
	out := slices.Clone(failed)
	for _, e := range extra {
		if !slices.ContainsFunc(out, func(f cms.NodeError) bool { return f.Node == e.Node }) {
			out = append(out, e)
		}
	}
	return out
}

// failures turns the nodes a read could not complete into user-safe reasons, logging each
// cause (the user is told the log has the details).
func (s *Service) failures(ctx context.Context, errs []cms.NodeError) []NodeFailure {
	var out []NodeFailure
	for _, e := range errs {
		f := NodeFailure{Node: e.Node, Reason: reason(e.Node, e.Err)}
		s.logNodeFailure(ctx, f.Node, f.Reason, e.Err)
		out = append(out, f)
	}
	return out
}

// calls lists the meetings matching filter; with node, only those with an instance there
// (each still shown whole: all its participants and nodes).
func (s *Service) calls(ctx context.Context, filter, node string) *CallsResult {
	list := s.cluster.Meetings(ctx)
	r := &CallsResult{Filter: filter, Node: node, Nodes: s.nodeNames(), Unreachable: s.failures(ctx, list.Failed), AsOf: s.now()}
	f := strings.ToLower(filter)
	for _, m := range list.Meetings {
		if f != "" && !strings.Contains(strings.ToLower(m.Name), f) && !strings.HasPrefix(strings.ToLower(m.Correlator), f) {
			continue
		}
		if _, on := m.Instance(node); node != "" && !on {
			continue
		}
		r.Meetings = append(r.Meetings, summarize(m))
		r.TotalParticipants += m.Participants
	}
	return r
}

func (s *Service) resolveMeeting(ctx context.Context, ref string) (cms.Meeting, error) {
	m, err := s.cluster.ResolveMeeting(ctx, ref)
	if err != nil {
		return cms.Meeting{}, wrapErr("", err)
	}
	return m, nil
}

func rowOf(node string, l cms.CallLegDetail) ParticipantRow {
	name := l.Name
	if name == "" {
		name = l.RemoteParty
	}
	layout := l.Status.Layout
	if layout == "" {
		layout = l.Config.ChosenLayout
	}
	return ParticipantRow{
		LegID: l.ID, Node: node, CallID: l.Call, Name: name, Address: l.RemoteParty,
		Direction: l.Direction, State: l.Status.State,
		AudioMuted: l.Config.RxAudioMute, VideoMuted: l.Config.RxVideoMute,
		Layout: layout, Duration: seconds(l.Status.DurationSeconds),
	}
}

// partialResolver is implemented by *cms.Cluster: resolving a meeting also tells which nodes
// could not be listed (optional, so test fakes of Cluster need not implement it).
type partialResolver interface {
	ResolveMeetingPartial(ctx context.Context, ref string) (cms.Meeting, []cms.NodeError, error)
}

// meetingRoster resolves a meeting and reads its roster. Nodes that could not even list their
// calls are added to the roster's Failed: the meeting may have participants there.
func (s *Service) meetingRoster(ctx context.Context, ref string) (cms.Meeting, cms.Roster, error) {
	var (
		m      cms.Meeting
		unread []cms.NodeError
		err    error
	)
	if lr, ok := s.cluster.(listedResolver); ok {
		return s.listedRoster(ctx, lr, ref)
	}
	if pr, ok := s.cluster.(partialResolver); ok {
		m, unread, err = pr.ResolveMeetingPartial(ctx, ref)
		err = wrapErr("", err)
	} else {
		m, err = s.resolveMeeting(ctx, ref)
	}
	if err != nil {
		return cms.Meeting{}, cms.Roster{}, err
	}
	ro := s.cluster.Roster(ctx, m)
	ro.Failed = mergeFailed(ro.Failed, unread)
	return m, ro, nil
}

// listedResolver is implemented by *cms.Cluster: a meeting resolved from the calls lists alone,
// its call details read separately, so that they overlap the roster instead of preceding it.
type listedResolver interface {
	ResolveMeetingListed(ctx context.Context, ref string) (cms.Meeting, []cms.NodeError, error)
	MeetingDetails(ctx context.Context, m cms.Meeting) (cms.Meeting, []cms.NodeError, error)
}

// listedRoster is meetingRoster one round trip shorter: the roster and the call details are read
// at once. A node whose call detail could not be read is named in Failed, as one whose calls
// could not be listed.
func (s *Service) listedRoster(ctx context.Context, lr listedResolver, ref string) (cms.Meeting, cms.Roster, error) {
	m, unread, err := lr.ResolveMeetingListed(ctx, ref)
	if err != nil {
		return cms.Meeting{}, cms.Roster{}, wrapErr("", err)
	}
	var (
		ro      cms.Roster
		md      cms.Meeting
		badCall []cms.NodeError
		derr    error
		wg      sync.WaitGroup
	)
	wg.Go(func() { ro = s.cluster.Roster(ctx, m) })
	md, badCall, derr = lr.MeetingDetails(ctx, m)
	wg.Wait()
	if errors.Is(derr, cms.ErrNotFound) { // every instance ended since the list: the meeting is over
		derr = &cms.UnknownRefError{Kind: "meeting", Ref: ref}
	}
	if derr != nil {
		return cms.Meeting{}, cms.Roster{}, wrapErr("", derr)
	}
	ro.Meeting = md
	ro.Failed = mergeFailed(mergeFailed(ro.Failed, badCall), unread)
	return md, ro, nil
}

func (s *Service) roster(ctx context.Context, ref string) (*RosterResult, error) {
	m, ro, err := s.meetingRoster(ctx, ref)
	if err != nil {
		return nil, err
	}
	r := &RosterResult{Meeting: summarize(ro.Meeting), Unreachable: s.failures(ctx, ro.Failed), AsOf: s.now()}
	if r.Meeting.Correlator == "" {
		r.Meeting = summarize(m)
	}
	for _, e := range ro.Legs {
		r.Participants = append(r.Participants, rowOf(e.Node, e.Leg))
	}
	return r, nil
}

// findLeg resolves a participant reference to its leg and node. A node hint (from a button) is
// tried first but verified by reading the leg there; anything else goes through the cluster.
func (s *Service) findLeg(ctx context.Context, ref, hint string) (cms.LegRef, cms.CallLegDetail, error) {
	// Buttons carry full ids; a typed prefix cannot be read directly, so skip the hint then.
	if hint != "" && len(ref) >= 32 {
		d, err := s.cluster.Leg(ctx, hint, ref)
		if err == nil && !d.IsDistributionLink() && strings.EqualFold(d.ID, ref) {
			return cms.LegRef{Node: hint, LegID: d.ID, CallID: d.Call, Name: d.Name}, d, nil
		}
	}
	lr, err := s.cluster.ResolveLeg(ctx, ref)
	if err != nil {
		return cms.LegRef{}, cms.CallLegDetail{}, wrapErr("", err)
	}
	d, err := s.cluster.Leg(ctx, lr.Node, lr.LegID)
	if err != nil {
		if errors.Is(err, cms.ErrCallLegNotFound) {
			return cms.LegRef{}, cms.CallLegDetail{}, &RefError{Kind: "participant", Ref: ref, Err: err}
		}
		return cms.LegRef{}, cms.CallLegDetail{}, wrapErr(lr.Node, err)
	}
	if lr.CallID == "" {
		lr.CallID = d.Call
	}
	return lr, d, nil
}

// meetingOfCall finds the meeting a call instance belongs to, best effort: a failure leaves a
// summary holding only the call id, because the operation itself does not depend on it.
func (s *Service) meetingOfCall(ctx context.Context, node, callID string) MeetingSummary {
	if callID == "" {
		return MeetingSummary{}
	}
	m, err := s.cluster.ResolveMeeting(ctx, callID)
	if err != nil {
		return MeetingSummary{Correlator: callID, Nodes: []string{node}}
	}
	return summarize(m)
}

func (s *Service) participant(ctx context.Context, c Command) (*ParticipantResult, error) {
	lr, d, err := s.findLeg(ctx, c.Participant, c.Node)
	if err != nil {
		return nil, err
	}
	st := d.Status
	return &ParticipantResult{
		Participant:  rowOf(lr.Node, d),
		Meeting:      s.meetingOfCall(ctx, lr.Node, d.Call),
		ChosenLayout: d.Config.ChosenLayout,
		TxAudioMuted: d.Config.TxAudioMute,
		TxVideoMuted: d.Config.TxVideoMute,
		Encrypted:    st.EncryptedMedia && !st.UnencryptedMedia,
		CipherSuite:  st.CipherSuite,
		RxAudio:      st.RxAudio,
		TxAudio:      st.TxAudio,
		RxVideo:      st.RxVideo,
		TxVideo:      st.TxVideo,
		Alarms:       d.Alarms,
		AsOf:         s.now(),
	}, nil
}

func (s *Service) status(ctx context.Context) *StatusResult {
	r := &StatusResult{AsOf: s.now()}
	for _, n := range s.cluster.Status(ctx) {
		h := NodeHealth{Node: n.Node, Reachable: n.Err == nil, Latency: n.Latency}
		if n.Err != nil {
			h.Error = reason(n.Node, n.Err)
			s.logNodeFailure(ctx, n.Node, h.Error, n.Err)
		} else {
			h.Version = n.Status.SoftwareVersion
			h.Uptime = time.Duration(n.Status.UptimeSeconds) * time.Second
			h.ActiveLegs = n.Status.CallLegsActive
		}
		r.Nodes = append(r.Nodes, h)
	}
	return r
}

func (s *Service) help(a Actor, topic string) *HelpResult {
	role := s.policy.RoleOf(a)
	r := &HelpResult{Topic: topic, Role: role}
	if role < RoleOperator {
		// Only someone who cannot change calls needs to know how operators are configured;
		// the terminal is always a local operator.
		r.Note = s.policy.setupNote()
	}
	for _, sp := range grammar {
		if topic != "" && string(sp.op) != topic {
			continue
		}
		if role < needs(sp.op) || sp.op == OpHistory && s.hist == nil {
			continue // history is listed only where NFMM receives CDRs
		}
		r.Entries = append(r.Entries, HelpEntry{
			Name: string(sp.op), Usage: sp.usage, Summary: sp.summary, Operator: needs(sp.op) == RoleOperator,
		})
	}
	switch {
	case role == RoleNone:
		r.Note = s.policy.denial(a, role)
	case role == RoleViewer && len(s.policy.Operators) > 0:
		r.Note = "You may look; to change calls, ask " + s.policy.contact() + "."
	case topic != "" && len(r.Entries) == 0:
		r.Note = s.policy.denial(a, role)
	}
	r.Entries = slices.Clip(r.Entries)
	return r
}
