package cdr

import (
	"fmt"
	"strings"
	"time"
)

// The history rows. Each is keyed by the node that sent it and CMS's id, because call and leg
// ids are node-local; a meeting spread over several nodes is assembled at read time from the
// instances that share a callCorrelator ([Assemble]). Merging is commutative for times (the
// earliest start, the latest end) and newest-record-wins for the rest, so records that arrive
// out of order or twice project the same rows.

// Instance is one call instance on one node (callStart, callEnd).
type Instance struct {
	Node           string
	CallID         string
	CallCorrelator string
	CoSpace        string
	Name           string
	OwnerName      string
	CallType       string
	Tenant         string
	StartedAt      time.Time
	EndedAt        time.Time // zero until callEnd
	DurationS      int
	LegsCompleted  int
	LegsMaxActive  int
	Recorded       bool      // endpointRecorded
	Seen           time.Time // time of the newest record merged in
}

// Leg is one participant leg on one node (callLegStart, callLegUpdate, callLegEnd).
type Leg struct {
	Node          string
	LegID         string
	CallID        string
	DisplayName   string
	RemoteParty   string
	RemoteAddress string
	LocalAddress  string
	Direction     string
	Type          string
	SubType       string
	Guest         bool
	// Service marks the recorder's and streamer's own legs, which are not participants.
	Service            bool
	StartedAt          time.Time
	ConnectedAt        time.Time // first callLegUpdate with state connected
	EndedAt            time.Time // zero until callLegEnd (or the call's end, at assembly)
	DurationS          int
	ActivatedS         int // seconds out of the lobby
	Reason             string
	ConfirmationStatus string
	Deactivated        bool // last seen in the lobby
	Encrypted          bool
	PacketLossPct      float64 // share of the leg's time with packet loss (alarm durationPercentage)
	JitterPct          float64
	HighRTTPct         float64
	VideoViewerPct     float64
	Codecs             string // e.g. "audio opus/opus, video h264/h264" (rx/tx)
	MaxRxRes           string // e.g. "1280x720"
	Seen               time.Time
}

// IsDistributionLink reports whether the leg links two call bridges rather than being a
// participant (cms-cdr.md §2.4: not counted).
func (x Leg) IsDistributionLink() bool {
	return x.SubType == "distributionLink" || x.SubType == "lyncDistribution"
}

// Recording is one recording or stream of a call (recordingStart/End, streamingStart/End).
type Recording struct {
	Node      string
	ID        string
	Kind      string // "recording" or "streaming"
	CallID    string
	CallLegID string
	Target    string // the recording's path or the stream's URL
	StartedAt time.Time
	EndedAt   time.Time
	Seen      time.Time
}

// Change is what one record does to the history: at most one row of each kind, holding only
// the fields the record carries.
type Change struct {
	Instance  *Instance
	Leg       *Leg
	Recording *Recording
}

// Project turns one record from node into its change. Records of unknown types change nothing
// (they are still stored raw).
func Project(node string, r Record) Change {
	switch {
	case r.Call != nil:
		return Change{Instance: projectCall(node, r)}
	case r.Leg != nil:
		return Change{Leg: projectLeg(node, r)}
	case r.Recording != nil:
		x := &Recording{Node: node, ID: r.Recording.ID, Kind: "recording", CallID: r.Recording.Call,
			CallLegID: r.Recording.CallLeg, Target: r.Recording.Path, Seen: r.Time}
		startOrEnd(r.Type == TypeRecordingEnd, r.Time, &x.StartedAt, &x.EndedAt)
		return Change{Recording: x}
	case r.Streaming != nil:
		x := &Recording{Node: node, ID: r.Streaming.ID, Kind: "streaming", CallID: r.Streaming.Call,
			CallLegID: r.Streaming.CallLeg, Target: r.Streaming.StreamURL, Seen: r.Time}
		startOrEnd(r.Type == TypeStreamingEnd, r.Time, &x.StartedAt, &x.EndedAt)
		return Change{Recording: x}
	}
	return Change{}
}

func startOrEnd(end bool, t time.Time, start, stop *time.Time) {
	if end {
		*stop = t
	} else {
		*start = t
	}
}

