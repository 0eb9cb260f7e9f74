// Package loadgen simulates fleets of LwM2M devices for the server's
// benchmarks, and holds the socket plumbing (Range, Socket, Batch) the
// bench harness's own generator shares. Devices are raw, prebuilt datagrams: each device
// has its own loopback source address (127.1.x.y) and all of them share a
// few wildcard sockets (the source address is chosen per packet with
// IP_PKTINFO, replies are told apart by destination address), so a fleet of
// 100,000 devices costs a handful of file descriptors. Sockets are driven
// with recvmmsg/sendmmsg in closed loops: every device keeps one request
// outstanding and sends the next when the answer arrives; lost datagrams
// are retransmitted with the same message id after RetransmitAfter.
package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Device is one simulated device.
type Device struct {
	Index int
	Addr  netip.Addr
	// RegID is the registration id the server assigned.
	RegID string
	// ObsToken is the token of the server's observation, once observed.
	ObsToken []byte
	ObsSeq   uint32

	// Seal and Open, when set, wrap every datagram (a DTLS record layer);
	// Open reports false for a datagram to drop.
	Seal func(coap []byte) []byte
	Open func(datagram []byte) ([]byte, bool)

	sock    *sock
	oob     []byte
	mid     uint16
	tok     uint32
	pending []byte // the request in flight (retransmitted as is)
	sentAt  time.Time
	tmpl    []byte // prebuilt request with mid/token to patch
}

// NextMID advances and returns the device's message id.
func (d *Device) NextMID() uint16 { d.mid++; return d.mid }

// NextToken advances and returns a 4-byte token.
func (d *Device) NextToken() []byte {
	d.tok++
	return []byte{byte(d.tok >> 24), byte(d.tok >> 16), byte(d.tok >> 8), byte(d.tok)}
}

// Fleet is a set of devices talking to one server.
type Fleet struct {
	Devices []Device
	server  *net.UDPAddr
	socks   []*sock
	// RetransmitAfter resends a request that got no answer (default 2 s).
	RetransmitAfter time.Duration
	Retransmits     atomic.Int64
	// Window bounds the devices per socket that have started when a phase
	// sends one request per device (Register): the next device starts when
	// one finishes. Zero starts them all at once.
	Window int
}

type sock struct {
	*Socket
	devs []*Device
}

// fleetRange holds the device addresses, 127.1.0.1 onwards.
var fleetRange = NewRange(1)

// New makes n devices over nsocks shared sockets targeting server
// ("127.0.0.1:port").
func New(server string, n, nsocks int) (*Fleet, error) {
	ua, err := net.ResolveUDPAddr("udp4", server)
	if err != nil {
		return nil, err
	}
	f := &Fleet{Devices: make([]Device, n), server: ua, RetransmitAfter: 2 * time.Second}
	for range nsocks {
		s, err := Listen(16 << 20)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.socks = append(f.socks, &sock{Socket: s})
	}
	for i := range f.Devices {
		d := &f.Devices[i]
		d.Index, d.Addr = i, fleetRange.Addr(i)
		d.mid = uint16(i * 7)
		d.oob = SourceOOB(d.Addr)
		d.sock = f.socks[i%nsocks]
		d.sock.devs = append(d.sock.devs, d)
	}
	return f, nil
}

// Close closes the sockets.
func (f *Fleet) Close() {
	for _, s := range f.socks {
		_ = s.Close()
	}
}

// Phase tells the loop what to send and how to read answers.
type Phase interface {
	// First returns a device's first request (nil: the device waits for the
	// server to speak first).
	First(d *Device) []byte
	// Handle reads one datagram addressed to d. It returns what to send
	// back (an answer, or the device's next request; nil for nothing),
	// whether the datagram completed one measured operation, and whether the
	// returned bytes are a new request to track for retransmission.
	Handle(d *Device, msg []byte) (out []byte, completed, request bool)
}

// Run drives every socket with p until ctx ends or stop returns true after
// a completed operation. It returns the number of completed operations.
func (f *Fleet) Run(ctx context.Context, p Phase, stop func(completed int64) bool) int64 {
	var done atomic.Int64
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range f.socks {
		wg.Go(func() { f.loop(ctx, cancel, s, p, &done, stop) })
	}
	wg.Wait()
	return done.Load()
}

func (f *Fleet) loop(ctx context.Context, cancel func(), s *sock, p Phase, done *atomic.Int64, stop func(int64) bool) {
	bt := s.NewBatch(f.server)
	send := func(d *Device, b []byte, track bool) {
		if track {
			d.pending, d.sentAt = b, time.Now()
		}
		if d.Seal != nil {
			b = d.Seal(b)
		}
		bt.Send(b, d.oob)
	}
	started := 0
	startNext := func() {
		for started < len(s.devs) {
			d := s.devs[started]
			started++
			if b := p.First(d); b != nil {
				send(d, b, true)
				return
			}
		}
	}
	window := f.Window
	if window <= 0 {
		window = len(s.devs)
	}
	for range window {
		startNext()
	}
	bt.Flush()
	lastSweep := time.Now()
	for ctx.Err() == nil {
		n, err := bt.Read(100 * time.Millisecond)
		if err != nil {
			return
		}
		for i := range n {
			idx, msg, ok := bt.Received(i, fleetRange, len(f.Devices))
			if !ok {
				continue
			}
			d := &f.Devices[idx]
			if d.Open != nil {
				if msg, ok = d.Open(msg); !ok {
					continue
				}
			}
			b, completed, request := p.Handle(d, msg)
			if completed {
				if stop(done.Add(1)) {
					cancel()
				}
				if !request {
					d.pending = nil
					if b == nil {
						startNext()
					}
				}
			}
			if b != nil {
				send(d, b, request)
			}
		}
		if now := time.Now(); now.Sub(lastSweep) > f.RetransmitAfter/4 {
			lastSweep = now
			for _, d := range s.devs {
				if d.pending != nil && now.Sub(d.sentAt) > f.RetransmitAfter {
					f.Retransmits.Add(1)
					send(d, d.pending, true)
				}
			}
		}
		bt.Flush()
	}
}

// Rate formats a throughput.
func Rate(n int64, d time.Duration) string {
	return fmt.Sprintf("%d in %v = %.0f/s", n, d.Round(time.Millisecond), float64(n)/d.Seconds())
}
