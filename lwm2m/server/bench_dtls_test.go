package server_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// anyPSK provisions every identity "bench-N" with a key derived from it,
// bound to endpoint "bench-N": a credential store with no lookups to wait
// on, for load tests.
type anyPSK struct{}

func benchKey(id string) []byte {
	k := sha256.Sum256([]byte("shoal-bench/" + id))
	return k[:16]
}

func (anyPSK) PSK(_ context.Context, id string) (server.PSKCredential, error) {
	if !strings.HasPrefix(id, "bench-") {
		return server.PSKCredential{}, server.ErrUnknownCredential
	}
	return server.PSKCredential{Key: benchKey(id), Endpoint: id}, nil
}
func (anyPSK) PinnedCertificate(context.Context, string) (string, error) {
	return "", server.ErrUnknownCredential
}
func (anyPSK) SecurityMode(context.Context, string) (server.SecurityMode, error) {
	return server.ModePSK, nil
}

func dtlsBenchServer(tb testing.TB, discard bool) *server.Server {
	cfg := server.Config{CoAPSAddr: "127.0.0.1:0", Credentials: anyPSK{}, Listener: server.NopListener{}}
	if discard {
		cfg.Registrations, cfg.Observations = discardStore{}, discardStore{}
	}
	s, err := server.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go pprof.Do(ctx, pprof.Labels("side", "server"), func(ctx context.Context) { done <- s.Serve(ctx) })
	<-s.Ready()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	})
	return s
}

// dtlsClient dials as device i over a shared socket (one loopback address
// per device), with connection ID.
func dtlsClient(ctx context.Context, addr string, shared *coap.SharedSocket, i int, suite coap.CipherSuite) (*coap.Conn, error) {
	id := fmt.Sprintf("bench-%d", i)
	pc, err := shared.PacketConn(netip.AddrFrom4([4]byte{127, 2 + byte(i>>16), byte(i >> 8), byte(i)}))
	if err != nil {
		return nil, err
	}
	return coap.Dial(ctx, addr, coap.DialConfig{PacketConn: pc, DTLS: &coap.DTLSClientConfig{
		PSKIdentity: []byte(id), PSK: benchKey(id), CipherSuites: []coap.CipherSuite{suite}, HandshakeTimeout: 30 * time.Second}})
}

// BenchmarkDTLSHandshakes: one op is one complete DTLS-PSK handshake
// (HelloVerifyRequest cookie exchange included) by a fresh client, 64 at a
// time; client and server share the CPUs.
func BenchmarkDTLSHandshakes(b *testing.B) {
	for _, suite := range []coap.CipherSuite{coap.PSKWithAES128CCM8, coap.PSKWithAES128GCMSHA256} {
		b.Run(fmt.Sprintf("%#04x", uint16(suite)), func(b *testing.B) {
			s := dtlsBenchServer(b, true)
			shared, err := coap.ListenShared("0.0.0.0:0")
			if err != nil {
				b.Fatal(err)
			}
			defer shared.Close()
			var failed atomic.Int64
			b.ResetTimer()
			start := time.Now()
			inParallel(b.N, func(i int) bool {
				c, err := dtlsClient(context.Background(), s.DTLSAddr().String(), shared, i+1, suite)
				if err != nil {
					failed.Add(1)
					return true
				}
				_ = c.Close()
				return true
			})
			el := time.Since(start)
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d handshakes failed", failed.Load())
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "handshakes/s")
		})
	}
}

// BenchmarkDTLSRequests: 2,000 clients with connection IDs register over
// DTLS-PSK, then each sends Registration Updates back to back; one op is
// one Update answered.
func BenchmarkDTLSRequests(b *testing.B) {
	for _, suite := range []coap.CipherSuite{coap.PSKWithAES128CCM8, coap.PSKWithAES128GCMSHA256} {
		b.Run(fmt.Sprintf("%#04x", uint16(suite)), func(b *testing.B) {
			const clients = 2000
			s := dtlsBenchServer(b, true)
			conns, ids := connectDTLS(b, s, clients, suite)
			n := int64(b.N)
			var done atomic.Int64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for i, c := range conns {
				wg.Go(func() {
					up := coap.NewRequest(coap.POST, "rd", ids[i])
					for done.Add(1) <= n {
						r, err := c.Do(context.Background(), up)
						if err != nil || r.Code != lwm2m.CodeChanged {
							b.Errorf("update: %v %v", r, err)
							return
						}
					}
				})
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "requests/s")
		})
	}
}

// inParallel calls fn for 0 ≤ i < n from 64 goroutines, each taking the
// next index until none is left or its fn returns false.
func inParallel(n int, fn func(i int) bool) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || !fn(i) {
					return
				}
			}
		})
	}
	wg.Wait()
}

// connectDTLS dials and registers n clients, 64 at a time.
func connectDTLS(tb testing.TB, s *server.Server, n int, suite coap.CipherSuite) ([]*coap.Conn, []string) {
	shared, err := coap.ListenShared("0.0.0.0:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = shared.Close() })
	conns, ids := make([]*coap.Conn, n), make([]string, n)
	inParallel(n, func(i int) bool {
		c, err := dtlsClient(context.Background(), s.DTLSAddr().String(), shared, i, suite)
		if err != nil {
			tb.Errorf("client %d: %v", i, err)
			return false
		}
		tb.Cleanup(func() { _ = c.Close() })
		r, err := c.Do(context.Background(), registerReq(benchLinks, fmt.Sprintf("ep=bench-%d", i), "lwm2m=1.1"))
		if err != nil || r.Code != lwm2m.CodeCreated {
			tb.Errorf("register %d: %v %v", i, r, err)
			return false
		}
		conns[i], ids[i] = c, r.LocationPath()[1]
		return true
	})
	if tb.Failed() {
		tb.FailNow()
	}
	return conns, ids
}
