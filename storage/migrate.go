package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shoal-iot/shoal/storage/dialect"
	"github.com/shoal-iot/shoal/storage/postgres"
	"github.com/shoal-iot/shoal/storage/sqlite"
)

// ErrSchemaTooNew is wrapped when the database was migrated by a newer
// Shoal than this one.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary knows")

// ErrSchemaTooOld is wrapped when NoMigrate is set and migrations are
// pending.
var ErrSchemaTooOld = errors.New("database schema needs migrating")

// MigrationResult says what Migrate did.
type MigrationResult struct {
	Backend string
	From    int // schema version before
	To      int // schema version after
}

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads NNNN_name.sql files and checks they number 1..n.
func loadMigrations(d dialect.Dialect) ([]migration, error) {
	fsys := d.Migrations()
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("storage: %s migrations: %w", d.Name(), err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("storage: %s migration %q: name must be NNNN_what.sql", d.Name(), name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: rest, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("storage: %s migrations: expected version %d, found %d", d.Name(), i+1, m.version)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this binary migrates to.
func LatestVersion(backend string) (int, error) {
	var d dialect.Dialect
	switch backend {
	case BackendSQLite:
		d = sqlite.Dialect{}
	case BackendPostgres:
		d = postgres.Dialect{}
	default:
		return 0, fmt.Errorf("storage: %w: backend %q", ErrDSN, backend)
	}
	ms, err := loadMigrations(d)
	return len(ms), err
}

const schemaTable = `CREATE TABLE IF NOT EXISTS shoal_schema (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

func currentVersion(ctx context.Context, q sqlx.QueryerContext) (int, error) {
	var v int
	err := sqlx.GetContext(ctx, q, &v, "SELECT COALESCE(MAX(version), 0) FROM shoal_schema")
	return v, err
}

// migrate applies pending migrations in one transaction.
func migrate(ctx context.Context, d dialect.Dialect, db *sqlx.DB) (MigrationResult, error) {
	res := MigrationResult{Backend: d.Name()}
	ms, err := loadMigrations(d)
	if err != nil {
		return res, err
	}
	if _, err := db.ExecContext(ctx, schemaTable); err != nil {
		return res, fmt.Errorf("storage: creating shoal_schema: %w", err)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("storage: migrating: %w", err)
	}
	defer tx.Rollback()
	if lock := d.MigrationLock(); lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return res, fmt.Errorf("storage: taking the migration lock: %w", err)
		}
	}
	cur, err := currentVersion(ctx, tx)
	if err != nil {
		return res, fmt.Errorf("storage: reading the schema version: %w", err)
	}
	res.From, res.To = cur, cur
	if cur > len(ms) {
		return res, fmt.Errorf("storage: %w: the database is at version %d, this binary knows up to %d; run a newer shoal", ErrSchemaTooNew, cur, len(ms))
	}
	for _, m := range ms[cur:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return res, fmt.Errorf("storage: %s migration %04d_%s: %w", d.Name(), m.version, m.name, err)
		}
		q := sqlx.Rebind(d.BindType(), "INSERT INTO shoal_schema (version, name, applied_at) VALUES (?, ?, ?)")
		if _, err := tx.ExecContext(ctx, q, m.version, m.name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return res, fmt.Errorf("storage: recording migration %d: %w", m.version, err)
		}
		res.To = m.version
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("storage: committing migrations: %w", err)
	}
	return res, nil
}

// checkVersion refuses a schema that is not exactly the binary's.
func checkVersion(ctx context.Context, d dialect.Dialect, db *sqlx.DB) error {
	ms, err := loadMigrations(d)
	if err != nil {
		return err
	}
	cur, err := currentVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("storage: reading the schema version (has the database been migrated?): %w", err)
	}
	switch {
	case cur > len(ms):
		return fmt.Errorf("storage: %w: the database is at version %d, this binary knows up to %d; run a newer shoal", ErrSchemaTooNew, cur, len(ms))
	case cur < len(ms):
		return fmt.Errorf("storage: %w: the database is at version %d, this binary needs %d; run shoal migrate", ErrSchemaTooOld, cur, len(ms))
	}
	return nil
}

// Migrate opens the database dsn names, applies pending migrations and
// closes it again: the `shoal migrate` command.
func Migrate(ctx context.Context, dsn string, opts Options) (MigrationResult, error) {
	if err := opts.Validate(); err != nil {
		return MigrationResult{}, err
	}
	d, conns, _, err := openConns(ctx, dsn, &opts)
	if err != nil {
		return MigrationResult{}, err
	}
	defer conns.Close()
	return migrate(ctx, d, conns.Writer)
}
