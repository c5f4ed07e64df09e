package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nfmm/nfmm/alerts"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// isAlertsCommand reports `alerts`, the one exec command the alert evaluator answers.
func isAlertsCommand(text string) bool {
	f := strings.Fields(text)
	return len(f) >= 1 && strings.EqualFold(f[0], "alerts")
}

// alertDoc is one alert in `nfmm exec --json alerts`.
type alertDoc struct {
	Fingerprint string    `json:"fingerprint"`
	Kind        string    `json:"kind"`
	Cluster     string    `json:"cluster"`
	Node        string    `json:"node"`
	Object      string    `json:"object"`
	State       string    `json:"state"` // firing, or pending while its for_seconds has not passed
	Summary     string    `json:"summary"`
	Details     []string  `json:"details"`
	Since       time.Time `json:"since"`
	ForSeconds  int       `json:"for_seconds"`
}

type alertsDoc struct {
	Alerts []alertDoc `json:"alerts"`
	Errors []string   `json:"errors"`
	AsOf   time.Time  `json:"as_of"`
}

// execAlerts answers `nfmm exec [--json] alerts`: every alert source checked once, now. A
// one-shot process has no history, so a condition younger than its delay shows as pending
// (and a recording that stopped before this run is not known).
func execAlerts(ctx context.Context, cfg config.Config, cluster alerts.Cluster, ea execArgs, stdout, stderr io.Writer) int {
	asJSON := ea.json
	if f := strings.Fields(ea.text); len(f) > 1 {
		err := &commands.UsageError{Code: commands.CodeExtraArg, Msg: "alerts takes no argument: nfmm exec alerts"}
		return printExec(ea, nil, err, stdout, stderr)
	}
	now := time.Now()
	a := cfg.Alerts
	list, errs := alerts.Check(ctx, alerts.Sources(alerts.SourceConfig{Cluster: cluster,
		NodeDownAfter: a.NodeDownAfter, MediaAfter: a.MediaAfter, MeetingMax: a.MeetingMax, NodeShare: a.NodeShare}), now)
	doc := alertsDoc{Alerts: []alertDoc{}, Errors: []string{}, AsOf: now.UTC()}
	for _, e := range errs {
		doc.Errors = append(doc.Errors, commands.UserMessage(e))
	}
	for _, al := range list {
		d := alertDoc{Fingerprint: al.Fingerprint, Kind: string(al.Key.Kind), Cluster: al.Key.Cluster,
			Node: al.Key.Node, Object: al.Key.Object, State: string(al.State), Summary: al.Summary,
			Details: al.Lines, Since: al.Since.UTC(), ForSeconds: int(al.For / time.Second)}
		if d.Details == nil {
			d.Details = []string{}
		}
		doc.Alerts = append(doc.Alerts, d)
	}
	if asJSON {
		envelope := struct {
			Version int       `json:"version"`
			Kind    string    `json:"kind"`
			Result  alertsDoc `json:"result"`
		}{commands.JSONVersion, "alerts", doc}
		b, err := json.MarshalIndent(envelope, "", "  ")
		if err == nil && ea.jsonl {
			b, err = json.Marshal(envelope)
		}
		if err != nil {
			fmt.Fprintln(stderr, "nfmm exec:", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return alertsExit(doc)
	}
	if len(doc.Alerts) == 0 {
		fmt.Fprintln(stdout, "No active alerts.")
	} else {
		w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "KIND\tNODE\tSTATE\tSINCE\tSUMMARY")
		for _, d := range doc.Alerts {
			state := d.State
			if d.State == string(alerts.StatePending) {
				state = fmt.Sprintf("pending (fires after %s)", alerts.HumanDuration(time.Duration(d.ForSeconds)*time.Second))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", d.Kind, orDash(d.Node), state, d.Since.Local().Format("2006-01-02 15:04:05"), d.Summary)
		}
		_ = w.Flush()
	}
	for _, e := range doc.Errors {
		fmt.Fprintln(stderr, "nfmm exec: alerts:", e)
	}
	return alertsExit(doc)
}

// alertsExit is 1 when a source could not look at all (the list may miss alerts), else 0: an
// alert is an answer, not a failure.
func alertsExit(doc alertsDoc) int {
	if len(doc.Errors) > 0 {
		return exitFailed
	}
	return exitOK
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
