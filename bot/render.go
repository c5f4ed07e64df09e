package bot

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// message is a rendered Slack message: Text is the notification/fallback text.
type message struct {
	Text   string
	Blocks []slack.Block
}

// renderOpts says how to render a result for one viewer.
type renderOpts struct {
	Page     int           // 0-based page of a long list
	Role     commands.Role // viewers get no operator controls
	Note     string        // context line after an action: "<@U123> muted Alice · 14:02"
	Now      time.Time
	Location *time.Location // for the note's clock time; nil = UTC
	// RoleOn is the actor's role on a cluster, with several: a message of one cluster shows
	// the controls that role allows (nil: Role).
	RoleOn func(cluster string) commands.Role
	// Cluster is the cluster the message is of, with several ("all" for @all; set by render).
	Cluster string
}

// Page sizes keep every page under maxMessageBlocks with room for the header, the unreachable
// nodes, the pager, the controls, the freshness line and a note.
const (
	callsPerPage  = 40 // one block per meeting
	rosterPerPage = 20 // two blocks per participant for operators
	maxListed     = 10 // changes, failures and gone legs listed before "and N more"
	maxStatusRows = 40 // nodes in status
	maxHelpRows   = 40 // help entries
)

// render turns any commands.Result into a message within Slack's limits (long lists page).
func render(r commands.Result, o renderOpts) message {
	cluster := commands.ClusterOf(r)
	o.Cluster = cluster
	if cluster != "" && o.RoleOn != nil {
		o.Role = o.RoleOn(cluster) // the controls of a cluster's message are for its role
	}
	var m message
	switch r := r.(type) {
	case *commands.CallsResult:
		m = renderCalls(r, o)
	case *commands.RosterResult:
		m = renderRoster(r, o)
	case *commands.ParticipantResult:
		m = renderParticipant(r, o)
	case *commands.ActionResult:
		m = renderAction(r, o)
	case *commands.StatusResult:
		m = renderStatus(r, o)
	case *commands.HelpResult:
		m = renderHelp(r, o)
	case *commands.ReportResult:
		m = renderReport(r, o)
	case *commands.HistoryResult:
		m = renderHistory(r, o)
	case *commands.FindResult:
		m = renderFind(r, o)
	case *commands.AlertsResult:
		m = renderAlertList(r, o.Now, o.Location)
	case *commands.AuditResult:
		m = renderAudit(r, o)
	default:
		m = message{Text: "Nothing to show.", Blocks: []slack.Block{textSection("Nothing to show.")}}
	}
	headerCluster(m.Blocks, cluster)
	stampBlocks(m.Blocks, cluster)
	return withNote(m, o.Note)
}

// headerCluster ends a message's header with its cluster ("· cluster amer", "· every cluster"
// for @all) when there are several: `calls @amer` typed in emea's channel must not pass for
// emea's, and two clusters may both have a cb1. A long header gives way, never the cluster.
func headerCluster(blocks []slack.Block, cluster string) {
	if cluster == "" || len(blocks) == 0 {
		return
	}
	h, ok := blocks[0].(*slack.HeaderBlock)
	if !ok || h.Text == nil {
		return
	}
	suffix := " · cluster " + cluster
	if cluster == commands.AllClusters {
		suffix = " · every cluster"
	}
	h.Text.Text = truncate(h.Text.Text, maxHeaderText-textLen(suffix)) + suffix
}

// renderError renders a user-safe error (commands.UserMessage) for an ephemeral reply.
func renderError(err error) message {
	msg := commands.UserMessage(err)
	if msg == "" {
		msg = "Something went wrong."
	}
	// plain_text: the message may quote what the user typed or names from CMS, and Slack
	// parses neither mentions nor formatting there, so identifiers like NFMM_OPERATORS stay
	// exactly as written (copyable).
	var ue *commands.UsageError
	if errors.As(err, &ue) && ue.Usage != "" {
		msg = ue.Msg // the usage gets its own line below
	}
	section := slack.NewSectionBlock(plain("⚠️ "+msg, maxSectionText), nil, nil)
	m := message{Text: truncate("⚠️ "+escapeTrunc(msg, maxTopText), maxTopText), Blocks: []slack.Block{section}}
	switch {
	case ue != nil && ue.Usage != "":
		// Only that command's grammar: the whole help buries the one line that matters.
		// plain_text: the grammar's <placeholders> show as typed, nothing in it is formatted.
		m.Blocks = append(m.Blocks, slack.NewContextBlock("", plain("usage: /cms "+ue.Usage, maxContextText)))
	case ue != nil && ue.Code == commands.CodeUnknownCommand:
		// No command to show the usage of: help is one click away, not pasted in.
		m.Blocks = append(m.Blocks, slack.NewActionBlock("nfmm_controls", button(actRun, "Show help", "help")))
	}
	return m
}

