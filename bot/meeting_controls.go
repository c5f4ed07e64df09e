package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// The roster's meeting controls (issue 14): a "Meeting ▾" select (mute/unmute all, lock,
// record, stream, banner), a "Layout for all" select, a red "End meeting" with a confirm
// dialog, Admit buttons for lobby participants, and the find results. Only operators get them;
// every click is re-checked by commands. Self-contained so the roster rows can change around it.

const (
	actMeeting   = "nfmm_meeting"    // static_select "Meeting ▾"; selected value: <choice>|<correlator> (several clusters: <choice>, block_id: meetingBlockID)
	actLayoutAll = "nfmm_layout_all" // static_select; selected value: correlator|layout (several clusters: layout, block_id: meetingBlockID)
	actEnd       = "nfmm_end"        // danger button with a confirm dialog; value: correlator
	actAdmit     = "nfmm_admit"      // button; value: legRef.encode()

	viewBanner     = "nfmm_banner_modal" // private_metadata: origin
	blockBanner    = "banner"
	elemBanner     = "banner_input"
	blockPosition  = "banner_position"
	elemPosition   = "banner_position_select"
	blockDuration  = "banner_duration"
	elemDuration   = "banner_duration_select"
	bannerMaxInput = 200
)

// meeting menu choices: the select's option value is "<choice>|<correlator>".
const (
	choiceMuteAll   = "muteall"
	choiceUnmuteAll = "unmuteall"
	choiceLock      = "lock"
	choiceUnlock    = "unlock"
	choiceRecordOn  = "record_on"
	choiceRecordOff = "record_off"
	choiceStreamOn  = "stream_on"
	choiceStreamOff = "stream_off"
	choiceBanner    = "banner"
	choiceBannerOff = "banner_off"
)

// choiceCommand is the command a menu choice runs (banner opens the modal instead).
func choiceCommand(choice, corr string) (commands.Command, bool) {
	c := commands.Command{Meeting: corr}
	switch choice {
	case choiceMuteAll:
		c.Op = commands.OpMuteAll
	case choiceUnmuteAll:
		c.Op = commands.OpUnmuteAll
	case choiceLock:
		c.Op = commands.OpLock
	case choiceUnlock:
		c.Op = commands.OpUnlock
	case choiceRecordOn, choiceRecordOff:
		c.Op, c.Off = commands.OpRecord, choice == choiceRecordOff
	case choiceStreamOn, choiceStreamOff:
		c.Op, c.Off = commands.OpStream, choice == choiceStreamOff
	case choiceBannerOff:
		c.Op, c.Off = commands.OpBanner, true
	default:
		return commands.Command{}, false
	}
	return c, true
}

// decodeChoice reads a Meeting ▾ option: "<choice>|<correlator>", or with several clusters
// "<choice>" in the block meetingBlockID names.
func decodeChoice(v, blockID string) (choice, corr string, ok bool) {
	choice, corr, found := strings.Cut(v, "|")
	if !found {
		corr, found = meetingOfBlock(blockID)
	}
	if !found || !idPattern.MatchString(corr) {
		return "", "", false
	}
	return choice, corr, true
}

// decodeLayoutAll reads a Layout for all option: "<correlator>|<layout>", or with several
// clusters "<layout>" in the block meetingBlockID names.
func decodeLayoutAll(v, blockID string) (corr, layout string, ok bool) {
	corr, layout, found := strings.Cut(v, "|")
	if !found {
		layout = v
		corr, found = meetingOfBlock(blockID)
	}
	if !found || !idPattern.MatchString(corr) || layout == "" || len(layout) > 64 {
		return "", "", false
	}
	return corr, layout, true
}

// meetingMenu is the operator's meeting controls for the roster: the Meeting ▾ select, layout for
// all and end. Viewers get none. With several clusters (inBlock) the selects' options leave the
// correlator to the block (meetingBlockID): with the cluster it would not fit an option value.
func meetingMenu(m commands.MeetingSummary, op, inBlock bool) []slack.BlockElement {
	corr := m.Correlator
	if !op || !idPattern.MatchString(corr) {
		return nil
	}
	st := m.State
	opt := func(choice, label string) *slack.OptionBlockObject {
		if inBlock {
			return slack.NewOptionBlockObject(choice, plain(label, maxOptionText), nil)
		}
		return slack.NewOptionBlockObject(choice+"|"+corr, plain(label, maxOptionText), nil)
	}
	opts := []*slack.OptionBlockObject{opt(choiceMuteAll, "🔇 Mute all"), opt(choiceUnmuteAll, "🎤 Unmute all")}
	if st.Locked {
		opts = append(opts, opt(choiceUnlock, "🔓 Unlock"))
	} else {
		opts = append(opts, opt(choiceLock, "🔒 Lock"))
	}
	if st.Recording {
		opts = append(opts, opt(choiceRecordOff, "⏹ Stop recording"))
	} else {
		opts = append(opts, opt(choiceRecordOn, "⏺ Record"))
	}
	if st.Streaming {
		opts = append(opts, opt(choiceStreamOff, "⏹ Stop streaming"))
	} else {
		opts = append(opts, opt(choiceStreamOn, "📡 Stream"))
	}
	opts = append(opts, opt(choiceBanner, "💬 Banner…"))
	if st.Banner != "" {
		opts = append(opts, opt(choiceBannerOff, "Remove banner"))
	}
	// A static select, not an overflow: Slack caps an overflow at five options.
	menu := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Meeting ▾", maxPlaceholder), actMeeting, opts...)

	layouts := make([]*slack.OptionBlockObject, 0, len(layoutNames()))
	for _, l := range layoutNames() {
		v := corr + "|" + l
		if inBlock {
			v = l
		}
		layouts = append(layouts, layoutOption(v, l, ""))
	}
	layoutAll := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Layout for all", maxPlaceholder), actLayoutAll, layouts...)

	confirm := slack.NewConfirmationBlockObject(
		plain("End the meeting?", maxConfirmTitle),
		plain("End "+truncate(clean(meetingName(m)), 120)+" for everyone, on every node?", maxConfirmText),
		plain("End meeting", maxConfirmButton),
		plain("Cancel", maxConfirmButton),
	).WithStyle(slack.StyleDanger)
	end := button(actEnd, "End meeting", corr).WithStyle(slack.StyleDanger).WithConfirm(confirm)
	return []slack.BlockElement{menu, layoutAll, end}
}

