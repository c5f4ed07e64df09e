package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// A roster row's overflow menu (issue 16, "a roster people can read"). Slack allows at most
// five options and no confirm per option, so the options carry only a choice (the leg is the
// actions block's block_id, the same legRef the primary button carries), the plain changes
// are handed to the handlers of the buttons they replace, and Layout & importance, Move and
// Disconnect open a modal: Disconnect's modal is its confirmation.

const actRowMenu = "nfmm_row" // overflow; selected value: a row choice; block_id: legRef.encode()

// Row menu choices (the overflow option values).
const (
	rowMuteAudio   = "mute_audio"
	rowUnmuteAudio = "unmute_audio"
	rowMuteVideo   = "mute_video"
	rowUnmuteVideo = "unmute_video"
	rowDetails     = "details"
	rowSettings    = "settings" // layout & importance modal
	rowMove        = "move"
	rowDisconnect  = "disconnect"
)

// rowButtonActions maps the choices that change something at once to the button whose handler
// runs them, so a choice is decoded and re-checked exactly like that button's click.
var rowButtonActions = map[string]string{
	rowMuteAudio:   actMuteAudio,
	rowUnmuteAudio: actUnmuteAudio,
	rowMuteVideo:   actMuteVideo,
	rowUnmuteVideo: actUnmuteVideo,
	rowDetails:     actDetails,
}

// rowOpensModal reports whether a choice opens a modal (its trigger_id dies 3 s after the
// click, so such clicks go to the urgent queue).
func rowOpensModal(choice string) bool {
	return choice == rowSettings || choice == rowMove || choice == rowDisconnect
}

// Row modals and their inputs.
const (
	viewRowSettings   = "nfmm_row_settings_modal" // private_metadata: rowMeta
	viewRowMove       = "nfmm_row_move_modal"
	viewRowDisconnect = "nfmm_row_disconnect_modal"
	blockRowLayout    = "row_layout"
	elemRowLayout     = "row_layout_select"
	blockImportance   = "row_importance"
	elemImportance    = "row_importance_input"
	blockMoveTo       = "row_move_to"
	elemMoveTo        = "row_move_to_select"
	maxMoveTargets    = maxOptions
)

// rowMenu is the overflow of an operator's row: everything but the primary control. In the
// lobby Admit is primary, so audio moves into the menu and layout & importance (which show
// only once admitted) leave it.
func rowMenu(p commands.ParticipantRow) *slack.OverflowBlockElement {
	var opts []*slack.OptionBlockObject
	opt := func(choice, label string) {
		opts = append(opts, slack.NewOptionBlockObject(choice, plain(label, maxOptionText), nil))
	}
	if p.Lobby {
		if p.AudioMuted {
			opt(rowUnmuteAudio, "🎤 Unmute audio")
		} else {
			opt(rowMuteAudio, "🔇 Mute audio")
		}
	}
	if p.VideoMuted {
		opt(rowUnmuteVideo, "📷 Start video")
	} else {
		opt(rowMuteVideo, "🚫 Stop video")
	}
	if !p.Lobby {
		opt(rowSettings, "🖼 Layout & importance…")
	}
	opt(rowMove, "➡️ Move to another meeting…")
	opt(rowDetails, "ℹ️ Details")
	opt(rowDisconnect, "⛔ Disconnect…")
	return slack.NewOverflowBlockElement(actRowMenu, opts...)
}

func (b *Bot) onRowMenu(ctx context.Context, ia interaction, act slack.BlockAction) {
	ref, err := decodeLegRef(act.BlockID)
	if err != nil {
		b.tell(ctx, ia, staleButton)
		return
	}
	choice := act.SelectedOption.Value
	if id, ok := rowButtonActions[choice]; ok {
		b.actions[id](ctx, ia, slack.BlockAction{ActionID: id, BlockID: act.BlockID, Value: ref.encode()})
		return
	}
	var op commands.Op
	switch choice {
	case rowSettings:
		op = commands.OpLayout
	case rowMove:
		op = commands.OpMove
	case rowDisconnect:
		op = commands.OpDisconnect
	default:
		b.tell(ctx, ia, staleButton)
		return
	}
	if b.refused(ctx, ia, commands.Command{Op: op, Meeting: ref.Correlator, Participant: ref.LegID, Node: ref.Node}) {
		return
	}
	b.openRowModal(ctx, ia, ref, choice)
}

