package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

// TestSharedSocketsDistinctAddresses runs several clients over two shared
// sockets; the server must see each from its own 127.0.0.x address and be
// able to reach each one back.
func TestSharedSocketsDistinctAddresses(t *testing.T) {
	srv := newScriptedServer(t, nil)
	socks, err := NewSharedSockets(2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { socks.Close() })
	const n = 6
	models, codecs := objects.New(), std.New()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i := range n {
		c, err := New(Config{
			Endpoint:    fmt.Sprintf("fleet-%d", i),
			ServerURI:   srv.uri("coap"),
			LocalAddr:   fmt.Sprintf("127.0.0.%d", 10+i),
			Models:      models,
			Codecs:      codecs,
			SimInterval: -1,
			Dialer:      &CoAPDialer{Sockets: socks},
		})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { _ = c.Run(ctx) })
	}
	seen := map[string]*coap.Peer{}
	for len(seen) < n {
		u := srv.expect(t, coap.POST, "rd")
		ep, _ := queryParam(u.req.Query(), "ep")
		host := u.peer.RemoteAddr()
		want := fmt.Sprintf("127.0.0.%d:", 10+int(ep[len(ep)-1]-'0'))
		if !contains(host, want) {
			t.Fatalf("%s registered from %s, want %s*", ep, host, want)
		}
		seen[ep] = u.peer
	}
	for ep, p := range seen {
		m := req(coap.GET, "/3/0/2", lwm2m.FormatNone, nil)
		m.SetAccept(lwm2m.FormatText)
		resp := do(t, p, m)
		if string(resp.Payload) != ep {
			t.Fatalf("%s answered serial %q", ep, resp.Payload)
		}
	}
	one, err := NewSharedSockets(1)
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	v, err := one.Attach("127.0.0.99")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := one.Attach("127.0.0.99"); !errors.Is(err, ErrAddressInUse) {
		t.Fatalf("second attach of one address: %v", err)
	}
	v.Close()
	if _, err := one.Attach("127.0.0.99"); err != nil {
		t.Fatalf("attach after close: %v", err)
	}
	if _, err := socks.Attach("10.0.0.1"); err == nil {
		t.Fatal("a non-loopback address was accepted")
	}
}

// BenchmarkIdleClientMemory measures the heap a registered, idle client
// costs (objects, values, schedule, connection) over shared sockets.
func BenchmarkIdleClientMemory(b *testing.B) {
	srv := newScriptedServerB(b)
	socks, err := NewSharedSockets(4)
	if err != nil {
		b.Fatal(err)
	}
	defer socks.Close()
	models, codecs := objects.New(), std.New()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	var regs sync.WaitGroup
	for i := range b.N {
		regs.Add(1)
		var once sync.Once
		c, err := New(Config{
			Endpoint:    fmt.Sprintf("mem-%d", i),
			ServerURI:   srv,
			LocalAddr:   fmt.Sprintf("127.1.%d.%d", i/250, 1+i%250),
			Models:      models,
			Codecs:      codecs,
			SimInterval: -1,
			Dialer:      &CoAPDialer{Sockets: socks},
			Events:      Events{Registered: func(string, string) { once.Do(regs.Done) }},
		})
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() { _ = c.Run(ctx) })
	}
	regs.Wait()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heap-B/client")
	if f := os.Getenv("CLIENT_HEAP_PROFILE"); f != "" {
		out, err := os.Create(f)
		if err == nil {
			_ = pprof.WriteHeapProfile(out)
			out.Close()
		}
	}
	b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(b.N), "goroutines/client")
}

// newScriptedServerB is a registration-only server for benchmarks.
func newScriptedServerB(b *testing.B) string {
	ep, err := coap.ListenUDP("udp", "127.0.0.1:0", coap.Config{Handler: coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
		resp := coap.NewResponse(lwm2m.CodeCreated, nil)
		resp.SetLocationPath("rd", "x")
		return resp
	})})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ep.Serve(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	return "coap://" + ep.Addr().String()
}

func TestLoopbackAddr(t *testing.T) {
	for i, want := range map[int]string{0: "127.0.1.1", 253: "127.0.1.254", 254: "127.0.2.1", 99999: "127.1.138.178"} {
		if got := LoopbackAddr(i); got != want {
			t.Errorf("LoopbackAddr(%d) = %s, want %s", i, got, want)
		}
	}
}
