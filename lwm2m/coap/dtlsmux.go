package coap

import (
	"crypto/rand"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/transport/v5/deadline"
)

// dtlsMux demultiplexes one UDP socket into per-peer packet conns for
// pion/dtls. It replaces pion's own listener for three reasons:
//
//   - The ClientHello record-version trap: mbedTLS 2.28 clients left at
//     their default minimum version send the first ClientHello with record
//     version {254, 0}; pion drops records whose version is not FEFF or
//     FEFD. The record header is not covered by the handshake transcript,
//     so epoch-0 records with version {254, x} are normalised to FEFD here
//     before pion sees them.
//   - Connection IDs (RFC 9146): datagrams carrying a CID record are routed
//     by CID whatever address they come from; the CIDs are the ones this
//     mux generated for the conn, so no ServerHello parsing is needed.
//   - Spoofed ClientHello floods: handshakes in progress are capped and a
//     conn that never echoes the HelloVerifyRequest cookie (pion performs
//     the cookie exchange) is dropped after CookieTimeout.
type dtlsMux struct {
	conn         *net.UDPConn
	cidLen       int
	maxHandshake int
	cookieWait   time.Duration
	onRefused    func(addr netip.AddrPort, why string)

	mu          sync.Mutex
	byAddr      map[netip.AddrPort]*muxConn
	byCID       map[string]*muxConn
	handshaking int
	accept      chan *muxConn
	// hsSlots bounds the handshakes pion works on at once (nil: no bound).
	hsSlots chan struct{}
	closed  bool
	// bufs recycles datagram buffers between the socket reader and pion.
	bufs sync.Pool
}

type muxDatagram struct {
	data []byte
	addr netip.AddrPort
	buf  *[]byte // pooled backing array of data, returned after the read
}

// muxConn is the net.PacketConn pion sees for one peer.
type muxConn struct {
	mux      *dtlsMux
	in       chan muxDatagram
	closed   chan struct{}
	once     sync.Once
	readDL   *deadline.Deadline
	addr     atomic.Pointer[netip.AddrPort] // where pion last wrote to
	first    netip.AddrPort
	received atomic.Int32
	// pskIdentity is the PSK identity the client offered, once it did.
	pskIdentity atomic.Pointer[[]byte]
	cids        []string // guarded by mux.mu
	// replaced is the established session this conn's ClientHello took the
	// address from; it gets the address back if this handshake fails.
	replaced *muxConn
	inHS     atomic.Bool
	// slot is held from reading a handshake datagram until pion answers
	// (see holdSlot); slotTimer gives it back if pion never does.
	slot      atomic.Bool
	slotTimer *time.Timer
	// lastAP and lastUA cache the net.Addr handed to pion (read side only).
	lastAP netip.AddrPort
	lastUA *net.UDPAddr
	// fast runs application data once the handshake is done; pionGone is
	// closed when pion's transport is detached from the session.
	fast       atomic.Pointer[fastSession]
	pionGone   chan struct{}
	detachOnce sync.Once
}

const (
	recordHeaderLen = 13
	contentCID      = 25
	contentHS       = 22
)

func newDTLSMux(conn *net.UDPConn, cidLen, maxHandshake int, cookieWait time.Duration) *dtlsMux {
	return &dtlsMux{
		conn: conn, cidLen: cidLen, maxHandshake: maxHandshake, cookieWait: cookieWait,
		byAddr: make(map[netip.AddrPort]*muxConn),
		byCID:  make(map[string]*muxConn),
		// Room for every handshake the cap admits: a burst of ClientHellos
		// waits for the accept loop instead of being dropped (which costs
		// the device a whole flight timeout, 1 s and doubling).
		accept: make(chan *muxConn, maxHandshake),
		bufs:   sync.Pool{New: func() any { b := make([]byte, muxBufSize); return &b }},
	}
}

// muxBufSize fits any CoAP-over-DTLS datagram Shoal exchanges; larger
// ones get a buffer of their own.
const muxBufSize = 1600

// normaliseRecordVersions rewrites the record version of every epoch-0
// record whose version is {254, x} with x neither FF nor FD to FEFD. It
// returns how many records it changed.
func normaliseRecordVersions(d []byte) int {
	fixed := 0
	for len(d) >= recordHeaderLen {
		typ := d[0]
		if typ == contentCID {
			return fixed // CID records are never epoch 0 and their header is longer
		}
		epoch := uint16(d[3])<<8 | uint16(d[4])
		if epoch == 0 && d[1] == 254 && d[2] != 0xff && d[2] != 0xfd {
			d[2] = 0xfd
			fixed++
		}
		l := int(d[11])<<8 | int(d[12])
		if recordHeaderLen+l > len(d) {
			return fixed
		}
		d = d[recordHeaderLen+l:]
	}
	return fixed
}

