package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cdr"
)

// OpHistory is `history`: the meetings that ended, from the call bridges' CDRs.
const OpHistory Op = "history"

// History is the stored CDR history `history` reads (package store, or cdr.Memory).
type History interface {
	HistoryRows(ctx context.Context, q cdr.HistoryQuery) (cdr.Rows, error)
}

// HistoryError is history that cannot be read: it is not configured, or the database did not
// answer. Msg is user-safe.
type HistoryError struct {
	Msg string
	Err error
}

func (e *HistoryError) Error() string { return e.Msg }
func (e *HistoryError) Unwrap() error { return e.Err }

// Quality thresholds: an alarm's durationPercentage is the share of the leg that had it.
const (
	poorAlarmPercent = 10.0
	fairAlarmPercent = 1.0
	// maxHistoryMeetings bounds one answer; a narrower range or name finds the rest.
	maxHistoryMeetings = 200
	// defaultHistoryDays is the window of a bare `history`: the last week.
	defaultHistoryDays = 7
)

// HistoryResult is `history [<meeting>|<participant>] [today|yesterday|<date>|<from>..<to>]`.
type HistoryResult struct {
	Query   string `json:"query"`             // the meeting or participant as typed; "" for every meeting
	Cluster string `json:"cluster,omitempty"` // with several clusters: whose meetings these are
	// Search is "meetings" (Query matched meeting names or ids) or "participant" (it matched
	// participants' names or addresses, and Matched marks their legs).
	Search string    `json:"search"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"` // exclusive
	// Detail is one meeting asked for by id (the Details button) or the only match of a name:
	// renderers show every participant's join and leave times and media quality.
	Detail   bool             `json:"detail"`
	Meetings []HistoryMeeting `json:"meetings"` // most recently ended first
	More     int              `json:"more"`     // meetings left out beyond maxHistoryMeetings
	AsOf     time.Time        `json:"as_of"`
}

// HistoryMeeting is one ended meeting, over every node that hosted it.
type HistoryMeeting struct {
	ID           string             `json:"id"` // the callCorrelator
	Name         string             `json:"name"`
	Nodes        []string           `json:"nodes"`
	StartedAt    time.Time          `json:"started_at"`
	EndedAt      time.Time          `json:"ended_at"`
	Duration     time.Duration      `json:"-"`
	Peak         int                `json:"peak_participants"`
	Participants []HistoryLeg       `json:"participants"` // by join time
	Recordings   []HistoryRecording `json:"recordings"`
}

// HistoryLeg is one participant leg: a person who rejoined has one per connection.
type HistoryLeg struct {
	Name      string        `json:"name"`
	Address   string        `json:"address"`
	Node      string        `json:"node"`
	Direction string        `json:"direction"`
	Guest     bool          `json:"guest"`
	JoinedAt  time.Time     `json:"joined_at"`
	LeftAt    time.Time     `json:"left_at"`
	Duration  time.Duration `json:"-"`
	Lobby     time.Duration `json:"-"` // time waiting in the lobby
	Reason    string        `json:"disconnect_reason"`
	// The alarms' share of the leg's duration, in percent.
	PacketLossPct float64 `json:"packet_loss_alarm_percent"`
	JitterPct     float64 `json:"jitter_alarm_percent"`
	HighRTTPct    float64 `json:"round_trip_alarm_percent"`
	// Quality is "poor" (an alarm over 10 % of the leg), "fair" (over 1 %) or "good".
	Quality string `json:"quality"`
	Matched bool   `json:"matched"` // a participant search found this leg
}

