package commands

import (
	"context"
	"errors"
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
		State:        stateOf(m),
	}
}

// failures turns the nodes a read could not complete into user-safe reasons, logging each
// cause (the user is told the log has the details).
func (s *Service) failures(ctx context.Context, errs []cms.NodeError) []NodeFailure {
	var out []NodeFailure
	down := s.downSince()
	for _, e := range errs {
		f := NodeFailure{Node: e.Node, Reason: reason(e.Node, e.Err), Since: down[e.Node]}
		s.logNodeFailure(ctx, f.Node, f.Reason, e.Err)
		out = append(out, f)
	}
	return out
}

// calls lists the meetings matching filter; with node, only those with an instance there
// (each still shown whole: all its participants and nodes).
func (s *Service) calls(ctx context.Context, filter, node string) *CallsResult {
	var (
		alarmed alarmSet
		wg      sync.WaitGroup
	)
	wg.Go(func() { alarmed = s.mediaAlarms(ctx) })
	list := s.cluster.Meetings(ctx)
	wg.Wait()
	r := &CallsResult{Filter: filter, Node: node, Nodes: s.nodeNames(), Unreachable: s.failures(ctx, list.Failed), AsOf: s.now()}
	f := strings.ToLower(filter)
	var shown []cms.Meeting
	for _, m := range list.Meetings {
		if f != "" && !strings.Contains(strings.ToLower(m.Name), f) && !strings.HasPrefix(strings.ToLower(m.Correlator), f) {
			continue
		}
		if _, on := m.Instance(node); node != "" && !on {
			continue
		}
		shown = append(shown, m)
	}
	s.completeState(ctx, shown)
	for _, m := range shown {
		sum := summarize(m)
		for _, in := range m.Instances {
			sum.PoorMedia += alarmed.calls[in.Node+"/"+in.Call.ID]
		}
		r.Meetings = append(r.Meetings, sum)
		r.TotalParticipants += m.Participants
	}
	return r
}

// MediaAlarms is what the poor-media badges ask of the cluster: the legs CMS raises a media
// alarm on, on every node. *cms.Cluster implements it; a cluster without it shows no badges.
type MediaAlarms interface {
	MediaAlarms(ctx context.Context) ([]cms.MediaAlarm, []cms.NodeError)
}

var _ MediaAlarms = (*cms.Cluster)(nil)

// mediaAlarmsTimeout bounds the badge read: a slow node costs its badges, not the list.
const mediaAlarmsTimeout = 2 * time.Second

// alarmSet is one read of the alarmed legs: by node and leg id, and counted by node and call id.
type alarmSet struct {
	legs  map[string]bool
	calls map[string]int
}

// mediaAlarms reads the alarmed legs; empty when the cluster cannot say. Nodes it could not
// read get no badges.
func (s *Service) mediaAlarms(ctx context.Context) alarmSet {
	ma, ok := s.cluster.(MediaAlarms)
	if !ok {
		return alarmSet{}
	}
	ctx, cancel := context.WithTimeout(ctx, mediaAlarmsTimeout)
	defer cancel()
	legs, _ := ma.MediaAlarms(ctx)
	set := alarmSet{legs: make(map[string]bool, len(legs)), calls: make(map[string]int, len(legs))}
	for _, l := range legs {
		if k := l.Node + "/" + l.LegID; !set.legs[k] {
			set.legs[k] = true
			set.calls[l.Node+"/"+l.CallID]++
		}
	}
	return set
}

// poor reports whether the leg has poor media: an alarm in the badge read, an alarm on the
// leg as read, or a stream over the report's thresholds.
func (a alarmSet) poor(e cms.RosterEntry) bool {
	return a.legs[e.Node+"/"+e.Leg.ID] || len(e.Leg.Alarms) > 0 || len(poorStreams("", e)) > 0
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
		Layout: layout, Duration: seconds(l.Status.DurationSeconds), Lobby: l.Status.Deactivated,
	}
}

// roster is `call <meeting>`: the meeting, its call details and its legs, read at once by
// the cluster. Nodes that could not be read are named: the meeting may have people there.
func (s *Service) roster(ctx context.Context, ref string) (*RosterResult, error) {
	ro, err := s.cluster.MeetingRoster(ctx, ref)
	if err != nil {
		return nil, wrapErr("", err)
	}
	r := &RosterResult{Meeting: summarize(ro.Meeting), Unreachable: s.failures(ctx, ro.Failed), AsOf: s.now()}
	r.Meeting.State = withRoster(r.Meeting.State, ro.Legs)
	presenting := map[string]bool{}
	for _, in := range ro.Meeting.Instances {
		if id := in.Call.PresenterCallLeg; id != "" {
			presenting[id] = true
		}
	}
	// After the roster, not beside it: a leg button's budget counts the requests before the
	// refreshed roster's calls lists (the read is shared and cached for seconds).
	alarmed := s.mediaAlarms(ctx)
	for _, e := range ro.Legs {
		row := rowOf(e.Node, e.Leg)
		row.Presenting = presenting[e.Leg.ID]
		row.PoorMedia = alarmed.poor(e)
		if row.PoorMedia {
			r.Meeting.PoorMedia++
		}
		r.Participants = append(r.Participants, row)
		s.seen.remember(row.LegID, row.Name)
	}
	return r, nil
}

// findLeg finds a participant and its call. A node hint (from a button) with a full id costs
// two requests on that node; anything else is looked for on every node.
func (s *Service) findLeg(ctx context.Context, ref, hint string) (cms.LegInCall, error) {
	if !isLegIDRef(ref) {
		return s.findLegByName(ctx, ref, hint, nil) // a name or address never reaches a URL path
	}
	l, err := s.cluster.FindLeg(ctx, ref, hint)
	if errors.Is(err, cms.ErrNotFound) && !looksLikeID(ref) {
		return s.findLegByName(ctx, ref, hint, err) // hex-looking names: "bead", "dede"
	}
	if err != nil {
		if errors.Is(err, cms.ErrCallLegNotFound) {
			return cms.LegInCall{}, &RefError{Kind: "participant", Ref: ref, Err: err}
		}
		return cms.LegInCall{}, wrapErr("", err)
	}
	return l, nil
}

// meetingOfLeg is the meeting as the leg's node sees it, from the leg's call: its name, its
// correlator and the participants that node hosts. A call that could not be read leaves a
// summary holding only the call id: reading a leg does not depend on it.
func meetingOfLeg(l cms.LegInCall) MeetingSummary {
	if l.CallErr != nil {
		if l.Leg.Call == "" {
			return MeetingSummary{}
		}
		return MeetingSummary{Correlator: l.Leg.Call, Nodes: []string{l.Node}}
	}
	return MeetingSummary{
		Correlator: l.Correlator(), Name: l.Call.Name, Participants: l.Call.NumParticipantsLocal,
		Nodes: []string{l.Node}, Duration: seconds(l.Call.DurationSeconds),
	}
}

func (s *Service) participant(ctx context.Context, c Command) (*ParticipantResult, error) {
	l, err := s.findLeg(ctx, c.Participant, c.Node)
	if err != nil {
		return nil, s.leftErr(c, err)
	}
	d, st := l.Leg, l.Leg.Status
	s.seen.remember(d.ID, displayName(d))
	return &ParticipantResult{
		Participant:  rowOf(l.Node, d),
		Meeting:      meetingOfLeg(l),
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
		if n.Live != nil {
			h.Live = string(n.Live.Mode)
			since := n.Live.Since
			h.LiveSince = &since
		}
		r.Nodes = append(r.Nodes, h)
	}
	s.cdrStatus(ctx, r)
	return r
}
