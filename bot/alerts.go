package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// AlertBook is the part of alerts.Evaluator the bot uses (consumer-side).
type AlertBook interface {
	Active() []alerts.Alert
	Get(fp string) (alerts.Alert, bool)
	Ack(ctx context.Context, user, channel, fp string) (alerts.Alert, error)
	Silence(ctx context.Context, user, channel, fp string, d time.Duration) (alerts.Alert, error)
}

// Action ids of the alert message's buttons; the value is the alert's fingerprint.
const (
	actAlertAck       = "nfmm_alert_ack"
	actAlertSilence1h = "nfmm_alert_silence_1h"
	actAlertSilence4h = "nfmm_alert_silence_4h"
	actAlertSilenceRe = "nfmm_alert_silence_resolved"
	actAlertDetails   = "nfmm_alert_details"
)

var fingerprintPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// SetAlerts attaches the alert evaluator: the alert buttons and the Home tab use it (`/cms
// alerts` reads it through the command service: commands.Service.SetAlerts). Call it before Run.
func (b *Bot) SetAlerts(book AlertBook) { b.alerts = book }

// AlertNotifier delivers alerts through this bot's Slack client. It does not retry: the
// evaluator keeps the notification queued and retries with backoff, so a 429 or a timeout
// neither loses nor repeats it.
func (b *Bot) AlertNotifier() alerts.Notifier { return alertNotifier{b} }

type alertNotifier struct{ b *Bot }

// rateLimited carries Slack's Retry-After to the evaluator's backoff.
type rateLimited struct{ err *slack.RateLimitedError }

func (r rateLimited) Error() string             { return r.err.Error() }
func (r rateLimited) Unwrap() error             { return r.err }
func (r rateLimited) RetryAfter() time.Duration { return r.err.RetryAfter }

func slackErr(method string, err error) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return fmt.Errorf("%s: %w", method, rateLimited{rl})
	}
	return fmt.Errorf("%s: %w", method, err)
}

func (n alertNotifier) Post(ctx context.Context, channel string, a alerts.Alert) (string, string, error) {
	m := renderAlert(a, n.b.cfg.Now(), n.b.cfg.Location)
	n.b.checkBeforePost("alert chat.postMessage", m)
	if err := n.b.pacer.wait(ctx, channel); err != nil {
		return "", "", err
	}
	ch, ts, err := n.b.api.PostMessageContext(ctx, channel, msgOptions(m)...)
	if err != nil {
		return "", "", slackErr("chat.postMessage", err)
	}
	return ch, ts, nil
}

func (n alertNotifier) Update(ctx context.Context, channel, ts string, a alerts.Alert) error {
	m := renderAlert(a, n.b.cfg.Now(), n.b.cfg.Location)
	n.b.checkBeforePost("alert chat.update", m)
	if _, _, _, err := n.b.api.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...); err != nil {
		return slackErr("chat.update", err)
	}
	return nil
}

func (n alertNotifier) Reply(ctx context.Context, channel, ts string, a alerts.Alert, d alerts.Delivery) error {
	text := alerts.ReplyText(a, d, func(u string) string { return "<@" + u + ">" })
	if err := n.b.pacer.wait(ctx, channel); err != nil {
		return err
	}
	_, _, err := n.b.api.PostMessageContext(ctx, channel, slack.MsgOptionText(escapeReply(text), false), slack.MsgOptionTS(ts))
	if err != nil {
		return slackErr("chat.postMessage (thread)", err)
	}
	return nil
}

// escapeReply escapes a reply's CMS-derived text but keeps the mentions ReplyText wrote.
func escapeReply(s string) string {
	var out strings.Builder
	for {
		i := strings.Index(s, "<@")
		if i < 0 {
			out.WriteString(escapeMrkdwn(s))
			return out.String()
		}
		j := strings.Index(s[i:], ">")
		if j < 0 || !userIDPattern.MatchString(s[i+2:i+j]) {
			out.WriteString(escapeMrkdwn(s[:i+2]))
			s = s[i+2:]
			continue
		}
		out.WriteString(escapeMrkdwn(s[:i]))
		out.WriteString(s[i : i+j+1])
		s = s[i+j+1:]
	}
}

var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{1,20}$`)

func (b *Bot) alertActions() map[string]actionHandler {
	return map[string]actionHandler{
		actAlertAck:       b.onAlertChange(0, true),
		actAlertSilence1h: b.onAlertChange(time.Hour, false),
		actAlertSilence4h: b.onAlertChange(4*time.Hour, false),
		actAlertSilenceRe: b.onAlertChange(0, false),
		actAlertDetails:   b.onAlertDetails,
	}
}

// onAlertChange handles Ack (ack) and the Silence buttons (d; 0 = until resolved). The role is
// re-checked on every click; the evaluator audits the change and updates the message.
func (b *Bot) onAlertChange(d time.Duration, ack bool) actionHandler {
	return func(ctx context.Context, ia interaction, act slack.BlockAction) {
		fp := act.Value
		if b.alerts == nil || !fingerprintPattern.MatchString(fp) {
			b.tell(ctx, ia, staleButton)
			return
		}
		kind := "alert_silence"
		if ack {
			kind = "alert_ack"
		}
		if b.svc.RoleOf(ia.actor) < commands.RoleOperator {
			b.metrics.Command(kind, "denied")
			b.log.Info("alert button refused", "user", ia.actor.UserID, "action", act.ActionID)
			b.tell(ctx, ia, message{Text: "⛔ Only NFMM operators may acknowledge or silence alerts; ask an admin to add your Slack user id (" +
				escapeMrkdwn(ia.actor.UserID) + ") to NFMM_OPERATORS."})
			return
		}
		var err error
		if ack {
			_, err = b.alerts.Ack(ctx, ia.actor.UserID, ia.actor.ChannelID, fp)
		} else {
			_, err = b.alerts.Silence(ctx, ia.actor.UserID, ia.actor.ChannelID, fp, d)
		}
		if err != nil {
			b.metrics.Command(kind, "error")
			b.tell(ctx, ia, message{Text: "⚠️ That alert is no longer active: nothing to acknowledge or silence."})
			return
		}
		b.metrics.Command(kind, "ok")
	}
}

// onAlertDetails opens the node status or the participant details, as the viewer may see them.
func (b *Bot) onAlertDetails(ctx context.Context, ia interaction, act slack.BlockAction) {
	fp := act.Value
	if b.alerts == nil || !fingerprintPattern.MatchString(fp) {
		b.tell(ctx, ia, staleButton)
		return
	}
	a, ok := b.alerts.Get(fp)
	if !ok {
		b.tell(ctx, ia, message{Text: "⚠️ That alert is gone; `/cms alerts` lists the active ones."})
		return
	}
	cmd := commands.Command{Op: commands.OpStatus}
	if a.Target.Leg != "" {
		cmd = commands.Command{Op: commands.OpParticipant, Participant: a.Target.Leg, Node: a.Target.Node}
	}
	cmd.Cluster = a.Key.Cluster // the alert's own cluster, whatever the channel's
	res, err := b.svc.Execute(ctx, ia.actor, cmd)
	b.metrics.Command(string(cmd.Op), outcome(err))
	if err != nil {
		b.replyError(ctx, ia, err)
		return
	}
	b.tell(ctx, ia, render(res, b.opts(ia.actor, 0, "")))
}
