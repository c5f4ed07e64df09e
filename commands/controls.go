package commands

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nfmm/nfmm/cms"
)

// Meeting-wide operator controls (issue 14; cms-operations.md): mute or lay out everyone, lock,
// admit from the lobby, record, stream, banner, importance, move and end. Call-level writes go
// to every node hosting the meeting, participant writes to the participant's own node.

const (
	OpFind       Op = "find"
	OpMuteAll    Op = "muteall"
	OpUnmuteAll  Op = "unmuteall"
	OpLock       Op = "lock"
	OpUnlock     Op = "unlock"
	OpAdmit      Op = "admit"
	OpRecord     Op = "record"
	OpStream     Op = "stream"
	OpBanner     Op = "banner"
	OpLayoutAll  Op = "layoutall"
	OpImportance Op = "importance"
	OpMove       Op = "move"
	OpEnd        Op = "end"
)

// CodeInvalidValue is an argument outside its set (record board maybe, importance x abc).
const CodeInvalidValue = "invalid_value"

// Banner defaults: exec (and any typed banner) shows the text in the middle for 30 seconds;
// Slack's modal offers the others.
const (
	BannerPosition = "middle"
	BannerDuration = 30 // seconds
	maxBannerLen   = 200
)

// Controls is what the controls ask of the cluster beyond Cluster. *cms.Cluster implements it.
type Controls interface {
	UpdateMeetingCalls(ctx context.Context, ref string, u cms.CallUpdate) (cms.CallsChange, error)
	EndMeeting(ctx context.Context, ref string) (cms.CallsChange, error)
	UpdateMeetingParticipants(ctx context.Context, ref string, u cms.BulkUpdate) (cms.CallsChange, error)
	UpdateParticipant(ctx context.Context, node, participantID string, u cms.ParticipantUpdate) error
	ParticipantDetail(ctx context.Context, node, participantID string) (cms.Participant, error)
	ParticipantOfRosterLeg(ctx context.Context, e cms.RosterEntry) (string, error)
	Move(ctx context.Context, e cms.RosterEntry, participantID string, target cms.Meeting) (node, newID string, err error)
	FindParticipants(ctx context.Context, text string) cms.Participants
}

var _ Controls = (*cms.Cluster)(nil)

func (s *Service) controls() (Controls, error) {
	if c, ok := s.cluster.(Controls); ok {
		return c, nil
	}
	return nil, &CMSError{Msg: "This NFMM cannot change meetings as a whole.", Err: errors.New("cluster lacks the meeting controls")}
}

