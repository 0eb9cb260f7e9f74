package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"
)

// counter reads row counts from the server's database while it runs
// (SQLite in WAL mode lets a reader in beside the writer).
type counter struct {
	db *sql.DB
}

func openCounter(dsn string) (*counter, error) {
	var db *sql.DB
	var err error
	if path, ok := strings.CutPrefix(dsn, "sqlite://"); ok {
		db, err = sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	} else {
		db, err = sql.Open("pgx", dsn)
	}
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &counter{db: db}, nil
}

func (c *counter) count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := c.db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// settle waits until table's count stops moving for quiet (or until
// limit) and returns it.
func (c *counter) settle(ctx context.Context, table string, want int64, quiet, limit time.Duration) int64 {
	end := time.Now().Add(limit)
	last, since := int64(-1), time.Now()
	for time.Now().Before(end) && ctx.Err() == nil {
		n, err := c.count(ctx, table)
		if err == nil {
			if n >= want && want > 0 {
				return n
			}
			if n != last {
				last, since = n, time.Now()
			} else if time.Since(since) > quiet {
				return n
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return last
}

func (c *counter) close() { _ = c.db.Close() }

// freshSchema creates an empty schema in the PostgreSQL database dsn names
// and returns a DSN that uses it (search_path becomes a session setting).
func freshSchema(ctx context.Context, dsn string, n int) (string, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	name := fmt.Sprintf("bench_%d_%d", time.Now().Unix(), n)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", fmt.Errorf("postgres: create schema %s: %w", name, err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("postgres: the DSN must be a postgres:// URL")
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// dropSchema removes a schema freshSchema made.
func dropSchema(ctx context.Context, dsn string) {
	u, err := url.Parse(dsn)
	if err != nil {
		return
	}
	name := u.Query().Get("search_path")
	if !strings.HasPrefix(name, "bench_") {
		return
	}
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return
	}
	defer db.Close()
	_, _ = db.ExecContext(ctx, "DROP SCHEMA "+name+" CASCADE")
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	u.User = url.User(u.User.Username())
	return u.String()
}