// rowMeta is a row modal's private_metadata: where the click came from, and the leg.
type rowMeta struct {
	origin
	Node   string `json:"n"`
	LegID  string `json:"l"`
	Layout string `json:"ly,omitempty"` // the layout shown when the modal opened
}

func (m rowMeta) encode() string {
	raw, err := json.Marshal(m)
	if err != nil || len(raw) > maxPrivateMeta {
		m.ResponseURL = "" // an absurdly long response_url: the outcome then goes to the channel
		raw, _ = json.Marshal(m)
	}
	return string(raw)
}

func decodeRowMeta(s string) (rowMeta, legRef, error) {
	var m rowMeta
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return rowMeta{}, legRef{}, errBadRef
	}
	ref := legRef{Correlator: m.Correlator, Node: m.Node, LegID: m.LegID}
	if !ref.valid() || len(m.Layout) > 64 {
		return rowMeta{}, legRef{}, errBadRef
	}
	return m, ref, nil
}

// openRowModal opens a "loading" modal at once (the trigger_id cannot wait for CMS), reads the
// participant (and for Move the other meetings), then fills the modal in.
func (b *Bot) openRowModal(ctx context.Context, ia interaction, ref legRef, choice string) {
	title := map[string]string{rowSettings: "Layout & importance", rowMove: "Move participant", rowDisconnect: "Disconnect"}[choice]
	viewID, ok := b.openLoading(ctx, ia, choice, title, "Reading the participant…")
	if !ok {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, presenterLoadTimeout)
	defer cancel()
	v, err := b.rowModal(rctx, ia, ref, choice)
	if err != nil {
		v = loadingModal(title, "⚠️ "+escapeTrunc(commands.UserMessage(err), maxSectionText-4))
	}
	if _, uerr := b.api.UpdateViewContext(ctx, v, "", "", viewID); uerr != nil {
		b.log.Error("views.update failed", "view", choice, "err", uerr)
	}
	if err != nil && !isDenied(err) {
		b.refreshRoster(ctx, ia, ref.Correlator, "", "") // most likely they left: show the roster as it is
	}
}

func (b *Bot) rowModal(ctx context.Context, ia interaction, ref legRef, choice string) (slack.ModalViewRequest, error) {
	cmd := commands.Command{Op: commands.OpParticipant, Participant: ref.LegID, Node: ref.Node}
	res, err := b.svc.Execute(ctx, ia.actor, cmd)
	b.metrics.Command(string(cmd.Op), outcome(err))
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	pr, ok := res.(*commands.ParticipantResult)
	if !ok {
		return slack.ModalViewRequest{}, fmt.Errorf("participant read returned %T", res)
	}
	meta := rowMeta{origin: originOf(ia, ref.Correlator), Node: ref.Node, LegID: ref.LegID, Layout: pr.Participant.Layout}
	meta.Cluster = cmp.Or(meta.Cluster, pr.Cluster) // the participant's cluster, even from an unstamped click
	var v slack.ModalViewRequest
	switch choice {
	case rowSettings:
		v = rowSettingsModal(pr)
	case rowDisconnect:
		v = rowDisconnectModal(pr)
	default:
		cres, err := b.svc.Execute(ctx, ia.actor, commands.Command{Op: commands.OpCalls})
		b.metrics.Command(string(commands.OpCalls), outcome(err))
		if err != nil {
			return slack.ModalViewRequest{}, err
		}
		calls, _ := cres.(*commands.CallsResult)
		v = rowMoveModal(pr, ref.Correlator, calls)
	}
	if v.Submit != nil {
		v.PrivateMetadata = meta.encode()
		stampView(&v, meta.Cluster)
	}
	return v, nil
}

