package sqlite

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"

	"github.com/shoal-iot/shoal/storage/dialect"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect is the SQLite dialect. Times are INTEGER Unix microseconds.
type Dialect struct{}

var _ dialect.Dialect = Dialect{}

// Name implements dialect.Dialect.
func (Dialect) Name() string { return "sqlite" }

// BindType implements dialect.Dialect.
func (Dialect) BindType() int { return sqlx.QUESTION }

// Migrations implements dialect.Dialect.
func (Dialect) Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// MigrationLock implements dialect.Dialect: the single writer connection
// and BEGIN IMMEDIATE already serialise migrators.
func (Dialect) MigrationLock() string { return "" }

// Time implements dialect.Dialect.
func (Dialect) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// BucketExpr implements dialect.Dialect.
func (Dialect) BucketExpr(col string, interval time.Duration) string {
	us := interval.Microseconds()
	return fmt.Sprintf("((%s / %d) * %d)", col, us, us)
}

// RowID implements dialect.Dialect.
func (Dialect) RowID() string { return "rowid" }

// ForUpdate implements dialect.Dialect: there is one writer at a time.
func (Dialect) ForUpdate() string { return "" }

// Classify implements dialect.Dialect.
func (Dialect) Classify(err error) (dialect.Violation, string) {
	var se sqlite3.Error
	if !errors.As(err, &se) || se.Code != sqlite3.ErrConstraint {
		return dialect.NoViolation, ""
	}
	detail := se.Error()
	if i := strings.LastIndex(detail, "failed: "); i >= 0 {
		detail = detail[i+len("failed: "):]
	}
	switch se.ExtendedCode {
	case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
		return dialect.Unique, detail
	case sqlite3.ErrConstraintForeignKey:
		return dialect.ForeignKey, detail
	}
	// ON DELETE RESTRICT reports through the trigger code with this text.
	if strings.Contains(se.Error(), "FOREIGN KEY constraint failed") {
		return dialect.ForeignKey, "foreign key"
	}
	return dialect.Check, detail
}
