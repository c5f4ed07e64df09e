package commands

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/nfmm/nfmm/cms"
)

// Poor media thresholds of the report: a participant is listed when any rx or tx audio or
// video stream shows more packet loss or jitter than this. 3 % loss and 40 ms jitter are where
// CMS's own packetLoss/excessiveJitter alarms and common VoIP guidance put audible trouble.
const (
	PoorLossPercent = 3.0
	PoorJitterMs    = 40
	reportTop       = 5 // largest meetings listed
)

// PoorMedia is one participant stream over the report's thresholds.
type PoorMedia struct {
	Cluster     string  `json:"cluster,omitempty"` // with several clusters
	Meeting     string  `json:"meeting"`
	Participant string  `json:"participant"`
	LegID       string  `json:"leg_id"`
	Node        string  `json:"node"`
	Stream      string  `json:"stream"` // rx audio, tx video main, …
	LossPercent float64 `json:"packet_loss_percent"`
	JitterMs    int     `json:"jitter_ms"`
	// Correlator is the meeting's (its call id when the meeting list did not have the call),
	// for a Details button; not in the JSON, whose schema is fixed.
	Correlator string `json:"-"`
}

// badness is how far the stream is past the worse of its thresholds (> 1 is poor).
func (p PoorMedia) badness() float64 {
	return max(p.LossPercent/PoorLossPercent, float64(p.JitterMs)/PoorJitterMs)
}

// PoorParticipant is one participant with poor media: the worst of its streams and how many
// of its streams are over the thresholds. The report lists participants, not streams: one
// person with four bad streams is one problem.
type PoorParticipant struct {
	Worst   PoorMedia
	Streams int
}

// PoorParticipants groups the report's poor streams by participant (leg), worst first.
func (r *ReportResult) PoorParticipants() []PoorParticipant {
	var out []PoorParticipant
	at := map[string]int{}
	for _, p := range r.PoorMedia {
		key := p.Cluster + "/" + p.Node + "/" + p.LegID
		i, seen := at[key]
		if !seen || p.LegID == "" {
			at[key] = len(out)
			out = append(out, PoorParticipant{Worst: p, Streams: 1})
			continue
		}
		out[i].Streams++
		if p.badness() > out[i].Worst.badness() {
			out[i].Worst = p
		}
	}
	slices.SortStableFunc(out, func(a, b PoorParticipant) int { return cmp.Compare(b.Worst.badness(), a.Worst.badness()) })
	return out
}

// ReportResult is the scheduled report (and `report`): totals, per-node health, the largest
// meetings, participants with poor media and unreachable nodes.
type ReportResult struct {
	Cluster        string           `json:"cluster,omitempty"` // with several clusters; "all" for @all
	Meetings       int              `json:"meetings"`
	Participants   int              `json:"participants"`
	Nodes          []NodeHealth     `json:"nodes"`
	Largest        []MeetingSummary `json:"largest"`
	PoorMedia      []PoorMedia      `json:"poor_media"`
	Unreachable    []NodeFailure    `json:"unreachable"`
	RostersRead    int              `json:"rosters_read"`    // meetings whose media was checked
	RostersSkipped int              `json:"rosters_skipped"` // meetings on a node whose media could not be checked
	// MediaUnchecked names the nodes whose media could not be checked, each with the reason
	// (their meetings are the skipped ones). Not in the JSON, whose schema is fixed.
	MediaUnchecked []NodeFailure `json:"-"`
	AsOf           time.Time     `json:"as_of"`
}

func (*ReportResult) isResult() {}

