// Package storetest gives each test its own database on each engine: a temporary directory
// for SQLite, a freshly created database for PostgreSQL (dropped afterwards).
//
// PostgreSQL comes from NFMM_TEST_DATABASE_URL, a URL whose user may create databases
// (scripts/postgres.sh starts such a cluster). Without it PostgreSQL tests skip, unless
// NFMM_REQUIRE_POSTGRES=1, which CI sets: then they fail.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/nfmm/nfmm/store"
)

// Engines are the engines every store test runs on.
var Engines = []store.Engine{store.SQLite, store.Postgres}

// Config returns a store.Config for a new, empty database on engine, removed when t ends.
func Config(t testing.TB, engine store.Engine) store.Config {
	t.Helper()
	if engine == store.Postgres {
		return store.Config{URL: PostgresURL(t)}
	}
	return store.Config{DataDir: t.TempDir()}
}

// Open opens (and migrates) a new store on engine, closed when t ends.
func Open(t testing.TB, engine store.Engine) *store.Store {
	t.Helper()
	return OpenConfig(t, Config(t, engine))
}

// OpenConfig opens (and migrates) the store cfg names, closed when t ends.
func OpenConfig(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s store: %v", cfg.URL+cfg.DataDir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// RequirePostgres is true when PostgreSQL tests must run (NFMM_REQUIRE_POSTGRES=1).
func RequirePostgres() bool { return os.Getenv("NFMM_REQUIRE_POSTGRES") == "1" }

// AdminURL is NFMM_TEST_DATABASE_URL, or skips t (fails it under NFMM_REQUIRE_POSTGRES=1).
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("NFMM_TEST_DATABASE_URL")
	if u == "" {
		if RequirePostgres() {
			t.Fatal("NFMM_REQUIRE_POSTGRES=1 but NFMM_TEST_DATABASE_URL is not set (see scripts/postgres.sh)")
		}
		t.Skip("PostgreSQL test: set NFMM_TEST_DATABASE_URL (scripts/postgres.sh starts a throwaway cluster)")
	}
	return u
}

// PostgresURL creates a database of its own for t and returns its URL; the database is
// dropped when t ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("NFMM_TEST_DATABASE_URL: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "nfmm_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatalf("create test database on %s: %v", u.Host, err)
	}
	t.Cleanup(func() {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
