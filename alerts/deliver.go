package alerts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// RetryAfterError is a delivery failure that says when to try again (Slack's 429).
type RetryAfterError interface {
	error
	RetryAfter() time.Duration
}

// Deliver sends the queued notifications of every alert whose retry time has come, in order.
// A failure stops that alert's queue until its backoff passes; the notification stays queued,
// so nothing is lost, and it leaves the queue only once sent, so nothing is sent twice.
func (e *Evaluator) Deliver(ctx context.Context) {
	if e.opts.Notifier == nil {
		return
	}
	e.deliverM.Lock()
	defer e.deliverM.Unlock()
	now := e.opts.Clock()
	e.mu.Lock()
	var due []string
	for fp, a := range e.alerts {
		if len(a.Outbox) > 0 && !now.Before(a.NextAttempt) {
			due = append(due, fp)
		}
	}
	e.mu.Unlock()
	for _, fp := range due {
		e.deliverAlert(ctx, fp)
	}
}

// sendTimeout bounds one send that is already under way when ctx ends (shutdown, the end of
// a leadership term): it finishes and its result is stored, rather than being cut off after
// Slack may have accepted it, which would post it again on the next start.
const sendTimeout = 10 * time.Second

func (e *Evaluator) deliverAlert(ctx context.Context, fp string) {
	for ctx.Err() == nil { // no new send once ctx ends
		e.mu.Lock()
		a := e.alerts[fp]
		if a == nil || len(a.Outbox) == 0 {
			e.mu.Unlock()
			return
		}
		d := &a.Outbox[0]
		tagged := d.Kind != DeliverUpdate // chat.update is idempotent; posts and replies are not
		if tagged && d.ID == "" {
			d.ID, d.Sent = newDeliveryID(), e.opts.Clock()
		}
		look := tagged && d.MaybeSent
		persist := tagged && !d.MaybeSent
		if persist {
			// Stored before the send: a crash during it leaves the mark, so whoever carries
			// on looks for the message rather than posting it again.
			d.MaybeSent = true
			e.dirty[fp] = true
		}
		snap, dd := a.clone(), *d
		dd.MaybeSent = look
		e.mu.Unlock()
		if persist {
			e.save(context.WithoutCancel(ctx))
		}

		ch, ts, tried, err := e.attempt(ctx, snap, dd)

		e.mu.Lock()
		a = e.alerts[fp]
		if a == nil || len(a.Outbox) == 0 || a.Outbox[0].ID != dd.ID || a.Outbox[0].Kind != dd.Kind {
			e.mu.Unlock()
			return
		}
		e.dirty[fp] = true
		if err != nil {
			// A definite failure (Slack answered: 429, an error code) stored nothing; a lost
			// answer, or a failed look, leaves the doubt for the next attempt.
			a.Outbox[0].MaybeSent = tagged && (!tried || errors.Is(err, ErrMaybeSent))
			a.Attempts++
			wait := backoff(a.Attempts)
			var ra RetryAfterError
			if errors.As(err, &ra) && ra.RetryAfter() > 0 {
				wait = min(ra.RetryAfter(), maxBackoff)
			}
			a.NextAttempt = e.opts.Clock().Add(wait)
			e.mu.Unlock()
			e.opts.Metrics.AlertNotification("retry")
			e.opts.Logger.Warn("alerts: Slack delivery failed; will retry", "alert", fp, "kind", string(a.Key.Kind),
				"delivery", string(dd.Kind), "attempt", a.Attempts, "retry_in", wait, "err", err)
			return
		}
		if dd.Kind == DeliverPost {
			a.TS = ts
			if ch != "" {
				a.Channel = ch
			}
		}
		a.Outbox = a.Outbox[1:]
		a.Attempts, a.NextAttempt = 0, time.Time{}
		e.mu.Unlock()
		e.opts.Metrics.AlertNotification("ok")
	}
}

// attempt makes one delivery attempt. When an earlier attempt may have reached Slack
// (d.MaybeSent) it first looks for the message and adopts it if found. tried=false: the look
// failed and nothing was sent, so the doubt remains.
func (e *Evaluator) attempt(ctx context.Context, a Alert, d Delivery) (ch, ts string, tried bool, err error) {
	if d.MaybeSent {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		ch, ts, found, err := e.opts.Notifier.Find(lctx, a.Channel, a.TS, a, d)
		cancel()
		switch {
		case errors.Is(err, ErrCannotFind):
			e.opts.Logger.Warn("alerts: cannot check whether Slack stored an earlier attempt; sending it again, which may duplicate it",
				"alert", a.Fingerprint, "delivery", string(d.Kind), "channel", a.Channel, "err", err)
		case err != nil:
			return "", "", false, err
		case found:
			e.opts.Logger.Info("alerts: Slack had stored an attempt whose answer was lost; adopted it, not sent again",
				"alert", a.Fingerprint, "delivery", string(d.Kind), "channel", ch, "ts", ts)
			return ch, ts, true, nil
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	ch, ts, err = e.send(sctx, a, d)
	if err != nil && sctx.Err() != nil && !errors.Is(err, ErrMaybeSent) {
		err = fmt.Errorf("%w: %w", ErrMaybeSent, err) // cut off while under way
	}
	return ch, ts, true, err
}

// newDeliveryID is a random tag: unique across alerts, restarts and replicas.
func newDeliveryID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (e *Evaluator) send(ctx context.Context, a Alert, d Delivery) (channel, ts string, err error) {
	switch d.Kind {
	case DeliverPost:
		return e.opts.Notifier.Post(ctx, a.Channel, a, d)
	case DeliverUpdate:
		return "", "", e.opts.Notifier.Update(ctx, a.Channel, a.TS, a)
	default:
		return "", "", e.opts.Notifier.Reply(ctx, a.Channel, a.TS, a, d)
	}
}

// backoff doubles from 1 s up to maxBackoff.
func backoff(attempt int) time.Duration {
	d := time.Second
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}
