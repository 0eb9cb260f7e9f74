package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage"
	"github.com/shoal-iot/shoal/storage/sqlite"
	"github.com/shoal-iot/shoal/storage/storetest"
)

func openErr(t *testing.T, path string) error {
	t.Helper()
	st, err := storage.Open(context.Background(), path, storage.Options{SecretKey: storetest.TestKey()})
	if err == nil {
		st.Close()
		t.Fatalf("%s opened", path)
	}
	if !errors.Is(err, sqlite.ErrNotShoal) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q: want sqlite.ErrNotShoal naming %s", err, path)
	}
	return err
}

func TestRefusesForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shoal.db")
	content := []byte("these are somebody's notes, not a database\n")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	err := openErr(t, path)
	if !strings.Contains(err.Error(), "is not a Shoal database: file is not a database") {
		t.Errorf("error %q does not say the file is not a database", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, content) {
		t.Error("the refused file was modified")
	}
}

func TestRefusesCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shoal.db")
	junk := append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xA5}, 4080)...)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("refusal reads: %v", openErr(t, path))
}

func TestRefusesOtherApplicationsDatabase(t *testing.T) {
	dir := t.TempDir()
	for name, setup := range map[string]string{
		"tables.db": "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)",
		"appid.db":  "PRAGMA application_id = 1234",
	} {
		path := filepath.Join(dir, name)
		db, err := sql.Open("sqlite3", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(setup); err != nil {
			t.Fatal(err)
		}
		db.Close()
		err = openErr(t, path)
		if !strings.Contains(err.Error(), "another application") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestRefusesDirectory(t *testing.T) {
	openErr(t, t.TempDir())
}

func TestAcceptsEmptyFileAndDSNForms(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dsn := range []string{empty, "sqlite:" + filepath.Join(dir, "a.db"), "sqlite://" + filepath.Join(dir, "sub", "b.db"),
		filepath.Join(dir, "with?question#hash%.db")} {
		st, err := storage.Open(t.Context(), dsn, storage.Options{SecretKey: storetest.TestKey()})
		if err != nil {
			t.Errorf("%s: %v", dsn, err)
			continue
		}
		if st.Backend() != "sqlite" {
			t.Errorf("%s: backend %s", dsn, st.Backend())
		}
		st.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, "with?question#hash%.db")); err != nil {
		t.Errorf("a path with URI metacharacters was not used literally: %v", err)
	}
}

func TestKeyFileCreatedAndReused(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "db", "shoal.db")
	data := filepath.Join(dir, "data")
	open := func() *storage.Store {
		st, err := storage.Open(t.Context(), dsn, storage.Options{DataDir: data})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := open()
	d := models.Device{Endpoint: "d"}
	if err := st.Devices().Create(t.Context(), &d); err != nil {
		t.Fatal(err)
	}
	c := models.Credential{DeviceID: d.ID, Mode: models.ModePSK, PSKIdentity: "i", PSKKey: []byte("super-secret-psk-0123456789")}
	if err := st.Credentials().Put(t.Context(), &c); err != nil {
		t.Fatal(err)
	}
	st.Close()
	keyPath := filepath.Join(data, storage.KeyFileName)
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	key, _ := os.ReadFile(keyPath)
	if len(bytes.TrimSpace(key)) != 64 {
		t.Errorf("key file holds %q", key)
	}

	// The secret is not stored in the clear.
	for _, f := range []string{dsn, dsn + "-wal"} {
		raw, _ := os.ReadFile(f)
		if bytes.Contains(raw, []byte("super-secret-psk")) {
			t.Errorf("%s contains the PSK in the clear", f)
		}
	}
	st = open()
	defer st.Close()
	got, err := st.Credentials().Get(t.Context(), c.ID)
	if err != nil || string(got.PSKKey) != "super-secret-psk-0123456789" {
		t.Errorf("after reopening with the key file: %q, %v", got.PSKKey, err)
	}

	// A malformed key file is refused, naming it.
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not hex"), 0o600)
	_, err = storage.Open(t.Context(), filepath.Join(dir, "other.db"), storage.Options{KeyFile: bad})
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("malformed key file: %v", err)
	}
}
