package server_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/netip"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/internal/dtlsload"
	"github.com/shoal-iot/shoal/internal/loadgen"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// The server's DTLS request benchmark: 2,000 lean DTLS clients
// (internal/dtlsload) against the whole server.

type leanPSK struct{}

func leanKey(id string) []byte {
	k := sha256.Sum256([]byte("shoal-bench/" + id))
	return k[:16]
}

func (leanPSK) PSK(_ context.Context, id string) (server.PSKCredential, error) {
	if !strings.HasPrefix(id, "bench-") {
		return server.PSKCredential{}, server.ErrUnknownCredential
	}
	return server.PSKCredential{Key: leanKey(id), Endpoint: id}, nil
}
func (leanPSK) PinnedCertificate(context.Context, string) (string, error) {
	return "", server.ErrUnknownCredential
}
func (leanPSK) SecurityMode(context.Context, string) (server.SecurityMode, error) {
	return server.ModePSK, nil
}

func startLeanServer(b *testing.B) *server.Server {
	s, err := server.New(server.Config{CoAPSAddr: "127.0.0.1:0", Credentials: leanPSK{},
		Registrations: discardStore{}, Observations: discardStore{}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go pprof.Do(ctx, pprof.Labels("side", "server"), func(ctx context.Context) { done <- s.Serve(ctx) })
	<-s.Ready()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	return s
}

// connect handshakes every fleet device with the server (64 at a time)
// and gives it the session's record layer.
func leanConnect(b *testing.B, s *server.Server, f *loadgen.Fleet, suite uint16) {
	shared, err := coap.ListenShared("0.0.0.0:0")
	if err != nil {
		b.Fatal(err)
	}
	defer shared.Close()
	srv := s.DTLSAddr().(*net.UDPAddr)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(f.Devices) {
					return
				}
				id := fmt.Sprintf("bench-%d", i)
				pc, err := shared.PacketConn(netip.AddrFrom4([4]byte{127, 3 + byte(i>>16), byte(i >> 8), byte(i)}))
				if err != nil {
					b.Error(err)
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				sess, err := dtlsload.Handshake(ctx, pc, srv, []byte(id), leanKey(id), suite)
				cancel()
				if err != nil {
					b.Errorf("device %d: %v", i, err)
					return
				}
				d := &f.Devices[i]
				d.Seal = func(p []byte) []byte {
					r, err := sess.Seal(p)
					if err != nil {
						panic(err)
					}
					return r
				}
				d.Open = func(r []byte) ([]byte, bool) {
					p, err := sess.Open(r)
					return p, err == nil
				}
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
}

// BenchmarkServerDTLSRequests: 2,000 devices hold DTLS-PSK sessions with
// connection IDs and send Registration Updates back to back through the
// lean record layer; one op is one Update answered by the full server.
func BenchmarkServerDTLSRequests(b *testing.B) {
	for _, suite := range []uint16{dtlsload.PSKWithAES128CCM8, dtlsload.PSKWithAES128GCMSHA256} {
		b.Run(fmt.Sprintf("%#04x", suite), func(b *testing.B) {
			s := startLeanServer(b)
			f, err := loadgen.New(s.DTLSAddr().String(), 2000, 4)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			leanConnect(b, s, f, suite)
			reg := &loadgen.Register{Prefix: "bench-", Links: `</1/0>,</3/0>`, Query: []string{"lwm2m=1.1"}}
			if n := f.Run(context.Background(), reg, func(c int64) bool { return c >= 2000 }); n != 2000 || reg.Failed.Load() != 0 {
				b.Fatalf("registered %d, %d failed", n, reg.Failed.Load())
			}
			up := &loadgen.Update{}
			n := int64(b.N)
			b.ResetTimer()
			start := time.Now()
			got := f.Run(context.Background(), up, func(c int64) bool { return c >= n })
			el := time.Since(start)
			b.StopTimer()
			if up.Failed.Load() != 0 {
				b.Fatalf("%d updates failed", up.Failed.Load())
			}
			b.ReportMetric(float64(got)/el.Seconds(), "requests/s")
			b.ReportMetric(float64(f.Retransmits.Load()), "retransmits")
		})
	}
}