func projectCall(node string, r Record) *Instance {
	c := r.Call
	x := &Instance{Node: node, CallID: c.ID, CallCorrelator: c.CallCorrelator, CoSpace: c.CoSpace,
		Name: c.Name, OwnerName: c.OwnerName, CallType: c.CallType, Tenant: c.Tenant, Seen: r.Time}
	if r.Type == TypeCallEnd {
		x.EndedAt = r.Time
		x.DurationS = deref(c.DurationSeconds)
		x.LegsCompleted = deref(c.LegsCompleted)
		x.LegsMaxActive = deref(c.LegsMaxActive)
		x.Recorded = c.EndpointRecorded != nil && *c.EndpointRecorded
		if x.DurationS > 0 {
			// callEnd says how long the call ran, so its start is known even when callStart
			// never arrived (a bridge whose buffer overflowed).
			x.StartedAt = r.Time.Add(-time.Duration(x.DurationS) * time.Second)
		}
	} else {
		x.StartedAt = r.Time
	}
	return x
}

func projectLeg(node string, r Record) *Leg {
	l := r.Leg
	x := &Leg{Node: node, LegID: l.ID, CallID: l.Call, DisplayName: l.DisplayName,
		RemoteParty: l.RemoteParty, RemoteAddress: l.RemoteAddress, LocalAddress: l.LocalAddress,
		Direction: l.Direction, Type: l.Type, SubType: l.SubType, Reason: l.Reason,
		ConfirmationStatus: l.ConfirmationStatus, Seen: r.Time,
		Guest:   l.GuestConnection != nil && *l.GuestConnection,
		Service: isTrue(l.Recording) || isTrue(l.Streaming),
	}
	switch r.Type {
	case TypeCallLegStart:
		x.StartedAt = r.Time
	case TypeCallLegUpdate:
		if l.State == "connected" {
			x.ConnectedAt = r.Time
		}
		x.Deactivated = isTrue(l.Deactivated)
	case TypeCallLegEnd:
		x.EndedAt = r.Time
		x.DurationS = deref(l.DurationSeconds)
		x.ActivatedS = deref(l.ActivatedDuration)
		if x.DurationS > 0 {
			x.StartedAt = r.Time.Add(-time.Duration(x.DurationS) * time.Second)
		}
		x.Encrypted = isTrue(l.EncryptedMedia)
		for _, a := range l.Alarms {
			switch a.Type {
			case AlarmPacketLoss:
				x.PacketLossPct = a.DurationPercentage
			case AlarmJitter:
				x.JitterPct = a.DurationPercentage
			case AlarmHighRTT:
				x.HighRTTPct = a.DurationPercentage
			}
		}
		if l.MediaUsage.MainVideoViewer != nil {
			x.VideoViewerPct = *l.MediaUsage.MainVideoViewer
		}
		x.Codecs = codecs(l)
		if v := l.RxVideo; v != nil && v.MaxSizeWidth > 0 {
			x.MaxRxRes = fmt.Sprintf("%dx%d", v.MaxSizeWidth, v.MaxSizeHeight)
		}
	}
	return x
}

