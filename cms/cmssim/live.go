package cmssim

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Scenario changes: what endpoints and people do by themselves. Each emits the matching
// events, as the REST writes do.

// Join adds a participant to a running meeting, as if they dialled in to ps.Node (cb1 when
// empty or unknown), and returns the new leg.
func (s *Sim) Join(correlator string, ps ParticipantSpec) (LegState, bool) {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.meetingByCor[correlator]
	if m == nil {
		return LegState{}, false
	}
	n := st.nodeByName(ps.Node)
	if n == nil {
		n = st.nodes[0]
	}
	if ps.URI == "" {
		ps.URI = slugify(ps.Name) + "@example.com"
	}
	ps.Lobby = ps.Lobby || st.lockedMeeting(m)
	return legState(st.join(m, n, ps, st.now())), true
}

// SetEndpointMute mutes or unmutes a leg from the endpoint's side (audio or video).
func (s *Sim) SetEndpointMute(legID string, video, muted bool) bool {
	return s.onLeg(legID, func(l *leg) {
		i := muteRxAudio
		if video {
			i = muteRxVideo
		}
		l.mutes[i] = triOf(muted)
	})
}

// SetActiveSpeaker makes the leg its call's active speaker.
func (s *Sim) SetActiveSpeaker(legID string) bool {
	return s.onLeg(legID, func(l *leg) { l.c.speaker = l })
}

// onLeg changes a participant leg under the state lock and emits the events.
func (s *Sim) onLeg(legID string, fn func(*leg)) bool {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	l := st.legs[legID]
	if l == nil || l.p == nil {
		return false
	}
	fn(l)
	st.touch(l.c)
	return true
}

// SetStreaming starts or stops streaming on every instance of the meeting.
func (s *Sim) SetStreaming(correlator string, on bool) bool {
	return s.eachInstance(correlator, func(c *call) { c.streaming = on })
}

// SetLocked locks or unlocks every instance of the meeting (as an operator on CMM would).
func (s *Sim) SetLocked(correlator string, on bool) bool {
	return s.eachInstance(correlator, func(c *call) { c.locked = on })
}

func (s *Sim) eachInstance(correlator string, fn func(*call)) bool {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.meetingByCor[correlator]
	if m == nil {
		return false
	}
	for _, c := range m.instances {
		fn(c)
		st.touch(c)
	}
	return true
}

// EndMeeting ends every instance of the meeting (everyone is disconnected).
func (s *Sim) EndMeeting(correlator string) bool {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	m := st.meetingByCor[correlator]
	if m == nil {
		return false
	}
	st.removingAs("callEnded", func() {
		for _, c := range slices.Clone(m.instances) {
			for _, l := range slices.Clone(c.legs) {
				if l.p != nil {
					st.removeLeg(l)
				}
			}
			if st.calls[c.id] != nil {
				st.dropInstance(c)
			}
		}
	})
	return true
}

// startLive runs the live scenario until Close: every tick the active speaker moves in a few
// meetings, and now and then someone unmutes, a guest joins or leaves, recording toggles, or a
// short ad-hoc meeting starts or ends. It never shrinks a meeting below what it started with,
// so the demo stays recognisable.
func (s *Sim) startLive(every time.Duration, seed int64) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6c697665)) // "live"
	s.events.wg.Add(1)
	go func() {
		defer s.events.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		var guests []string // leg ids the live scenario added
		adhoc, adhocAge := "", 0
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
			}
			ms := s.Meetings()
			if len(ms) == 0 {
				continue
			}
			for range 2 {
				m := ms[rng.IntN(len(ms))]
				if len(m.Legs) > 0 {
					s.SetActiveSpeaker(m.Legs[rng.IntN(len(m.Legs))].ID)
				}
			}
			m := ms[rng.IntN(len(ms))]
			switch r := rng.IntN(100); {
			case r < 30 && len(m.Legs) > 0:
				l := m.Legs[rng.IntN(len(m.Legs))]
				s.SetEndpointMute(l.ID, false, !l.RxAudioMute)
			case r < 45 && len(guests) < 8:
				nodes := make([]string, 0, len(m.Calls))
				for n := range m.Calls {
					nodes = append(nodes, n)
				}
				slices.Sort(nodes)
				name := firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
				first, last, _ := strings.Cut(strings.ToLower(name), " ")
				if l, ok := s.Join(m.Correlator, ParticipantSpec{Name: name + " (guest)",
					URI: asciiOnly(first) + "." + asciiOnly(last) + "@guest.example.org", Node: nodes[rng.IntN(len(nodes))]}); ok {
					guests = append(guests, l.ID)
				}
			case r < 60 && len(guests) > 0:
				i := rng.IntN(len(guests))
				s.RemoveLeg(guests[i])
				guests = slices.Delete(guests, i, i+1)
			case r < 68:
				s.SetRecording(m.Correlator, rng.IntN(2) == 0)
			case r < 75 && adhoc == "":
				info := s.AddMeeting(MeetingSpec{Name: "Ad-hoc huddle", Participants: []ParticipantSpec{
					{Name: "Greta Lindqvist", URI: "greta.lindqvist@example.com", Node: s.Nodes()[0].Name},
					{Name: "Farid Haddad", URI: "farid.haddad@contoso.example", Node: s.Nodes()[len(s.Nodes())-1].Name},
				}})
				adhoc, adhocAge = info.Correlator, 0
			}
			if adhoc != "" {
				if adhocAge++; adhocAge > 20 {
					s.EndMeeting(adhoc)
					adhoc = ""
				}
			}
		}
	}()
}
