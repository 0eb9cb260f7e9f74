package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shoal-iot/shoal/storage"
	"github.com/shoal-iot/shoal/storage/postgres"
	"github.com/shoal-iot/shoal/storage/sqlite"
)

// EnvPostgresDSN names the environment variable with the PostgreSQL test
// server's DSN.
const EnvPostgresDSN = "SHOAL_TEST_POSTGRES_DSN"

// Backend provides fresh databases to the suite.
type Backend struct {
	Name string
	// NewDSN returns the location of a new, empty database for t and
	// registers its removal with t.Cleanup.
	NewDSN func(t testing.TB) string
	// Options are the base options of every Open (pool sizes and such).
	Options storage.Options
	// Exec runs raw SQL on the database dsn names, behind the store's back
	// (to fake a newer schema, corrupt a row, …).
	Exec func(t testing.TB, dsn, query string)
}

// TestKey is the secret key the suite opens stores with.
func TestKey() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i + 1)
	}
	return k
}

// Open opens dsn with the backend's options, the test key, a clock stopped
// at T0 and the given changes, failing t on error; the store is closed at
// cleanup.
func (b Backend) Open(t testing.TB, dsn string, change ...func(*storage.Options)) *storage.Store {
	t.Helper()
	opts := b.Options
	opts.SecretKey = TestKey()
	opts.Clock = func() time.Time { return T0 }
	for _, c := range change {
		c(&opts)
	}
	st, err := storage.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("%s: open: %v", b.Name, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Fresh opens a new, empty store.
func (b Backend) Fresh(t testing.TB, change ...func(*storage.Options)) *storage.Store {
	t.Helper()
	return b.Open(t, b.NewDSN(t), change...)
}

// SQLite is the SQLite backend: a file in t.TempDir().
func SQLite() Backend {
	return Backend{
		Name: "sqlite",
		NewDSN: func(t testing.TB) string {
			return "sqlite://" + filepath.Join(t.TempDir(), "shoal.db")
		},
		Options: storage.Options{SQLite: sqlite.Config{ReadConns: 2}},
		Exec: func(t testing.TB, dsn, query string) {
			t.Helper()
			_, path, err := storage.ParseDSN(dsn)
			if err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
	}
}

// Postgres is the PostgreSQL backend: a new schema per test in the
// database SHOAL_TEST_POSTGRES_DSN names. It skips t when the variable is
// unset and fails it when the server does not answer.
func Postgres(t testing.TB) Backend {
	base := os.Getenv(EnvPostgresDSN)
	if base == "" {
		t.Skipf("PostgreSQL half skipped: set %s=postgres://USER:PASSWORD@127.0.0.1:5432/DB?sslmode=disable "+
			"(a role allowed to create schemas) to run it; .ci/run sets it up", EnvPostgresDSN)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s is set but PostgreSQL does not answer: %v", EnvPostgresDSN, err)
	}
	conn.Close(ctx)
	return Backend{
		Name:    "postgres",
		NewDSN:  func(t testing.TB) string { return newSchema(t, base) },
		Options: storage.Options{Postgres: postgres.Config{MaxConns: 4}},
		Exec: func(t testing.TB, dsn, query string) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
	}
}

// newSchema creates a uniquely named schema, drops it at cleanup, and
// returns base with its search_path set to it.
func newSchema(t testing.TB, base string) string {
	t.Helper()
	var rnd [6]byte
	rand.Read(rnd[:])
	schema := "shoal_test_" + hex.EncodeToString(rnd[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s: connecting: %v", EnvPostgresDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return withSearchPath(base, schema)
}

func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return fmt.Sprintf("%s search_path=%s", dsn, schema)
}
