package loadgen

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/net/ipv4"
)

// BatchLen is how many datagrams one recvmmsg/sendmmsg call moves.
const BatchLen = 64

// Range numbers devices on a loopback /16: device i has the address
// 127.<net>.0.0 + i + 1.
type Range struct{ base uint32 }

// NewRange is the range of devices on 127.<net>.0.0/16.
func NewRange(net byte) Range { return Range{base: uint32(127)<<24 | uint32(net)<<16} }

// Addr is device i's address.
func (r Range) Addr(i int) netip.Addr {
	v := r.base + uint32(i) + 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Index is the device number of address a (out of range when a is not in r).
func (r Range) Index(a netip.Addr) int {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	return int(v-r.base) - 1
}

// SourceOOB is the IP_PKTINFO control message that sends a datagram from a.
func SourceOOB(a netip.Addr) []byte {
	return (&ipv4.ControlMessage{Src: a.AsSlice()}).Marshal()
}

// Socket is a wildcard UDP socket many devices share: the source address is
// set per datagram and answers are told apart by destination address.
type Socket struct {
	conn *net.UDPConn
	pc   *ipv4.PacketConn
}

// Listen opens a wildcard socket with buf bytes of kernel buffer each way.
func Listen(buf int) (*Socket, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(buf)
	_ = conn.SetWriteBuffer(buf)
	pc := ipv4.NewPacketConn(conn)
	if err := pc.SetControlMessage(ipv4.FlagDst, true); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &Socket{conn: conn, pc: pc}, nil
}

// Close closes the socket; a Batch on it stops reading.
func (s *Socket) Close() error { return s.conn.Close() }

// Batch moves datagrams between a socket and one server in batches. It
// belongs to one goroutine.
type Batch struct {
	s       *Socket
	to      *net.UDPAddr
	in, out []ipv4.Message
}

// NewBatch makes the batch buffers for s sending to server.
func (s *Socket) NewBatch(server *net.UDPAddr) *Batch {
	in := make([]ipv4.Message, BatchLen)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, 2048)}
		in[i].OOB = ipv4.NewControlMessage(ipv4.FlagDst)
	}
	return &Batch{s: s, to: server, in: in, out: make([]ipv4.Message, 0, BatchLen)}
}

// Send queues b from the source address in oob, flushing a full batch.
func (b *Batch) Send(p, oob []byte) {
	b.out = append(b.out, ipv4.Message{Buffers: [][]byte{p}, OOB: oob, Addr: b.to})
	if len(b.out) == BatchLen {
		b.Flush()
	}
}

// Flush sends what is queued.
func (b *Batch) Flush() {
	for rest := b.out; len(rest) > 0; {
		n, err := b.s.pc.WriteBatch(rest, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				break
			}
			n = max(n, 1) // drop one and carry on: UDP may lose it anyway, retransmission covers it
		}
		rest = rest[n:]
	}
	b.out = b.out[:0]
}

// Read waits up to wait for datagrams and returns how many arrived (0 when
// none did); an error means the socket is unusable (closed).
func (b *Batch) Read(wait time.Duration) (int, error) {
	_ = b.s.conn.SetReadDeadline(time.Now().Add(wait))
	n, err := b.s.pc.ReadBatch(b.in, 0)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, nil
		}
		return 0, err
	}
	return n, nil
}

// Received is the i-th datagram of the last Read and the device it is
// addressed to in r; ok is false when it is not for one of the first n
// devices.
func (b *Batch) Received(i int, r Range, n int) (dev int, data []byte, ok bool) {
	m := &b.in[i]
	var cm ipv4.ControlMessage
	if cm.Parse(m.OOB[:m.NN]) != nil {
		return 0, nil, false
	}
	dst, ok := netip.AddrFromSlice(cm.Dst.To4())
	dev = r.Index(dst)
	if !ok || dev < 0 || dev >= n {
		return 0, nil, false
	}
	return dev, m.Buffers[0][:m.N], true
}
