package api

import (
	"fmt"
	"net/http"
)

// servePackage answers a device's HTTP(S) pull of a firmware package: the
// one-time token of its Package URI is the only credential. GET and HEAD,
// with ranges, so a device may resume a broken download while its token
// lives. Progress is reported to dm as bytes are served.
func (s *Server) servePackage(w http.ResponseWriter, r *http.Request) error {
	pkg, err := s.svc.OpenPackage(r.Context(), refVar(r, "token"), "")
	if err != nil {
		return err
	}
	cw := &servedWriter{ResponseWriter: w}
	serveBlob(cw, r, pkg.Image, pkg.Blob)
	if r.Method == http.MethodGet && cw.status < 300 {
		pkg.Served(cw.end(r))
	}
	return nil
}

// servedWriter records what a package answer sent.
type servedWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *servedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *servedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *servedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// end is the offset just past the last byte sent: the body's length, plus
// the start of a single range.
func (w *servedWriter) end(r *http.Request) int64 {
	if w.status != http.StatusPartialContent {
		return w.n
	}
	var start, last, size int64
	if _, err := fmt.Sscanf(w.Header().Get("Content-Range"), "bytes %d-%d/%d", &start, &last, &size); err == nil {
		return last + 1
	}
	return w.n
}
