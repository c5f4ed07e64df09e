// Package cmssim emulates a Cisco Meeting Server cluster on loopback: N call bridges, each an
// HTTP(S) server on 127.0.0.1 answering the /api/v1 REST API as cms-api.md describes, sharing
// one database (coSpaces, callBridges) and keeping node-local runtime state (calls, callLegs).
// It imports nothing of NFMM: it must answer like a real CMS, not like our client wishes.
//
// Agreed API (tests of cms, commands and bot depend on it):
//
//	sim, err := cmssim.Start(cmssim.Options{Nodes: 3, Scenario: cmssim.ScenarioDemo, Seed: 1})
//	defer sim.Close()
//	sim.Nodes()            // []NodeInfo{Name "cb1", URL "http://127.0.0.1:PORT", CallBridgeID}
//	sim.Username, sim.Password
//	sim.HTTPClient()       // trusts the generated cert when Options.TLS
//
//	m := sim.AddMeeting(cmssim.MeetingSpec{Name: "Board review", Participants: []cmssim.ParticipantSpec{
//	        {Name: "Alice", URI: "alice@example.com", Node: "cb1"}, {Name: "Bob", Node: "cb2", RxAudioMute: true}}})
//	        // -> MeetingInfo{Correlator, CoSpace, Calls map[node]callID, Legs []LegState}
//	sim.Legs(correlator)   // []LegState of participant legs, every node (no distribution links)
//	sim.Leg(legID)         // (LegState, bool): Node, CallID, Correlator, ParticipantID, Name, RemoteParty,
//	                       // RxAudioMute, TxAudioMute, RxVideoMute, TxVideoMute, ChosenLayout, Importance *int
//	sim.CallState(node, callID) // (CallState{JoinAudioMuteOverride *bool, Locked bool}, bool)
//	sim.RemoveLeg(legID)   // the participant hangs up
//
// Faults (per node, by name): SetLatency(node, d), SetDown(node, bool), Fail503(node, n),
// SetMalformed(node, bool), SetAuthFailure(node, bool), and hooks OnRequest(func(RequestInfo)).
// Observability: Requests(node) int, MaxInFlight(node) int, ResetCounters().
//
// Additions to the agreed API: Meetings() and Meeting(correlator) list meetings;
// Participant(id) returns a ParticipantState (owner node, importance, leg ids); Counts() gives
// meetings, call instances and legs; CertPEM() exports the TLS certificate (for CMS_CA_FILE).
// Options also take BasePort, Username/Password, PageCaps, GetMissingStatus, Now (a clock for
// deterministic tests), Logger, and Scale for ScenarioScale. MeetingSpec can backdate a
// meeting (StartedAgo) and preset JoinAudioMuteOverride/Locked; ParticipantSpec can fix Media
// (codecs, resolution, loss, jitter, audio-only), Importance and Outgoing.
//
// Several clusters: StartClusters(Options{Cluster: "emea", …}, Options{Cluster: "amer", …})
// starts one Sim per cluster (nodes emea-cb1…, ids of their own) and returns a Clusters with
// Names(), All(), Cluster(name) and Close(). What /callBridges says about a node can differ
// from where it listens, as on a real cluster: SetAddress(node, addr), SetSIPDomain(node, d);
// SetCredentials(node, user, pass) gives one node an API user of its own (peers.go).
//
// # Endpoints
//
// GET calls, calls/<id>, calls/<id>/callLegs, calls/<id>/participants, callLegs, callLegs/<id>,
// participants, participants/<id>, participants/<id>/callLegs (also participant/<id>/callLegs),
// system/status, system/configuration/cluster, callBridges, callBridges/<id>, coSpaces,
// coSpaces/<id>. PUT callLegs/<id> (rxAudioMute, txAudioMute, rxVideoMute, txVideoMute,
// chosenLayout), PUT participants/<id> (importance, deactivated), PUT calls/<id>
// (joinAudioMuteOverride, locked, recording, streaming, allowAllMuteSelf,
// allowAllPresentationContribution, messageText, messagePosition top|middle|bottom,
// messageDuration seconds|permanent), PUT calls/<id>/participants/* (rxAudioMute, txAudioMute,
// rxVideoMute, txVideoMute, layout, importance for every participant of the call; filterIds, up
// to 20, and mode=exclude|selected, default exclude, in the query or the body). POST
// calls/<id>/callLegs (remoteParty required, plus the PUT parameters); POST
// calls/<id>/participants (movedParticipant, or remoteParty); POST calls (coSpace: the space's
// call on this node). DELETE
// callLegs/<id>, participants/<id>, calls/<id>. Filters: calls coSpaceFilter/filter; callLegs
// filter/participantFilter/alarms; participants filter/callBridgeFilter; coSpaces filter; any
// tenantFilter matches nothing (the emulator has no tenants).
//
// # CDRs (cms-cdr.md)
//
// GET, POST (uri) system/cdrReceivers and GET, PUT, DELETE system/cdrReceivers/<id> keep a
// node-local list of at most MaxCDRReceivers; a fifth POST fails with tooManyCdrReceivers.
// Once a receiver exists, the feed watches each node's calls and legs every second and posts
// <records> to every receiver of that node (callStart, callLegStart, callLegUpdate, callLegEnd
// with alarms from the leg's media, callEnd), resending until a 200. Tests drive it with
// FlushCDRs(ctx) and the Options.Now clock; CDRReceivers(node) and AddCDRReceiver(node, uri)
// inspect and pre-fill the list (another tool's receivers).
//
// # Wire behaviour (cms-api.md §1–5)
//
//   - Paths match case-insensitively (/api/v1/calllegs = /api/v1/callLegs). Basic auth on
//     everything; failure is 401, empty body, WWW-Authenticate: Basic realm="acano".
//   - Bodies are text/xml and start with <?xml version="1.0"?>; element order follows the
//     cms-api.md samples; unset optional values are omitted.
//   - Lists: <plural total="N"> with at most one page: 10 items (coSpaces 20) unless
//     Options.PageCaps says otherwise; offset and limit as CMS (limit never raises the cap);
//     a non-numeric or negative offset, or limit < 1, is a parameterError.
//   - POST: 200, empty body, Location: /api/v1/callLegs/<id> (participants/<id>, calls/<id>
//     for those collections). PUT and DELETE: 200, empty body.
//     PUT semantics: an omitted parameter keeps its value, an empty one unsets it, unknown
//     parameters are ignored. A request with any invalid parameter changes nothing.
//   - Errors: <?xml version="1.0"?><failureDetails><reason /></failureDetails> on one line
//     (self-closing, as CMS; clients slice fixed offsets). Bad ids in PUT, DELETE and POST:
//     400. GET of an id the cluster does not know: 404 (configurable with GetMissingStatus). A
//     leg hosted by another node is answered exactly as an unknown id (legs are node-local).
//     Unknown paths: 404
//     unrecognizedObject; a known path with an unsupported method: 405 invalidOperation.
//     participantDoesNotExist is an assumption: Cisco documents no reason for a bad
//     participant id.
//   - parameterError (parameter="…" error="invalidValue") for a chosenLayout outside the 13
//     values of Cisco's Layouts enum (case-sensitive), a missing or empty remoteParty, a
//     non-integer or negative importance, and a boolean that is not literally "true" or
//     "false". That last one is a deliberate choice: Cisco documents booleans as those
//     literals; the on/off some clients send is rejected rather than guessed at.
//
// # Cluster model
//
// A meeting is one coSpace and one call instance per hosting node, all with the same
// callCorrelator. Each instance has one distributionLink leg (type acano, subType
// distributionLink) per peer instance; these legs are real node-local legs, so they count in
// numCallLegs, in /callLegs totals and in system/status callLegsActive. As on real CMS, only
// the leg's detail carries <subType>: list entries do not. Links cannot be deleted
// (callLegCannotBeDeleted). A participant leg's detail status has <sipCallId>, spelt as a
// recorded CMS answer spells it.
//
// Participants are cluster-global: every node hosting an instance of the meeting lists the
// whole roster (GET /participants and /calls/<id>/participants); entries hosted elsewhere
// carry <callBridge> (the owner's callBridge id) and no <numCallLegs>; <call> is always the
// answering node's own instance. A node without an instance does not know the meeting.
// Participant ids differ from leg ids; map them with /participants/<id>/callLegs (only the
// owner enumerates the legs; elsewhere the list is empty) or /callLegs?participantFilter=.
// The leg's status/groupId is its participant id. PUT/DELETE of a participant on a non-owner
// fail with participantCannotBeModified / participantCannotBeDeleted.
//
// When a participant's last leg goes, the participant leaves; when an instance has no local
// participants left it is torn down with its distribution links; when the last instance goes
// the meeting ends (the coSpace stays: it is database). A meeting added without participants
// is an empty call on cb1 with activeWhenEmpty=true, kept up for dial-outs.
// PUT /calls/<id> applies to that instance only (CMS does not document propagation); a leg
// joining an instance whose joinAudioMuteOverride is true starts with rxAudioMute=true.
//
// Controls (controls.go): recording and streaming change only under the call profile's
// manual mode (SetRecordingMode, SetStreamingMode; otherwise callRecordingCannotBeModified /
// callStreamingCannotBeModified) and start only while the licence is valid (SetLicenseExpiry;
// otherwise recordingNotAllowedByLicensing / streamingNotAllowedByLicensing). Recording is one
// recorder per meeting: starting it on any instance records the meeting. Someone who Joins a
// locked meeting waits in the lobby (lockMode all, the default): their leg shows
// status/deactivated=true until PUT participants/<id> deactivated=false on the owning node.
// A move (movedParticipant) removes the participant and creates a new one on the posting node
// with settings reset and movedParticipant set; it bypasses the target's lock. canMove=false
// (SetCanMove, ParticipantSpec.CannotMove), a move into the same meeting or an unknown
// participant is refused (parameterError on movedParticipant; CMS's answer is undocumented).
// A timed banner (messageDuration seconds) reports messageTimeRemaining, 0 once it is gone.
// SetPresenting is an endpoint sharing content: presenterCallLeg on its own instance (what
// other instances report is undocumented) and presenter=true in the roster events.
//
// # Scenarios and stats
//
// ScenarioDemo builds, from Options.Seed, a dozen meetings of 2–40 participants on any number
// of nodes (one meeting spans all nodes, several span two or three): people on SIP and
// user@domain addresses, room systems, E.164 phones (audio-only), opus/g722/aac and
// h264/vp8 at 360p–1080p, some muted legs, chosen layouts and importance, a few legs with
// packet loss > 3 % or jitter > 40 ms (they raise packetLoss/excessiveJitter alarms).
// ScenarioScale builds Scale.Meetings meetings holding Scale.Legs participant legs in total
// (24 × 500 × 5000 takes about 30 ms). Media stats drift smoothly with the time since Start,
// around each leg's baseline, and stay in realistic ranges; with the same seed and clock the
// answers are identical.
//
// # Faults
//
// SetLatency delays requests but ends early when the client gives up or Close runs. SetDown
// closes new connections on accept and open ones on their next request, without a response.
// Fail503 answers the next n requests with 503 and an empty body. SetMalformed cuts every
// XML body in half (status stays 200). SetAuthFailure answers 401 whatever the credentials.
// OnRequest's hook runs without emulator locks after the latency and before the request is
// handled, so it may change state (RemoveLeg) mid-request. Requests and MaxInFlight count
// every request that reached the handler, faults included. Unknown node names are ignored.
//
// # Events API (cms-events.md; events.go)
//
// POST /api/v1/authTokens (Basic auth) answers 200 with the token in X-Cisco-CMS-Auth-Token and
// no body; GET /events/v1?authToken=… upgrades to a websocket on the same port and TLS. Frames,
// ids, acks, subscriptions, snapshots, sparse updates and removes follow the recorded traces;
// the choices where they are silent are listed at the top of events.go. Every REST write and
// every scenario change emits the matching events. Scenario changes: Join, RemoveLeg,
// SetEndpointMute, SetActiveSpeaker, SetRecording, SetStreaming, SetLocked, EndMeeting; with
// Options.Live the meetings change by themselves. Faults: DropEventSockets, RejectNextToken,
// StopSending, SetEventsUnavailable (404), and SetDown drops the sockets too. EventStats
// counts sockets, messages and acks.
package cmssim
