package sim

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDemoKeyIsCreatedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	k1, err := DemoKey(dir)
	if err != nil || len(k1) != 16 {
		t.Fatalf("first: %x %v", k1, err)
	}
	st, err := os.Stat(filepath.Join(dir, DemoKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	k2, err := DemoKey(dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second run got another key: %x vs %x (%v)", k1, k2, err)
	}
	if err := os.WriteFile(filepath.Join(dir, DemoKeyFile), []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := DemoKey(dir); !errors.Is(err, ErrConfig) {
		t.Fatalf("corrupt key file: %v", err)
	}
	if _, err := DemoKey(filepath.Join(dir, "missing", "dir")); err == nil {
		t.Fatal("a key in a missing directory was accepted")
	}
}
