package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// maxRetryAfter bounds how long one post waits on a 429 before giving up; Slack's Retry-After
// for chat.* is normally a few seconds.
const maxRetryAfter = 30 * time.Second

// pacer spaces new messages per channel: chat.postMessage allows about one message per second
// per channel (https://api.slack.com/docs/rate-limits), short bursts aside.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     map[string]time.Time
}

func newPacer(interval time.Duration) *pacer {
	return &pacer{interval: interval, next: make(map[string]time.Time)}
}

// reserve books the channel's next free slot at or after now.
func (p *pacer) reserve(channel string, now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	slot := p.next[channel]
	if slot.Before(now) {
		slot = now
	}
	p.next[channel] = slot.Add(p.interval)
	// Forget idle channels so the map stays small.
	for ch, t := range p.next {
		if t.Before(now) {
			delete(p.next, ch)
		}
	}
	return slot
}

// wait reserves the channel's next slot and sleeps until it, or until ctx is done.
func (p *pacer) wait(ctx context.Context, channel string) error {
	d := time.Until(p.reserve(channel, time.Now()))
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// urlInText matches a URL inside an error message: Go's *url.Error repeats the request URL.
var urlInText = regexp.MustCompile(`https?://[^\s"']+`)

// redactedError is a Slack transport error whose text has every URL replaced: a response_url
// is a bearer credential for 30 minutes and must not reach the log. Unwrap keeps errors.Is/As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactURLs returns err with any URL in its text replaced by "<url>" (nil stays nil).
func redactURLs(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if !urlInText.MatchString(msg) {
		return err
	}
	return &redactedError{msg: urlInText.ReplaceAllString(msg, "<url>"), err: err}
}

// withRetry runs call and, on a 429, waits Retry-After (bounded by ctx and maxRetryAfter) and
// tries once more. The error it returns never holds a URL (see redactURLs).
func (b *Bot) withRetry(ctx context.Context, method string, call func() error) error {
	err := call()
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) {
		return redactURLs(err)
	}
	wait := min(max(rl.RetryAfter, 0), maxRetryAfter)
	b.log.Warn("Slack rate limit; retrying once", "method", method, "retry_after", rl.RetryAfter)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return fmt.Errorf("%s: %w (gave up waiting: %w)", method, err, ctx.Err())
	}
	return redactURLs(call())
}

// checkBeforePost logs a message that breaks a Block Kit limit; Slack would reject it with
// invalid_blocks, and the log says why.
func (b *Bot) checkBeforePost(where string, m message) {
	if errs := checkLimits(m); len(errs) > 0 {
		b.log.Error("message breaks Slack limits", "where", where, "err", errors.Join(errs...))
	}
}

func msgOptions(m message) []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
}

// Post sends a new message to a channel (scheduled reports, audit lines), paced per channel.
// It returns the message's ts.
func (b *Bot) Post(ctx context.Context, channel string, m message) (string, error) {
	b.checkBeforePost("chat.postMessage", m)
	if err := b.pacer.wait(ctx, channel); err != nil {
		return "", err
	}
	var ts string
	err := b.withRetry(ctx, "chat.postMessage", func() error {
		var err error
		_, ts, err = b.api.PostMessageContext(ctx, channel, msgOptions(m)...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("chat.postMessage to %s: %w", channel, err)
	}
	return ts, nil
}

// update replaces a channel message in place (chat.update).
func (b *Bot) update(ctx context.Context, channel, ts string, m message) error {
	b.checkBeforePost("chat.update", m)
	return b.withRetry(ctx, "chat.update", func() error {
		_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...)
		return err
	})
}

func (b *Bot) postEphemeral(ctx context.Context, channel, user string, m message) error {
	b.checkBeforePost("chat.postEphemeral", m)
	return b.withRetry(ctx, "chat.postEphemeral", func() error {
		_, err := b.api.PostEphemeralContext(ctx, channel, user, msgOptions(m)...)
		return err
	})
}

// respondMode says what a response_url post does.
type respondMode int

const (
	respondEphemeral respondMode = iota // a new message only the actor sees
	respondInChannel                    // a new message in the channel
	respondReplace                      // replace the message the click came from
)

func (b *Bot) viaResponseURL(ctx context.Context, url string, m message, mode respondMode) error {
	opts := msgOptions(m)
	switch mode {
	case respondReplace:
		opts = append(opts, slack.MsgOptionReplaceOriginal(url))
	case respondInChannel:
		opts = append(opts, slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel))
	default:
		opts = append(opts, slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral))
	}
	b.checkBeforePost("response_url", m)
	return b.withRetry(ctx, "response_url", func() error {
		_, _, err := b.api.PostMessageContext(ctx, "", opts...)
		return err
	})
}

// respond answers a request: through its response_url when it has one, else through the Web API.
// Failures are logged: there is nobody else to tell.
func (b *Bot) respond(ctx context.Context, ia interaction, m message, mode respondMode) {
	var err error
	switch {
	case ia.responseURL != "":
		if mode == respondInChannel {
			if err = b.pacer.wait(ctx, ia.channel); err != nil {
				break
			}
		}
		if err = b.viaResponseURL(ctx, ia.responseURL, m, mode); err != nil && ctx.Err() == nil {
			// The URL may be used up (5 uses, 30 minutes): answer through the Web API instead.
			b.log.Warn("response_url failed; falling back to the Web API", "err", err)
			fallback := ia
			fallback.responseURL = ""
			b.respond(ctx, fallback, m, mode)
			return
		}
	case mode == respondReplace && ia.channel != "" && ia.messageTS != "" && !ia.ephemeral:
		err = b.update(ctx, ia.channel, ia.messageTS, m)
	case mode == respondInChannel && ia.channel != "":
		_, err = b.Post(ctx, ia.channel, m)
	case ia.channel != "" && ia.actor.UserID != "":
		err = b.postEphemeral(ctx, ia.channel, ia.actor.UserID, m)
	default:
		err = errors.New("no response_url and no channel to answer in")
	}
	if err != nil {
		b.log.Error("could not answer in Slack", "user", ia.actor.UserID, "channel", ia.channel, "err", err)
	}
}

// tell answers the actor privately.
func (b *Bot) tell(ctx context.Context, ia interaction, m message) {
	b.respond(ctx, ia, m, respondEphemeral)
}

// replace updates the message the request came from.
func (b *Bot) replace(ctx context.Context, ia interaction, m message) {
	b.respond(ctx, ia, m, respondReplace)
}
