package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nfmm/nfmm/internal/names"
)

// Several clusters. A Service serves one cluster (Config.Cluster) or several (Config.Clusters);
// with several, every command acts on one cluster, picked in this order: the `@emea` word of
// the command (Command.Cluster), the message a click came from (Actor.Cluster), the channel's
// binding (Config.ChannelClusters), the only cluster. Otherwise the command is refused with a
// *ClusterChoiceError naming them, which the bot turns into a button per cluster. `@all` reads
// every cluster at once for calls, status and report; their lines then carry the cluster.

// DefaultCluster is the name of the one cluster of CMS_NODES (config.DefaultCluster).
const DefaultCluster = "default"

// AllClusters is `@all`.
const AllClusters = names.All

// NamedCluster is one of several clusters: its name, its CMS seam and its own roles, which add
// to Policy's (Policy.Operators are operators of every cluster).
type NamedCluster struct {
	Name      string
	Cluster   Cluster
	Operators []string
	Viewers   []string
}

// scoped is one cluster as the Service runs it: the seam and the policy on that cluster.
type scoped struct {
	name    string
	cluster Cluster
	policy  Policy
}

// ClusterChoiceError refuses a command that names no cluster where none is implied: a DM or a
// channel without a binding, with several clusters configured.
type ClusterChoiceError struct {
	Op       Op
	Clusters []string // every configured cluster, in configuration order
	All      bool     // the operation also reads @all
	Channel  string   // where it was asked: a channel, a DM (D…), "" for the terminal
}

// As makes the question a usage error (code choose_cluster) to errors.As: the command is
// incomplete as typed, so exec exits 2 and JSON says "usage", like any missing argument.
func (e *ClusterChoiceError) As(target any) bool {
	if ue, ok := target.(**UsageError); ok {
		*ue = &UsageError{Code: CodeChooseCluster, Msg: e.Error()}
		return true
	}
	return false
}

func (e *ClusterChoiceError) Error() string {
	words := make([]string, len(e.Clusters))
	for i, c := range e.Clusters {
		words[i] = "`@" + c + "`"
	}
	msg := "Which cluster? Add " + strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
	if e.All {
		msg += " (or `@all` for every cluster)"
	}
	switch {
	case e.Channel == "":
		return msg + " to the command: several clusters are configured."
	case strings.HasPrefix(e.Channel, "D"):
		return msg + " to the command: a direct message has no default cluster."
	}
	return msg + " to the command: this channel has no default cluster."
}

// UnknownCluster is the usage error of an `@name` (or a button's cluster) that names no
// configured cluster; exec watch, which picks its cluster itself, answers with it too.
func UnknownCluster(name string, known []string) *UsageError {
	return usageErr(CodeInvalidCluster, "", "There is no cluster %s; clusters are %s.", printable(name), strings.Join(known, ", "))
}

// acrossOps are the operations `@all` runs on every cluster and merges.
var acrossOps = map[Op]bool{OpCalls: true, OpStatus: true, OpReport: true}

// clusterless operations do not act on a cluster.
var clusterless = map[Op]bool{OpHelp: true, OpSchedule: true, OpAlerts: true, OpAudit: true}

// ClusterNames lists the configured clusters; one name ("default") with a single cluster.
func (s *Service) ClusterNames() []string {
	out := make([]string, len(s.clusters))
	for i, c := range s.clusters {
		out[i] = c.name
	}
	return out
}

// Multi reports whether several clusters are configured (results then name their cluster).
func (s *Service) Multi() bool { return len(s.clusters) > 1 }

func (s *Service) scopedByName(name string) (scoped, bool) {
	for _, c := range s.clusters {
		if c.name == name {
			return c, true
		}
	}
	return scoped{}, false
}

// pick is the cluster c acts on for a (see the package comment above); "all" for @all.
func (s *Service) pick(a Actor, c Command) (string, error) {
	known := s.ClusterNames()
	for _, name := range []string{c.Cluster, a.Cluster} {
		if name == "" {
			continue
		}
		if strings.EqualFold(name, AllClusters) {
			return AllClusters, nil
		}
		if !slices.Contains(known, name) {
			return "", UnknownCluster(name, known)
		}
		return name, nil
	}
	if b := s.bindings[a.ChannelID]; b != "" && a.ChannelID != "" {
		return b, nil
	}
	if len(known) == 1 {
		return known[0], nil
	}
	return "", &ClusterChoiceError{Op: c.Op, Clusters: known, All: acrossOps[c.Op], Channel: a.ChannelID}
}