// rowWho is "*Alice* in *Board review*" for a modal's first line.
func rowWho(pr *commands.ParticipantResult) string {
	return bold(participantName(pr.Participant), 300) + " in " + bold(meetingName(pr.Meeting), 300)
}

func participantName(p commands.ParticipantRow) string {
	return cmp.Or(strings.TrimSpace(p.Name), p.Address, "this participant")
}

// rowSettingsModal offers the layout the participant sees (by human name, the current one
// marked and preselected) and their importance.
func rowSettingsModal(pr *commands.ParticipantResult) slack.ModalViewRequest {
	current := pr.Participant.Layout
	opts := make([]*slack.OptionBlockObject, 0, len(commands.Layouts()))
	var initial *slack.OptionBlockObject
	for _, l := range commands.Layouts() {
		o := layoutOption(l.API, l.API, current)
		opts = append(opts, o)
		if l.API == current {
			initial = o
		}
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a layout", maxPlaceholder), elemRowLayout, opts...)
	if initial != nil {
		sel.WithInitialOption(initial)
	}
	imp := slack.NewPlainTextInputBlockElement(plain("1 … 2147483647, or off", maxPlaceholder), elemImportance)
	imp.MaxLength = 10
	intro := rowWho(pr)
	if current != "" {
		intro += "\nSees " + layoutText(current) + " now."
	}
	layoutBlock := slack.NewInputBlock(blockRowLayout, plain("Layout", maxInputLabel), nil, sel)
	layoutBlock.Optional = true
	impBlock := slack.NewInputBlock(blockImportance, plain("Importance", maxInputLabel),
		plain("Higher keeps them on everyone's screen (CMS pane placement). Leave empty to keep it; off clears it.", maxInputLabel), imp)
	impBlock.Optional = true
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: viewRowSettings,
		Title:      plain("Layout & importance", maxViewTitle),
		Submit:     plain("Apply", maxViewTitle),
		Close:      plain("Cancel", maxViewTitle),
		Blocks:     slack.Blocks{BlockSet: []slack.Block{textSection(intro), layoutBlock, impBlock}},
	}
}

// rowDisconnectModal is Disconnect's confirmation.
func rowDisconnectModal(pr *commands.ParticipantResult) slack.ModalViewRequest {
	text := "Disconnect " + rowWho(pr) + "?"
	if a := pr.Participant.Address; a != "" && a != pr.Participant.Name {
		text += "\n" + escapeTrunc(a, 300)
	}
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: viewRowDisconnect,
		Title:      plain("Disconnect?", maxViewTitle),
		Submit:     plain("Disconnect", maxViewTitle),
		Close:      plain("Cancel", maxViewTitle),
		Blocks: slack.Blocks{BlockSet: []slack.Block{textSection(text),
			slack.NewContextBlock("", md("They leave the meeting on every screen at once and may dial in again.", maxContextText))}},
	}
}

