package cdr

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ErrMalformed matches every *MalformedError.
var ErrMalformed = errors.New("malformed CDR post")

// MalformedError is a post that is not a well-formed <records> document, or holds a record
// without the fields every record must have. Records before the fault were decoded and are
// returned alongside it.
type MalformedError struct {
	// Offset is the byte offset in the body where decoding stopped.
	Offset int64
	Reason string
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("malformed CDR post at byte %d: %s", e.Offset, e.Reason)
}

func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// Decode reads one CMS <records> post. On a fault it returns the batch decoded so far (every
// record in it complete and valid) and a *MalformedError, so a receiver can keep what it got.
func Decode(body []byte) (Batch, error) {
	var b Batch
	d := xml.NewDecoder(bytes.NewReader(body))
	malformed := func(format string, args ...any) (Batch, error) {
		return b, &MalformedError{Offset: d.InputOffset(), Reason: fmt.Sprintf(format, args...)}
	}
	root, err := firstElement(d)
	if err != nil {
		return malformed("%v", err)
	}
	if root.Name.Local != "records" {
		return malformed("root element is <%s>, want <records>", root.Name.Local)
	}
	b.Session, b.CallBridge = attr(root, "session"), attr(root, "callBridge")
	if b.Session == "" {
		return malformed("<records> has no session")
	}
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err != nil {
			return malformed("unterminated <records>: %v", err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return b, nil // </records>; anything after it is ignored, as after any document
		case xml.StartElement:
			if t.Name.Local != "record" {
				if err := d.Skip(); err != nil {
					return malformed("%v", err)
				}
				continue
			}
			var w xRecord
			if err := d.DecodeElement(&w, &t); err != nil {
				return malformed("record: %v", err)
			}
			r, err := w.record(b.Session)
			if err != nil {
				return malformed("%v", err)
			}
			r.XML = bytes.TrimSpace(bytes.Clone(body[start:d.InputOffset()]))
			b.Records = append(b.Records, r)
		}
	}
}

func firstElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, errors.New("no XML element")
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, errors.New("text before the first element")
			}
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// The wire structs hold strings so that one bad number is reported with its field name.

type xRecord struct {
	Type             string      `xml:"type,attr"`
	Time             string      `xml:"time,attr"`
	RecordIndex      string      `xml:"recordIndex,attr"`
	CorrelatorIndex  string      `xml:"correlatorIndex,attr"`
	PrecedingMissing string      `xml:"numPreceedingRecordsMissing,attr"`
	Call             *xCall      `xml:"call"`
	Leg              *xLeg       `xml:"callLeg"`
	Recording        *xRecording `xml:"recording"`
	Streaming        *xStreaming `xml:"streaming"`
}

type xCall struct {
	ID               string  `xml:"id,attr"`
	Name             string  `xml:"name"`
	OwnerName        string  `xml:"ownerName"`
	CallType         string  `xml:"callType"`
	CoSpace          string  `xml:"coSpace"`
	Tenant           string  `xml:"tenant"`
	CallCorrelator   string  `xml:"callCorrelator"`
	CDRTag           string  `xml:"cdrTag"`
	LegsCompleted    *string `xml:"callLegsCompleted"`
	LegsMaxActive    *string `xml:"callLegsMaxActive"`
	DurationSeconds  *string `xml:"durationSeconds"`
	EndpointRecorded *string `xml:"endpointRecorded"`
}

type xLeg struct {
	ID                     string   `xml:"id,attr"`
	CDRTag                 string   `xml:"cdrTag"`
	DisplayName            string   `xml:"displayName"`
	GuestConnection        *string  `xml:"guestConnection"`
	LocalAddress           string   `xml:"localAddress"`
	RemoteParty            string   `xml:"remoteParty"`
	RemoteAddress          string   `xml:"remoteAddress"`
	Type                   string   `xml:"type"`
	SubType                string   `xml:"subType"`
	LyncSubType            string   `xml:"lyncSubType"`
	Direction              string   `xml:"direction"`
	Call                   string   `xml:"call"`
	IVR                    *string  `xml:"ivr"`
	OwnerID                string   `xml:"ownerId"`
	SipCallID              string   `xml:"sipCallId"`
	GroupID                string   `xml:"groupId"`
	Recording              *string  `xml:"recording"`
	Streaming              *string  `xml:"streaming"`
	CanMove                *string  `xml:"canMove"`
	MovedCallLeg           string   `xml:"movedCallLeg"`
	MovedCallLegCallBridge string   `xml:"movedCallLegCallBridge"`
	CallMove               *xInner  `xml:"callMove"`
	State                  string   `xml:"state"`
	Deactivated            *string  `xml:"deactivated"`
	ConfirmationStatus     string   `xml:"confirmationStatus"`
	Reason                 string   `xml:"reason"`
	RemoteTeardown         *string  `xml:"remoteTeardown"`
	DurationSeconds        *string  `xml:"durationSeconds"`
	ActivatedDuration      *string  `xml:"activatedDuration"`
	MediaUsage             xUsage   `xml:"mediaUsagePercentages"`
	Alarms                 []xAlarm `xml:"alarm"`
	EncryptedMedia         *string  `xml:"encryptedMedia"`
	UnencryptedMedia       *string  `xml:"unencryptedMedia"`
	RxAudio                *xMedia  `xml:"rxAudio"`
	TxAudio                *xMedia  `xml:"txAudio"`
	RxVideo                *xMedia  `xml:"rxVideo"`
	TxVideo                *xMedia  `xml:"txVideo"`
}

