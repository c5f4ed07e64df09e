package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nfmm/nfmm/bot"
	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/cms/cdr"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/store"
)

const execUsage = `usage: nfmm exec [--json|--jsonl] [--audit] [-v] COMMAND [ARGS…]

Runs one NFMM command against CMS_NODES (from the environment or .env) as a local operator and
prints the result: readable text, or with --json the versioned JSON document (pretty), or with
--jsonl the same document on one line (docs/json.md, schemas in docs/schema/).

Audit records of state changes (JSON lines) are appended to NFMM_AUDIT_FILE when it is set, and
written to stderr with --audit; otherwise they are not kept. Errors always go to stderr; -v
also prints the cause of every failure (the NFMM log lines) there.

Exit status: 0 success; 1 the command failed or only partly succeeded (unknown meeting, CMS
refused, some node could not be read, some legs failed…); 2 usage or configuration error;
3 no CMS node answered. Examples:

  nfmm exec calls
  nfmm exec call "board review"
  nfmm exec --json participant 9fea4ad1
  nfmm exec presenter "board review" alice
  nfmm exec help
  nfmm exec watch --json "board review"   (streams changes until Ctrl-C; one JSON object a line)
`

// Exit codes of nfmm exec (README, "The terminal").
const (
	exitOK      = 0
	exitFailed  = 1 // the command failed, or succeeded only in part: some node or leg failed
	exitUsage   = 2 // usage or configuration error
	exitNoNodes = 3 // no CMS node answered
)

// execArgs is the parsed command line of `nfmm exec`.
type execArgs struct {
	json    bool
	jsonl   bool // compact: one document per line
	audit   bool // audit records to stderr too
	verbose bool // the service's log (each failure's cause) to stderr
	text    string
}

// parseExecArgs reads --json, --jsonl, --audit, -v (anywhere: a meeting is never called that) and -h; any other
// leading dash word is an unknown flag. It returns an exit code >= 0 when exec must stop.
func parseExecArgs(args []string, stdout, stderr io.Writer) (execArgs, int) {
	var a execArgs
	var words []string
	for i, arg := range args {
		switch {
		case arg == "--json" || arg == "-json":
			a.json = true
		case arg == "--jsonl" || arg == "-jsonl":
			a.json, a.jsonl = true, true
		case arg == "--audit" || arg == "-audit":
			a.audit = true
		case arg == "-v" || arg == "--verbose":
			a.verbose = true
		case arg == "-h" || arg == "--help" || arg == "-help":
			fmt.Fprint(stdout, execUsage)
			return a, 0
		case arg == "--":
			words = append(words, args[i+1:]...)
			a.text = joinWords(words)
			return a, checkExecText(a, stderr)
		case len(words) == 0 && strings.HasPrefix(arg, "-"):
			fmt.Fprintf(stderr, "nfmm exec: unknown flag %q\n\n%s", arg, execUsage)
			return a, 2
		default:
			words = append(words, arg)
		}
	}
	a.text = joinWords(words)
	return a, checkExecText(a, stderr)
}

func checkExecText(a execArgs, stderr io.Writer) int {
	if strings.TrimSpace(a.text) == "" {
		fmt.Fprintf(stderr, "nfmm exec: which command? Try `nfmm exec help`.\n\n%s", execUsage)
		return exitUsage
	}
	return -1
}

// joinWords rebuilds command text from shell words, quoting those the shell had quoted so
// `nfmm exec presenter "board review" "alice smith"` means what it says.
func joinWords(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		if w == "" || strings.ContainsAny(w, " \t\n\u00a0") {
			w = `"` + w + `"`
		}
		quoted[i] = w
	}
	return strings.Join(quoted, " ")
}

