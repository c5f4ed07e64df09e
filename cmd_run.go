package main

import (
	"context"
	"fmt"
	"io"
)

// CONTRACT STUB: replaced by the helper that owns `nfmm run`.
func cmdRun(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "nfmm run: not implemented yet")
	return 1
}
