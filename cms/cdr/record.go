package cdr

import "time"

// Record types CMS sends (CMS 2.2 and 2.9 CDR guides).
const (
	TypeCallStart      = "callStart"
	TypeCallEnd        = "callEnd"
	TypeCallLegStart   = "callLegStart"
	TypeCallLegUpdate  = "callLegUpdate"
	TypeCallLegEnd     = "callLegEnd"
	TypeRecordingStart = "recordingStart"
	TypeRecordingEnd   = "recordingEnd"
	TypeStreamingStart = "streamingStart"
	TypeStreamingEnd   = "streamingEnd"
)

// Batch is one <records> post from one call bridge.
type Batch struct {
	// Session is a GUID that changes at every Call Bridge restart; with CorrelatorIndex it
	// identifies a record across all receivers.
	Session string
	// CallBridge is the bridge's id as in /callBridges; empty when the bridge is not clustered.
	CallBridge string
	Records    []Record
}

// Record is one <record>. Exactly one of Call, Leg, Recording and Streaming is set for the
// known types; a type this package does not know keeps only its envelope and XML.
type Record struct {
	Session         string
	CorrelatorIndex int64
	// RecordIndex is per receiver and may differ for the same record at another receiver.
	RecordIndex int64
	Type        string
	Time        time.Time
	// PrecedingMissing is numPreceedingRecordsMissing (sic): records the bridge dropped
	// before this one because its buffer overflowed.
	PrecedingMissing int
	// XML is the record element exactly as received, kept for audit and re-projection.
	XML []byte

	Call      *Call
	Leg       *CallLeg
	Recording *RecordingInfo
	Streaming *StreamingInfo
}

// Key is the dedupe key Cisco documents: (session, correlatorIndex).
type Key struct {
	Session         string
	CorrelatorIndex int64
}

// Key returns the record's dedupe key.
func (r Record) Key() Key { return Key{r.Session, r.CorrelatorIndex} }

// Call is the <call> of callStart and callEnd. callStart fills the descriptive fields, callEnd
// the counters.
type Call struct {
	ID             string
	Name           string
	OwnerName      string
	CallType       string // coSpace, adHoc, lyncConferencing, forwarding
	CoSpace        string
	Tenant         string
	CallCorrelator string // the same on every instance of a distributed meeting (CMS 1.7+)
	CDRTag         string

	LegsCompleted    *int
	LegsMaxActive    *int
	DurationSeconds  *int
	EndpointRecorded *bool // CMS 2.4+
}

// CallLeg is the <callLeg> of callLegStart, callLegUpdate and callLegEnd. Pointers tell "absent"
// from "false"/"0": every record carries only some fields.
type CallLeg struct {
	ID          string
	CDRTag      string
	DisplayName string
	// GuestConnection is true for a Web App guest.
	GuestConnection *bool
	LocalAddress    string
	RemoteParty     string
	RemoteAddress   string
	Type            string // sip, acano, …
	SubType         string // lync, avaya, distributionLink, …
	LyncSubType     string // audioVideo, applicationSharing, instantMessaging
	Direction       string // incoming, outgoing
	// Call is the call this leg is in, once known; IVR is set by an empty <ivr/> instead.
	Call      string
	IVR       bool
	OwnerID   string
	SipCallID string
	GroupID   string
	// Recording and Streaming mark the recorder's and streamer's own legs.
	Recording              *bool
	Streaming              *bool
	CanMove                *bool
	MovedCallLeg           string
	MovedCallLegCallBridge string
	CallMove               string // the inner XML of <callMove>, kept verbatim

	// callLegUpdate
	State              string // only "connected"
	Deactivated        *bool  // true: waiting in the lobby
	ConfirmationStatus string // notRequired, required, confirmed, rejected

	// callLegEnd
	Reason            string
	RemoteTeardown    *bool
	DurationSeconds   *int
	ActivatedDuration *int // seconds out of the lobby
	MediaUsage        MediaUsage
	Alarms            []Alarm
	EncryptedMedia    *bool
	UnencryptedMedia  *bool
	RxAudio, TxAudio  *Media
	RxVideo, TxVideo  *Media
}

// IsDistributionLink reports whether the leg links two call bridges rather than being a
// participant.
func (l CallLeg) IsDistributionLink() bool {
	return l.SubType == "distributionLink" || l.SubType == "lyncDistribution"
}

// MediaUsage is <mediaUsagePercentages>: the share of the leg's time spent in each role.
type MediaUsage struct {
	MainVideoViewer         *float64
	MainVideoContributor    *float64
	PresentationContributor *float64
	MultiStreamVideo        *float64
}

// Alarm is one <alarm type=… durationPercentage=…/>: the share of the leg's duration that had
// the condition (packetLoss, excessiveJitter, highRoundTripTime).
type Alarm struct {
	Type               string
	DurationPercentage float64
}

// Alarm types.
const (
	AlarmPacketLoss = "packetLoss"
	AlarmJitter     = "excessiveJitter"
	AlarmHighRTT    = "highRoundTripTime"
)

// Media is one of rxAudio, txAudio, rxVideo, txVideo.
type Media struct {
	Codec         string
	MaxSizeWidth  int
	MaxSizeHeight int
	// PacketStatistics is the inner XML of <packetStatistics>, kept verbatim.
	PacketStatistics string
}

// RecordingInfo is the <recording> of recordingStart and recordingEnd.
type RecordingInfo struct {
	ID      string
	Path    string
	Call    string
	CallLeg string
}

// StreamingInfo is the <streaming> of streamingStart and streamingEnd.
type StreamingInfo struct {
	ID        string
	StreamURL string
	Call      string
	CallLeg   string
}
