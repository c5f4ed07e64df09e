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
	RostersSkipped int              `json:"rosters_skipped"` // beyond the bound: not checked
	AsOf           time.Time        `json:"as_of"`
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
			r.Unreachable = append(r.Unreachable, NodeFailure{Node: n.Node, Reason: n.Error})
		}
	}
	sorted := slices.Clone(list.Meetings)
	slices.SortStableFunc(sorted, func(a, b cms.Meeting) int { return cmp.Compare(b.Participants, a.Participants) })
	for _, m := range sorted {
		r.Participants += m.Participants
	}
	check := sorted[:min(len(sorted), s.rosters)]
	r.RostersRead, r.RostersSkipped = len(check), len(sorted)-len(check)
	rosters := s.cluster.Rosters(ctx, check)
	r.PoorMedia = poorMedia(check, rosters)
	// The largest meetings' state: from the rosters just read where there is one, else read.
	top := sorted[:min(len(sorted), reportTop)]
	var rest []cms.Meeting
	for i := len(rosters); i < len(top); i++ {
		rest = append(rest, top[i])
	}
	s.completeState(ctx, rest)
	for i, m := range top {
		sum := summarize(m)
		switch {
		case i < len(rosters) && len(rosters[i].Failed) == 0:
			sum.State = withRoster(sum.State, rosters[i].Legs)
		case i >= len(rosters):
			sum = summarize(rest[i-len(rosters)])
		}
		r.Largest = append(r.Largest, sum)
	}
	return r
}

// poorMedia lists the streams over thresholds in the rosters of the meetings.
func poorMedia(meetings []cms.Meeting, rosters []cms.Roster) []PoorMedia {
	var out []PoorMedia
	for i, ro := range rosters {
		for _, e := range ro.Legs {
			out = append(out, poorStreams(meetings[i].Name, e)...)
		}
	}
	return out
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