// cmdExec runs `nfmm exec`: one command, printed as text or JSON. It never prompts.
func cmdExec(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a, code := parseExecArgs(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	dotWarnings, err := config.LoadDotEnv(".env")
	if err != nil {
		return execConfigError(a, err, stdout, stderr)
	}
	cfg, err := config.Load(os.Getenv, config.ModeExec)
	if err != nil {
		return execConfigError(a, err, stdout, stderr)
	}
	// Only warnings by default: the terminal's stderr is for problems, not chatter.
	level := max(cfg.SlogLevel(), slog.LevelWarn)
	if cfg.SlogLevel() < slog.LevelInfo {
		level = cfg.SlogLevel()
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	for _, w := range append(dotWarnings, cfg.Warnings...) {
		// The terminal is a local operator: "nobody may change calls" does not apply here.
		if !strings.HasPrefix(w, "NFMM_OPERATORS") {
			logger.Warn(w)
		}
	}
	meeting, watching := watchArgs(a.text)
	opts := Options{Logger: logger}
	if watching {
		opts.SimLive = demoLiveEvery
	}
	clusters, release, err := NewClusters(ctx, cfg, opts, nil)
	if err != nil {
		fmt.Fprintln(stderr, "nfmm exec: CMS:", err)
		return exitUsage
	}
	defer release()
	audit, closeAudit, err := execAudit(a.audit, os.Getenv("NFMM_AUDIT_FILE"), stderr)
	if err != nil {
		fmt.Fprintln(stderr, "nfmm exec:", err)
		return exitUsage
	}
	defer closeAudit()
	// The service logs the cause behind every user message; the terminal shows it with -v only,
	// since the message itself is already printed.
	svcLog := slog.New(slog.DiscardHandler)
	if a.verbose {
		svcLog = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: min(cfg.SlogLevel(), slog.LevelInfo)}))
	}
	// History and audit read the database, opened only when a command first reads it: help,
	// calls or status never open (and so never create) nfmm.db, yet the service has both, so
	// help lists exactly what Slack's does.
	db := &execStore{cfg: cfg, log: logger}
	defer db.Close()
	svcOpts := Options{Logger: svcLog, Audit: audit, alerts: execAlerts(cfg, clusters), auditLog: db}.withDefaults()
	var history *CDRRuntime
	if cfg.CDR.Enabled() {
		// Over every cluster: the command picks one as any other does.
		history = NewCDRRuntime(cfg.CDR, clusters, db, logger, nil)
	}
	svc := newService(cfg, clusters.commands(), svcOpts, nil, history)
	if watching {
		meeting, named, err := watchCluster(meeting, clusters)
		if err != nil {
			return printExec(a, nil, err, stdout, stderr)
		}
		return runWatch(ctx, watchRun{args: a, meeting: meeting, cfg: cfg, cluster: named.Cluster, svc: svc,
			clusterWord: clusterWordOf(named, clusters), logger: logger, stdout: stdout, stderr: stderr})
	}
	r, err := svc.Run(ctx, commands.Actor{UserID: "local", Local: true}, a.text)
	// The store's own failure outranks what the service made of it ("the NFMM database did not
	// answer"): no store file for audit is the command's answer, a store that would not open
	// is a configuration error.
	var noStore *commands.AuditError
	switch failed := db.failure(); {
	case errors.As(failed, &noStore):
		r, err = nil, failed
	case failed != nil:
		fmt.Fprintln(stderr, "nfmm exec:", failed)
		return exitUsage
	}
	code = printExec(a, r, err, stdout, stderr)
	if !a.verbose && failedOnCMS(r, err) {
		fmt.Fprintln(stderr, "nfmm exec: run with -v to see the cause of each CMS failure.")
	}
	return code
}

// execStore is exec's database, opened on the first read (history or audit) and closed when
// exec ends. A failure to open is kept (nothing retries it) for cmdExec to report.
type execStore struct {
	cfg config.Config
	log *slog.Logger

	mu   sync.Mutex
	st   *store.Store
	fail error // *commands.AuditError: audit found no store file; else the open error
}

var (
	_ cdrStore              = (*execStore)(nil)
	_ commands.AuditHistory = (*execStore)(nil)
)

