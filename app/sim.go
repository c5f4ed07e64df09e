package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/nfmm/nfmm/cms/cmssim"
	"github.com/nfmm/nfmm/config"
	"github.com/nfmm/nfmm/internal/names"
)

// cmdSim runs `nfmm sim`: the CMS cluster emulator in the foreground until ctx ends (SIGINT).
// It prints the `export …` lines that point NFMM (or curl) at it; with --env it starts itself
// in the background instead and prints only those lines, for eval "$(nfmm sim --env)". With
// --clusters it runs one emulated cluster per name and prints the CMS_CLUSTERS form.
func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if i := slices.Index(args, "--env"); i >= 0 {
		rest := slices.Delete(slices.Clone(args), i, i+1)
		if _, code := parseSimFlags(rest, stdout, stderr); code >= 0 {
			return code
		}
		return simInBackground(rest, stdout, stderr)
	}
	f, code := parseSimFlags(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	sims, stop, err := startSims(f)
	if err != nil {
		fmt.Fprintf(stderr, "nfmm sim: %v\n", err)
		return 1
	}
	defer stop()
	var files []string
	defer func() {
		for _, p := range files {
			os.Remove(p)
		}
	}()
	// export lines: pasted into bash (or eval'ed) they reach `nfmm exec`, which plain
	// assignments would not.
	prefix := "CMS_"
	if len(f.clusters) > 0 {
		fmt.Fprintf(stdout, "export CMS_CLUSTERS=%s\n", shellQuote(strings.Join(f.clusters, ",")))
	}
	nodes := 0
	for i, sim := range sims {
		if len(f.clusters) > 0 {
			prefix = "CMS_" + names.EnvKey(f.clusters[i]) + "_"
		}
		var list []string
		for _, n := range sim.Nodes() {
			list = append(list, n.Name+"="+n.URL)
		}
		nodes += len(list)
		fmt.Fprintf(stdout, "export %sNODES=%s\n", prefix, shellQuote(strings.Join(list, ",")))
		if f.opts.TLS {
			path, err := writeCert(sim.CertPEM())
			if err != nil {
				fmt.Fprintf(stderr, "nfmm sim: %v\n", err)
				return 1
			}
			files = append(files, path)
			fmt.Fprintf(stdout, "export %sCA_FILE=%s\n", prefix, shellQuote(path))
		}
	}
	fmt.Fprintf(stdout, "export CMS_USERNAME=%s\n", shellQuote(sims[0].Username))
	// The emulator's own demo password: it guards nothing real, so printing it is intended.
	fmt.Fprintf(stdout, "export CMS_PASSWORD=%s\n", shellQuote(sims[0].Password))
	what := fmt.Sprintf("%d call bridges", nodes)
	if len(f.clusters) > 0 {
		what = fmt.Sprintf("%d clusters of %d call bridges", len(sims), f.opts.Nodes)
	}
	fmt.Fprintf(stdout, "%s %s (%s scenario) running; Ctrl-C to stop\n",
		simReadyPrefix, what, scenarioName(f.opts.Scenario))
	<-ctx.Done()
	return 0
}

// startSims starts the one emulated cluster, or one per --clusters name (cluster i on ports
// from --port + i×nodes, seeds from --seed + i), and returns a func that stops them.
func startSims(f simFlags) ([]*cmssim.Sim, func(), error) {
	if len(f.clusters) == 0 {
		sim, err := cmssim.Start(f.opts)
		if err != nil {
			return nil, nil, err
		}
		return []*cmssim.Sim{sim}, sim.Close, nil
	}
	opts := make([]cmssim.Options, len(f.clusters))
	for i, name := range f.clusters {
		o := f.opts
		o.Cluster, o.Seed = name, f.opts.Seed+int64(i)
		if o.BasePort > 0 {
			o.BasePort += i * o.Nodes
		}
		opts[i] = o
	}
	cs, err := cmssim.StartClusters(opts...)
	if err != nil {
		return nil, nil, err
	}
	return cs.All(), cs.Close, nil
}

// simReadyPrefix starts the line after the export lines: a shell comment, and for --env the
// sign that the emulator is serving.
const simReadyPrefix = "# nfmm sim:"

// simInBackground starts `nfmm sim args…` detached (its own session, so the terminal's Ctrl-C
// does not reach it), copies its export lines to stdout, adds NFMM_SIM_PID and returns.
func simInBackground(args []string, stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "nfmm sim: %v\n", err)
		return 1
	}
	cmd := exec.Command(exe, append([]string{"sim"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if f, ok := stderr.(*os.File); ok { // its errors (a busy port) still reach the terminal
		cmd.Stderr = f
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintf(stderr, "nfmm sim: %v\n", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "nfmm sim: %v\n", err)
		return 1
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, simReadyPrefix) {
			pid := cmd.Process.Pid
			fmt.Fprintf(stdout, "export NFMM_SIM_PID=%d\n# nfmm sim: running in the background; stop it with: kill $NFMM_SIM_PID\n", pid)
			_ = cmd.Process.Release()
			return 0
		}
		fmt.Fprintln(stdout, line)
	}
	err = cmd.Wait() // it stopped before it was ready
	fmt.Fprintf(stderr, "nfmm sim: the emulator did not start (%v)\n", err)
	return 1
}

// shellQuote quotes s for a POSIX shell, in single quotes unless it is plainly safe.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseFlags parses args: -h prints the usage once, to stdout (0); a bad flag prints the
// problem and the usage to stderr (2); -1 means go on, with fs printing to stderr from now on.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) int {
	var buf bytes.Buffer
	fs.SetOutput(&buf) // flag prints the usage itself on -h and on errors
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	case err != nil:
		_, _ = stderr.Write(buf.Bytes())
		return 2
	}
	fs.SetOutput(stderr)
	return -1
}

