package firmware_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoal-iot/shoal/firmware"
)

// TestDir: an image is invisible until committed, then readable at any
// offset; an aborted upload leaves nothing; half-written uploads of a
// crash are removed on open; locations that are not Dir's own are
// refused rather than opened or removed.
func TestDir(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "upload-crash.part"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := firmware.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "upload-crash.part")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a crashed upload survived NewDir: %v", err)
	}
	ctx := context.Background()
	data := bytes.Repeat([]byte("firmware"), 5000)
	w, err := d.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(root, "*.bin")); len(files) != 0 {
		t.Fatalf("an image is visible before Commit: %v", files)
	}
	loc, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort after Commit: %v", err)
	}
	b, err := d.Open(loc)
	if err != nil {
		t.Fatal(err)
	}
	if b.Size() != int64(len(data)) {
		t.Fatalf("size %d, want %d", b.Size(), len(data))
	}
	got := make([]byte, 100)
	if _, err := b.ReadAt(got, 1000); err != nil || !bytes.Equal(got, data[1000:1100]) {
		t.Fatalf("ReadAt 1000: %v", err)
	}
	all, err := io.ReadAll(io.NewSectionReader(b, 0, b.Size()))
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("whole image: %d bytes, %v", len(all), err)
	}
	b.Close()

	w2, _ := d.Create(ctx)
	_, _ = w2.Write([]byte("discard me"))
	if err := w2.Abort(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(root, "*")); len(left) != 1 {
		t.Fatalf("files after an abort: %v", left)
	}

	for _, bad := range []string{"", "../shoal.db", "/etc/passwd", "0123456789abcdef0123456789abcdef.bin/../x", "0123456789ABCDEF0123456789ABCDEF.bin", loc + " "} {
		if _, err := d.Open(bad); !errors.Is(err, firmware.ErrLocation) {
			t.Errorf("Open(%q): %v, want ErrLocation", bad, err)
		}
		if err := d.Remove(bad); !errors.Is(err, firmware.ErrLocation) {
			t.Errorf("Remove(%q): %v, want ErrLocation", bad, err)
		}
	}
	if err := d.Remove(loc); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(loc); err != nil {
		t.Fatalf("removing twice: %v", err)
	}
	if _, err := d.Open(loc); err == nil {
		t.Fatal("a removed image opens")
	}
}
