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

func (f *fakeCluster) NodeNames() []string {
	names := make([]string, len(f.nodes))
	for i, n := range f.nodes {
		names[i] = n.Name()
	}
	return names
}
func (f *fakeCluster) Meetings(context.Context) cms.MeetingList {
	f.hit("Meetings")
	return cms.MeetingList{}
}
func (f *fakeCluster) FindMeeting(_ context.Context, ref string) (cms.Meeting, []cms.NodeError, error) {
	f.hit("FindMeeting")
	return cms.Meeting{}, nil, &cms.UnknownRefError{Kind: "meeting", Ref: ref}
}
func (f *fakeCluster) MeetingRoster(_ context.Context, ref string) (cms.Roster, error) {
	f.hit("MeetingRoster")
	return cms.Roster{}, &cms.UnknownRefError{Kind: "meeting", Ref: ref}
}
func (f *fakeCluster) AlarmedLegs(context.Context) []cms.NodeAlarmedLegs {
	f.hit("AlarmedLegs")
	out := make([]cms.NodeAlarmedLegs, len(f.nodes))
	for i, n := range f.nodes {
		out[i].Node = n.Name()
	}
	return out
}
func (f *fakeCluster) FindLeg(_ context.Context, ref, _ string) (cms.LegInCall, error) {
	f.hit("FindLeg")
	return cms.LegInCall{}, &cms.UnknownRefError{Kind: "participant", Ref: ref}
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
func (f *fakeCluster) UpdateMeeting(_ context.Context, ref string, _ cms.MeetingPlan) (cms.MeetingOutcome, error) {
	f.hit("UpdateMeeting")
	return cms.MeetingOutcome{}, &cms.UnknownRefError{Kind: "meeting", Ref: ref}
}
func (f *fakeCluster) Status(context.Context) []cms.NodeStatus {
	f.hit("Status")
	return nil
}
