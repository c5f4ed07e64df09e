package commands

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/nfmm/nfmm/cms"
)

// Cluster is what commands asks of the CMS cluster, as intentions: find a meeting, read its
// roster, find a leg and its call, change a leg or a whole meeting. The cluster plans every
// round trip behind each call (what runs alongside what); commands only decides what to ask
// and what to change. *cms.Cluster implements it, and so do the tests' fakes: both run the same
// code here.
type Cluster interface {
	// NodeNames lists the configured nodes in configuration order.
	NodeNames() []string
	// Meetings lists every active meeting with its call details; Failed names unread nodes.
	Meetings(ctx context.Context) cms.MeetingList
	// FindMeeting resolves a reference from the calls lists alone (no call details).
	FindMeeting(ctx context.Context, ref string) (cms.Meeting, []cms.NodeError, error)
	// MeetingRoster resolves a reference and reads the meeting's call details and legs at once.
	MeetingRoster(ctx context.Context, ref string) (cms.Roster, error)
	// AlarmedLegs lists, on every node, the legs CMS raises a media alarm on, with their
	// statistics (the report's poor media).
	AlarmedLegs(ctx context.Context) []cms.NodeAlarmedLegs
	// FindLeg finds a leg by reference, on node first when given, and reads its call.
	FindLeg(ctx context.Context, ref, node string) (cms.LegInCall, error)
	UpdateLeg(ctx context.Context, node, legID string, u cms.LegUpdate) error
	DeleteLeg(ctx context.Context, node, legID string) error
	AddLeg(ctx context.Context, node, callID, remoteParty string) (string, error)
	// UpdateMeeting finds a meeting and applies a plan to its legs, calls and participants.
	UpdateMeeting(ctx context.Context, ref string, plan cms.MeetingPlan) (cms.MeetingOutcome, error)
	Status(ctx context.Context) []cms.NodeStatus
}

var _ Cluster = (*cms.Cluster)(nil)

// Config wires a Service.
type Config struct {
	Cluster Cluster
	// Clusters, when there are several, are every cluster by name; Cluster is then unused.
	Clusters []NamedCluster
	// ChannelClusters is a channel id's default cluster (NFMM_CHANNEL_CLUSTERS).
	ChannelClusters map[string]string
	Policy          Policy
	// Audit receives one event per state-changing operation, allowed or refused (AuditLog
	// writes them as JSON lines; AuditSinks fans out); nil discards.
	Audit AuditSink
	// Logger receives operational logs, including raw CMS errors; nil discards.
	Logger *slog.Logger
	// Now is the clock for durations and AsOf; nil means time.Now.
	Now func() time.Time
	// LegConcurrency bounds concurrent leg updates per node in presenter mode; 0 (the default)
	// leaves the bound to each node's own concurrency cap (cms.NodeConfig.MaxConcurrency),
	// which every request of every operation shares.
	LegConcurrency int
	// Schedule lists the report schedules for `schedule` at the given time; nil means this
	// instance has none.
	Schedule func(now time.Time) ScheduleResult
	// History is the CDR history `history` reads; nil answers that history is off.
	History History
	// Snapshots keeps presenter mode's before state for presenter off; nil keeps it in memory
	// (lost on restart).
	Snapshots PresenterSnapshots
	// HistoryDays is how far back history reaches (NFMM_HISTORY_DAYS); default 90.
	HistoryDays int
	// CDRReceivers, when set, adds each node's CDR receiver list to `status`.
	CDRReceivers CDRChecker
	// Alerts answers `alerts`; nil answers that alerts are off.
	Alerts Alerts
	// AuditHistory is the stored audit history `audit` reads; nil answers that there is none.
	AuditHistory AuditHistory
}

// Service runs NFMM's operations. It is safe for concurrent use.
type Service struct {
	cluster   Cluster
	policy    Policy
	name      string   // the cluster this copy of the Service runs on, with several (on)
	clusters  []scoped // every cluster, in configuration order; one with a single cluster
	bindings  map[string]string
	audit     AuditSink
	log       *slog.Logger
	now       func() time.Time
	perNode   int
	sched     func(now time.Time) ScheduleResult
	hist      History
	histDays  int
	snapshots PresenterSnapshots
	cdrCheck  CDRChecker
	alertBook Alerts
	auditHist AuditHistory
	seen      *seenLegs // names of legs shown, for clicks on people who have left (shared by every cluster's copy)
}