// withNote puts the note (mrkdwn composed by the handler, e.g. "<@U123> muted Alice · 14:02")
// right under the header, where the person who acted looks first.
func withNote(m message, note string) message {
	if strings.TrimSpace(note) == "" {
		return m
	}
	nb := slack.NewContextBlock("", md(clean(note), maxContextText))
	at := 0
	if len(m.Blocks) > 0 {
		if _, ok := m.Blocks[0].(*slack.HeaderBlock); ok {
			at = 1
		}
	}
	blocks := make([]slack.Block, 0, len(m.Blocks)+1)
	blocks = append(blocks, m.Blocks[:at]...)
	blocks = append(blocks, nb)
	m.Blocks = append(blocks, m.Blocks[at:]...)
	return m
}

// textSection is a section of already-escaped mrkdwn.
func textSection(s string) *slack.SectionBlock {
	return slack.NewSectionBlock(md(s, maxSectionText), nil, nil)
}

func header(s string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(plain(s, maxHeaderText))
}

// button builds a button; label is fixed or untrusted text, value an id the handler re-checks.
func button(actionID, label, value string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plain(label, maxButtonText))
}

// clampPage returns the page to show and the page count for n items.
func clampPage(page, n, per int) (int, int) {
	pages := (n + per - 1) / per
	if pages == 0 {
		pages = 1
	}
	return min(max(page, 0), pages-1), pages
}

// freshness is the "as of 14:02:03" line, with optional extra parts.
func freshness(asOf time.Time, o renderOpts, extra ...string) *slack.ContextBlock {
	if asOf.IsZero() {
		asOf = o.Now
	}
	parts := make([]string, 0, len(extra)+1)
	if !asOf.IsZero() {
		parts = append(parts, "as of "+clock(asOf, o.Location))
	}
	parts = append(parts, extra...)
	if len(parts) == 0 {
		parts = append(parts, "as of now")
	}
	return slack.NewContextBlock("", md(strings.Join(parts, " · "), maxContextText))
}

// unreachableBlock names the nodes that did not answer: partial results must say so. Each
// line names its node once, with the cause and since when (commands.NodeDownText).
func unreachableBlock(fails []commands.NodeFailure, o renderOpts) slack.Block {
	if len(fails) == 0 {
		return nil
	}
	n := min(len(fails), maxContextElems)
	if len(fails) > maxContextElems {
		n = maxContextElems - 1
	}
	els := make([]slack.MixedElement, 0, maxContextElems)
	for _, f := range fails[:n] {
		els = append(els, plain("⚠️ "+commands.NodeDownText(f, o.Now, o.loc()), 300))
	}
	if rest := len(fails) - n; rest > 0 {
		els = append(els, plain(fmt.Sprintf("⚠️ and %d more nodes unreachable", rest), 300))
	}
	return slack.NewContextBlock("", els...)
}

// loc is where times are shown: the configured zone, else UTC.
func (o renderOpts) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// answeredNodes is a header's node list: the nodes that answered, then the ones that did
// not, each marked once ("cb1, cb3 · cb2 down").
func answeredNodes(nodes []string, fails []commands.NodeFailure) string {
	down := map[string]bool{}
	var downNames []string
	for _, f := range fails {
		if n := commands.QualifiedNode(f.Cluster, f.Node); !down[n] {
			down[n] = true
			downNames = append(downNames, n)
		}
	}
	var up []string
	for _, n := range nodes {
		if !down[n] {
			up = append(up, n)
		}
	}
	out := joinNodes(up)
	if len(downNames) > 0 {
		if out != "" {
			out += " · "
		}
		out += joinNodes(downNames) + " down"
	}
	return out
}

// pagerBlocks renders "Page 2 of 6" with a Previous button and an actions row holding Next and
// the extra controls. Previous and Next share actPage, so they live in different blocks
// (action_id must be unique within a block).
func pagerBlocks(ref pageRef, page, pages, total, per int, noun string, extra ...slack.BlockElement) []slack.Block {
	var out []slack.Block
	canPage := pages > 1 && ref.valid()
	if pages > 1 {
		lo, hi := page*per+1, min((page+1)*per, total)
		text := fmt.Sprintf("Page %d of %d · %s %d–%d of %d", page+1, pages, noun, lo, hi, total)
		var acc *slack.Accessory
		if canPage && page > 0 {
			prev := ref
			prev.Page = page - 1
			acc = slack.NewAccessory(button(actPage, "◀ Previous", prev.encode()))
		}
		out = append(out, slack.NewSectionBlock(md(text, maxSectionText), nil, acc, slack.SectionBlockOptionBlockID("nfmm_pager")))
	}
	var els []slack.BlockElement
	if canPage && page < pages-1 {
		next := ref
		next.Page = page + 1
		els = append(els, button(actPage, "Next ▶", next.encode()))
	}
	els = append(els, extra...)
	if len(els) > 0 {
		out = append(out, slack.NewActionBlock("nfmm_controls", els...))
	}
	return out
}

// joinNodes lists node names for a header or a line.
func joinNodes(nodes []string) string {
	return strings.Join(nodes, ", ")
}

// meetingName is the display name of a meeting; CMS allows unnamed calls.
func meetingName(m commands.MeetingSummary) string {
	if strings.TrimSpace(m.Name) == "" {
		return "(unnamed meeting)"
	}
	return m.Name
}

