package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nfmm/nfmm/cms/cmssim"
)

// cmdSim runs `nfmm sim`: the CMS cluster emulator in the foreground until ctx ends (SIGINT).
// It prints the environment lines that point NFMM (or curl) at it.
func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
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
	fmt.Fprintf(stdout, "CMS_NODES=%s\n", strings.Join(nodes, ","))
	fmt.Fprintf(stdout, "CMS_USERNAME=%s\n", sim.Username)
	// The emulator's own demo password: it guards nothing real, so printing it is intended.
	fmt.Fprintf(stdout, "CMS_PASSWORD=%s\n", sim.Password)
	if opts.TLS {
		path, err := writeCert(sim.CertPEM())
		if err != nil {
			fmt.Fprintf(stderr, "nfmm sim: %v\n", err)
			return 1
		}
		defer os.Remove(path)
		fmt.Fprintf(stdout, "CMS_CA_FILE=%s\n", path)
	}
	fmt.Fprintf(stderr, "nfmm sim: %d call bridges (%s scenario) running; Ctrl-C to stop\n",
		len(nodes), scenarioName(opts.Scenario))
	<-ctx.Done()
	return 0
}

// parseSimFlags returns the options, or an exit code >= 0 when the command must stop (help: 0,
// bad flags: 2).
func parseSimFlags(args []string, stdout, stderr io.Writer) (cmssim.Options, int) {
	fs := flag.NewFlagSet("nfmm sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	nodes := fs.Int("nodes", 3, "number of call bridges (cb1..cbN), 1-"+fmt.Sprint(cmssim.MaxNodes))
	port := fs.Int("port", 0, "first port: cb1 listens on P, cb2 on P+1, …; 0 picks free ports")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a generated self-signed certificate (CMS_CA_FILE is printed)")
	scenario := fs.String("scenario", "demo", "starting data: demo or empty")
	seed := fs.Int64("seed", 1, "seed for ids, names and media stats")
	live := fs.Duration("live", demoLiveEvery, "how often meetings change by themselves (people join, leave, unmute); 0 holds them still")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: nfmm sim [--nodes N] [--port P] [--tls] [--scenario demo|empty] [--seed S] [--live D]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return cmssim.Options{}, 0
		}
		return cmssim.Options{}, 2 // flag already printed the problem and the usage
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *nodes < 1 || *nodes > cmssim.MaxNodes {
		problems = append(problems, fmt.Sprintf("--nodes %d: want 1-%d", *nodes, cmssim.MaxNodes))
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
