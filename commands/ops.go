package commands

import (
	"context"
	"strings"
)

// operation is one row of the operation table: everything NFMM knows about an operation but
// its handler's body and its Slack renderer. The parser, the policy, help, validation of
// button-built commands, the dispatch, the audit event and the result sentences of the audit
// channel and the roster's note all read it. See "Adding an operation" in the README.
type operation struct {
	op      Op
	usage   string // the grammar: help and every usage error show it
	summary string // help's one line
	role    Role   // who may run it; state-changing operations need RoleOperator
	changes bool   // it changes call state: audited, allowed or refused
	// parse reads the words after the name into c (nil: the operation takes none).
	parse func(c *Command, args []string) error
	// validate checks a Command built by a button the way parse checks typed text (nil: none).
	validate func(c Command) error
	// run is the handler.
	run func(s *Service, ctx context.Context, a Actor, c Command) (Result, error)
	// sentence says what a state-changing operation did to who (the participant's name, or
	// what the command named); see Sentence.
	sentence func(c Command, who string) Sentence
}

// Sentence is the result sentence of a state-changing operation, one for every place that
// tells it: Done in the past tense ("muted Alice"), Do in the imperative for refusals and
// failures ("mute Alice"), Prep, the word that joins the meeting ("in", "from", "to"), and
// Already, when the operation found nothing to change ("Alice was already muted"; "" when it
// always changes something). The words come from the table; the names in them are untrusted
// and escaped by renderers.
type Sentence struct{ Done, Do, Prep, Already string }

