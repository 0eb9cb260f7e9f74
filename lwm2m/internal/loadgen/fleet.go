// Package loadgen simulates fleets of LwM2M devices for the server's
// benchmarks. Devices are raw, prebuilt datagrams: each device
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
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
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
	conn *net.UDPConn
	pc   *ipv4.PacketConn
	devs []*Device
}

// base is the first device address, 127.1.0.1.
var base = netip.AddrFrom4([4]byte{127, 1, 0, 0})

func addrOf(i int) netip.Addr {
	v := uint32(127)<<24 | uint32(1)<<16 + uint32(i) + 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func indexOf(a netip.Addr) int {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	bb := base.As4()
	return int(v-(uint32(bb[0])<<24|uint32(bb[1])<<16)) - 1
}

// New makes n devices over nsocks shared sockets targeting server
// ("127.0.0.1:port").
func New(server string, n, nsocks int) (*Fleet, error) {
	ua, err := net.ResolveUDPAddr("udp4", server)
	if err != nil {
		return nil, err
	}
	f := &Fleet{Devices: make([]Device, n), server: ua, RetransmitAfter: 2 * time.Second}
	for range nsocks {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
		if err != nil {
			f.Close()
			return nil, err
		}
		_ = conn.SetReadBuffer(16 << 20)
		_ = conn.SetWriteBuffer(16 << 20)
		pc := ipv4.NewPacketConn(conn)
		if err := pc.SetControlMessage(ipv4.FlagDst, true); err != nil {
			f.Close()
			return nil, err
		}
		f.socks = append(f.socks, &sock{conn: conn, pc: pc})
	}
	for i := range f.Devices {
		d := &f.Devices[i]
		d.Index, d.Addr = i, addrOf(i)
		d.mid = uint16(i * 7)
		d.oob = (&ipv4.ControlMessage{Src: d.Addr.AsSlice()}).Marshal()
		d.sock = f.socks[i%nsocks]
		d.sock.devs = append(d.sock.devs, d)
	}
	return f, nil
}

// Close closes the sockets.
func (f *Fleet) Close() {
	for _, s := range f.socks {
		_ = s.conn.Close()
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

const batch = 64

func (f *Fleet) loop(ctx context.Context, cancel func(), s *sock, p Phase, done *atomic.Int64, stop func(int64) bool) {
	in := make([]ipv4.Message, batch)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 2048)}
		in[i].OOB = ipv4.NewControlMessage(ipv4.FlagDst)
	}
	out := make([]ipv4.Message, 0, batch)
	flush := func() {
		for rest := out; len(rest) > 0; {
			n, err := s.pc.WriteBatch(rest, 0)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					break
				}
				n = max(n, 1) // drop one and carry on: UDP may lose it anyway
			}
			rest = rest[n:]
		}
		out = out[:0]
	}
	send := func(d *Device, b []byte, track bool) {
		if track {
			d.pending, d.sentAt = b, time.Now()
		}
		if d.Seal != nil {
			b = d.Seal(b)
		}
		out = append(out, ipv4.Message{Buffers: [][]byte{b}, OOB: d.oob, Addr: f.server})
		if len(out) == batch {
			flush()
		}
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
	flush()
	lastSweep := time.Now()
	for ctx.Err() == nil {
		_ = s.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := s.pc.ReadBatch(in, 0)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
				n = 0
			} else {
				return
			}
		}
		for i := range n {
			m := &in[i]
			var cm ipv4.ControlMessage
			if cm.Parse(m.OOB[:m.NN]) != nil {
				continue
			}
			dst, ok := netip.AddrFromSlice(cm.Dst.To4())
			idx := indexOf(dst)
			if !ok || idx < 0 || idx >= len(f.Devices) {
				continue
			}
			d := &f.Devices[idx]
			msg := m.Buffers[0][:m.N]
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
		flush()
	}
}

// Rate formats a throughput.
func Rate(n int64, d time.Duration) string {
	return fmt.Sprintf("%d in %v = %.0f/s", n, d.Round(time.Millisecond), float64(n)/d.Seconds())
}
