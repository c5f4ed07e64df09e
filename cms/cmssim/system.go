package cmssim

import (
	"encoding/xml"
	"net/http"
	"slices"
	"time"
)

// sysState is what the emulator keeps for /system/alarms, /system/licensing and the recording
// flag of a meeting's calls. It lives in state and is guarded by state.mu.
type sysState struct {
	alarms    map[string][]*alarm // node name -> active alarms, oldest first
	expiry    time.Time           // every licensed feature's expiry; zero = a year after start
	recording map[string]bool     // meeting correlator -> recording on its calls
}

type alarm struct {
	id, typ, reason string
	since           time.Time
}

// AlarmInfo is an active alarm as the test API sees it.
type AlarmInfo struct {
	ID            string
	Node          string
	Type          string
	FailureReason string
	Since         time.Time
}

// RaiseAlarm makes node report an active alarm of type typ (cdrConnectionFailure,
// recorderUnavailable, …) with an optional failureReason; it returns the alarm's id. Raising a
// type that is already active on the node returns the existing alarm, as CMS keeps one
// condition per cause.
func (s *Sim) RaiseAlarm(node, typ, failureReason string) string {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	n := st.nodeByName(node)
	if n == nil {
		return ""
	}
	st.sys.init()
	for _, a := range st.sys.alarms[n.name] {
		if a.typ == typ {
			return a.id
		}
	}
	a := &alarm{id: st.newID(), typ: typ, reason: failureReason, since: st.now()}
	st.sys.alarms[n.name] = append(st.sys.alarms[n.name], a)
	return a.id
}

// ClearAlarm clears the node's alarms of type typ ("" clears them all).
func (s *Sim) ClearAlarm(node, typ string) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	n := st.nodeByName(node)
	if n == nil || st.sys.alarms == nil {
		return
	}
	st.sys.alarms[n.name] = slices.DeleteFunc(st.sys.alarms[n.name], func(a *alarm) bool {
		return typ == "" || a.typ == typ
	})
}

// Alarms lists the node's active alarms, oldest first.
func (s *Sim) Alarms(node string) []AlarmInfo {
	st := s.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	var out []AlarmInfo
	for _, a := range st.sys.alarms[node] {
		out = append(out, AlarmInfo{ID: a.id, Node: node, Type: a.typ, FailureReason: a.reason, Since: a.since})
	}
	return out
}

// SetLicenseExpiry sets the expiry date of every licensed feature on every node. A date in the
// past makes the features report status expired. The zero time restores the default (a year
// after the emulator started).
func (s *Sim) SetLicenseExpiry(t time.Time) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sys.expiry = t
}

// SetRecording turns recording on or off on every call instance of the meeting with this
// correlator, as a recorder starting or failing would. It reports whether the meeting exists.
func (s *Sim) SetRecording(correlator string, on bool) bool {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.meetingByCor[correlator] == nil {
		return false
	}
	st.sys.init()
	st.sys.recording[correlator] = on
	for _, c := range st.meetingByCor[correlator].instances {
		st.touch(c) // the Events API reports it (events.go)
	}
	return true
}

// DegradeLeg sets a leg's packet loss (percent), jitter and round-trip time (ms) exactly,
// healthy values included, so a test can degrade a participant and then restore it.
func (s *Sim) DegradeLeg(legID string, lossPercent float64, jitterMs, roundTripMs int) bool {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	l := st.legs[legID]
	if l == nil {
		return false
	}
	l.media.loss, l.media.jitter, l.media.rtt = float32(lossPercent), clampU16(jitterMs), clampU16(roundTripMs)
	return true
}

func (sys *sysState) init() {
	if sys.alarms == nil {
		sys.alarms = map[string][]*alarm{}
	}
	if sys.recording == nil {
		sys.recording = map[string]bool{}
	}
}

type alarmItem struct {
	XMLName           xml.Name `xml:"alarm"`
	ID                string   `xml:"id,attr"`
	Type              string   `xml:"type"`
	FailureReason     string   `xml:"failureReason,omitempty"`
	ActiveTimeSeconds int      `xml:"activeTimeSeconds"`
}

// getSystemAlarms is GET /system/alarms: <alarms total="N"><alarm id=…><type>…</type>
// <activeTimeSeconds>…</activeTimeSeconds></alarm></alarms>, paged like every list.
func getSystemAlarms(ns *nodeServer, r *http.Request, _ []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	now := st.now()
	return pageOf(ns, r, "alarms", st.sys.alarms[ns.node.name], func(a *alarm) any {
		return alarmItem{ID: a.id, Type: a.typ, FailureReason: a.reason, ActiveTimeSeconds: seconds(now.Sub(a.since))}
	})
}

type licenseFeature struct {
	Status string `xml:"status"`
	Expiry string `xml:"expiry,omitempty"`
	Limit  int    `xml:"limit,omitempty"`
}

type licensingXML struct {
	XMLName  xml.Name `xml:"licensing"`
	Features struct {
		CallBridge             licenseFeature `xml:"callBridge"`
		CallBridgeNoEncryption licenseFeature `xml:"callBridgeNoEncryption"`
		WebBridge              licenseFeature `xml:"webBridge"`
		Turn                   licenseFeature `xml:"turn"`
		Recording              licenseFeature `xml:"recording"`
		Streaming              licenseFeature `xml:"streaming"`
		Personal               licenseFeature `xml:"personal"`
		Shared                 licenseFeature `xml:"shared"`
		CapacityUnits          licenseFeature `xml:"capacityUnits"`
	} `xml:"features"`
}

// licenseDate is the expiry format of Cisco's sample ("2022-Aug-08").
const licenseDate = "2006-Jan-02"

// getSystemLicensing is GET /system/licensing: each feature's status and expiry.
func getSystemLicensing(ns *nodeServer, _ *http.Request, _ []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	exp := st.sys.expiry
	if exp.IsZero() {
		exp = st.start.AddDate(1, 0, 0)
	}
	f := licenseFeature{Status: "activated", Expiry: exp.UTC().Format(licenseDate)}
	if !st.now().Before(exp) {
		f.Status = "expired"
	}
	withLimit := func(n int) licenseFeature { g := f; g.Limit = n; return g }
	var x licensingXML
	x.Features.CallBridge, x.Features.WebBridge, x.Features.Turn = f, f, f
	x.Features.CallBridgeNoEncryption = licenseFeature{Status: "noLicense"}
	x.Features.Recording, x.Features.Streaming = withLimit(20), withLimit(20)
	x.Features.Personal, x.Features.Shared = withLimit(100), withLimit(100)
	x.Features.CapacityUnits = licenseFeature{Status: "noLicense"}
	return okXML(render(x))
}
