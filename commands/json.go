package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"time"
)

// JSON output of `nfmm exec --json` (schema version 2). Every document is one object:
//
//	{"version": 2, "kind": "<kind>", "result": {…}}                                    on success
//	{"version": 2, "kind": "error", "error": {"type", "code", "message", "candidates"}}  on failure
//
// The JSON Schemas in docs/schema/ describe every document exactly (tests validate real output
// against them); docs/json.md has the change log. version changes only when a field is renamed,
// removed or changes type; new fields may appear at any time. kind is the operation: help,
// calls, call, participant, status, report, schedule, history, alerts, audit, or action (add, presenter, layout,
// mute, unmute, disconnect; result.op names which). Field names are snake_case and carry their
// unit (_seconds, _ms, _bps, _px, _fps, _percent); lists are always arrays (never null); a
// value that was not measured is null, never 0; times are RFC 3339.
//
// error.type is usage, reference, denied, cms or internal. error.code is set for usage errors
// (unknown_command, missing_argument, extra_argument, invalid_layout, invalid_uri, invalid_id,
// invalid_text, invalid_media, invalid_node, invalid_cluster, choose_cluster, invalid_date, invalid_value, syntax) and reference
// errors (ambiguous, not_found). Reference errors list candidates as objects: {correlator, name,
// nodes} for a meeting, {leg_id, name, node} for a participant, with more_candidates counting
// those left out and unsearched naming nodes that could not be searched.

// JSONVersion is the version of the JSON schema documented above.
const JSONVersion = 2

// Kind names a result in the JSON envelope.
func Kind(r Result) string {
	if w, ok := r.(*WatchResult); ok {
		r = w.Snapshot
	}
	switch r.(type) {
	case *CallsResult:
		return "calls"
	case *RosterResult:
		return "call"
	case *ParticipantResult:
		return "participant"
	case *ActionResult:
		return "action"
	case *StatusResult:
		return "status"
	case *ReportResult:
		return "report"
	case *HelpResult:
		return "help"
	case *ScheduleResult:
		return "schedule"
	case *FindResult:
		return "find"
	case *HistoryResult:
		return "history"
	case *AlertsResult:
		return "alerts"
	case *AuditResult:
		return "audit"
	}
	return "unknown"
}

// MarshalResult returns the JSON envelope of a result.
func MarshalResult(r Result) ([]byte, error) {
	if w, ok := r.(*WatchResult); ok {
		r = w.Snapshot
	}
	return indent(struct {
		Version int    `json:"version"`
		Kind    string `json:"kind"`
		Result  any    `json:"result"`
	}{JSONVersion, Kind(r), normalize(reflect.ValueOf(r)).Interface()})
}

// Reference error codes (error.code when error.type is "reference").
const (
	CodeAmbiguous = "ambiguous"
	CodeNotFound  = "not_found"
)

// ErrorDoc is the "error" object of the JSON envelope.
type ErrorDoc struct {
	Type           string   `json:"type"`
	Code           string   `json:"code,omitempty"`
	Message        string   `json:"message"`
	Candidates     []any    `json:"candidates,omitempty"` // meetingCandidate or legCandidate
	MoreCandidates int      `json:"more_candidates,omitempty"`
	Unsearched     []string `json:"unsearched,omitempty"`
}

type meetingCandidate struct {
	Correlator string   `json:"correlator"`
	Name       string   `json:"name"`
	Nodes      []string `json:"nodes"`
}

type legCandidate struct {
	LegID string `json:"leg_id"`
	Name  string `json:"name"`
	Node  string `json:"node"`
}

// refDoc fills the reference fields of an error document.
func refDoc(d *ErrorDoc, re *RefError) {
	d.Type, d.Code = "reference", CodeNotFound
	if re.Ambiguous {
		d.Code = CodeAmbiguous
	}
	for _, c := range re.Matches {
		if re.Kind == "meeting" {
			d.Candidates = append(d.Candidates, meetingCandidate{c.Correlator, c.Name, append([]string{}, c.Nodes...)})
		} else {
			d.Candidates = append(d.Candidates, legCandidate{c.LegID, c.Name, c.Node})
		}
	}
	d.MoreCandidates, d.Unsearched = re.More, re.Unsearched
}

// MarshalError returns the JSON envelope of an error (user-safe text only).
func MarshalError(err error) ([]byte, error) {
	d := ErrorDoc{Type: "internal", Message: UserMessage(err)}
	var (
		ue *UsageError
		re *RefError
		de *DeniedError
		ce *CMSError
	)
	switch {
	case errors.As(err, &ue):
		d.Type, d.Code = "usage", ue.Code
	case errors.As(err, &re):
		refDoc(&d, re)
	case errors.As(err, &de):
		d.Type = "denied"
	case errors.As(err, &ce):
		d.Type = "cms"
	case errors.As(err, new(*ClusterChoiceError)):
		d.Type, d.Code = "usage", CodeChooseCluster
	default:
		if re := refError(err); re != nil {
			refDoc(&d, re)
		}
	}
	return indent(struct {
		Version int      `json:"version"`
		Kind    string   `json:"kind"`
		Error   ErrorDoc `json:"error"`
	}{JSONVersion, "error", d})
}

