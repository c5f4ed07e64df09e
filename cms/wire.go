package cms

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// The x* structs mirror CMS's XML (cms-api.md §3). Every value is decoded as a string and
// converted leniently: CMS omits unset elements, emits empty ones (<uniqueName/>) and
// whitespace-only ones (<ownerName>\n    </ownerName>), and adds elements release by release;
// encoding/xml already ignores the unknown ones.

type xCall struct {
	ID                      string  `xml:"id,attr"`
	Name                    string  `xml:"name"`
	CallType                string  `xml:"callType"`
	CoSpace                 string  `xml:"coSpace"`
	CallCorrelator          string  `xml:"callCorrelator"`
	Tenant                  string  `xml:"tenant"`
	OwnerName               string  `xml:"ownerName"`
	DurationSeconds         string  `xml:"durationSeconds"`
	NumCallLegs             string  `xml:"numCallLegs"`
	MaxCallLegs             string  `xml:"maxCallLegs"`
	NumParticipantsLocal    string  `xml:"numParticipantsLocal"`
	NumParticipantsRemote   string  `xml:"numParticipantsRemote"`
	NumDistributedInstances string  `xml:"numDistributedInstances"`
	PresenterCallLeg        string  `xml:"presenterCallLeg"`
	Locked                  string  `xml:"locked"`
	Recording               string  `xml:"recording"`
	Streaming               string  `xml:"streaming"`
	JoinAudioMuteOverride   *string `xml:"joinAudioMuteOverride"`
	MessageText             string  `xml:"messageText"`
	MessagePosition         string  `xml:"messagePosition"`
	MessageDuration         string  `xml:"messageDuration"`
	MessageTimeRemaining    string  `xml:"messageTimeRemaining"`
}

type xCalls struct {
	XMLName xml.Name `xml:"calls"`
	Total   string   `xml:"total,attr"`
	Items   []xCall  `xml:"call"`
}

// xAlarms collects the child element names of <alarms>, whatever they are.
type xAlarms struct {
	Items []struct {
		XMLName xml.Name
	} `xml:",any"`
}

type xCallLeg struct {
	ID                  string    `xml:"id,attr"`
	Name                string    `xml:"name"`
	RemoteParty         string    `xml:"remoteParty"`
	OriginalRemoteParty string    `xml:"originalRemoteParty"`
	LocalAddress        string    `xml:"localAddress"`
	Call                string    `xml:"call"`
	Tenant              string    `xml:"tenant"`
	Type                string    `xml:"type"`
	SubType             string    `xml:"subType"`
	Subtype             string    `xml:"subtype"` // Cisco's table spells it this way; accept both
	Direction           string    `xml:"direction"`
	CanMove             string    `xml:"canMove"`
	Configuration       xLegConf  `xml:"configuration"`
	Status              xLegState `xml:"status"`
	Alarms              *xAlarms  `xml:"alarms"`
}

type xCallLegs struct {
	XMLName xml.Name   `xml:"callLegs"`
	Total   string     `xml:"total,attr"`
	Items   []xCallLeg `xml:"callLeg"`
}

type xLegConf struct {
	ChosenLayout  string `xml:"chosenLayout"`
	DefaultLayout string `xml:"defaultLayout"`
	RxAudioMute   string `xml:"rxAudioMute"`
	TxAudioMute   string `xml:"txAudioMute"`
	RxVideoMute   string `xml:"rxVideoMute"`
	TxVideoMute   string `xml:"txVideoMute"`
}

type xLegState struct {
	State            string   `xml:"state"`
	DurationSeconds  string   `xml:"durationSeconds"`
	SIPCallID        string   `xml:"sipCallID"` // cms-api.md's spelling
	SIPCallIDReal    string   `xml:"sipCallId"` // what a recorded CMS answer spells
	GroupID          string   `xml:"groupId"`
	Deactivated      string   `xml:"deactivated"`
	EncryptedMedia   string   `xml:"encryptedMedia"`
	UnencryptedMedia string   `xml:"unencryptedMedia"`
	CipherSuite      string   `xml:"cipherSuite"`
	Layout           string   `xml:"layout"`
	ActiveLayout     string   `xml:"activeLayout"`
	RxAudio          *xAudio  `xml:"rxAudio"`
	TxAudio          *xAudio  `xml:"txAudio"`
	RxVideo          []xVideo `xml:"rxVideo"`
	TxVideo          []xVideo `xml:"txVideo"`
}

