package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// actionHandler handles one clicked element. Values in act are untrusted: decode, then let
// commands re-check the policy and re-resolve the ids.
type actionHandler func(ctx context.Context, ia interaction, act slack.BlockAction)

// staleButton is the answer to a value that does not decode (tampered, or from an old version).
var staleButton = message{Text: "⚠️ That button is no longer valid. Run the command again for fresh controls."}

func (b *Bot) actionHandlers() map[string]actionHandler {
	hs := map[string]actionHandler{
		actParticipants: b.onParticipants,
		actRefresh:      b.onRefresh,
		actPage:         b.onPage,
		actRun:          b.onRun,
		actMuteAudio:    b.legAction(commands.OpMute, commands.MediaAudio),
		actUnmuteAudio:  b.legAction(commands.OpUnmute, commands.MediaAudio),
		actMuteVideo:    b.legAction(commands.OpMute, commands.MediaVideo),
		actUnmuteVideo:  b.legAction(commands.OpUnmute, commands.MediaVideo),
		actDisconnect:   b.legAction(commands.OpDisconnect, ""),
		actDetails:      b.onDetails,
		actLayout:       b.onLayout,
		actPresenterOff: b.onPresenterOff,
		actAdd:          b.onAdd,
		actPresenterOn:  b.onPresenterOn,
		actRowMenu:      b.onRowMenu,
	}
	maps.Copy(hs, b.meetingActions())
	for i := range maxClusterChoices {
		hs[clusterRunAction(i)] = b.onRun
	}
	return hs
}

// blockActionJob turns one clicked element into a job and picks its queue: clicks that open a
// modal go to the urgent pool because their trigger_id expires 3 s after the click.
func (b *Bot) blockActionJob(cb slack.InteractionCallback, act slack.BlockAction) (job, chan job) {
	ia := interaction{
		actor:       commands.Actor{UserID: cb.User.ID, ChannelID: firstNonEmpty(cb.Channel.ID, cb.Container.ChannelID)},
		responseURL: cb.ResponseURL,
		channel:     firstNonEmpty(cb.Container.ChannelID, cb.Channel.ID),
		messageTS:   firstNonEmpty(cb.Container.MessageTs, cb.Message.Timestamp),
		ephemeral:   cb.Container.IsEphemeral,
		triggerID:   cb.TriggerID,
	}
	if ia.channel == "" && cb.View.Type == slack.VTHomeTab { // a click in the App Home: answer in its DM
		ia.channel = b.live.homeChannel(cb.User.ID)
	}
	// The cluster of the message clicked (clusters.go): the value's, else the block's, else
	// (a click inside a modal) its origin's. Handlers see the values their encoders made.
	var valueCluster, optionCluster, blockCluster string
	valueCluster, act.Value = unstamp(act.Value)
	optionCluster, act.SelectedOption.Value = unstamp(act.SelectedOption.Value)
	blockCluster, act.BlockID = unstampID(act.BlockID)
	ia.actor.Cluster = cmp.Or(valueCluster, optionCluster, blockCluster)
	if o, err := decodeOrigin(cb.View.PrivateMetadata); ia.actor.Cluster == "" && err == nil {
		ia.actor.Cluster = o.Cluster
	}
	h, ok := b.actions[act.ActionID]
	if !ok {
		return job{kind: "unknown_action", ia: ia, run: func(context.Context) {
			b.log.Warn("click on an unknown action", "action_id", truncate(act.ActionID, 64), "user", ia.actor.UserID)
		}}, b.jobs
	}
	if err := b.knownCluster(ia.actor.Cluster); err != nil {
		// A cluster renamed or removed since the message was posted: say so, act nowhere.
		return b.userJob(act.ActionID, ia, func(ctx context.Context, ia interaction) {
			b.replyError(ctx, ia, err)
		}), b.jobs
	}
	q := b.jobs
	if act.ActionID == actAdd || act.ActionID == actPresenterOn || act.ActionID == actMeeting ||
		(act.ActionID == actRowMenu && rowOpensModal(act.SelectedOption.Value)) {
		q = b.urgent
	}
	return b.userJob(act.ActionID, ia, func(ctx context.Context, ia interaction) { h(ctx, ia, act) }), q
}