// stateLine is the roster's and calls list's line of meeting state, "" when nothing is set.
func stateLine(m commands.MeetingSummary) string {
	return escapeTrunc(commands.StateMarks(m.State), 1000)
}

// lobbyAdmit is the Admit button of a participant waiting in the lobby (operators only).
func lobbyAdmit(p commands.ParticipantRow, m commands.MeetingSummary, op bool) *slack.ButtonBlockElement {
	ref := legRef{Correlator: m.Correlator, Node: p.Node, LegID: p.LegID}
	if !op || !p.Lobby || !ref.valid() {
		return nil
	}
	return button(actAdmit, "Admit", ref.encode()).WithStyle(slack.StylePrimary)
}

func (b *Bot) meetingActions() map[string]actionHandler {
	return map[string]actionHandler{
		actMeeting:   b.onMeetingMenu,
		actLayoutAll: b.onLayoutAll,
		actEnd:       b.onEnd,
		actAdmit:     b.onAdmit,
	}
}

func (b *Bot) onMeetingMenu(ctx context.Context, ia interaction, act slack.BlockAction) {
	choice, corr, ok := decodeChoice(act.SelectedOption.Value, act.BlockID)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	if choice == choiceBanner {
		b.openBanner(ctx, ia, corr)
		return
	}
	cmd, ok := choiceCommand(choice, corr)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	b.actOnRoster(ctx, ia, corr, cmd)
}

func (b *Bot) onLayoutAll(ctx context.Context, ia interaction, act slack.BlockAction) {
	corr, layout, ok := decodeLayoutAll(act.SelectedOption.Value, act.BlockID)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	b.actOnRoster(ctx, ia, corr, commands.Command{Op: commands.OpLayoutAll, Meeting: corr, Layout: layout})
}

func (b *Bot) onEnd(ctx context.Context, ia interaction, act slack.BlockAction) {
	corr, ok := decodeCorrelator(act.Value)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	b.actOnRoster(ctx, ia, corr, commands.Command{Op: commands.OpEnd, Meeting: corr})
}

func (b *Bot) onAdmit(ctx context.Context, ia interaction, act slack.BlockAction) {
	ref, err := decodeLegRef(act.Value)
	if err != nil {
		b.tell(ctx, ia, staleButton)
		return
	}
	b.actOnRoster(ctx, ia, ref.Correlator, commands.Command{Op: commands.OpAdmit, Meeting: ref.Correlator,
		Participant: ref.LegID, Node: ref.Node})
}

// openBanner opens the banner modal at once (the trigger_id dies 3 s after the click).
func (b *Bot) openBanner(ctx context.Context, ia interaction, corr string) {
	if b.refused(ctx, ia, commands.Command{Op: commands.OpBanner, Meeting: corr}) {
		return
	}
	v := bannerModal()
	v.PrivateMetadata = originOf(ia, corr).encode()
	stampView(&v, ia.actor.Cluster)
	if _, err := b.api.OpenViewContext(ctx, ia.triggerID, v); err != nil {
		b.log.Error("views.open failed", "view", viewBanner, "err", err)
		b.tell(ctx, ia, message{Text: "⚠️ Slack did not open the form in time. Please click again."})
	}
}

// bannerDurations are the modal's choices; exec's default (30 s) comes first.
var bannerDurations = []struct{ value, label string }{
	{"30", "30 seconds"}, {"10", "10 seconds"}, {"60", "1 minute"}, {"300", "5 minutes"}, {"permanent", "Until removed"},
}