// open opens the store once. mustExist is for audit: the audit history is what `nfmm run`
// stored, so where there is no store file there is no history, and none is created.
func (e *execStore) open(ctx context.Context, mustExist bool) (*store.Store, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.st != nil:
		return e.st, nil
	case e.fail != nil:
		return nil, e.fail
	}
	if path, missing := storeFileMissing(e.cfg); mustExist && missing {
		e.fail = &commands.AuditError{Msg: "No audit history here: " + path +
			" does not exist (set NFMM_DATA_DIR or NFMM_DATABASE_URL to the store nfmm run uses)."}
		return nil, e.fail
	}
	e.st, e.fail = OpenStore(ctx, e.cfg, e.log)
	return e.st, e.fail
}

// failure is why the store did not open; nil when it opened or nothing asked for it.
func (e *execStore) failure() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fail
}

// Close closes the store if a command opened it.
func (e *execStore) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != nil {
		e.st.Close()
		e.st = nil
	}
}

// AuditEvents implements commands.AuditHistory over the store nfmm run writes.
func (e *execStore) AuditEvents(ctx context.Context, q commands.AuditQuery) ([]commands.AuditEntry, error) {
	st, err := e.open(ctx, true)
	if err != nil {
		return nil, err
	}
	return storeAudit{st: st, log: e.log}.AuditEvents(ctx, q)
}

// HistoryRows is what `history` reads.
func (e *execStore) HistoryRows(ctx context.Context, q cdr.HistoryQuery) (cdr.Rows, error) {
	st, err := e.open(ctx, false)
	if err != nil {
		return cdr.Rows{}, err
	}
	return st.HistoryRows(ctx, q)
}

// StoreCDRs and PruneCDRs complete the CDR runtime's store; exec neither serves the receiver
// nor leads, so they run only if that changes.
func (e *execStore) StoreCDRs(ctx context.Context, cluster, node string, b cdr.Batch) (int, error) {
	st, err := e.open(ctx, false)
	if err != nil {
		return 0, err
	}
	return st.StoreCDRs(ctx, cluster, node, b)
}

func (e *execStore) PruneCDRs(ctx context.Context, before time.Time) (int, error) {
	st, err := e.open(ctx, false)
	if err != nil {
		return 0, err
	}
	return st.PruneCDRs(ctx, before)
}

// failedOnCMS reports a CMS error or a node that could not be read: the failures whose cause
// the service logs, so -v would show it.
func failedOnCMS(r commands.Result, err error) bool {
	var ce *commands.CMSError
	if errors.As(err, &ce) {
		return true
	}
	_, isAction := r.(*commands.ActionResult)
	return err == nil && !isAction && exitCode(r, nil) != exitOK
}

// execAudit is where exec's audit records go: appended to file (NFMM_AUDIT_FILE) when set,
// and to stderr with --audit. Neither: nowhere (nil), so stderr carries only errors.
func execAudit(toStderr bool, file string, stderr io.Writer) (io.Writer, func(), error) {
	var sinks []io.Writer
	closeFn := func() {}
	if file != "" {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("NFMM_AUDIT_FILE: %w", err)
		}
		sinks, closeFn = append(sinks, f), func() { _ = f.Close() }
	}
	if toStderr {
		sinks = append(sinks, stderr)
	}
	if len(sinks) == 0 {
		return nil, closeFn, nil
	}
	return io.MultiWriter(sinks...), closeFn, nil
}

// configSchedule answers `schedule` from the configuration, as `nfmm run` schedules it.
func configSchedule(cfg config.Config) func(time.Time) commands.ScheduleResult {
	return func(now time.Time) commands.ScheduleResult {
		r := commands.ScheduleResult{Quiet: cfg.ReportQuiet}
		infos, err := bot.Upcoming(botReports(cfg.Reports), nil, now)
		if err != nil { // config.Load validated every spec; this would be a bug
			return r
		}
		for _, in := range infos {
			e := commands.ScheduleEntry{Spec: in.Spec, Channel: in.Channel, Cluster: in.Cluster}
			if !in.Next.IsZero() {
				e.Next = &in.Next
			}
			r.Entries = append(r.Entries, e)
		}
		return r
	}
}

