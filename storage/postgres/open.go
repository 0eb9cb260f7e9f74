package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/shoal-iot/shoal/storage/dialect"
)

// Config tunes the connection pool. The zero value is usable.
type Config struct {
	// MaxConns bounds the pool (default 10).
	MaxConns int
	// ConnectTimeout bounds the first connection (default 10s).
	ConnectTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxConns == 0 {
		c.MaxConns = 10
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.MaxConns < 1 {
		return fmt.Errorf("postgres: MaxConns %d: must be at least 1", c.MaxConns)
	}
	if c.ConnectTimeout < 0 {
		return fmt.Errorf("postgres: ConnectTimeout %v: must not be negative", c.ConnectTimeout)
	}
	return nil
}

// Open connects to the database dsn names (a postgres:// URL or a
// key=value string; unknown URL parameters such as search_path become
// session settings) and checks that it answers. One pool serves reads and
// writes.
func Open(ctx context.Context, dsn string, cfg Config) (dialect.Conns, error) {
	if err := cfg.Validate(); err != nil {
		return dialect.Conns{}, err
	}
	cfg = cfg.withDefaults()
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the DSN, password included: say only what
		// kind of problem it is.
		return dialect.Conns{}, fmt.Errorf("postgres: the connection string does not parse (%T)", err)
	}
	db := sqlx.NewDb(stdlib.OpenDB(*cc), "pgx")
	db.SetMaxOpenConns(cfg.MaxConns)
	db.SetMaxIdleConns(cfg.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return dialect.Conns{}, fmt.Errorf("postgres: connecting to %s:%d database %q as %q: %w", cc.Host, cc.Port, cc.Database, cc.User, err)
	}
	return dialect.Conns{Writer: db, Reader: db}, nil
}
