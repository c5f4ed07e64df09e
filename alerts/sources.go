package alerts

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/commands"
)

// Cluster is what the sources read from CMS (cms.Cluster implements it).
type Cluster interface {
	Status(ctx context.Context) []cms.NodeStatus
	Alarms(ctx context.Context) []cms.NodeAlarms
	Licensing(ctx context.Context) []cms.NodeLicensing
	AlarmedLegs(ctx context.Context) []cms.NodeAlarmedLegs
	Meetings(ctx context.Context) cms.MeetingList
	LocalParticipants(ctx context.Context, node, callID string) ([]cms.Participant, error)
}

// SourceConfig configures the CMS sources. Zero values take the defaults.
type SourceConfig struct {
	Cluster     Cluster
	ClusterName string           // default DefaultCluster
	Clock       func() time.Time // default time.Now

	NodeDownAfter time.Duration // NFMM_ALERT_NODE_DOWN_AFTER, default 30 s
	MediaAfter    time.Duration // NFMM_ALERT_MEDIA_AFTER, default 60 s
	MeetingMax    int           // NFMM_ALERT_MEETING_MAX: participants; 0 = off
	// NodeShare (NFMM_ALERT_NODE_SHARE) fires when one node carries more than this share of the
	// cluster's active legs, once the cluster has at least NodeShareMinLegs; 0 = off.
	NodeShare float64
	// LicenceWarn is how long before expiry a licence alerts; default 30 days.
	LicenceWarn time.Duration
	// LicenceEvery is how often licensing is read; default 1 h (it changes by the day).
	LicenceEvery time.Duration
	// CDRReceivers is each node's CDR receiver list as the last registration round found it
	// (meeting history's leader registers every 10 minutes); nil: history is off, no source.
	CDRReceivers func(ctx context.Context) []cms.CDRRegistration
}

// Defaults and fixed thresholds of the sources.
const (
	DefaultNodeDownAfter = 30 * time.Second
	DefaultMediaAfter    = 60 * time.Second
	DefaultLicenceWarn   = 30 * 24 * time.Hour
	// NodeShareMinLegs keeps the share rule quiet on an idle cluster, where two calls on one
	// node are 100 % of nothing.
	NodeShareMinLegs = 10
	// PoorRoundTripMs is the round-trip threshold: the report has none, and 300 ms is where CMS
	// raises its highRoundTripTime alarm. Loss and jitter use the report's thresholds.
	PoorRoundTripMs = 300
	// presenterGrace lets a presenter hand over (leave, rejoin) without an alert.
	presenterGrace = 30 * time.Second
)

