package bot

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/internal/names"
	"github.com/slack-go/slack"
)

// Several clusters: every interactive element names the cluster of the message it belongs to,
// so a click acts on that cluster whatever the channel it was posted in is bound to. The name
// rides twice, both stamped the same way by stampBlocks (in render, and wherever a message or
// view is built outside it: the live bar, alerts, the App Home, modals):
//
//   - in every value an element carries: a button's value, each option's value of an overflow
//     or select (and its initial_option, so it still equals one of them), as
//     ~<cluster>~<the value its own encoder made>   (legRef, pageRef, a correlator, a choice…);
//   - in the block_id of the block holding the element, as
//     ~<cluster>~<its own block_id>   or   ~<cluster>~#<n>   when it had none
//     (block ids must be unique in a message; Slack makes up the missing ones otherwise).
//
// blockActionJob strips both before any handler runs, so handlers see exactly what their
// encoders made, and takes the cluster from the value first (a payload may carry an action's
// value without its block_id, or with another message's; one with no block_id at all, which
// slack-go cannot parse, is read again by recoverBlockActions), else from the block_id (messages
// posted by the version that stamped only block ids), else from the modal's origin, else the
// click acts on the cluster a typed command would (messages posted before several clusters). A
// stamp naming no configured cluster is answered "There is no cluster …", never acted on
// elsewhere. Names never contain '~' or '#' (names.Valid) and no value or block_id NFMM sets
// starts with '~', so an unstamped one never reads as stamped.
//
// Every value NFMM builds leaves room for the longest stamp (maxStamp): a button value holds
// maxValueRoom, an option value maxOptionRoom. The two selects of a roster's meeting controls
// carry "<choice>|<correlator>" with one cluster, which leaves no room for a 32-character name
// within an option's 75, so with several clusters their options carry only the choice (or the
// layout) and the correlator rides in their block_id (meetingBlockID), as a row's legRef does
// for its overflow. Modals carry the cluster in their origin (private_metadata "cl") as well
// as in their option values; a submission acts on its origin's, and stateValue strips the
// options' stamps (never a person's typed text). The question "which cluster?"
// (clusterChoice) is of no cluster: each of its buttons runs the command with the cluster's
// own word, "calls @amer". With one cluster nothing is stamped and every message is exactly
// as before.

const stampMark = "~"

// maxStamp is the longest stamp: both marks and the longest name.
const maxStamp = 2*len(stampMark) + names.MaxLen

// What an encoder may put in a value so that it still fits once stamped.
const (
	maxValueRoom  = maxButtonValue - maxStamp
	maxOptionRoom = maxOptionValue - maxStamp
)

// stamp is s (a value, or a block_id that is not empty) naming cluster.
func stamp(cluster, s string) string { return stampMark + cluster + stampMark + s }

// unstamp splits a value into the cluster it names ("" for none, or a malformed one) and the
// value its encoder made.
func unstamp(s string) (cluster, value string) {
	rest, ok := strings.CutPrefix(s, stampMark)
	if !ok {
		return "", s
	}
	c, orig, ok := strings.Cut(rest, stampMark)
	if !ok || !(names.ValidCluster(c) || c == commands.AllClusters) {
		return "", s
	}
	return c, orig
}

// stampID is blockID carrying cluster; n makes a missing block_id unique in its message.
func stampID(cluster, blockID, n string) string {
	if blockID == "" {
		blockID = "#" + n
	}
	return stamp(cluster, blockID)
}

// unstampID splits a block_id into the cluster it names ("" for none, or a malformed one) and
// the block_id its renderer set.
func unstampID(id string) (cluster, blockID string) {
	c, orig := unstamp(id)
	if c != "" && strings.HasPrefix(orig, "#") {
		orig = ""
	}
	return c, orig
}

func stamped(s string) bool {
	c, _ := unstamp(s)
	return c != ""
}

// stampBlocks names cluster on every block that holds an interactive element and on each of
// its values, unless the block names one already (the lines of an @all list name their own).
func stampBlocks(blocks []slack.Block, cluster string) {
	if cluster == "" {
		return
	}
	for i, b := range blocks {
		stampBlock(b, cluster, strconv.Itoa(i))
	}
}

func stampBlock(b slack.Block, cluster, n string) {
	switch b := b.(type) {
	case *slack.ActionBlock:
		if stamped(b.BlockID) {
			return
		}
		b.BlockID = stampID(cluster, b.BlockID, n)
	case *slack.SectionBlock:
		if b.Accessory == nil || stamped(b.BlockID) {
			return
		}
		b.BlockID = stampID(cluster, b.BlockID, n)
	case *slack.InputBlock:
		if stamped(b.BlockID) {
			return
		}
		b.BlockID = stampID(cluster, b.BlockID, n)
	default:
		return
	}
	stampElements(b, cluster)
}

// stampView names cluster in every value of a modal's elements; the modal's origin
// (private_metadata) names it too. Its block ids stay: a submission's state is keyed by them.
func stampView(v *slack.ModalViewRequest, cluster string) {
	if cluster == "" {
		return
	}
	for _, b := range v.Blocks.BlockSet {
		stampElements(b, cluster)
	}
}