// rowMoveModal lists the other active meetings, by name.
func rowMoveModal(pr *commands.ParticipantResult, from string, calls *commands.CallsResult) slack.ModalViewRequest {
	v := slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: viewRowMove,
		Title:      plain("Move participant", maxViewTitle),
		Close:      plain("Cancel", maxViewTitle),
	}
	var ms []commands.MeetingSummary
	if calls != nil {
		for _, m := range calls.Meetings {
			if !strings.EqualFold(m.Correlator, from) && idPattern.MatchString(m.Correlator) && len(m.Correlator) <= maxOptionRoom {
				ms = append(ms, m)
			}
		}
	}
	slices.SortStableFunc(ms, func(a, b commands.MeetingSummary) int { return strings.Compare(meetingName(a), meetingName(b)) })
	intro := textSection("Move " + rowWho(pr) + " to another meeting.")
	if len(ms) == 0 {
		v.Blocks.BlockSet = []slack.Block{intro, textSection("There is no other active meeting to move them to.")}
		return v
	}
	opts := make([]*slack.OptionBlockObject, 0, min(len(ms), maxMoveTargets))
	for _, m := range ms[:min(len(ms), maxMoveTargets)] {
		count := " · " + plural(m.Participants, "participant", "participants")
		label := truncate(clean(meetingName(m)), maxOptionText-textLen(count)) + count
		opts = append(opts, slack.NewOptionBlockObject(m.Correlator, plain(label, maxOptionText), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a meeting", maxPlaceholder), elemMoveTo, opts...)
	v.Submit = plain("Move", maxViewTitle)
	v.Blocks.BlockSet = []slack.Block{intro, slack.NewInputBlock(blockMoveTo, plain("Move to", maxInputLabel), nil, sel)}
	if rest := len(ms) - maxMoveTargets; rest > 0 {
		note := fmt.Sprintf("Showing %d of %d meetings. For another use `/cms move <participant> <meeting>`.", maxMoveTargets, len(ms))
		v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewContextBlock("", md(escapeEntities(note), maxContextText)))
	}
	return v
}

// rowSubmission validates a row modal (synchronously, no I/O) and returns the ack payload or
// the commands to run, each re-checked against the policy by commands.
func (b *Bot) rowSubmission(cb slack.InteractionCallback) (any, *job) {
	meta, ref, err := decodeRowMeta(cb.View.PrivateMetadata)
	if err != nil {
		b.log.Warn("row modal with unreadable metadata", "callback_id", truncate(cb.View.CallbackID, 64))
		return nil, nil
	}
	var (
		cmds []commands.Command
		errs map[string]string
	)
	leg := commands.Command{Meeting: ref.Correlator, Participant: ref.LegID, Node: ref.Node}
	switch cb.View.CallbackID {
	case viewRowSettings:
		cmds, errs = parseRowSettings(cb.View, meta, leg)
	case viewRowMove:
		a, _ := stateValue(cb.View, blockMoveTo, elemMoveTo)
		target := a.SelectedOption.Value
		if !idPattern.MatchString(target) {
			return errorsResponse(map[string]string{blockMoveTo: "Choose a meeting."}), nil
		}
		c := leg
		c.Op, c.Meeting = commands.OpMove, target // move's meeting is where the participant goes
		cmds = []commands.Command{c}
	case viewRowDisconnect:
		c := leg
		c.Op = commands.OpDisconnect
		cmds = []commands.Command{c}
	default:
		return nil, nil
	}
	if len(errs) > 0 {
		return errorsResponse(errs), nil
	}
	ia := meta.interaction(cb.User.ID)
	j := b.userJob(cb.View.CallbackID, ia, func(ctx context.Context, ia interaction) {
		for _, c := range cmds {
			b.actOnRoster(ctx, ia, ref.Correlator, c)
		}
	})
	return nil, &j
}

// parseRowSettings turns the layout & importance modal into the commands it asks for: a layout
// when it differs from the one shown, an importance when one was typed.
func parseRowSettings(v slack.View, meta rowMeta, leg commands.Command) ([]commands.Command, map[string]string) {
	var cmds []commands.Command
	if a, _ := stateValue(v, blockRowLayout, elemRowLayout); a.SelectedOption.Value != "" && a.SelectedOption.Value != meta.Layout {
		c := leg
		c.Op, c.Layout = commands.OpLayout, a.SelectedOption.Value
		if err := commands.Validate(c); err != nil {
			return nil, map[string]string{blockRowLayout: "Choose one of the layouts listed."}
		}
		cmds = append(cmds, c)
	}
	a, _ := stateValue(v, blockImportance, elemImportance)
	if text := strings.TrimSpace(a.Value); text != "" {
		c := leg
		c.Op = commands.OpImportance
		if strings.EqualFold(text, "off") {
			c.Off = true
		} else if n, err := strconv.ParseInt(text, 10, 64); err == nil && n >= 1 && n <= math.MaxInt32 {
			c.Importance = int(n)
		} else {
			return nil, map[string]string{blockImportance: fmt.Sprintf("Enter a whole number from 1 to %d, or off.", math.MaxInt32)}
		}
		cmds = append(cmds, c)
	}
	if len(cmds) == 0 {
		return nil, map[string]string{blockRowLayout: "Nothing to change: choose another layout or enter an importance."}
	}
	return cmds, nil
}