// indent marshals v indented, without escaping <, > and & (the output is for terminals and
// scripts, not HTML).
func indent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// normalize returns a copy of v in which every nil slice is an empty one, so JSON lists are
// always arrays. The caller's value is not modified.
func normalize(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(normalize(v.Elem()))
		return n
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range c.NumField() {
			if f := c.Field(i); f.CanSet() {
				f.Set(normalize(f))
			}
		}
		return c
	case reflect.Slice:
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			n.Index(i).Set(normalize(v.Index(i)))
		}
		return n
	}
	return v
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

// MarshalJSON adds duration_seconds.
func (m MeetingSummary) MarshalJSON() ([]byte, error) {
	type plain MeetingSummary
	return json.Marshal(struct {
		plain
		DurationSeconds int64 `json:"duration_seconds"`
	}{plain(m), secs(m.Duration)})
}

// MarshalJSON adds duration_seconds.
func (p ParticipantRow) MarshalJSON() ([]byte, error) {
	type plain ParticipantRow
	return json.Marshal(struct {
		plain
		DurationSeconds int64 `json:"duration_seconds"`
	}{plain(p), secs(p.Duration)})
}

// MarshalJSON adds uptime_seconds and latency_ms; what an unreachable node could not tell
// (version, uptime, legs, latency) is null.
func (h NodeHealth) MarshalJSON() ([]byte, error) {
	type plain NodeHealth
	doc := struct {
		plain
		Version       *string `json:"version"`
		ActiveLegs    *int    `json:"active_legs"`
		UptimeSeconds *int64  `json:"uptime_seconds"`
		LatencyMs     *int64  `json:"latency_ms"`
	}{plain: plain(h)}
	if h.Reachable {
		up, lat := secs(h.Uptime), h.Latency.Milliseconds()
		doc.Version, doc.ActiveLegs, doc.UptimeSeconds, doc.LatencyMs = &h.Version, &h.ActiveLegs, &up, &lat
	}
	return json.Marshal(doc)
}

// MarshalText makes a Role "none", "viewer" or "operator" in JSON.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

type audioJSON struct {
	Codec         string  `json:"codec"`
	JitterMs      int     `json:"jitter_ms"`
	BitRateBps    int     `json:"bit_rate_bps"`
	LossPercent   float64 `json:"packet_loss_percent"`
	RoundTripTime *int    `json:"round_trip_time_ms"` // null on rx: CMS measures it only on what it sends
}

type videoJSON struct {
	Role          string  `json:"role"`
	Codec         string  `json:"codec"`
	WidthPx       int     `json:"width_px"`
	HeightPx      int     `json:"height_px"`
	FrameRateFps  float64 `json:"frame_rate_fps"`
	JitterMs      int     `json:"jitter_ms"`
	BitRateBps    int     `json:"bit_rate_bps"`
	LossPercent   float64 `json:"packet_loss_percent"`
	RoundTripTime *int    `json:"round_trip_time_ms"`
}

// txOnly is the round-trip time of a tx stream, nil on rx (the text shows "-" there too).
func txOnly(tx bool, ms int) *int {
	if !tx {
		return nil
	}
	return &ms
}

func audioOf(a *AudioStats, tx bool) *audioJSON {
	if a == nil {
		return nil
	}
	return &audioJSON{a.Codec, a.Jitter, a.BitRate, a.PacketLossPercentage, txOnly(tx, a.RoundTripTime)}
}

func videoOf(vs []VideoStats, tx bool) []videoJSON {
	out := make([]videoJSON, 0, len(vs))
	for _, v := range vs {
		out = append(out, videoJSON{v.Role, v.Codec, v.Width, v.Height, v.FrameRate, v.Jitter, v.BitRate,
			v.PacketLossPercentage, txOnly(tx, v.RoundTripTime)})
	}
	return out
}

// MarshalJSON spells the media statistics in snake_case.
func (p ParticipantResult) MarshalJSON() ([]byte, error) {
	type plain ParticipantResult
	return json.Marshal(struct {
		plain
		RxAudio *audioJSON  `json:"rx_audio"`
		TxAudio *audioJSON  `json:"tx_audio"`
		RxVideo []videoJSON `json:"rx_video"`
		TxVideo []videoJSON `json:"tx_video"`
	}{plain(p), audioOf(p.RxAudio, false), audioOf(p.TxAudio, true), videoOf(p.RxVideo, false), videoOf(p.TxVideo, true)})
}