// configErrorDoc is the "error" object of a configuration error: the usual fields plus one
// entry per problem, so a script can tell which variable to fix.
type configErrorDoc struct {
	commands.ErrorDoc
	Problems []configProblem `json:"problems"`
}

type configProblem struct {
	Variable string `json:"variable"`
	Message  string `json:"message"`
}

// execConfigError reports a configuration error (exit 2): with --json as the versioned JSON
// error document on stdout, like every other --json answer, else as text on stderr. Neither
// form ever holds a secret (config's messages never quote one).
func execConfigError(a execArgs, err error, stdout, stderr io.Writer) int {
	if !a.json {
		fmt.Fprintln(stderr, "nfmm exec:", err)
		return exitUsage
	}
	doc := configErrorDoc{ErrorDoc: commands.ErrorDoc{Type: "config", Message: err.Error()}, Problems: []configProblem{}}
	var cerr *config.Error
	if errors.As(err, &cerr) {
		for _, p := range cerr.Problems {
			doc.Problems = append(doc.Problems, configProblem{Variable: p.Var, Message: p.Msg})
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if !a.jsonl {
		enc.SetIndent("", "  ")
	}
	if encErr := enc.Encode(struct {
		Version int            `json:"version"`
		Kind    string         `json:"kind"`
		Error   configErrorDoc `json:"error"`
	}{commands.JSONVersion, "error", doc}); encErr != nil {
		fmt.Fprintln(stderr, "nfmm exec:", err)
	}
	return exitUsage
}

// exitCode is the exit status of a command's outcome (the exit* constants).
func exitCode(r commands.Result, err error) int {
	var (
		ue     *commands.UsageError
		choice *commands.ClusterChoiceError // a usage error too (JSON: choose_cluster)
		all    *cms.AllNodesFailedError
	)
	switch {
	case errors.As(err, &ue), errors.As(err, &choice):
		return exitUsage
	case errors.As(err, &all):
		return exitNoNodes
	case err != nil:
		return exitFailed
	}
	failed, of := 0, 0 // of 0: the result does not say how many nodes were asked
	switch r := r.(type) {
	case *commands.ActionResult:
		failed = len(r.Failed)
	case *commands.CallsResult:
		failed, of = len(r.Unreachable), len(r.Nodes)
	case *commands.RosterResult:
		failed = len(r.Unreachable)
	case *commands.ReportResult:
		failed, of = len(r.Unreachable), len(r.Nodes)
	case *commands.AlertsResult:
		// A source that could not look may hide alerts; an alert itself is an answer.
		failed = len(r.Errors)
	case *commands.StatusResult:
		for _, n := range r.Nodes {
			if !n.Reachable {
				failed++
			}
		}
		of = len(r.Nodes)
	}
	switch {
	case failed == 0:
		return exitOK
	case of > 0 && failed >= of:
		return exitNoNodes
	}
	return exitFailed
}

// printExec writes the result or the error and returns the exit code.
func printExec(a execArgs, r commands.Result, err error, stdout, stderr io.Writer) int {
	code := exitCode(r, err)
	if a.json {
		var b []byte
		var mErr error
		if err != nil {
			b, mErr = commands.MarshalError(err)
		} else {
			b, mErr = commands.MarshalResult(r)
		}
		if mErr == nil && a.jsonl {
			var line bytes.Buffer
			mErr = json.Compact(&line, b)
			b = line.Bytes()
		}
		if mErr != nil {
			fmt.Fprintln(stderr, "nfmm exec:", mErr)
			return exitFailed
		}
		fmt.Fprintf(stdout, "%s\n", b)
		return code
	}
	if err != nil {
		fmt.Fprintln(stderr, "nfmm exec:", commands.UserMessage(err))
		return code
	}
	if fErr := commands.FormatText(stdout, r); fErr != nil {
		fmt.Fprintln(stderr, "nfmm exec:", fErr)
		return exitFailed
	}
	if ar, ok := r.(*commands.AlertsResult); ok { // the sources that could not look
		for _, e := range ar.Errors {
			fmt.Fprintln(stderr, "nfmm exec: alerts:", e)
		}
	}
	return code
}
