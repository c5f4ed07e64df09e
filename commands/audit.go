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
// handler), actor, channel, op, meeting, participant, nodes, outcome, error. The error is the
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
	s.audit.LogAttrs(ctx, slog.LevelInfo, "audit",
		slog.String("actor", a.UserID),
		slog.String("channel", a.ChannelID),
		slog.String("op", string(c.Op)),
		slog.String("meeting", meeting),
		slog.String("participant", participant),
		slog.Any("nodes", nodes),
		slog.String("outcome", outcome),
		slog.String("error", UserMessage(err)),
	)
}
