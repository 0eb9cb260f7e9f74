package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/web"
)

func get(t *testing.T, h http.Handler, method, path string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// TestHandler: the shell at /, modules with a JavaScript type, strict
// headers, revalidation by ETag, 404 for what is not embedded and 405 for
// anything but GET and HEAD.
func TestHandler(t *testing.T) {
	h := web.Handler()
	r := get(t, h, http.MethodGet, "/")
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.Contains(string(body), `<script type="module" src="/js/main.js">`) {
		t.Fatalf("GET /: %d %s %.80q", r.StatusCode, r.Header.Get("Content-Type"), body)
	}
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if r.Header.Get("Referrer-Policy") != "no-referrer" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", r.Header)
	}
	etag := r.Header.Get("ETag")
	if r := get(t, h, http.MethodGet, "/", "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with %s: %d, want 304", etag, r.StatusCode)
	}
	for path, ct := range map[string]string{
		"/js/main.js":         "text/javascript; charset=utf-8",
		"/css/console.css":    "text/css; charset=utf-8",
		"/img/shoal.svg":      "image/svg+xml",
		"/index.html":         "text/html; charset=utf-8",
		"/js/chart.js":        "text/javascript; charset=utf-8",
		"/js/tree.js":         "text/javascript; charset=utf-8",
		"/js/../js/device.js": "", // not cleaned: not a file
	} {
		r := get(t, h, http.MethodGet, path)
		if ct == "" {
			if r.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, r.StatusCode)
			}
			continue
		}
		if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != ct {
			t.Errorf("GET %s: %d %q, want 200 %q", path, r.StatusCode, r.Header.Get("Content-Type"), ct)
		}
	}
	if r := get(t, h, http.MethodHead, "/js/main.js"); r.StatusCode != http.StatusOK || r.ContentLength <= 0 {
		t.Errorf("HEAD: %d, length %d", r.StatusCode, r.ContentLength)
	}
	for _, p := range []string{"/nope.js", "/js/", "/static/index.html"} {
		if r := get(t, h, http.MethodGet, p); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.StatusCode)
		}
	}
	if r := get(t, h, http.MethodPost, "/"); r.StatusCode != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d Allow %q", r.StatusCode, r.Header.Get("Allow"))
	}
}

// TestNoThirdPartyCode: every file is the console's own — no source maps,
// no vendored libraries, no remote URLs the CSP would block anyway.
func TestNoThirdPartyCode(t *testing.T) {
	err := fs.WalkDir(web.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.FS(), p)
		if err != nil {
			return err
		}
		s := string(b)
		for _, bad := range []string{"node_modules", "sourceMappingURL", "https://", "http://cdn", "innerHTML"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q", p, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
