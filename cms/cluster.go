package cms

import (
	"context"
	"time"
)

// CONTRACT STUB: the signatures below are the agreed API; the cluster helper replaces the bodies.

// Cluster is every configured call bridge, queried concurrently and seen as one.
type Cluster struct{ nodes []*Node }

func NewCluster(nodes []*Node) *Cluster { return &Cluster{nodes: nodes} }

// Nodes returns the nodes in configuration order.
func (c *Cluster) Nodes() []*Node { return c.nodes }

// Node returns the node of that name.
func (c *Cluster) Node(name string) (*Node, bool) { return nil, false }

// Meeting is one meeting across the cluster: every call instance sharing a callCorrelator.
type Meeting struct {
	Correlator      string         // callCorrelator (the call id when CMS reports none)
	Name            string         //
	Instances       []CallInstance // one per hosting node, in node order
	Participants    int            // real participants over all nodes (sum of numParticipantsLocal)
	DurationSeconds int            // the longest instance
}

// CallInstance is the meeting's call object on one node.
type CallInstance struct {
	Node string
	Call CallDetail
}

// NodeNames lists the nodes hosting the meeting.
func (m Meeting) NodeNames() []string { return nil }

// MeetingList is Meetings' result: what could be read, and which nodes could not be.
type MeetingList struct {
	Meetings []Meeting // sorted by name, then correlator
	Failed   []NodeError
}

// Meetings lists every active meeting across the cluster.
func (c *Cluster) Meetings(ctx context.Context) MeetingList { return MeetingList{} }

// RosterEntry is one participant leg with the node that hosts it.
type RosterEntry struct {
	Node string
	Leg  CallLegDetail
}

// Roster is a meeting's participant legs on every node (distribution links dropped).
type Roster struct {
	Meeting Meeting
	Legs    []RosterEntry // sorted by name, then leg id
	Failed  []NodeError
}

// Roster reads the meeting's legs (with detail) on every node hosting it.
func (c *Cluster) Roster(ctx context.Context, m Meeting) Roster { return Roster{} }

// ResolveMeeting finds the meeting a user named: a callCorrelator, a node-local call id, a
// unique prefix (≥4 chars) of either, or a unique case-insensitive substring of the name.
// Errors: *AmbiguousError (lists candidates), *UnknownRefError (Is ErrNotFound).
func (c *Cluster) ResolveMeeting(ctx context.Context, ref string) (Meeting, error) {
	return Meeting{}, nil
}

// LegRef locates a call leg: the node hosting it and its call.
type LegRef struct {
	Node   string
	LegID  string
	CallID string
	Name   string
}

// ResolveLeg finds a participant leg by id or unique id prefix (≥4 chars) on any node.
func (c *Cluster) ResolveLeg(ctx context.Context, ref string) (LegRef, error) { return LegRef{}, nil }

// Leg reads one leg's detail from its node.
func (c *Cluster) Leg(ctx context.Context, node, legID string) (CallLegDetail, error) {
	return CallLegDetail{}, nil
}

// Leg actions, always sent to the named node (the one hosting the leg).
func (c *Cluster) UpdateLeg(ctx context.Context, node, legID string, u LegUpdate) error { return nil }
func (c *Cluster) DeleteLeg(ctx context.Context, node, legID string) error              { return nil }
func (c *Cluster) AddLeg(ctx context.Context, node, callID, remoteParty string) (string, error) {
	return "", nil
}
func (c *Cluster) UpdateCall(ctx context.Context, node, callID string, u CallUpdate) error {
	return nil
}
func (c *Cluster) UpdateParticipant(ctx context.Context, node, participantID string, u ParticipantUpdate) error {
	return nil
}

// ParticipantOfLeg finds the participant owning a leg through the documented endpoints
// (GET /calls/<id>/participants, GET /participants/<id>/callLegs).
func (c *Cluster) ParticipantOfLeg(ctx context.Context, node, callID, legID string) (string, error) {
	return "", nil
}

// NodeStatus is one node's health as seen by Status.
type NodeStatus struct {
	Node    string
	Status  SystemStatus
	Latency time.Duration
	Err     error // nil when reachable
}

// Status reads GET /system/status on every node concurrently.
func (c *Cluster) Status(ctx context.Context) []NodeStatus { return nil }
