//go:build !unix

package store

import "context"

// lockFile is a no-op where flock does not exist: run one NFMM per nfmm.db there.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
