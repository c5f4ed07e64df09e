package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nfmm/nfmm/app"
)

// TestMigrate: `nfmm migrate` creates nfmm.db in NFMM_DATA_DIR at the current schema, a
// second run applies nothing, and a bad URL is a configuration error (exit 2) that does not
// echo the URL.
func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NFMM_DATA_DIR", dir)
	t.Setenv("NFMM_DATABASE_URL", "")
	for range 2 {
		var out, errOut bytes.Buffer
		if code := app.Main(context.Background(), "test", []string{"migrate"}, &out, &errOut); code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut.String())
		}
		if !strings.Contains(out.String(), "sqlite:"+dir+"/nfmm.db is at schema version") {
			t.Errorf("stdout = %q", out.String())
		}
	}
	t.Setenv("NFMM_DATABASE_URL", "mysql://root:hunter2@127.0.0.1/nfmm")
	var out, errOut bytes.Buffer
	if code := app.Main(context.Background(), "test", []string{"migrate"}, &out, &errOut); code != 2 || strings.Contains(errOut.String(), "hunter2") {
		t.Errorf("bad URL: exit %d, stderr %q; want 2 without the password", code, errOut.String())
	}
}
