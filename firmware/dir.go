package firmware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/shoal-iot/shoal/dm"
)

// ErrLocation is wrapped when a stored location is not one Dir made.
var ErrLocation = errors.New("firmware: not an image location")

// Dir keeps firmware images as files in one directory: uploads are
// written to a temporary file, synced, and renamed to a random name when
// complete, so a half-written image is never served. Locations are the
// file names.
type Dir struct{ path string }

var _ dm.ImageBlobs = (*Dir)(nil)

// location is the name of a committed image: 32 hex digits and ".bin".
var location = regexp.MustCompile(`^[0-9a-f]{32}\.bin$`)

// partSuffix names uploads in progress.
const partSuffix = ".part"

// NewDir opens (creating, 0700) the image directory and removes uploads
// a crash left half-written.
func NewDir(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("firmware: image directory: %w", err)
	}
	parts, err := filepath.Glob(filepath.Join(path, "*"+partSuffix))
	if err != nil {
		return nil, fmt.Errorf("firmware: image directory: %w", err)
	}
	for _, p := range parts {
		_ = os.Remove(p)
	}
	return &Dir{path: path}, nil
}

// Path returns the directory.
func (d *Dir) Path() string { return d.path }

// Create implements dm.ImageBlobs.
func (d *Dir) Create(ctx context.Context) (dm.BlobWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(d.path, "upload-*"+partSuffix)
	if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	return &dirWriter{d: d, f: f}, nil
}

type dirWriter struct {
	d    *Dir
	f    *os.File
	done bool
}

func (w *dirWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

// Commit implements dm.BlobWriter: sync, close, rename into place.
func (w *dirWriter) Commit() (string, error) {
	if w.done {
		return "", errors.New("firmware: image already committed or aborted")
	}
	w.done = true
	tmp := w.f.Name()
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("firmware: writing the image: %w", err)
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	name := hex.EncodeToString(b[:]) + ".bin"
	if err := os.Rename(tmp, filepath.Join(w.d.path, name)); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("firmware: %w", err)
	}
	if dir, err := os.Open(w.d.path); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return name, nil
}

// Abort implements dm.BlobWriter.
func (w *dirWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	return os.Remove(w.f.Name())
}

// check returns the file of a location, refusing anything else (a
// location comes from the database: it must never name another path).
func (d *Dir) check(loc string) (string, error) {
	if !location.MatchString(loc) {
		return "", fmt.Errorf("%w: %q", ErrLocation, truncate(loc, 80))
	}
	return filepath.Join(d.path, loc), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// Open implements dm.ImageBlobs.
func (d *Dir) Open(loc string) (dm.Blob, error) {
	p, err := d.check(loc)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("firmware: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("firmware: %w", err)
	}
	return fileBlob{f, st.Size()}, nil
}

type fileBlob struct {
	*os.File
	size int64
}

func (b fileBlob) Size() int64 { return b.size }

// Remove implements dm.ImageBlobs.
func (d *Dir) Remove(loc string) error {
	p, err := d.check(loc)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("firmware: %w", err)
	}
	return nil
}