// renderCalls is the active-meetings list.
func renderCalls(r *commands.CallsResult, o renderOpts) message {
	if r == nil {
		r = &commands.CallsResult{}
	}
	total := len(r.Meetings)
	page, pages := clampPage(o.Page, total, callsPerPage)
	summary := plural(total, "meeting", "meetings") + " · " + plural(r.TotalParticipants, "participant", "participants")
	title := summary
	if len(r.Nodes) > 0 {
		title += " · " + answeredNodes(r.Nodes, r.Unreachable)
	}
	blocks := []slack.Block{header(title)}
	if ub := unreachableBlock(r.Unreachable, o); ub != nil {
		blocks = append(blocks, ub)
	}
	if total == 0 {
		msg := "No active meetings."
		if r.Filter != "" {
			msg = "No active meetings match “" + escapeTrunc(r.Filter, 200) + "”."
		}
		blocks = append(blocks, textSection(msg))
	}
	lo, hi := page*callsPerPage, min((page+1)*callsPerPage, total)
	for _, m := range r.Meetings[lo:hi] {
		blocks = append(blocks, meetingSection(m))
	}
	// Refresh re-runs the exact command, so it exists only when that fits in a button value
	// (a truncated filter would refresh a different list).
	// The buttons carry the command's arguments (filter and --node) so they list the same set.
	args := r.Filter
	if r.Node != "" {
		args = strings.TrimSpace(args + " --node " + r.Node)
	}
	var refresh []slack.BlockElement
	if text := strings.TrimSpace("calls " + args); textLen(text) <= maxValueRoom {
		refresh = append(refresh, button(actRun, "Refresh", text))
	}
	blocks = append(blocks, pagerBlocks(pageRef{Kind: pageKindCalls, Filter: args}, page, pages, total,
		callsPerPage, "meetings", refresh...)...)
	var extra []string
	if r.Filter != "" {
		extra = append(extra, "filter “"+escapeTrunc(r.Filter, 200)+"”")
	}
	if r.Node != "" {
		extra = append(extra, "on "+escapeTrunc(r.Node, 40))
	}
	blocks = append(blocks, freshness(r.AsOf, o, extra...))
	return message{Text: "Active meetings: " + summary, Blocks: blocks}
}

// meetingSection is one meeting of the calls list with its Participants button.
func meetingSection(m commands.MeetingSummary) *slack.SectionBlock {
	line := plural(m.Participants, "participant", "participants")
	if m.Cluster != "" {
		line = "cluster " + escapeTrunc(m.Cluster, 40) + " · " + line
	}
	if len(m.Nodes) > 0 {
		line += " · " + escapeTrunc(joinNodes(m.Nodes), 500)
	}
	line += " · " + commands.FormatDuration(m.Duration)
	if b := poorMediaBadge(m); b != "" {
		line += " · " + b
	}
	text := bold(meetingName(m), 500) + "\n" + line
	if s := stateLine(m); s != "" {
		text += "\n" + s
	}
	var acc *slack.Accessory
	if idPattern.MatchString(m.Correlator) {
		acc = slack.NewAccessory(button(actParticipants, "Participants", m.Correlator))
	}
	return lineSection(slack.NewSectionBlock(md(text, maxSectionText), nil, acc), m.Cluster, m.Correlator)
}

// poorMediaBadge is "⚠️ 2 with poor media", "" when nobody has.
func poorMediaBadge(m commands.MeetingSummary) string {
	if m.PoorMedia <= 0 {
		return ""
	}
	return fmt.Sprintf("⚠️ %d with poor media", m.PoorMedia)
}

// renderRoster is one meeting's participants with their controls.
func renderRoster(r *commands.RosterResult, o renderOpts) message {
	if r == nil {
		r = &commands.RosterResult{}
	}
	op := o.Role >= commands.RoleOperator
	rows := uniqueRows(r.Meeting.Correlator, r.Participants)
	total := len(rows)
	page, pages := clampPage(o.Page, total, rosterPerPage)
	name := meetingName(r.Meeting)
	title := name + " · " + plural(total, "participant", "participants")
	if len(r.Meeting.Nodes) > 0 {
		title += " on " + joinNodes(r.Meeting.Nodes)
	}
	blocks := []slack.Block{header(title)}
	if s := stateLine(r.Meeting); s != "" {
		blocks = append(blocks, textSection(s))
	}
	if ub := unreachableBlock(r.Unreachable, o); ub != nil {
		blocks = append(blocks, ub)
	}
	if total == 0 {
		blocks = append(blocks, textSection("Nobody is in this meeting right now."))
	}
	lo, hi := page*rosterPerPage, min((page+1)*rosterPerPage, total)
	for _, p := range rows[lo:hi] {
		blocks = append(blocks, participantBlocks(p, r.Meeting, op)...)
	}
	several := o.Cluster != ""
	controls := pagerBlocks(pageRef{Kind: pageKindRoster, Filter: r.Meeting.Correlator}, page, pages,
		total, rosterPerPage, "participants", append(meetingControls(r.Meeting.Correlator, op), meetingMenu(r.Meeting, op, several)...)...)
	for _, b := range controls {
		if ab, ok := b.(*slack.ActionBlock); ok && several && ab.BlockID == "nfmm_controls" {
			ab.BlockID = meetingBlockID(r.Meeting.Correlator) // the meeting of the selects' choices
		}
	}
	blocks = append(blocks, controls...)
	blocks = append(blocks, freshness(r.AsOf, o))
	return message{Text: escapeTrunc(name, 200) + ": " + plural(total, "participant", "participants"), Blocks: blocks}
}

