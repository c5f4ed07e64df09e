package cmssim

import (
	"encoding/xml"
	"strconv"
)

// The structs below fix the element order of every response to the order CMS emits
// (cms-api.md §3). Optional elements carry omitempty, as CMS omits unset values.

const xmlHeader = `<?xml version="1.0"?>` + "\n"

// list is any collection: <plural total="N"> with one page of children.
type list struct {
	XMLName xml.Name
	Total   int `xml:"total,attr"`
	Items   []any
}

type callItem struct {
	XMLName    xml.Name `xml:"call"`
	ID         string   `xml:"id,attr"`
	Name       string   `xml:"name"`
	CoSpace    string   `xml:"coSpace,omitempty"`
	Correlator string   `xml:"callCorrelator"`
}

type callDetail struct {
	XMLName         xml.Name `xml:"call"`
	ID              string   `xml:"id,attr"`
	Name            string   `xml:"name"`
	CallType        string   `xml:"callType"`
	CoSpace         string   `xml:"coSpace,omitempty"`
	OwnerName       string   `xml:"ownerName,omitempty"`
	Correlator      string   `xml:"callCorrelator"`
	Duration        int      `xml:"durationSeconds"`
	NumCallLegs     int      `xml:"numCallLegs"`
	MaxCallLegs     int      `xml:"maxCallLegs"`
	Local           int      `xml:"numParticipantsLocal"`
	Remote          *int     `xml:"numParticipantsRemote,omitempty"`
	Distributed     *int     `xml:"numDistributedInstances,omitempty"`
	Presenter       string   `xml:"presenterCallLeg,omitempty"`
	Locked          bool     `xml:"locked"`
	Recording       bool     `xml:"recording"`
	Streaming       bool     `xml:"streaming"`
	AllowMuteSelf   bool     `xml:"allowAllMuteSelf"`
	AllowPresent    bool     `xml:"allowAllPresentationContribution"`
	JoinAudioMute   *bool    `xml:"joinAudioMuteOverride,omitempty"`
	MessageText     string   `xml:"messageText,omitempty"`
	MessagePosition string   `xml:"messagePosition"`
	MessageDuration string   `xml:"messageDuration"`
	// MessageTimeRemaining is present while a timed message shows.
	MessageTimeRemaining *int `xml:"messageTimeRemaining,omitempty"`
	ActiveWhenEmpty      bool `xml:"activeWhenEmpty"`
	EndpointRecoding     bool `xml:"endpointRecording"`
}

type alarmsXML struct {
	PacketLoss *struct{} `xml:"packetLoss"`
	Jitter     *struct{} `xml:"excessiveJitter"`
	RoundTrip  *struct{} `xml:"highRoundTripTime"`
}

func newAlarms(names []string) *alarmsXML {
	if len(names) == 0 {
		return nil
	}
	a := &alarmsXML{}
	for _, n := range names {
		switch n {
		case "packetLoss":
			a.PacketLoss = &struct{}{}
		case "excessiveJitter":
			a.Jitter = &struct{}{}
		case "highRoundTripTime":
			a.RoundTrip = &struct{}{}
		}
	}
	return a
}

type callLegItem struct {
	XMLName     xml.Name `xml:"callLeg"`
	ID          string   `xml:"id,attr"`
	Name        string   `xml:"name"`
	RemoteParty string   `xml:"remoteParty"`
	Original    string   `xml:"originalRemoteParty"`
	Call        string   `xml:"call"`
	// No subType: real lists do not carry it, only the detail does, so a client cannot tell a
	// distribution link from the list alone.
	Alarms *alarmsXML `xml:"alarms"`
}

type legConfigXML struct {
	ChosenLayout string `xml:"chosenLayout,omitempty"`
	RxAudioMute  *bool  `xml:"rxAudioMute,omitempty"`
	TxAudioMute  *bool  `xml:"txAudioMute,omitempty"`
	RxVideoMute  *bool  `xml:"rxVideoMute,omitempty"`
	TxVideoMute  *bool  `xml:"txVideoMute,omitempty"`
}

type audioXML struct {
	Codec   string `xml:"codec"`
	Loss    fixed1 `xml:"packetLossPercentage"`
	Jitter  int    `xml:"jitter"`
	BitRate int    `xml:"bitRate"`
	RTT     *int   `xml:"roundTripTime,omitempty"`
}

type videoXML struct {
	Role      string `xml:"role,attr"`
	Codec     string `xml:"codec"`
	Width     int    `xml:"width"`
	Height    int    `xml:"height"`
	FrameRate fixed1 `xml:"frameRate"`
	BitRate   int    `xml:"bitRate"`
	Loss      fixed1 `xml:"packetLossPercentage"`
	Jitter    int    `xml:"jitter"`
	RTT       *int   `xml:"roundTripTime,omitempty"`
}

type legStatusXML struct {
	State       string    `xml:"state"`
	Duration    int       `xml:"durationSeconds"`
	Direction   string    `xml:"direction"`
	SipCallID   string    `xml:"sipCallId,omitempty"`
	GroupID     string    `xml:"groupId"`
	Deactivated bool      `xml:"deactivated"` // waiting in the lobby
	Encrypted   bool      `xml:"encryptedMedia"`
	Unencrypted bool      `xml:"unencryptedMedia"`
	CipherSuite string    `xml:"cipherSuite,omitempty"`
	Layout      string    `xml:"layout,omitempty"`
	RxAudio     *audioXML `xml:"rxAudio"`
	TxAudio     *audioXML `xml:"txAudio"`
	RxVideo     *videoXML `xml:"rxVideo"`
	TxVideo     *videoXML `xml:"txVideo"`
}

