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
package cmssim