type xAudio struct {
	Codec                string `xml:"codec"`
	Jitter               string `xml:"jitter"`
	BitRate              string `xml:"bitRate"`
	CodecBitRate         string `xml:"codecBitRate"`
	PacketLossPercentage string `xml:"packetLossPercentage"`
	RoundTripTime        string `xml:"roundTripTime"`
}

type xVideo struct {
	Role                 string `xml:"role,attr"`
	Codec                string `xml:"codec"`
	Width                string `xml:"width"`
	Height               string `xml:"height"`
	FrameRate            string `xml:"frameRate"`
	Jitter               string `xml:"jitter"`
	BitRate              string `xml:"bitRate"`
	PacketLossPercentage string `xml:"packetLossPercentage"`
	RoundTripTime        string `xml:"roundTripTime"`
}

type xParticipant struct {
	ID          string `xml:"id,attr"`
	Name        string `xml:"name"`
	Call        string `xml:"call"`
	Tenant      string `xml:"tenant"`
	CallBridge  string `xml:"callBridge"`
	URI         string `xml:"uri"`
	OriginalURI string `xml:"originalUri"`
	NumCallLegs string `xml:"numCallLegs"`
	State       string `xml:"status>state"`
	CanMove     string `xml:"canMove"`
	Importance  string `xml:"configuration>importance"`
}

type xParticipants struct {
	XMLName xml.Name       `xml:"participants"`
	Total   string         `xml:"total,attr"`
	Items   []xParticipant `xml:"participant"`
}

type xSystemStatus struct {
	XMLName              xml.Name `xml:"status"`
	SoftwareVersion      string   `xml:"softwareVersion"`
	UptimeSeconds        string   `xml:"uptimeSeconds"`
	ClusterEnabled       string   `xml:"clusterEnabled"`
	CallLegsActive       string   `xml:"callLegsActive"`
	CallLegsMaxActive    string   `xml:"callLegsMaxActive"`
	CallLegsCompleted    string   `xml:"callLegsCompleted"`
	AudioBitRateOutgoing string   `xml:"audioBitRateOutgoing"`
	AudioBitRateIncoming string   `xml:"audioBitRateIncoming"`
	VideoBitRateOutgoing string   `xml:"videoBitRateOutgoing"`
	VideoBitRateIncoming string   `xml:"videoBitRateIncoming"`
}

type xCallBridge struct {
	ID              string `xml:"id,attr"`
	Name            string `xml:"name"`
	Address         string `xml:"address"`
	SIPDomain       string `xml:"sipDomain"`
	CallBridgeGroup string `xml:"callBridgeGroup"`
}

type xCallBridges struct {
	XMLName xml.Name      `xml:"callBridges"`
	Total   string        `xml:"total,attr"`
	Items   []xCallBridge `xml:"callBridge"`
}

type xCluster struct {
	XMLName    xml.Name `xml:"cluster"`
	UniqueName string   `xml:"uniqueName"`
}

// decodeXML unmarshals a body whose root must be the element v names, within the limits of
// limits.go and with illegal characters replaced. Errors match ErrMalformedResponse.
func decodeXML(body []byte, v any) error {
	body, err := prepare(body)
	if err != nil {
		return err
	}
	return unmarshal(body, v)
}

// prepare bounds the body's shape and makes its characters legal (limits.go).
func prepare(body []byte) ([]byte, error) {
	if err := checkShape(body); err != nil {
		return nil, err
	}
	return sanitize(body), nil
}

func unmarshal(body []byte, v any) error {
	if err := xml.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedResponse, err)
	}
	return nil
}

// decodeRoot decodes a single object whose root element must be root (e.g. "call"); the root
// name is checked because the x* single-object structs carry no XMLName.
func decodeRoot(body []byte, root string, v any) error {
	body, err := prepare(body)
	if err != nil {
		return err
	}
	name, err := rootName(body)
	if err != nil {
		return err
	}
	if name != root {
		return fmt.Errorf("%w: root element <%s>, want <%s>", ErrMalformedResponse, name, root)
	}
	return unmarshal(body, v)
}

// rootName returns the name of the document's first element.
func rootName(body []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("%w: no XML element in body", ErrMalformedResponse)
			}
			return "", fmt.Errorf("%w: %v", ErrMalformedResponse, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local, nil
		}
	}
}

// failure is a parsed <failureDetails>: the reason is the name of its first child element.
type failure struct {
	Reason    string
	Parameter string
	Error     string
}

