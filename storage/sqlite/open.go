package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/shoal-iot/shoal/storage/dialect"
)

// ApplicationID is written to the database header (PRAGMA application_id)
// of every file Shoal creates: "SHOL".
const ApplicationID = 0x53484F4C

// ErrNotShoal is wrapped when a file is not a SQLite database or is a
// SQLite database of another application.
var ErrNotShoal = errors.New("is not a Shoal database")

// Config tunes the connections. The zero value is usable.
type Config struct {
	// ReadConns is the size of the reader pool (default 4).
	ReadConns int
	// BusyTimeout is how long a connection waits for another process's
	// lock before failing (default 10s).
	BusyTimeout time.Duration
	// Synchronous is "NORMAL" (default: a commit survives a crash of the
	// process, the last commits may be lost if the machine loses power) or
	// "FULL" (fsync on every commit).
	Synchronous string
	// WriterCacheMiB is the page cache of the writer connection (default
	// 64): the telemetry series index of thousands of devices takes a
	// page per device and batch; with SQLite's 2 MiB those pages were
	// evicted and read back on every batch.
	WriterCacheMiB int
	// CheckpointPages is the WAL size in pages at which a commit copies
	// the WAL back into the database (wal_autocheckpoint; default 16384,
	// 64 MiB). SQLite's 1000 made nearly every telemetry batch pay a
	// checkpoint and its fsyncs; a larger WAL writes a page changed by
	// many batches back once.
	CheckpointPages int
}

func (c Config) withDefaults() Config {
	if c.ReadConns == 0 {
		c.ReadConns = 4
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 10 * time.Second
	}
	if c.Synchronous == "" {
		c.Synchronous = "NORMAL"
	}
	if c.WriterCacheMiB == 0 {
		c.WriterCacheMiB = 64
	}
	if c.CheckpointPages == 0 {
		c.CheckpointPages = 16384
	}
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.ReadConns < 1 {
		return fmt.Errorf("sqlite: ReadConns %d: must be at least 1", c.ReadConns)
	}
	if c.WriterCacheMiB < 0 || c.CheckpointPages < 0 {
		return fmt.Errorf("sqlite: WriterCacheMiB %d, CheckpointPages %d: must not be negative", c.WriterCacheMiB, c.CheckpointPages)
	}
	if c.BusyTimeout < 0 {
		return fmt.Errorf("sqlite: BusyTimeout %v: must not be negative", c.BusyTimeout)
	}
	switch strings.ToUpper(c.Synchronous) {
	case "NORMAL", "FULL":
	default:
		return fmt.Errorf("sqlite: Synchronous %q: must be NORMAL or FULL", c.Synchronous)
	}
	return nil
}

// sqliteHeader opens every SQLite 3 database file.
const sqliteHeader = "SQLite format 3\x00"

// Open opens (creating when absent, with its directory) the database file
// at path and checks that it is a Shoal database or an empty one.
func Open(ctx context.Context, path string, cfg Config) (dialect.Conns, error) {
	if err := cfg.Validate(); err != nil {
		return dialect.Conns{}, err
	}
	cfg = cfg.withDefaults()
	if path == "" {
		return dialect.Conns{}, errors.New("sqlite: empty database path")
	}
	if err := checkHeader(path); err != nil {
		return dialect.Conns{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return dialect.Conns{}, fmt.Errorf("sqlite: creating the directory of %s: %w", path, err)
	}
	busy := cfg.BusyTimeout.Milliseconds()
	base := "file:" + escapePath(path) + fmt.Sprintf("?_busy_timeout=%d&_foreign_keys=on", busy)

	w, err := sqlx.Open("sqlite3", base+"&_journal_mode=WAL&_txlock=immediate&_synchronous="+strings.ToUpper(cfg.Synchronous)+
		fmt.Sprintf("&_cache_size=%d", -cfg.WriterCacheMiB*1024))
	if err != nil {
		return dialect.Conns{}, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	// One writer: SQLite allows one write transaction at a time, and keeping
	// it to one connection in this process means writers queue in the pool
	// (honouring their context) instead of failing with "database is locked".
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := claim(ctx, w, path); err != nil {
		w.Close()
		return dialect.Conns{}, err
	}
	// Per connection, and the writer pool keeps its one connection for
	// good (should the driver ever replace it, the new one checkpoints at
	// SQLite's default: slower, not wrong).
	if _, err := w.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", cfg.CheckpointPages)); err != nil {
		w.Close()
		return dialect.Conns{}, fmt.Errorf("sqlite: %s: setting wal_autocheckpoint: %w", path, err)
	}

	r, err := sqlx.Open("sqlite3", base+"&_query_only=1")
	if err != nil {
		w.Close()
		return dialect.Conns{}, fmt.Errorf("sqlite: opening %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(cfg.ReadConns)
	r.SetMaxIdleConns(cfg.ReadConns)
	r.SetConnMaxIdleTime(0)
	r.SetConnMaxLifetime(0)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return dialect.Conns{}, fmt.Errorf("sqlite: opening %s for reading: %w", path, err)
	}
	return dialect.Conns{Writer: w, Reader: r}, nil
}

// escapePath makes path safe inside a file: URI, whose query starts at the
// first '?' and whose %XX sequences are decoded.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// checkHeader refuses an existing non-empty file that does not start with
// the SQLite header, before the driver can misreport or overwrite it.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("sqlite: %s %w: it is a directory", path, ErrNotShoal)
	}
	if st.Size() == 0 {
		return nil
	}
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte(sqliteHeader)) {
		return fmt.Errorf("sqlite: %s %w: file is not a database (no SQLite header)", path, ErrNotShoal)
	}
	return nil
}

// claim checks that the database is Shoal's (by application id) or empty,
// and marks an empty one as Shoal's.
func claim(ctx context.Context, w *sqlx.DB, path string) error {
	var appID int64
	if err := w.GetContext(ctx, &appID, "PRAGMA application_id"); err != nil {
		return fmt.Errorf("sqlite: %s %w: %v", path, ErrNotShoal, err)
	}
	var tables int
	if err := w.GetContext(ctx, &tables, "SELECT count(*) FROM sqlite_master"); err != nil {
		return fmt.Errorf("sqlite: %s %w: %v", path, ErrNotShoal, err)
	}
	switch {
	case appID == ApplicationID:
		return nil
	case appID != 0:
		return fmt.Errorf("sqlite: %s %w: it belongs to another application (application_id %#x)", path, ErrNotShoal, appID)
	case tables > 0:
		return fmt.Errorf("sqlite: %s %w: it is a SQLite database with %d schema objects of another application", path, ErrNotShoal, tables)
	}
	if _, err := w.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)); err != nil {
		return fmt.Errorf("sqlite: %s: marking as a Shoal database: %w", path, err)
	}
	return nil
}
