package server_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// TestFiles: GETs under the files path reach the Files handler with the
// peer and the whole request, on the LwM2M listener, from a device that
// never registered; other methods there are 4.05, and without a handler
// the path is 4.04 like any unknown one.
func TestFiles(t *testing.T) {
	var mu sync.Mutex
	var got []string
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
	files := coap.HandlerFunc(func(_ context.Context, p *coap.Peer, req *coap.Message) *coap.Message {
		mu.Lock()
		got = append(got, req.PathString()+"?"+strings.Join(req.Query(), "&"))
		mu.Unlock()
		r := coap.NewResponse(lwm2m.CodeContent, []byte("image bytes"))
		r.SetContentFormat(lwm2m.FormatOpaque)
		return r
	})
	cfg := testConfig(newRecorder())
	cfg.Files = files
	s := startServer(t, cfg)
	lc := device(t, s)

	req := lc.Request(coap.GET, "fw", "tok123")
	req.AddQuery("sha256=ab")
	resp := roundTrip(t, lc, req)
	if resp.Code != lwm2m.CodeContent || string(resp.Payload) != "image bytes" || resp.ContentFormat() != lwm2m.FormatOpaque {
		t.Fatalf("GET /fw/tok123: %v %q", resp, resp.Payload)
	}
	if g := seen(); len(g) != 1 || g[0] != "/fw/tok123?sha256=ab" {
		t.Fatalf("the handler saw %q", g)
	}
	if resp := roundTrip(t, lc, lc.Request(coap.PUT, "fw", "tok123")); resp.Code != lwm2m.CodeMethodNotAllowed {
		t.Fatalf("PUT /fw/tok123: %v, want 4.05", resp)
	}
	if resp := roundTrip(t, lc, lc.Request(coap.GET, "fwx")); resp.Code != lwm2m.CodeNotFound {
		t.Fatalf("GET /fwx: %v, want 4.04", resp)
	}
	if g := seen(); len(g) != 1 {
		t.Fatalf("the handler saw %q", g)
	}

	plain := startServer(t, testConfig(newRecorder()))
	lc2 := device(t, plain)
	if resp := roundTrip(t, lc2, lc2.Request(coap.GET, "fw", "tok123")); resp.Code != lwm2m.CodeNotFound {
		t.Fatalf("GET /fw without a Files handler: %v, want 4.04", resp)
	}

	bad := testConfig(newRecorder())
	bad.Files, bad.FilesPath = files, "rd"
	if _, err := server.New(bad); err == nil || !strings.Contains(err.Error(), "FilesPath") {
		t.Fatalf("FilesPath rd: %v", err)
	}
}
