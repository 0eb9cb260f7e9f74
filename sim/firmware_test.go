package sim

import (
	"context"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
)

// TestDemoFleetPullsFirmware: devices of the demo configuration (default
// shared sockets) pull a firmware package from the server's CoAP file
// service while they stay registered, install it and re-register running
// the version the image names. With one shared socket a device's download
// could not attach beside its registration and every pull ended with
// result 4 (connection lost).
func TestDemoFleetPullsFirmware(t *testing.T) {
	const n = 2
	img := append([]byte("version=3.1.0\n"), make([]byte, 200)...)
	ctx, cancel := context.WithCancel(context.Background())
	tl := &tally{ctx: ctx, endpoints: map[string]bool{}, last: map[lwm2m.Path]lwm2m.Value{}}
	files := coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
		if req.Code != coap.GET {
			return coap.NewResponse(lwm2m.CodeMethodNotAllowed, nil)
		}
		return coap.NewResponse(lwm2m.CodeContent, img)
	})
	srv, err := server.New(server.Config{CoAPAddr: "127.0.0.1:0", AllowUnknownNoSec: true, Listener: tl,
		Models: objects.New(), Codecs: std.New(), Files: files})
	if err != nil {
		t.Fatal(err)
	}
	tl.srv = func() *server.Server { return srv }
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	<-srv.Ready()
	defer func() {
		cancel()
		tl.bg.Wait()
		if err := <-done; err != nil {
			t.Errorf("server Serve: %v", err)
		}
	}()

	cfg := DemoConfig(n, "coap://"+srv.UDPAddr().String())
	cfg.FirstAddr = 3000 // clear of other tests' loopback addresses
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- f.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	eventually(t, "every device registered", func() bool { return tl.read().distinct == n })

	uri := "coap://" + srv.UDPAddr().String() + "/fw/image"
	read := func(ep, p string) string {
		resp, err := srv.Send(ctx, ep, lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath(p)))
		if err != nil || resp.Content == nil {
			return ""
		}
		return resp.Content.Value.String()
	}
	for _, d := range f.Devices() {
		w := lwm2m.NewRequest(lwm2m.OpWrite, lwm2m.MustPath("/5/0/1"))
		w.Format = lwm2m.FormatText
		node := lwm2m.NewResource(1, lwm2m.StringValue(uri))
		w.Content = &node
		if resp, err := srv.Send(ctx, d.Endpoint, w); err != nil || resp.Code != lwm2m.CodeChanged {
			t.Fatalf("%s: write Package URI: %v %v", d.Endpoint, resp.Code, err)
		}
	}
	for _, d := range f.Devices() {
		eventually(t, d.Endpoint+" downloaded or failed", func() bool {
			st := read(d.Endpoint, "/5/0/3")
			return st == "2" || st == "0" && read(d.Endpoint, "/5/0/5") != "0"
		})
		if st, res := read(d.Endpoint, "/5/0/3"), read(d.Endpoint, "/5/0/5"); st != "2" {
			t.Fatalf("%s: firmware state %s result %s after the pull, want state 2 (downloaded)", d.Endpoint, st, res)
		}
		if v := read(d.Endpoint, "/5/0/7"); v != "3.1.0" {
			t.Fatalf("%s: package version %q, want 3.1.0", d.Endpoint, v)
		}
	}
	before := tl.read().registered
	for _, d := range f.Devices() {
		if resp, err := srv.Send(ctx, d.Endpoint, lwm2m.NewRequest(lwm2m.OpExecute, lwm2m.MustPath("/5/0/2"))); err != nil || resp.Code != lwm2m.CodeChanged {
			t.Fatalf("%s: execute Update: %v %v", d.Endpoint, resp.Code, err)
		}
	}
	eventually(t, "every device re-registered after its update", func() bool { return tl.read().registered >= before+n })
	for _, d := range f.Devices() {
		eventually(t, d.Endpoint+" runs 3.1.0", func() bool { return read(d.Endpoint, "/3/0/3") == "3.1.0" })
		if res := read(d.Endpoint, "/5/0/5"); res != "1" {
			t.Fatalf("%s: update result %s, want 1 (success)", d.Endpoint, res)
		}
	}
}
