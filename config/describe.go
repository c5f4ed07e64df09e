package config

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// String describes the effective configuration for a start-up log or `nfmm version -v`; the
// secrets show as set/unset only.
func (c Config) String() string {
	var b strings.Builder
	for _, a := range c.attrs() {
		fmt.Fprintf(&b, "%s=%s\n", a.Key, a.Value.Resolve())
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// LogValue logs the effective configuration as a group, secrets redacted.
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.attrs()...) }

func (c Config) attrs() []slog.Attr {
	return []slog.Attr{
		slog.String("slack_bot_token", setOrUnset(c.SlackBotToken)),
		slog.String("slack_app_token", setOrUnset(c.SlackAppToken)),
		slog.String("slack_api_url", c.SlackAPIURL),
		slog.String("cms_nodes", c.nodesText()),
		slog.String("cms_clusters", c.clustersText()),
		slog.String("channel_clusters", c.channelClustersText()),
		slog.String("cms_ca_file", c.CAFile),
		slog.Bool("cms_insecure_skip_verify", c.InsecureSkipVerify),
		slog.Duration("cms_timeout", c.CMSTimeout),
		slog.Int("cms_concurrency", c.CMSConcurrency),
		slog.String("cms_discover", discoverText(c.Discover, c.Peers)),
		slog.String("operators", strings.Join(c.Operators, ",")),
		slog.String("viewers", strings.Join(c.Viewers, ",")),
		slog.String("channels", strings.Join(c.Channels, ",")),
		slog.String("reports", c.reportsText()),
		slog.Bool("report_quiet", c.ReportQuiet),
		slog.String("audit_channel", c.AuditChannel),
		slog.String("http_addr", orOff(c.HTTPAddr)),
		slog.String("log_level", c.LogLevel),
		slog.String("cdr_url", setOrUnset(c.CDR.URL)),
		slog.String("cdr_addr", orOff(c.CDR.Addr)),
		slog.Int("history_days", c.CDR.HistoryDays),
		slog.String("store", c.storeText()),
		slog.Duration("report_catchup", c.Store.ReportCatchup),
	}
}

func (c Config) nodesText() string { return nodesText(c.SimNodes, c.Nodes) }

// clustersText is CMS_CLUSTERS's clusters, each with its nodes; "" with CMS_NODES.
func (c Config) clustersText() string {
	parts := make([]string, len(c.Clusters))
	for i, cl := range c.Clusters {
		parts[i] = fmt.Sprintf("%s[%s timeout %s concurrency %d operators %s viewers %s discover %s]", cl.Name, nodesText(cl.SimNodes, cl.Nodes),
			cl.Timeout, cl.Concurrency, strings.Join(cl.Operators, ","), strings.Join(cl.Viewers, ","), discoverText(cl.Discover, cl.Peers))
	}
	return strings.Join(parts, " ")
}

func (c Config) channelClustersText() string {
	parts := make([]string, 0, len(c.ChannelClusters))
	for ch, cl := range c.ChannelClusters {
		parts = append(parts, ch+"="+cl)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func nodesText(sim int, nodes []Node) string {
	if sim > 0 {
		return fmt.Sprintf("sim:%d", sim)
	}
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		// The user name is not a secret, and seeing which account each node uses helps
		// diagnose 401s; the password only shows as set/unset.
		parts[i] = fmt.Sprintf("%s=%s(user %s, password %s)", n.Name, n.URL, n.Username, setOrUnset(n.Password))
	}
	return strings.Join(parts, ",")
}

func (c Config) reportsText() string {
	parts := make([]string, len(c.Reports))
	for i, r := range c.Reports {
		parts[i] = r.Spec + " > " + r.Channel
	}
	return strings.Join(parts, "; ")
}

// storeText names the database without its URL, which usually carries a password.
func (c Config) storeText() string {
	if c.Store.DatabaseURL.IsSet() {
		return "postgres (NFMM_DATABASE_URL <set>)"
	}
	dir := c.Store.DataDir
	if dir == "" {
		dir = "."
	}
	return "sqlite " + dir + "/nfmm.db"
}

func setOrUnset(s Secret) string {
	if s.IsSet() {
		return "<set>"
	}
	return "<unset>"
}

func orOff(s string) string {
	if s == "" {
		return "off"
	}
	return s
}

// discoverText is a cluster's discovery setting: off, on, or on with the port it forces.
func discoverText(on bool, p Peers) string {
	switch {
	case !on:
		return "off"
	case p.Port > 0:
		return fmt.Sprintf("on (port %d)", p.Port)
	}
	return "on"
}
