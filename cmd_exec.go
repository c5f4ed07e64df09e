package main

import (
	"context"
	"fmt"
	"io"
)

// CONTRACT STUB: replaced by the helper that owns `nfmm exec`.
func cmdExec(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "nfmm exec: not implemented yet")
	return 1
}
