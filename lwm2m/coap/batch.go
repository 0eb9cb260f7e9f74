package coap

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// batchIO reads up to batchLen datagrams per system call (recvmmsg on
// Linux) and sends the answers produced while handling them together
// (sendmmsg): on a busy server one syscall per datagram each way is most
// of the cost of a small request.
type batchIO struct {
	readBatch  func(ms []ipv4.Message, flags int) (int, error)
	writeBatch func(ms []ipv4.Message, flags int) (int, error)
	in         []ipv4.Message
	out        []ipv4.Message
	// after holds what must run once the queued datagrams are written
	// (a response's AfterSend); flush runs it.
	after []func()
}

const (
	batchLen     = 16
	batchBufSize = 4096 // larger datagrams are dropped as truncated
)

func newBatchIO(c *net.UDPConn) *batchIO {
	b := &batchIO{in: make([]ipv4.Message, batchLen), out: make([]ipv4.Message, 0, batchLen)}
	for i := range b.in {
		b.in[i].Buffers = [][]byte{make([]byte, batchBufSize)}
	}
	if la, ok := c.LocalAddr().(*net.UDPAddr); ok && la.IP.To4() != nil {
		pc := ipv4.NewPacketConn(c)
		b.readBatch, b.writeBatch = pc.ReadBatch, pc.WriteBatch
	} else {
		// IPv6 or dual-stack: v4-mapped peers come through here too.
		pc := ipv6.NewPacketConn(c)
		b.readBatch, b.writeBatch = pc.ReadBatch, pc.WriteBatch
	}
	return b
}

// read blocks until at least one datagram is in, calls f for each (data
// is valid during the call only), then sends what f queued.
func (b *batchIO) read(f func(data []byte, from netip.AddrPort)) error {
	n, err := b.readBatch(b.in, 0)
	if err != nil {
		return err
	}
	for i := range n {
		m := &b.in[i]
		ua, ok := m.Addr.(*net.UDPAddr)
		if !ok || m.Flags&unix.MSG_TRUNC != 0 {
			continue
		}
		ap := ua.AddrPort()
		f(m.Buffers[0][:m.N], netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
	b.flush()
	return nil
}

// queue adds a datagram to the next batch write.
func (b *batchIO) queue(to *net.UDPAddr, data []byte) {
	b.out = append(b.out, ipv4.Message{Buffers: [][]byte{data}, Addr: to})
	if len(b.out) == cap(b.out) {
		b.flush()
	}
}

func (b *batchIO) flush() {
	for rest := b.out; len(rest) > 0; {
		n, err := b.writeBatch(rest, 0)
		if err != nil {
			n = max(n, 1) // drop one and go on: UDP may lose it anyway
		}
		rest = rest[n:]
	}
	clear(b.out)
	b.out = b.out[:0]
	for len(b.after) > 0 {
		fs := b.after
		b.after = nil
		for _, f := range fs {
			f()
		}
	}
}

// afterFlush runs f once the datagrams queued so far have been written.
func (b *batchIO) afterFlush(f func()) {
	b.after = append(b.after, f)
}