type callLegDetail struct {
	XMLName     xml.Name     `xml:"callLeg"`
	ID          string       `xml:"id,attr"`
	Name        string       `xml:"name"`
	RemoteParty string       `xml:"remoteParty"`
	Original    string       `xml:"originalRemoteParty"`
	Call        string       `xml:"call"`
	Type        string       `xml:"type"`
	SubType     string       `xml:"subType,omitempty"`
	Direction   string       `xml:"direction"`
	CanMove     bool         `xml:"canMove"`
	Config      legConfigXML `xml:"configuration"`
	Status      legStatusXML `xml:"status"`
	Alarms      *alarmsXML   `xml:"alarms"`
}

type statusXML struct {
	State string `xml:"state"`
}

type participantConfigXML struct {
	Importance *int `xml:"importance,omitempty"`
}

type participantItem struct {
	XMLName     xml.Name             `xml:"participant"`
	ID          string               `xml:"id,attr"`
	Name        string               `xml:"name"`
	Call        string               `xml:"call"`
	CallBridge  string               `xml:"callBridge,omitempty"`
	URI         string               `xml:"uri"`
	OriginalURI string               `xml:"originalUri"`
	NumCallLegs *int                 `xml:"numCallLegs,omitempty"`
	Status      statusXML            `xml:"status"`
	Config      participantConfigXML `xml:"configuration"`
}

type participantDetail struct {
	XMLName     xml.Name `xml:"participant"`
	ID          string   `xml:"id,attr"`
	Call        string   `xml:"call"`
	CallBridge  string   `xml:"callBridge,omitempty"`
	NumCallLegs *int     `xml:"numCallLegs,omitempty"`
	Name        string   `xml:"name"`
	URI         string   `xml:"uri"`
	OriginalURI string   `xml:"originalUri"`
	IsActivator bool     `xml:"isActivator"`
	CanMove     bool     `xml:"canMove"`
	// Set on a participant created by a move (2.6).
	MovedParticipant       string               `xml:"movedParticipant,omitempty"`
	MovedParticipantBridge string               `xml:"movedParticipantCallBridge,omitempty"`
	Config                 participantConfigXML `xml:"configuration"`
	Status                 statusXML            `xml:"status"`
}

type systemStatusXML struct {
	XMLName        xml.Name `xml:"status"`
	HostID         string   `xml:"hostId"`
	Version        string   `xml:"softwareVersion"`
	Uptime         int64    `xml:"uptimeSeconds"`
	CDRTime        string   `xml:"cdrTime"`
	Activated      bool     `xml:"activated"`
	ClusterEnabled bool     `xml:"clusterEnabled"`
	Active         int      `xml:"callLegsActive"`
	MaxActive      int      `xml:"callLegsMaxActive"`
	Completed      int      `xml:"callLegsCompleted"`
	AudioOut       int64    `xml:"audioBitRateOutgoing"`
	AudioIn        int64    `xml:"audioBitRateIncoming"`
	VideoOut       int64    `xml:"videoBitRateOutgoing"`
	VideoIn        int64    `xml:"videoBitRateIncoming"`
}

type callBridgeItem struct {
	XMLName xml.Name `xml:"callBridge"`
	ID      string   `xml:"id,attr"`
	Name    string   `xml:"name"`
}

type callBridgeDetail struct {
	XMLName   xml.Name `xml:"callBridge"`
	ID        string   `xml:"id,attr"`
	Name      string   `xml:"name"`
	Address   string   `xml:"address"`
	SIPDomain string   `xml:"sipDomain"`
}

type coSpaceItem struct {
	XMLName       xml.Name `xml:"coSpace"`
	ID            string   `xml:"id,attr"`
	Name          string   `xml:"name"`
	AutoGenerated bool     `xml:"autoGenerated"`
	URI           string   `xml:"uri"`
	CallID        string   `xml:"callId"`
}

// fixed1 renders a float with one decimal, as CMS does ("0.0", "29.9").
type fixed1 float64

func (f fixed1) MarshalText() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(f), 'f', 1, 64), nil
}

// render marshals v as a complete CMS response body.
func render(v any) []byte {
	body, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		// Every type above marshals; reaching this is a bug in the emulator, not bad input.
		panic("cmssim: marshal: " + err.Error())
	}
	return append([]byte(xmlHeader), body...)
}

func renderList(name string, total int, items []any) []byte {
	return render(list{XMLName: xml.Name{Local: name}, Total: total, Items: items})
}

// failureHeader starts a failureDetails body: real CMS writes the declaration and the element on
// one line, and clients that slice fixed offsets depend on it.
const failureHeader = `<?xml version="1.0"?><failureDetails>`

// failure renders <failureDetails><reason /></failureDetails> by hand: encoding/xml cannot
// write the self-closing form CMS uses, and some clients grep for it (cms-api.md §1.5).
func failure(reason string) []byte {
	return []byte(failureHeader + "<" + reason + " /></failureDetails>")
}

func parameterError(param, kind string) []byte {
	var b []byte
	b = append(b, failureHeader+`<parameterError parameter="`...)
	b = appendEscaped(b, param)
	b = append(b, `" error="`...)
	b = appendEscaped(b, kind)
	return append(b, `" /></failureDetails>`...)
}

func appendEscaped(b []byte, s string) []byte {
	var w bytesWriter
	_ = xml.EscapeText(&w, []byte(s))
	return append(b, w...)
}

type bytesWriter []byte

func (w *bytesWriter) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }
