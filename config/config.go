// Package config loads NFMM's configuration from the environment (and .env, real variables
// winning) into one validated Config; Load reports every problem at once, naming the variable,
// never echoing a secret. Only main imports it.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	// Embedded zone data: CRON_TZ=Europe/Oslo must work in a scratch/distroless image that
	// ships no /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/nfmm/nfmm/internal/names"
)

// Secret is a credential that never prints: String, MarshalJSON and LogValue return "<secret>".
type Secret string

// Mode says which sub-command loads the configuration (run needs Slack tokens, exec does not).
type Mode int

const (
	ModeRun Mode = iota
	ModeExec
	ModeSim
	ModeDemo
)

func (m Mode) String() string {
	switch m {
	case ModeRun:
		return "run"
	case ModeExec:
		return "exec"
	case ModeSim:
		return "sim"
	case ModeDemo:
		return "demo"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Node is one configured CMS call bridge.
type Node struct {
	Name     string
	URL      string // scheme://host[:port], no path, no trailing slash (cms adds /api/v1)
	Username string
	Password Secret
}

// Cluster is one CMS cluster: its call bridges and how to reach them. CMS_NODES configures
// one cluster named DefaultCluster; CMS_CLUSTERS=emea,amer configures several, each from its
// CMS_<CLUSTER>_* variables (docs/configuration.md#several-clusters).
type Cluster struct {
	Name               string // names.Valid, never "all"
	Nodes              []Node // empty when SimNodes > 0
	SimNodes           int    // CMS_<CLUSTER>_NODES=sim or sim:N
	CAFile             string
	InsecureSkipVerify bool
	Timeout            time.Duration
	Concurrency        int
	// Operators and Viewers are this cluster's own (CMS_<CLUSTER>_OPERATORS/_VIEWERS), on top
	// of NFMM_OPERATORS/NFMM_VIEWERS, who have their role on every cluster.
	Operators []string
	Viewers   []string
	// Discover (CMS_<CLUSTER>_DISCOVER) asks for the cluster's peers to be read from
	// /api/v1/callBridges of a configured node and added to Nodes.
	Discover bool
	// Peers is how discovered call bridges are reached; set only when Discover is on.
	Peers Peers
}

// Peers is how the call bridges discovery adds to a cluster are reached: on the port the
// cluster lists for them (or Port), with the cluster's credentials, or a node's own when a
// per-node override names it (CMS_<NODE>_PASSWORD, CMS_<CLUSTER>_<NODE>_PASSWORD) without a
// configured node of that name.
type Peers struct {
	Prefix   string // the cluster's variable prefix, CMS_ or CMS_EMEA_, for messages
	Port     int    // CMS_DISCOVER_PORT / CMS_<CLUSTER>_DISCOVER_PORT; 0 keeps the listed port
	Username string
	Password Secret
	Nodes    map[string]Node // names.EnvKey(node) -> its overrides (Username, Password; Name empty)
}

// Auth returns the credentials of a discovered node called name.
func (p Peers) Auth(name string) (string, Secret) {
	o := p.Nodes[names.EnvKey(name)]
	return firstNonEmpty(o.Username, p.Username), Secret(firstNonEmpty(string(o.Password), string(p.Password)))
}

// Report is one scheduled report: a cron spec (5 fields, descriptors, CRON_TZ= prefix) and a channel.
type Report struct {
	Spec    string // accepted by cron.ParseStandard, e.g. "CRON_TZ=Europe/Oslo 0 8 * * 1-5"
	Channel string // channel id (C…/G…) or #name
	Cluster string // "@emea" at the end of the entry; "" = the channel's cluster, else every cluster
}

// Defaults applied when a variable is unset.
const (
	DefaultSlackAPIURL    = "https://slack.com/api/"
	DefaultSimNodes       = 3
	MaxSimNodes           = 24
	MaxNodes              = 24 // CMS clusters are documented for up to 24 call bridges
	MaxClusters           = 16
	DefaultCluster        = "default" // the name of CMS_NODES's one cluster
	DefaultCMSTimeout     = 10 * time.Second
	DefaultCMSConcurrency = 8
	DefaultCMSEvents      = "auto"
	DefaultPollInterval   = 5 * time.Second
	DefaultLiveTTL        = 4 * time.Hour
	MaxCMSConcurrency     = 64
	DefaultHTTPAddr       = "127.0.0.1:9090"
	DefaultLogLevel       = "info"
)

// Config is everything NFMM reads from its environment (design.md's configuration contract).
type Config struct {
	SlackBotToken      Secret
	SlackAppToken      Secret
	SlackAPIURL        string // always ends in "/"
	Nodes              []Node // empty when SimNodes > 0
	SimNodes           int    // CMS_NODES=sim (3) or sim:N
	CAFile             string
	InsecureSkipVerify bool
	CMSTimeout         time.Duration
	CMSConcurrency     int
	CMSEvents          string        // CMS_EVENTS: auto (default), on or off
	PollInterval       time.Duration // NFMM_POLL_INTERVAL: REST polling of nodes without events
	LiveTTL            time.Duration // NFMM_LIVE_TTL: how long a live message keeps updating
	// Discover and Peers are CMS_DISCOVER… of the CMS_NODES cluster (Cluster.Discover).
	Discover bool
	Peers    Peers
	// Clusters are CMS_CLUSTERS's clusters; empty with CMS_NODES, whose one cluster is the
	// fields above (ClusterList gives both forms as one list).
	Clusters []Cluster
	// ChannelClusters is NFMM_CHANNEL_CLUSTERS: a channel id's default cluster.
	ChannelClusters map[string]string
	Operators       []string
	Viewers         []string
	Channels        []string
	Reports         []Report
	ReportQuiet     bool // stay silent when there are no calls
	AuditChannel    string
	AdminContact    string // NFMM_ADMIN_CONTACT: who refusals say to ask; "" = "an NFMM admin"
	HTTPAddr        string // "" = operations endpoint off (NFMM_HTTP_ADDR=off)
	LogLevel        string // debug, info, warn or error
	Alerts          Alerts // NFMM_ALERT_* (alerts.go)
	CDR             CDR    // the CDR receiver and meeting history; off unless NFMM_CDR_URL
	Store           Store

	// Warnings are non-fatal findings (e.g. a stripped /api/v1 path) for main to log at start-up.
	Warnings []string
}

// ClusterList is every configured cluster: CMS_CLUSTERS's, or CMS_NODES's one cluster named
// DefaultCluster (also for harnesses that fill Nodes/SimNodes themselves).
func (c Config) ClusterList() []Cluster {
	if len(c.Clusters) > 0 {
		return c.Clusters
	}
	return []Cluster{{Name: DefaultCluster, Nodes: c.Nodes, SimNodes: c.SimNodes, CAFile: c.CAFile,
		InsecureSkipVerify: c.InsecureSkipVerify, Timeout: c.CMSTimeout, Concurrency: c.CMSConcurrency,
		Discover: c.Discover, Peers: c.Peers}}
}

// Load reads the configuration for mode from getenv (os.Getenv after .env was loaded).
//
// Per-node credential overrides naming an unknown node (CMS_CB9_PASSWORD without a node cb9)
// are found by listing the process environment's variable names; their values still come from
// getenv. Use LoadEnviron to supply the whole environment explicitly (tests).
func Load(getenv func(string) string, mode Mode) (Config, error) {
	var names []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if getenv(name) != "" {
			names = append(names, name)
		}
	}
	return load(getenv, names, mode)
}

// LoadEnviron is Load over an explicit environment in os.Environ's "KEY=value" form; later
// entries win, as in exec.Cmd.Env.
func LoadEnviron(environ []string, mode Mode) (Config, error) {
	env := make(map[string]string, len(environ))
	names := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if _, seen := env[k]; !seen {
			names = append(names, k)
		}
		env[k] = v
	}
	return load(func(k string) string { return env[k] }, names, mode)
}

