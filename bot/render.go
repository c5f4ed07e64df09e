package bot

import (
	"time"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

// CONTRACT STUB: the renderer owner replaces the bodies; the handlers code against these.

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
}

// render turns any commands.Result into a message within Slack's limits (long lists page).
func render(r commands.Result, o renderOpts) message { return message{Text: "not implemented"} }

// renderError renders a user-safe error (commands.UserMessage) for an ephemeral reply.
func renderError(err error) message { return message{Text: commands.UserMessage(err)} }

// pageRef is what a "Next"/"Previous" button carries.
type pageRef struct {
	Kind   string // "calls" or "roster"
	Page   int
	Filter string // calls filter, or the roster's correlator
}

func (p pageRef) encode() string              { return "" }
func decodePageRef(s string) (pageRef, error) { return pageRef{}, errBadRef }

// addModal is the "Add participant" modal for a meeting.
func addModal(correlator, meetingName string) slack.ModalViewRequest { return slack.ModalViewRequest{} }

// presenterModal lets the operator choose the presenter from the roster.
func presenterModal(r *commands.RosterResult) slack.ModalViewRequest { return slack.ModalViewRequest{} }

// parseAddSubmission reads the add modal's state: the URI, or per-block errors to show.
func parseAddSubmission(v slack.View) (correlator, uri string, errs map[string]string) {
	return "", "", nil
}

// parsePresenterSubmission reads the presenter modal's state.
func parsePresenterSubmission(v slack.View) (correlator, legID string, errs map[string]string) {
	return "", "", nil
}

// checkLimits reports every Block Kit limit a message breaks (slack.md §3.1); nil when valid.
func checkLimits(m message) []error { return nil }