// Sources returns the CMS sources NFMM evaluates.
func Sources(cfg SourceConfig) []Source {
	if cfg.ClusterName == "" {
		cfg.ClusterName = DefaultCluster
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.NodeDownAfter <= 0 {
		cfg.NodeDownAfter = DefaultNodeDownAfter
	}
	if cfg.MediaAfter <= 0 {
		cfg.MediaAfter = DefaultMediaAfter
	}
	if cfg.LicenceWarn <= 0 {
		cfg.LicenceWarn = DefaultLicenceWarn
	}
	if cfg.LicenceEvery <= 0 {
		cfg.LicenceEvery = time.Hour
	}
	srcs := []Source{
		&nodeSource{cfg},
		&alarmSource{cfg},
		&licenceSource{cfg},
		&mediaSource{cfg},
		&meetingSource{cfg: cfg, recording: map[string]bool{}},
	}
	if cfg.CDRReceivers != nil {
		srcs = append(srcs, &cdrSource{cfg})
	}
	if cfg.ClusterName != DefaultCluster {
		for i, s := range srcs {
			srcs[i] = clusterSource{Source: s, cluster: cfg.ClusterName}
		}
	}
	return srcs
}

// clusterSource is a source of one of several clusters. Its name is its own (the evaluator
// resolves the alerts a source no longer sees, so two clusters' node sources must not share
// one), and its headlines name the cluster, since node names repeat across clusters.
type clusterSource struct {
	Source
	cluster string
}

func (c clusterSource) Name() string { return c.Source.Name() + "@" + c.cluster }

func (c clusterSource) Observe(ctx context.Context, active []Key) Result {
	r := c.Source.Observe(ctx, active)
	for i := range r.Observations {
		r.Observations[i].Summary = "[" + c.cluster + "] " + r.Observations[i].Summary
	}
	return r
}

func (cfg SourceConfig) key(k Kind, node, object string) Key {
	return Key{Kind: k, Cluster: cfg.ClusterName, Node: node, Object: object}
}

// nodeSource probes /system/status: unreachable or rejecting nodes, and the legs share.
type nodeSource struct{ cfg SourceConfig }

func (s *nodeSource) Name() string { return "nodes" }

// Interval is short so a node down is posted within NFMM_ALERT_NODE_DOWN_AFTER plus a few
// seconds; one GET per node is cheap.
func (s *nodeSource) Interval() time.Duration { return 2 * time.Second }

func (s *nodeSource) Observe(ctx context.Context, _ []Key) Result {
	var res Result
	total, up := 0, 0
	sts := s.cfg.Cluster.Status(ctx)
	for _, st := range sts {
		if st.Err == nil {
			total += st.Status.CallLegsActive
			up++
			continue
		}
		summary := st.Node + " is unreachable"
		if errors.Is(st.Err, cms.ErrAuth) {
			summary = st.Node + " rejects NFMM's credentials"
		}
		res.Observations = append(res.Observations, Observation{
			Key: s.cfg.key(KindNodeDown, st.Node, ""), Summary: summary, For: s.cfg.NodeDownAfter,
			Lines: []string{commands.UserMessage(st.Err)}, Target: Target{Node: st.Node, Label: st.Node},
		})
		res.Unknown = append(res.Unknown, st.Node) // its legs share is unknown, not zero
	}
	if s.cfg.NodeShare <= 0 || total < NodeShareMinLegs || up < 2 {
		return res
	}
	for _, st := range sts {
		if st.Err != nil {
			continue
		}
		share := float64(st.Status.CallLegsActive) / float64(total)
		if share > s.cfg.NodeShare {
			res.Observations = append(res.Observations, Observation{
				Key:     s.cfg.key(KindCapacity, st.Node, "legs"),
				Summary: fmt.Sprintf("%s carries more than %.0f %% of the cluster's call legs", st.Node, s.cfg.NodeShare*100),
				Lines:   []string{fmt.Sprintf("%d of %d active legs (%.0f %%)", st.Status.CallLegsActive, total, share*100)},
				Target:  Target{Node: st.Node, Label: st.Node},
			})
		}
	}
	return res
}

// alarmSource reads /system/alarms on every node.
type alarmSource struct{ cfg SourceConfig }

func (s *alarmSource) Name() string            { return "alarms" }
func (s *alarmSource) Interval() time.Duration { return 15 * time.Second }

func (s *alarmSource) Observe(ctx context.Context, _ []Key) Result {
	var res Result
	now := s.cfg.Clock()
	for _, na := range s.cfg.Cluster.Alarms(ctx) {
		if na.Err != nil {
			res.Unknown = append(res.Unknown, na.Node)
			continue
		}
		for _, a := range na.Alarms {
			summary := "CMS alarm " + a.Type + " on " + na.Node
			var lines []string
			if a.FailureReason != "" {
				lines = append(lines, "reason: "+a.FailureReason)
			}
			res.Observations = append(res.Observations, Observation{
				Key: s.cfg.key(KindAlarm, na.Node, a.Type), Summary: summary, Lines: lines,
				Since:  now.Add(-time.Duration(a.ActiveTimeSeconds) * time.Second),
				Target: Target{Node: na.Node, Label: na.Node},
			})
		}
	}
	return res
}

// licenceSource reads /system/licensing: a feature expired, or expiring within LicenceWarn,
// on any node is one cluster-wide alert per feature.
type licenceSource struct{ cfg SourceConfig }

func (s *licenceSource) Name() string            { return "licensing" }
func (s *licenceSource) Interval() time.Duration { return s.cfg.LicenceEvery }

func (s *licenceSource) Observe(ctx context.Context, _ []Key) Result {
	now := s.cfg.Clock()
	// One alert for what has expired and one for what expires soon, each listing its features:
	// a cluster licence covers many features that expire together.
	var expired, soon []string
	first := time.Time{}
	read := 0
	for _, nl := range s.cfg.Cluster.Licensing(ctx) {
		if nl.Err != nil {
			continue
		}
		read++
		for _, f := range nl.Licensing.Features {
			gone := strings.EqualFold(f.Status, "expired") || strings.EqualFold(f.Status, "grace") ||
				(f.Licensed() && !f.Expiry.IsZero() && !now.Before(f.Expiry))
			switch {
			case gone:
				expired = appendNew(expired, f.Name)
			case f.Licensed() && !f.Expiry.IsZero() && f.Expiry.Sub(now) <= s.cfg.LicenceWarn:
				soon = appendNew(soon, f.Name)
				if first.IsZero() || f.Expiry.Before(first) {
					first = f.Expiry
				}
			}
		}
	}
	if read == 0 {
		return Result{Err: errors.New("no node's licensing could be read")}
	}
	var res Result
	if len(expired) > 0 {
		res.Observations = append(res.Observations, Observation{Key: s.cfg.key(KindLicensing, "", "expired"),
			Summary: "CMS licence expired", Lines: []string{"features: " + strings.Join(expired, ", ")}})
	}
	if len(soon) > 0 {
		res.Observations = append(res.Observations, Observation{Key: s.cfg.key(KindLicensing, "", "expiring"),
			Summary: "CMS licence expires on " + first.Format("2006-01-02"),
			Lines: []string{"in " + commands.HumanDuration(first.Sub(now).Truncate(24*time.Hour)),
				"features: " + strings.Join(soon, ", ")}})
	}
	return res
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// mediaSource lists the legs CMS raises media alarms on and keeps those whose worst stream is
// over the report's thresholds.
type mediaSource struct{ cfg SourceConfig }

func (s *mediaSource) Name() string            { return "media" }
func (s *mediaSource) Interval() time.Duration { return 10 * time.Second }

func (s *mediaSource) Observe(ctx context.Context, _ []Key) Result {
	var res Result
	var poor []cms.AlarmedLeg
	for _, nl := range s.cfg.Cluster.AlarmedLegs(ctx) {
		if nl.Err != nil {
			res.Unknown = append(res.Unknown, nl.Node)
			continue
		}
		for _, l := range nl.Legs {
			if _, ok := worstStream(l.Leg.Status); ok && !l.Leg.IsDistributionLink() {
				poor = append(poor, l)
			}
		}
	}
	if len(poor) == 0 {
		return res
	}
	names := meetingNames(s.cfg.Cluster.Meetings(ctx))
	for _, l := range poor {
		w, _ := worstStream(l.Leg.Status)
		who := l.Leg.Name
		if who == "" {
			who = l.Leg.RemoteParty
		}
		meeting := names[l.Node+"/"+l.Leg.Call]
		if meeting == "" {
			meeting = "a meeting"
		}
		res.Observations = append(res.Observations, Observation{
			Key:     s.cfg.key(KindPoorMedia, l.Node, l.Leg.ID),
			Summary: fmt.Sprintf("Poor media: %s in %s (%s)", who, meeting, l.Node),
			Lines:   []string{"worst stream: " + w},
			For:     s.cfg.MediaAfter,
			Target:  Target{Node: l.Node, Leg: l.Leg.ID, Label: who},
		})
	}
	return res
}

func meetingNames(ml cms.MeetingList) map[string]string {
	out := map[string]string{}
	for _, m := range ml.Meetings {
		for _, in := range m.Instances {
			out[in.Node+"/"+in.Call.ID] = m.Name
		}
	}
	return out
}

// worstStream names the stream furthest over a threshold ("rx video main: packet loss 12.0 %").
func worstStream(st cms.LegStatus) (string, bool) {
	worst, score := "", 1.0
	check := func(name string, loss float64, jitter, rtt int) {
		for _, c := range []struct {
			ratio float64
			text  string
		}{
			{loss / commands.PoorLossPercent, fmt.Sprintf("%s: packet loss %.1f %%", name, loss)},
			{float64(jitter) / commands.PoorJitterMs, fmt.Sprintf("%s: jitter %d ms", name, jitter)},
			{float64(rtt) / PoorRoundTripMs, fmt.Sprintf("%s: round trip %d ms", name, rtt)},
		} {
			if c.ratio > score {
				worst, score = c.text, c.ratio
			}
		}
	}
	if a := st.RxAudio; a != nil {
		check("rx audio", a.PacketLossPercentage, a.Jitter, a.RoundTripTime)
	}
	if a := st.TxAudio; a != nil {
		check("tx audio", a.PacketLossPercentage, a.Jitter, a.RoundTripTime)
	}
	for _, v := range st.RxVideo {
		check("rx video "+v.Role, v.PacketLossPercentage, v.Jitter, v.RoundTripTime)
	}
	for _, v := range st.TxVideo {
		check("tx video "+v.Role, v.PacketLossPercentage, v.Jitter, v.RoundTripTime)
	}
	return worst, worst != ""
}

// meetingSource reads the meetings list: meetings over MeetingMax, recording that stopped
// while the meeting goes on, presenter mode left on without a presenter.
type meetingSource struct {
	cfg SourceConfig

	mu        sync.Mutex
	recording map[string]bool // correlator -> recording at the last round
}

func (s *meetingSource) Name() string            { return "meetings" }
func (s *meetingSource) Interval() time.Duration { return 15 * time.Second }

func (s *meetingSource) Observe(ctx context.Context, active []Key) Result {
	ml := s.cfg.Cluster.Meetings(ctx)
	var res Result
	for _, f := range ml.Failed {
		res.Unknown = append(res.Unknown, f.Node)
	}
	if len(ml.Failed) > 0 {
		res.Unknown = append(res.Unknown, "") // cluster-wide meeting alerts cannot be judged either
	}
	s.mu.Lock()
	was := s.recording
	s.recording = map[string]bool{}
	for _, m := range ml.Meetings {
		rec := slices.ContainsFunc(m.Instances, func(in cms.CallInstance) bool { return in.Call.Recording })
		s.recording[m.Correlator] = rec
		key := s.cfg.key(KindRecording, "", m.Correlator)
		if !rec && (was[m.Correlator] || slices.Contains(active, key)) {
			res.Observations = append(res.Observations, Observation{Key: key,
				Summary: "Recording stopped in " + m.Name + " while the meeting goes on",
				Lines:   []string{fmt.Sprintf("%d participants on %s", m.Participants, strings.Join(m.NodeNames(), ", "))}})
		}
	}
	s.mu.Unlock()
	for _, m := range ml.Meetings {
		if s.cfg.MeetingMax > 0 && m.Participants > s.cfg.MeetingMax {
			res.Observations = append(res.Observations, Observation{
				Key:     s.cfg.key(KindCapacity, "", m.Correlator),
				Summary: fmt.Sprintf("%s has more than %d participants", m.Name, s.cfg.MeetingMax),
				Lines:   []string{fmt.Sprintf("%d participants on %s", m.Participants, strings.Join(m.NodeNames(), ", "))},
			})
		}
		if o, ok := s.presenterLeft(ctx, m); ok {
			res.Observations = append(res.Observations, o)
		}
	}
	return res
}

// presenterLeft reports a meeting in NFMM's presenter mode (late joiners muted) where no
// participant holds the presenter's importance any more.
func (s *meetingSource) presenterLeft(ctx context.Context, m cms.Meeting) (Observation, bool) {
	on := slices.ContainsFunc(m.Instances, func(in cms.CallInstance) bool {
		return in.Call.JoinAudioMuteOverride != nil && *in.Call.JoinAudioMuteOverride
	})
	if !on {
		return Observation{}, false
	}
	for _, in := range m.Instances {
		ps, err := s.cfg.Cluster.LocalParticipants(ctx, in.Node, in.Call.ID)
		if err != nil {
			return Observation{}, false // cannot tell: say nothing rather than guess
		}
		if slices.ContainsFunc(ps, func(p cms.Participant) bool { return p.Importance != nil && *p.Importance > 0 }) {
			return Observation{}, false
		}
	}
	return Observation{
		Key:     s.cfg.key(KindPresenter, "", m.Correlator),
		Summary: "Presenter mode is still on in " + m.Name + " but its presenter left",
		Lines:   []string{"everyone who joins is muted; `presenter " + m.Name + " off` ends it"},
		For:     presenterGrace,
	}, true
}

// cdrSource raises an alert for each node whose CDR receiver list is full: every slot holds
// another tool's receiver, NFMM's cannot be added (NFMM never removes one), and history misses
// the meetings on that node. A node whose list could not be read is unknown: its alert neither
// fires nor resolves. Registration adds NFMM's receiver once a slot frees, which resolves it.
type cdrSource struct{ cfg SourceConfig }

func (s *cdrSource) Name() string { return "cdr_receivers" }

// Interval: the lists change only when the leader registers (every 10 minutes) or someone
// edits them; a minute keeps a resolve close to the registration that caused it.
func (s *cdrSource) Interval() time.Duration { return time.Minute }

func (s *cdrSource) Observe(ctx context.Context, _ []Key) Result {
	var res Result
	regs := s.cfg.CDRReceivers(ctx)
	if len(regs) == 0 { // no round has read any list yet: nothing is known, nothing changes
		return Result{Err: errNoCDRRound}
	}
	for _, r := range regs {
		switch r.State {
		case cms.CDRFull:
			var others []string
			for _, x := range r.Foreign() {
				others = append(others, receiverHost(x.URI))
			}
			res.Observations = append(res.Observations, Observation{
				Key:     s.cfg.key(KindCDRReceivers, r.Node, ""),
				Summary: "CDR receiver slots full on " + r.Node + ": meeting history misses it",
				Lines: []string{
					fmt.Sprintf("%d of %d receivers belong to other tools: %s", len(r.Receivers), r.Maximum, strings.Join(others, ", ")),
					"Free one on the call bridge (NFMM never removes another tool's receiver); NFMM adds its own within 10 minutes.",
				},
				Target: Target{Node: r.Node, Label: r.Node},
			})
		case cms.CDRFailed:
			res.Unknown = append(res.Unknown, r.Node)
		}
	}
	return res
}

var errNoCDRRound = errors.New("alerts: no CDR receiver list has been read yet")

// receiverHost is a receiver's scheme, host and port: another tool's path or query may carry
// its own token, and an alert goes to a channel.
func receiverHost(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return "(an unreadable URI)"
	}
	return u.Scheme + "://" + u.Host
}
