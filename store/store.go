package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Engine names the database behind a Store.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// FileName is the SQLite database's name inside the data directory.
const FileName = "nfmm.db"

//go:embed migrations/*.sql
var migrations embed.FS

// ErrUnavailable wraps every failure to reach the database, so callers can tell "the store is
// down" (fail closed, say so) from "the answer is no".
var ErrUnavailable = errors.New("the NFMM database is unavailable")

// Config says which database to open.
type Config struct {
	// URL selects PostgreSQL (postgres://… or postgresql://…); empty means SQLite in DataDir.
	URL string
	// DataDir holds nfmm.db for SQLite; empty means the working directory.
	DataDir string
	// Replica names this process in claims and leases; empty means host name and process id.
	Replica string
	Logger  *slog.Logger
	// OpTimeout bounds each store operation, so a hung database fails the action quickly
	// instead of holding a worker; default 3 s.
	OpTimeout time.Duration
	// Now is the clock for claims and records (not for leases, which use the database's
	// clock so replicas with skewed clocks still agree); nil means time.Now.
	Now func() time.Time
}

// Store is NFMM's state on one database. It is safe for concurrent use.
type Store struct {
	db        *sql.DB
	engine    Engine
	where     string // engine and location without credentials, for logs and /healthz
	dbNow     string // SQL expression: the database's clock in Unix milliseconds
	replica   string
	log       *slog.Logger
	opTimeout time.Duration
	now       func() time.Time
	lockPath  string // SQLite: the migration lock file

	mu      sync.Mutex
	lastErr error // the last failure to reach the database; nil after a success
	lastAt  time.Time
}

// Open opens the database and applies any pending migrations (under a lock, so replicas
// starting together migrate once). It fails when the database cannot be reached: NFMM
// cannot know its schema is current without it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s, err := open(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func open(cfg Config) (*Store, error) {
	s := &Store{log: cfg.Logger, replica: cfg.Replica, opTimeout: cfg.OpTimeout, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.opTimeout <= 0 {
		s.opTimeout = 3 * time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.replica == "" {
		host, _ := os.Hostname()
		s.replica = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if cfg.URL != "" {
		u, err := url.Parse(cfg.URL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, errors.New("NFMM_DATABASE_URL must be a postgres:// URL")
		}
		db, err := sql.Open("pgx", cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.db, s.engine = db, Postgres
		s.where = "postgres://" + u.Host + u.Path
		s.dbNow = "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)"
		return s, nil
	}
	dir := cfg.DataDir
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("NFMM_DATA_DIR %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	// WAL lets readers run beside the writer; busy_timeout waits for a lock instead of failing
	// at once; immediate transactions take the write lock up front (no deadlock on upgrade).
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and this way no statement ever meets
	// SQLITE_BUSY from its own process.
	db.SetMaxOpenConns(1)
	s.db, s.engine, s.where, s.lockPath = db, SQLite, "sqlite:"+path, path+".lock"
	s.dbNow = "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
	return s, nil
}

// Migrate applies pending migrations and returns the versions it applied (none when the
// schema is current). `nfmm migrate` runs it alone.
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if s.engine == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 120)) // up to 2 min
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	} else {
		unlock, err := lockFile(ctx, s.lockPath)
		if err != nil {
			return nil, fmt.Errorf("migration lock %s: %w", s.lockPath, err)
		}
		defer unlock()
	}
	p, err := goose.NewProvider(dialect, s.db, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, s.observe(fmt.Errorf("migrate %s: %w", s.where, err))
	}
	var applied []int64
	for _, r := range results {
		applied = append(applied, r.Source.Version)
		s.log.Info("store migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return applied, nil
}

// Version is the schema version the database is at.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	if err != nil {
		return 0, s.observe(err)
	}
	return v.Int64, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Engine is the database engine.
func (s *Store) Engine() Engine { return s.engine }

// Where names the database without credentials ("sqlite:/var/lib/nfmm/nfmm.db",
// "postgres://db:5432/nfmm").
func (s *Store) Where() string { return s.where }

// Replica is this process's name in claims and leases.
func (s *Store) Replica() string { return s.replica }

// op bounds one store operation.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opTimeout)
}

// observe records whether the database answered and wraps a failure in ErrUnavailable.
// sql.ErrNoRows is an answer, not a failure.
func (s *Store) observe(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastAt = s.now()
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		s.lastErr = nil
		return err
	}
	s.lastErr = err
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// Health is the store's state for /healthz.
type Health struct {
	Engine  Engine        `json:"engine"`
	Where   string        `json:"where"`
	OK      bool          `json:"ok"`
	Error   string        `json:"error,omitempty"`
	Latency time.Duration `json:"-"`
}

// Health pings the database (bounded by OpTimeout).
func (s *Store) Health(ctx context.Context) Health {
	ctx, cancel := s.op(ctx)
	defer cancel()
	start := time.Now()
	err := s.observe(s.db.PingContext(ctx))
	h := Health{Engine: s.engine, Where: s.where, OK: err == nil, Latency: time.Since(start)}
	if err != nil {
		h.Error = "unreachable: " + firstLine(errors.Unwrap(err))
	}
	return h
}

func firstLine(err error) string {
	if err == nil {
		return ""
	}
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return msg
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// newID is a time-ordered unique id: 13 hex digits of milliseconds, then 12 random ones.
func newID(t time.Time) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%013x", ms(t)) + hex.EncodeToString(b[:])
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