func codecs(l *CallLeg) string {
	pair := func(kind string, rx, tx *Media) string {
		if rx == nil && tx == nil {
			return ""
		}
		name := func(m *Media) string {
			if m == nil || m.Codec == "" {
				return "-"
			}
			return m.Codec
		}
		return kind + " " + name(rx) + "/" + name(tx)
	}
	var parts []string
	for _, p := range []string{pair("audio", l.RxAudio, l.TxAudio), pair("video", l.RxVideo, l.TxVideo)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func isTrue(p *bool) bool { return p != nil && *p }

// Merge returns the instance with change c applied.
func (x Instance) Merge(c Instance) Instance {
	newer := !c.Seen.Before(x.Seen)
	m := merger{newer: newer}
	x.CallCorrelator = m.str(x.CallCorrelator, c.CallCorrelator)
	x.CoSpace = m.str(x.CoSpace, c.CoSpace)
	x.Name = m.str(x.Name, c.Name)
	x.OwnerName = m.str(x.OwnerName, c.OwnerName)
	x.CallType = m.str(x.CallType, c.CallType)
	x.Tenant = m.str(x.Tenant, c.Tenant)
	x.StartedAt = earliest(x.StartedAt, c.StartedAt)
	x.EndedAt = latest(x.EndedAt, c.EndedAt)
	x.DurationS = m.int(x.DurationS, c.DurationS)
	x.LegsCompleted = m.int(x.LegsCompleted, c.LegsCompleted)
	x.LegsMaxActive = m.int(x.LegsMaxActive, c.LegsMaxActive)
	x.Recorded = x.Recorded || c.Recorded
	x.Seen = latest(x.Seen, c.Seen)
	return x
}

// Merge returns the leg with change c applied.
func (x Leg) Merge(c Leg) Leg {
	newer := !c.Seen.Before(x.Seen)
	m := merger{newer: newer}
	x.CallID = m.str(x.CallID, c.CallID)
	x.DisplayName = m.str(x.DisplayName, c.DisplayName)
	x.RemoteParty = m.str(x.RemoteParty, c.RemoteParty)
	x.RemoteAddress = m.str(x.RemoteAddress, c.RemoteAddress)
	x.LocalAddress = m.str(x.LocalAddress, c.LocalAddress)
	x.Direction = m.str(x.Direction, c.Direction)
	x.Type = m.str(x.Type, c.Type)
	x.SubType = m.str(x.SubType, c.SubType)
	x.Guest = x.Guest || c.Guest
	x.Service = x.Service || c.Service
	x.StartedAt = earliest(x.StartedAt, c.StartedAt)
	x.ConnectedAt = earliest(x.ConnectedAt, c.ConnectedAt)
	x.EndedAt = latest(x.EndedAt, c.EndedAt)
	x.DurationS = m.int(x.DurationS, c.DurationS)
	x.ActivatedS = m.int(x.ActivatedS, c.ActivatedS)
	x.Reason = m.str(x.Reason, c.Reason)
	x.ConfirmationStatus = m.str(x.ConfirmationStatus, c.ConfirmationStatus)
	if newer && !c.ConnectedAt.IsZero() {
		// Only callLegUpdate says whether the leg waits in the lobby; the newest one counts.
		x.Deactivated = c.Deactivated
	}
	x.Encrypted = x.Encrypted || c.Encrypted
	x.PacketLossPct = m.float(x.PacketLossPct, c.PacketLossPct)
	x.JitterPct = m.float(x.JitterPct, c.JitterPct)
	x.HighRTTPct = m.float(x.HighRTTPct, c.HighRTTPct)
	x.VideoViewerPct = m.float(x.VideoViewerPct, c.VideoViewerPct)
	x.Codecs = m.str(x.Codecs, c.Codecs)
	x.MaxRxRes = m.str(x.MaxRxRes, c.MaxRxRes)
	x.Seen = latest(x.Seen, c.Seen)
	return x
}

// Merge returns the recording with change c applied.
func (x Recording) Merge(c Recording) Recording {
	m := merger{newer: !c.Seen.Before(x.Seen)}
	x.Kind = m.str(x.Kind, c.Kind)
	x.CallID = m.str(x.CallID, c.CallID)
	x.CallLegID = m.str(x.CallLegID, c.CallLegID)
	x.Target = m.str(x.Target, c.Target)
	x.StartedAt = earliest(x.StartedAt, c.StartedAt)
	x.EndedAt = latest(x.EndedAt, c.EndedAt)
	x.Seen = latest(x.Seen, c.Seen)
	return x
}

// merger applies "a value from a newer record wins; an older record only fills gaps".
type merger struct{ newer bool }

func (m merger) str(old, v string) string {
	if v != "" && (m.newer || old == "") {
		return v
	}
	return old
}

func (m merger) int(old, v int) int {
	if v != 0 && (m.newer || old == 0) {
		return v
	}
	return old
}

func (m merger) float(old, v float64) float64 {
	if v != 0 && (m.newer || old == 0) {
		return v
	}
	return old
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
