package e2e

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/nfmm/nfmm/app"
)

// TestMain lets the test binary act as nfmm when a test starts it with NFMM_TEST_AS_NFMM=1: the
// replica tests run several real `nfmm run` processes (SIGKILL needs a process), and this
// binary is already built.
func TestMain(m *testing.M) {
	if os.Getenv("NFMM_TEST_AS_NFMM") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := app.Main(ctx, "test", os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}
