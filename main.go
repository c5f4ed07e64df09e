// Command nfmm is the No-frills Meeting Manager: a Slack ChatOps bot for Cisco Meeting Server
// clusters. main is the process entry only: the sub-commands and the wiring live in package app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/nfmm/nfmm/app"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, version, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