func controlOperations() []operation {
	meeting := func(op Op, usage, summary string, done, do string, run func(*Service, context.Context, Command) (*ActionResult, error)) operation {
		return operation{op: op, usage: usage, summary: summary, role: RoleOperator, changes: true,
			parse: parseCall, validate: validateMeeting, run: action(run),
			sentence: func(Command, string) Sentence { return Sentence{Done: done, Do: do, Prep: "in"} }}
	}
	return []operation{
		{op: OpFind, usage: "find <text>", summary: "participants in every meeting whose name or address contains the text", role: RoleViewer,
			parse: parseFind, validate: validateFind, run: func(s *Service, ctx context.Context, _ Actor, c Command) (Result, error) {
				return nonNil(s.find(ctx, c.Filter))
			}},
		{op: OpMuteAll, usage: "muteall <meeting> [audio|video|both]", summary: "mute everyone in the meeting (audio, the default, or video)", role: RoleOperator, changes: true,
			parse: parseMuteAll, validate: validateMuteAll, run: action((*Service).muteAll), sentence: muteAllSentence},
		{op: OpUnmuteAll, usage: "unmuteall <meeting> [audio|video|both]", summary: "undo muteall", role: RoleOperator, changes: true,
			parse: parseMuteAll, validate: validateMuteAll, run: action((*Service).muteAll), sentence: muteAllSentence},
		meeting(OpLock, "lock <meeting>", "lock the meeting: newcomers wait in the lobby", "locked the meeting", "lock the meeting", (*Service).lock),
		meeting(OpUnlock, "unlock <meeting>", "unlock the meeting (whoever waits in the lobby comes in)", "unlocked the meeting", "unlock the meeting", (*Service).lock),
		{op: OpAdmit, usage: "admit <meeting> [<participant>]", summary: "let one participant, or everyone waiting, in from the lobby", role: RoleOperator, changes: true,
			parse: parseAdmit, validate: validateAdmit, run: action((*Service).admit),
			sentence: func(c Command, who string) Sentence {
				if c.Participant == "" {
					return Sentence{Done: "admitted everyone waiting", Do: "admit everyone waiting", Prep: "to"}
				}
				return Sentence{Done: "admitted " + who, Do: "admit " + who, Prep: "to"}
			}},
		{op: OpRecord, usage: "record <meeting> on|off", summary: "start or stop recording", role: RoleOperator, changes: true,
			parse: parseOnOff, validate: validateMeeting, run: action((*Service).recording), sentence: onOffSentence("recording")},
		{op: OpStream, usage: "stream <meeting> on|off", summary: "start or stop streaming", role: RoleOperator, changes: true,
			parse: parseOnOff, validate: validateMeeting, run: action((*Service).stream), sentence: onOffSentence("streaming")},
		{op: OpBanner, usage: "banner <meeting> <text…>|off", summary: "show a message on every screen (middle, 30 s), or remove it", role: RoleOperator, changes: true,
			parse: parseBanner, validate: validateBanner, run: action((*Service).banner),
			sentence: func(c Command, _ string) Sentence {
				if c.Off {
					return Sentence{Done: "removed the banner", Do: "remove the banner", Prep: "in"}
				}
				return Sentence{Done: "showed a banner", Do: "show a banner", Prep: "in"}
			}},
		{op: OpLayoutAll, usage: "layoutall <meeting> <layout>", summary: "set everyone's layout", role: RoleOperator, changes: true,
			parse: parseLayoutAll, validate: validateLayoutAll, run: action((*Service).layoutAll),
			sentence: func(c Command, _ string) Sentence {
				s := "set everyone's layout to " + c.Layout
				return Sentence{Done: s, Do: s, Prep: "in"}
			}},
		{op: OpImportance, usage: "importance <participant> <n>|off", summary: "keep a participant visible (higher is more important), or clear it", role: RoleOperator, changes: true,
			parse: parseImportance, validate: validateImportance, run: action((*Service).importance),
			sentence: func(c Command, who string) Sentence {
				if c.Off {
					return Sentence{Done: "cleared the importance of " + who, Do: "clear the importance of " + who, Prep: "in"}
				}
				s := fmt.Sprintf("set the importance of %s to %d", who, c.Importance)
				return Sentence{Done: s, Do: s, Prep: "in"}
			}},
		{op: OpMove, usage: "move <participant> <meeting>", summary: "move a participant to another meeting", role: RoleOperator, changes: true,
			parse: parseMove, validate: validateMove, run: action((*Service).move),
			sentence: func(_ Command, who string) Sentence {
				return Sentence{Done: "moved " + who, Do: "move " + who, Prep: "to"}
			}},
		meeting(OpEnd, "end <meeting>", "end the meeting for everyone, on every node", "ended the meeting", "end the meeting", (*Service).end),
	}
}

func muteAllSentence(c Command, _ string) Sentence {
	verb := map[bool]string{true: "muted", false: "unmuted"}[c.Op == OpMuteAll]
	do := map[bool]string{true: "mute", false: "unmute"}[c.Op == OpMuteAll]
	what := "everyone"
	switch mediaOrDefault(c.Media) {
	case MediaVideo:
		what = "everyone's video"
	case MediaBoth:
		what = "everyone's audio and video"
	}
	return Sentence{Done: verb + " " + what, Do: do + " " + what, Prep: "in"}
}

func onOffSentence(what string) func(Command, string) Sentence {
	return func(c Command, _ string) Sentence {
		if c.Off {
			return Sentence{Done: "stopped " + what, Do: "stop " + what, Prep: "in"}
		}
		return Sentence{Done: "started " + what, Do: "start " + what, Prep: "in"}
	}
}

// Validate checks a Command built outside the parser (a Slack form) the way Parse checks typed
// text; Execute checks it again.
func Validate(c Command) error {
	o, ok := operationOf(c.Op)
	if !ok {
		return unknownCommand(string(c.Op))
	}
	if o.validate == nil {
		return nil
	}
	return o.validate(c)
}

// ---- parsing and validation (no CMS request) ----

func parseFind(c *Command, args []string) error {
	c.Filter = strings.Join(args, " ")
	return validateFind(*c)
}