// parseFailure reports whether body is a <failureDetails> document and what it says. A
// failureDetails with no child yields an empty reason.
func parseFailure(body []byte) (failure, bool) {
	d := xml.NewDecoder(bytes.NewReader(body))
	depth := 0
	var f failure
	for {
		tok, err := d.Token()
		if err != nil {
			return f, depth > 0
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		depth++
		if depth == 1 {
			if se.Name.Local != "failureDetails" {
				return f, false
			}
			continue
		}
		f.Reason = se.Name.Local
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "parameter":
				f.Parameter = a.Value
			case "error":
				f.Error = a.Value
			}
		}
		return f, true
	}
}

// total parses a list's total attribute; -1 means CMS sent none (paging then runs until an
// empty page). A number too large for an int is returned as math.MaxInt, so the paging refuses
// it (checkTotal) rather than treating it as absent.
func total(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return -1
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-"):
		return math.MaxInt
	case err != nil || n < 0:
		return -1
	}
	return n
}

func str(s string) string { return strings.TrimSpace(s) }

// atoi is lenient on purpose: one odd counter must not make a whole list unreadable.
func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f
}

// abool is true only for the literal "true"; an absent flag is false (cms-api.md §3.4).
func abool(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }

// optBool maps an absent or empty element to nil (CMS's "unset").
func optBool(s *string) *bool {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	b := abool(*s)
	return &b
}

func optInt(s string) *int {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil
	}
	return &n
}

func (x xCall) call() Call {
	return Call{
		ID: str(x.ID), Name: str(x.Name), CoSpace: str(x.CoSpace),
		CallCorrelator: str(x.CallCorrelator), Tenant: str(x.Tenant),
	}
}

func (x xCall) detail() CallDetail {
	return CallDetail{
		Call:                    x.call(),
		CallType:                str(x.CallType),
		OwnerName:               str(x.OwnerName),
		DurationSeconds:         atoi(x.DurationSeconds),
		NumCallLegs:             atoi(x.NumCallLegs),
		MaxCallLegs:             atoi(x.MaxCallLegs),
		NumParticipantsLocal:    atoi(x.NumParticipantsLocal),
		NumParticipantsRemote:   atoi(x.NumParticipantsRemote),
		NumDistributedInstances: atoi(x.NumDistributedInstances),
		PresenterCallLeg:        str(x.PresenterCallLeg),
		Locked:                  abool(x.Locked),
		Recording:               abool(x.Recording),
		Streaming:               abool(x.Streaming),
		JoinAudioMuteOverride:   optBool(x.JoinAudioMuteOverride),
		MessageText:             str(x.MessageText),
		MessagePosition:         str(x.MessagePosition),
		MessageDuration:         str(x.MessageDuration),
		MessageTimeRemaining:    optInt(x.MessageTimeRemaining),
	}
}

func (x xCallLeg) leg() CallLeg {
	l := CallLeg{
		ID: str(x.ID), Name: str(x.Name), RemoteParty: str(x.RemoteParty),
		OriginalRemoteParty: str(x.OriginalRemoteParty), Call: str(x.Call), Tenant: str(x.Tenant),
	}
	if x.Alarms != nil {
		for _, a := range x.Alarms.Items {
			l.Alarms = append(l.Alarms, a.XMLName.Local)
		}
	}
	return l
}

func (x xCallLeg) detail() CallLegDetail {
	sub := str(x.SubType)
	if sub == "" {
		sub = str(x.Subtype)
	}
	c, s := x.Configuration, x.Status
	return CallLegDetail{
		CallLeg:      x.leg(),
		LocalAddress: str(x.LocalAddress),
		Type:         str(x.Type),
		SubType:      sub,
		Direction:    str(x.Direction),
		CanMove:      abool(x.CanMove),
		Config: LegConfig{
			ChosenLayout: str(c.ChosenLayout), DefaultLayout: str(c.DefaultLayout),
			RxAudioMute: abool(c.RxAudioMute), TxAudioMute: abool(c.TxAudioMute),
			RxVideoMute: abool(c.RxVideoMute), TxVideoMute: abool(c.TxVideoMute),
		},
		Status: s.status(),
	}
}

