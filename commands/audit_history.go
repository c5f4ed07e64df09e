package commands

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// OpAudit is `audit`: the stored audit history, newest first.
const OpAudit Op = "audit"

// AuditHistory is the stored audit history `audit` reads (package store, through app).
type AuditHistory interface {
	AuditEvents(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

// AuditQuery selects audit events; empty fields do not filter.
type AuditQuery struct {
	Meeting string    // case-insensitive part of the meeting's name (or correlator)
	Actor   string    // exactly this actor: a Slack user id, or "local"
	Since   time.Time // inclusive
	Until   time.Time // exclusive
	Limit   int
}

// maxAuditEvents bounds one answer: a narrower question (a meeting, a user, today) finds the
// rest. Slack pages it.
const maxAuditEvents = 200

// AuditResult is `audit [<meeting>|<user>|today]`.
type AuditResult struct {
	Query string `json:"query"` // as typed; "" for everything
	// Search is what Query selected: "all", "today", "meeting" (part of its name) or "user"
	// (the actor, as stored: a Slack user id, or "local" for the terminal).
	Search string       `json:"search"`
	Actor  string       `json:"actor"`  // the user searched for; "" unless Search is "user"
	Events []AuditEntry `json:"events"` // newest first
	// More is true when older events match beyond maxAuditEvents.
	More bool      `json:"more"`
	AsOf time.Time `json:"as_of"`
}

func (*AuditResult) isResult() {}

// AuditEntry is one stored audit event: who did what to whom, where, and each field's
// before → after.
type AuditEntry struct {
	Time        time.Time `json:"time"`
	Actor       string    `json:"actor"`   // Slack user id, or "local" for the terminal
	Channel     string    `json:"channel"` // Slack channel id; "" for the terminal
	Op          string    `json:"op"`
	Media       string    `json:"media"`     // mute and unmute: audio, video or both; else ""
	Presenter   string    `json:"presenter"` // presenter: on or off; else ""
	Meeting     string    `json:"meeting"`
	Participant string    `json:"participant"`
	Nodes       []string  `json:"nodes"`
	Outcome     string    `json:"outcome"` // ok, partial, denied or error
	Error       string    `json:"error"`   // user-safe
	LegID       string    `json:"leg_id"`
	Changes     []Change  `json:"changes"`
}

// AuditError is an audit history that cannot be read: there is none here, or the database did
// not answer. Msg is user-safe.
type AuditError struct {
	Msg string
	Err error
}

func (e *AuditError) Error() string { return e.Msg }
func (e *AuditError) Unwrap() error { return e.Err }

// mentionPattern is a Slack user mention as Slack sends it in slash-command text:
// <@U123ABC> or <@U123ABC|name>.
var (
	mentionPattern = regexp.MustCompile(`^<@([UW][A-Z0-9]{1,20})(?:\|[^>]*)?>$`)
	// userIDPattern is a Slack user id as typed: upper case, as Slack writes them (a meeting
	// called "Wallboard" is not one).
	userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{5,20}$`)
)

// parseAudit reads `audit [<meeting>|<user>|today]`: one term, quoted or not.
func parseAudit(c *Command, args []string) error {
	c.Filter = strings.Join(args, " ")
	return validateAudit(*c)
}

// validateAudit checks the term the way parseAudit does, for a Command a button built.
func validateAudit(c Command) error {
	if c.Filter == "" {
		return nil
	}
	switch {
	case strings.HasPrefix(c.Filter, "<@") && !mentionPattern.MatchString(c.Filter):
		return usageErr(CodeInvalidText, usageOf(OpAudit), "%s is not a Slack user: give their user id (U…, in their Slack profile under ⋮ → Copy member ID).", printable(c.Filter))
	case strings.HasPrefix(c.Filter, "@"):
		// The slash command arrives unescaped (should_escape: false keeps addresses intact), so
		// @olivia is a name, and the audit history keeps Slack user ids.
		return usageErr(CodeInvalidText, usageOf(OpAudit), "%s is a name, and the audit history keeps Slack user ids: give the user id (U…, in their Slack profile under ⋮ → Copy member ID).", printable(c.Filter))
	}
	return checkText("meeting or user", c.Filter, usageOf(OpAudit))
}

// auditHistory answers `audit`: a mention or a user id names the actor; "today" is today's events;
// any other term is part of a meeting's name, and when no meeting matches, an actor as stored.
func (s *Service) auditHistory(ctx context.Context, c Command) (*AuditResult, error) {
	if s.auditHist == nil {
		return nil, &AuditError{Msg: "The audit history is off here: it lives in NFMM's database, which this process has not opened."}
	}
	now := s.now()
	r := &AuditResult{Query: c.Filter, Search: "all", AsOf: now}
	q := AuditQuery{Limit: maxAuditEvents + 1}
	term := c.Filter
	switch m := mentionPattern.FindStringSubmatch(term); {
	case term == "":
	case m != nil:
		r.Search, r.Actor, q.Actor = "user", m[1], m[1]
	case strings.EqualFold(term, "today"):
		r.Search = "today"
		q.Since = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
		q.Until = q.Since.AddDate(0, 0, 1)
	case userIDPattern.MatchString(term):
		r.Search, r.Actor, q.Actor = "user", term, term
	case strings.EqualFold(term, "local"): // the terminal
		r.Search, r.Actor, q.Actor = "user", "local", "local"
	default:
		r.Search, q.Meeting = "meeting", term
	}
	events, err := s.readAudit(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 && r.Search == "meeting" {
		// Not a meeting: perhaps an actor as stored (say "scheduler").
		q.Meeting, q.Actor = "", term
		if events, err = s.readAudit(ctx, q); err != nil {
			return nil, err
		}
		if len(events) > 0 {
			r.Search, r.Actor = "user", term
		}
	}
	if len(events) > maxAuditEvents {
		events, r.More = events[:maxAuditEvents], true
	}
	r.Events = events
	return r, nil
}

func (s *Service) readAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	events, err := s.auditHist.AuditEvents(ctx, q)
	if err != nil {
		s.log.Warn("audit history read failed", "err", err)
		return nil, &AuditError{Msg: "The audit history is unavailable: the NFMM database did not answer. Try again shortly.", Err: err}
	}
	return events, nil
}

// AuditWhat is an event's operation in words for a list: "mute (audio)", "presenter off".
func AuditWhat(e AuditEntry) string {
	what := e.Op
	switch {
	case e.Media != "":
		what += " (" + e.Media + ")"
	case e.Presenter != "":
		what += " " + e.Presenter
	}
	return what
}

// textAudit is `nfmm exec audit`: one line per event, then its changes, indented.
func textAudit(w io.Writer, r *AuditResult) {
	if len(r.Events) == 0 {
		fmt.Fprintln(w, "No audit events"+auditAbout(r)+".")
		return
	}
	fmt.Fprintln(w, "TIME\tACTOR\tOP\tMEETING\tPARTICIPANT\tNODES\tOUTCOME")
	for _, e := range r.Events {
		outcome := e.Outcome
		if e.Error != "" {
			outcome += ": " + oneLine(e.Error)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("2006-01-02 15:04:05"), cell(e.Actor),
			cell(AuditWhat(e)), cell(orDash(e.Meeting)), cell(orDash(e.Participant)), orDash(strings.Join(e.Nodes, ",")), outcome)
		for _, ch := range e.Changes {
			fmt.Fprintf(w, "\t\t  %s\t%s: %s → %s\t\t\t\n", cell(ch.Subject), cell(ch.Field), cell(ch.Before), cell(ch.After))
		}
	}
	if r.More {
		fmt.Fprintf(w, "Only the newest %d are shown: ask about a meeting, a user or today.\n", maxAuditEvents)
	}
}

// auditAbout is what the question was about, in words: " for <@U1>", " today".
func auditAbout(r *AuditResult) string {
	switch r.Search {
	case "today":
		return " today"
	case "user":
		return " by " + r.Actor
	case "meeting":
		return " in meetings matching “" + r.Query + "”"
	}
	return ""
}
