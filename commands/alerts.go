package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// OpAlerts is `alerts`: the active alerts.
const OpAlerts Op = "alerts"

// Alerts is where `alerts` reads the active alerts: the running evaluator under `nfmm run`,
// or every source checked once under `nfmm exec`. Package alerts fills the rows (alerts.Row);
// commands only answers and renders them.
type Alerts interface {
	ActiveAlerts(ctx context.Context) *AlertsResult
}

// AlertsResult is `alerts`.
type AlertsResult struct {
	Alerts []AlertRow `json:"alerts"`
	// Errors name the sources that could not look at all: the list may miss alerts.
	Errors []string  `json:"errors"`
	AsOf   time.Time `json:"as_of"`
	// Off: this NFMM evaluates no alerts (neither NFMM_ALERT_CHANNEL nor NFMM_ALERT_ROUTES).
	Off bool `json:"-"`
}

func (*AlertsResult) isResult() {}

// AlertRow is one alert as `alerts` shows it.
type AlertRow struct {
	Fingerprint string `json:"fingerprint"`
	Kind        string `json:"kind"`
	Cluster     string `json:"cluster"`
	Node        string `json:"node"`
	Object      string `json:"object"`
	// State is firing; pending while For has not passed (a one-shot check cannot wait it out);
	// resolved while its last notifications are still being sent.
	State   string        `json:"state"`
	Summary string        `json:"summary"`
	Details []string      `json:"details"`
	Since   time.Time     `json:"since"`
	For     time.Duration `json:"-"` // MarshalJSON adds for_seconds

	// What people did about it in Slack; only a running evaluator knows (exec's check does not),
	// so JSON leaves it out.
	ResolvedAt           time.Time `json:"-"`
	Flapping             bool      `json:"-"`
	AckedBy              string    `json:"-"`
	SilencedBy           string    `json:"-"`
	SilencedUntil        time.Time `json:"-"` // zero when not silenced, or with SilenceUntilResolved
	SilenceUntilResolved bool      `json:"-"`
}

// Silenced reports whether a silence holds at now.
func (a AlertRow) Silenced(now time.Time) bool {
	return a.SilenceUntilResolved || now.Before(a.SilencedUntil)
}

// Duration is how long the condition lasted (until now while it goes on).
func (a AlertRow) Duration(now time.Time) time.Duration {
	if a.State == "resolved" && !a.ResolvedAt.IsZero() {
		return a.ResolvedAt.Sub(a.Since)
	}
	return now.Sub(a.Since)
}

// MarshalJSON adds for_seconds.
func (a AlertRow) MarshalJSON() ([]byte, error) {
	type plain AlertRow
	return json.Marshal(struct {
		plain
		ForSeconds int64 `json:"for_seconds"`
	}{plain(a), secs(a.For)})
}

// parseAlerts keeps the message `nfmm exec alerts` has always given.
func parseAlerts(c *Command, args []string) error {
	if len(args) > 0 {
		return usageErr(CodeExtraArg, usageOf(OpAlerts), "alerts takes no argument: %s is not expected.", printable(args[0]))
	}
	return nil
}

// alerts answers `alerts`; with no evaluator it says alerts are off.
func (s *Service) alerts(ctx context.Context) *AlertsResult {
	if s.alertBook == nil {
		return &AlertsResult{Off: true, AsOf: s.now()}
	}
	return s.alertBook.ActiveAlerts(ctx)
}

// textAlerts is `nfmm exec alerts`: one row per alert (exec prints the errors on stderr).
func textAlerts(w io.Writer, r *AlertsResult) {
	if r.Off {
		fmt.Fprintln(w, "Alerts are off on this NFMM (set NFMM_ALERT_CHANNEL or NFMM_ALERT_ROUTES).")
		return
	}
	if len(r.Alerts) == 0 {
		fmt.Fprintln(w, "No active alerts.")
		return
	}
	fmt.Fprintln(w, "KIND\tNODE\tSTATE\tSINCE\tSUMMARY")
	for _, a := range r.Alerts {
		state := a.State
		if a.State == "pending" {
			state = "pending (fires after " + HumanDuration(a.For) + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.Kind, orDash(oneLine(a.Node)), state, a.Since.Local().Format("2006-01-02 15:04:05"), oneLine(a.Summary))
	}
}

// HumanDuration writes d the way alerts and their thread replies do: "45 s", "7 min 12 s", "2 h 5 min",
// "3 d 4 h". Two units at most: an alert's age needs no more precision.
func HumanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	days, s := s/86400, s%86400
	hours, s := s/3600, s%3600
	mins, secs := s/60, s%60
	two := func(a int64, ua string, b int64, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d %s", a, ua)
		}
		return fmt.Sprintf("%d %s %d %s", a, ua, b, ub)
	}
	switch {
	case days > 0:
		return two(days, "d", hours, "h")
	case hours > 0:
		return two(hours, "h", mins, "min")
	case mins > 0:
		return two(mins, "min", secs, "s")
	default:
		return fmt.Sprintf("%d s", secs)
	}
}
