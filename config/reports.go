package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/nfmm/nfmm/internal/names"
	"github.com/robfig/cron/v3"
)

// reports reads NFMM_REPORT_SCHEDULE: entries separated by ';', each
//
//	[CRON_TZ=Zone ]SPEC [> CHANNEL]
//
// where SPEC is anything cron.ParseStandard accepts (5 fields or @daily-style descriptors).
// '>' and ';' never occur in a cron spec, so the split is unambiguous; an entry without
// "> CHANNEL" goes to NFMM_REPORT_CHANNEL.
func (l *loader) reports() {
	const name = "NFMM_REPORT_SCHEDULE"
	l.cfg.ReportQuiet = l.boolean("NFMM_REPORT_QUIET", false)
	raw := l.env("NFMM_REPORT_CHANNEL")
	def := l.channel("NFMM_REPORT_CHANNEL", raw)
	defBad := raw != "" && def == "" // already reported; don't blame every entry again
	schedule := l.env(name)
	if schedule == "" {
		if def != "" {
			l.warn("NFMM_REPORT_CHANNEL is set but NFMM_REPORT_SCHEDULE is empty: no reports")
		}
		return
	}
	entries := strings.Split(schedule, ";")
	if len(entries) > MaxReportEntries {
		// Each entry is a post to a channel; hundreds are a paste error, not a schedule.
		l.fail(name, "%d entries; at most %d are supported", len(entries), MaxReportEntries)
		return
	}
	var reports []Report
	for i, entry := range entries {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		if r, ok := l.reportEntry(name, i+1, entry, def, defBad); ok {
			reports = append(reports, r)
		}
	}
	l.cfg.Reports = reports
}

func (l *loader) reportEntry(name string, i int, entry, def string, defBad bool) (Report, bool) {
	entry, cluster, ok := l.reportCluster(name, i, entry)
	if !ok {
		return Report{}, false
	}
	spec, channel, hasChannel := strings.Cut(entry, ">")
	spec, channel = strings.TrimSpace(spec), strings.TrimSpace(channel)
	if !hasChannel {
		channel = def
	}
	spec, err := parseSpec(spec)
	if err != nil {
		l.failErr(name, err, "entry %d %q: %v", i, entry, err)
		return Report{}, false
	}
	switch {
	case channel == "" && hasChannel:
		l.fail(name, "entry %d %q: nothing after '>' (want a channel id or #name)", i, entry)
		return Report{}, false
	case channel == "" && defBad:
		return Report{}, false
	case channel == "":
		l.fail(name, "entry %d %q has no channel: append \"> C0123ABCD\" or set NFMM_REPORT_CHANNEL", i, entry)
		return Report{}, false
	case hasChannel && !channelIDRE.MatchString(channel) && !channelNameRE.MatchString(channel):
		l.fail(name, "entry %d %q: %q is not a channel id (C…/G…) or #channel-name", i, entry, channel)
		return Report{}, false
	}
	return Report{Spec: spec, Channel: channel, Cluster: cluster}, true
}

// reportCluster takes a trailing "@emea" (or "@all") off a schedule entry: the cluster the
// report covers. A single word is never one (@daily alone is the cron descriptor).
func (l *loader) reportCluster(name string, i int, entry string) (rest, cluster string, ok bool) {
	fields := strings.Fields(entry)
	last := fields[len(fields)-1]
	c, at := strings.CutPrefix(last, "@")
	if !at || !names.Valid(c) || len(fields) < 2 || fields[len(fields)-2] == "@every" {
		return entry, "", true
	}
	if strings.EqualFold(c, names.All) {
		return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(entry), last)), names.All, true
	}
	for _, cl := range l.cfg.ClusterList() {
		if cl.Name == c {
			return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(entry), last)), c, true
		}
	}
	if cronDescriptors[strings.ToLower(last)] {
		return entry, "", true
	}
	l.fail(name, "entry %d %q: no cluster named %q (clusters: %s, or @all)", i, entry, c, strings.Join(l.clusterNames(), ", "))
	return "", "", false
}

var cronDescriptors = map[string]bool{"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true,
	"@daily": true, "@midnight": true, "@hourly": true, "@every": true}

// MaxReportEntries bounds NFMM_REPORT_SCHEDULE; MinReportEvery is the shortest @every interval:
// a report walks every node, so a few seconds apart would be a load test, not a report.
const (
	MaxReportEntries = 50
	MinReportEvery   = 10 * time.Second
)

// parseSpec validates spec with cron.ParseStandard and returns it normalised. It also refuses
// what cron accepts but cannot mean: @every shorter than MinReportEvery (cron silently turns
// 0 and negative durations into 1 s) and a spec that never fires (0 8 31 2 *). The time zone
// prefix is checked here first because robfig/cron v3.0.1 panics on "CRON_TZ=Zone" without a
// following space, and to give a clearer message for unknown zones.
// checkEvery validates the duration of an "@every <duration>" spec (fields without CRON_TZ=).
func checkEvery(fields []string) error {
	if strings.HasPrefix(fields[0], "CRON_TZ=") {
		fields = fields[1:]
	}
	if len(fields) == 0 || fields[0] != "@every" {
		return nil
	}
	if len(fields) != 2 {
		return fmt.Errorf("@every needs exactly one duration, e.g. @every 30m")
	}
	d, err := time.ParseDuration(fields[1])
	switch {
	case err != nil:
		return fmt.Errorf("@every %s: not a duration (e.g. 30m, 1h30m)", fields[1])
	case d <= 0:
		return fmt.Errorf("@every %s: the interval must be positive", fields[1])
	case d < MinReportEvery:
		return fmt.Errorf("@every %s: shorter than the minimum of %s", fields[1], MinReportEvery)
	}
	return nil
}

func parseSpec(spec string) (normalised string, err error) {
	if spec == "" {
		return "", fmt.Errorf("empty cron spec")
	}
	fields := strings.Fields(spec)
	if tz, ok := strings.CutPrefix(fields[0], "CRON_TZ="); ok || strings.HasPrefix(fields[0], "TZ=") {
		if !ok {
			tz = strings.TrimPrefix(fields[0], "TZ=")
		}
		if _, err := time.LoadLocation(tz); err != nil || tz == "" {
			return "", fmt.Errorf("unknown time zone %q (use an IANA name such as Europe/Oslo)", tz)
		}
		if len(fields) == 1 {
			return "", fmt.Errorf("CRON_TZ=%s is not followed by a schedule", tz)
		}
		fields[0] = "CRON_TZ=" + tz
	}
	normalised = strings.Join(fields, " ")
	defer func() {
		if r := recover(); r != nil { // belt and braces: bad input must never crash start-up
			err = fmt.Errorf("invalid cron spec")
		}
	}()
	if err := checkEvery(fields); err != nil {
		return "", err
	}
	sched, err := cron.ParseStandard(normalised)
	if err != nil {
		return "", err
	}
	// SpecSchedule.Next gives up after five years and returns the zero time.
	if sched.Next(time.Now()).IsZero() {
		return "", fmt.Errorf("never fires (no such date: check the day of month against the month)")
	}
	return normalised, nil
}