func (s xLegState) status() LegStatus {
	return LegStatus{
		State:            str(s.State),
		DurationSeconds:  atoi(s.DurationSeconds),
		SIPCallID:        cmp.Or(str(s.SIPCallID), str(s.SIPCallIDReal)),
		GroupID:          str(s.GroupID),
		Deactivated:      abool(s.Deactivated),
		EncryptedMedia:   abool(s.EncryptedMedia),
		UnencryptedMedia: abool(s.UnencryptedMedia),
		CipherSuite:      str(s.CipherSuite),
		Layout:           str(s.Layout),
		ActiveLayout:     str(s.ActiveLayout),
		RxAudio:          s.RxAudio.stats(),
		TxAudio:          s.TxAudio.stats(),
		RxVideo:          videoStats(s.RxVideo),
		TxVideo:          videoStats(s.TxVideo),
	}
}

func (a *xAudio) stats() *AudioStats {
	if a == nil {
		return nil
	}
	return &AudioStats{
		Codec: str(a.Codec), Jitter: atoi(a.Jitter), BitRate: atoi(a.BitRate),
		CodecBitRate: atoi(a.CodecBitRate), PacketLossPercentage: atof(a.PacketLossPercentage),
		RoundTripTime: atoi(a.RoundTripTime),
	}
}

func videoStats(xs []xVideo) []VideoStats {
	var out []VideoStats
	for _, v := range xs {
		out = append(out, VideoStats{
			Role: str(v.Role), Codec: str(v.Codec), Width: atoi(v.Width), Height: atoi(v.Height),
			FrameRate: atof(v.FrameRate), Jitter: atoi(v.Jitter), BitRate: atoi(v.BitRate),
			PacketLossPercentage: atof(v.PacketLossPercentage), RoundTripTime: atoi(v.RoundTripTime),
		})
	}
	return out
}

func (x xParticipant) participant() Participant {
	return Participant{
		ID: str(x.ID), Name: str(x.Name), Call: str(x.Call), Tenant: str(x.Tenant),
		CallBridge: str(x.CallBridge), URI: str(x.URI), OriginalURI: str(x.OriginalURI),
		NumCallLegs: atoi(x.NumCallLegs), State: str(x.State), Importance: optInt(x.Importance),
		CanMove: abool(x.CanMove),
	}
}

func (x xSystemStatus) status() SystemStatus {
	return SystemStatus{
		SoftwareVersion:      str(x.SoftwareVersion),
		UptimeSeconds:        atoi64(x.UptimeSeconds),
		ClusterEnabled:       abool(x.ClusterEnabled),
		CallLegsActive:       atoi(x.CallLegsActive),
		CallLegsMaxActive:    atoi(x.CallLegsMaxActive),
		CallLegsCompleted:    atoi(x.CallLegsCompleted),
		AudioBitRateOutgoing: atoi64(x.AudioBitRateOutgoing),
		AudioBitRateIncoming: atoi64(x.AudioBitRateIncoming),
		VideoBitRateOutgoing: atoi64(x.VideoBitRateOutgoing),
		VideoBitRateIncoming: atoi64(x.VideoBitRateIncoming),
	}
}

func (x xCallBridge) bridge() CallBridge {
	return CallBridge{
		ID: str(x.ID), Name: str(x.Name), Address: str(x.Address),
		SIPDomain: str(x.SIPDomain), CallBridgeGroup: str(x.CallBridgeGroup),
	}
}

// Page decoders: each returns the list's total (-1 if absent) and the page's items.

func decodeCalls(body []byte) (int, []Call, error) {
	var x xCalls
	if err := decodeXML(body, &x); err != nil {
		return 0, nil, err
	}
	out := make([]Call, 0, len(x.Items))
	for _, c := range x.Items {
		out = append(out, c.call())
	}
	return total(x.Total), out, nil
}

func decodeCallLegs(body []byte) (int, []CallLeg, error) {
	var x xCallLegs
	if err := decodeXML(body, &x); err != nil {
		return 0, nil, err
	}
	out := make([]CallLeg, 0, len(x.Items))
	for _, l := range x.Items {
		out = append(out, l.leg())
	}
	return total(x.Total), out, nil
}

func decodeParticipants(body []byte) (int, []Participant, error) {
	var x xParticipants
	if err := decodeXML(body, &x); err != nil {
		return 0, nil, err
	}
	out := make([]Participant, 0, len(x.Items))
	for _, p := range x.Items {
		out = append(out, p.participant())
	}
	return total(x.Total), out, nil
}

func decodeCallBridges(body []byte) (int, []CallBridge, error) {
	var x xCallBridges
	if err := decodeXML(body, &x); err != nil {
		return 0, nil, err
	}
	out := make([]CallBridge, 0, len(x.Items))
	for _, b := range x.Items {
		out = append(out, b.bridge())
	}
	return total(x.Total), out, nil
}
