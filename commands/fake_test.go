package commands

import (
	"context"
	"sync"
	"testing"

	"github.com/nfmm/nfmm/cms"
)

// fakeCluster is a hand fake of Cluster that counts every call that would reach CMS.
type fakeCluster struct {
	t     *testing.T
	nodes []*cms.Node
	mu    sync.Mutex
	calls map[string]int
}

func newFake(t *testing.T, names ...string) *fakeCluster {
	t.Helper()
	f := &fakeCluster{t: t, calls: map[string]int{}}
	for _, n := range names {
		node, err := cms.NewNode(cms.NodeConfig{Name: n, BaseURL: "http://127.0.0.1:9"})
		if err != nil {
			t.Fatalf("NewNode: %v", err)
		}
		f.nodes = append(f.nodes, node)
	}
	return f
}

func (f *fakeCluster) hit(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
}

func (f *fakeCluster) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

func (f *fakeCluster) Nodes() []*cms.Node { return f.nodes }
func (f *fakeCluster) Node(name string) (*cms.Node, bool) {
	for _, n := range f.nodes {
		if n.Name() == name {
			return n, true
		}
	}
	return nil, false
}
func (f *fakeCluster) Meetings(context.Context) cms.MeetingList {
	f.hit("Meetings")
	return cms.MeetingList{}
}
func (f *fakeCluster) Roster(context.Context, cms.Meeting) cms.Roster {
	f.hit("Roster")
	return cms.Roster{}
}
func (f *fakeCluster) ResolveMeeting(_ context.Context, ref string) (cms.Meeting, error) {
	f.hit("ResolveMeeting")
	return cms.Meeting{}, &cms.UnknownRefError{Kind: "meeting", Ref: ref}
}
func (f *fakeCluster) ResolveLeg(_ context.Context, ref string) (cms.LegRef, error) {
	f.hit("ResolveLeg")
	return cms.LegRef{}, &cms.UnknownRefError{Kind: "participant", Ref: ref}
}
func (f *fakeCluster) Leg(context.Context, string, string) (cms.CallLegDetail, error) {
	f.hit("Leg")
	return cms.CallLegDetail{}, cms.ErrCallLegNotFound
}
func (f *fakeCluster) UpdateLeg(context.Context, string, string, cms.LegUpdate) error {
	f.hit("UpdateLeg")
	return nil
}
func (f *fakeCluster) DeleteLeg(context.Context, string, string) error {
	f.hit("DeleteLeg")
	return nil
}
func (f *fakeCluster) AddLeg(context.Context, string, string, string) (string, error) {
	f.hit("AddLeg")
	return "", nil
}
func (f *fakeCluster) UpdateCall(context.Context, string, string, cms.CallUpdate) error {
	f.hit("UpdateCall")
	return nil
}
func (f *fakeCluster) UpdateParticipant(context.Context, string, string, cms.ParticipantUpdate) error {
	f.hit("UpdateParticipant")
	return nil
}
func (f *fakeCluster) ParticipantOfLeg(context.Context, string, string, string) (string, error) {
	f.hit("ParticipantOfLeg")
	return "", nil
}
func (f *fakeCluster) Status(context.Context) []cms.NodeStatus {
	f.hit("Status")
	return nil
}
