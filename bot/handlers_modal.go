package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// origin is what a modal's private_metadata carries: the meeting and where the click came from,
// so the outcome lands where the user was (the roster message, or privately in that channel).
// Slack returns private_metadata exactly as we set it; users cannot edit it.
type origin struct {
	Correlator  string `json:"c"`
	Channel     string `json:"ch,omitempty"`
	MessageTS   string `json:"ts,omitempty"`
	ResponseURL string `json:"u,omitempty"` // the click's response_url: valid 30 min, 5 uses
	Ephemeral   bool   `json:"e,omitempty"`
	Cluster     string `json:"cl,omitempty"` // the cluster of the message clicked, with several
}

func (o origin) encode() string {
	raw, err := json.Marshal(o)
	if err != nil || len(raw) > maxPrivateMeta {
		// An absurdly long response_url: keep only what must survive.
		raw, _ = json.Marshal(origin{Correlator: o.Correlator, Channel: o.Channel, Cluster: o.Cluster})
	}
	return string(raw)
}

func decodeOrigin(s string) (origin, error) {
	var o origin
	if err := json.Unmarshal([]byte(s), &o); err != nil {
		return origin{}, errBadRef
	}
	if _, ok := decodeCorrelator(o.Correlator); !ok {
		return origin{}, errBadRef
	}
	return o, nil
}

func (o origin) interaction(user string) interaction {
	return interaction{
		actor:       commands.Actor{UserID: user, ChannelID: o.Channel, Cluster: o.Cluster},
		responseURL: o.ResponseURL,
		channel:     o.Channel,
		messageTS:   o.MessageTS,
		ephemeral:   o.Ephemeral,
	}
}

func originOf(ia interaction, corr string) origin {
	return origin{Correlator: corr, Channel: ia.channel, MessageTS: ia.messageTS, ResponseURL: ia.responseURL, Ephemeral: ia.ephemeral,
		Cluster: ia.actor.Cluster}
}

// onAdd opens the add-participant modal at once: the trigger_id dies 3 s after the click.
func (b *Bot) onAdd(ctx context.Context, ia interaction, act slack.BlockAction) {
	corr, ok := decodeCorrelator(act.Value)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	if b.refused(ctx, ia, commands.Command{Op: commands.OpAdd, Meeting: corr}) {
		return
	}
	v := addModal(corr, "")
	v.PrivateMetadata = originOf(ia, corr).encode()
	stampView(&v, ia.actor.Cluster)
	if _, err := b.api.OpenViewContext(ctx, ia.triggerID, v); err != nil {
		b.log.Error("views.open failed", "view", viewAdd, "err", err)
		b.tell(ctx, ia, message{Text: "⚠️ Slack did not open the form in time. Please click again."})
	}
}

// refused checks the policy before a modal opens, so a viewer never sees a form they may not
// submit. A refusal goes through Execute so that it is audited like any other.
func (b *Bot) refused(ctx context.Context, ia interaction, cmd commands.Command) bool {
	if b.svc.Allowed(ia.actor, cmd.Op) == nil {
		return false
	}
	_, err := b.svc.Execute(ctx, ia.actor, cmd)
	if err == nil {
		// The policy changed between the two checks; the form is harmless, submission re-checks.
		return false
	}
	b.metrics.Command(string(cmd.Op), outcome(err))
	b.replyError(ctx, ia, err)
	return true
}

// presenterLoadTimeout bounds the roster read behind the presenter modal's loading view.
const presenterLoadTimeout = 10 * time.Second

