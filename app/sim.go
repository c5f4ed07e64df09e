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
)

// cmdSim runs `nfmm sim`: the CMS cluster emulator in the foreground until ctx ends (SIGINT).
// It prints the `export …` lines that point NFMM (or curl) at it; with --env it starts itself
// in the background instead and prints only those lines, for eval "$(nfmm sim --env)".
func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if i := slices.Index(args, "--env"); i >= 0 {
		rest := slices.Delete(slices.Clone(args), i, i+1)
		if _, code := parseSimFlags(rest, stdout, stderr); code >= 0 {
			return code
		}
		return simInBackground(rest, stdout, stderr)
	}
	opts, code := parseSimFlags(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	sim, err := cmssim.Start(opts)
	if err != nil {
		fmt.Fprintf(stderr, "nfmm sim: %v\n", err)
		return 1
	}
	defer sim.Close()

	nodes := make([]string, 0, len(sim.Nodes()))
	for _, n := range sim.Nodes() {
		nodes = append(nodes, n.Name+"="+n.URL)
	}
	// export lines: pasted into bash (or eval'ed) they reach `nfmm exec`, which plain
	// assignments would not.
	fmt.Fprintf(stdout, "export CMS_NODES=%s\n", shellQuote(strings.Join(nodes, ",")))
	fmt.Fprintf(stdout, "export CMS_USERNAME=%s\n", shellQuote(sim.Username))
	// The emulator's own demo password: it guards nothing real, so printing it is intended.
	fmt.Fprintf(stdout, "export CMS_PASSWORD=%s\n", shellQuote(sim.Password))
	if opts.TLS {
		path, err := writeCert(sim.CertPEM())
		if err != nil {
			fmt.Fprintf(stderr, "nfmm sim: %v\n", err)
			return 1
		}
		defer os.Remove(path)
		fmt.Fprintf(stdout, "export CMS_CA_FILE=%s\n", shellQuote(path))
	}
	fmt.Fprintf(stdout, "%s %d call bridges (%s scenario) running; Ctrl-C to stop\n",
		simReadyPrefix, len(nodes), scenarioName(opts.Scenario))
	<-ctx.Done()
	return 0
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

// parseSimFlags returns the options, or an exit code >= 0 when the command must stop (help: 0,
// bad flags: 2).
func parseSimFlags(args []string, stdout, stderr io.Writer) (cmssim.Options, int) {
	fs := flag.NewFlagSet("nfmm sim", flag.ContinueOnError)
	nodes := fs.Int("nodes", 3, "number of call bridges (cb1..cbN), 1-"+fmt.Sprint(config.MaxNodes))
	port := fs.Int("port", 0, "first port: cb1 listens on P, cb2 on P+1, …; 0 picks free ports")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a generated self-signed certificate (CMS_CA_FILE is printed)")
	scenario := fs.String("scenario", "demo", "starting data: demo or empty")
	seed := fs.Int64("seed", 1, "seed for ids, names and media stats")
	live := fs.Duration("live", demoLiveEvery, "how often meetings change by themselves (people join, leave, unmute); 0 holds them still")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: nfmm sim [--nodes N] [--port P] [--tls] [--scenario demo|empty] [--seed S] [--live D]")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args, stdout, stderr); code >= 0 {
		return cmssim.Options{}, code
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *nodes < 1 || *nodes > config.MaxNodes {
		problems = append(problems, fmt.Sprintf("--nodes %d: want 1-%d", *nodes, config.MaxNodes))
	}
	if *port < 0 || *port > 65535 || (*port > 0 && *port+*nodes-1 > 65535) {
		problems = append(problems, fmt.Sprintf("--port %d: ports %d..%d must lie within 1-65535 (or 0 for free ports)",
			*port, *port, *port+*nodes-1))
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
		return cmssim.Options{}, 2
	}
	return cmssim.Options{Nodes: *nodes, BasePort: *port, TLS: *useTLS,
		Scenario: cmssim.Scenario(*scenario), Seed: *seed, Live: *live}, -1
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