func (s *Service) report(ctx context.Context) *ReportResult {
	var (
		list cms.MeetingList
		st   *StatusResult
		wg   sync.WaitGroup
	)
	wg.Add(2)
	go func() { defer wg.Done(); list = s.cluster.Meetings(ctx) }()
	go func() { defer wg.Done(); st = s.status(ctx) }()
	wg.Wait()
	r := &ReportResult{Meetings: len(list.Meetings), Nodes: st.Nodes, AsOf: s.now()}
	for _, n := range st.Nodes {
		if !n.Reachable {
			r.Unreachable = append(r.Unreachable, failureOf(n))
		}
	}
	sorted := slices.Clone(list.Meetings)
	slices.SortStableFunc(sorted, func(a, b cms.Meeting) int { return cmp.Compare(b.Participants, a.Participants) })
	for _, m := range sorted {
		r.Participants += m.Participants
	}
	// The largest meetings' state (lobby, presenter) where the calls list left it out.
	top := slices.Clone(sorted[:min(len(sorted), reportTop)])
	s.completeState(ctx, top)
	for _, m := range top {
		r.Largest = append(r.Largest, summarize(m))
	}
	r.PoorMedia, r.MediaUnchecked = s.poorMedia(ctx, list.Meetings)
	for _, m := range list.Meetings {
		if hostedOnAny(m, r.MediaUnchecked) {
			r.RostersSkipped++
		} else {
			r.RostersRead++
		}
	}
	return r
}

// poorMedia finds the streams over the thresholds in every meeting at once: each node lists
// the legs it raises a media alarm on (packet loss, jitter, round trip) and only those legs'
// statistics are read, so the cost is one list per node plus one read per alarmed leg, not
// one read per participant of the cluster. A node that could not be listed is returned with
// its reason: its meetings were not checked.
func (s *Service) poorMedia(ctx context.Context, meetings []cms.Meeting) ([]PoorMedia, []NodeFailure) {
	type where struct{ name, correlator string }
	calls := map[string]where{}
	for _, m := range meetings {
		for _, in := range m.Instances {
			calls[in.Node+"/"+in.Call.ID] = where{m.Name, m.Correlator}
		}
	}
	var (
		out       []PoorMedia
		unchecked []NodeFailure
	)
	for _, nl := range s.cluster.AlarmedLegs(ctx) {
		if nl.Err != nil {
			f := NodeFailure{Node: nl.Node, Reason: reason(nl.Node, nl.Err)}
			s.logNodeFailure(ctx, f.Node, f.Reason, nl.Err)
			unchecked = append(unchecked, f)
			continue
		}
		for _, l := range nl.Legs {
			if l.Leg.IsDistributionLink() {
				continue
			}
			w, ok := calls[l.Node+"/"+l.Leg.Call]
			if !ok { // the call started after the meetings were listed
				w = where{"a meeting", l.Leg.Call}
			}
			for _, p := range poorStreams(w.name, cms.RosterEntry{Node: l.Node, Leg: l.Leg}) {
				p.Correlator = w.correlator
				out = append(out, p)
			}
		}
	}
	return out, unchecked
}

// hostedOnAny reports whether the meeting has an instance on one of the nodes.
func hostedOnAny(m cms.Meeting, nodes []NodeFailure) bool {
	for _, f := range nodes {
		if _, on := m.Instance(f.Node); on {
			return true
		}
	}
	return false
}

func poorStreams(meeting string, e cms.RosterEntry) []PoorMedia {
	var out []PoorMedia
	add := func(stream string, loss float64, jitter int) {
		if loss > PoorLossPercent || jitter > PoorJitterMs {
			out = append(out, PoorMedia{Meeting: meeting, Participant: displayName(e.Leg), LegID: e.Leg.ID,
				Node: e.Node, Stream: stream, LossPercent: loss, JitterMs: jitter})
		}
	}
	st := e.Leg.Status
	if a := st.RxAudio; a != nil {
		add("rx audio", a.PacketLossPercentage, a.Jitter)
	}
	if a := st.TxAudio; a != nil {
		add("tx audio", a.PacketLossPercentage, a.Jitter)
	}
	for _, v := range st.RxVideo {
		add("rx video "+v.Role, v.PacketLossPercentage, v.Jitter)
	}
	for _, v := range st.TxVideo {
		add("tx video "+v.Role, v.PacketLossPercentage, v.Jitter)
	}
	return out
}