// HistoryRecording is one recording or stream of a meeting.
type HistoryRecording struct {
	Kind      string    `json:"kind"` // recording or streaming
	Target    string    `json:"target"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
}

func (*HistoryResult) isResult() {}

func parseHistory(c *Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	u := usageOf(OpHistory)
	if _, _, err := historyRange(args[len(args)-1], time.Now(), u); err == nil {
		c.When, args = args[len(args)-1], args[:len(args)-1]
	} else if looksLikeDate(args[len(args)-1]) {
		return err
	}
	c.Filter = strings.Join(args, " ")
	if c.Filter != "" {
		return checkText("meeting or participant", c.Filter, u)
	}
	return nil
}

// looksLikeDate tells a mistyped date ("2026-13-01", "2026-11-01..") from a meeting name or
// id: digits, dashes and dots only, no longer than a range. A callCorrelator is a GUID, which
// may start with a digit ("3dc39c11-18e7-…", the value of a history list's Details button).
func looksLikeDate(s string) bool {
	return len(s) >= 8 && len(s) <= len("2006-01-02..2006-01-02") && s[0] >= '0' && s[0] <= '9' &&
		strings.Count(s, "-") >= 2 && strings.Trim(s, "0123456789-.") == ""
}

// historyRange turns when into [from, to) in now's location. "" is the last week.
func historyRange(when string, now time.Time, usage string) (time.Time, time.Time, error) {
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()) }
	parse := func(s string) (time.Time, error) {
		t, err := time.ParseInLocation(time.DateOnly, s, now.Location())
		if err != nil {
			return time.Time{}, usageErr(CodeInvalidDate, usage, "%s is not a date: use today, yesterday, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD.", printable(s))
		}
		return t, nil
	}
	switch w := strings.ToLower(when); {
	case w == "":
		return day(now).AddDate(0, 0, -defaultHistoryDays+1), day(now).AddDate(0, 0, 1), nil
	case w == "today":
		return day(now), day(now).AddDate(0, 0, 1), nil
	case w == "yesterday":
		return day(now).AddDate(0, 0, -1), day(now), nil
	case strings.Contains(w, ".."):
		a, b, _ := strings.Cut(w, "..")
		from, err := parse(a)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		to, err := parse(b)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		if to.Before(from) {
			return time.Time{}, time.Time{}, usageErr(CodeInvalidDate, usage, "The range %s ends before it starts.", printable(when))
		}
		return from, to.AddDate(0, 0, 1), nil
	default:
		d, err := parse(w)
		return d, d.AddDate(0, 0, 1), err
	}
}

func checkHistory(c Command) error {
	u := usageOf(OpHistory)
	if _, _, err := historyRange(c.When, time.Now(), u); err != nil {
		return err
	}
	if c.Filter != "" {
		return checkText("meeting or participant", c.Filter, u)
	}
	return nil
}

// historyOff is why there is no history, in `history` and `help history` alike.
const historyOff = "Meeting history is off: NFMM keeps it only when it receives the call bridges' CDRs (set NFMM_CDR_URL; see docs/configuration.md)."

// history answers `history`: meetings whose name or id matches the term, else meetings where a
// participant matches it. Meetings are listed when they ended inside the range.
func (s *Service) history(ctx context.Context, c Command) (*HistoryResult, error) {
	if s.hist == nil {
		return nil, &HistoryError{Msg: historyOff}
	}
	now := s.now()
	u := usageOf(OpHistory)
	from, to, err := historyRange(c.When, now, u)
	if err != nil {
		return nil, err
	}
	if c.When == "" && c.Filter != "" {
		from = from.AddDate(0, 0, defaultHistoryDays-s.histDays) // a name: the whole retention
	}
	r := &HistoryResult{Query: c.Filter, Search: "meetings", From: from, To: to, AsOf: now}
	// With several clusters the command's cluster (its @word or the channel's); with one,
	// every row, whatever cluster it was stored under.
	q := cdr.HistoryQuery{From: from, To: to, Meeting: c.Filter, Cluster: s.name}
	var ms []cdr.Meeting
	if c.Filter == "" || !looksLikeAddress(c.Filter) {
		if ms, err = s.historyMeetings(ctx, q); err != nil {
			return nil, err
		}
	}
	if len(ms) == 0 && c.Filter != "" {
		r.Search = "participant"
		q.Meeting, q.Participant = "", c.Filter
		if ms, err = s.historyMeetings(ctx, q); err != nil {
			return nil, err
		}
	}
	for _, m := range ms {
		if len(r.Meetings) == maxHistoryMeetings {
			r.More++
			continue
		}
		r.Meetings = append(r.Meetings, historyMeeting(m, r.Search == "participant", c.Filter))
	}
	r.Detail = len(r.Meetings) == 1 && r.Search == "meetings" && c.Filter != ""
	return r, nil
}

// looksLikeAddress: a SIP address or a number names a participant, never a meeting.
func looksLikeAddress(s string) bool {
	return strings.Contains(s, "@") || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "sip:")
}

// historyMeetings reads the rows and keeps the meetings that ended in the range.
func (s *Service) historyMeetings(ctx context.Context, q cdr.HistoryQuery) ([]cdr.Meeting, error) {
	rows, err := s.hist.HistoryRows(ctx, q)
	if err != nil {
		s.log.Warn("history read failed", "err", err)
		return nil, &HistoryError{Msg: "Meeting history is unavailable: the NFMM database did not answer. Try again shortly.", Err: err}
	}
	var out []cdr.Meeting
	for _, m := range cdr.Assemble(rows) {
		if m.Ended() && !m.EndedAt.Before(q.From) && m.EndedAt.Before(q.To) && (q.Meeting == "" || m.Matches(q.Meeting)) {
			out = append(out, m)
		}
	}
	return out, nil
}

func historyMeeting(m cdr.Meeting, search bool, term string) HistoryMeeting {
	h := HistoryMeeting{ID: m.ID, Name: m.Name, Nodes: slices.Clone(m.Nodes), StartedAt: m.StartedAt,
		EndedAt: m.EndedAt, Duration: m.Duration(m.EndedAt), Peak: m.Peak}
	for _, p := range m.Participants {
		h.Participants = append(h.Participants, HistoryLeg{
			Name: p.Name(), Address: p.Address(), Node: p.Node, Direction: p.Direction, Guest: p.Guest,
			JoinedAt: p.JoinedAt, LeftAt: p.LeftAt, Duration: p.Duration(m.EndedAt), Lobby: p.Lobby(),
			Reason: p.Reason, PacketLossPct: p.PacketLossPct, JitterPct: p.JitterPct, HighRTTPct: p.HighRTTPct,
			Quality: quality(p), Matched: search && p.Matches(term),
		})
	}
	for _, rec := range m.Recordings {
		h.Recordings = append(h.Recordings, HistoryRecording{Kind: rec.Kind, Target: rec.Target,
			StartedAt: rec.StartedAt, EndedAt: cmp.Or(rec.EndedAt, m.EndedAt)})
	}
	return h
}

func quality(p cdr.Participant) string {
	switch {
	case p.PoorMedia(poorAlarmPercent):
		return "poor"
	case p.PoorMedia(fairAlarmPercent):
		return "fair"
	}
	return "good"
}

// People returns the distinct participant names, in join order.
func (m HistoryMeeting) People() []string {
	var out []string
	for _, p := range m.Participants {
		if !slices.Contains(out, p.Name) {
			out = append(out, p.Name)
		}
	}
	return out
}

// isHistoryErr reports a *HistoryError in err.
func isHistoryErr(err error) (*HistoryError, bool) {
	var he *HistoryError
	ok := errors.As(err, &he)
	return he, ok
}

// CDRChecker reads each node's CDR receiver list of a cluster ("" = the only one) for `status`
// (cms.Cluster.CheckCDRReceivers with NFMM's URI per node).
type CDRChecker func(ctx context.Context, cluster string) []cms.CDRRegistration

// CDRHealth is one node's CDR receiver list as `status` shows it.
type CDRHealth struct {
	// State is registered, missing (a slot is free; the leader adds NFMM within 10 minutes),
	// full (every slot holds another receiver: no CDRs from this node) or unknown (not read).
	State     string   `json:"state"`
	Receivers int      `json:"receivers"` // how many the node lists, NFMM's included
	Maximum   int      `json:"maximum"`
	Others    []string `json:"others"` // the other receivers' URIs
}

// cdrStatus adds each node's receiver list to a status result, when history is on.
func (s *Service) cdrStatus(ctx context.Context, r *StatusResult) {
	if s.cdrCheck == nil {
		return
	}
	byNode := map[string]cms.CDRRegistration{}
	for _, reg := range s.cdrCheck(ctx, s.name) {
		byNode[reg.Node] = reg
	}
	for i := range r.Nodes {
		reg, ok := byNode[r.Nodes[i].Node]
		h := &CDRHealth{State: "unknown", Others: []string{}}
		if ok {
			h.Receivers, h.Maximum = len(reg.Receivers), reg.Maximum
			for _, x := range reg.Foreign() {
				h.Others = append(h.Others, x.URI)
			}
			h.State = map[cms.CDRState]string{cms.CDRPresent: "registered", cms.CDRAdded: "registered",
				cms.CDRMissing: "missing", cms.CDRFull: "full"}[reg.State]
			if h.State == "" {
				h.State = "unknown"
			}
		}
		r.Nodes[i].CDR = h
	}
}

// CDRText is a node's CDR receiver state in words, "" when history is off.
func CDRText(n NodeHealth) string {
	c := n.CDR
	if c == nil {
		return ""
	}
	switch c.State {
	case "registered":
		return fmt.Sprintf("registered (%d of %d receivers)", c.Receivers, c.Maximum)
	case "missing":
		return fmt.Sprintf("not registered yet (%d of %d receivers; the leader adds NFMM)", c.Receivers, c.Maximum)
	case "full":
		return fmt.Sprintf("slots full (%d of %d): no CDRs from this node; others: %s", c.Receivers, c.Maximum, strings.Join(c.Others, " "))
	}
	return "unknown (the receiver list could not be read)"
}
