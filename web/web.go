// Package web is Shoal's web console: static HTML, CSS and JavaScript
// modules, written by hand with no build step, embedded in the binary and
// served at / on the API port (api.Config.Console). The console speaks
// only the public REST API under /api/v1 and its SSE stream; it keeps the
// API token the operator signs in with in the browser's session storage.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static
var static embed.FS

// FS returns the console's files, rooted at the directory index.html is in.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("web: embedded files: " + err.Error()) // the embed pattern guarantees the directory
	}
	return sub
}

// file is one embedded file, ready to serve.
type file struct {
	body  []byte
	ctype string
	etag  string
}

// handler serves the embedded files.
type handler struct {
	files map[string]file // by URL path, "/index.html"
}

// Handler serves the console: GET and HEAD of its files, "/" as
// index.html, with strong ETags (revalidated on every load, so a new
// binary is picked up at once) and a strict Content-Security-Policy that
// allows nothing but the console's own origin. Other paths are 404.
func Handler() http.Handler {
	h := &handler{files: map[string]file{}}
	root := FS()
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := contentType(p, mime.TypeByExtension(path.Ext(p)))
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.files["/"+p] = file{body: b, ctype: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("web: embedded files: " + err.Error()) // embedded files always read
	}
	return h
}

// contentType pins the types browsers insist on for modules and styles,
// whatever the host's mime tables say.
func contentType(p string, fallback string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return fallback
}

// csp allows the console's own scripts, styles, images and API calls only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: the console is read-only", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == "/" {
		p = "/index.html"
	}
	f, ok := h.files[p]
	if !ok {
		http.Error(w, "not found: "+p+" is not part of the console", http.StatusNotFound)
		return
	}
	hd.Set("Content-Type", f.ctype)
	hd.Set("ETag", f.etag)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if strings.HasSuffix(p, ".html") {
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Frame-Options", "DENY")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Length", strconv.Itoa(len(f.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(f.body)
	}
}