// operations is the table, in help order. A function, not a variable: the parsers and
// handlers it names read it back (usage lines), which a package variable cannot.
func operations() []operation {
	return append([]operation{
		{op: OpHelp, usage: "help [command]", summary: "what NFMM can do for you", role: RoleNone,
			parse: parseHelp, run: func(s *Service, _ context.Context, a Actor, c Command) (Result, error) {
				return s.help(a, c.Topic), nil
			}},
		{op: OpCalls, usage: "calls [filter] [--node <node>]", summary: "active meetings across the cluster, or on one node", role: RoleViewer,
			parse: parseCalls, validate: validateCalls, run: func(s *Service, ctx context.Context, _ Actor, c Command) (Result, error) {
				return s.calls(ctx, c.Filter, c.Node), nil
			}},
		{op: OpCall, usage: "call <meeting>", summary: "one meeting's participants on every node", role: RoleViewer,
			parse: parseCall, validate: validateMeeting, run: func(s *Service, ctx context.Context, _ Actor, c Command) (Result, error) {
				return nonNil(s.roster(ctx, c.Meeting))
			}},
		{op: OpWatch, usage: "watch [<meeting>]", summary: "a message that keeps itself current: one meeting's roster, or the calls list (also `calls live`)", role: RoleViewer,
			parse: parseWatch, validate: validateWatch, run: func(s *Service, ctx context.Context, _ Actor, c Command) (Result, error) {
				return nonNil(s.watch(ctx, c))
			}},
		{op: OpFollow, usage: "follow <meeting>", summary: "a thread with a line for each join, leave, mute, lock, recording and presenter change", role: RoleViewer,
			parse: parseCall, validate: validateMeeting, run: func(s *Service, ctx context.Context, _ Actor, c Command) (Result, error) {
				return nonNil(s.watch(ctx, c))
			}},
		{op: OpParticipant, usage: "participant <participant>", summary: "one participant's state and media statistics", role: RoleViewer,
			parse: parseParticipant, validate: validateLeg, run: func(s *Service, ctx context.Context, _ Actor, c Command) (Result, error) {
				return nonNil(s.participant(ctx, c))
			}},
		{op: OpStatus, usage: "status", summary: "every node: reachable, version, uptime, active call legs, latency", role: RoleViewer,
			run: func(s *Service, ctx context.Context, _ Actor, _ Command) (Result, error) { return s.status(ctx), nil }},
		{op: OpReport, usage: "report", summary: "a summary: totals, largest meetings, poor media, unreachable nodes", role: RoleViewer,
			run: func(s *Service, ctx context.Context, _ Actor, _ Command) (Result, error) { return s.report(ctx), nil }},
		{op: OpAdd, usage: "add <meeting> <uri>", summary: "dial a SIP URI, user@domain or number into the meeting", role: RoleOperator, changes: true,
			parse: parseAdd, validate: validateAdd, run: action((*Service).add),
			sentence: func(c Command, _ string) Sentence {
				return Sentence{Done: "added " + c.URI, Do: "add " + c.URI, Prep: "to"}
			}},
		{op: OpPresenter, usage: "presenter <meeting> <participant>|off", summary: "presenter mode: everyone else muted, speaker-only layout", role: RoleOperator, changes: true,
			parse: parsePresenter, validate: checkPresenter, run: action((*Service).presenter),
			sentence: func(c Command, who string) Sentence {
				if c.Off {
					return Sentence{Done: "turned presenter mode off", Do: "turn presenter mode off", Prep: "in"}
				}
				return Sentence{Done: "made " + who + " the presenter", Do: "make " + who + " the presenter", Prep: "in"}
			}},
		{op: OpLayout, usage: "layout <participant> <layout>", summary: "set one participant's layout", role: RoleOperator, changes: true,
			parse: parseLayout, validate: validateLayout, run: action((*Service).layout),
			sentence: func(c Command, who string) Sentence {
				s := "set the layout of " + who + " to " + c.Layout
				return Sentence{Done: s, Do: s, Prep: "in"}
			}},
		{op: OpMute, usage: "mute <participant> [audio|video|both]", summary: "stop others hearing (audio, the default) or seeing a participant", role: RoleOperator, changes: true,
			parse: parseMute, validate: validateMute, run: action((*Service).mute), sentence: muteSentence},
		{op: OpUnmute, usage: "unmute <participant> [audio|video|both]", summary: "undo mute", role: RoleOperator, changes: true,
			parse: parseMute, validate: validateMute, run: action((*Service).mute), sentence: muteSentence},
		{op: OpDisconnect, usage: "disconnect <participant>", summary: "hang up a participant", role: RoleOperator, changes: true,
			parse: parseParticipant, validate: validateLeg, run: action((*Service).disconnect),
			sentence: func(_ Command, who string) Sentence {
				return Sentence{Done: "disconnected " + who, Do: "disconnect " + who, Prep: "from"}
			}},
		{op: OpSchedule, usage: "schedule", summary: "the scheduled reports and their next run times", role: RoleViewer,
			run: func(s *Service, _ context.Context, _ Actor, _ Command) (Result, error) { return s.schedule(), nil }},
		{op: OpHistory, usage: "history [<meeting>|<participant>] [today|yesterday|<date>|<from>..<to>]", summary: "meetings that ended: who joined, when, for how long, and how it sounded", role: RoleViewer,
			parse: parseHistory, validate: checkHistory, run: func(s *Service, ctx context.Context, _ Actor, c Command) (Result, error) {
				return nonNil(s.history(ctx, c))
			}},
		// audit is for operators: it names who did what, refusals and errors included, and
		// NFMM_VIEWERS is often everyone.
		{op: OpAudit, usage: "audit [<meeting>|<user>|today]", summary: "who changed what, newest first: each action's before → after", role: RoleOperator,
			parse: parseAudit, validate: validateAudit, run: func(s *Service, ctx context.Context, _ Actor, c Command) (Result, error) {
				return nonNil(s.auditHistory(ctx, c))
			}},
		{op: OpAlerts, usage: "alerts", summary: "the active alerts: nodes down, CMS alarms, licences, poor media, capacity, recording, presenter mode", role: RoleViewer,
			parse: parseAlerts, run: func(s *Service, ctx context.Context, _ Actor, _ Command) (Result, error) { return s.alerts(ctx), nil }},
	}, controlOperations()...)
}

