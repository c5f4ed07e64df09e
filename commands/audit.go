package commands

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Audit outcomes.
const (
	OutcomeOK      = "ok"
	OutcomePartial = "partial"
	OutcomeDenied  = "denied"
	OutcomeError   = "error"
)

// AuditEvent is the one record of a state-changing operation, allowed or refused. Every sink
// (the JSON log, the Slack audit channel, later the database) reads this same value, so they
// cannot drift apart. The record alone says what changed in CMS: the leg acted on or added,
// and each field's before → after.
type AuditEvent struct {
	Time        time.Time
	Actor       string // Slack user id, or "local" for the terminal
	Role        Role   // the actor's role where it acted (the audit channel skips refusals of RoleNone)
	Channel     string // Slack channel id; "" for the terminal
	Cluster     string // the cluster acted on, with several clusters ("" with one)
	Op          Op
	Media       Media  // mute and unmute: audio, video or both; "" for the other operations
	Presenter   string // presenter: "on" or "off"; "" for the other operations
	Meeting     string // the meeting's name (its correlator when it has none), else the reference as given
	Participant string // the participant's name, the reference as given, or the address added
	Nodes       []string
	Outcome     string // OutcomeOK, OutcomePartial, OutcomeDenied or OutcomeError
	Error       string // user-safe: raw CMS errors may carry URLs and go to the operational log
	LegID       string // the leg acted on or added, when known
	Changes     []Change
	// Sentence says what was done, from the operation table ("muted Alice"): the lines of the
	// audit channel tell it. The JSON log has the fields above instead.
	Sentence Sentence
}

// AuditSink receives the audit events. Audit must not block on slow consumers: the operation
// has already happened and its answer is waiting.
type AuditSink interface {
	Audit(ctx context.Context, e AuditEvent)
}

// AuditSinks hands each event to every sink, in order.
type AuditSinks []AuditSink

// Audit implements AuditSink.
func (s AuditSinks) Audit(ctx context.Context, e AuditEvent) {
	for _, sink := range s {
		if sink != nil {
			sink.Audit(ctx, e)
		}
	}
}

// AuditLog writes each event as one slog record "audit" at Info (with a JSON handler: the
// record of truth). The keys are time, actor, channel, op, meeting, participant, nodes,
// outcome, error, leg_id and changes, plus media for mute/unmute and presenter ("on"/"off") for
// presenter mode.
type AuditLog struct{ Logger *slog.Logger }

// NewAuditLog is an AuditLog over h.
func NewAuditLog(h slog.Handler) AuditLog { return AuditLog{Logger: slog.New(h)} }

// Audit implements AuditSink.
func (l AuditLog) Audit(ctx context.Context, e AuditEvent) {
	h := l.Logger.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	r := slog.NewRecord(e.Time, slog.LevelInfo, "audit", 0)
	r.AddAttrs(
		slog.String("actor", e.Actor),
		slog.String("channel", e.Channel),
		slog.String("op", string(e.Op)),
	)
	if e.Cluster != "" {
		r.AddAttrs(slog.String("cluster", e.Cluster))
	}
	if e.Media != "" {
		r.AddAttrs(slog.String("media", string(e.Media)))
	}
	if e.Presenter != "" {
		r.AddAttrs(slog.String("presenter", e.Presenter))
	}
	nodes, changes := e.Nodes, e.Changes
	if nodes == nil {
		nodes = []string{}
	}
	if changes == nil {
		changes = []Change{}
	}
	r.AddAttrs(
		slog.String("meeting", e.Meeting),
		slog.String("participant", e.Participant),
		slog.Any("nodes", nodes),
		slog.String("outcome", e.Outcome),
		slog.String("error", e.Error),
		slog.String("leg_id", e.LegID),
		slog.Any("changes", changes),
	)
	_ = h.Handle(ctx, r) // a log that cannot write has nowhere to report it
}

// record sends the one audit event of a state-changing operation.
func (s *Service) record(ctx context.Context, a Actor, c Command, r *ActionResult, err error) {
	s.audit.Audit(ctx, s.auditEvent(a, c, r, err))
}

// auditEvent builds the event of c as run by a: r is its result (nil when refused or failed
// before acting), err its error.
func (s *Service) auditEvent(a Actor, c Command, r *ActionResult, err error) AuditEvent {
	e := AuditEvent{
		Time: s.now(), Actor: a.UserID, Role: s.policy.RoleOf(a), Channel: a.ChannelID, Cluster: s.name, Op: c.Op,
		Meeting: c.Meeting, Participant: c.Participant, LegID: c.Participant, Outcome: OutcomeOK,
	}
	switch c.Op {
	case OpMute, OpUnmute:
		e.Media = c.Media
		if e.Media == "" {
			e.Media = MediaAudio
		}
	case OpPresenter:
		e.Presenter = "on"
		if c.Off {
			e.Presenter = "off"
		}
	}
	if c.Node != "" {
		e.Nodes = []string{c.Node}
	}
	if r != nil {
		if r.Meeting.Name != "" {
			e.Meeting = r.Meeting.Name
		} else if r.Meeting.Correlator != "" {
			e.Meeting = r.Meeting.Correlator
		}
		if r.Participant != "" {
			e.Participant = r.Participant
		}
		switch {
		case c.Op == OpPresenter && len(r.Meeting.Nodes) > 0:
			e.Nodes = r.Meeting.Nodes
		case r.Node != "":
			e.Nodes = []string{r.Node}
		case len(r.Meeting.Nodes) > 0:
			e.Nodes = r.Meeting.Nodes
		}
		if len(r.Failed) > 0 {
			e.Outcome = OutcomePartial
		}
		if r.LegID != "" {
			e.LegID = r.LegID
		}
		e.Changes = r.Changes
	}
	if c.Op == OpAdd {
		e.Participant = c.URI
	}
	if c.Op == OpAdd || c.Op == OpPresenter {
		e.LegID = r.legOrEmpty()
	}
	var de *DeniedError
	switch {
	case errors.As(err, &de):
		e.Outcome = OutcomeDenied
	case err != nil:
		e.Outcome = OutcomeError
	}
	e.Error = UserMessage(err)
	who := e.Participant
	if c.Op == OpPresenter && r != nil && r.Participant != "" {
		who = r.Participant
	}
	e.Sentence = SentenceOf(c, who)
	return e
}

// legOrEmpty is the leg an add created or a presenter switch picked, "" when none.
func (r *ActionResult) legOrEmpty() string {
	if r == nil {
		return ""
	}
	return r.LegID
}
