package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/nfmm/nfmm/cms"
)

// MeetingState is what the meeting controls set, shown wherever a meeting appears (the calls
// list, the roster header, reports, exec text and JSON).
type MeetingState struct {
	Locked    bool `json:"locked"`
	Recording bool `json:"recording"`
	Streaming bool `json:"streaming"`
	// Presenter is who shares content (presenterCallLeg): a name where the roster is known,
	// else the leg id; "" when nobody presents.
	Presenter string `json:"presenter"`
	Banner    string `json:"banner"` // the banner text showing; "" for none
	// Lobby is how many wait in the lobby; nil where not counted (action results, and a
	// locked meeting whose legs could not all be read).
	Lobby *int `json:"lobby"`
}

// stateCompleter is a cluster that counts lobbies and names presenters for meetings a
// calls-list read left without them (cms.Cluster; from live state without a request).
type stateCompleter interface {
	CompleteState(ctx context.Context, ms []cms.Meeting)
}

// completeState fills in the lobby and presenter of ms where the cluster can.
func (s *Service) completeState(ctx context.Context, ms []cms.Meeting) {
	if sc, ok := s.cluster.(stateCompleter); ok && len(ms) > 0 {
		sc.CompleteState(ctx, ms)
	}
}

// stateOf merges the instances' call details: a setting shows when any instance has it, as
// the instances are written together.
func stateOf(m cms.Meeting) MeetingState {
	st := MeetingState{Presenter: m.PresenterName}
	if m.Lobby != nil {
		st.Lobby = new(int)
		*st.Lobby = *m.Lobby
	}
	for _, in := range m.Instances {
		d := in.Call
		st.Locked = st.Locked || d.Locked
		st.Recording = st.Recording || d.Recording
		st.Streaming = st.Streaming || d.Streaming
		if st.Presenter == "" {
			st.Presenter = d.PresenterCallLeg
		}
		if st.Banner == "" && d.BannerShowing() {
			st.Banner = d.MessageText
		}
	}
	return st
}

// withRoster completes the state from the roster: the lobby count and the presenter's name.
func withRoster(st MeetingState, legs []cms.RosterEntry) MeetingState {
	n := 0
	for _, e := range legs {
		if e.Leg.Status.Deactivated {
			n++
		}
		if st.Presenter != "" && e.Leg.ID == st.Presenter { // a leg id: name it
			st.Presenter = displayName(e.Leg)
		}
	}
	st.Lobby = &n
	return st
}

// StateMarks is the one-line form of a meeting's state: "🔒 ⏺ 📡 presenting: Alice · banner
// “Back at 10” · 2 in the lobby"; "" when nothing is set.
func StateMarks(st MeetingState) string {
	var parts []string
	var icons []string
	if st.Locked {
		icons = append(icons, "🔒")
	}
	if st.Recording {
		icons = append(icons, "⏺")
	}
	if st.Streaming {
		icons = append(icons, "📡")
	}
	if len(icons) > 0 {
		parts = append(parts, strings.Join(icons, " "))
	}
	if st.Presenter != "" {
		parts = append(parts, "presenting: "+st.Presenter)
	}
	if st.Banner != "" {
		parts = append(parts, "banner “"+st.Banner+"”")
	}
	if st.Lobby != nil && *st.Lobby > 0 {
		parts = append(parts, fmt.Sprintf("%d in the lobby", *st.Lobby))
	}
	return strings.Join(parts, " · ")
}

// oneLine keeps untrusted text (a banner, a name) on one line without cutting it.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
