package commands

import (
	"context"
	"errors"
	"log/slog"
)

// Audit outcomes.
const (
	OutcomeOK      = "ok"
	OutcomePartial = "partial"
	OutcomeDenied  = "denied"
	OutcomeError   = "error"
)

// record writes the one audit record of a state-changing operation. Keys: time (from the
// handler), actor, channel, op, meeting, participant, nodes, outcome, error, leg_id (the leg
// acted on or added, when known) and changes (each field's before → after), so the record
// alone says what changed in CMS. The error is the
// user-safe message: raw CMS errors may carry URLs and go to the operational log instead.
func (s *Service) record(ctx context.Context, a Actor, c Command, r *ActionResult, err error) {
	meeting, participant := c.Meeting, c.Participant
	var nodes []string
	if c.Node != "" {
		nodes = []string{c.Node}
	}
	outcome := OutcomeOK
	if r != nil {
		if r.Meeting.Name != "" {
			meeting = r.Meeting.Name
		} else if r.Meeting.Correlator != "" {
			meeting = r.Meeting.Correlator
		}
		if r.Participant != "" {
			participant = r.Participant
		}
		switch {
		case c.Op == OpPresenter && len(r.Meeting.Nodes) > 0:
			nodes = r.Meeting.Nodes
		case r.Node != "":
			nodes = []string{r.Node}
		case len(r.Meeting.Nodes) > 0:
			nodes = r.Meeting.Nodes
		}
		if len(r.Failed) > 0 {
			outcome = OutcomePartial
		}
	}
	if c.Op == OpAdd {
		participant = c.URI
	}
	var de *DeniedError
	switch {
	case errors.As(err, &de):
		outcome = OutcomeDenied
	case err != nil:
		outcome = OutcomeError
	}
	if nodes == nil {
		nodes = []string{}
	}
	legID, changes := c.Participant, []Change{}
	if r != nil {
		if r.LegID != "" {
			legID = r.LegID
		}
		if r.Changes != nil {
			changes = r.Changes
		}
	}
	if c.Op == OpAdd || c.Op == OpPresenter {
		legID = r.legOrEmpty()
	}
	s.audit.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("actor", a.UserID),
		slog.String("channel", a.ChannelID),
		slog.String("op", string(c.Op)),
		slog.String("meeting", meeting),
		slog.String("participant", participant),
		slog.Any("nodes", nodes),
		slog.String("outcome", outcome),
		slog.String("error", UserMessage(err)),
		slog.String("leg_id", legID),
		slog.Any("changes", changes),
	)
}

// legOrEmpty is the leg an add created or a presenter switch picked, "" when none.
func (r *ActionResult) legOrEmpty() string {
	if r == nil {
		return ""
	}
	return r.LegID
}