// on is the Service as it runs on one cluster: the same Service with that cluster's seam and
// policy. It shares everything else (audit, clock, history, snapshots).
func (s *Service) on(sc scoped) *Service {
	cp := *s
	cp.cluster, cp.policy, cp.name = sc.cluster, sc.policy, sc.name
	if pc, ok := s.snapshots.(interface {
		ForCluster(string) PresenterSnapshots
	}); ok && s.Multi() {
		cp.snapshots = pc.ForCluster(sc.name) // a store keeps each cluster's apart
	}
	return &cp
}

// policyFor is the policy a's role is judged by when no command says which cluster: the
// cluster a click came from or the channel's, else the widest role over every cluster.
func (s *Service) policyFor(a Actor) Policy {
	if !s.Multi() {
		return s.policy
	}
	name := a.Cluster
	if name == "" {
		name = s.bindings[a.ChannelID]
	}
	if sc, ok := s.scopedByName(name); ok {
		return sc.policy
	}
	best := s.clusters[0].policy
	for _, c := range s.clusters[1:] {
		if c.policy.RoleOf(a) > best.RoleOf(a) {
			best = c.policy
		}
	}
	return best
}

// RoleOn is a's role on the named cluster ("" or unknown: RoleOf).
func (s *Service) RoleOn(a Actor, cluster string) Role {
	if sc, ok := s.scopedByName(cluster); ok {
		return sc.policy.RoleOf(a)
	}
	return s.RoleOf(a)
}

// scopedPolicy is base with a cluster's own operators and viewers added.
func scopedPolicy(base Policy, nc NamedCluster) Policy {
	p := base
	p.Cluster = nc.Name
	p.Operators = append(slices.Clone(base.Operators), nc.Operators...)
	if len(nc.Viewers) > 0 {
		// The cluster has its own viewers: looking at it is theirs (and the shared viewers'),
		// no longer everyone's.
		p.Viewers = append(slices.Clone(base.Viewers), nc.Viewers...)
	}
	return p
}

// executeMulti runs c on the cluster pick chooses, or on every cluster for @all.
func (s *Service) executeMulti(ctx context.Context, a Actor, c Command) (Result, error) {
	if clusterless[c.Op] {
		cp := *s
		cp.policy = s.policyFor(a)
		return cp.execute(ctx, a, c)
	}
	name, err := s.pick(a, c)
	if err != nil {
		if c.Op.Changes() {
			s.record(ctx, a, c, nil, err)
		}
		return nil, err
	}
	if name == AllClusters {
		if !acrossOps[c.Op] {
			return nil, usageErr(CodeInvalidCluster, usageOf(c.Op), "`@all` works with calls, status and report; name one cluster (%s) for %s.",
				strings.Join(s.ClusterNames(), ", "), c.Op)
		}
		return s.across(ctx, a, c)
	}
	sc, _ := s.scopedByName(name)
	r, err := s.on(sc).execute(ctx, a, c)
	var re *RefError
	switch {
	case err == nil:
		tagCluster(r, name, false)
	case errors.As(err, &re):
		re.Cluster = name // whose candidates these are
	}
	return r, err
}