// isClientHello reports whether the datagram starts with an epoch-0
// handshake record holding a ClientHello (handshake type 1).
func isClientHello(d []byte) bool {
	return len(d) >= recordHeaderLen+1 && d[0] == contentHS && d[1] == 254 && d[3] == 0 && d[4] == 0 && d[recordHeaderLen] == 1
}

// isInitialClientHello reports a ClientHello with message_seq 0: the start
// of a new handshake rather than a retransmission inside one.
func isInitialClientHello(d []byte) bool {
	return isClientHello(d) && len(d) >= recordHeaderLen+6 && d[recordHeaderLen+4] == 0 && d[recordHeaderLen+5] == 0
}

// run reads the socket until it is closed.
func (m *dtlsMux) run() {
	bio := newBatchIO(m.conn)
	route := func(d []byte, from netip.AddrPort) { m.route(d, from, bio) }
	for {
		if err := bio.read(route); err != nil && errors.Is(err, net.ErrClosed) {
			m.shutdown()
			return
		}
	}
}

func (m *dtlsMux) route(d []byte, addr netip.AddrPort, sink *batchIO) {
	m.mu.Lock()
	var c, replaced *muxConn
	if m.cidLen > 0 && len(d) >= 11+m.cidLen && d[0] == contentCID {
		c = m.byCID[string(d[11:11+m.cidLen])]
		if c == nil {
			m.mu.Unlock()
			return
		}
	} else {
		c = m.byAddr[addr]
		// A fresh ClientHello from the address of an established session
		// (a rebooted device) starts a new handshake; the old session stays
		// reachable by connection ID until it is closed (RFC 6347 §4.2.8).
		if c != nil && !c.inHS.Load() && isInitialClientHello(d) {
			replaced = c
			c = nil
		}
	}
	if c == nil {
		if !isClientHello(d) || m.closed {
			m.mu.Unlock()
			return
		}
		if m.handshaking >= m.maxHandshake {
			m.mu.Unlock()
			if m.onRefused != nil {
				m.onRefused(addr, "too many handshakes in progress")
			}
			return
		}
		c = &muxConn{mux: m, in: make(chan muxDatagram, 8), pionGone: make(chan struct{}), closed: make(chan struct{}), readDL: deadline.New(), first: addr, replaced: replaced}
		c.addr.Store(&addr)
		c.inHS.Store(true)
		if m.hsSlots != nil {
			c.slotTimer = time.AfterFunc(time.Hour, c.releaseSlot)
			c.slotTimer.Stop()
		}
		select {
		case m.accept <- c:
		default: // only when closed conns still fill the queue (a stalled accept loop)
			m.mu.Unlock()
			if m.onRefused != nil {
				m.onRefused(addr, "handshake queue full")
			}
			return
		}
		m.handshaking++
		m.byAddr[addr] = c
		if m.cookieWait > 0 {
			time.AfterFunc(m.cookieWait, func() {
				if c.inHS.Load() && c.received.Load() < 2 {
					c.Close()
				}
			})
		}
	}
	m.mu.Unlock()
	if fs := c.fast.Load(); fs != nil && fs.handle(d, addr, sink) {
		return
	}
	dg := muxDatagram{addr: addr}
	if len(d) <= muxBufSize {
		dg.buf = m.bufs.Get().(*[]byte)
		dg.data = (*dg.buf)[:len(d)]
	} else {
		dg.data = make([]byte, len(d))
	}
	copy(dg.data, d)
	if c.inHS.Load() {
		normaliseRecordVersions(dg.data)
	}
	c.received.Add(1)
	select {
	case c.in <- dg:
	default: // the peer is not keeping up: drop, DTLS and CoAP retransmit
		m.release(dg)
	}
}

func (m *dtlsMux) release(dg muxDatagram) {
	if dg.buf != nil {
		m.bufs.Put(dg.buf)
	}
}

// newCID returns a fresh connection ID routed to c.
func (m *dtlsMux) newCID(c *muxConn) []byte {
	cid := make([]byte, m.cidLen)
	for {
		_, _ = rand.Read(cid)
		m.mu.Lock()
		if _, taken := m.byCID[string(cid)]; !taken {
			m.byCID[string(cid)] = c
			c.cids = append(c.cids, string(cid))
			m.mu.Unlock()
			return cid
		}
		m.mu.Unlock()
	}
}

// handshakeDone is called once per conn when its handshake ends.
func (m *dtlsMux) handshakeDone(c *muxConn) {
	c.releaseSlot()
	if c.inHS.Swap(false) {
		m.mu.Lock()
		m.handshaking--
		m.mu.Unlock()
	}
}