func load(getenv func(string) string, names []string, mode Mode) (Config, error) {
	l := &loader{get: getenv, names: names, mode: mode}
	l.slack()
	l.cms()
	l.policy()
	l.reports()
	l.operations()
	l.alerts()
	l.cdr()
	l.store()
	l.cfg.Warnings = l.warnings
	if len(l.problems) > 0 {
		return l.cfg, &Error{Problems: l.problems}
	}
	return l.cfg, nil
}

// loader accumulates the configuration and every problem found while reading it.
type loader struct {
	get      func(string) string
	names    []string
	mode     Mode
	cfg      Config
	problems []*Problem
	warnings []string
	nodesBad bool // CMS_NODES had a problem
	// clustersBad is set when CMS_CLUSTERS's list itself had a problem.
	clustersBad bool
}

func (l *loader) env(name string) string { return strings.TrimSpace(l.get(name)) }

func (l *loader) fail(name, format string, args ...any) {
	l.problems = append(l.problems, &Problem{Var: name, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) failErr(name string, err error, format string, args ...any) {
	l.problems = append(l.problems, &Problem{Var: name, Msg: fmt.Sprintf(format, args...), Err: err})
}

func (l *loader) warn(format string, args ...any) {
	l.warnings = append(l.warnings, fmt.Sprintf(format, args...))
}

// SlogLevel maps LogLevel to a slog.Level (info when unset).
func (c Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