func bannerModal() slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plain("Back at 10:15", maxPlaceholder), elemBanner)
	input.MaxLength = bannerMaxInput
	input.FocusOnLoad = true
	var positions []*slack.OptionBlockObject
	for _, p := range []string{"middle", "top", "bottom"} {
		positions = append(positions, slack.NewOptionBlockObject(p, plain(p, maxOptionText), nil))
	}
	pos := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Position", maxPlaceholder), elemPosition, positions...)
	pos.WithInitialOption(positions[0])
	var durations []*slack.OptionBlockObject
	for _, d := range bannerDurations {
		durations = append(durations, slack.NewOptionBlockObject(d.value, plain(d.label, maxOptionText), nil))
	}
	dur := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Duration", maxPlaceholder), elemDuration, durations...)
	dur.WithInitialOption(durations[0])
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: viewBanner,
		Title:      plain("Banner", maxViewTitle),
		Submit:     plain("Show", maxViewTitle),
		Close:      plain("Cancel", maxViewTitle),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			textSection("A message on every participant's screen (SIP endpoints)."),
			slack.NewInputBlock(blockBanner, plain("Text", maxInputLabel), nil, input),
			slack.NewInputBlock(blockPosition, plain("Position", maxInputLabel), nil, pos),
			slack.NewInputBlock(blockDuration, plain("Duration", maxInputLabel), nil, dur),
		}},
	}
}

// parseBannerSubmission reads the banner modal: the command, or per-block errors to show.
func parseBannerSubmission(v slack.View) (commands.Command, map[string]string) {
	text, _ := stateValue(v, blockBanner, elemBanner)
	pos, _ := stateValue(v, blockPosition, elemPosition)
	dur, _ := stateValue(v, blockDuration, elemDuration)
	if !idPattern.MatchString(v.PrivateMetadata) {
		return commands.Command{}, map[string]string{blockBanner: errExpired}
	}
	c := commands.Command{Op: commands.OpBanner, Meeting: v.PrivateMetadata, Text: strings.TrimSpace(text.Value),
		Position: pos.SelectedOption.Value, Duration: dur.SelectedOption.Value}
	if err := commands.Validate(c); err != nil {
		block := blockBanner
		switch {
		case strings.Contains(err.Error(), "position"):
			block = blockPosition
		case strings.Contains(err.Error(), "duration"):
			block = blockDuration
		}
		return commands.Command{}, map[string]string{block: commands.UserMessage(err)}
	}
	return c, nil
}

// renderFind is the find results: each participant with Details, and Mute for operators.
func renderFind(r *commands.FindResult, o renderOpts) message {
	op := o.Role >= commands.RoleOperator
	title := plural(len(r.Matches), "participant", "participants") + " matching “" + truncate(clean(r.Text), 60) + "”"
	blocks := []slack.Block{header(title)}
	if ub := unreachableBlock(r.Unreachable, o); ub != nil {
		blocks = append(blocks, ub)
	}
	if len(r.Matches) == 0 {
		blocks = append(blocks, textSection("No participant's name or address contains “"+escapeTrunc(r.Text, 200)+"”."))
	}
	for _, f := range r.Matches[:min(len(r.Matches), maxListed)] {
		line := bold(f.Name, 400)
		if f.Address != "" && f.Address != f.Name {
			line += " · " + escapeTrunc(f.Address, 400)
		}
		line += "\n" + escapeTrunc(f.Meeting, 300) + " · " + escapeTrunc(f.Node, 100) + " · " + audioState(f.AudioMuted)
		if f.Lobby {
			line += " · waiting in the lobby"
		}
		ref := legRef{Correlator: f.Correlator, Node: f.Node, LegID: f.LegID}
		if !ref.valid() {
			blocks = append(blocks, textSection(line))
			continue
		}
		elems := []slack.BlockElement{button(actDetails, "Details", ref.encode())}
		if op && !f.AudioMuted {
			elems = append(elems, button(actMuteAudio, "🔇 Mute", ref.encode()))
		}
		blocks = append(blocks, textSection(line), slack.NewActionBlock("", elems...))
	}
	blocks = append(blocks, freshness(r.AsOf, o))
	return message{Text: title, Blocks: blocks}
}

// candidateMessage turns an ambiguous participant in a typed command into buttons, one per
// candidate, each re-running the command with that candidate's leg id (and so re-checked
// like typed text). ok is false for any other error.
func candidateMessage(text string, err error) (message, bool) {
	var re *commands.RefError
	if !errors.As(err, &re) || !re.Ambiguous || re.Kind != "participant" || len(re.Matches) == 0 || !strings.Contains(text, re.Ref) {
		return message{}, false
	}
	m := renderError(err)
	n := 0
	for _, c := range re.Matches {
		run := strings.Replace(text, re.Ref, c.LegID, 1)
		if !idPattern.MatchString(c.LegID) || textLen(run) > maxValueRoom || n == 5 {
			continue
		}
		// One block each: Slack refuses the same action_id twice in a block.
		m.Blocks = append(m.Blocks, slack.NewActionBlock("", button(actRun, truncate(clean(c.Name), 40)+" ("+truncate(c.Node, 20)+")", run)))
		n++
	}
	stampBlocks(m.Blocks, re.Cluster) // the candidates are that cluster's (several clusters)
	return m, n > 0
}
