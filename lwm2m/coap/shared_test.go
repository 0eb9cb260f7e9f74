package coap_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// addrBook is a server handler mapping each peer's address to the name it
// registered with.
type addrBook struct {
	mu    sync.Mutex
	peers map[string]*coap.Peer
}

func (b *addrBook) ServeCoAP(_ context.Context, p *coap.Peer, req *coap.Message) *coap.Message {
	b.mu.Lock()
	b.peers[strings.TrimPrefix(req.Query()[0], "ep=")] = p
	b.mu.Unlock()
	return coap.NewResponse(lwm2m.CodeCreated, nil)
}

func TestSharedSocketFleet(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("dtls=%v", secure), func(t *testing.T) {
			book := &addrBook{peers: map[string]*coap.Peer{}}
			var ep *coap.Endpoint
			if secure {
				ep = serveDTLS(t, coap.Config{Handler: book}, coap.DTLSConfig{PSK: pskLookup})
			} else {
				ep = serveUDP(t, coap.Config{Handler: book})
			}
			shared, err := coap.ListenShared("0.0.0.0:0")
			if err != nil {
				t.Fatal(err)
			}
			defer shared.Close()
			const n = 20
			var wg sync.WaitGroup
			for i := range n {
				local := netip.AddrFrom4([4]byte{127, 0, 3, byte(10 + i)})
				pc, err := shared.PacketConn(local)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("dev%d", i)
				cfg := coap.DialConfig{PacketConn: pc, Config: coap.Config{Handler: coap.HandlerFunc(
					func(context.Context, *coap.Peer, *coap.Message) *coap.Message {
						return coap.NewResponse(lwm2m.CodeContent, []byte(name))
					})}}
				if secure {
					cfg.DTLS = &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"]}
				}
				c := dial(t, ep.Addr().String(), cfg)
				wg.Go(func() {
					req := coap.NewRequest(coap.POST, "rd")
					req.AddQuery("ep=" + name)
					if _, err := c.Do(testCtx(t), req); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			book.mu.Lock()
			defer book.mu.Unlock()
			if len(book.peers) != n {
				t.Fatalf("server saw %d devices, want %d", len(book.peers), n)
			}
			for name, p := range book.peers {
				if !strings.HasPrefix(p.RemoteAddr(), "127.0.3.") {
					t.Fatalf("%s came from %s", name, p.RemoteAddr())
				}
				resp, err := p.Do(testCtx(t), coap.NewRequest(coap.GET, "3", "0", "0"))
				if err != nil || string(resp.Payload) != name {
					t.Fatalf("request to %s reached %q (%v)", name, resp.Payload, err)
				}
			}
		})
	}
}

// TestExternalReader: with ExternalReader the owner of the socket reads it
// and hands datagrams to Conn.Deliver; no goroutine of the connection's.
func TestExternalReader(t *testing.T) {
	ep := serveUDP(t, coap.Config{Handler: &peerCatcher{reply: echoPath}})
	sock, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ep.Addr().String(), coap.DialConfig{PacketConn: sock, ExternalReader: true})
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := sock.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			c.Deliver(append([]byte(nil), buf[:n]...), from)
		}
	}()
	for range 3 {
		if r, err := c.Do(testCtx(t), coap.NewRequest(coap.GET, "ext")); err != nil || string(r.Payload) != "/ext||" {
			t.Fatalf("%v %v", r, err)
		}
	}
}

// BenchmarkClientConnHeap: heap per plain-UDP client connection on a
// shared socket (a simulated device's transport), after one request.
func BenchmarkClientConnHeap(b *testing.B) {
	ep, err := coap.ListenUDP("udp", "127.0.0.1:0", coap.Config{Handler: &peerCatcher{reply: echoPath}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = ep.Serve(ctx) }()
	shared, err := coap.ListenShared("0.0.0.0:0")
	if err != nil {
		b.Fatal(err)
	}
	defer shared.Close()
	const n = 5000
	conns := make([]*coap.Conn, 0, n)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before, g0 := ms.HeapAlloc, runtime.NumGoroutine()
	for i := range n {
		pc, _ := shared.PacketConn(netip.AddrFrom4([4]byte{127, 4, byte(i >> 8), byte(i)}))
		c, err := coap.Dial(context.Background(), ep.Addr().String(), coap.DialConfig{PacketConn: pc})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Do(context.Background(), coap.NewRequest(coap.GET, "x")); err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc-before)/n, "B/conn")
	b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/conn")
	for _, c := range conns {
		_ = c.Close()
	}
}
