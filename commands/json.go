package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"time"
)

// JSON output of `nfmm exec --json` (schema version 1). Every document is one object:
//
//	{"version": 1, "kind": "<kind>", "result": {…}}                                  on success
//	{"version": 1, "kind": "error", "error": {"type", "code", "message", "candidates"}}   on failure
//
// version changes only when a field is renamed or removed; new fields may appear at any time.
// kind is the operation: help, calls, call, participant, status, report, or action (add,
// presenter, layout, mute, unmute, disconnect; result.op names which). Field names are
// snake_case; lists are always arrays (never null); times are RFC 3339; durations are integer
// seconds in *_seconds fields (latency: latency_ms). Results:
//
//   - calls: filter, meetings[{correlator, name, participants, nodes[], duration_seconds}],
//     total_participants, nodes[], unreachable[{node, reason}], as_of
//   - call: meeting{…}, participants[{leg_id, node, call_id, name, address, direction, state,
//     audio_muted, video_muted, layout, duration_seconds}], unreachable[], as_of
//   - participant: participant{…row}, meeting{…}, chosen_layout, tx_audio_muted, tx_video_muted,
//     encrypted, cipher_suite, rx_audio, tx_audio ({codec, jitter_ms, bit_rate,
//     packet_loss_percent, round_trip_time_ms} or null), rx_video[], tx_video[] ({role, codec,
//     width, height, frame_rate, jitter_ms, bit_rate, packet_loss_percent,
//     round_trip_time_ms}), alarms[], as_of
//   - action: op, meeting{…}, participant, leg_id, node, summary, changes[{subject, field,
//     before, after}], updated, gone[{leg_id, name, node, reason}], failed[…]
//   - status: nodes[{node, reachable, version, uptime_seconds, active_legs, latency_ms, error}], as_of
//   - report: meetings, participants, nodes[…status nodes], largest[…meetings],
//     poor_media[{meeting, participant, leg_id, node, stream, packet_loss_percent, jitter_ms}],
//     unreachable[], rosters_read, rosters_skipped, as_of
//   - help: topic, entries[{name, usage, summary, operator}], role (none|viewer|operator), note
//
// error.type is usage, reference, denied, cms or internal; error.code is set for usage errors
// (unknown_command, missing_argument, extra_argument, invalid_layout, invalid_uri, invalid_id,
// invalid_text, invalid_media, invalid_node, syntax).

// JSONVersion is the version of the JSON schema documented above.
const JSONVersion = 1

// Kind names a result in the JSON envelope.
func Kind(r Result) string {
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
	}
	return "unknown"
}

// MarshalResult returns the JSON envelope of a result.
func MarshalResult(r Result) ([]byte, error) {
	return indent(struct {
		Version int    `json:"version"`
		Kind    string `json:"kind"`
		Result  any    `json:"result"`
	}{JSONVersion, Kind(r), normalize(reflect.ValueOf(r)).Interface()})
}

// ErrorDoc is the "error" object of the JSON envelope.
type ErrorDoc struct {
	Type       string   `json:"type"`
	Code       string   `json:"code,omitempty"`
	Message    string   `json:"message"`
	Candidates []string `json:"candidates,omitempty"`
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
		d.Type, d.Candidates = "reference", re.Candidates
	case errors.As(err, &de):
		d.Type = "denied"
	case errors.As(err, &ce):
		d.Type = "cms"
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

// MarshalJSON adds uptime_seconds and latency_ms.
func (h NodeHealth) MarshalJSON() ([]byte, error) {
	type plain NodeHealth
	return json.Marshal(struct {
		plain
		UptimeSeconds int64 `json:"uptime_seconds"`
		LatencyMs     int64 `json:"latency_ms"`
	}{plain(h), secs(h.Uptime), h.Latency.Milliseconds()})
}

// MarshalText makes a Role "none", "viewer" or "operator" in JSON.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

type audioJSON struct {
	Codec         string  `json:"codec"`
	JitterMs      int     `json:"jitter_ms"`
	BitRate       int     `json:"bit_rate"`
	LossPercent   float64 `json:"packet_loss_percent"`
	RoundTripTime int     `json:"round_trip_time_ms"`
}

type videoJSON struct {
	Role          string  `json:"role"`
	Codec         string  `json:"codec"`
	Width         int     `json:"width"`
	Height        int     `json:"height"`
	FrameRate     float64 `json:"frame_rate"`
	JitterMs      int     `json:"jitter_ms"`
	BitRate       int     `json:"bit_rate"`
	LossPercent   float64 `json:"packet_loss_percent"`
	RoundTripTime int     `json:"round_trip_time_ms"`
}

func audioOf(a *AudioStats) *audioJSON {
	if a == nil {
		return nil
	}
	return &audioJSON{a.Codec, a.Jitter, a.BitRate, a.PacketLossPercentage, a.RoundTripTime}
}

func videoOf(vs []VideoStats) []videoJSON {
	out := make([]videoJSON, 0, len(vs))
	for _, v := range vs {
		out = append(out, videoJSON{v.Role, v.Codec, v.Width, v.Height, v.FrameRate, v.Jitter, v.BitRate, v.PacketLossPercentage, v.RoundTripTime})
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
	}{plain(p), audioOf(p.RxAudio), audioOf(p.TxAudio), videoOf(p.RxVideo), videoOf(p.TxVideo)})
}
