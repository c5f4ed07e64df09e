package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nfmm/nfmm/cms"
)

// Error kinds every operation returns; each message is safe to show the user. The terminal maps
// *UsageError to exit 2 and every other error to exit 1.
//
//   - *UsageError{Msg, Usage}: unknown command ("did you mean …"), missing/extra argument,
//     invalid layout (lists the valid ones), invalid URI. No CMS request was sent.
//   - *RefError{Kind, Ref, Ambiguous, Candidates, Matches}: unknown or ambiguous
//     meeting/participant.
//   - *DeniedError{Op, Msg}: the policy refused; Msg says how to get access.
//   - *CMSError{Msg, Err}: CMS refused or could not be reached; Msg is user-safe, Err for logs.
//
// UserMessage(err) returns the user-safe text of any error (a generic sentence for unknown ones).

// Usage error codes: a stable, machine-readable reason (the JSON output carries it).
const (
	CodeUnknownCommand = "unknown_command"
	CodeMissingArg     = "missing_argument"
	CodeExtraArg       = "extra_argument"
	CodeInvalidLayout  = "invalid_layout"
	CodeInvalidURI     = "invalid_uri"
	CodeInvalidID      = "invalid_id"
	CodeInvalidText    = "invalid_text"
	CodeInvalidMedia   = "invalid_media"
	CodeInvalidNode    = "invalid_node"
	CodeInvalidCluster = "invalid_cluster"
	CodeChooseCluster  = "choose_cluster"
	CodeSyntax         = "syntax"
	CodeInvalidDate    = "invalid_date"
)

// UsageError is bad input; no CMS request was sent.
type UsageError struct {
	Code  string // one of the Code* constants
	Msg   string
	Usage string // the command's usage line, when one applies
}

func (e *UsageError) Error() string {
	if e.Usage == "" {
		return e.Msg
	}
	return e.Msg + " (usage: " + e.Usage + ")"
}

// RefError is an unknown or ambiguous meeting or participant reference.
type RefError struct {
	Kind       string // "meeting" or "participant"
	Ref        string
	Ambiguous  bool
	Candidates []string    // display lines, for text
	Matches    []Candidate // the same candidates as data, for JSON (without the "…and N more")
	More       int         // candidates left out of Matches
	Unsearched []string    // nodes that could not be searched, so "no match" may be wrong
	Err        error       // the cms error it came from, if any
	// Left: the participant a control named (by leg id) is no longer in any call; Name is
	// theirs when NFMM showed them before, so the message never quotes the leg id.
	Left bool
	Name string
	// Cluster is the cluster searched, with several (its candidates' buttons name it).
	Cluster string
}

func (e *RefError) Error() string {
	if e.Left {
		if strings.TrimSpace(e.Name) == "" {
			return "That participant has already left."
		}
		return e.Name + " has already left."
	}
	if !e.Ambiguous {
		msg := fmt.Sprintf("No %s matches %q.", e.Kind, e.Ref)
		if len(e.Candidates) > 0 {
			msg += " Candidates: " + listCandidates(e.Candidates, e.More) + "."
		}
		if len(e.Unsearched) > 0 {
			msg += " (Not searched, unreachable: " + strings.Join(e.Unsearched, ", ") + ".)"
		}
		return msg
	}
	return fmt.Sprintf("%q matches more than one %s: %s. Be more specific.", e.Ref, e.Kind, listCandidates(e.Candidates, e.More))
}

// shownCandidates is how many candidates an answer lists; a reply listing 300 names helps nobody.
const shownCandidates = 10

// listCandidates shows the first few candidates and counts the rest, including the more the
// cluster itself left out.
func listCandidates(c []string, more int) string {
	if len(c) > shownCandidates {
		more += len(c) - shownCandidates
		c = c[:shownCandidates]
	}
	if more > 0 {
		return strings.Join(c, ", ") + fmt.Sprintf(" and %d more", more)
	}
	return strings.Join(c, ", ")
}

func (e *RefError) Unwrap() error { return e.Err }

// DeniedError is a policy refusal.
type DeniedError struct {
	Op  Op
	Msg string
}

func (e *DeniedError) Error() string { return e.Msg }

// CMSError is CMS refusing or not answering; Msg is user-safe, Err holds the detail for logs.
type CMSError struct {
	Node string
	Msg  string
	Err  error
}

func (e *CMSError) Error() string { return e.Msg }
func (e *CMSError) Unwrap() error { return e.Err }

// ErrStoreUnavailable refuses a state-changing action whose request NFMM could not claim in
// its database: without the claim another replica (or a redelivery) might run it too, so it
// fails closed. Reads do not need the claim and keep working.
var ErrStoreUnavailable = errors.New("NFMM cannot reach its database right now, so it cannot make sure this action runs exactly once. Nothing was changed. Try again in a minute; looking (calls, call, status) still works.")

// UserMessage returns the user-safe text of any error.
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	var (
		ue *UsageError
		re *RefError
		de *DeniedError
		ce *CMSError
	)
	switch {
	case errors.As(err, &ue):
		return ue.Error()
	case errors.As(err, &re):
		return re.Error()
	case errors.As(err, &de):
		return de.Msg
	case errors.As(err, &ce):
		return ce.Msg
	case errors.Is(err, context.Canceled):
		return "The request was cancelled."
	case errors.Is(err, ErrStoreUnavailable):
		return ErrStoreUnavailable.Error()
	}
	var choice *ClusterChoiceError
	if errors.As(err, &choice) {
		return choice.Error()
	}
	if he, ok := isHistoryErr(err); ok {
		return he.Msg
	}
	if ae := (*AuditError)(nil); errors.As(err, &ae) {
		return ae.Msg
	}
	if ref := refError(err); ref != nil {
		return ref.Error()
	}
	if errors.Is(err, cms.ErrAuth) || errors.Is(err, cms.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return cmsError("", err).Msg
	}
	return "Something went wrong; see the NFMM log."
}