// rosterPageOf is the page of r that carries legID's row and controls (0 when absent), so a
// re-rendered roster can stay where the operator acted.
func rosterPageOf(r *commands.RosterResult, legID string) int {
	if r == nil {
		return 0
	}
	for i, p := range uniqueRows(r.Meeting.Correlator, r.Participants) {
		if p.LegID == legID {
			return i / rosterPerPage
		}
	}
	return 0
}

// uniqueRows drops repeated legs: a repeated block_id would make Slack reject the message.
func uniqueRows(correlator string, rows []commands.ParticipantRow) []commands.ParticipantRow {
	seen := make(map[legRef]bool, len(rows))
	out := make([]commands.ParticipantRow, 0, len(rows))
	for _, p := range rows {
		ref := legRef{Correlator: correlator, Node: p.Node, LegID: p.LegID}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		out = append(out, p)
	}
	return out
}

// meetingControls are the meeting-wide buttons, after "◀ Meetings" (back to the calls list);
// viewers only refresh.
func meetingControls(correlator string, op bool) []slack.BlockElement {
	if !idPattern.MatchString(correlator) {
		return nil
	}
	back := button(actRun, "◀ Meetings", "calls")
	refresh := button(actRefresh, "Refresh", correlator)
	live := button(actLive, "Live", correlator)
	if !op {
		return []slack.BlockElement{back, refresh, live}
	}
	return []slack.BlockElement{
		back,
		button(actAdd, "Add participant", correlator).WithStyle(slack.StylePrimary),
		button(actPresenterOn, "Presenter mode on", correlator),
		button(actPresenterOff, "Presenter mode off", correlator),
		refresh,
		live,
	}
}

// participantLine is a roster row's text: the name (and the address when it says more),
// then one status line of emoji: audio, video, poor media, presenting or waiting in the
// lobby, the layout by its human name, the node and how long they have been in.
func participantLine(p commands.ParticipantRow) string {
	name := p.Name
	if strings.TrimSpace(name) == "" {
		name = p.Address
	}
	first := bold(name, 400)
	if p.Address != "" && p.Address != name {
		first += " · " + escapeTrunc(p.Address, 200)
	}
	parts := []string{audioState(p.AudioMuted), videoState(p.VideoMuted)}
	if p.PoorMedia {
		parts = append(parts, "⚠️ poor media")
	}
	switch {
	case p.Presenting:
		parts = append(parts, "🖥 presenting")
	case p.Lobby:
		parts = append(parts, "⏳ waiting in the lobby")
	}
	if p.Layout != "" {
		parts = append(parts, escapeTrunc(commands.LayoutLabel(p.Layout), 100))
	}
	if p.State != "" && p.State != "connected" {
		parts = append(parts, escapeTrunc(p.State, 50))
	}
	if p.Node != "" {
		parts = append(parts, escapeTrunc(p.Node, 100))
	}
	parts = append(parts, commands.FormatDuration(p.Duration))
	return first + "\n" + strings.Join(parts, " · ")
}

func audioState(muted bool) string {
	if muted {
		return "🔇 muted"
	}
	return "🎤 live"
}

func videoState(muted bool) string {
	if muted {
		return "🚫 video off"
	}
	return "📷 video on"
}

// participantBlocks is one roster row. Viewers get the text with a Details button; operators
// get the text and one actions block holding the row's primary control (Mute/Unmute, or Admit
// for someone in the lobby) and an overflow menu for the rest (rowMenu). The actions block's
// block_id is the leg reference: the overflow's options carry only the choice.
func participantBlocks(p commands.ParticipantRow, m commands.MeetingSummary, op bool) []slack.Block {
	ref := legRef{Correlator: m.Correlator, Node: p.Node, LegID: p.LegID}
	text := md(participantLine(p), maxSectionText)
	if !ref.valid() {
		return []slack.Block{slack.NewSectionBlock(text, nil, nil)}
	}
	v := ref.encode()
	if !op {
		return []slack.Block{slack.NewSectionBlock(text, nil, slack.NewAccessory(button(actDetails, "Details", v)))}
	}
	primary := lobbyAdmit(p, m, op)
	if primary == nil {
		primary = audioButton(p.AudioMuted, v)
	}
	return []slack.Block{
		slack.NewSectionBlock(text, nil, nil),
		slack.NewActionBlock(v, primary, rowMenu(p)),
	}
}

// audioButton is the row's primary control for someone in the meeting.
func audioButton(muted bool, value string) *slack.ButtonBlockElement {
	if muted {
		return button(actUnmuteAudio, "🎤 Unmute", value)
	}
	return button(actMuteAudio, "🔇 Mute", value)
}

// layoutNames are CMS's 13 layouts in menu order (commands validates against the same list).
func layoutNames() []string {
	ls := commands.Layouts()
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.API)
	}
	return out
}