// New returns a Service; missing optional fields get their defaults.
func New(cfg Config) *Service {
	s := &Service{
		cluster: cfg.Cluster, policy: cfg.Policy, audit: cfg.Audit, log: cfg.Logger,
		now: cfg.Now, perNode: cfg.LegConcurrency, sched: cfg.Schedule,
		hist: cfg.History, histDays: cmp.Or(max(cfg.HistoryDays, 0), 90), cdrCheck: cfg.CDRReceivers,
		snapshots: cfg.Snapshots, alertBook: cfg.Alerts, auditHist: cfg.AuditHistory,
		seen: &seenLegs{},
	}
	s.bindings = cfg.ChannelClusters
	s.clusters = []scoped{{name: DefaultCluster, cluster: cfg.Cluster, policy: cfg.Policy}}
	if len(cfg.Clusters) > 0 {
		s.clusters = nil
		for _, nc := range cfg.Clusters {
			p := scopedPolicy(cfg.Policy, nc)
			if len(cfg.Clusters) == 1 {
				p.Cluster = "" // one cluster: refusals need not name it
			}
			s.clusters = append(s.clusters, scoped{name: nc.Name, cluster: nc.Cluster, policy: p})
		}
		for i := range s.clusters {
			for j, o := range s.clusters {
				if j != i {
					s.clusters[i].policy.others = append(s.clusters[i].policy.others, o.policy)
				}
			}
		}
		s.cluster, s.policy = s.clusters[0].cluster, s.clusters[0].policy
	}
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	if s.audit == nil {
		s.audit = AuditSinks{}
	}
	if s.log == nil {
		s.log = discard
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.snapshots == nil {
		s.snapshots = &MemorySnapshots{}
	}
	s.perNode = max(s.perNode, 0)
	return s
}

// SetAlerts attaches what `alerts` reads when it exists only after the Service (the alert
// evaluator posts through the bot, which runs commands through the Service). Call it before
// the first Execute.
func (s *Service) SetAlerts(a Alerts) { s.alertBook = a }

// RoleOf returns what the actor may do (the bot hides controls accordingly).
// With several clusters it is the role on the cluster a click came from or the channel's,
// else the widest over every cluster.
func (s *Service) RoleOf(a Actor) Role { return s.policyFor(a).RoleOf(a) }

// Allowed returns nil when the actor may run op, else a *DeniedError.
func (s *Service) Allowed(a Actor, op Op) error { return s.policyFor(a).Allowed(a, op) }

// Run parses text and executes it.
func (s *Service) Run(ctx context.Context, a Actor, text string) (Result, error) {
	c, err := parse(text, !s.textsWord(text))
	if err != nil {
		return nil, err
	}
	return s.Execute(ctx, a, c)
}

// Execute checks the policy, validates the command (buttons build Commands directly, so this is
// repeated here), runs it and audits it when it changes state.
func (s *Service) Execute(ctx context.Context, a Actor, c Command) (Result, error) {
	if s.Multi() {
		return s.executeMulti(ctx, a, c)
	}
	if name := c.Cluster; name != "" && name != AllClusters && name != s.clusters[0].name {
		return nil, UnknownCluster(name, s.ClusterNames())
	}
	return s.execute(ctx, a, c)
}

// execute runs c on the Service's one cluster.
func (s *Service) execute(ctx context.Context, a Actor, c Command) (Result, error) {
	if err := s.policy.Allowed(a, c.Op); err != nil {
		if c.Op.Changes() {
			s.record(ctx, a, c, nil, err)
		}
		return nil, err
	}
	if err := s.validate(c); err != nil {
		if c.Op.Changes() {
			s.record(ctx, a, c, nil, err)
		}
		return nil, err
	}
	o, _ := operationOf(c.Op) // validate refused unknown operations
	r, err := o.run(s, ctx, a, c)
	if c.Op != OpHelp {
		s.logErr(ctx, c, err)
	}
	if o.changes {
		ar, _ := r.(*ActionResult)
		s.record(ctx, a, c, ar, err)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// validate checks a Command's fields the way Parse does, for Commands built by buttons.
func (s *Service) validate(c Command) error {
	o, ok := operationOf(c.Op)
	if !ok {
		return unknownCommand(string(c.Op))
	}
	if err := checkNode(c.Node, s.nodeNames()); err != nil {
		return err
	}
	if o.validate == nil {
		return nil
	}
	return o.validate(c)
}

func checkPresenter(c Command) error {
	u := usageOf(OpPresenter)
	if err := checkText("meeting", c.Meeting, u); err != nil {
		return err
	}
	if c.Off {
		return nil
	}
	if c.Participant == "" {
		return usageErr(CodeMissingArg, u, "Who presents? Give a participant (leg id or part of the name), or `off`.")
	}
	return checkText("participant", c.Participant, u)
}

func mediaOrDefault(m Media) Media {
	if m == "" {
		return MediaAudio
	}
	return m
}

func (s *Service) nodeNames() []string { return s.cluster.NodeNames() }

// logErr logs the raw error of a failed operation; only the log sees it, never the user. CMS
// failures are warnings; bad references are the user's business and only debug.
func (s *Service) logErr(ctx context.Context, c Command, err error) {
	if err == nil {
		return
	}
	level := slog.LevelDebug
	var ce *CMSError
	if errors.As(err, &ce) {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(ctx, level, "operation failed", slog.String("op", string(c.Op)),
		slog.String("user_message", UserMessage(err)), slog.String("error", cause(err)))
}

// logNodeFailure logs why one node failed in a partial result, where the user sees only the
// user-safe reason: a warning, once per failure, with the raw error (for TLS, its x509 reason).
func (s *Service) logNodeFailure(ctx context.Context, node, reason string, err error) {
	s.log.LogAttrs(ctx, slog.LevelWarn, "CMS node failed", slog.String("node", node),
		slog.String("user_message", reason), slog.String("error", err.Error()))
}

// cause is the raw error behind err's user message: *CMSError and *RefError keep the cluster's
// error (node, path, x509 reason) in Err, and their own Error() is only the user message.
func cause(err error) string {
	var ce *CMSError
	if errors.As(err, &ce) && ce.Err != nil {
		return ce.Err.Error()
	}
	var re *RefError
	if errors.As(err, &re) && re.Err != nil {
		return re.Err.Error()
	}
	return err.Error()
}

// schedule answers `schedule` from the configured provider.
func (s *Service) schedule() *ScheduleResult {
	now := s.now()
	r := ScheduleResult{AsOf: now}
	if s.sched != nil {
		r = s.sched(now)
		r.AsOf = now
	}
	return &r
}
