package cms

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// pathLog records every request's method and path as it reaches the emulator.
type pathLog struct {
	mu   sync.Mutex
	reqs []cmssim.RequestInfo
}

func logPaths(sim *cmssim.Sim) *pathLog {
	l := &pathLog{}
	sim.OnRequest(func(r cmssim.RequestInfo) {
		l.mu.Lock()
		l.reqs = append(l.reqs, r)
		l.mu.Unlock()
	})
	return l
}

func (l *pathLog) take() []cmssim.RequestInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.reqs
	l.reqs = nil
	return out
}

func TestFindMeetingReadsListsOnly(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3, PageCaps: map[string]int{"calls": 2}}, nil)
	info := sim.AddMeeting(clusterBoardSpec())
	for i := range 5 { // more calls than a page holds
		sim.AddMeeting(cmssim.MeetingSpec{Name: "Other " + string(rune('a'+i)),
			Participants: []cmssim.ParticipantSpec{{Name: "X", Node: "cb2"}}})
	}
	ctx := t.Context()
	full := findMeeting(t, c.Meetings(ctx).Meetings, info.Correlator)
	log := logPaths(sim)

	m, failed, err := c.FindMeeting(ctx, "board")
	if err != nil || len(failed) != 0 {
		t.Fatalf("FindMeeting: %v, failed %v", err, failed)
	}
	for _, r := range log.take() {
		if r.Path != "/api/v1/calls" {
			t.Errorf("resolving read %s %s; want only the calls lists", r.Method, r.Path)
		}
	}
	if m.Correlator != full.Correlator || !reflect.DeepEqual(m.NodeNames(), full.NodeNames()) || m.Participants != 0 {
		t.Errorf("listed meeting %+v; want %s on %v without counters", m, full.Correlator, full.NodeNames())
	}

	d, failed, err := c.MeetingDetails(ctx, m)
	if err != nil || len(failed) != 0 {
		t.Fatalf("MeetingDetails: %v, failed %v", err, failed)
	}
	reqs := log.take()
	if len(reqs) != len(m.Instances) {
		t.Errorf("details took %d requests, want one per instance (%d)", len(reqs), len(m.Instances))
	}
	for _, r := range reqs {
		if !strings.HasPrefix(r.Path, "/api/v1/calls/") || r.Method != "GET" {
			t.Errorf("details read %s %s", r.Method, r.Path)
		}
	}
	if !reflect.DeepEqual(d, full) {
		t.Errorf("detailed meeting\n%+v\nwant what Meetings reads\n%+v", d, full)
	}
}

func TestMeetingDetailsNamesUnreadableNode(t *testing.T) {
	sim, c := newSimCluster(t, cmssim.Options{Nodes: 3}, func(cfg *NodeConfig) { cfg.Timeout = time.Second })
	info := sim.AddMeeting(clusterBoardSpec())
	ctx := t.Context()
	m, _, err := c.FindMeeting(ctx, info.Correlator)
	if err != nil {
		t.Fatal(err)
	}
	sim.SetDown("cb2", true)
	d, failed, err := c.MeetingDetails(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].Node != "cb2" {
		t.Errorf("failed %v, want cb2 named", failed)
	}
	want, _ := m.Instance("cb2")
	if in, ok := d.Instance("cb2"); !ok || in.Call.ID != want.Call.ID || in.Call.ID == "" {
		t.Errorf("cb2's instance lost its list data: %+v", d.Instances)
	}
}
