package cms

// Call is one call instance on one node, as GET /calls lists it. A meeting spread over several
// call bridges has one Call per node, all with the same CallCorrelator.
type Call struct {
	ID             string
	Name           string
	CoSpace        string
	CallCorrelator string
	Tenant         string
}

// CallDetail is GET /calls/<id>. Counters are node-local ("numParticipantsLocal": participants
// hosted by the node that answered).
type CallDetail struct {
	Call
	CallType                string
	OwnerName               string
	DurationSeconds         int
	NumCallLegs             int
	MaxCallLegs             int
	NumParticipantsLocal    int
	NumParticipantsRemote   int
	NumDistributedInstances int
	PresenterCallLeg        string
	Locked                  bool
	Recording               bool // the call is being recorded
	Streaming               bool
	// The banner (messageText) shows for MessageDuration seconds ("permanent": until changed);
	// MessagePosition is top | middle | bottom.
	MessageText, MessagePosition, MessageDuration string
	// MessageTimeRemaining is how many seconds a timed banner still shows (nil: not reported).
	MessageTimeRemaining *int
	// JoinAudioMuteOverride is tri-state in CMS: nil means unset (the profile decides).
	JoinAudioMuteOverride *bool
}

// BannerShowing reports whether the call's banner is on screen now: there is text, its duration
// is not 0, and a timed banner has time left.
func (d CallDetail) BannerShowing() bool {
	if d.MessageText == "" || d.MessageDuration == "" || d.MessageDuration == "0" {
		return false
	}
	return d.MessageDuration == "permanent" || d.MessageTimeRemaining == nil || *d.MessageTimeRemaining > 0
}

// CallLeg is one entry of GET /callLegs or GET /calls/<id>/callLegs.
type CallLeg struct {
	ID                  string
	Name                string
	RemoteParty         string
	OriginalRemoteParty string
	Call                string
	Tenant              string
	// Alarms holds the child element names of <alarms>: packetLoss, excessiveJitter, highRoundTripTime.
	Alarms []string
}

// CallLegDetail is GET /callLegs/<id>: the leg, its per-leg overrides and its live status.
type CallLegDetail struct {
	CallLeg
	LocalAddress string
	Type         string // sip | acano
	SubType      string // lync | avaya | distributionLink | lyncDistribution; "" for a plain leg
	Direction    string // incoming | outgoing
	CanMove      bool
	Config       LegConfig
	Status       LegStatus
}

// IsDistributionLink reports whether the leg is the link between two call bridges of a
// distributed meeting rather than a participant.
func (l CallLegDetail) IsDistributionLink() bool {
	return l.SubType == "distributionLink" || l.SubType == "lyncDistribution"
}

// LegConfig is the <configuration> block: overrides active for this leg. A mute flag that CMS
// omits is false.
type LegConfig struct {
	ChosenLayout  string
	DefaultLayout string
	RxAudioMute   bool
	TxAudioMute   bool
	RxVideoMute   bool
	TxVideoMute   bool
}

// LegStatus is the <status> block of a call leg.
type LegStatus struct {
	State            string // initial | ringing | connected | onHold
	DurationSeconds  int
	SIPCallID        string // the SIP Call-ID (sipCallId on the wire; sipCallID is read too)
	GroupID          string
	Deactivated      bool // waiting in the lobby
	EncryptedMedia   bool
	UnencryptedMedia bool
	CipherSuite      string
	Layout           string
	ActiveLayout     string
	RxAudio          *AudioStats // nil when CMS reports no such stream
	TxAudio          *AudioStats
	RxVideo          []VideoStats // one per role (main, presentation)
	TxVideo          []VideoStats
}

// AudioStats is <rxAudio> or <txAudio>. RoundTripTime (ms) is only reported on tx streams.
type AudioStats struct {
	Codec                string
	Jitter               int // ms
	BitRate              int // bit/s
	CodecBitRate         int
	PacketLossPercentage float64
	RoundTripTime        int
}

// VideoStats is <rxVideo role="…"> or <txVideo role="…">.
type VideoStats struct {
	Role                 string // main | presentation
	Codec                string
	Width                int
	Height               int
	FrameRate            float64
	Jitter               int
	BitRate              int
	PacketLossPercentage float64
	RoundTripTime        int
}

// Participant is one entry of GET /participants or GET /calls/<id>/participants, or the detail
// GET /participants/<id>. CallBridge is set only when another call bridge hosts the participant.
type Participant struct {
	ID          string
	Name        string
	Call        string
	Tenant      string
	CallBridge  string
	URI         string
	OriginalURI string
	NumCallLegs int
	State       string
	// Importance is nil when unset.
	Importance *int
	CanMove    bool // detail only: whether a move (movedParticipant) is allowed
}

// SystemStatus is GET /system/status.
type SystemStatus struct {
	SoftwareVersion      string
	UptimeSeconds        int64
	ClusterEnabled       bool
	CallLegsActive       int
	CallLegsMaxActive    int
	CallLegsCompleted    int
	AudioBitRateOutgoing int64
	AudioBitRateIncoming int64
	VideoBitRateOutgoing int64
	VideoBitRateIncoming int64
}

// CallBridge is one clustered call bridge from GET /callBridges (Name only) or
// GET /callBridges/<id> (with Address, the peer's API base URL).
type CallBridge struct {
	ID              string
	Name            string
	Address         string
	SIPDomain       string
	CallBridgeGroup string
}

// ClusterConfig is GET /system/configuration/cluster: this node's own identity in the cluster.
type ClusterConfig struct {
	UniqueName string
}

// Layouts are the 13 values of the CMS "Layouts" enum, accepted by chosenLayout.
var Layouts = []string{
	"allEqual", "speakerOnly", "telepresence", "stacked",
	"allEqualQuarters", "allEqualNinths", "allEqualSixteenths", "allEqualTwentyFifths",
	"onePlusFive", "onePlusSeven", "onePlusNine", "automatic", "onePlusN",
}