// stampElements stamps the values of every element of b.
func stampElements(b slack.Block, cluster string) {
	switch b := b.(type) {
	case *slack.ActionBlock:
		if b.Elements != nil {
			for _, e := range b.Elements.ElementSet {
				stampElement(e, cluster)
			}
		}
	case *slack.SectionBlock:
		if a := b.Accessory; a != nil {
			for _, e := range []slack.BlockElement{a.ButtonElement, a.OverflowElement, a.SelectElement, a.RadioButtonsElement, a.CheckboxGroupsBlockElement} {
				stampElement(e, cluster)
			}
		}
	case *slack.InputBlock:
		stampElement(b.Element, cluster)
	}
}

// stampElement names cluster in every value e carries. Text a person types or reads (an
// input's initial value, labels) is never touched.
func stampElement(e slack.BlockElement, cluster string) {
	switch e := e.(type) {
	case *slack.ButtonBlockElement:
		if e != nil && e.Value != "" {
			e.Value = stampValue(cluster, e.Value)
		}
	case *slack.OverflowBlockElement:
		if e != nil {
			stampOptions(cluster, e.Options)
		}
	case *slack.SelectBlockElement:
		if e == nil {
			return
		}
		stampOptions(cluster, e.Options)
		for _, g := range e.OptionGroups {
			stampOptions(cluster, g.Options)
		}
		stampOptions(cluster, []*slack.OptionBlockObject{e.InitialOption})
	case *slack.RadioButtonsBlockElement:
		if e != nil {
			stampOptions(cluster, e.Options)
			stampOptions(cluster, []*slack.OptionBlockObject{e.InitialOption})
		}
	case *slack.CheckboxGroupsBlockElement:
		if e != nil {
			stampOptions(cluster, e.Options)
			stampOptions(cluster, e.InitialOptions)
		}
	}
}

// stampOptions stamps each option once: an initial_option is often the same object as one of
// the options, and must stay equal to it.
func stampOptions(cluster string, opts []*slack.OptionBlockObject) {
	for _, o := range opts {
		if o != nil && o.Value != "" {
			o.Value = stampValue(cluster, o.Value)
		}
	}
}

func stampValue(cluster, v string) string {
	if stamped(v) {
		return v
	}
	return stamp(cluster, v)
}

// lineSection is a section of one line of an @all list, naming the line's own cluster.
func lineSection(s *slack.SectionBlock, cluster, key string) *slack.SectionBlock {
	if cluster != "" && s.Accessory != nil {
		stampBlock(s, cluster, "l"+key)
	}
	return s
}

// meetingBlockID is the block_id of a roster's meeting controls with several clusters: the
// selects' options then carry only the choice (see above), the block the meeting.
const meetingBlockPrefix = "nfmm_controls|"

func meetingBlockID(corr string) string { return meetingBlockPrefix + corr }

// meetingOfBlock is the correlator a meeting-controls block_id names.
func meetingOfBlock(blockID string) (string, bool) {
	corr, ok := strings.CutPrefix(blockID, meetingBlockPrefix)
	if !ok {
		return "", false
	}
	return decodeCorrelator(corr)
}

// clusterNames lists the configured clusters, nil when the Service does not say (a test's).
func (b *Bot) clusterNames() []string {
	if cn, ok := b.svc.(interface{ ClusterNames() []string }); ok {
		return cn.ClusterNames()
	}
	return nil
}

// severalClusters reports whether messages name their cluster.
func (b *Bot) severalClusters() bool { return len(b.clusterNames()) > 1 }

// knownCluster refuses a click whose stamp names a cluster that is not configured (any more):
// with one cluster, commands would otherwise act on that one.
func (b *Bot) knownCluster(name string) error {
	known := b.clusterNames()
	if name == "" || name == commands.AllClusters || known == nil || slices.Contains(known, name) {
		return nil
	}
	err := commands.UnknownCluster(name, known)
	err.Msg += " Run the command again for fresh controls." // a stale control, not a typo
	return err
}

// maxClusterChoices bounds the buttons of clusterChoice: config.MaxClusters and @all.
const maxClusterChoices = 17

// clusterRunAction is the action id of the i-th button of clusterChoice (ids are unique in a
// block); each runs its value like actRun.
func clusterRunAction(i int) string { return actRun + "_cluster_" + strconv.Itoa(i) }

// clusterChoice answers a command that names no cluster in a DM or an unbound channel: the
// question, and a button per cluster that runs the same command there.
func clusterChoice(text string, e *commands.ClusterChoiceError) message {
	blocks := []slack.Block{slack.NewSectionBlock(md(escapeTrunc(e.Error(), maxSectionText), maxSectionText), nil, nil)}
	var els []slack.BlockElement
	base := strings.TrimSpace(text)
	public := wantsPublic(base)
	if public {
		base = strings.TrimSpace(base[:len(base)-len("public")])
	}
	choices := e.Clusters
	if e.All {
		choices = append(append([]string{}, choices...), commands.AllClusters)
	}
	for _, c := range choices {
		run := base + " @" + c
		if public {
			run += " public"
		}
		if textLen(run) > maxButtonValue || len(els) == maxClusterChoices {
			break
		}
		// The value names the cluster it runs on in the command's own words ("calls @amer"):
		// the message is of no cluster, and the command decides.
		els = append(els, button(clusterRunAction(len(els)), truncate("@"+c, 40), run))
	}
	if len(els) > 0 {
		blocks = append(blocks, slack.NewActionBlock("nfmm_clusters", els...))
	}
	return message{Text: e.Error(), Blocks: blocks}
}
