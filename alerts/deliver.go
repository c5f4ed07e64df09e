package alerts

import (
	"context"
	"errors"
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
		snap, d := a.clone(), a.Outbox[0]
		e.mu.Unlock()

		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		ch, ts, err := e.send(sendCtx, snap, d)
		cancel()

		e.mu.Lock()
		a = e.alerts[fp]
		if a == nil {
			e.mu.Unlock()
			return
		}
		e.dirty[fp] = true
		if err != nil {
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
				"delivery", string(d.Kind), "attempt", a.Attempts, "retry_in", wait, "err", err)
			return
		}
		if d.Kind == DeliverPost {
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

func (e *Evaluator) send(ctx context.Context, a Alert, d Delivery) (channel, ts string, err error) {
	switch d.Kind {
	case DeliverPost:
		return e.opts.Notifier.Post(ctx, a.Channel, a)
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
