package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/nfmm/nfmm/cms"
	"github.com/nfmm/nfmm/commands"
	"github.com/nfmm/nfmm/config"
)

// `nfmm exec watch [--json] [<meeting>]` streams the cluster's changes until SIGINT/SIGTERM
// (ctx), then exits 0. The first output is the snapshot (what `calls`, or `call <meeting>`,
// gives), then one line per change; the stream is cms.Live's, rendered by commands.

// watchArgs recognises "watch [meeting…]" and returns the meeting reference ("" for all).
func watchArgs(text string) (string, bool) {
	word, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	if !strings.EqualFold(word, "watch") {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// watchCluster takes a last `@amer` off what `exec watch` follows and picks that cluster; with
// one cluster, that one. exec watch follows one cluster's live state.
func watchCluster(rest string, cs Clusters) (string, Named, error) {
	fields := strings.Fields(rest)
	name := ""
	if n := len(fields); n > 0 && strings.HasPrefix(fields[n-1], "@") {
		name, rest = strings.TrimPrefix(fields[n-1], "@"), strings.TrimSpace(strings.TrimSuffix(rest, fields[n-1]))
	}
	if name == "" && len(cs) == 1 {
		return rest, cs[0], nil
	}
	for _, c := range cs {
		if c.Config.Name == name {
			return rest, c, nil
		}
	}
	if name == "" {
		return "", Named{}, &commands.ClusterChoiceError{Op: commands.OpWatch, Clusters: cs.Names()}
	}
	if name == commands.AllClusters {
		return "", Named{}, &commands.UsageError{Code: commands.CodeInvalidCluster,
			Msg: fmt.Sprintf("exec watch follows one cluster: name one of %s, not `@all`.", strings.Join(cs.Names(), ", "))}
	}
	return "", Named{}, commands.UnknownCluster(name, cs.Names())
}

// clusterWordOf is " @name" with several clusters, else "".
func clusterWordOf(c Named, cs Clusters) string {
	if len(cs) < 2 {
		return ""
	}
	return " @" + c.Config.Name
}

type watchRun struct {
	args           execArgs
	meeting        string
	cfg            config.Config
	cluster        *cms.Cluster
	svc            *commands.Service
	clusterWord    string // " @amer" with several clusters: the cluster watched
	logger         *slog.Logger
	stdout, stderr io.Writer
}

// watchReadyWait bounds how long watch waits for every node's first sync before the snapshot;
// a node still connecting after that is shown as the snapshot finds it.
func watchReadyWait(cfg config.Config) time.Duration { return 2 * cfg.CMSTimeout }

func runWatch(ctx context.Context, w watchRun) int {
	live := cms.NewLive(w.cluster, cms.LiveConfig{Events: cms.EventsMode(w.cfg.CMSEvents),
		PollInterval: w.cfg.PollInterval, Logger: w.logger})
	lctx, stop := context.WithCancel(ctx)
	defer func() { stop(); live.Wait() }()
	live.Start(lctx)
	rctx, cancel := context.WithTimeout(ctx, watchReadyWait(w.cfg))
	_ = live.Ready(rctx) // a node that is not ready in time is reported by the snapshot itself
	cancel()
	if ctx.Err() != nil {
		return 0
	}
	sub := live.Subscribe() // before the snapshot: nothing after it is missed
	defer sub.Close()
	// The snapshot comes from the same live state as the events when it is fresh (else REST,
	// which names the nodes it could not read).
	w.cluster.SetLive(live)

	text := "calls"
	if w.meeting != "" {
		text = "call " + w.meeting
	}
	text += w.clusterWord
	r, err := w.svc.Run(ctx, commands.Actor{UserID: "local", Local: true}, text)
	if err != nil {
		if ctx.Err() != nil {
			return 0
		}
		return printExec(w.args, nil, err, w.stdout, w.stderr)
	}
	correlator := ""
	if rr, ok := r.(*commands.RosterResult); ok {
		correlator = rr.Meeting.Correlator
	}
	if err := w.snapshot(r); err != nil {
		fmt.Fprintln(w.stderr, "nfmm exec watch:", err)
		return 1
	}
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-sub.Ready():
		}
		for _, c := range sub.Next() {
			if !c.Type.Public() || (correlator != "" && c.Meeting != nil && c.Meeting.Correlator != correlator) {
				continue // internal changes are not part of the watch stream's contract
			}
			if err := w.event(c); err != nil {
				fmt.Fprintln(w.stderr, "nfmm exec watch:", err)
				return 1
			}
		}
	}
}

func (w watchRun) snapshot(r commands.Result) error {
	if w.args.json {
		b, err := commands.MarshalWatchSnapshot(r)
		if err != nil {
			return err
		}
		return w.writeLine(b)
	}
	if err := commands.FormatText(w.stdout, r); err != nil {
		return err
	}
	return w.writeLine(nil)
}

func (w watchRun) event(c cms.Change) error {
	if w.args.json {
		b, err := commands.MarshalWatchEvent(c)
		if err != nil {
			return err
		}
		return w.writeLine(b)
	}
	return w.writeLine([]byte(commands.FormatWatchLine(c, time.Local)))
}

// writeLine writes one line and flushes it, so a pipe sees every change at once.
func (w watchRun) writeLine(b []byte) error {
	if _, err := w.stdout.Write(append(b, '\n')); err != nil {
		return err
	}
	if f, ok := w.stdout.(interface{ Flush() error }); ok {
		return f.Flush() // os.Stdout is unbuffered; a buffered writer must not hold a line
	}
	return nil
}
