package commands

import (
	"strings"
	"time"

	"github.com/nfmm/nfmm/cms"
)

// liveCluster is a cluster that keeps live state (*cms.Cluster does): it knows since when
// each node it lost has been down.
type liveCluster interface{ Live() *cms.Live }

// downSince is, per node the live state has marked down, when it went down; empty without
// live state.
func (s *Service) downSince() map[string]time.Time {
	lc, ok := s.cluster.(liveCluster)
	if !ok {
		return nil
	}
	l := lc.Live()
	if l == nil {
		return nil
	}
	out := map[string]time.Time{}
	for _, n := range l.Nodes() {
		if n.Mode == cms.ModeDown && !n.Since.IsZero() {
			out[n.Node] = n.Since
		}
	}
	return out
}

// failureOf is a status line's node as a NodeFailure, for NodeDownText.
func failureOf(n NodeHealth) NodeFailure {
	f := NodeFailure{Cluster: n.Cluster, Node: n.Node, Reason: n.Error}
	if n.Live == string(cms.ModeDown) && n.LiveSince != nil {
		f.Since = *n.LiveSince
	}
	return f
}

// NodeDownText is the one line that says a node did not answer: the node named once, the
// cause, and since when when the live state knows ("cb2 could not be reached (connection
// refused) · down since 14:02"). Times are shown in loc (nil: local time).
func NodeDownText(f NodeFailure, now time.Time, loc *time.Location) string {
	text := strings.TrimSuffix(strings.TrimSpace(f.Reason), ".")
	node := QualifiedNode(f.Cluster, f.Node) // with several clusters, "emea/cb2"
	switch {
	case text == "":
		text = node + " could not be reached"
	case f.Node != "" && !strings.Contains(text, f.Node):
		text = node + ": " + text
	case node != f.Node:
		text = strings.Replace(text, f.Node, node, 1)
	}
	if !f.Since.IsZero() {
		text += " · down since " + clockSince(f.Since, now, loc)
	}
	return text
}

// NodeHealthDownText is NodeDownText for a node of `status` that did not answer.
func NodeHealthDownText(n NodeHealth, now time.Time, loc *time.Location) string {
	return NodeDownText(failureOf(n), now, loc)
}

// clockSince is a time of day, with the date when it is not within the last day.
func clockSince(t, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	t = t.In(loc)
	if !now.IsZero() && now.Sub(t) < 20*time.Hour {
		return t.Format("15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}
