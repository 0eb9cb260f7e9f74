package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/shoal-iot/shoal/storage/dialect"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is the PostgreSQL dialect. Times are TIMESTAMPTZ.
type Dialect struct{}

var (
	_ dialect.Dialect = Dialect{}
	_ dialect.Copier  = Dialect{}
)

// Name implements dialect.Dialect.
func (Dialect) Name() string { return "postgres" }

// BindType implements dialect.Dialect.
func (Dialect) BindType() int { return sqlx.DOLLAR }

// Migrations implements dialect.Dialect.
func (Dialect) Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// MigrationLock implements dialect.Dialect: a transaction-scoped advisory
// lock per schema, so nodes starting together migrate one after another.
func (Dialect) MigrationLock() string {
	return "SELECT pg_advisory_xact_lock(hashtext('shoal-migrate:' || current_schema()))"
}

// Time implements dialect.Dialect. PostgreSQL keeps microseconds; the
// nanoseconds are truncated here so both backends agree.
func (Dialect) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Truncate(time.Microsecond).UTC()
}

// BucketExpr implements dialect.Dialect.
func (Dialect) BucketExpr(col string, interval time.Duration) string {
	return fmt.Sprintf("date_bin(INTERVAL '%d microseconds', %s, TIMESTAMPTZ '1970-01-01 00:00:00+00')",
		interval.Microseconds(), col)
}

// RowID implements dialect.Dialect.
func (Dialect) RowID() string { return "ctid" }

// ForUpdate implements dialect.Dialect.
func (Dialect) ForUpdate() string { return " FOR UPDATE" }

// Classify implements dialect.Dialect (SQLSTATE class 23).
func (Dialect) Classify(err error) (dialect.Violation, string) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return dialect.NoViolation, ""
	}
	detail := pe.ConstraintName
	if detail == "" {
		detail = pe.ColumnName
	}
	switch pe.Code {
	case "23505":
		return dialect.Unique, detail
	case "23503":
		return dialect.ForeignKey, detail
	case "23502", "23514":
		return dialect.Check, detail
	}
	if strings.HasPrefix(pe.Code, "22") { // data exception: bad encoding, out of range, …
		return dialect.Check, pe.Message
	}
	return dialect.NoViolation, ""
}

// CopyFrom implements dialect.Copier with COPY … FROM STDIN (binary) on one
// connection of the pool; COPY is a single statement, so the rows are
// stored all or none.
func (Dialect) CopyFrom(ctx context.Context, db *sqlx.DB, table string, cols []string, rows [][]any) (int64, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n int64
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: COPY needs a pgx connection, got %T", dc)
		}
		var err error
		n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return err
	})
	return n, err
}
