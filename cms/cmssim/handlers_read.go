package cmssim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Server-side page caps (cms-api.md §2.2: "10 or 20"; coSpaces observed at 20).
const (
	defaultPageCap = 10
	coSpacePageCap = 20
)

func (s *Sim) pageCap(collection string) int {
	if n, ok := s.opts.PageCaps[collection]; ok && n > 0 {
		return n
	}
	if collection == "coSpaces" {
		return coSpacePageCap
	}
	return defaultPageCap
}

// page returns the [lo, hi) window of a collection of total items, honouring offset and limit
// but never more than the server's cap.
func (ns *nodeServer) page(r *http.Request, collection string, total int) (lo, hi int, bad *response) {
	q := r.URL.Query()
	limit := ns.sim.pageCap(collection)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			resp := badParam("limit")
			return 0, 0, &resp
		}
		limit = min(limit, n)
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			resp := badParam("offset")
			return 0, 0, &resp
		}
		lo = min(n, total)
	}
	return lo, min(lo+limit, total), nil
}

// pageOf renders one page of items as <collection total="N">.
func pageOf[T any](ns *nodeServer, r *http.Request, collection string, items []T, render1 func(T) any) response {
	lo, hi, bad := ns.page(r, collection, len(items))
	if bad != nil {
		return *bad
	}
	out := make([]any, 0, hi-lo)
	for _, it := range items[lo:hi] {
		out = append(out, render1(it))
	}
	return okXML(renderList(collection, len(items), out))
}

func (ns *nodeServer) missing(reason string) response {
	return fail(ns.sim.opts.GetMissingStatus, reason)
}

func contains(haystack, needle string) bool {
	return strings.Contains(strings.ToLower(haystack), strings.ToLower(needle))
}

// localCall returns the call with id if this node hosts it.
func (ns *nodeServer) localCall(id string) *call {
	if c := ns.sim.state.calls[id]; c != nil && c.node == ns.node {
		return c
	}
	return nil
}

func getCalls(ns *nodeServer, r *http.Request, _ []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	q := r.URL.Query()
	if q.Get("tenantFilter") != "" {
		return okXML(renderList("calls", 0, nil)) // the emulator has no tenants
	}
	space, filter := strings.ToLower(q.Get("coSpaceFilter")), q.Get("filter")
	calls := slices.DeleteFunc(slices.Clone(ns.node.calls), func(c *call) bool {
		return (space != "" && c.m.space.id != space) || (filter != "" && !contains(c.m.name, filter))
	})
	return pageOf(ns, r, "calls", calls, func(c *call) any {
		return callItem{ID: c.id, Name: c.m.name, CoSpace: c.m.space.id, Correlator: c.m.correlator}
	})
}

func getCall(ns *nodeServer, _ *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	c := ns.localCall(ids[0])
	if c == nil {
		return ns.missing("callDoesNotExist")
	}
	local := st.localParticipants(c)
	d := callDetail{ID: c.id, Name: c.m.name, CallType: "coSpace", CoSpace: c.m.space.id, OwnerName: c.m.owner,
		Correlator: c.m.correlator, Duration: seconds(st.now().Sub(c.started)), NumCallLegs: len(c.legs),
		MaxCallLegs: c.maxLegs, Local: local, Locked: c.locked, JoinAudioMute: copyBool(c.joinMute),
		ActiveWhenEmpty: c.m.activeIfEmpty}
	st.fillCallControls(&d, c)
	if others := len(c.m.instances) - 1; others > 0 {
		remote := len(c.m.participants) - local
		d.Remote, d.Distributed = &remote, &others
	}
	if c.presenting != nil {
		d.Presenter = c.presenting.id
	}
	return okXML(render(d))
}

func seconds(d time.Duration) int { return max(0, int(d/time.Second)) }