func validateFind(c Command) error {
	if strings.TrimSpace(c.Filter) == "" {
		return usageErr(CodeMissingArg, usageOf(OpFind), "Find whom? Give part of a name or address.")
	}
	return checkText("text", c.Filter, usageOf(OpFind))
}

// parseMuteAll: a last word audio|video|both is the media, the words before it the meeting.
func parseMuteAll(c *Command, args []string) error {
	c.Media = MediaAudio
	if n := len(args); n > 1 {
		if m := Media(strings.ToLower(args[n-1])); m == MediaAudio || m == MediaVideo || m == MediaBoth {
			c.Media, args = m, args[:n-1]
		}
	}
	c.Meeting = strings.Join(args, " ")
	return validateMuteAll(*c)
}

func validateMuteAll(c Command) error {
	if err := checkText("meeting", c.Meeting, usageOf(c.Op)); err != nil {
		return err
	}
	return checkMedia(c.Op, mediaOrDefault(c.Media))
}

// parseOnOff: the last word is on or off, the words before it the meeting.
func parseOnOff(c *Command, args []string) error {
	u := usageOf(c.Op)
	if len(args) == 0 {
		return checkText("meeting", "", u)
	}
	if len(args) == 1 {
		if w := strings.ToLower(args[0]); w == "on" || w == "off" {
			return checkText("meeting", "", u)
		}
		return usageErr(CodeMissingArg, u, "On or off? Add `on` or `off` after the meeting.")
	}
	last := strings.ToLower(args[len(args)-1])
	switch last {
	case "on":
	case "off":
		c.Off = true
	default:
		return usageErr(CodeInvalidValue, u, "%s is not on or off.", printable(args[len(args)-1]))
	}
	c.Meeting = strings.Join(args[:len(args)-1], " ")
	return checkText("meeting", c.Meeting, u)
}

// parseBanner: the first word is the meeting (quote a name with spaces), the rest the text;
// the text `off` removes the banner.
func parseBanner(c *Command, args []string) error {
	u := usageOf(OpBanner)
	if len(args) == 0 {
		return checkText("meeting", "", u)
	}
	c.Meeting = args[0]
	c.Text = strings.Join(args[1:], " ")
	if strings.EqualFold(c.Text, "off") {
		c.Off, c.Text = true, ""
	}
	return validateBanner(*c)
}

func validateBanner(c Command) error {
	u := usageOf(OpBanner)
	if err := checkText("meeting", c.Meeting, u); err != nil {
		return err
	}
	if c.Off {
		return nil
	}
	switch {
	case strings.TrimSpace(c.Text) == "":
		return usageErr(CodeMissingArg, u, "What should the banner say? Give the text, or `off` to remove it.")
	case !utf8.ValidString(c.Text), strings.IndexFunc(c.Text, isControl) >= 0:
		return usageErr(CodeInvalidText, u, "The banner text contains control characters.")
	case utf8.RuneCountInString(c.Text) > maxBannerLen:
		return usageErr(CodeInvalidText, u, "The banner text is too long (over %d characters).", maxBannerLen)
	case c.Position != "" && c.Position != "top" && c.Position != "middle" && c.Position != "bottom":
		return usageErr(CodeInvalidValue, u, "%s is not a banner position: top, middle or bottom.", printable(c.Position))
	case c.Duration != "" && c.Duration != "permanent" && !positiveSeconds(c.Duration):
		return usageErr(CodeInvalidValue, u, "%s is not a banner duration: seconds, or permanent.", printable(c.Duration))
	}
	return nil
}

func positiveSeconds(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n <= 86400 && strconv.Itoa(n) == s
}

// parseLayoutAll: the last word is the layout, the words before it the meeting.
func parseLayoutAll(c *Command, args []string) error {
	u := usageOf(OpLayoutAll)
	if len(args) < 2 {
		if len(args) == 0 {
			return checkText("meeting", "", u)
		}
		return layoutErr(canonicalLayout(""))
	}
	c.Meeting = strings.Join(args[:len(args)-1], " ")
	c.Layout = args[len(args)-1]
	return validateLayoutAll(*c)
}

func validateLayoutAll(c Command) error {
	if err := checkText("meeting", c.Meeting, usageOf(OpLayoutAll)); err != nil {
		return err
	}
	_, err := canonicalLayout(c.Layout)
	return layoutErr("", err)
}

// layoutErr gives canonicalLayout's error layoutall's usage.
func layoutErr(_ string, err error) error {
	var ue *UsageError
	if errors.As(err, &ue) {
		e := *ue
		e.Usage = usageOf(OpLayoutAll)
		return &e
	}
	return err
}

