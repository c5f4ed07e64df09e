package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/nfmm/nfmm/config"
)

// cmdMigrate is `nfmm migrate`: apply the store's pending migrations and exit. `nfmm run`
// does the same at start-up; this runs them alone (a pre-upgrade job, a check in CI).
func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "nfmm migrate: unexpected argument %q (the database comes from NFMM_DATABASE_URL or NFMM_DATA_DIR)\n", args[0])
		return 2
	}
	if _, err := config.LoadDotEnv(".env"); err != nil {
		fmt.Fprintln(stderr, "nfmm migrate:", err)
		return 2
	}
	sc, err := config.LoadStore(os.Getenv)
	if err != nil {
		fmt.Fprintln(stderr, "nfmm migrate:", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	st, err := OpenStore(ctx, config.Config{Store: sc}, logger)
	if err != nil {
		fmt.Fprintln(stderr, "nfmm migrate:", err)
		return 1
	}
	defer st.Close()
	v, err := st.Version(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "nfmm migrate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s is at schema version %d\n", st.Where(), v)
	return 0
}
