package main

import (
	"context"
	"fmt"
	"io"
)

// CONTRACT STUB: replaced by the helper that owns `nfmm sim`.
func cmdSim(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "nfmm sim: not implemented yet")
	return 1
}
