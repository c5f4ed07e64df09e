// Command nfmm is the No-frills Meeting Manager: a Slack ChatOps bot for Cisco Meeting Server
// clusters. main.go is wiring only; each sub-command lives in its own cmd_*.go file.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// subcommand runs one `nfmm <name>`; it returns the process exit code.
type subcommand func(ctx context.Context, args []string, stdout, stderr io.Writer) int

func subcommands() map[string]subcommand {
	return map[string]subcommand{
		"run":     cmdRun,
		"exec":    cmdExec,
		"demo":    cmdDemo,
		"sim":     cmdSim,
		"version": cmdVersion,
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := "run"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "--help" {
		usage(stdout)
		return 0
	}
	cmd, ok := subcommands()[name]
	if !ok {
		fmt.Fprintf(stderr, "nfmm: unknown sub-command %q\n\n", name)
		usage(stderr)
		return 2
	}
	return cmd(ctx, args, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: nfmm [sub-command] [arguments]

  run                 the Slack bot (default): socket mode, /cms, scheduled reports
  exec [--json] TEXT  run one command against CMS_NODES and print the result, e.g. nfmm exec calls
  demo                the whole bot in a browser: CMS emulator + fake Slack + bot, no tokens needed
  sim                 a CMS cluster emulator on loopback, for trying NFMM against "real" HTTP
  version             print the version

Configuration comes from the environment and .env (see .env.example).
`)
}

func cmdVersion(_ context.Context, _ []string, stdout, _ io.Writer) int {
	fmt.Fprintln(stdout, "nfmm", version)
	return 0
}
