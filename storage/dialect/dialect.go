// Package dialect declares what the shared repository code in package
// storage needs to know about one SQL backend: placeholder style, how times
// are bound, a few SQL fragments that differ, how constraint violations are
// recognised, its embedded migrations and, optionally, a bulk-copy path.
// storage/sqlite and storage/postgres implement it; storage consumes it.
package dialect

import (
	"context"
	"io/fs"
	"time"

	"github.com/jmoiron/sqlx"
)

// Violation classifies a constraint error.
type Violation int

// Kinds of constraint violation.
const (
	NoViolation Violation = iota
	Unique                // unique or primary key
	ForeignKey            // a reference to a missing row, or a delete of a referenced row
	Check                 // CHECK or NOT NULL
)

// Dialect is one SQL backend.
type Dialect interface {
	// Name is "sqlite" or "postgres".
	Name() string
	// BindType is the sqlx bind type (sqlx.QUESTION, sqlx.DOLLAR) queries
	// written with '?' are rebound to.
	BindType() int
	// Migrations holds NNNN_name.sql files applied in version order.
	Migrations() fs.FS
	// MigrationLock is a statement run first in the migration transaction
	// to serialise concurrent migrators ("" when the backend needs none).
	MigrationLock() string
	// Time returns the value bound for a time column; nil for the zero time.
	Time(t time.Time) any
	// BucketExpr is an expression giving the start of the interval of the
	// given length (aligned to the Unix epoch) containing time column col.
	BucketExpr(col string, interval time.Duration) string
	// RowID names the physical row identifier used to delete in bounded
	// batches from tables without a primary key.
	RowID() string
	// ForUpdate is the row-locking suffix of a SELECT inside a write
	// transaction ("" when the backend has one writer at a time).
	ForUpdate() string
	// Classify recognises constraint violations and returns the kind and
	// the constraint or column involved.
	Classify(err error) (Violation, string)
}

// Copier is implemented by dialects with a faster bulk-insert path than
// multi-row INSERT statements.
type Copier interface {
	CopyFrom(ctx context.Context, db *sqlx.DB, table string, cols []string, rows [][]any) (int64, error)
}

// Conns are the connection pools of one opened database: Writer takes every
// write; Reader serves reads. They may be the same pool.
type Conns struct {
	Writer *sqlx.DB
	Reader *sqlx.DB
}

// Close closes both pools.
func (c Conns) Close() error {
	err := c.Writer.Close()
	if c.Reader != nil && c.Reader != c.Writer {
		if rerr := c.Reader.Close(); err == nil {
			err = rerr
		}
	}
	return err
}