func (m *dtlsMux) remove(c *muxConn) {
	m.handshakeDone(c)
	m.mu.Lock()
	for a, x := range m.byAddr {
		if x == c {
			delete(m.byAddr, a)
			if r := c.replaced; r != nil && !r.isClosed() && *r.addr.Load() == a {
				m.byAddr[a] = r
			}
		}
	}
	for _, id := range c.cids {
		if m.byCID[id] == c {
			delete(m.byCID, id)
		}
	}
	m.mu.Unlock()
}

func (m *dtlsMux) shutdown() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	conns := make([]*muxConn, 0, len(m.byAddr))
	for _, c := range m.byAddr {
		conns = append(conns, c)
	}
	for _, c := range m.byCID {
		conns = append(conns, c)
	}
	close(m.accept)
	m.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (c *muxConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// maxSlotHold bounds how long a handshake datagram keeps its slot when
// pion writes no answer (a duplicate, a slow credential lookup).
const maxSlotHold = 250 * time.Millisecond

// holdSlot takes a handshake slot for the datagram pion is about to read,
// unless the conn holds one already. It fails when the read must end.
func (c *muxConn) holdSlot() error {
	slots := c.mux.hsSlots
	if slots == nil || !c.inHS.Load() || c.slot.Load() {
		return nil
	}
	select {
	case slots <- struct{}{}:
	case <-c.readDL.Done():
		return os.ErrDeadlineExceeded
	case <-c.closed:
		return net.ErrClosed
	case <-c.pionGone:
		return net.ErrClosed
	}
	c.slot.Store(true)
	if c.slotTimer != nil {
		c.slotTimer.Reset(maxSlotHold)
	}
	return nil
}

// releaseSlot gives the handshake slot back: pion answered, the
// handshake ended, or it held the slot too long.
func (c *muxConn) releaseSlot() {
	if c.slot.CompareAndSwap(true, false) {
		<-c.mux.hsSlots
	}
}

// ReadFrom implements net.PacketConn for pion. During the handshake a
// datagram is handed over once a handshake slot is free.
func (c *muxConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-c.in:
		if err := c.holdSlot(); err != nil {
			c.mux.release(d)
			return 0, nil, err
		}
		n := copy(b, d.data)
		c.mux.release(d)
		if c.lastUA == nil || d.addr != c.lastAP {
			c.lastAP, c.lastUA = d.addr, net.UDPAddrFromAddrPort(d.addr)
		}
		return n, c.lastUA, nil
	case <-c.readDL.Done():
		return 0, nil, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-c.pionGone:
		return 0, nil, net.ErrClosed
	}
}

// detachPion ends pion's use of this conn: its reads and writes fail, so
// its goroutines end; routing stays for the lean record layer.
func (c *muxConn) detachPion() {
	c.detachOnce.Do(func() { close(c.pionGone) })
}

// moved drops the old address route of a session whose records now come
// from elsewhere (connection ID); a new handshake from the old address
// then starts a new session.
func (m *dtlsMux) moved(c *muxConn, to netip.AddrPort) {
	m.mu.Lock()
	if old := *c.addr.Load(); old != to && m.byAddr[old] == c {
		delete(m.byAddr, old)
	}
	c.addr.Store(&to)
	m.mu.Unlock()
}

// WriteTo implements net.PacketConn: pion writes to the address it last
// authenticated a record from, so when that changes (connection ID after a
// NAT rebinding) the old address no longer routes here.
func (c *muxConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	case <-c.pionGone:
		return 0, net.ErrClosed
	default:
	}
	c.releaseSlot() // pion has answered what it read
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, errors.New("coap: dtls: not a UDP address")
	}
	ap := ua.AddrPort()
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if old := c.addr.Load(); *old != ap {
		c.addr.Store(&ap)
		m := c.mux
		m.mu.Lock()
		if m.byAddr[*old] == c {
			delete(m.byAddr, *old)
		}
		m.mu.Unlock()
	}
	return c.mux.conn.WriteToUDPAddrPort(b, ap)
}

// Close implements net.PacketConn.
func (c *muxConn) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.mux.remove(c)
		if c.slotTimer != nil {
			c.slotTimer.Stop()
		}
	})
	return nil
}

// LocalAddr implements net.PacketConn.
func (c *muxConn) LocalAddr() net.Addr { return c.mux.conn.LocalAddr() }

// SetDeadline implements net.PacketConn (read side only).
func (c *muxConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (c *muxConn) SetReadDeadline(t time.Time) error {
	c.readDL.Set(t)
	return nil
}

// SetWriteDeadline implements net.PacketConn; writes never block long.
func (c *muxConn) SetWriteDeadline(time.Time) error { return nil }
