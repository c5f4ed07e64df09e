package commands

import "sync"

// maxSeenLegs bounds the legs a Service remembers by name: a few large meetings' worth.
const maxSeenLegs = 10000

// seenLegs remembers the names of the legs this service has shown in rosters and details, so
// that a click on a participant who has left since names them ("Tamar Andersson has already
// left") instead of quoting the leg id the button carried. Oldest first out.
type seenLegs struct {
	mu    sync.Mutex
	names map[string]string
	order []string
}

func (s *seenLegs) remember(legID, name string) {
	if legID == "" || name == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.names == nil {
		s.names = make(map[string]string)
	}
	if _, ok := s.names[legID]; !ok {
		if len(s.order) == maxSeenLegs {
			delete(s.names, s.order[0])
			s.order = s.order[1:]
		}
		s.order = append(s.order, legID)
	}
	s.names[legID] = name
}

func (s *seenLegs) name(legID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.names[legID]
}
