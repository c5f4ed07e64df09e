package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
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

func (n alertNotifier) Post(ctx context.Context, channel string, a alerts.Alert, d alerts.Delivery) (string, string, error) {
	m := n.render(a)
	n.b.checkBeforePost("alert chat.postMessage", m)
	if err := n.b.pacer.wait(ctx, channel); err != nil {
		return "", "", err
	}
	opts := append(msgOptions(m), slack.MsgOptionMetadata(alertMetadata(metaAlert, a, d)))
	ch, ts, err := n.b.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", "", sendErr("chat.postMessage", err)
	}
	return ch, ts, nil
}

func (n alertNotifier) Update(ctx context.Context, channel, ts string, a alerts.Alert) error {
	m := n.render(a)
	n.b.checkBeforePost("alert chat.update", m)
	if _, _, _, err := n.b.api.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...); err != nil {
		return slackErr("chat.update", err)
	}
	return nil
}

// render is the alert's message; with several clusters its buttons name the alert's cluster.
func (n alertNotifier) render(a alerts.Alert) message {
	m := renderAlert(a, n.b.cfg.Now(), n.b.cfg.Location)
	if n.b.severalClusters() {
		stampBlocks(m.Blocks, a.Key.Cluster)
	}
	return m
}

func (n alertNotifier) Reply(ctx context.Context, channel, ts string, a alerts.Alert, d alerts.Delivery) error {
	text := alerts.ReplyText(a, d, func(u string) string { return "<@" + u + ">" })
	if err := n.b.pacer.wait(ctx, channel); err != nil {
		return err
	}
	_, _, err := n.b.api.PostMessageContext(ctx, channel, slack.MsgOptionText(escapeReply(text), false), slack.MsgOptionTS(ts),
		slack.MsgOptionMetadata(alertMetadata(metaReply, a, d)))
	if err != nil {
		return sendErr("chat.postMessage (thread)", err)
	}
	return nil
}

// The message metadata that tags an alert's messages (Slack message metadata: event_type and
// a free-form event_payload): the alert's fingerprint and the delivery's id, so a message
// whose answer was lost can be found in the channel rather than posted twice.
const (
	metaAlert = "nfmm_alert"       // the top-level message
	metaReply = "nfmm_alert_reply" // a line in its thread
)

func alertMetadata(eventType string, a alerts.Alert, d alerts.Delivery) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: eventType,
		EventPayload: map[string]any{"fingerprint": a.Fingerprint, "delivery": d.ID}}
}

// Find bounds: the look starts findSkew before the first attempt (clocks differ a little) and
// reads at most findPages pages of findPageSize messages.
const (
	findSkew     = time.Minute
	findPages    = 10
	findPageSize = 100
)

// Find looks for a post (conversations.history) or a reply (conversations.replies) an earlier
// attempt may have stored, by its metadata, from shortly before that attempt on.
func (n alertNotifier) Find(ctx context.Context, channel, ts string, a alerts.Alert, d alerts.Delivery) (string, string, bool, error) {
	if !channelIDPattern.MatchString(channel) {
		return "", "", false, fmt.Errorf("%w: channel %q is given by name; the history can only be read by channel id (give NFMM_ALERT_CHANNEL/ROUTES as an id)",
			alerts.ErrCannotFind, channel)
	}
	method, want := "conversations.history", metaAlert
	if d.Kind == alerts.DeliverReply {
		method, want = "conversations.replies", metaReply
	}
	oldest := slackTS(d.Sent.Add(-findSkew))
	cursor := ""
	for range findPages {
		var msgs []slack.Message
		var more bool
		var err error
		if d.Kind == alerts.DeliverReply {
			msgs, more, cursor, err = n.b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: ts, Oldest: oldest, Inclusive: true, Cursor: cursor, Limit: findPageSize,
				IncludeAllMetadata: true})
		} else {
			var resp *slack.GetConversationHistoryResponse
			resp, err = n.b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: oldest, Inclusive: true, Cursor: cursor, Limit: findPageSize, IncludeAllMetadata: true})
			if resp != nil {
				msgs, more, cursor = resp.Messages, resp.HasMore, resp.ResponseMetaData.NextCursor
			}
		}
		if err != nil {
			return "", "", false, findErr(method, err)
		}
		for _, m := range msgs {
			p := m.Metadata.EventPayload
			if m.Metadata.EventType == want && p["fingerprint"] == a.Fingerprint && p["delivery"] == d.ID {
				return channel, m.Timestamp, true, nil
			}
		}
		if !more || cursor == "" {
			return "", "", false, nil
		}
	}
	return "", "", false, fmt.Errorf("%w: more than %d messages since the first attempt", alerts.ErrCannotFind, findPages*findPageSize)
}

var channelIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// slackTS writes t as a Slack timestamp (seconds.micros).
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// findErr: a missing history scope or a channel the bot is not in means the look cannot work
// at all (ErrCannotFind, so the evaluator sends again and warns); anything else is retried.
func findErr(method string, err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "missing_scope":
			return fmt.Errorf("%w: %s needs the bot scope channels:history (groups:history for private channels); add it to the Slack app and reinstall: %w",
				alerts.ErrCannotFind, method, err)
		case "not_in_channel", "channel_not_found":
			return fmt.Errorf("%w: %s: the bot cannot read this channel's history; /invite @nfmm there: %w", alerts.ErrCannotFind, method, err)
		case "thread_not_found":
			return fmt.Errorf("%w: %s: the alert's message is gone: %w", alerts.ErrCannotFind, method, err)
		}
	}
	return slackErr(method, err)
}

// sendErr tells a failure Slack answered (nothing stored) from one where the request may have
// reached Slack and only the answer was lost: a timeout, a connection closed or reset after the
// request was written, a 5xx. The second wraps alerts.ErrMaybeSent.
func sendErr(method string, err error) error {
	if !maybeStored(err) {
		return slackErr(method, err)
	}
	return fmt.Errorf("%s: %w: %w", method, alerts.ErrMaybeSent, err)
}

func maybeStored(err error) bool {
	var rl *slack.RateLimitedError
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	var op *net.OpError
	switch {
	case errors.As(err, &rl), errors.As(err, &se):
		return false // Slack answered
	case errors.As(err, &sc):
		return sc.Code >= 500
	case errors.As(err, &op) && op.Op == "dial":
		return false // never connected
	}
	return true
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
