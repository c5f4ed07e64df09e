package bot

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/nfmm/nfmm/internal/names"
)

// Action ids of the interactive elements NFMM posts (block_actions action_id). Values carry ids
// only; every click re-resolves them and re-checks the policy.
const (
	actParticipants = "nfmm_participants" // button, value: meeting correlator → roster
	actPage         = "nfmm_page"         // button, value: pageRef.encode() → another page of a list
	actRefresh      = "nfmm_refresh"      // button, value: correlator → roster re-read
	actAdd          = "nfmm_add"          // button, value: correlator → opens the add-participant modal
	actPresenterOn  = "nfmm_presenter_on" // button, value: correlator → opens the presenter modal
	actPresenterOff = "nfmm_presenter_off"
	actMuteAudio    = "nfmm_mute_audio" // button, value: legRef.encode()
	actUnmuteAudio  = "nfmm_unmute_audio"
	actMuteVideo    = "nfmm_mute_video"
	actUnmuteVideo  = "nfmm_unmute_video"
	actDetails      = "nfmm_details"
	actDisconnect   = "nfmm_disconnect" // danger button with a confirm dialog
	actLayout       = "nfmm_layout"     // static_select; selected value: layout; block_id: legRef.encode()
	actRun          = "nfmm_run"        // button in help/status, value: command text to run (e.g. "calls")
)

// Modal callback ids and their input block/action ids.
const (
	viewAdd        = "nfmm_add_modal"       // private_metadata: correlator
	viewPresenter  = "nfmm_presenter_modal" // private_metadata: correlator
	blockURI       = "uri"
	elemURI        = "uri_input"
	blockPresenter = "presenter"
	elemPresenter  = "presenter_select"
)

// legRef is what a participant control carries: the meeting, the node hosting the leg, the leg.
type legRef struct {
	Correlator string
	Node       string
	LegID      string
}

var (
	errBadRef = errors.New("malformed reference")
	// Ids are CMS UUIDs (or prefixes of them); node names are configuration names (names.Valid).
	idPattern = regexp.MustCompile(`^[0-9a-fA-F-]{1,64}$`)
)

func (r legRef) encode() string { return r.Correlator + "|" + r.Node + "|" + r.LegID }

// decodeLegRef parses an untrusted button value or block_id.
func decodeLegRef(s string) (legRef, error) {
	parts := strings.Split(s, "|")
	if len(parts) != 3 || !idPattern.MatchString(parts[0]) || !names.Valid(parts[1]) || !idPattern.MatchString(parts[2]) {
		return legRef{}, errBadRef
	}
	return legRef{Correlator: parts[0], Node: parts[1], LegID: parts[2]}, nil
}

// valid reports whether r survives its own encode/decode, i.e. whether a control may carry it.
// CMS could report ids we would later reject; such rows get no controls rather than broken ones.
func (r legRef) valid() bool {
	got, err := decodeLegRef(r.encode())
	return err == nil && got == r
}

// pageRef is what a "Next"/"Previous" button carries.
type pageRef struct {
	Kind   string // "calls" or "roster"
	Page   int
	Filter string // calls filter, or the roster's correlator
}

// Page refs are small: a kind, a page number and a filter a person typed. The filter may be
// as long as still fits in a button value with the kind, the page number and a cluster stamp.
const (
	maxPage         = 9999
	maxFilterLen    = maxValueRoom - 16
	pageKindCalls   = "calls"
	pageKindRoster  = "roster"
	pageRefSep      = "|"
	pageRefMaxBytes = 16 + maxFilterLen*4
)

func (p pageRef) encode() string {
	return p.Kind + pageRefSep + strconv.Itoa(p.Page) + pageRefSep + p.Filter
}

// decodePageRef parses an untrusted button value.
func decodePageRef(s string) (pageRef, error) {
	if len(s) > pageRefMaxBytes {
		return pageRef{}, errBadRef
	}
	parts := strings.Split(s, pageRefSep)
	if len(parts) != 3 {
		return pageRef{}, errBadRef
	}
	page, err := strconv.Atoi(parts[1])
	if err != nil || page < 0 || page > maxPage || parts[1] != strconv.Itoa(page) {
		return pageRef{}, errBadRef
	}
	p := pageRef{Kind: parts[0], Page: page, Filter: parts[2]}
	switch p.Kind {
	case pageKindCalls:
		if !validFilter(p.Filter) {
			return pageRef{}, errBadRef
		}
	case pageKindRoster:
		if !idPattern.MatchString(p.Filter) {
			return pageRef{}, errBadRef
		}
	case pageKindHistory, pageKindAudit:
		if !validFilter(p.Filter) {
			return pageRef{}, errBadRef
		}
	default:
		return pageRef{}, errBadRef
	}
	return p, nil
}

// validFilter accepts what a person plausibly types as a calls filter: short, printable, and
// free of mrkdwn control characters (the filter is echoed back in messages).
func validFilter(f string) bool {
	if textLen(f) > maxFilterLen {
		return false
	}
	for _, r := range f {
		if unicode.IsControl(r) || strings.ContainsRune("<>&|`", r) || r == '\uFFFD' {
			return false
		}
	}
	return true
}

// valid reports whether p survives its own encode/decode.
func (p pageRef) valid() bool {
	got, err := decodePageRef(p.encode())
	return err == nil && got == p
}