// simFlags are `nfmm sim`'s flags: the options of every emulated cluster, and the clusters'
// names with --clusters (none: the one cluster of CMS_NODES).
type simFlags struct {
	opts     cmssim.Options
	clusters []string
}

// parseSimFlags returns the flags, or an exit code >= 0 when the command must stop (help: 0,
// bad flags: 2).
func parseSimFlags(args []string, stdout, stderr io.Writer) (simFlags, int) {
	fs := flag.NewFlagSet("nfmm sim", flag.ContinueOnError)
	nodes := fs.Int("nodes", 3, "number of call bridges (cb1..cbN), 1-"+fmt.Sprint(config.MaxNodes))
	port := fs.Int("port", 0, "first port: cb1 listens on P, cb2 on P+1, …; 0 picks free ports")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a generated self-signed certificate (CMS_CA_FILE is printed)")
	scenario := fs.String("scenario", "demo", "starting data: demo or empty")
	seed := fs.Int64("seed", 1, "seed for ids, names and media stats")
	live := fs.Duration("live", demoLiveEvery, "how often meetings change by themselves (people join, leave, unmute); 0 holds them still")
	clusters := fs.String("clusters", "", "several clusters side by side, e.g. emea,amer: --nodes each, nodes <cluster>-cb1…, printed as CMS_CLUSTERS")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: nfmm sim [--nodes N] [--clusters C1,C2…] [--port P] [--tls] [--scenario demo|empty] [--seed S] [--live D]")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return simFlags{}, code
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *nodes < 1 || *nodes > config.MaxNodes {
		problems = append(problems, fmt.Sprintf("--nodes %d: want 1-%d", *nodes, config.MaxNodes))
	}
	var clusterNames []string
	if *clusters != "" {
		clusterNames, problems = simClusters(*clusters, problems)
	}
	ports := *nodes * max(1, len(clusterNames))
	if *port < 0 || *port > 65535 || (*port > 0 && *port+ports-1 > 65535) {
		problems = append(problems, fmt.Sprintf("--port %d: ports %d..%d must lie within 1-65535 (or 0 for free ports)",
			*port, *port, *port+ports-1))
	}
	if *scenario != string(cmssim.ScenarioDemo) && *scenario != string(cmssim.ScenarioEmpty) {
		problems = append(problems, fmt.Sprintf("--scenario %q: want demo or empty", *scenario))
	}
	if *live < 0 {
		problems = append(problems, fmt.Sprintf("--live %s: want 0 or a positive duration", *live))
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "nfmm sim: %s\n", strings.Join(problems, "; "))
		fs.Usage()
		return simFlags{}, 2
	}
	return simFlags{clusters: clusterNames, opts: cmssim.Options{Nodes: *nodes, BasePort: *port, TLS: *useTLS,
		Scenario: cmssim.Scenario(*scenario), Seed: *seed, Live: *live}}, -1
}

// simClusters checks --clusters: names CMS_CLUSTERS accepts, short enough for their nodes'
// names (<cluster>-cb24 within the node name rule), no two alike.
func simClusters(v string, problems []string) ([]string, []string) {
	var out []string
	seen := map[string]bool{}
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		key := names.EnvKey(c)
		switch {
		case !names.ValidCluster(c) || len(c) > names.MaxLen-len("-cb24"):
			problems = append(problems, fmt.Sprintf("--clusters: %q must be %s, at most %d long, and not %q",
				c, names.Rule, names.MaxLen-len("-cb24"), names.All))
		case seen[key]:
			problems = append(problems, fmt.Sprintf("--clusters: %q appears twice", c))
		default:
			seen[key] = true
			out = append(out, c)
		}
	}
	if len(out) > config.MaxClusters {
		problems = append(problems, fmt.Sprintf("--clusters: %d clusters; at most %d", len(out), config.MaxClusters))
	}
	return out, problems
}

func scenarioName(s cmssim.Scenario) string {
	if s == "" {
		return string(cmssim.ScenarioEmpty)
	}
	return string(s)
}

// writeCert stores the emulator's certificate in a temporary file for CMS_CA_FILE.
func writeCert(pemBytes []byte) (string, error) {
	f, err := os.CreateTemp("", "nfmm-sim-*.pem")
	if err != nil {
		return "", fmt.Errorf("certificate file: %w", err)
	}
	if _, err := f.Write(pemBytes); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("certificate file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("certificate file: %w", err)
	}
	return filepath.Clean(f.Name()), nil
}
