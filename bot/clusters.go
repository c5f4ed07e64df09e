package bot

import (
	"strconv"
	"strings"

	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/internal/names"
	"github.com/slack-go/slack"
)

// Several clusters: every interactive element names the cluster of the message it belongs to,
// so a click acts on that cluster whatever the channel it was posted in is bound to. The name
// rides in the block_id of the block holding the element (Slack returns it with every action),
// never in the values: those stay exactly what each control's own encoder made (legRef,
// pageRef, …), within their limits, and controls added later inherit the cluster without
// knowing about it. A block_id becomes
//
//	~<cluster>~<its own block_id>     or    ~<cluster>~#<n>    when it had none
//
// (block ids must be unique in a message; Slack makes up the missing ones otherwise). Names
// never contain '~' or '#' (names.Valid), and no block_id NFMM sets starts with '~', so
// messages posted before an upgrade, which carry no cluster, decode as "no cluster": the click
// then acts on the cluster a typed command would. Modals carry it in their origin (clusterOf).
// With one cluster nothing is stamped and every message is exactly as before.

const stampMark = "~"

// stampID is blockID carrying cluster; n makes a missing block_id unique in its message.
func stampID(cluster, blockID, n string) string {
	if blockID == "" {
		blockID = "#" + n
	}
	return stampMark + cluster + stampMark + blockID
}

// unstampID splits a block_id into the cluster it names ("" for none, or a malformed one) and
// the block_id its renderer set.
func unstampID(id string) (cluster, blockID string) {
	rest, ok := strings.CutPrefix(id, stampMark)
	if !ok {
		return "", id
	}
	c, orig, ok := strings.Cut(rest, stampMark)
	if !ok || !(names.ValidCluster(c) || c == commands.AllClusters) {
		return "", id
	}
	if strings.HasPrefix(orig, "#") {
		orig = ""
	}
	return c, orig
}

func stamped(id string) bool {
	c, _ := unstampID(id)
	return c != ""
}

// stampBlocks names cluster on every block that holds an interactive element and does not
// name one yet (the lines of an @all list name their own).
func stampBlocks(blocks []slack.Block, cluster string) {
	if cluster == "" {
		return
	}
	for i, b := range blocks {
		n := strconv.Itoa(i)
		switch b := b.(type) {
		case *slack.ActionBlock:
			if !stamped(b.BlockID) {
				b.BlockID = stampID(cluster, b.BlockID, n)
			}
		case *slack.SectionBlock:
			if b.Accessory != nil && !stamped(b.BlockID) {
				b.BlockID = stampID(cluster, b.BlockID, n)
			}
		case *slack.InputBlock:
			if !stamped(b.BlockID) {
				b.BlockID = stampID(cluster, b.BlockID, n)
			}
		}
	}
}

// lineSection is a section of one line of an @all list, naming the line's own cluster.
func lineSection(s *slack.SectionBlock, cluster, key string) *slack.SectionBlock {
	if cluster != "" && s.Accessory != nil {
		s.BlockID = stampID(cluster, "", "l"+key)
	}
	return s
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
		if len(run) > maxButtonValue || len(els) == maxClusterChoices {
			break
		}
		els = append(els, button(clusterRunAction(len(els)), truncate("@"+c, 40), run))
	}
	if len(els) > 0 {
		blocks = append(blocks, slack.NewActionBlock("nfmm_clusters", els...))
	}
	return message{Text: e.Error(), Blocks: blocks}
}

// qualNode is cluster/node on a line of several clusters, else the node.
func qualNode(cluster, node string) string {
	if cluster == "" {
		return node
	}
	return cluster + "/" + node
}
