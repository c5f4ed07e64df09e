package bot

import (
	"errors"
	"regexp"
	"strings"
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
	// Ids are CMS UUIDs (or prefixes of them); node names are configuration names.
	idPattern   = regexp.MustCompile(`^[0-9a-fA-F-]{1,64}$`)
	nodePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

func (r legRef) encode() string { return r.Correlator + "|" + r.Node + "|" + r.LegID }

// decodeLegRef parses an untrusted button value or block_id.
func decodeLegRef(s string) (legRef, error) {
	parts := strings.Split(s, "|")
	if len(parts) != 3 || !idPattern.MatchString(parts[0]) || !nodePattern.MatchString(parts[1]) || !idPattern.MatchString(parts[2]) {
		return legRef{}, errBadRef
	}
	return legRef{Correlator: parts[0], Node: parts[1], LegID: parts[2]}, nil
}