// operationOf is op's row.
func operationOf(op Op) (operation, bool) {
	for _, o := range operations() {
		if o.op == op {
			return o, true
		}
	}
	return operation{}, false
}

func usageOf(op Op) string {
	o, _ := operationOf(op)
	return o.usage
}

// Changes reports whether the operation changes call state (and is therefore audited).
func (op Op) Changes() bool {
	o, _ := operationOf(op)
	return o.changes
}

// needs returns the role an operation requires; an unknown one needs more than anyone has.
func needs(op Op) Role {
	o, ok := operationOf(op)
	if !ok {
		return RoleOperator
	}
	if o.changes {
		return RoleOperator
	}
	return o.role
}

// SentenceOf is the result sentence of c done to who (a participant's name; "" names "a
// participant"). Operations that change nothing have none.
func SentenceOf(c Command, who string) Sentence {
	o, ok := operationOf(c.Op)
	if !ok || o.sentence == nil {
		return Sentence{Done: "did " + string(c.Op), Do: string(c.Op), Prep: "in"}
	}
	if strings.TrimSpace(who) == "" {
		who = "a participant"
	}
	if c.Op == OpMute || c.Op == OpUnmute {
		c.Media = mediaOrDefault(c.Media)
	}
	return o.sentence(c, who)
}

// muteSentence keeps audio apart from video: "muted Alice", "stopped the video of Alice".
func muteSentence(c Command, who string) Sentence {
	mute := c.Op == OpMute
	var done, do, already string
	switch {
	case c.Media == MediaVideo && mute:
		done, do, already = "stopped the video of "+who, "stop the video of "+who, "The video of "+who+" was already stopped"
	case c.Media == MediaVideo:
		done, do, already = "restored the video of "+who, "restore the video of "+who, "The video of "+who+" was already on"
	case c.Media == MediaBoth && mute:
		done, do, already = "muted "+who+" and stopped their video", "mute "+who+" and stop their video", who+" was already muted, video stopped"
	case c.Media == MediaBoth:
		done, do, already = "unmuted "+who+" and restored their video", "unmute "+who+" and restore their video", who+" was already unmuted, video on"
	case mute:
		done, do, already = "muted "+who, "mute "+who, who+" was already muted"
	default:
		done, do, already = "unmuted "+who, "unmute "+who, who+" was already unmuted"
	}
	return Sentence{Done: done, Do: do, Prep: "in", Already: already}
}

// action adapts a state-changing handler to run (a nil *ActionResult is no Result).
func action(fn func(*Service, context.Context, Command) (*ActionResult, error)) func(*Service, context.Context, Actor, Command) (Result, error) {
	return func(s *Service, ctx context.Context, _ Actor, c Command) (Result, error) {
		return nonNil(fn(s, ctx, c))
	}
}

// nonNil turns a typed nil result into no Result.
func nonNil[R interface {
	Result
	comparable
}](r R, err error) (Result, error) {
	var zero R
	if err != nil || r == zero {
		return nil, err
	}
	return r, nil
}

// The validators of button-built commands (typed text is checked by the parsers).

func validateCalls(c Command) error {
	if c.Filter == "" {
		return nil
	}
	return checkText("filter", c.Filter, usageOf(OpCalls))
}

func validateMeeting(c Command) error { return checkText("meeting", c.Meeting, usageOf(c.Op)) }

func validateLeg(c Command) error { return checkParticipantRef(c.Participant, usageOf(c.Op)) }

func validateAdd(c Command) error {
	if err := checkText("meeting", c.Meeting, usageOf(OpAdd)); err != nil {
		return err
	}
	return checkURI(c.URI)
}

func validateLayout(c Command) error {
	if err := checkParticipantRef(c.Participant, usageOf(OpLayout)); err != nil {
		return err
	}
	_, err := canonicalLayout(c.Layout)
	return err
}

func validateMute(c Command) error {
	if err := checkParticipantRef(c.Participant, usageOf(c.Op)); err != nil {
		return err
	}
	return checkMedia(c.Op, mediaOrDefault(c.Media))
}