// legFilter applies the documented callLegs filters: filter, participantFilter, tenantFilter
// and alarms (all | packetLoss|excessiveJitter|highRoundTripTime).
func (ns *nodeServer) legFilter(r *http.Request, legs []*leg) []*leg {
	q := r.URL.Query()
	filter, pid, alarms := q.Get("filter"), strings.ToLower(q.Get("participantFilter")), q.Get("alarms")
	noTenant := q.Get("tenantFilter") != ""
	since := ns.sim.state.now().Sub(ns.sim.state.start)
	return slices.DeleteFunc(slices.Clone(legs), func(l *leg) bool {
		switch {
		case noTenant:
			return true
		case filter != "" && !contains(l.name, filter) && !contains(l.remoteParty, filter):
			return true
		case pid != "" && (l.p == nil || l.p.id != pid):
			return true
		case alarms != "":
			return !matchAlarms(alarms, l.media.alarms(since))
		}
		return false
	})
}

func matchAlarms(want string, have []string) bool {
	if want == "all" {
		return len(have) > 0
	}
	for _, w := range strings.Split(want, "|") {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

func (ns *nodeServer) legItem(l *leg) any {
	since := ns.sim.state.now().Sub(ns.sim.state.start)
	it := callLegItem{ID: l.id, Name: l.name, RemoteParty: l.remoteParty, Original: l.remoteParty, Call: l.c.id}
	if l.p != nil {
		it.Alarms = newAlarms(l.media.alarms(since))
	}
	return it
}

func getCallLegs(ns *nodeServer, r *http.Request, _ []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	return pageOf(ns, r, "callLegs", ns.legFilter(r, ns.node.legs), ns.legItem)
}

func getCallCallLegs(ns *nodeServer, r *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	c := ns.localCall(ids[0])
	if c == nil {
		return ns.missing("callDoesNotExist")
	}
	return pageOf(ns, r, "callLegs", ns.legFilter(r, c.legs), ns.legItem)
}

func getCallLeg(ns *nodeServer, _ *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	l := st.legs[ids[0]]
	if l == nil || l.c.node != ns.node {
		// Legs are node-local: another bridge's leg is unknown here (cms-api.md §5.1), and a
		// real bridge answers it exactly as an id nobody knows.
		return ns.missing("callLegDoesNotExist")
	}
	return okXML(render(ns.legDetail(l)))
}

// sipCallID is a SIP leg's Call-ID; distribution links have none here. CMS spells the element
// sipCallId, as a recorded answer shows (cms-api.md spells it sipCallID).
func sipCallID(l *leg) string {
	if l.p == nil {
		return ""
	}
	return strings.ToUpper(strings.ReplaceAll(l.id[:18], "-", "")) + "@" + l.c.node.name
}

func (ns *nodeServer) legDetail(l *leg) callLegDetail {
	st := ns.sim.state
	now := st.now()
	d := callLegDetail{ID: l.id, Name: l.name, RemoteParty: l.remoteParty, Original: l.remoteParty,
		Call: l.c.id, Type: "sip", Direction: direction(l.outgoing), CanMove: l.p != nil && !l.p.lobby.immovable}
	groupID := l.id
	if l.p == nil {
		d.Type, d.SubType = "acano", "distributionLink"
	} else {
		groupID = l.p.id
	}
	d.Config = legConfigXML{ChosenLayout: l.chosenLayout, RxAudioMute: triPtr(l.mutes[muteRxAudio]),
		TxAudioMute: triPtr(l.mutes[muteTxAudio]), RxVideoMute: triPtr(l.mutes[muteRxVideo]),
		TxVideoMute: triPtr(l.mutes[muteTxVideo])}
	layout := l.chosenLayout
	if layout == "" {
		layout = "telepresence"
	}
	d.Status = legStatusXML{State: "connected", Duration: seconds(now.Sub(l.started)), Direction: d.Direction,
		SipCallID: sipCallID(l), GroupID: groupID, Encrypted: true, CipherSuite: cipherSuites[int(l.media.cipher)%len(cipherSuites)],
		Layout: layout, Deactivated: l.p != nil && l.p.lobby.deactivated}
	since := now.Sub(st.start)
	rxA, txA, rxV, txV := l.media.liveStats(since)
	d.Status.RxAudio = &audioXML{Codec: rxA.codec, Loss: fixed1(rxA.loss), Jitter: rxA.jitter, BitRate: rxA.bitRate}
	d.Status.TxAudio = &audioXML{Codec: txA.codec, Loss: fixed1(txA.loss), Jitter: txA.jitter, BitRate: txA.bitRate,
		RTT: &txA.rtt}
	if rxV.codec != "" {
		d.Status.RxVideo = videoOf(rxV, nil)
		d.Status.TxVideo = videoOf(txV, &txV.rtt)
	}
	if l.p != nil {
		d.Alarms = newAlarms(l.media.alarms(since))
	}
	return d
}

func videoOf(v streamStats, rtt *int) *videoXML {
	return &videoXML{Role: "main", Codec: v.codec, Width: v.width, Height: v.height, FrameRate: fixed1(v.frameRate),
		BitRate: v.bitRate, Loss: fixed1(v.loss), Jitter: v.jitter, RTT: rtt}
}

func direction(outgoing bool) string {
	if outgoing {
		return "outgoing"
	}
	return "incoming"
}

func triPtr(t tri) *bool {
	if t == triUnset {
		return nil
	}
	b := t.bool()
	return &b
}

// visibleParticipant returns the participant if this node hosts an instance of its meeting:
// every bridge in a distributed call sees the whole roster (cms-api.md §5.1).
func (ns *nodeServer) visibleParticipant(id string) (*participant, *call) {
	p := ns.sim.state.participants[id]
	if p == nil {
		return nil, nil
	}
	c := ns.sim.state.instanceOn(p.m, ns.node)
	if c == nil {
		return nil, nil
	}
	return p, c
}

type rosterEntry struct {
	p *participant
	c *call // this node's instance
}

func (ns *nodeServer) participantItem(e rosterEntry) any {
	p := e.p
	it := participantItem{ID: p.id, Name: p.name, Call: e.c.id, URI: p.uri, OriginalURI: p.uri,
		Status: statusXML{State: "connected"}, Config: participantConfigXML{Importance: copyInt(p.importance)}}
	if p.owner == ns.node {
		n := len(p.legs)
		it.NumCallLegs = &n
	} else {
		it.CallBridge = p.owner.bridgeID
	}
	return it
}

func (ns *nodeServer) roster(r *http.Request, calls []*call) []rosterEntry {
	q := r.URL.Query()
	filter, bridge := q.Get("filter"), strings.ToLower(q.Get("callBridgeFilter"))
	if q.Get("tenantFilter") != "" {
		return nil
	}
	var out []rosterEntry
	for _, c := range calls {
		for _, p := range c.m.participants {
			if filter != "" && !contains(p.name, filter) && !contains(p.uri, filter) {
				continue
			}
			if bridge != "" && p.owner.bridgeID != bridge {
				continue
			}
			out = append(out, rosterEntry{p: p, c: c})
		}
	}
	return out
}

func getParticipants(ns *nodeServer, r *http.Request, _ []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	return pageOf(ns, r, "participants", ns.roster(r, ns.node.calls), ns.participantItem)
}

func getCallParticipants(ns *nodeServer, r *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	c := ns.localCall(ids[0])
	if c == nil {
		return ns.missing("callDoesNotExist")
	}
	return pageOf(ns, r, "participants", ns.roster(r, []*call{c}), ns.participantItem)
}

// participantDoesNotExist is not in Cisco's list of failure reasons; what CMS really returns
// for a bad participant id is unknown (cms-api.md §1.5), so the emulator assumes this name.
const participantDoesNotExist = "participantDoesNotExist"

func getParticipant(ns *nodeServer, _ *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	p, c := ns.visibleParticipant(ids[0])
	if p == nil {
		return ns.missing(participantDoesNotExist)
	}
	d := participantDetail{ID: p.id, Call: c.id, Name: p.name, URI: p.uri, OriginalURI: p.uri,
		IsActivator: p.isActor, Config: participantConfigXML{Importance: copyInt(p.importance)},
		Status: statusXML{State: "connected"}, CanMove: !p.lobby.immovable,
		MovedParticipant: p.lobby.movedFrom, MovedParticipantBridge: p.lobby.movedFromBridge}
	if p.owner == ns.node {
		n := len(p.legs)
		d.NumCallLegs = &n
	} else {
		d.CallBridge = p.owner.bridgeID
	}
	return okXML(render(d))
}

// getParticipantCallLegs lists a participant's legs; only the owning bridge can enumerate them,
// elsewhere the list is empty (the roster entry names the owner instead).
func getParticipantCallLegs(ns *nodeServer, r *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	p, _ := ns.visibleParticipant(ids[0])
	if p == nil {
		return ns.missing(participantDoesNotExist)
	}
	var legs []*leg
	if p.owner == ns.node {
		legs = p.legs
	}
	return pageOf(ns, r, "callLegs", legs, ns.legItem)
}

func getSystemStatus(ns *nodeServer, _ *http.Request, _ []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	now := st.now()
	n := ns.node
	s := systemStatusXML{HostID: n.hostID, Version: "3.9.2", Uptime: int64(seconds(now.Sub(st.start))) + 3*86400,
		CDRTime: now.UTC().Format(time.RFC3339), Activated: true, ClusterEnabled: len(st.nodes) > 1,
		Active: len(n.legs), MaxActive: n.legsMaxActive, Completed: n.legsCompleted}
	since := now.Sub(st.start)
	for _, l := range n.legs {
		rxA, txA, rxV, txV := l.media.liveStats(since)
		s.AudioIn += int64(rxA.bitRate)
		s.AudioOut += int64(txA.bitRate)
		s.VideoIn += int64(rxV.bitRate)
		s.VideoOut += int64(txV.bitRate)
	}
	return okXML(render(s))
}

// getClusterConfig is written by hand: CMS sends empty elements (<loadLimit/>) for unset values.
func getClusterConfig(ns *nodeServer, _ *http.Request, _ []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	body := fmt.Sprintf(xmlHeader+`<cluster>
  <uniqueName>%s</uniqueName>
  <peerLinkBitRate/>
  <maxPeerVideoStreams/>
  <participantLimit/>
  <loadLimit/>
  <newConferenceLoadLimitBasisPoints>5000</newConferenceLoadLimitBasisPoints>
  <existingConferenceLoadLimitBasisPoints>8000</existingConferenceLoadLimitBasisPoints>
</cluster>`, ns.node.name)
	return okXML([]byte(body))
}

func getCallBridges(ns *nodeServer, r *http.Request, _ []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	return pageOf(ns, r, "callBridges", st.nodes, func(n *node) any {
		return callBridgeItem{ID: n.bridgeID, Name: n.name}
	})
}

func getCallBridge(ns *nodeServer, _ *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	for _, n := range st.nodes {
		if n.bridgeID == ids[0] {
			return okXML(render(callBridgeDetail{ID: n.bridgeID, Name: n.name, Address: n.advertised(), SIPDomain: n.sipDomain}))
		}
	}
	return ns.missing("callBridgeDoesNotExist")
}

func getCoSpaces(ns *nodeServer, r *http.Request, _ []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	filter := r.URL.Query().Get("filter")
	spaces := slices.DeleteFunc(slices.Clone(st.coSpaces), func(cs *coSpace) bool {
		return filter != "" && !contains(cs.name, filter) && !contains(cs.uri, filter) && !contains(cs.callID, filter)
	})
	return pageOf(ns, r, "coSpaces", spaces, func(cs *coSpace) any {
		return coSpaceItem{ID: cs.id, Name: cs.name, URI: cs.uri, CallID: cs.callID}
	})
}

func getCoSpace(ns *nodeServer, _ *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.RLock()
	defer st.mu.RUnlock()
	cs := st.coSpaceByID[ids[0]]
	if cs == nil {
		return ns.missing("coSpaceDoesNotExist")
	}
	return okXML(render(coSpaceItem{ID: cs.id, Name: cs.name, URI: cs.uri, CallID: cs.callID}))
}
