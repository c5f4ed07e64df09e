package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nfmm/nfmm/cms"
)

// FoundParticipant is one `find` match.
type FoundParticipant struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	Meeting    string `json:"meeting"`    // the meeting's name
	Correlator string `json:"correlator"` // the meeting (callCorrelator)
	Node       string `json:"node"`
	LegID      string `json:"leg_id"`
	AudioMuted bool   `json:"audio_muted"`
	VideoMuted bool   `json:"video_muted"`
	Lobby      bool   `json:"lobby"` // waiting in the lobby
}

// FindResult is `find <text>`.
type FindResult struct {
	Cluster     string             `json:"cluster,omitempty"` // with several clusters
	Text        string             `json:"text"`
	Matches     []FoundParticipant `json:"matches"`
	Unreachable []NodeFailure      `json:"unreachable"`
	AsOf        time.Time          `json:"as_of"`
}

func (*FindResult) isResult() {}

func (s *Service) find(ctx context.Context, text string) (*FindResult, error) {
	ctl, err := s.controls()
	if err != nil {
		return nil, err
	}
	ps := ctl.FindParticipants(ctx, text)
	r := &FindResult{Text: text, Matches: []FoundParticipant{}, Unreachable: s.failures(ctx, ps.Failed), AsOf: s.now()}
	for _, h := range ps.Hits {
		r.Matches = append(r.Matches, found(h))
	}
	return r, nil
}

func found(h cms.ParticipantHit) FoundParticipant {
	return FoundParticipant{Name: displayName(h.Leg), Address: h.Leg.RemoteParty, Meeting: h.Call.Name,
		Correlator: cmpOr(h.Call.CallCorrelator, h.Call.ID), Node: h.Node, LegID: h.Leg.ID,
		AudioMuted: h.Leg.Config.RxAudioMute, VideoMuted: h.Leg.Config.RxVideoMute, Lobby: h.Leg.Status.Deactivated}
}

// findLegByName resolves a participant reference that is not an id: a unique part of a name or
// address across every meeting (an exact name wins over a part). Ambiguity lists the
// candidates and writes nothing.
func (s *Service) findLegByName(ctx context.Context, ref, hint string, idErr error) (cms.LegInCall, error) {
	ctl, err := s.controls()
	if err != nil {
		if idErr != nil {
			return cms.LegInCall{}, idErr
		}
		return cms.LegInCall{}, err
	}
	ps := ctl.FindParticipants(ctx, ref)
	var hits []cms.ParticipantHit
	for _, h := range ps.Hits {
		if hint == "" || h.Node == hint {
			hits = append(hits, h)
		}
	}
	var exact []cms.ParticipantHit
	for _, h := range hits {
		if strings.EqualFold(displayName(h.Leg), ref) || strings.EqualFold(h.Leg.RemoteParty, ref) {
			exact = append(exact, h)
		}
	}
	if len(exact) > 0 {
		hits = exact
	}
	switch len(hits) {
	case 0:
		if idErr != nil && !errors.Is(idErr, cms.ErrNotFound) {
			return cms.LegInCall{}, wrapErr("", idErr)
		}
		var unsearched []string
		for _, f := range ps.Failed {
			unsearched = append(unsearched, f.Node)
		}
		return cms.LegInCall{}, &RefError{Kind: "participant", Ref: ref, Unsearched: unsearched, Err: idErr}
	case 1:
		return s.cluster.FindLeg(ctx, hits[0].Leg.ID, hits[0].Node)
	}
	names := make([]string, 0, len(hits))
	matches := make([]Candidate, 0, min(len(hits), shownCandidates))
	for _, h := range hits {
		f := found(h)
		names = append(names, fmt.Sprintf("%s <%s> in %s on %s (%s)", f.Name, f.Address, cmpOr(f.Meeting, "a meeting"), f.Node, shortID(f.LegID)))
		if len(matches) < shownCandidates {
			matches = append(matches, Candidate{LegID: f.LegID, Name: f.Name, Node: f.Node})
		}
	}
	return cms.LegInCall{}, &RefError{Kind: "participant", Ref: ref, Ambiguous: true, Candidates: names,
		Matches: matches, More: len(hits) - len(matches)}
}

func textFind(w io.Writer, r *FindResult) {
	if len(r.Matches) == 0 {
		fmt.Fprintf(w, "No participant's name or address contains %q.\n", r.Text)
	} else {
		fmt.Fprintf(w, "%s matching %q\n\n", plural(len(r.Matches), "participant"), r.Text)
		fmt.Fprintln(w, "NAME\tADDRESS\tMEETING\tNODE\tLEG\tAUDIO\tVIDEO")
		for _, m := range r.Matches {
			name := cell(m.Name)
			if m.Lobby {
				name += " (lobby)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, cell(m.Address), cell(m.Meeting), m.Node,
				shortID(m.LegID), mark(m.AudioMuted), mark(m.VideoMuted))
		}
	}
	textUnreachable(w, r.Unreachable)
}

// looksLikeID reports whether ref is a whole leg id (a UUID): a miss then means the leg is
// gone, not that ref was a name.
func looksLikeID(ref string) bool { return len(ref) == 36 && strings.Count(ref, "-") == 4 }
