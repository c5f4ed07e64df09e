package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nfmm/nfmm/cms"
)

// The event stream of `nfmm exec watch` (and, later, of the Slack live features): one
// document per change of cms.Live, Slack-free.
//
//	{"version":1,"kind":"snapshot","result":{…}}   first: what `calls` (or `call <meeting>`) gives
//	{"version":1,"kind":"event","event":{…}}       then one per change
//
// event: type (meeting_started, meeting_ended, meeting_changed, participant_joined,
// participant_left, participant_changed, node_down, node_up), time (RFC 3339, UTC), node,
// meeting {correlator, name} on meeting and participant events, participant {id, name,
// address, leg_id when known} on participant events, changes [{field, before, after}] on the
// *_changed types, reason on participant_left and meeting_ended when CMS gave one.

// WatchVersion is the version of the watch stream's envelope; its contract fixes it at 1,
// independently of JSONVersion (the snapshot's result is the current calls/call result).
const WatchVersion = 1

// WatchEvent is the "event" object.
type WatchEvent struct {
	Type        string            `json:"type"`
	Time        string            `json:"time"`
	Node        string            `json:"node"`
	Meeting     *WatchMeeting     `json:"meeting,omitempty"`
	Participant *WatchParticipant `json:"participant,omitempty"`
	Changes     []WatchChange     `json:"changes,omitempty"`
	Reason      string            `json:"reason,omitempty"`
}

// WatchMeeting names the meeting of an event.
type WatchMeeting struct {
	Correlator string `json:"correlator"`
	Name       string `json:"name"`
}

// WatchParticipant names the participant of an event: the CMS participant id, and the call
// leg id when it is known.
type WatchParticipant struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
	LegID   string `json:"leg_id,omitempty"`
}

// WatchChange is one changed field; before and after are a string, bool, number or null.
type WatchChange struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// NewWatchEvent converts a cms.Change.
func NewWatchEvent(c cms.Change) WatchEvent {
	e := WatchEvent{Type: string(c.Type), Time: c.Time.UTC().Format(time.RFC3339), Node: c.Node}
	if c.Meeting != nil {
		e.Meeting = &WatchMeeting{Correlator: c.Meeting.Correlator, Name: c.Meeting.Name}
	}
	if c.Participant != nil {
		p := c.Participant
		e.Participant = &WatchParticipant{ID: p.ID, Name: p.Name, Address: p.Address, LegID: p.LegID}
	}
	switch c.Type {
	case cms.MeetingChanged, cms.ParticipantChanged:
		e.Changes = make([]WatchChange, 0, len(c.Changes))
		for _, f := range c.Changes {
			e.Changes = append(e.Changes, WatchChange{Field: f.Field, Before: f.Before, After: f.After})
		}
	case cms.ParticipantLeft, cms.MeetingEnded:
		e.Reason = c.Reason
	}
	return e
}

// MarshalWatchEvent is one event line (no trailing newline).
func MarshalWatchEvent(c cms.Change) ([]byte, error) {
	return compactJSON(struct {
		Version int        `json:"version"`
		Kind    string     `json:"kind"`
		Event   WatchEvent `json:"event"`
	}{WatchVersion, "event", NewWatchEvent(c)})
}

// MarshalWatchSnapshot is the first line: result r (calls or call) as kind "snapshot".
func MarshalWatchSnapshot(r Result) ([]byte, error) {
	doc, err := MarshalResult(r)
	if err != nil {
		return nil, err
	}
	var env struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(doc, &env); err != nil {
		return nil, err
	}
	return compactJSON(struct {
		Version int             `json:"version"`
		Kind    string          `json:"kind"`
		Result  json.RawMessage `json:"result"`
	}{WatchVersion, "snapshot", env.Result})
}

func compactJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b.Bytes()); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// FormatWatchLine is the readable line of a change, in loc's clock:
// "14:02:07 cb2 Board review: Dmitri Kowalski muted (audio)".
func FormatWatchLine(c cms.Change, loc *time.Location) string {
	var b strings.Builder
	b.WriteString(c.Time.In(loc).Format(time.TimeOnly))
	b.WriteString(" " + line(c.Node))
	if c.Meeting != nil {
		b.WriteString(" " + line(c.Meeting.Name) + ":")
	}
	who := ""
	if c.Participant != nil {
		who = line(c.Participant.Name)
		if who == "" {
			who = line(c.Participant.Address)
		}
	}
	reason := ""
	if c.Reason != "" {
		reason = " (" + line(c.Reason) + ")"
	}
	switch c.Type {
	case cms.MeetingStarted:
		b.WriteString(" started")
	case cms.MeetingEnded:
		b.WriteString(" ended" + reason)
	case cms.MeetingChanged:
		b.WriteString(" " + strings.Join(describeChanges(c.Changes, true), ", "))
	case cms.ParticipantJoined:
		b.WriteString(" " + who + " joined")
	case cms.ParticipantLeft:
		b.WriteString(" " + who + " left" + reason)
	case cms.ParticipantChanged:
		b.WriteString(" " + who + " " + strings.Join(describeChanges(c.Changes, false), ", "))
	case cms.NodeDown:
		b.WriteString(" node down" + reason)
	case cms.NodeUp:
		b.WriteString(" node up")
	default:
		b.WriteString(" " + string(c.Type))
	}
	return b.String()
}

func describeChanges(cs []cms.FieldChange, meeting bool) []string {
	out := make([]string, 0, len(cs))
	for _, f := range cs {
		on, _ := f.After.(bool)
		switch f.Field {
		case cms.FieldAudioMuted, cms.FieldVideoMuted:
			media := "audio"
			if f.Field == cms.FieldVideoMuted {
				media = "video"
			}
			out = append(out, map[bool]string{true: "muted", false: "unmuted"}[on]+" ("+media+")")
		case cms.FieldPresenter:
			out = append(out, map[bool]string{true: "presenting", false: "stopped presenting"}[on])
		case cms.FieldLocked:
			out = append(out, map[bool]string{true: "locked", false: "unlocked"}[on])
		case cms.FieldRecording, cms.FieldStreaming:
			out = append(out, f.Field+" "+map[bool]string{true: "started", false: "stopped"}[on])
		case cms.FieldParticipants:
			out = append(out, fmt.Sprintf("%v → %v participants", f.Before, f.After))
		case cms.FieldName:
			what := "renamed"
			if !meeting {
				what = "name"
			}
			out = append(out, fmt.Sprintf("%s %q → %q", what, line(fmt.Sprint(f.Before)), line(fmt.Sprint(f.After))))
		default:
			out = append(out, fmt.Sprintf("%s %s → %s", strings.ReplaceAll(f.Field, "_", " "), value(f.Before), value(f.After)))
		}
	}
	return out
}

func value(v any) string {
	if v == nil {
		return "unset"
	}
	return line(fmt.Sprint(v))
}

// line keeps untrusted names from writing terminal escapes or breaking the line.
func line(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}
