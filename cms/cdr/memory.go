package cdr

import (
	"context"
	"sync"
	"time"
)

// Memory keeps CDRs and their history in process memory. It is the store for tests and for
// an emulator-only demo without a database; it forgets everything on restart and is not
// shared between replicas, which is what package store is for.
type Memory struct {
	mu         sync.Mutex
	raw        map[Key]StoredRecord
	instances  map[callKey]Instance
	legs       map[callKey]Leg // node, leg id
	recordings map[callKey]Recording
	clusterOf  map[callKey]string // each instance's and leg's cluster
}

// StoredRecord is a raw record as kept, with the node it came from.
type StoredRecord struct {
	Cluster    string
	Node       string
	CallBridge string
	Record
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{raw: map[Key]StoredRecord{}, instances: map[callKey]Instance{},
		legs: map[callKey]Leg{}, recordings: map[callKey]Recording{}, clusterOf: map[callKey]string{}}
}

var _ Sink = (*Memory)(nil)

// StoreCDRs stores the new records of b and projects them.
func (s *Memory) StoreCDRs(_ context.Context, cluster, node string, b Batch) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range b.Records {
		if _, dup := s.raw[r.Key()]; dup {
			continue
		}
		s.raw[r.Key()] = StoredRecord{Cluster: cluster, Node: node, CallBridge: b.CallBridge, Record: r}
		n++
		c := Project(node, r)
		s.apply(c)
		if x := c.Instance; x != nil {
			s.clusterOf[callKey{x.Node, x.CallID}] = cluster
		}
		if x := c.Leg; x != nil {
			s.clusterOf[callKey{x.Node, x.LegID}] = cluster
		}
	}
	return n, nil
}

func (s *Memory) apply(c Change) {
	if x := c.Instance; x != nil {
		mergeInto(s.instances, callKey{x.Node, x.CallID}, Instance{Node: x.Node, CallID: x.CallID}, *x)
	}
	if x := c.Leg; x != nil {
		mergeInto(s.legs, callKey{x.Node, x.LegID}, Leg{Node: x.Node, LegID: x.LegID}, *x)
	}
	if x := c.Recording; x != nil {
		mergeInto(s.recordings, callKey{x.Node, x.ID}, Recording{Node: x.Node, ID: x.ID}, *x)
	}
}

// mergeInto merges x into m[k], starting from blank when k is new.
func mergeInto[T interface{ Merge(T) T }](m map[callKey]T, k callKey, blank, x T) {
	old, ok := m[k]
	if !ok {
		old = blank
	}
	m[k] = old.Merge(x)
}

// Records returns every stored raw record (any order).
func (s *Memory) Records() []StoredRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StoredRecord, 0, len(s.raw))
	for _, r := range s.raw {
		out = append(out, r)
	}
	return out
}

// HistoryRows answers q (see HistoryQuery).
func (s *Memory) HistoryRows(_ context.Context, q HistoryQuery) (Rows, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows Rows
	calls := map[callKey]bool{}
	matching := map[callKey]bool{} // calls with a leg that passes the participant filter
	for _, l := range s.legs {
		if q.MatchesLeg(l) {
			matching[callKey{l.Node, l.CallID}] = true
		}
	}
	meetings := map[string]bool{} // their meetings' correlators
	for k, x := range s.instances {
		if matching[k] && x.CallCorrelator != "" {
			meetings[x.CallCorrelator] = true
		}
	}
	for k, x := range s.instances {
		if q.inCluster(s.clusterOf[k]) && q.MatchesInstance(x) && (q.Participant == "" || matching[k] || meetings[x.CallCorrelator]) {
			rows.Instances = append(rows.Instances, x)
			calls[k] = true
		}
	}
	for _, l := range s.legs {
		k := callKey{l.Node, l.CallID}
		_, known := s.instances[k]
		orphan := !known && q.Meeting == "" && q.inCluster(s.clusterOf[callKey{l.Node, l.LegID}]) && q.MatchesLeg(l) && Overlaps(l.StartedAt, l.EndedAt, q.From, q.To)
		if calls[k] || orphan {
			rows.Legs = append(rows.Legs, l)
		}
	}
	for _, r := range s.recordings {
		if calls[callKey{r.Node, r.CallID}] {
			rows.Recordings = append(rows.Recordings, r)
		}
	}
	return rows, nil
}

// PruneCDRs deletes raw records older than before, and history rows whose newest record is.
func (s *Memory) PruneCDRs(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, r := range s.raw {
		if r.Time.Before(before) {
			delete(s.raw, k)
			n++
		}
	}
	for k, x := range s.instances {
		if x.Seen.Before(before) {
			delete(s.instances, k)
		}
	}
	for k, x := range s.legs {
		if x.Seen.Before(before) {
			delete(s.legs, k)
		}
	}
	for k, x := range s.recordings {
		if x.Seen.Before(before) {
			delete(s.recordings, k)
		}
	}
	return n, nil
}
