// Package app is NFMM's wiring: it builds the runtime (CMS cluster, command service, Slack bot,
// operations endpoint) from the configuration and holds the sub-commands of the nfmm binary.
// `nfmm run`, the demo, the bench, the soak test and the end-to-end tests all build through it,
// so none of them copies the wiring.
package app

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// subcommand runs one `nfmm <name>`; it returns the process exit code.
type subcommand func(ctx context.Context, args []string, stdout, stderr io.Writer) int

func subcommands(version string) map[string]subcommand {
	return map[string]subcommand{
		"run": func(ctx context.Context, args []string, _, stderr io.Writer) int {
			return cmdRun(ctx, version, args, stderr)
		},
		"exec":    cmdExec,
		"migrate": cmdMigrate,
		"demo":    cmdDemo,
		"sim":     cmdSim,
		"version": func(_ context.Context, _ []string, stdout, _ io.Writer) int {
			printVersion(stdout, version)
			return 0
		},
		"completion": cmdCompletion,
	}
}

// Main runs `nfmm ARGS…` (args without the program name) and returns the process exit code;
// ctx ends on SIGINT/SIGTERM. version is the build's, printed by `nfmm version` and logged at
// start.
func Main(ctx context.Context, version string, args []string, stdout, stderr io.Writer) int {
	name := "run"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "--help" {
		usage(stdout)
		return 0
	}
	cmd, ok := subcommands(version)[name]
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
  exec [--json|--jsonl] TEXT
                      run one command against CMS_NODES and print the result, e.g. nfmm exec calls
  migrate             apply the store's pending database migrations and exit (run does it too)
  demo                the whole bot in a browser: CMS emulator + fake Slack + bot, no tokens needed
  sim [--env]         a CMS cluster emulator on loopback, for trying NFMM against "real" HTTP
  version             print the version, the commit and the Go version
  completion SHELL    print a completion script for bash, zsh or fish

Configuration comes from the environment and .env (see .env.example).
`)
}

// buildCommit is the source commit, set at build time with
// -ldflags "-X github.com/nfmm/nfmm/app.buildCommit=…" where the build has no .git (the
// Docker build); empty means the Go build information's vcs.revision.
var buildCommit = ""

// printVersion prints the version, the commit and the Go toolchain that built the binary.
func printVersion(w io.Writer, version string) {
	commit, modified := buildCommit, ""
	if info, ok := debug.ReadBuildInfo(); ok && commit == "" {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				commit = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = " (modified)"
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	fmt.Fprintf(w, "nfmm %s\ncommit %s%s\n%s %s/%s\n", version, commit, modified, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
