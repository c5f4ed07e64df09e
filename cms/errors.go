package cms

import "errors"

// Sentinel errors that callers test with errors.Is. An *APIError matches the sentinel of its
// failureDetails reason; every "…DoesNotExist" reason also matches ErrNotFound.
var (
	ErrNotFound                    = errors.New("object not found")
	ErrCallNotFound                = errors.New("call does not exist")
	ErrCallLegNotFound             = errors.New("call leg does not exist")
	ErrParticipantNotFound         = errors.New("participant does not exist")
	ErrCallLegCannotBeDeleted      = errors.New("call leg cannot be deleted")
	ErrParticipantCannotBeModified = errors.New("participant cannot be modified")
	ErrParticipantLimitReached     = errors.New("participant limit reached")
	ErrParameter                   = errors.New("invalid parameter")
	ErrAuth                        = errors.New("authentication failed")
	ErrUnavailable                 = errors.New("node unavailable")
	ErrMalformedResponse           = errors.New("malformed response")
)

// Error types (APIError, AuthError, TransportError) are defined next to the code that produces
// them, in node.go / wire.go. Their contract:
//
//   - *APIError{Node, Method, Path, Status, Reason, Parameter, ParamError}: CMS answered with
//     <failureDetails>; Reason is the child element name (callLegDoesNotExist, parameterError…);
//     Is() maps Reason to the sentinels above.
//   - *AuthError{Node}: HTTP 401/403; Is(ErrAuth). The message names the node, never a secret.
//   - *TransportError{Node, Err}: network error, timeout, 503 after retries, malformed XML;
//     Is(ErrUnavailable) (or ErrMalformedResponse); Unwrap returns Err.

// NodeError ties an error to the node that produced it, for partial cluster results.
type NodeError struct {
	Node string
	Err  error
}

func (e NodeError) Error() string { return e.Node + ": " + e.Err.Error() }
func (e NodeError) Unwrap() error { return e.Err }

// AmbiguousError is returned when a reference matches more than one meeting or leg.
type AmbiguousError struct {
	Kind       string   // "meeting" or "participant"
	Ref        string   // what the user typed
	Candidates []string // human-readable candidates, e.g. "Board review (9fea4ad1)"
}

func (e *AmbiguousError) Error() string {
	return e.Kind + " " + quote(e.Ref) + " is ambiguous"
}

// UnknownRefError is returned when a reference matches nothing; it matches ErrNotFound.
type UnknownRefError struct {
	Kind string
	Ref  string
}

func (e *UnknownRefError) Error() string        { return "no " + e.Kind + " matches " + quote(e.Ref) }
func (e *UnknownRefError) Is(target error) bool { return target == ErrNotFound }

func quote(s string) string { return "\"" + s + "\"" }