// layoutText is a layout by its human name with CMS's name after it: "Speaker only
// (speakerOnly)".
func layoutText(api string) string {
	if l := commands.LayoutLabel(api); l != api {
		return escapeTrunc(l, 100) + " (" + escapeTrunc(api, 100) + ")"
	}
	return escapeTrunc(api, 100)
}

// layoutOption is a layout as a menu shows it: its human name first, CMS's name after it, and
// "current" on the one in use.
func layoutOption(value, api, current string) *slack.OptionBlockObject {
	text := commands.LayoutLabel(api) + " · " + api
	if api == current {
		text = "✓ " + text + " (current)"
	}
	return slack.NewOptionBlockObject(value, plain(text, maxOptionText), nil)
}

// renderParticipant is one participant's detail: state, media statistics, alarms.
func renderParticipant(r *commands.ParticipantResult, o renderOpts) message {
	if r == nil {
		r = &commands.ParticipantResult{}
	}
	p := r.Participant
	name := p.Name
	if strings.TrimSpace(name) == "" {
		name = p.Address
	}
	if strings.TrimSpace(name) == "" {
		name = "Participant"
	}
	blocks := []slack.Block{
		header(name),
		slack.NewSectionBlock(nil, fieldList(participantFields(r)), nil),
	}
	if media := mediaFields(r); len(media) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(nil, fieldList(media), nil))
	}
	if len(r.Alarms) > 0 {
		blocks = append(blocks, textSection("⚠️ *Alarms:* "+escapeTrunc(strings.Join(alarmNames(r.Alarms), ", "), 2000)))
	}
	var els []slack.BlockElement
	if idPattern.MatchString(r.Meeting.Correlator) {
		els = append(els, button(actParticipants, "◀ Back to roster", r.Meeting.Correlator))
	}
	if ref := (legRef{Correlator: r.Meeting.Correlator, Node: p.Node, LegID: p.LegID}); ref.valid() {
		els = append(els, button(actDetails, "Refresh", ref.encode()))
	}
	if len(els) > 0 {
		blocks = append(blocks, slack.NewActionBlock("nfmm_controls", els...))
	}
	blocks = append(blocks, freshness(r.AsOf, o))
	return message{Text: escapeTrunc(name, 200) + " in " + escapeTrunc(meetingName(r.Meeting), 200), Blocks: blocks}
}

// field is one "*Label*\nvalue" section field; value is already escaped.
type field struct{ label, value string }

// fieldList renders at most maxFields fields within their length limit.
func fieldList(fs []field) []*slack.TextBlockObject {
	out := make([]*slack.TextBlockObject, 0, min(len(fs), maxFields))
	for _, f := range fs[:min(len(fs), maxFields)] {
		v := f.value
		if v == "" {
			v = "–"
		}
		out = append(out, md("*"+f.label+"*\n"+v, maxFieldText))
	}
	return out
}

func participantFields(r *commands.ParticipantResult) []field {
	p := r.Participant
	state := escapeTrunc(p.State, 100)
	if d := commands.FormatDuration(p.Duration); state != "" {
		state += " · " + d
	} else {
		state = d
	}
	layout := layoutText(p.Layout)
	if r.ChosenLayout != "" && r.ChosenLayout != p.Layout {
		layout = layoutText(r.ChosenLayout) + ", showing " + layout
	}
	return []field{
		{"Meeting", escapeTrunc(meetingName(r.Meeting), 500)},
		{"Node", escapeTrunc(p.Node, 100)},
		{"Address", escapeTrunc(p.Address, 500)},
		{"State", state},
		{"Direction", escapeTrunc(p.Direction, 50)},
		{"Layout", layout},
		{"Audio", audioState(p.AudioMuted) + muteSuffix(r.TxAudioMuted, "hears nothing")},
		{"Video", videoState(p.VideoMuted) + muteSuffix(r.TxVideoMuted, "sees nothing")},
		{"Encryption", encryption(r)},
	}
}

func muteSuffix(muted bool, what string) string {
	if muted {
		return " · " + what
	}
	return ""
}

func encryption(r *commands.ParticipantResult) string {
	if !r.Encrypted {
		return "🔓 unencrypted"
	}
	if r.CipherSuite == "" {
		return "🔒 encrypted"
	}
	return "🔒 " + escapeTrunc(r.CipherSuite, 200)
}

// mediaFields are the rx/tx audio and video statistics, one field per stream.
func mediaFields(r *commands.ParticipantResult) []field {
	var fs []field
	if r.RxAudio != nil {
		fs = append(fs, field{"Audio in (rx)", audioStats(*r.RxAudio)})
	}
	if r.TxAudio != nil {
		fs = append(fs, field{"Audio out (tx)", audioStats(*r.TxAudio)})
	}
	for _, v := range r.RxVideo {
		fs = append(fs, field{"Video in (rx" + videoRole(v.Role) + ")", videoStats(v)})
	}
	for _, v := range r.TxVideo {
		fs = append(fs, field{"Video out (tx" + videoRole(v.Role) + ")", videoStats(v)})
	}
	return fs
}

func videoRole(role string) string {
	if role == "" {
		return ""
	}
	return ", " + escapeTrunc(role, 30)
}

