package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/shoal-iot/shoal/storage/dialect"
	"github.com/shoal-iot/shoal/storage/postgres"
	"github.com/shoal-iot/shoal/storage/sqlite"
)

// ErrDSN is wrapped when a database location cannot be understood.
var ErrDSN = errors.New("unsupported database location")

// Backend names.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// DefaultDBFile is the SQLite file name used in the data directory.
const DefaultDBFile = "shoal.db"

// DefaultDSN is the database of a data directory: sqlite://DIR/shoal.db.
func DefaultDSN(dataDir string) string {
	return "sqlite://" + filepath.Join(dataDir, DefaultDBFile)
}

// ParseDSN splits a database location into its backend and the
// backend-specific target: "sqlite://PATH", "sqlite:PATH" and a bare path
// give the SQLite file path; "postgres://…" and "postgresql://…" are
// returned whole.
func ParseDSN(dsn string) (backend, target string, err error) {
	switch {
	case dsn == "":
		return "", "", fmt.Errorf("storage: %w: empty", ErrDSN)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return BackendPostgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		target = strings.TrimPrefix(dsn, "sqlite://")
	case strings.HasPrefix(dsn, "sqlite:"):
		target = strings.TrimPrefix(dsn, "sqlite:")
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("storage: %w: %q (use sqlite://PATH or postgres://…)", ErrDSN, redact(dsn))
	default:
		target = dsn
	}
	if target == "" {
		return "", "", fmt.Errorf("storage: %w: %q names no file", ErrDSN, dsn)
	}
	return BackendSQLite, target, nil
}

// redact drops a URL's user information so errors never carry passwords.
func redact(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if slash := strings.Index(rest, "/"); slash < 0 || at < slash {
			rest = "…@" + rest[at+1:]
		}
	}
	return scheme + "://" + rest
}

// openConns opens the connections of dsn without migrating.
func openConns(ctx context.Context, dsn string, o *Options) (dialect.Dialect, dialect.Conns, string, error) {
	backend, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, dialect.Conns{}, "", err
	}
	switch backend {
	case BackendSQLite:
		c, err := sqlite.Open(ctx, target, o.SQLite)
		return sqlite.Dialect{}, c, target, err
	default:
		c, err := postgres.Open(ctx, target, o.Postgres)
		return postgres.Dialect{}, c, "", err
	}
}

// Open opens the database dsn names, applies pending migrations (unless
// opts.NoMigrate), refuses a schema newer than this binary knows
// (ErrSchemaTooNew), loads the secret key and returns the Store.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	d, conns, path, err := openConns(ctx, dsn, &opts)
	if err != nil {
		return nil, err
	}
	s, err := newStore(ctx, d, conns, path, opts)
	if err != nil {
		conns.Close()
		return nil, err
	}
	return s, nil
}

func newStore(ctx context.Context, d dialect.Dialect, conns dialect.Conns, path string, opts Options) (*Store, error) {
	if opts.NoMigrate {
		if err := checkVersion(ctx, d, conns.Writer); err != nil {
			return nil, err
		}
	} else if _, err := migrate(ctx, d, conns.Writer); err != nil {
		return nil, err
	}
	key := opts.SecretKey
	if key == nil {
		kf := opts.KeyFile
		switch {
		case kf != "":
		case opts.DataDir != "":
			kf = filepath.Join(opts.DataDir, KeyFileName)
		case path != "":
			kf = filepath.Join(filepath.Dir(path), KeyFileName)
		default:
			return nil, errors.New("storage: no secret key: set Options.SecretKey, Options.KeyFile or Options.DataDir")
		}
		var err error
		if key, err = LoadOrCreateKey(kf); err != nil {
			return nil, err
		}
	}
	box, err := newSecretBox(key)
	if err != nil {
		return nil, err
	}
	s := &Store{d: d, w: conns.Writer, r: conns.Reader, box: box, opts: opts, log: opts.Logger}
	if err := s.checkKey(ctx); err != nil {
		return nil, err
	}
	return s, nil
}