func parseImportance(c *Command, args []string) error {
	u := usageOf(OpImportance)
	if len(args) > 2 {
		return extra(c.Op, args[2:])
	}
	if len(args) > 0 {
		c.Participant = args[0]
	}
	if err := checkParticipantRef(c.Participant, u); err != nil {
		return err
	}
	if len(args) < 2 {
		return usageErr(CodeMissingArg, u, "What importance? Give a number from 1 to %d, or `off`.", math.MaxInt32)
	}
	if strings.EqualFold(args[1], "off") {
		c.Off = true
		return nil
	}
	n, err := strconv.ParseInt(args[1], 10, 32)
	if err != nil || n < 1 {
		return usageErr(CodeInvalidValue, u, "%s is not an importance: give a number from 1 to %d, or `off`.", printable(args[1]), math.MaxInt32)
	}
	c.Importance = int(n)
	return nil
}

func validateImportance(c Command) error {
	u := usageOf(OpImportance)
	if err := checkParticipantRef(c.Participant, u); err != nil {
		return err
	}
	if !c.Off && (c.Importance < 1 || c.Importance > math.MaxInt32) {
		return usageErr(CodeInvalidValue, u, "Importance must be from 1 to %d, or off.", math.MaxInt32)
	}
	return nil
}

// parseMove: the first word is the participant, the rest the target meeting.
func parseMove(c *Command, args []string) error {
	u := usageOf(OpMove)
	if len(args) > 0 {
		c.Participant = args[0]
	}
	if err := checkParticipantRef(c.Participant, u); err != nil {
		return err
	}
	if len(args) < 2 {
		return usageErr(CodeMissingArg, u, "Move to which meeting? Give its name, id or a unique part of either.")
	}
	c.Meeting = strings.Join(args[1:], " ")
	return checkText("meeting", c.Meeting, u)
}

func validateMove(c Command) error {
	if err := checkParticipantRef(c.Participant, usageOf(OpMove)); err != nil {
		return err
	}
	return checkText("meeting", c.Meeting, usageOf(OpMove))
}

// parseAdmit: one word is the meeting; with more, the last word is the participant (quote a
// meeting name with spaces: admit "board review").
func parseAdmit(c *Command, args []string) error {
	if len(args) > 1 {
		c.Participant = args[len(args)-1]
		args = args[:len(args)-1]
	}
	c.Meeting = strings.Join(args, " ")
	return validateAdmit(*c)
}

func validateAdmit(c Command) error {
	u := usageOf(OpAdmit)
	if err := checkText("meeting", c.Meeting, u); err != nil {
		return err
	}
	if c.Participant == "" {
		return nil
	}
	return checkParticipantRef(c.Participant, u)
}

// checkParticipantRef validates a participant reference: a leg id, a unique prefix of one
// (at least minIDPrefix characters), or a unique part of a name or address. Only ids reach a
// URL path; a name is sent as a query value (CMS's filter), so it is checked as text.
func checkParticipantRef(ref, usage string) error {
	if ref == "" {
		return usageErr(CodeMissingArg, usage, "Which participant? Give part of the name or address, a call leg id or its first %d characters.", minIDPrefix)
	}
	if isLegIDRef(ref) {
		return checkLegRef(ref, usage)
	}
	return checkText("participant", ref, usage)
}

// ---- handlers ----

func (s *Service) lock(ctx context.Context, c Command) (*ActionResult, error) {
	on := c.Op == OpLock
	return s.callsWrite(ctx, c, "locked", cms.CallUpdate{Locked: cms.Set(on)},
		func(d cms.CallDetail) string { return yesNo(d.Locked, "locked", "unlocked") }, yesNo(on, "locked", "unlocked"))
}

func (s *Service) recording(ctx context.Context, c Command) (*ActionResult, error) {
	return s.callsWrite(ctx, c, "recording", cms.CallUpdate{Recording: cms.Set(!c.Off)},
		func(d cms.CallDetail) string { return yesNo(d.Recording, "on", "off") }, yesNo(!c.Off, "on", "off"))
}

func (s *Service) stream(ctx context.Context, c Command) (*ActionResult, error) {
	return s.callsWrite(ctx, c, "streaming", cms.CallUpdate{Streaming: cms.Set(!c.Off)},
		func(d cms.CallDetail) string { return yesNo(d.Streaming, "on", "off") }, yesNo(!c.Off, "on", "off"))
}