func audioStats(a commands.AudioStats) string {
	parts := []string{codec(a.Codec), kbps(a.BitRate), loss(a.PacketLossPercentage), fmt.Sprintf("jitter %d ms", a.Jitter)}
	if a.RoundTripTime > 0 {
		parts = append(parts, fmt.Sprintf("RTT %d ms", a.RoundTripTime))
	}
	return strings.Join(parts, " · ")
}

func videoStats(v commands.VideoStats) string {
	parts := []string{codec(v.Codec)}
	if v.Width > 0 && v.Height > 0 {
		parts = append(parts, fmt.Sprintf("%d×%d", v.Width, v.Height))
	}
	parts = append(parts, fmt.Sprintf("%.0f fps", v.FrameRate), kbps(v.BitRate), loss(v.PacketLossPercentage),
		fmt.Sprintf("jitter %d ms", v.Jitter))
	if v.RoundTripTime > 0 {
		parts = append(parts, fmt.Sprintf("RTT %d ms", v.RoundTripTime))
	}
	return strings.Join(parts, " · ")
}

func codec(c string) string {
	if c == "" {
		return "unknown codec"
	}
	return escapeTrunc(c, 50)
}

func kbps(bitsPerSecond int) string { return fmt.Sprintf("%d kbps", bitsPerSecond/1000) }

func loss(pct float64) string { return fmt.Sprintf("loss %.1f %%", pct) }

// alarmNames turns CMS alarm element names into words.
func alarmNames(alarms []string) []string {
	known := map[string]string{
		"packetLoss":        "packet loss",
		"excessiveJitter":   "excessive jitter",
		"highRoundTripTime": "high round-trip time",
	}
	out := make([]string, 0, len(alarms))
	for _, a := range alarms[:min(len(alarms), maxListed)] {
		if w, ok := known[a]; ok {
			a = w
		}
		out = append(out, a)
	}
	return out
}

// renderAction is the outcome of a state-changing operation.
func renderAction(r *commands.ActionResult, o renderOpts) message {
	if r == nil {
		r = &commands.ActionResult{}
	}
	icon := "✅"
	switch {
	case len(r.Failed) > 0 && r.Updated == 0:
		icon = "❌"
	case len(r.Failed) > 0:
		icon = "⚠️"
	}
	summary := r.Summary
	if summary == "" {
		summary = "Done."
	}
	text := icon + " " + escapeTrunc(summary, 1000)
	blocks := []slack.Block{textSection(text)}
	if len(r.Changes) > 0 {
		blocks = append(blocks, textSection(changeLines(r.Changes)))
	}
	if len(r.Failed) > 0 {
		blocks = append(blocks, textSection("*Could not change:*\n"+legLines(r.Failed)))
	}
	if len(r.Gone) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", md("Left meanwhile:\n"+legLines(r.Gone), maxContextText)))
	}
	if idPattern.MatchString(r.Meeting.Correlator) {
		blocks = append(blocks, slack.NewActionBlock("nfmm_controls",
			button(actParticipants, "Participants", r.Meeting.Correlator)))
	}
	return message{Text: truncate(text, maxTopText), Blocks: blocks}
}

// changeLines lists before → after, capped with "and N more".
func changeLines(cs []commands.Change) string {
	lines := make([]string, 0, maxListed+1)
	for _, c := range cs[:min(len(cs), maxListed)] {
		lines = append(lines, "• "+bold(c.Subject, 150)+" "+escapeTrunc(c.Field, 50)+": "+
			escapeTrunc(c.Before, 50)+" → "+escapeTrunc(c.After, 50))
	}
	if rest := len(cs) - maxListed; rest > 0 {
		lines = append(lines, fmt.Sprintf("and %d more", rest))
	}
	return strings.Join(lines, "\n")
}

// legLines names legs with their node and reason, capped with "and N more".
func legLines(ls []commands.LegFailure) string {
	lines := make([]string, 0, maxListed+1)
	for _, l := range ls[:min(len(ls), maxListed)] {
		name := l.Name
		if strings.TrimSpace(name) == "" {
			name = l.LegID
		}
		line := "• " + bold(name, 150)
		if l.Node != "" {
			line += " (" + escapeTrunc(l.Node, 50) + ")"
		}
		if l.Reason != "" {
			line += ": " + escapeTrunc(l.Reason, 150)
		}
		lines = append(lines, line)
	}
	if rest := len(ls) - maxListed; rest > 0 {
		lines = append(lines, fmt.Sprintf("and %d more", rest))
	}
	return strings.Join(lines, "\n")
}

