package main

import (
	"context"
	"fmt"
	"io"
)

// CONTRACT STUB: replaced by the helper that owns `nfmm demo`.
func cmdDemo(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "nfmm demo: not implemented yet")
	return 1
}