// refError converts the cluster's reference errors into *RefError, or returns nil.
func refError(err error) *RefError {
	var amb *cms.AmbiguousError
	if errors.As(err, &amb) {
		return &RefError{Kind: amb.Kind, Ref: amb.Ref, Ambiguous: true, Candidates: amb.Candidates, Matches: amb.Matches, More: amb.More, Err: err}
	}
	var unk *cms.UnknownRefError
	if errors.As(err, &unk) {
		var nodes []string
		for _, ne := range nodeErrors(err) {
			nodes = append(nodes, ne.Node)
		}
		return &RefError{Kind: unk.Kind, Ref: unk.Ref, Unsearched: nodes, Err: err}
	}
	return nil
}

// nodeErrors collects every cms.NodeError in an error tree (errors.As finds only the first).
func nodeErrors(err error) []cms.NodeError {
	var out []cms.NodeError
	switch e := err.(type) {
	case nil:
		return nil
	case cms.NodeError:
		return []cms.NodeError{e}
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			out = append(out, nodeErrors(inner)...)
		}
	case interface{ Unwrap() error }:
		out = nodeErrors(e.Unwrap())
	}
	return out
}

// cmsError turns any error from the cluster into a user-safe *CMSError naming the node. The raw
// error (which may hold URLs) stays in Err for the log only.
func cmsError(node string, err error) *CMSError {
	var all *cms.AllNodesFailedError
	if errors.As(err, &all) && len(all.Failed) > 0 {
		parts := make([]string, len(all.Failed))
		for i, f := range all.Failed {
			parts[i] = cmsError(f.Node, f.Err).Msg
		}
		return &CMSError{Msg: "No CMS node could be searched: " + strings.Join(parts, " "), Err: err}
	}
	var ne cms.NodeError
	if errors.As(err, &ne) && ne.Node != "" {
		node = ne.Node
	}
	on := ""
	where := "CMS"
	if node != "" {
		on = " on " + node
		where = node
	}
	var msg string
	switch {
	case errors.Is(err, cms.ErrAuth):
		msg = "CMS rejected NFMM's credentials" + on + "."
	case errors.Is(err, context.DeadlineExceeded):
		msg = where + " did not answer in time."
	case errors.Is(err, cms.ErrCertificate):
		msg = where + "'s TLS certificate is not trusted; check CMS_CA_FILE (the NFMM log has the details)."
	case errors.Is(err, cms.ErrMisconfigured):
		msg = where + " is misconfigured: it redirected NFMM elsewhere; check its URL in CMS_NODES."
	case errors.Is(err, cms.ErrMalformedResponse):
		msg = where + " sent an answer NFMM could not read."
	case errors.Is(err, cms.ErrUnavailable):
		msg = where + " could not be reached."
		if cause := cms.Cause(err); cause != "" {
			msg = where + " could not be reached (" + cause + ")."
		}
	case errors.Is(err, cms.ErrCallLegNotFound):
		msg = "That participant has left the meeting" + on + "."
	case errors.Is(err, cms.ErrCallNotFound):
		msg = "That meeting has ended" + on + "."
	case errors.Is(err, cms.ErrParticipantLimitReached):
		msg = "The meeting is full" + on + "."
	case errors.Is(err, cms.ErrCallLegCannotBeDeleted):
		msg = "CMS" + on + " would not disconnect that participant."
	case errors.Is(err, cms.ErrParticipantCannotBeModified):
		msg = "CMS" + on + " would not change that participant."
	case errors.Is(err, cms.ErrRecordingNotLicensed):
		msg = "CMS" + on + " would not start recording: it has no recording licence left (recordingNotAllowedByLicensing)."
	case errors.Is(err, cms.ErrStreamingNotLicensed):
		msg = "CMS" + on + " would not start streaming: it has no streaming licence left (streamingNotAllowedByLicensing)."
	case errors.Is(err, cms.ErrRecordingFixed):
		msg = "Recording cannot be switched by hand" + on + ": the call profile records automatically or never (callRecordingCannotBeModified)."
	case errors.Is(err, cms.ErrStreamingFixed):
		msg = "Streaming cannot be switched by hand" + on + ": the call profile streams automatically or never (callStreamingCannotBeModified)."
	case errors.Is(err, cms.ErrCannotMove):
		msg = "CMS" + on + " cannot move that participant to another meeting (canMove is false, as for a Skype for Business leg)."
	case errors.Is(err, cms.ErrParameter):
		msg = "CMS" + on + " refused the request as invalid."
	case errors.Is(err, cms.ErrNotFound):
		msg = "CMS" + on + " no longer knows that object."
	default:
		msg = "CMS" + on + " refused the request."
	}
	return &CMSError{Node: node, Msg: msg, Err: err}
}

// wrapErr maps a cluster error to the error kinds above.
func wrapErr(node string, err error) error {
	if err == nil {
		return nil
	}
	if ref := refError(err); ref != nil {
		return ref
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return cmsError(node, err)
}

// reason is the user-safe sentence for a per-leg or per-node failure.
func reason(node string, err error) string { return cmsError(node, err).Msg }
