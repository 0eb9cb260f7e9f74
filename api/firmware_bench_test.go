package api_test

import (
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkFirmwareUpload streams a 64 MiB image through the API into the
// image directory (SHA-256 on the way) per iteration; the figure is the
// upload throughput over loopback.
func BenchmarkFirmwareUpload(b *testing.B) {
	e, _ := newFwEnv(b, nil)
	const size = 64 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		r := e.upload(e.token, url.Values{"version": {"bench"}}, &patternReader{n: size}, size)
		if r.status != http.StatusCreated {
			b.Fatalf("upload: %d %s", r.status, r.body)
		}
	}
}