// onPresenterOn opens a "loading" modal at once, reads the roster, then fills the modal in: the
// trigger_id cannot wait for CMS.
func (b *Bot) onPresenterOn(ctx context.Context, ia interaction, act slack.BlockAction) {
	corr, ok := decodeCorrelator(act.Value)
	if !ok {
		b.tell(ctx, ia, staleButton)
		return
	}
	if b.refused(ctx, ia, commands.Command{Op: commands.OpPresenter, Meeting: corr}) {
		return
	}
	viewID, ok := b.openLoading(ctx, ia, viewPresenter, "Presenter mode", "Reading the participants…")
	if !ok {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, presenterLoadTimeout)
	defer cancel()
	res, err := b.svc.Execute(rctx, ia.actor, commands.Command{Op: commands.OpCall, Meeting: corr})
	b.metrics.Command(string(commands.OpCall), outcome(err))
	var v slack.ModalViewRequest
	roster, isRoster := res.(*commands.RosterResult)
	switch {
	case err != nil:
		v = loadingModal("Presenter mode", "⚠️ "+escapeTrunc(commands.UserMessage(err), maxSectionText-4))
	case !isRoster:
		v = loadingModal("Presenter mode", "⚠️ Could not read the participants.")
	default:
		v = presenterModal(roster)
		o := originOf(ia, corr)
		o.Cluster = cmp.Or(o.Cluster, roster.Cluster) // the roster's cluster, even from an unstamped click
		v.PrivateMetadata = o.encode()
		stampView(&v, o.Cluster)
	}
	if _, err := b.api.UpdateViewContext(ctx, v, "", "", viewID); err != nil {
		b.log.Error("views.update failed", "view", viewPresenter, "err", err)
	}
}

// openLoading opens a "loading" modal at once, while the trigger_id is alive, for the caller
// to fill in with views.update; it tells the user when Slack would not open it.
func (b *Bot) openLoading(ctx context.Context, ia interaction, view, title, text string) (string, bool) {
	resp, err := b.api.OpenViewContext(ctx, ia.triggerID, loadingModal(title, text))
	if err != nil {
		b.log.Error("views.open failed", "view", view, "err", err)
		b.tell(ctx, ia, message{Text: "⚠️ Slack did not open the form in time. Please click again."})
		return "", false
	}
	return resp.View.ID, true
}

// loadingModal is a modal without inputs: a placeholder while CMS answers, or an error.
func loadingModal(title, text string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: "nfmm_loading",
		Title:      slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Close:      slack.NewTextBlockObject(slack.PlainTextType, "Close", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil),
		}},
	}
}

// viewSubmission validates a modal synchronously (it runs in the read loop, so it does no I/O)
// and returns the ack payload plus the work to run when the input is valid.
func (b *Bot) viewSubmission(cb slack.InteractionCallback) (any, *job) {
	o, err := decodeOrigin(cb.View.PrivateMetadata)
	if err != nil {
		b.log.Warn("modal submission with unreadable metadata", "callback_id", truncate(cb.View.CallbackID, 64))
		return nil, nil
	}
	v := cb.View
	v.PrivateMetadata = o.Correlator // the renderer's parsers expect the bare correlator
	ia := o.interaction(cb.User.ID)
	var cmd commands.Command
	switch cb.View.CallbackID {
	case viewRowSettings, viewRowMove, viewRowDisconnect:
		return b.rowSubmission(cb)
	case viewAdd:
		corr, uri, errs := parseAddSubmission(v)
		if len(errs) > 0 {
			return errorsResponse(errs), nil
		}
		cmd = commands.Command{Op: commands.OpAdd, Meeting: corr, URI: uri}
	case viewPresenter:
		corr, legID, errs := parsePresenterSubmission(v)
		if len(errs) > 0 {
			return errorsResponse(errs), nil
		}
		cmd = commands.Command{Op: commands.OpPresenter, Meeting: corr, Participant: legID}
	case viewBanner:
		var errs map[string]string
		if cmd, errs = parseBannerSubmission(v); len(errs) > 0 {
			return errorsResponse(errs), nil
		}
	default:
		return nil, nil
	}
	j := b.userJob(cb.View.CallbackID, ia, func(ctx context.Context, ia interaction) {
		b.actOnRoster(ctx, ia, o.Correlator, cmd)
	})
	return nil, &j
}

func errorsResponse(errs map[string]string) *slack.ViewSubmissionResponse {
	return &slack.ViewSubmissionResponse{ResponseAction: slack.RAErrors, Errors: errs}
}
