package config

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultReportCatchup is how late a missed report firing may still be posted.
const DefaultReportCatchup = 10 * time.Minute

// Store is where NFMM keeps its state (docs/deployment.md, "Where state lives").
type Store struct {
	DataDir       string // NFMM_DATA_DIR: holds nfmm.db (SQLite); "" = the working directory
	DatabaseURL   Secret // NFMM_DATABASE_URL: postgres://… selects PostgreSQL (may hold a password)
	ReportCatchup time.Duration
	// Retention per table (NFMM_RETENTION_*): 0 = the store's default, negative = forever.
	Retention Retention
}

// Retention mirrors store.Retention (config imports nothing of ours).
type Retention struct {
	Claims, Firings, Audit, Alerts, Live, Presenter time.Duration
}

func (l *loader) store() {
	l.cfg.Store.DataDir = l.env("NFMM_DATA_DIR")
	if u := l.env("NFMM_DATABASE_URL"); u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") || p.Host == "" {
			// Never echo the value: it usually carries a password.
			l.fail("NFMM_DATABASE_URL", "must be a PostgreSQL URL, postgres://user:password@host:5432/database (unset for the embedded SQLite file)")
		} else {
			l.cfg.Store.DatabaseURL = Secret(u)
		}
	}
	l.cfg.Store.ReportCatchup = l.duration("NFMM_REPORT_CATCHUP", DefaultReportCatchup, 0, 24*time.Hour)
	r := &l.cfg.Store.Retention
	r.Claims = l.retention("NFMM_RETENTION_CLAIMS", time.Hour)
	r.Firings = l.retention("NFMM_RETENTION_FIRINGS", 24*time.Hour)
	r.Audit = l.retention("NFMM_RETENTION_AUDIT", 24*time.Hour)
	r.Alerts = l.retention("NFMM_RETENTION_ALERTS", time.Hour)
	r.Live = l.retention("NFMM_RETENTION_LIVE", time.Hour)
	r.Presenter = l.retention("NFMM_RETENTION_PRESENTER", time.Hour)
	if l.env("NFMM_REPORTS") != "" {
		l.warn("NFMM_REPORTS is no longer used and is ignored: replicas elect a leader that runs the report scheduler")
	}
}

// retention reads a keep-time: a Go duration, a number of days ("90d"), or "forever". It may
// not be shorter than lo: deleting claims too soon would let a redelivery run twice.
func (l *loader) retention(name string, lo time.Duration) time.Duration {
	v := strings.ToLower(l.env(name))
	var d time.Duration
	switch {
	case v == "":
		return 0
	case v == "forever":
		return -1
	case strings.HasSuffix(v, "d"):
		n, err := strconv.Atoi(strings.TrimSuffix(v, "d"))
		if err != nil || n <= 0 {
			l.fail(name, "%q is not a keep-time (e.g. 30d, 72h or forever)", v)
			return 0
		}
		d = time.Duration(n) * 24 * time.Hour
	default:
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			l.fail(name, "%q is not a keep-time (e.g. 30d, 72h or forever)", v)
			return 0
		}
	}
	if d < lo {
		l.fail(name, "%s is shorter than the minimum of %s", d, lo)
		return 0
	}
	return d
}

// LoadStore reads only the store's variables (NFMM_DATA_DIR, NFMM_DATABASE_URL,
// NFMM_REPORT_CATCHUP, NFMM_RETENTION_*), for `nfmm migrate`, which needs nothing else.
func LoadStore(getenv func(string) string) (Store, error) {
	l := &loader{get: getenv, mode: ModeExec}
	l.store()
	if len(l.problems) > 0 {
		return l.cfg.Store, &Error{Problems: l.problems}
	}
	return l.cfg.Store, nil
}
