// Package store is NFMM's durable state: envelope claims, report firings, the leader lease,
// alert state and silences, live-message references, presenter snapshots and the audit
// history. One schema runs on two engines: SQLite (modernc.org/sqlite, pure Go, one file
// nfmm.db in NFMM_DATA_DIR) by default, PostgreSQL (pgx) when NFMM_DATABASE_URL names one, so
// several replicas can share the work.
//
// Exactly-once work is claimed with INSERT … ON CONFLICT DO NOTHING on a natural key: the
// first replica whose insert lands does the work, every other one sees zero rows and skips it.
// Continuous singleton loops run under a lease row with a fencing epoch (see Elector).
//
// Migrations are numbered SQL files in migrations/, applied forward-only by goose at start-up
// under a lock (PostgreSQL advisory lock; a lock file beside nfmm.db). They are written in the
// SQL both engines share, and the same test suite runs them on both. This is the only package
// that contains SQL.
package store
