package bot

import (
	"fmt"
	"strings"

	"github.com/nfmm/nfmm/commands"
	"github.com/slack-go/slack"
)

const (
	uriPlaceholder = "sip:alice@example.com, +4722334455 or alice@example.com"
	maxURILen      = 255 // the input's bound: the one commands applies to dial-out addresses
	maxPresenters  = 100 // options of one static_select
	errExpired     = "This dialog no longer matches a meeting; close it and open it again."
)

// addModal is the "Add participant" modal for a meeting.
func addModal(correlator, meetingName string) slack.ModalViewRequest {
	intro := "Dial out and add the answer to the meeting."
	if strings.TrimSpace(meetingName) != "" {
		intro = "Dial out from " + bold(meetingName, 500) + "."
	}
	input := slack.NewPlainTextInputBlockElement(plain(uriPlaceholder, maxPlaceholder), elemURI)
	input.MaxLength = maxURILen
	input.FocusOnLoad = true
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: viewAdd,
		Title:      plain("Add participant", maxViewTitle),
		Submit:     plain("Dial", maxViewTitle),
		Close:      plain("Cancel", maxViewTitle),
		// Only an id travels; the submission re-resolves the meeting and re-checks the policy.
		PrivateMetadata: truncate(correlator, maxPrivateMeta),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			textSection(intro),
			slack.NewInputBlock(blockURI, plain("Address", maxInputLabel),
				plain("A SIP URI, an email-style address or a phone number.", maxInputLabel), input),
		}},
	}
}

// presenterModal lets the operator choose the presenter from the roster.
func presenterModal(r *commands.RosterResult) slack.ModalViewRequest {
	if r == nil {
		r = &commands.RosterResult{}
	}
	v := slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      viewPresenter,
		Title:           plain("Presenter mode", maxViewTitle),
		Close:           plain("Cancel", maxViewTitle),
		PrivateMetadata: truncate(r.Meeting.Correlator, maxPrivateMeta),
	}
	opts, skipped := presenterOptions(r.Participants)
	intro := textSection("Choose who presents in " + bold(meetingName(r.Meeting), 500) + ".")
	if len(opts) == 0 {
		v.Blocks.BlockSet = []slack.Block{intro, textSection("There is nobody to choose from right now.")}
		return v
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a participant", maxPlaceholder), elemPresenter, opts...)
	v.Submit = plain("Set presenter", maxViewTitle)
	v.Blocks.BlockSet = []slack.Block{intro, slack.NewInputBlock(blockPresenter, plain("Presenter", maxInputLabel), nil, sel)}
	if skipped > 0 {
		note := fmt.Sprintf("Showing the first %d of %d participants. For anyone else use `/cms presenter <meeting> <name>`.",
			len(opts), len(opts)+skipped)
		v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewContextBlock("", md(escapeEntities(note), maxContextText)))
	}
	return v
}

// presenterOptions lists up to maxPresenters legs as options (value = leg id) and counts the
// rest. Legs whose id could not be carried back safely are left out.
func presenterOptions(rows []commands.ParticipantRow) ([]*slack.OptionBlockObject, int) {
	opts := make([]*slack.OptionBlockObject, 0, min(len(rows), maxPresenters))
	seen := map[string]bool{}
	skipped := 0
	for _, p := range rows {
		if !idPattern.MatchString(p.LegID) || len(p.LegID) > maxOptionRoom || seen[p.LegID] {
			continue
		}
		seen[p.LegID] = true
		if len(opts) == maxPresenters {
			skipped++
			continue
		}
		name := p.Name
		if strings.TrimSpace(name) == "" {
			name = p.Address
		}
		label := truncate(clean(name), maxOptionText-3-textLen(p.Node)) + " (" + p.Node + ")"
		if p.Node == "" || textLen(p.Node) > 30 {
			label = clean(name)
		}
		opts = append(opts, slack.NewOptionBlockObject(p.LegID, plain(label, maxOptionText), nil))
	}
	return opts, skipped
}

// stateValue returns the submitted element state, if any.
func stateValue(v slack.View, block, elem string) (slack.BlockAction, bool) {
	if v.State == nil {
		return slack.BlockAction{}, false
	}
	a, ok := v.State.Values[block][elem]
	// A chosen option's value names the modal's cluster (stampView), which its origin says too.
	// Typed text is the person's own and never read as a stamp.
	_, a.SelectedOption.Value = unstamp(a.SelectedOption.Value)
	return a, ok
}

// parseAddSubmission reads the add modal's state: the URI, or per-block errors to show.
func parseAddSubmission(v slack.View) (correlator, uri string, errs map[string]string) {
	a, _ := stateValue(v, blockURI, elemURI)
	uri = strings.TrimSpace(a.Value)
	// The typed `add` command's rule, so the modal refuses exactly what the command would.
	if msg := commands.URIProblem(uri); msg != "" {
		return "", "", map[string]string{blockURI: msg}
	}
	if !idPattern.MatchString(v.PrivateMetadata) {
		return "", "", map[string]string{blockURI: errExpired}
	}
	return v.PrivateMetadata, uri, nil
}

// parsePresenterSubmission reads the presenter modal's state.
func parsePresenterSubmission(v slack.View) (correlator, legID string, errs map[string]string) {
	a, _ := stateValue(v, blockPresenter, elemPresenter)
	legID = a.SelectedOption.Value
	switch {
	case legID == "":
		return "", "", map[string]string{blockPresenter: "Choose a participant."}
	case !idPattern.MatchString(legID):
		return "", "", map[string]string{blockPresenter: "That choice is not a participant; choose again."}
	case !idPattern.MatchString(v.PrivateMetadata):
		return "", "", map[string]string{blockPresenter: errExpired}
	}
	return v.PrivateMetadata, legID, nil
}