func (s *Service) banner(ctx context.Context, c Command) (*ActionResult, error) {
	u := cms.CallUpdate{MessageText: cms.Set(c.Text), MessagePosition: cms.Set(cmpOr(c.Position, BannerPosition)),
		MessageDuration: cms.Set(cmpOr(c.Duration, strconv.Itoa(BannerDuration)))}
	after := c.Text
	if c.Off {
		u = cms.CallUpdate{MessageText: cms.Set(""), MessageDuration: cms.Set("0")}
		after = "none"
	}
	return s.callsWrite(ctx, c, "banner", u, bannerOf, after)
}

func bannerOf(d cms.CallDetail) string {
	if !d.BannerShowing() {
		return "none"
	}
	return d.MessageText
}

func (s *Service) end(ctx context.Context, c Command) (*ActionResult, error) {
	ctl, err := s.controls()
	if err != nil {
		return nil, err
	}
	ch, err := ctl.EndMeeting(ctx, c.Meeting)
	if err != nil {
		return nil, wrapErr("", err)
	}
	return s.callsResult(ctx, c, ch, "meeting", func(cms.CallDetail) string { return "active" }, "ended"), nil
}

// callsWrite applies u to every instance of the meeting and reports each node's before →
// after.
func (s *Service) callsWrite(ctx context.Context, c Command, field string, u cms.CallUpdate,
	before func(cms.CallDetail) string, after string) (*ActionResult, error) {
	ctl, err := s.controls()
	if err != nil {
		return nil, err
	}
	ch, err := ctl.UpdateMeetingCalls(ctx, c.Meeting, u)
	if err != nil {
		return nil, wrapErr("", err)
	}
	return s.callsResult(ctx, c, ch, field, before, after), nil
}

