package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/firmware"
	"github.com/shoal-iot/shoal/storage"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// withFirmware enables firmware on an env's dm: images in a directory
// (returned through dir), packages located under http://127.0.0.1:9/fw/.
func withFirmware(dir *string, mod func(*dm.FirmwareConfig)) func(testing.TB, *dm.Service, *storage.Store) {
	return func(t testing.TB, svc *dm.Service, st *storage.Store) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "firmware")
		if dir != nil {
			*dir = path
		}
		blobs, err := firmware.NewDir(path)
		if err != nil {
			t.Fatal(err)
		}
		loc := firmware.NewLocator()
		loc.Set("http", "http://127.0.0.1:9/fw/")
		cfg := dm.FirmwareConfig{Packages: loc, Interval: 20 * time.Millisecond}
		if mod != nil {
			mod(&cfg)
		}
		if err := svc.EnableFirmware(st.FirmwareStores(), blobs, cfg); err != nil {
			t.Fatal(err)
		}
	}
}

// newFwEnv is an env with firmware enabled; dir is the image directory.
func newFwEnv(t testing.TB, mod func(*dm.FirmwareConfig)) (*env, string) {
	var dir string
	e := newEnv(t, envOpts{setup: withFirmware(&dir, mod)})
	return e, dir
}

// newFwEnvOn is newFwEnv on a given backend.
func newFwEnvOn(t testing.TB, b storetest.Backend) *env {
	return newEnv(t, envOpts{backend: &b, setup: withFirmware(nil, nil)})
}

// patternReader yields n bytes of a fixed pattern without holding them:
// the 64 MiB upload is generated as it is sent.
type patternReader struct {
	off, n int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if rem := p.n - p.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	for i := range b {
		o := p.off + int64(i)
		b[i] = byte(o*7 + o>>9 + o>>17)
	}
	p.off += int64(len(b))
	return len(b), nil
}

// patternSHA256 digests the first n bytes of the pattern.
func patternSHA256(t testing.TB, n int64) string {
	h := sha256.New()
	if _, err := io.Copy(h, &patternReader{n: n}); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// upload posts body as an image with the query q; size < 0 sends it
// chunked (no Content-Length).
func (e *env) upload(token string, q url.Values, body io.Reader, size int64, hdr ...string) reply {
	e.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, e.base+"/api/v1/firmware?"+q.Encode(), body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// uploadBytes uploads a small image as the admin and returns its id.
func (e *env) uploadBytes(version string, b []byte, extra url.Values) int64 {
	e.t.Helper()
	q := url.Values{"version": {version}}
	for k, v := range extra {
		q[k] = v
	}
	var img imageReply
	e.upload(e.token, q, bytes.NewReader(b), int64(len(b))).want(e.t, http.StatusCreated).json(e.t, &img)
	return img.ID
}

// imageReply is a firmware image as the API answers it.
type imageReply struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Version    string    `json:"version"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	Models     []string  `json:"models"`
	ProfileIDs []int64   `json:"profile_ids"`
	Notes      string    `json:"notes"`
	CreatedAt  time.Time `json:"created_at"`
}

// campaignReply is a campaign view.
type campaignReply struct {
	ID          int64            `json:"id"`
	Name        string           `json:"name"`
	ImageID     int64            `json:"image_id"`
	State       string           `json:"state"`
	StateReason string           `json:"state_reason"`
	Concurrency int              `json:"concurrency"`
	Method      string           `json:"method"`
	Waves       []int            `json:"waves"`
	WaveDelay   string           `json:"wave_delay"`
	Image       imageReply       `json:"image"`
	Counts      map[string]int64 `json:"counts"`
	Total       int64            `json:"total"`
}

// filesIn counts the regular files under dir.
func filesIn(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// customer creates a customer and returns its id.
func (e *env) customer(name string) int64 {
	e.t.Helper()
	var c struct {
		ID int64 `json:"id"`
	}
	e.do("POST", "/api/v1/customers", map[string]any{"name": name}).want(e.t, 201).json(e.t, &c)
	return c.ID
}

// customerToken issues a customer token and returns its secret.
func (e *env) customerToken(customer int64) string {
	e.t.Helper()
	var created struct {
		Secret string `json:"secret"`
	}
	e.do("POST", "/api/v1/tokens", map[string]any{"name": fmt.Sprintf("customer %d", customer), "role": "customer",
		"customer": customer}).want(e.t, 201).json(e.t, &created)
	return created.Secret
}