// renderStatus is the health of every node.
func renderStatus(r *commands.StatusResult, o renderOpts) message {
	if r == nil {
		r = &commands.StatusResult{}
	}
	up := 0
	for _, n := range r.Nodes {
		if n.Reachable {
			up++
		}
	}
	title := fmt.Sprintf("Cluster status · %d of %d nodes reachable", up, len(r.Nodes))
	blocks := []slack.Block{header(title)}
	if len(r.Nodes) == 0 {
		blocks = append(blocks, textSection("No nodes are configured."))
	}
	// One line per node (issue 16, friction 6), packed into as few sections as fit, so 24
	// nodes fit on a screen.
	var lines []string
	size := 0
	for _, n := range r.Nodes[:min(len(r.Nodes), maxStatusRows)] {
		line := statusLine(n, o)
		if size+len(line)+1 > maxSectionText-100 && len(lines) > 0 {
			blocks = append(blocks, textSection(strings.Join(lines, "\n")))
			lines, size = nil, 0
		}
		lines, size = append(lines, line), size+len(line)+1
	}
	if len(lines) > 0 {
		blocks = append(blocks, textSection(strings.Join(lines, "\n")))
	}
	if rest := len(r.Nodes) - maxStatusRows; rest > 0 {
		blocks = append(blocks, textSection(fmt.Sprintf("and %d more nodes", rest)))
	}
	blocks = append(blocks, slack.NewActionBlock("nfmm_controls", button(actRun, "Refresh", "status")))
	blocks = append(blocks, freshness(r.AsOf, o))
	return message{Text: title, Blocks: blocks}
}

// statusLine is nodeLine plus where its live state comes from (when not the Events API) and
// its CDR receiver.
func statusLine(n commands.NodeHealth, o renderOpts) string {
	line := nodeLine(n, o)
	if live := commands.LiveText(n); live != "" && n.Live != "live" && n.Reachable {
		line += " · updates " + escapeTrunc(live, 100)
	}
	if c := commands.CDRText(n); c != "" {
		mark := "✅ "
		if n.CDR.State != "registered" {
			mark = "⚠️ "
		}
		line += " · CDR receiver " + mark + escapeTrunc(c, 600)
	}
	return line
}

// renderHelp is help as a new user needs it: what they are (viewer or operator) and how to
// share an answer, worked examples, then the commands grouped by what they are for, with Run
// buttons for the ones that need no argument.
func renderHelp(r *commands.HelpResult, o renderOpts) message {
	if r == nil {
		r = &commands.HelpResult{}
	}
	role := r.Role
	if role == commands.RoleNone {
		role = o.Role
	}
	title := "NFMM help"
	if r.Topic != "" {
		title += ": " + r.Topic
	}
	blocks := []slack.Block{header(title)}
	if who := commands.RoleSentence(role); who != "" && r.Topic == "" {
		blocks = append(blocks, textSection(escapeTrunc(who, 300)+
			" Only you see NFMM's answers; add `public` at the end (`/cms calls public`) to post one for the channel."))
	}
	if len(r.Examples) > 0 {
		lines := []string{"*Examples*"}
		for _, e := range r.Examples {
			lines = append(lines, helpCode("/cms "+e.Text)+"  "+escapeTrunc(e.What, 200))
		}
		blocks = append(blocks, textSection(strings.Join(lines, "\n")))
	}
	var entries []commands.HelpEntry
	for _, e := range r.Entries {
		if !e.Operator || role >= commands.RoleOperator {
			entries = append(entries, e)
		}
	}
	entries = entries[:min(len(entries), maxHelpRows)]
	for _, g := range commands.HelpEntriesByGroup(entries) {
		blocks = append(blocks, helpGroupBlocks(g, r.Topic != "")...)
	}
	if len(entries) == 0 {
		blocks = append(blocks, textSection("There is nothing you may run here."))
	}
	var foot []slack.MixedElement
	if r.Topic == "" && len(entries) > 0 {
		foot = append(foot, md("`/cms help <command>` shows one command.", maxContextText))
	}
	if r.Note != "" {
		foot = append(foot, plain(r.Note, maxContextText))
	}
	if len(foot) > 0 {
		blocks = append(blocks, slack.NewContextBlock("", foot...))
	}
	return message{Text: escapeTrunc(title, 200), Blocks: blocks}
}

// helpGroupBlocks is one group: its title and one line per command. A command that needs no
// argument gets a section of its own with a Run button (Slack allows one nfmm_run per block);
// the lines between such commands share one section. Help itself has no Run button: it is
// what is showing.
func helpGroupBlocks(g commands.HelpSection, topic bool) []slack.Block {
	var out []slack.Block
	var lines []string
	titleOnly := false // lines hold only the title, which may share the first command's section
	if g.Title != "" && !topic {
		titleOnly = true
		t := "*" + escapeTrunc(g.Title, 100) + "*"
		if g.For != "" {
			t += " · " + escapeTrunc(g.For, 200)
		}
		lines = append(lines, t)
	}
	flush := func(acc *slack.Accessory) {
		if len(lines) > 0 {
			out = append(out, slack.NewSectionBlock(md(strings.Join(lines, "\n"), maxSectionText), nil, acc))
		}
		lines = nil
	}
	for _, e := range g.Entries {
		line := helpCode(e.Usage)
		if e.Summary != "" {
			line += "  " + escapeTrunc(e.Summary, 500)
		}
		if runnable(e) {
			if !titleOnly {
				flush(nil)
			}
			lines = append(lines, line)
			flush(slack.NewAccessory(button(actRun, "Run "+e.Name, e.Name)))
			titleOnly = false
			continue
		}
		titleOnly = false
		if textLen(strings.Join(append(lines, line), "\n")) > maxSectionText {
			flush(nil)
		}
		lines = append(lines, line)
	}
	flush(nil)
	return out
}

