package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/shoal-iot/shoal/storage"
)

func testMigrations(t *testing.T, b Backend) {
	ctx := t.Context()
	dsn := b.NewDSN(t)
	st := b.Open(t, dsn)
	latest, err := storage.LatestVersion(st.Backend())
	must(t, err)
	v, err := st.SchemaVersion(ctx)
	must(t, err)
	if v != latest || v < 1 {
		t.Fatalf("schema version %d, want %d", v, latest)
	}
	newDevice(t, st, "kept")
	st.Close()

	// Migrating again is a no-op and keeps the data.
	res, err := storage.Migrate(ctx, dsn, storage.Options{SecretKey: TestKey()})
	must(t, err)
	if res.From != latest || res.To != latest {
		t.Errorf("second migration %+v", res)
	}
	st = b.Open(t, dsn, func(o *storage.Options) { o.NoMigrate = true })
	if _, err := st.Devices().GetByEndpoint(ctx, "kept"); err != nil {
		t.Errorf("data after reopening: %v", err)
	}
	// Pretend a newer Shoal migrated the database.
	st.Close()
	bumpSchema(t, b, dsn, latest+1)
	opts := b.Options
	opts.SecretKey = TestKey()
	_, err = storage.Open(context.Background(), dsn, opts)
	if !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("opening a newer schema: %v, want ErrSchemaTooNew", err)
	}
	t.Logf("refusal reads: %v", err)
	_, err = storage.Migrate(ctx, dsn, opts)
	if !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("migrating a newer schema: %v, want ErrSchemaTooNew", err)
	}
}

// bumpSchema records a schema version this binary does not know.
func bumpSchema(t *testing.T, b Backend, dsn string, v int) {
	t.Helper()
	b.Exec(t, dsn, fmt.Sprintf("INSERT INTO shoal_schema (version, name, applied_at) VALUES (%d, 'from_the_future', '2099-01-01T00:00:00Z')", v))
}