func (s *Service) callsResult(ctx context.Context, c Command, ch cms.CallsChange, field string,
	before func(cms.CallDetail) string, after string) *ActionResult {
	m := ch.Before
	r := &ActionResult{Op: c.Op, Meeting: summarize(m)}
	var done, failed []string
	for _, w := range ch.Written {
		in := w.Instance
		if w.Err != nil {
			why := reason(in.Node, w.Err)
			s.logNodeFailure(ctx, in.Node, why, w.Err)
			r.Failed = append(r.Failed, LegFailure{Node: in.Node, Name: m.Name, Reason: why})
			failed = append(failed, in.Node)
			continue
		}
		r.Updated++
		done = append(done, in.Node)
		if b := before(in.Call); b != after {
			r.Changes = append(r.Changes, Change{Subject: m.Name + " (" + in.Node + ")", Field: field, Before: b, After: after})
		}
	}
	for _, f := range ch.Unread {
		why := reason(f.Node, f.Err)
		s.logNodeFailure(ctx, f.Node, why, f.Err)
		r.Failed = append(r.Failed, LegFailure{Node: f.Node, Name: m.Name, Reason: "not read, so not changed: " + why})
		failed = append(failed, f.Node)
	}
	sent := SentenceOf(c, m.Name)
	switch {
	case len(done) == 0:
		r.Summary = fmt.Sprintf("Could not %s %s %s on any node: %s", sent.Do, sent.Prep, m.Name, r.Failed[0].Reason)
	case len(failed) > 0:
		r.Summary = fmt.Sprintf("%s %s %s on %s; failed on %s.", capitalize(sent.Done), sent.Prep, m.Name,
			strings.Join(done, ", "), strings.Join(failed, ", "))
	default:
		r.Summary = fmt.Sprintf("%s %s %s (%s).", capitalize(sent.Done), sent.Prep, m.Name, strings.Join(done, ", "))
	}
	return r
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// muteAll and unmuteAll: the bulk participants write on every hosting node; before → after
// counts the muted participants of the roster read just before.
func (s *Service) muteAll(ctx context.Context, c Command) (*ActionResult, error) {
	ctl, err := s.controls()
	if err != nil {
		return nil, err
	}
	want := c.Op == OpMuteAll
	media := mediaOrDefault(c.Media)
	var u cms.BulkUpdate
	if media != MediaVideo {
		u.RxAudioMute = cms.Set(want)
	}
	if media != MediaAudio {
		u.RxVideoMute = cms.Set(want)
	}
	ro, err := s.cluster.MeetingRoster(ctx, c.Meeting)
	if err != nil {
		return nil, wrapErr("", err)
	}
	ch, err := ctl.UpdateMeetingParticipants(ctx, ro.Meeting.Correlator, u)
	if err != nil {
		return nil, wrapErr("", err)
	}
	ch.Before = ro.Meeting // the roster's details are the before that matches its legs
	r := s.callsResult(ctx, c, ch, "participants", func(cms.CallDetail) string { return "" }, "")
	r.Changes = nil
	ok := map[string]bool{}
	for _, w := range ch.Written {
		ok[w.Instance.Node] = w.Err == nil
	}
	count := func(muted func(cms.CallLegDetail) bool, after bool) string {
		n := 0
		for _, e := range ro.Legs {
			m := muted(e.Leg)
			if after && ok[e.Node] {
				m = want
			}
			if m {
				n++
			}
		}
		return fmt.Sprintf("%d of %d muted", n, len(ro.Legs))
	}
	for _, f := range []struct {
		field string
		on    bool
		muted func(cms.CallLegDetail) bool
	}{
		{"audio", media != MediaVideo, func(l cms.CallLegDetail) bool { return l.Config.RxAudioMute }},
		{"video", media != MediaAudio, func(l cms.CallLegDetail) bool { return l.Config.RxVideoMute }},
	} {
		if f.on {
			r.Changes = append(r.Changes, Change{Subject: ro.Meeting.Name, Field: f.field,
				Before: count(f.muted, false), After: count(f.muted, true)})
		}
	}
	return r, nil
}

func (s *Service) layoutAll(ctx context.Context, c Command) (*ActionResult, error) {
	ctl, err := s.controls()
	if err != nil {
		return nil, err
	}
	layout, err := canonicalLayout(c.Layout)
	if err != nil {
		return nil, layoutErr("", err)
	}
	c.Layout = layout
	ro, err := s.cluster.MeetingRoster(ctx, c.Meeting)
	if err != nil {
		return nil, wrapErr("", err)
	}
	ch, err := ctl.UpdateMeetingParticipants(ctx, ro.Meeting.Correlator, cms.BulkUpdate{Layout: cms.Set(layout)})
	if err != nil {
		return nil, wrapErr("", err)
	}
	ch.Before = ro.Meeting
	r := s.callsResult(ctx, c, ch, "layout", func(cms.CallDetail) string { return "" }, "")
	r.Changes = nil
	ok := map[string]bool{}
	for _, w := range ch.Written {
		ok[w.Instance.Node] = w.Err == nil
	}
	for _, e := range ro.Legs {
		if ok[e.Node] && e.Leg.Config.ChosenLayout != layout {
			r.Changes = append(r.Changes, Change{Subject: displayName(e.Leg), Field: "layout",
				Before: orDefault(e.Leg.Config.ChosenLayout), After: layout})
		}
	}
	return r, nil
}

// admit lets lobby participants in: PUT participants/<id> deactivated=false on each one's own
// node (CMS has no bulk admit).
func (s *Service) admit(ctx context.Context, c Command) (*ActionResult, error) {
	ctl, err := s.controls()
	if err != nil {
		return nil, err
	}
	ro, err := s.cluster.MeetingRoster(ctx, c.Meeting)
	if err != nil {
		return nil, wrapErr("", err)
	}
	var waiting []cms.RosterEntry
	for _, e := range ro.Legs {
		if e.Leg.Status.Deactivated {
			waiting = append(waiting, e)
		}
	}
	r := &ActionResult{Op: OpAdmit, Meeting: summarize(ro.Meeting)}
	for _, f := range ro.Failed {
		r.Failed = append(r.Failed, LegFailure{Node: f.Node, Reason: "lobby not read: " + reason(f.Node, f.Err)})
	}
	if c.Participant != "" {
		pick, err := pickPresenter(ro.Legs, c.Participant, c.Node)
		if err != nil {
			return nil, err
		}
		r.Participant, r.LegID, r.Node = displayName(pick.Leg), pick.Leg.ID, pick.Node
		if !pick.Leg.Status.Deactivated {
			r.Summary = fmt.Sprintf("%s is not waiting in the lobby of %s.", r.Participant, ro.Meeting.Name)
			return r, nil
		}
		waiting = []cms.RosterEntry{*pick}
	}
	if len(waiting) == 0 {
		r.Summary = fmt.Sprintf("Nobody is waiting in the lobby of %s.", ro.Meeting.Name)
		return r, nil
	}
	for _, e := range waiting {
		name := displayName(e.Leg)
		err := s.participantWrite(ctx, ctl, e, cms.ParticipantUpdate{Deactivated: cms.Set(false)})
		if err != nil {
			r.Failed = append(r.Failed, LegFailure{LegID: e.Leg.ID, Name: name, Node: e.Node, Reason: reason(e.Node, err)})
			continue
		}
		r.Updated++
		r.Changes = append(r.Changes, Change{Subject: name, Field: "lobby", Before: "waiting", After: "admitted"})
	}
	r.Summary = fmt.Sprintf("Admitted %d of %d waiting to %s.", r.Updated, len(waiting), ro.Meeting.Name)
	if len(r.Failed) > 0 {
		r.Summary += fmt.Sprintf(" %d failed.", len(r.Failed))
	}
	return r, nil
}

// participantWrite changes the participant of a leg on the leg's node, which owns it.
func (s *Service) participantWrite(ctx context.Context, ctl Controls, e cms.RosterEntry, u cms.ParticipantUpdate) error {
	pid, err := ctl.ParticipantOfRosterLeg(ctx, e)
	if err != nil {
		return err
	}
	return ctl.UpdateParticipant(ctx, e.Node, pid, u)
}

func (s *Service) importance(ctx context.Context, c Command) (*ActionResult, error) {
	ctl, err := s.controls()
	if err != nil {
		return nil, err
	}
	lr, d, r, err := s.legAction(ctx, c)
	if err != nil {
		return nil, err
	}
	e := cms.RosterEntry{Node: lr.Node, Leg: d}
	pid, err := ctl.ParticipantOfRosterLeg(ctx, e)
	if err != nil {
		return nil, s.legErr(c.Participant, lr.Node, err)
	}
	before := "unset"
	if p, err := ctl.ParticipantDetail(ctx, lr.Node, pid); err == nil && p.Importance != nil {
		before = strconv.Itoa(*p.Importance)
	}
	u := cms.ParticipantUpdate{Importance: cms.Set(c.Importance)}
	after := strconv.Itoa(c.Importance)
	if c.Off {
		u.Importance, after = cms.Unset[int](), "unset"
	}
	if err := ctl.UpdateParticipant(ctx, lr.Node, pid, u); err != nil {
		return nil, s.legErr(c.Participant, lr.Node, err)
	}
	r.Updated = 1
	r.Changes = []Change{{Subject: r.Participant, Field: "importance", Before: before, After: after}}
	if c.Off {
		r.Summary = fmt.Sprintf("Cleared the importance of %s (%s).", r.Participant, lr.Node)
	} else {
		r.Summary = fmt.Sprintf("Set the importance of %s to %d (%s).", r.Participant, c.Importance, lr.Node)
	}
	return r, nil
}

func (s *Service) move(ctx context.Context, c Command) (*ActionResult, error) {
	ctl, err := s.controls()
	if err != nil {
		return nil, err
	}
	target, _, err := s.cluster.FindMeeting(ctx, c.Meeting)
	if err != nil {
		return nil, wrapErr("", err)
	}
	lc := c
	lc.Meeting = "" // the meeting named is the target, not the participant's
	lr, d, r, err := s.legAction(ctx, lc)
	if err != nil {
		return nil, err
	}
	from := r.Meeting.Name
	r.Op = OpMove
	if strings.EqualFold(r.Meeting.Correlator, target.Correlator) {
		r.Summary = fmt.Sprintf("%s is already in %s.", r.Participant, target.Name)
		return r, nil
	}
	if !d.CanMove {
		return nil, cmsError(lr.Node, cms.ErrCannotMove)
	}
	e := cms.RosterEntry{Node: lr.Node, Leg: d}
	pid, err := ctl.ParticipantOfRosterLeg(ctx, e)
	if err != nil {
		return nil, s.legErr(c.Participant, lr.Node, err)
	}
	node, _, err := ctl.Move(ctx, e, pid, target)
	if err != nil {
		return nil, wrapErr(node, err)
	}
	r.Meeting = summarize(target)
	r.Updated = 1
	r.Changes = []Change{{Subject: r.Participant, Field: "meeting", Before: cmpOr(from, "(unknown)"), After: target.Name}}
	r.Summary = fmt.Sprintf("Moved %s from %s to %s (%s).", r.Participant, cmpOr(from, "its meeting"), target.Name, node)
	return r, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