// helpCode shows a command in a code span, escaped like any other text (a backtick would end
// the span early, so it becomes ').
func helpCode(s string) string {
	return "`" + escapeTrunc(strings.ReplaceAll(s, "`", "'"), 300) + "`"
}

// runnable reports whether a help entry can run with no argument (its usage has no <required>).
// Help is never: a "Run help" button on help would show the same message again.
func runnable(e commands.HelpEntry) bool {
	return e.Name != "" && e.Name != string(commands.OpHelp) && !strings.Contains(e.Usage, "<") &&
		len(e.Name) <= 50 && !strings.ContainsAny(e.Name, " |")
}

// renderReport is the scheduled report: unreachable nodes first (the news), then totals,
// per-node legs, the largest meetings and poor media.
func renderReport(r *commands.ReportResult, o renderOpts) message {
	if r == nil {
		r = &commands.ReportResult{}
	}
	summary := plural(r.Meetings, "meeting", "meetings") + " · " + plural(r.Participants, "participant", "participants")
	blocks := []slack.Block{header("NFMM report · " + summary)}
	if ub := unreachableBlock(r.Unreachable, o); ub != nil {
		blocks = append(blocks, ub)
	}
	nodes := make([]field, 0, len(r.Nodes))
	for _, n := range r.Nodes {
		v := "❌ unreachable"
		if n.Reachable {
			v = "✅ " + plural(n.ActiveLegs, "leg", "legs")
		}
		nodes = append(nodes, field{escapeTrunc(commands.QualifiedNode(n.Cluster, n.Node), 100), v})
	}
	for i := 0; i < len(nodes) && i < 3*maxFields; i += maxFields {
		blocks = append(blocks, slack.NewSectionBlock(nil, fieldList(nodes[i:]), nil))
	}
	if len(r.Largest) > 0 {
		blocks = append(blocks, textSection("*Largest meetings*"))
	}
	for _, m := range r.Largest[:min(len(r.Largest), maxListed)] {
		blocks = append(blocks, meetingSection(m))
	}
	blocks = append(blocks, poorMediaBlocks(r.PoorParticipants())...)
	blocks = append(blocks, freshness(r.AsOf, o, mediaCoverage(r)))
	text := "NFMM report: " + summary
	if len(r.Unreachable) > 0 {
		text += " · " + plural(len(r.Unreachable), "node", "nodes") + " unreachable"
	}
	return message{Text: text, Blocks: blocks}
}

// poorMediaBlocks lists the participants with poor media, worst first: one line each (its
// worst stream, and how many more are poor) with a Details button, capped with "and N more".
func poorMediaBlocks(ps []commands.PoorParticipant) []slack.Block {
	if len(ps) == 0 {
		return nil
	}
	blocks := []slack.Block{textSection(fmt.Sprintf("*Poor media* · %s (packet loss over %.0f %% or jitter over %d ms)",
		plural(len(ps), "participant", "participants"), commands.PoorLossPercent, commands.PoorJitterMs))}
	for _, p := range ps[:min(len(ps), maxListed)] {
		w := p.Worst
		line := fmt.Sprintf("%s in %s (%s) · %s: loss %.1f %%, jitter %d ms", bold(w.Participant, 150), bold(w.Meeting, 150),
			escapeTrunc(commands.QualifiedNode(w.Cluster, w.Node), 80), escapeTrunc(w.Stream, 50), w.LossPercent, w.JitterMs)
		if p.Streams > 1 {
			line += " · " + plural(p.Streams-1, "more stream", "more streams") + " poor"
		}
		var acc *slack.Accessory
		if ref := (legRef{Correlator: w.Correlator, Node: w.Node, LegID: w.LegID}); ref.valid() {
			acc = slack.NewAccessory(button(actDetails, "Details", ref.encode()))
		}
		blocks = append(blocks, slack.NewSectionBlock(md(line, maxSectionText), nil, acc))
	}
	if rest := len(ps) - maxListed; rest > 0 {
		blocks = append(blocks, textSection(fmt.Sprintf("and %d more", rest)))
	}
	return blocks
}

// mediaCoverage says which meetings the poor media covers: all of them, or which were not
// checked and why.
func mediaCoverage(r *commands.ReportResult) string {
	if len(r.MediaUnchecked) == 0 && r.RostersSkipped == 0 {
		return "media checked in all " + plural(r.RostersRead, "meeting", "meetings")
	}
	var why []string
	for _, f := range r.MediaUnchecked[:min(len(r.MediaUnchecked), 3)] {
		why = append(why, escapeTrunc(strings.TrimSuffix(f.Reason, "."), 150))
	}
	if rest := len(r.MediaUnchecked) - 3; rest > 0 {
		why = append(why, fmt.Sprintf("and %d more nodes", rest))
	}
	s := fmt.Sprintf("media checked in %d of %d meetings", r.RostersRead, r.RostersRead+r.RostersSkipped)
	if len(why) > 0 {
		s += "; not checked where " + strings.Join(why, "; ")
	}
	return s
}
