package coap

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// udpEndpoint keeps one Peer per remote address on a plain UDP socket.
type udpEndpoint struct {
	eng  *engine
	conn net.PacketConn
	udp  *net.UDPConn // conn as *net.UDPConn when it is one (fast path)
	// server endpoints read in batches and spread peers over many shards;
	// a client talks to one peer and keeps its footprint small.
	server bool
	shards []udpShard
}

// DatagramReader is implemented by packet conns that hand over each
// datagram in a slice of its own (a shared socket's per-device view): the
// reader then needs no buffer and makes no copy.
type DatagramReader interface {
	ReadDatagram() (b []byte, from netip.AddrPort, err error)
}

type udpShard struct {
	mu sync.Mutex
	m  map[netip.AddrPort]*Peer
}

// udpLink writes to one remote address through the shared socket.
type udpLink struct {
	ep   *udpEndpoint
	addr netip.AddrPort
	ua   *net.UDPAddr
	str  string
}

func (l *udpLink) frame(b []byte) (*net.UDPAddr, []byte, error) { return l.ua, b, nil }

func (l *udpLink) write(b []byte) error {
	if l.ep.udp != nil {
		_, err := l.ep.udp.WriteToUDPAddrPort(b, l.addr)
		return err
	}
	_, err := l.ep.conn.WriteTo(b, net.UDPAddrFromAddrPort(l.addr))
	return err
}

func (l *udpLink) remote() string { return l.str }

func (l *udpLink) close() error {
	l.ep.forget(l.addr)
	return nil
}

func newUDPEndpoint(e *engine, conn net.PacketConn, server bool) *udpEndpoint {
	u := &udpEndpoint{eng: e, conn: conn, server: server, shards: make([]udpShard, 1)}
	if server {
		u.shards = make([]udpShard, 64)
	}
	u.udp, _ = conn.(*net.UDPConn)
	return u
}

func (u *udpEndpoint) shard(a netip.AddrPort) *udpShard {
	b := a.Addr().As16()
	return &u.shards[(uint(a.Port())^uint(b[15])^uint(b[14])<<3)%uint(len(u.shards))]
}

// peerFor returns the peer for addr, creating it when needed.
func (u *udpEndpoint) peerFor(addr netip.AddrPort) *Peer {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	s := u.shard(addr)
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[netip.AddrPort]*Peer)
	}
	p := s.m[addr]
	if p == nil {
		p = newPeer(u.eng, &udpLink{ep: u, addr: addr, ua: net.UDPAddrFromAddrPort(addr), str: addr.String()}, Identity{})
		p.udp = u
		s.m[addr] = p
	}
	s.mu.Unlock()
	return p
}

func (u *udpEndpoint) forget(addr netip.AddrPort) {
	s := u.shard(addr)
	s.mu.Lock()
	if p := s.m[addr]; p != nil {
		p.mu.Lock()
		p.detached = true
		p.mu.Unlock()
		delete(s.m, addr)
	}
	s.mu.Unlock()
}

func (p *Peer) udpAddr() netip.AddrPort {
	if l, ok := p.link.(*udpLink); ok {
		return l.addr
	}
	return netip.AddrPort{}
}

// read is one reader goroutine: datagrams go to the engine until the socket
// closes.
func (u *udpEndpoint) read() {
	if dr, ok := u.conn.(DatagramReader); ok {
		for {
			d, addr, err := dr.ReadDatagram()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			u.deliver(d, addr)
		}
	}
	if u.server && u.udp != nil {
		bio := newBatchIO(u.udp)
		for {
			err := bio.read(func(d []byte, addr netip.AddrPort) {
				if len(d) < 4 || d[0]>>6 != 1 {
					return // not CoAP version 1: not worth a peer
				}
				u.eng.receiveVia(u.peerFor(addr), append([]byte(nil), d...), bio)
			})
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				u.eng.log.Debug().Err(err).Msg("coap: udp read")
			}
		}
	}
	// A client socket, or another net.PacketConn: one datagram at a time.
	buf := make([]byte, batchBufSize)
	for {
		var (
			n    int
			addr netip.AddrPort
			err  error
		)
		if u.udp != nil {
			n, addr, err = u.udp.ReadFromUDPAddrPort(buf)
		} else {
			var a net.Addr
			n, a, err = u.conn.ReadFrom(buf)
			if ua, ok := a.(*net.UDPAddr); ok {
				addr = ua.AddrPort()
			}
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			u.eng.log.Debug().Err(err).Msg("coap: udp read")
			continue
		}
		u.deliver(append([]byte(nil), buf[:n]...), addr)
	}
}

// deliver hands a datagram (owned by the engine from now on) to the peer
// it came from.
func (u *udpEndpoint) deliver(d []byte, from netip.AddrPort) {
	if len(d) < 4 || d[0]>>6 != 1 {
		return // not CoAP version 1: not worth a peer
	}
	u.eng.receive(u.peerFor(from), d)
}

// sweep expires state and forgets idle peers.
func (u *udpEndpoint) sweep(now time.Time) {
	idle := u.eng.cfg.PeerIdleTimeout
	for i := range u.shards {
		s := &u.shards[i]
		s.mu.Lock()
		for addr, p := range s.m {
			p.expire(now)
			p.mu.Lock()
			if p.idle(now, idle) {
				p.detached = true
				delete(s.m, addr)
			}
			p.mu.Unlock()
		}
		s.mu.Unlock()
	}
}

func (u *udpEndpoint) each(f func(*Peer)) {
	for i := range u.shards {
		s := &u.shards[i]
		s.mu.Lock()
		ps := make([]*Peer, 0, len(s.m))
		for _, p := range s.m {
			ps = append(ps, p)
		}
		s.mu.Unlock()
		for _, p := range ps {
			f(p)
		}
	}
}