// across runs c on every cluster at once and merges the answers, each line naming its cluster.
// A cluster that refuses (a role it does not give, a --node it does not have) is left out; when
// every cluster refuses, the first refusal is the answer.
func (s *Service) across(ctx context.Context, a Actor, c Command) (Result, error) {
	rs := make([]Result, len(s.clusters))
	errs := make([]error, len(s.clusters))
	var wg sync.WaitGroup
	for i, sc := range s.clusters {
		wg.Go(func() {
			rs[i], errs[i] = s.on(sc).execute(ctx, a, c)
			if errs[i] == nil {
				tagCluster(rs[i], sc.name, true)
			}
		})
	}
	wg.Wait()
	var ok []Result
	for i, r := range rs {
		if errs[i] == nil {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil, errs[0]
	}
	return s.merge(c, ok), nil
}

// merge joins the per-cluster answers of an @all read; every line already names its cluster.
func (s *Service) merge(c Command, rs []Result) Result {
	switch c.Op {
	case OpCalls:
		m := &CallsResult{Cluster: AllClusters, Filter: c.Filter, Node: c.Node, AsOf: s.now()}
		for _, r := range rs {
			cr := r.(*CallsResult)
			m.Meetings = append(m.Meetings, cr.Meetings...)
			m.TotalParticipants += cr.TotalParticipants
			for _, n := range cr.Nodes {
				m.Nodes = append(m.Nodes, cr.Cluster+"/"+n)
			}
			m.Unreachable = append(m.Unreachable, cr.Unreachable...)
		}
		return m
	case OpStatus:
		m := &StatusResult{Cluster: AllClusters, AsOf: s.now()}
		for _, r := range rs {
			m.Nodes = append(m.Nodes, r.(*StatusResult).Nodes...)
		}
		return m
	case OpReport:
		m := &ReportResult{Cluster: AllClusters, AsOf: s.now()}
		for _, r := range rs {
			rr := r.(*ReportResult)
			m.Meetings += rr.Meetings
			m.Participants += rr.Participants
			m.Nodes = append(m.Nodes, rr.Nodes...)
			m.Largest = append(m.Largest, rr.Largest...)
			m.PoorMedia = append(m.PoorMedia, rr.PoorMedia...)
			m.Unreachable = append(m.Unreachable, rr.Unreachable...)
			m.MediaUnchecked = append(m.MediaUnchecked, rr.MediaUnchecked...)
			m.RostersRead += rr.RostersRead
			m.RostersSkipped += rr.RostersSkipped
		}
		slices.SortStableFunc(m.Largest, func(a, b MeetingSummary) int { return cmp.Compare(b.Participants, a.Participants) })
		m.Largest = m.Largest[:min(len(m.Largest), reportTop)]
		return m
	}
	panic(fmt.Sprintf("commands: merge of %s", c.Op)) // across refuses every other operation
}

// tagCluster names the cluster on a result and, for the lines of an @all answer (lines), on
// each line: a one-cluster answer says it once.
func tagCluster(r Result, name string, lines bool) {
	tagFailures := func(fs []NodeFailure) {
		for i := range fs {
			fs[i].Cluster = name
		}
	}
	if !lines {
		setCluster(r, name)
		return
	}
	switch r := r.(type) { // across merges only these
	case *CallsResult:
		r.Cluster = name
		for i := range r.Meetings {
			r.Meetings[i].Cluster = name
		}
		tagFailures(r.Unreachable)
	case *StatusResult:
		r.Cluster = name
		for i := range r.Nodes {
			r.Nodes[i].Cluster = name
		}
	case *ReportResult:
		r.Cluster = name
		for i := range r.Nodes {
			r.Nodes[i].Cluster = name
		}
		for i := range r.Largest {
			r.Largest[i].Cluster = name
		}
		for i := range r.PoorMedia {
			r.PoorMedia[i].Cluster = name
		}
		tagFailures(r.Unreachable)
		tagFailures(r.MediaUnchecked)
	}
}

// clusterNamer is a result that names the cluster it is about: clusterField is where, nil on a
// nil result.
type clusterNamer interface {
	clusterField() *string
}

func (r *CallsResult) clusterField() *string {
	if r == nil {
		return nil
	}
	return &r.Cluster
}

func (r *RosterResult) clusterField() *string {
	if r == nil {
		return nil
	}
	return &r.Cluster
}

func (r *ParticipantResult) clusterField() *string {
	if r == nil {
		return nil
	}
	return &r.Cluster
}

func (r *ActionResult) clusterField() *string {
	if r == nil {
		return nil
	}
	return &r.Cluster
}

func (r *StatusResult) clusterField() *string {
	if r == nil {
		return nil
	}
	return &r.Cluster
}

func (r *ReportResult) clusterField() *string {
	if r == nil {
		return nil
	}
	return &r.Cluster
}

func (r *FindResult) clusterField() *string {
	if r == nil {
		return nil
	}
	return &r.Cluster
}

func (r *HistoryResult) clusterField() *string {
	if r == nil {
		return nil
	}
	return &r.Cluster
}

func (r *WatchResult) clusterField() *string {
	if r == nil {
		return nil
	}
	return &r.Cluster
}

// ClusterOf is the cluster a result is about ("all" for @all); "" with one cluster.
func ClusterOf(r Result) string {
	if c, ok := r.(clusterNamer); ok {
		if f := c.clusterField(); f != nil {
			return *f
		}
	}
	return ""
}

// setCluster names the cluster on a result (and on a watch's snapshot).
func setCluster(r Result, name string) {
	if c, ok := r.(clusterNamer); ok {
		if f := c.clusterField(); f != nil {
			*f = name
		}
	}
	if w, ok := r.(*WatchResult); ok && w != nil {
		setCluster(w.Snapshot, name)
	}
}