type xInner struct {
	Inner string `xml:",innerxml"`
}

type xUsage struct {
	MainVideoViewer         *string `xml:"mainVideoViewer"`
	MainVideoContributor    *string `xml:"mainVideoContributor"`
	PresentationContributor *string `xml:"presentationContributor"`
	MultiStreamVideo        *string `xml:"multiStreamVideo"`
}

type xAlarm struct {
	Type               string `xml:"type,attr"`
	DurationPercentage string `xml:"durationPercentage,attr"`
}

type xMedia struct {
	Codec            string  `xml:"codec"`
	MaxSizeWidth     string  `xml:"maxSizeWidth"`
	MaxSizeHeight    string  `xml:"maxSizeHeight"`
	PacketStatistics *xInner `xml:"packetStatistics"`
}

type xRecording struct {
	ID      string `xml:"id,attr"`
	Path    string `xml:"path"`
	Call    string `xml:"call"`
	CallLeg string `xml:"callLeg"`
}

type xStreaming struct {
	ID        string `xml:"id,attr"`
	StreamURL string `xml:"streamUrl"`
	Call      string `xml:"call"`
	CallLeg   string `xml:"callLeg"`
}

// fields converts strings one field at a time and keeps the first error, named.
type fields struct{ err error }

func (f *fields) fail(name, v, want string) {
	if f.err == nil {
		f.err = fmt.Errorf("%s %q is not %s", name, v, want)
	}
}

func (f *fields) int64(name, v string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		f.fail(name, v, "an integer")
	}
	return n
}

func (f *fields) int(name string, v *string) *int {
	if v == nil {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(*v))
	if err != nil {
		f.fail(name, *v, "an integer")
		return nil
	}
	return &n
}

func (f *fields) float(name string, v *string) *float64 {
	if v == nil {
		return nil
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(*v), 64)
	if err != nil {
		f.fail(name, *v, "a number")
		return nil
	}
	return &n
}

func (f *fields) bool(name string, v *string) *bool {
	if v == nil {
		return nil
	}
	switch strings.TrimSpace(*v) {
	case "true":
		b := true
		return &b
	case "false":
		b := false
		return &b
	}
	f.fail(name, *v, "true or false")
	return nil
}

func (w xRecord) record(session string) (Record, error) {
	var f fields
	r := Record{Session: session, Type: w.Type}
	if w.Type == "" {
		return r, errors.New("record without a type")
	}
	if w.CorrelatorIndex == "" {
		return r, fmt.Errorf("%s record without a correlatorIndex", w.Type)
	}
	r.CorrelatorIndex = f.int64("correlatorIndex", w.CorrelatorIndex)
	if w.RecordIndex != "" {
		r.RecordIndex = f.int64("recordIndex", w.RecordIndex)
	}
	if w.PrecedingMissing != "" {
		r.PrecedingMissing = int(f.int64("numPreceedingRecordsMissing", w.PrecedingMissing))
	}
	t, err := time.Parse(time.RFC3339, w.Time)
	if err != nil {
		f.fail("time", w.Time, "an RFC 3339 time")
	}
	r.Time = t.UTC()
	switch w.Type {
	case TypeCallStart, TypeCallEnd:
		if w.Call == nil || w.Call.ID == "" {
			return r, fmt.Errorf("%s record without <call id>", w.Type)
		}
		r.Call = w.Call.convert(&f)
	case TypeCallLegStart, TypeCallLegUpdate, TypeCallLegEnd:
		if w.Leg == nil || w.Leg.ID == "" {
			return r, fmt.Errorf("%s record without <callLeg id>", w.Type)
		}
		r.Leg = w.Leg.convert(&f)
	case TypeRecordingStart, TypeRecordingEnd:
		if w.Recording == nil || w.Recording.ID == "" {
			return r, fmt.Errorf("%s record without <recording id>", w.Type)
		}
		r.Recording = &RecordingInfo{ID: w.Recording.ID, Path: w.Recording.Path, Call: w.Recording.Call, CallLeg: w.Recording.CallLeg}
	case TypeStreamingStart, TypeStreamingEnd:
		if w.Streaming == nil || w.Streaming.ID == "" {
			return r, fmt.Errorf("%s record without <streaming id>", w.Type)
		}
		r.Streaming = &StreamingInfo{ID: w.Streaming.ID, StreamURL: w.Streaming.StreamURL, Call: w.Streaming.Call, CallLeg: w.Streaming.CallLeg}
	}
	if f.err != nil {
		return r, fmt.Errorf("%s record %s: %w", w.Type, w.CorrelatorIndex, f.err)
	}
	return r, nil
}

