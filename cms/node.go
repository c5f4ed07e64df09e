package cms

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// CONTRACT STUB: the signatures below are the agreed API; the node helper replaces the bodies.

// NodeConfig describes one call bridge's API endpoint.
type NodeConfig struct {
	Name               string        // operator-facing node name, e.g. "cb1"
	BaseURL            string        // https://host:port (http allowed for the emulator); without /api/v1
	Username           string        //
	Password           string        // never logged, never in an error
	CAFile             string        // optional PEM bundle added to the system roots
	InsecureSkipVerify bool          // explicit opt-in
	Timeout            time.Duration // per request; default 10s
	MaxConcurrency     int           // requests in flight to this node; default 8
	HTTPClient         *http.Client  // optional (tests: the emulator's client); overrides TLS settings
	// Observe, when set, is called after every HTTP request (metrics); it must not block.
	Observe func(RequestStat)
}

// RequestStat describes one finished HTTP request to a node.
type RequestStat struct {
	Node     string
	Method   string
	Path     string // the request path, ids included
	Status   int    // 0 on a transport error
	Duration time.Duration
	Err      error
}

// Node is the API client for one call bridge.
type Node struct{ cfg NodeConfig }

var errStub = errors.New("not implemented yet")

func NewNode(cfg NodeConfig) (*Node, error) { return &Node{cfg: cfg}, nil }
func (n *Node) Name() string                { return n.cfg.Name }

func (n *Node) Calls(ctx context.Context) ([]Call, error)               { return nil, errStub }
func (n *Node) Call(ctx context.Context, id string) (CallDetail, error) { return CallDetail{}, errStub }
func (n *Node) CallLegs(ctx context.Context, callID string) ([]CallLeg, error) {
	return nil, errStub
}
func (n *Node) AllCallLegs(ctx context.Context) ([]CallLeg, error) { return nil, errStub }
func (n *Node) CallLeg(ctx context.Context, id string) (CallLegDetail, error) {
	return CallLegDetail{}, errStub
}
func (n *Node) CallParticipants(ctx context.Context, callID, callBridgeFilter string) ([]Participant, error) {
	return nil, errStub
}
func (n *Node) Participant(ctx context.Context, id string) (Participant, error) {
	return Participant{}, errStub
}
func (n *Node) ParticipantCallLegs(ctx context.Context, id string) ([]CallLeg, error) {
	return nil, errStub
}
func (n *Node) SystemStatus(ctx context.Context) (SystemStatus, error) {
	return SystemStatus{}, errStub
}
func (n *Node) CallBridges(ctx context.Context) ([]CallBridge, error) { return nil, errStub }
func (n *Node) CallBridge(ctx context.Context, id string) (CallBridge, error) {
	return CallBridge{}, errStub
}
func (n *Node) ClusterConfig(ctx context.Context) (ClusterConfig, error) {
	return ClusterConfig{}, errStub
}

func (n *Node) UpdateCallLeg(ctx context.Context, id string, u LegUpdate) error { return errStub }
func (n *Node) AddCallLeg(ctx context.Context, callID, remoteParty string) (string, error) {
	return "", errStub
}
func (n *Node) DeleteCallLeg(ctx context.Context, id string) error { return errStub }
func (n *Node) UpdateParticipant(ctx context.Context, id string, u ParticipantUpdate) error {
	return errStub
}
func (n *Node) UpdateCall(ctx context.Context, id string, u CallUpdate) error { return errStub }