// blockActions are the clicked elements of a block_actions payload. slack-go files an action
// that has no block_id as an attachment action and drops its action_id; a payload built from
// an element's action_id and value alone is such a one, so it is read again from the raw
// JSON: its value names the cluster, and it acts like the click it copies.
func blockActions(cb slack.InteractionCallback, payload json.RawMessage) []slack.BlockAction {
	if len(cb.ActionCallback.AttachmentActions) > 0 {
		if _, acts, ok := parseBlockActions(payload); ok {
			return acts
		}
	}
	var out []slack.BlockAction
	for _, a := range cb.ActionCallback.BlockActions {
		if a != nil {
			out = append(out, *a)
		}
	}
	return out
}

// parseBlockActions reads a block_actions payload whose actions slack-go cannot tell apart:
// the payload without its actions, then each action as a block element's.
func parseBlockActions(payload json.RawMessage) (slack.InteractionCallback, []slack.BlockAction, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(payload, &fields) != nil {
		return slack.InteractionCallback{}, nil, false
	}
	rawActs := fields["actions"]
	delete(fields, "actions")
	rest, err := json.Marshal(fields)
	var cb slack.InteractionCallback
	if err != nil || json.Unmarshal(rest, &cb) != nil || cb.Type != slack.InteractionTypeBlockActions {
		return slack.InteractionCallback{}, nil, false
	}
	var acts []*slack.BlockAction
	if len(rawActs) > 0 && json.Unmarshal(rawActs, &acts) != nil {
		return slack.InteractionCallback{}, nil, false
	}
	var out []slack.BlockAction
	for _, a := range acts {
		if a != nil {
			out = append(out, *a)
		}
	}
	return cb, out, true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// decodeCorrelator accepts a correlator carried by a button (a CMS UUID).
func decodeCorrelator(s string) (string, bool) {
	if !idPattern.MatchString(s) {
		return "", false
	}
	return s, true
}

// navigate shows a new view of something (roster, details): in place when the click came from
// the actor's own ephemeral message, else as a new ephemeral message so a shared channel
// message is not changed for everyone by one person's browsing.
func (b *Bot) navigate(ctx context.Context, ia interaction, m message) {
	if ia.ephemeral {
		b.replace(ctx, ia, m)
		return
	}
	b.tell(ctx, ia, m)
}

func (b *Bot) onParticipants(ctx context.Context, ia interaction, act slack.BlockAction) {
	corr, ok := decodeCorrelator(act.Value)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	m, err := b.rosterMessage(ctx, ia.actor, corr, "", "")
	if err != nil {
		b.replyError(ctx, ia, err)
		return
	}
	b.navigate(ctx, ia, m)
}

func (b *Bot) onRefresh(ctx context.Context, ia interaction, act slack.BlockAction) {
	corr, ok := decodeCorrelator(act.Value)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	b.refreshRoster(ctx, ia, corr, "", "")
}

// mayRewrite reports whether the actor's click may change the message it came from for
// everyone who sees it: always for the actor's own ephemeral message, and for a shared channel
// message only when the actor is an operator. A shared roster is rendered for the role of
// whoever refreshed it, so a viewer's Refresh would strip the operator controls for everyone.
func (b *Bot) mayRewrite(ia interaction) bool {
	return ia.ephemeral || b.svc.RoleOf(ia.actor) >= commands.RoleOperator
}

func (b *Bot) onPage(ctx context.Context, ia interaction, act slack.BlockAction) {
	p, err := decodePageRef(act.Value)
	if err != nil {
		b.tell(ctx, ia, staleButton)
		return
	}
	var cmd commands.Command
	switch p.Kind {
	case "calls":
		// The value holds the list's arguments as typed (filter, --node): parse them again.
		c, err := commands.Parse("calls " + p.Filter)
		if err != nil || c.Op != commands.OpCalls {
			b.tell(ctx, ia, staleButton)
			return
		}
		cmd = commands.Command{Op: commands.OpCalls, Filter: c.Filter, Node: c.Node}
	case "roster":
		cmd = commands.Command{Op: commands.OpCall, Meeting: p.Filter}
	case pageKindHistory:
		if cmd, err = commands.Parse("history " + p.Filter); err != nil {
			b.tell(ctx, ia, staleButton)
			return
		}
	case pageKindAudit:
		if cmd, err = commands.Parse("audit " + p.Filter); err != nil {
			b.tell(ctx, ia, staleButton)
			return
		}
	default:
		b.tell(ctx, ia, staleButton)
		return
	}
	res, err := b.svc.Execute(ctx, ia.actor, cmd)
	b.metrics.Command(string(cmd.Op), outcome(err))
	if err != nil {
		b.replyError(ctx, ia, err)
		return
	}
	// Paging is browsing: a shared list keeps its page for everyone else.
	b.navigate(ctx, ia, render(res, b.opts(ia.actor, p.Page, "")))
}

// onRun runs the command text a help/status/calls button carries, like a typed command. Any
// value the renderer can put in a button is accepted (a calls filter can be long).
func (b *Bot) onRun(ctx context.Context, ia interaction, act slack.BlockAction) {
	text := strings.TrimSpace(act.Value)
	if text == "" || textLen(text) > maxButtonValue {
		b.tell(ctx, ia, staleButton)
		return
	}
	if opName(text) == opSchedule { // answered by the bot itself, as when typed
		b.onSchedule(ctx, ia, false)
		return
	}
	res, err := b.svc.Run(ctx, ia.actor, text)
	b.metrics.Command(opName(text), outcome(err))
	if err != nil {
		b.replyError(ctx, ia, err)
		return
	}
	b.navigate(ctx, ia, render(res, b.opts(ia.actor, 0, "")))
}

// legAction handles a participant button whose value is a legRef.
func (b *Bot) legAction(op commands.Op, media commands.Media) actionHandler {
	return func(ctx context.Context, ia interaction, act slack.BlockAction) {
		ref, err := decodeLegRef(act.Value)
		if err != nil {
			b.tell(ctx, ia, staleButton)
			return
		}
		// Meeting lets commands refuse a leg that is not in the roster's meeting.
		cmd := commands.Command{Op: op, Meeting: ref.Correlator, Participant: ref.LegID, Node: ref.Node, Media: media}
		b.actOnRoster(ctx, ia, ref.Correlator, cmd)
	}
}

func (b *Bot) onLayout(ctx context.Context, ia interaction, act slack.BlockAction) {
	ref, err := decodeLegRef(act.BlockID)
	layout := act.SelectedOption.Value
	if err != nil || layout == "" || len(layout) > 64 {
		b.tell(ctx, ia, staleButton)
		return
	}
	cmd := commands.Command{Op: commands.OpLayout, Meeting: ref.Correlator, Participant: ref.LegID, Node: ref.Node, Layout: layout}
	b.actOnRoster(ctx, ia, ref.Correlator, cmd)
}

func (b *Bot) onDetails(ctx context.Context, ia interaction, act slack.BlockAction) {
	ref, err := decodeLegRef(act.Value)
	if err != nil {
		b.tell(ctx, ia, staleButton)
		return
	}
	cmd := commands.Command{Op: commands.OpParticipant, Participant: ref.LegID, Node: ref.Node}
	res, err := b.svc.Execute(ctx, ia.actor, cmd)
	b.metrics.Command(string(cmd.Op), outcome(err))
	if err != nil {
		b.replyError(ctx, ia, err)
		if !isDenied(err) {
			// Most likely the participant left: show the roster as it is now.
			b.refreshRoster(ctx, ia, ref.Correlator, "", "")
		}
		return
	}
	b.navigate(ctx, ia, render(res, b.opts(ia.actor, 0, "")))
}

func (b *Bot) onPresenterOff(ctx context.Context, ia interaction, act slack.BlockAction) {
	corr, ok := decodeCorrelator(act.Value)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	b.actOnRoster(ctx, ia, corr, commands.Command{Op: commands.OpPresenter, Meeting: corr, Off: true})
}

// actOnRoster runs a state-changing command from a roster control, then shows the roster as it
// is now, with a note saying who did what. Problems go privately to the actor.
func (b *Bot) actOnRoster(ctx context.Context, ia interaction, corr string, cmd commands.Command) {
	// Execute checks the policy for this user now (and audits a refusal); nothing is trusted
	// from the message the button sat in.
	res, err := b.svc.Execute(ctx, ia.actor, cmd)
	b.metrics.Command(string(cmd.Op), outcome(err))
	if err != nil {
		b.replyError(ctx, ia, err)
		if !isDenied(err) {
			b.refreshRoster(ctx, ia, corr, "", cmd.Participant)
		}
		return
	}
	ar, _ := res.(*commands.ActionResult)
	b.refreshRoster(ctx, ia, corr, b.note(ia.actor, cmd, ar), cmd.Participant)
	if ar != nil && (len(ar.Failed) > 0 || len(ar.Gone) > 0) {
		b.tell(ctx, ia, render(ar, b.opts(ia.actor, 0, "")))
	}
}

// refreshRoster re-reads the meeting and replaces the roster message, on the page that shows
// focusLeg when one is given. A refusal, and anything a click may not rewrite for everyone
// (see mayRewrite), goes to the actor alone.
func (b *Bot) refreshRoster(ctx context.Context, ia interaction, corr, note, focusLeg string) {
	m, err := b.rosterMessage(ctx, ia.actor, corr, note, focusLeg)
	switch {
	case err != nil && (isDenied(err) || !b.mayRewrite(ia)):
		b.replyError(ctx, ia, err)
	case err != nil:
		// The meeting ended or CMS is unreachable: say so in place of the stale roster.
		b.replace(ctx, ia, renderError(err))
	case b.mayRewrite(ia):
		b.replace(ctx, ia, m)
	default:
		b.tell(ctx, ia, m)
	}
}

func (b *Bot) rosterMessage(ctx context.Context, a commands.Actor, corr, note, focusLeg string) (message, error) {
	res, err := b.svc.Execute(ctx, a, commands.Command{Op: commands.OpCall, Meeting: corr})
	b.metrics.Command(string(commands.OpCall), outcome(err))
	if err != nil {
		return message{}, err
	}
	o := b.opts(a, 0, note)
	if rr, ok := res.(*commands.RosterResult); ok && focusLeg != "" {
		o.Page = rosterPageOf(rr, focusLeg) // the page that carries the clicked leg's controls
	}
	return render(res, o), nil
}

// note is the context line after an action: "<@U123> muted Alice · 14:02", the operation
// table's result sentence.
func (b *Bot) note(a commands.Actor, cmd commands.Command, ar *commands.ActionResult) string {
	who := ""
	if ar != nil {
		who = truncate(ar.Participant, 80)
	}
	if cmd.Op == commands.OpAdd {
		cmd.URI = truncate(cmd.URI, 80)
	}
	sn := commands.SentenceOf(cmd, who)
	if ar != nil && ar.Updated == 0 && len(ar.Changes) == 0 && len(ar.Failed) == 0 && sn.Already != "" {
		// Nothing changed (the audit says so too): never "muted X" for someone already muted.
		return fmt.Sprintf("<@%s>: %s · %s", a.UserID, escapeMrkdwn(sn.Already), b.clock())
	}
	return fmt.Sprintf("<@%s> %s · %s", a.UserID, escapeMrkdwn(sn.Done), b.clock())
}

func (b *Bot) clock() string { return b.cfg.Now().In(b.cfg.Location).Format("15:04") }
