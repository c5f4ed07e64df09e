package commands

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"

	"github.com/nfmm/nfmm/cms"
)

// PresenterSnapshots keeps what presenter mode on changed in a meeting (keyed by each call
// instance, "<node>/<call id>") until presenter mode
// off puts it back. Save keeps the first snapshot of a meeting (a second "on" must not
// overwrite the state before presenter mode); Take returns and removes it. The store
// implements it durably (app wires it); MemorySnapshots is the default and does not survive a
// restart.
type PresenterSnapshots interface {
	SavePresenterSnapshot(ctx context.Context, meeting string, snap json.RawMessage) error
	TakePresenterSnapshot(ctx context.Context, meeting string) (json.RawMessage, bool, error)
}

// MemorySnapshots is PresenterSnapshots in memory.
type MemorySnapshots struct {
	mu sync.Mutex
	m  map[string]json.RawMessage
}

func (s *MemorySnapshots) SavePresenterSnapshot(_ context.Context, meeting string, snap json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]json.RawMessage{}
	}
	if _, ok := s.m[meeting]; !ok {
		s.m[meeting] = snap
	}
	return nil
}

func (s *MemorySnapshots) TakePresenterSnapshot(_ context.Context, meeting string) (json.RawMessage, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, ok := s.m[meeting]
	delete(s.m, meeting)
	return snap, ok, nil
}

// presenterSnapshot is the state before presenter mode: each leg's mute and layout, each call
// instance's join-muted setting, and each participant importance presenter mode cleared.
type presenterSnapshot struct {
	Legs       map[string]legBefore `json:"legs"`  // "<node>/<leg id>"
	Calls      map[string]*bool     `json:"calls"` // "<node>/<call id>": joinAudioMuteOverride
	Importance []importanceBefore   `json:"importance"`
}

type legBefore struct {
	Muted  bool   `json:"muted"`
	Layout string `json:"layout"`
}

type importanceBefore struct {
	Node        string `json:"node"`
	Participant string `json:"participant"`
	Name        string `json:"name,omitempty"`
	Importance  int    `json:"importance"`
}

// snapshotOf records the before state of what an "on" wrote successfully.
func snapshotOf(out cms.MeetingOutcome) presenterSnapshot {
	snap := presenterSnapshot{Legs: map[string]legBefore{}, Calls: map[string]*bool{}}
	for _, l := range out.Legs {
		if l.Err == nil {
			snap.Legs[l.Entry.Node+"/"+l.Entry.Leg.ID] = legBefore{Muted: l.Entry.Leg.Config.RxAudioMute, Layout: l.Entry.Leg.Config.ChosenLayout}
		}
	}
	for _, c := range out.Calls {
		if c.Err == nil {
			snap.Calls[c.Instance.Node+"/"+c.Instance.Call.ID] = c.Instance.Call.JoinAudioMuteOverride
		}
	}
	// The presenter's own importance before, as well as the ones cleared: off clears every
	// importance, then puts these back.
	for _, p := range append([]cms.ParticipantOutcome{out.Presenter}, out.Cleared...) {
		if p.Err == nil && p.Participant.ID != "" && p.Participant.Importance != nil {
			snap.Importance = append(snap.Importance, importanceBefore{Node: p.Node, Participant: p.Participant.ID,
				Name: p.Participant.Name, Importance: *p.Participant.Importance})
		}
	}
	return snap
}

// restoreLeg is a leg's update for presenter mode off: what it was before presenter mode, or
// (for someone who joined since) unmuted with the default layout.
func (snap *presenterSnapshot) restoreLeg(e cms.RosterEntry) cms.LegUpdate {
	if snap != nil {
		if b, ok := snap.Legs[e.Node+"/"+e.Leg.ID]; ok {
			u := cms.LegUpdate{RxAudioMute: cms.Set(b.Muted), ChosenLayout: cms.Unset[string]()}
			if b.Layout != "" {
				u.ChosenLayout = cms.Set(b.Layout)
			}
			return u
		}
	}
	return presenterUpdate(e, nil)
}

// restoreImportance puts back the importances presenter mode cleared.
func (s *Service) restoreImportance(ctx context.Context, snap *presenterSnapshot, r *ActionResult) {
	if snap == nil || len(snap.Importance) == 0 {
		return
	}
	ctl, err := s.controls()
	if err != nil {
		return
	}
	for _, p := range snap.Importance {
		err := ctl.UpdateParticipant(ctx, p.Node, p.Participant, cms.ParticipantUpdate{Importance: cms.Set(p.Importance)})
		switch {
		case errors.Is(err, cms.ErrNotFound):
		case err != nil:
			r.Failed = append(r.Failed, LegFailure{Node: p.Node, Reason: "importance not restored: " + reason(p.Node, err)})
		default:
			who := cmp.Or(p.Name, shortID(p.Participant))
			r.Changes = append(r.Changes, Change{Subject: who, Field: "importance", Before: "unset", After: itoa(p.Importance)})
		}
	}
}

// saveSnapshot stores the snapshot under each call instance it covers ("<node>/<call id>"),
// so presenter off finds it from any leg it reads first, without listing the meeting again.
func (s *Service) saveSnapshot(ctx context.Context, snap presenterSnapshot) {
	raw, err := json.Marshal(snap)
	if err != nil {
		return
	}
	for key := range snap.Calls {
		if err := s.snapshots.SavePresenterSnapshot(ctx, key, raw); err != nil {
			s.log.Warn("presenter snapshot not saved: presenter mode off will reset instead of restore",
				"call", key, "error", err.Error())
		}
	}
}

// takeSnapshot takes the snapshot of the instance key and removes its copies under the other
// instances; nil when presenter mode on left none (off then resets).
func (s *Service) takeSnapshot(ctx context.Context, key string) *presenterSnapshot {
	raw, ok, err := s.snapshots.TakePresenterSnapshot(ctx, key)
	if err != nil {
		s.log.Warn("presenter snapshot not read: presenter mode off resets", "call", key, "error", err.Error())
	}
	if !ok {
		return nil
	}
	var snap presenterSnapshot
	if json.Unmarshal(raw, &snap) != nil {
		return nil
	}
	for other := range snap.Calls {
		if other != key {
			_, _, _ = s.snapshots.TakePresenterSnapshot(ctx, other)
		}
	}
	return &snap
}

func itoa(n int) string { return strconv.Itoa(n) }
