// Package config loads NFMM's configuration from the environment (and .env, real variables
// winning) into one validated Config; Load reports every problem at once, naming the variable,
// never echoing a secret. Only main imports it.
package config

import "time"

// CONTRACT STUB: the config helper implements Load and validation.

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

// Node is one configured CMS call bridge.
type Node struct {
	Name     string
	URL      string
	Username string
	Password Secret
}

// Report is one scheduled report: a cron spec (5 fields, descriptors, CRON_TZ= prefix) and a channel.
type Report struct {
	Spec    string
	Channel string
}

// Config is everything NFMM reads from its environment (design.md's configuration contract).
type Config struct {
	SlackBotToken      Secret
	SlackAppToken      Secret
	SlackAPIURL        string
	Nodes              []Node // empty when SimNodes > 0
	SimNodes           int    // CMS_NODES=sim (3) or sim:N
	CAFile             string
	InsecureSkipVerify bool
	CMSTimeout         time.Duration
	CMSConcurrency     int
	Operators          []string
	Viewers            []string
	Channels           []string
	Reports            []Report
	ReportQuiet        bool // stay silent when there are no calls
	AuditChannel       string
	HTTPAddr           string
	LogLevel           string
}

// Load reads the configuration for mode from getenv (os.Getenv after .env was loaded).
func Load(getenv func(string) string, mode Mode) (Config, error) {
	return Config{SimNodes: 3, HTTPAddr: "127.0.0.1:9090"}, nil
}