func (c *xCall) convert(f *fields) *Call {
	return &Call{
		ID: c.ID, Name: c.Name, OwnerName: c.OwnerName, CallType: c.CallType, CoSpace: c.CoSpace,
		Tenant: c.Tenant, CallCorrelator: c.CallCorrelator, CDRTag: c.CDRTag,
		LegsCompleted:    f.int("callLegsCompleted", c.LegsCompleted),
		LegsMaxActive:    f.int("callLegsMaxActive", c.LegsMaxActive),
		DurationSeconds:  f.int("durationSeconds", c.DurationSeconds),
		EndpointRecorded: f.bool("endpointRecorded", c.EndpointRecorded),
	}
}

func (l *xLeg) convert(f *fields) *CallLeg {
	c := &CallLeg{
		ID: l.ID, CDRTag: l.CDRTag, DisplayName: l.DisplayName,
		GuestConnection: f.bool("guestConnection", l.GuestConnection),
		LocalAddress:    l.LocalAddress, RemoteParty: l.RemoteParty, RemoteAddress: l.RemoteAddress,
		Type: l.Type, SubType: l.SubType, LyncSubType: l.LyncSubType, Direction: l.Direction,
		Call: strings.TrimSpace(l.Call), IVR: l.IVR != nil, OwnerID: l.OwnerID,
		SipCallID: l.SipCallID, GroupID: l.GroupID,
		Recording:    f.bool("recording", l.Recording),
		Streaming:    f.bool("streaming", l.Streaming),
		CanMove:      f.bool("canMove", l.CanMove),
		MovedCallLeg: l.MovedCallLeg, MovedCallLegCallBridge: l.MovedCallLegCallBridge,
		State:              l.State,
		Deactivated:        f.bool("deactivated", l.Deactivated),
		ConfirmationStatus: l.ConfirmationStatus,
		Reason:             l.Reason,
		RemoteTeardown:     f.bool("remoteTeardown", l.RemoteTeardown),
		DurationSeconds:    f.int("durationSeconds", l.DurationSeconds),
		ActivatedDuration:  f.int("activatedDuration", l.ActivatedDuration),
		MediaUsage: MediaUsage{
			MainVideoViewer:         f.float("mainVideoViewer", l.MediaUsage.MainVideoViewer),
			MainVideoContributor:    f.float("mainVideoContributor", l.MediaUsage.MainVideoContributor),
			PresentationContributor: f.float("presentationContributor", l.MediaUsage.PresentationContributor),
			MultiStreamVideo:        f.float("multiStreamVideo", l.MediaUsage.MultiStreamVideo),
		},
		EncryptedMedia:   f.bool("encryptedMedia", l.EncryptedMedia),
		UnencryptedMedia: f.bool("unencryptedMedia", l.UnencryptedMedia),
		RxAudio:          l.RxAudio.convert(f, "rxAudio"),
		TxAudio:          l.TxAudio.convert(f, "txAudio"),
		RxVideo:          l.RxVideo.convert(f, "rxVideo"),
		TxVideo:          l.TxVideo.convert(f, "txVideo"),
	}
	if l.CallMove != nil {
		c.CallMove = strings.TrimSpace(l.CallMove.Inner)
	}
	for _, a := range l.Alarms {
		pct := f.float("alarm "+a.Type+" durationPercentage", &a.DurationPercentage)
		if pct != nil {
			c.Alarms = append(c.Alarms, Alarm{Type: a.Type, DurationPercentage: *pct})
		}
	}
	return c
}

func (m *xMedia) convert(f *fields, name string) *Media {
	if m == nil {
		return nil
	}
	out := &Media{Codec: m.Codec}
	if m.MaxSizeWidth != "" {
		out.MaxSizeWidth = int(f.int64(name+" maxSizeWidth", m.MaxSizeWidth))
	}
	if m.MaxSizeHeight != "" {
		out.MaxSizeHeight = int(f.int64(name+" maxSizeHeight", m.MaxSizeHeight))
	}
	if m.PacketStatistics != nil {
		out.PacketStatistics = strings.TrimSpace(m.PacketStatistics.Inner)
	}
	return out
}
