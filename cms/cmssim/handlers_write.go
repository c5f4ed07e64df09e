package cmssim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// layouts are the 13 values of Cisco's "Layouts" enum (cms-api.md §4.7); CMS compares them
// case-sensitively, so "AllEqual" is a parameterError.
var layouts = []string{
	"allEqual", "speakerOnly", "telepresence", "stacked",
	"allEqualQuarters", "allEqualNinths", "allEqualSixteenths", "allEqualTwentyFifths",
	"onePlusFive", "onePlusSeven", "onePlusNine", "automatic", "onePlusN",
}

// muteParams are the PUT-able leg flags in the order of the leg's mutes array.
var muteParams = [4]string{"rxAudioMute", "txAudioMute", "rxVideoMute", "txVideoMute"}

// form parses a PUT/POST body (application/x-www-form-urlencoded); values in the query string
// are accepted too, body first, as some clients put them there.
func form(r *http.Request) (map[string][]string, *response) {
	if r.Header.Get("Content-Type") == "" {
		// Without a Content-Type net/http would ignore the body; CMS bodies are always forms.
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		resp := fail(http.StatusBadRequest, "invalidOperation")
		return nil, &resp
	}
	return r.Form, nil
}

// param returns a form value and whether the parameter was sent at all.
func param(f map[string][]string, name string) (string, bool) {
	v, ok := f[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return strings.TrimSpace(v[0]), true
}

// parseTri reads a boolean parameter. Only "true" and "false" are accepted (Cisco documents
// booleans as those literals; the undocumented on/off some clients send is a parameterError
// here); an empty value unsets. present is false when the parameter was omitted.
func parseTri(f map[string][]string, name string) (t tri, present bool, bad *response) {
	v, present := param(f, name)
	switch {
	case !present:
		return triUnset, false, nil
	case v == "":
		return triUnset, true, nil
	case v == "true":
		return triTrue, true, nil
	case v == "false":
		return triFalse, true, nil
	}
	resp := badParam(name)
	return triUnset, true, &resp
}

// legChanges is a validated PUT /callLegs (or POST callLegs) parameter set.
type legChanges struct {
	mutes     [4]tri
	setMute   [4]bool
	layout    string
	setLayout bool
}

func parseLegChanges(f map[string][]string) (legChanges, *response) {
	var ch legChanges
	for i, name := range muteParams {
		t, present, bad := parseTri(f, name)
		if bad != nil {
			return ch, bad
		}
		ch.mutes[i], ch.setMute[i] = t, present
	}
	if v, present := param(f, "chosenLayout"); present {
		if v != "" && !slices.Contains(layouts, v) {
			resp := badParam("chosenLayout")
			return ch, &resp
		}
		ch.layout, ch.setLayout = v, true
	}
	return ch, nil
}

func (ch legChanges) apply(l *leg) {
	for i := range ch.mutes {
		if ch.setMute[i] {
			l.mutes[i] = ch.mutes[i]
		}
	}
	if ch.setLayout {
		l.chosenLayout = ch.layout
	}
}

// localLeg returns the leg with id if this node hosts it.
func (ns *nodeServer) localLeg(id string) *leg {
	if l := ns.sim.state.legs[id]; l != nil && l.c.node == ns.node {
		return l
	}
	return nil
}

func putCallLeg(ns *nodeServer, r *http.Request, ids []string) response {
	f, bad := form(r)
	if bad != nil {
		return *bad
	}
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	l := ns.localLeg(ids[0])
	if l == nil {
		return fail(http.StatusBadRequest, "callLegDoesNotExist")
	}
	ch, bad := parseLegChanges(f)
	if bad != nil {
		return *bad
	}
	ch.apply(l) // parameters CMS has but the emulator does not model are ignored, as unknown ones
	st.touch(l.c)
	return okXML(nil)
}

// deleteCallLeg disconnects a leg. A distribution link belongs to the cluster, not to an
// operator, so the emulator refuses it with callLegCannotBeDeleted.
func deleteCallLeg(ns *nodeServer, _ *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	l := ns.localLeg(ids[0])
	if l == nil {
		return fail(http.StatusBadRequest, "callLegDoesNotExist")
	}
	if l.p == nil {
		return fail(http.StatusBadRequest, "callLegCannotBeDeleted")
	}
	st.removingAs("callEnded", func() { st.removeLeg(l) })
	return okXML(nil)
}

// postCallLeg dials out from this node: 200, empty body, Location: /api/v1/callLegs/<id>.
func postCallLeg(ns *nodeServer, r *http.Request, ids []string) response {
	f, bad := form(r)
	if bad != nil {
		return *bad
	}
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	c := ns.localCall(ids[0])
	if c == nil {
		return fail(http.StatusBadRequest, "callDoesNotExist")
	}
	remote, _ := param(f, "remoteParty")
	if remote == "" {
		return badParam("remoteParty")
	}
	ch, bad := parseLegChanges(f)
	if bad != nil {
		return *bad
	}
	l := st.join(c.m, ns.node, ParticipantSpec{Name: remote, URI: remote, Outgoing: true}, st.now())
	ch.apply(l)
	return response{status: http.StatusOK, location: "/api/v1/callLegs/" + l.id}
}

func putParticipant(ns *nodeServer, r *http.Request, ids []string) response {
	f, bad := form(r)
	if bad != nil {
		return *bad
	}
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	p, _ := ns.visibleParticipant(ids[0])
	if p == nil {
		return fail(http.StatusBadRequest, participantDoesNotExist)
	}
	if p.owner != ns.node {
		return fail(http.StatusBadRequest, "participantCannotBeModified")
	}
	activate, bad := parseActivation(f)
	if bad != nil {
		return *bad
	}
	imp, setImp, bad := parseImportance(f)
	if bad != nil {
		return *bad
	}
	if setImp {
		p.importance = imp
	}
	activate(p)
	for _, l := range p.legs {
		st.touch(l.c)
	}
	return okXML(nil)
}

func deleteParticipant(ns *nodeServer, _ *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	p, _ := ns.visibleParticipant(ids[0])
	if p == nil {
		return fail(http.StatusBadRequest, participantDoesNotExist)
	}
	if p.owner != ns.node {
		return fail(http.StatusBadRequest, "participantCannotBeDeleted")
	}
	st.removingAs("callEnded", func() {
		for _, l := range slices.Clone(p.legs) {
			st.removeLeg(l)
		}
	})
	return okXML(nil)
}

// putCall changes one call instance; CMS does not document propagation to the other
// instances of a distributed meeting, so the emulator keeps it per instance.
func putCall(ns *nodeServer, r *http.Request, ids []string) response {
	f, bad := form(r)
	if bad != nil {
		return *bad
	}
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	c := ns.localCall(ids[0])
	if c == nil {
		return fail(http.StatusBadRequest, "callDoesNotExist")
	}
	join, joinSet, bad := parseTri(f, "joinAudioMuteOverride")
	if bad != nil {
		return *bad
	}
	locked, lockedSet, bad := parseTri(f, "locked")
	if bad != nil {
		return *bad
	}
	controls, bad := st.parseCallControls(f, c)
	if bad != nil {
		return *bad
	}
	controls()
	if joinSet {
		c.joinMute = triPtr(join)
	}
	if lockedSet {
		if c.locked && !locked.bool() {
			st.unlockLobby(c)
		}
		c.locked = locked.bool()
	}
	st.touch(c)
	return okXML(nil)
}

// deleteCall ends this node's instance: its local participants are disconnected.
func deleteCall(ns *nodeServer, _ *http.Request, ids []string) response {
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	c := ns.localCall(ids[0])
	if c == nil {
		return fail(http.StatusBadRequest, "callDoesNotExist")
	}
	st.removingAs("callEnded", func() {
		for _, l := range slices.Clone(c.legs) {
			if l.p != nil {
				st.removeLeg(l)
			}
		}
		if st.calls[c.id] != nil {
			st.dropInstance(c)
		}
	})
	return okXML(nil)
}

// postCall instantiates the call of a coSpace on this node (POST /calls coSpace=<id>): 200 with
// Location: /api/v1/calls/<id>, as TMS and Companion expect. An active meeting of the space
// gains an instance here; otherwise a new meeting starts, kept up while empty.
func postCall(ns *nodeServer, r *http.Request, _ []string) response {
	f, bad := form(r)
	if bad != nil {
		return *bad
	}
	id, _ := param(f, "coSpace")
	if id == "" {
		return badParam("coSpace")
	}
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	space := st.coSpaceByID[strings.ToLower(id)]
	if space == nil {
		return fail(http.StatusBadRequest, "coSpaceDoesNotExist")
	}
	var m *meeting
	for _, x := range st.meetings {
		if x.space == space {
			m = x
			break
		}
	}
	if m == nil {
		m = &meeting{correlator: st.newID(), name: space.name, space: space, activeIfEmpty: true}
		st.meetings = append(st.meetings, m)
		st.meetingByCor[m.correlator] = m
	}
	c := st.instance(m, ns.node, st.now())
	return response{status: http.StatusOK, location: "/api/v1/calls/" + c.id}
}

// parseImportance reads importance: absent, empty (unset) or a non-negative integer.
func parseImportance(f map[string][]string) (*int, bool, *response) {
	v, present := param(f, "importance")
	if !present || v == "" {
		return nil, present, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		resp := badParam("importance")
		return nil, true, &resp
	}
	i := int(n)
	return &i, true, nil
}

// maxFilterIDs is how many participant ids a bulk update may name (Cisco: up to 20).
const maxFilterIDs = 20

// putCallParticipants sets properties of every participant of the call at once (PUT
// /calls/<id>/participants/*): the mutes, layout and importance, for all but filterIds
// (mode=exclude, the default) or only them (mode=selected). filterIds and mode may come in the
// query string, as FCM sends them, or in the body.
func putCallParticipants(ns *nodeServer, r *http.Request, ids []string) response {
	if ids[1] != "*" {
		return fail(http.StatusNotFound, "unrecognizedObject")
	}
	f, bad := form(r)
	if bad != nil {
		return *bad
	}
	ch, bad := parseLegChanges(f)
	if bad != nil {
		return *bad
	}
	if v, present := param(f, "layout"); present {
		if v != "" && !slices.Contains(layouts, v) {
			return badParam("layout")
		}
		ch.layout, ch.setLayout = v, true
	}
	imp, setImp, bad := parseImportance(f)
	if bad != nil {
		return *bad
	}
	var filter []string
	if v, _ := param(f, "filterIds"); v != "" {
		for _, id := range strings.Split(v, ",") {
			if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
				filter = append(filter, id)
			}
		}
		if len(filter) > maxFilterIDs {
			return badParam("filterIds")
		}
	}
	mode, _ := param(f, "mode")
	if mode == "" {
		mode = "exclude"
	}
	if mode != "exclude" && mode != "selected" {
		return badParam("mode")
	}
	st := ns.sim.state
	st.mu.Lock()
	defer st.mu.Unlock()
	c := ns.localCall(ids[0])
	if c == nil {
		return fail(http.StatusBadRequest, "callDoesNotExist")
	}
	for _, p := range c.m.participants {
		if slices.Contains(filter, p.id) != (mode == "selected") {
			continue
		}
		for _, l := range p.legs {
			ch.apply(l)
			st.touch(l.c)
		}
		if setImp {
			p.importance = imp
		}
	}
	return okXML(nil)
}
