package dm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/shoal-iot/shoal/models"
)

// Package is a firmware package a device downloads with the one-time
// token of its Package URI. Blob is shared: read it, do not close it.
type Package struct {
	Image models.FirmwareImage
	Blob  Blob
	job   *fwJob
	e     *fwEngine
}

// Served records that the bytes up to end were sent, for the job's
// progress.
func (p Package) Served(end int64) {
	if p.job == nil {
		return
	}
	p.e.mu.Lock()
	if end > p.job.served {
		p.job.served = end
	}
	p.e.mu.Unlock()
}

// tokenLen is the length of a token: 16 random bytes in base64url.
const tokenLen = 22

// newToken returns a fresh one-time token.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tokenHash is what is stored of a token: its SHA-256 in hex.
func tokenHash(tok string) string {
	s := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(s[:])
}

// packageURI builds the Package URI of a pull: the file service's prefix
// for scheme, the token, and the image's digest when that still fits the
// 255 characters /5/0/1 takes.
func (e *fwEngine) packageURI(img models.FirmwareImage, scheme, tok string) (string, error) {
	if e.cfg.Packages == nil {
		return "", fmt.Errorf("no file service for pulls")
	}
	prefix, ok := e.cfg.Packages.PackagePrefix(scheme)
	if !ok {
		return "", fmt.Errorf("Shoal does not serve packages by %s", scheme)
	}
	uri := prefix + tok
	if !e.cfg.OmitDigest && len(uri)+len("?sha256=")+len(img.SHA256) <= maxPackageURI {
		uri += "?sha256=" + img.SHA256
	}
	if len(uri) > maxPackageURI {
		return "", fmt.Errorf("a Package URI by %s would be %d characters, more than the %d /5/0/1 takes", scheme, len(uri), maxPackageURI)
	}
	return uri, nil
}

// OpenPackage returns the package a one-time token stands for, while the
// pull it was issued for is under way: once the device has the image (or
// the attempt ended) the token is dead. identity is the DTLS identity the
// request came with ("psk:<identity>" or "x509:<fingerprint>", "" over
// plain CoAP or HTTP); a token issued for a CoAPS pull answers only the
// device's own identity. Unknown and dead tokens are ErrNotFound, another
// identity ErrForbidden.
func (s *Service) OpenPackage(ctx context.Context, token, identity string) (Package, error) {
	e, err := s.firmware()
	if err != nil {
		return Package{}, err
	}
	if len(token) != tokenLen {
		return Package{}, fmt.Errorf("package token: %w", ErrNotFound)
	}
	e.mu.Lock()
	j := e.byToken[tokenHash(token)]
	var want string
	if j != nil {
		want = j.identity
	}
	e.mu.Unlock()
	if j == nil {
		return Package{}, fmt.Errorf("package token: unknown, or its download is over: %w", ErrNotFound)
	}
	if want != "" && identity != want {
		return Package{}, fmt.Errorf("package token: issued to %s, used by %s: %w", want, orNone(identity), ErrForbidden)
	}
	b, err := e.images.blob(j.img)
	if err != nil {
		return Package{}, err
	}
	return Package{Image: j.img, Blob: b, job: j, e: e}, nil
}

// imageCache keeps images open for the file service and, while pushes
// run, their bytes in memory (shared by every push of the image).
type imageCache struct {
	blobs ImageBlobs
	mu    sync.Mutex
	open  map[int64]*cachedImage
}

type cachedImage struct {
	blob    Blob
	data    []byte
	pushers int
}

func newImageCache(b ImageBlobs) *imageCache {
	return &imageCache{blobs: b, open: map[int64]*cachedImage{}}
}

// blob returns the image's shared read handle.
func (c *imageCache) blob(img models.FirmwareImage) (Blob, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ci := c.open[img.ID]
	if ci == nil {
		b, err := c.blobs.Open(img.Location)
		if err != nil {
			return nil, fmt.Errorf("firmware image %d: %w", img.ID, err)
		}
		if b.Size() != img.Size {
			b.Close()
			return nil, fmt.Errorf("firmware image %d: %d bytes stored, %d recorded", img.ID, b.Size(), img.Size)
		}
		ci = &cachedImage{blob: b}
		c.open[img.ID] = ci
	}
	return ci.blob, nil
}

// bytes returns the whole image for a push, taking a reference that
// donePush gives back.
func (c *imageCache) bytes(img models.FirmwareImage) ([]byte, error) {
	b, err := c.blob(img)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ci := c.open[img.ID]
	if ci.data == nil {
		data := make([]byte, img.Size)
		if _, err := io.ReadFull(io.NewSectionReader(b, 0, img.Size), data); err != nil {
			return nil, fmt.Errorf("firmware image %d: reading it: %w", img.ID, err)
		}
		ci.data = data
	}
	ci.pushers++
	return ci.data, nil
}

// donePush gives a push's reference back; the bytes go with the last.
func (c *imageCache) donePush(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ci := c.open[id]; ci != nil {
		ci.pushers--
		if ci.pushers <= 0 {
			ci.pushers, ci.data = 0, nil
		}
	}
}

// drop closes an image (deleted).
func (c *imageCache) drop(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ci := c.open[id]; ci != nil {
		ci.blob.Close()
		delete(c.open, id)
	}
}

// close closes every image.
func (c *imageCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, ci := range c.open {
		ci.blob.Close()
		delete(c.open, id)
	}
}
