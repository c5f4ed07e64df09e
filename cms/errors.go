package cms

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
)

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
	// ErrCertificate is a node whose TLS certificate failed verification (unknown CA, wrong
	// host name, expired): a configuration problem (CMS_CA_FILE), not an outage. A
	// *TransportError matches it as well as ErrUnavailable.
	ErrCertificate = errors.New("TLS certificate not trusted")
	// ErrMisconfigured is a node whose answers show its configured URL is wrong, such as a
	// redirect: a configuration problem, never followed. A *TransportError matches it as well
	// as ErrUnavailable.
	ErrMisconfigured = errors.New("node misconfigured")
)

// Error types (APIError, AuthError, TransportError) are defined at the end of this file and
// produced by node.go. Their contract:
//
//   - *APIError{Node, Method, Path, Status, Reason, Parameter, ParamError}: CMS answered with
//     <failureDetails>; Reason is the child element name (callLegDoesNotExist, parameterError…);
//     Is() maps Reason to the sentinels above.
//   - *AuthError{Node}: HTTP 401/403; Is(ErrAuth). The message names the node, never a secret.
//   - *TransportError{Node, Err}: network error, timeout, 502/503/504 after retries, a
//     redirect (ErrMisconfigured, through Err), malformed XML or a body beyond the limits of
//     limits.go; Is(ErrUnavailable), except a malformed body, which matches only
//     ErrMalformedResponse (through Err); Unwrap returns Err, so context.Canceled and
//     context.DeadlineExceeded are visible to errors.Is.

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
	Candidates []string // human-readable candidates, e.g. "Board review (9fea4ad1)", capped
	// Matches are the same candidates as data, for callers that show them as objects; More
	// counts the ones left out of both (one count, so no caller caps twice).
	Matches []Candidate
	More    int
}

// Candidate is one match of an ambiguous reference: a meeting (Correlator, Nodes) or a
// participant's call leg (LegID, Node).
type Candidate struct {
	Correlator string
	LegID      string
	Name       string
	Nodes      []string
	Node       string
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

// APIError is CMS answering with <failureDetails> (or an error status without one). Reason is
// the failureDetails child element name, e.g. callLegDoesNotExist; "" when CMS gave no body.
type APIError struct {
	Node       string
	Method     string
	Path       string
	Status     int
	Reason     string
	Parameter  string // parameterError's parameter attribute
	ParamError string // parameterError's error attribute, e.g. invalidValue
}

func (e *APIError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "no failure details"
	}
	if e.Parameter != "" || e.ParamError != "" {
		reason += " (parameter " + quote(e.Parameter) + ": " + e.ParamError + ")"
	}
	return "cms node " + quote(e.Node) + ": " + e.Method + " " + e.Path + ": " + reason +
		" (HTTP " + strconv.Itoa(e.Status) + ")"
}

// Is maps the failure reason to the package sentinels, so callers never compare reason strings.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return strings.HasSuffix(e.Reason, "DoesNotExist") ||
			e.Reason == "unrecognizedObject" || e.Reason == "unrecognisedObject" ||
			(e.Reason == "" && e.Status == http.StatusNotFound)
	case ErrCallNotFound:
		return e.Reason == "callDoesNotExist"
	case ErrCallLegNotFound:
		return e.Reason == "callLegDoesNotExist"
	case ErrParticipantNotFound:
		return e.Reason == "participantDoesNotExist"
	case ErrParameter:
		return e.Reason == "parameterError"
	case ErrParticipantCannotBeModified:
		return e.Reason == "participantCannotBeModified" || e.Reason == "participantCannotBeDeleted"
	case ErrCallLegCannotBeDeleted:
		return e.Reason == "callLegCannotBeDeleted"
	case ErrParticipantLimitReached:
		return e.Reason == "participantLimitReached" || e.Reason == "tenantParticipantLimitReached"
	}
	return isControlRefusal(e, target)
}

// AuthError is HTTP 401 or 403 from a node: its credentials were rejected.
type AuthError struct {
	Node   string
	Method string
	Path   string
	Status int
}

func (e *AuthError) Error() string {
	return "cms node " + quote(e.Node) + ": " + e.Method + " " + e.Path +
		": credentials rejected (HTTP " + strconv.Itoa(e.Status) + ")"
}

func (e *AuthError) Is(target error) bool { return target == ErrAuth }

// TransportError is a node that could not be reached or answered unusably: a network error, a
// timeout, 502/503/504 after retries, or a body that is not the XML we expect.
type TransportError struct {
	Node   string
	Method string
	Path   string
	Status int // 0 when no HTTP response arrived
	Err    error

	retryable bool // network error or busy status: worth another attempt for idempotent methods
}

func (e *TransportError) Error() string {
	s := "cms node " + quote(e.Node) + ": " + e.Method + " " + e.Path + ": "
	if e.Status != 0 {
		s += "HTTP " + strconv.Itoa(e.Status) + ": "
	}
	return s + e.Err.Error()
}

func (e *TransportError) Unwrap() error { return e.Err }

// Is reports ErrUnavailable for every transport failure except a malformed body, which is the
// node misbehaving rather than being away (that one matches ErrMalformedResponse via Unwrap).
func (e *TransportError) Is(target error) bool {
	switch target {
	case ErrUnavailable:
		return !errors.Is(e.Err, ErrMalformedResponse)
	case ErrCertificate:
		return isCertificateError(e.Err)
	}
	return false
}

// closedByServer matches net/http's unexported errors for a kept-alive connection the server
// closed under a request ("server closed idle connection", "transport connection broken"):
// under load a dropped connection surfaces as one of these rather than as io.EOF, and the
// person still needs to read "connection closed".
func closedByServer(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "server closed idle connection") || strings.Contains(msg, "transport connection broken")
}

// isCertificateError reports a failed TLS certificate verification anywhere in err's chain.
func isCertificateError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		hn x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// Cause says in a few words why a node could not be reached, for people: "connection
// refused", "no answer in time", "HTTP 503 Service Unavailable", "host name not found",
// "connection closed", "no route to the host"; "" when err tells nothing more specific. It
// never quotes an address or a URL.
func Cause(err error) string {
	var te *TransportError
	if !errors.As(err, &te) {
		return ""
	}
	var (
		dns *net.DNSError
		ne  net.Error
	)
	switch {
	case te.Status != 0 && http.StatusText(te.Status) != "":
		return "HTTP " + strconv.Itoa(te.Status) + " " + http.StatusText(te.Status)
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to the host"
	case errors.As(err, &dns):
		return "host name not found"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), closedByServer(err):
		return "connection closed"
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	}
	return ""
}
