package server_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/internal/dtlsload"
	"github.com/shoal-iot/shoal/internal/loadgen"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// The server's DTLS request benchmark: 2,000 lean DTLS clients
// (internal/dtlsload) against the whole server (dtlsBenchServer, anyPSK).

// leanConnect handshakes every fleet device with the server (64 at a time)
// and gives it the session's record layer.
func leanConnect(b *testing.B, s *server.Server, f *loadgen.Fleet, suite uint16) {
	shared, err := coap.ListenShared("0.0.0.0:0")
	if err != nil {
		b.Fatal(err)
	}
	defer shared.Close()
	srv := s.DTLSAddr().(*net.UDPAddr)
	inParallel(len(f.Devices), func(i int) bool {
		id := fmt.Sprintf("bench-%d", i)
		pc, err := shared.PacketConn(netip.AddrFrom4([4]byte{127, 3 + byte(i>>16), byte(i >> 8), byte(i)}))
		if err != nil {
			b.Error(err)
			return false
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		sess, err := dtlsload.Handshake(ctx, pc, srv, []byte(id), benchKey(id), suite)
		cancel()
		if err != nil {
			b.Errorf("device %d: %v", i, err)
			return false
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
		return true
	})
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
			s := dtlsBenchServer(b, true)
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
			runUpdates(b, f, "requests/s")
		})
	}
}
