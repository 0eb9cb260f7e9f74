package client

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
)

// SharedSockets carries the datagrams of many clients over a few UDP
// sockets, each client sending from its own loopback address (127.x.y.z):
// the server sees distinct devices while the process holds a handful of
// file descriptors. Sockets are bound to the wildcard address; the source
// address of each datagram is chosen with IP_PKTINFO and arriving
// datagrams are routed to their client by destination address.
type SharedSockets struct {
	socks []*sharedSock
	mu    sync.Mutex
	next  int
	wg    sync.WaitGroup
}

type sharedSock struct {
	raw  *net.UDPConn
	pc   *ipv4.PacketConn
	port int
	mu   sync.RWMutex
	devs map[netip.Addr]*virtualConn
}

// ErrAddressInUse: a local address is already attached to a shared socket.
var ErrAddressInUse = errors.New("client: local address already attached")

// NewSharedSockets opens n sockets (n >= 1) on ephemeral ports.
func NewSharedSockets(n int) (*SharedSockets, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: %d shared sockets", ErrConfig, n)
	}
	s := &SharedSockets{}
	for range n {
		raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("client: shared socket: %w", err)
		}
		pc := ipv4.NewPacketConn(raw)
		if err := pc.SetControlMessage(ipv4.FlagDst, true); err != nil {
			raw.Close()
			s.Close()
			return nil, fmt.Errorf("client: shared socket: IP_PKTINFO: %w", err)
		}
		_ = raw.SetReadBuffer(4 << 20)
		_ = raw.SetWriteBuffer(4 << 20)
		sock := &sharedSock{raw: raw, pc: pc, port: raw.LocalAddr().(*net.UDPAddr).Port, devs: map[netip.Addr]*virtualConn{}}
		s.socks = append(s.socks, sock)
		s.wg.Go(sock.read)
	}
	return s, nil
}

// Close closes the sockets and waits for their readers.
func (s *SharedSockets) Close() error {
	for _, sock := range s.socks {
		_ = sock.raw.Close()
	}
	s.wg.Wait()
	return nil
}

// Attach returns a PacketConn that sends from local (an IPv4 loopback
// address) and receives what is addressed to it.
func (s *SharedSockets) Attach(local string) (net.PacketConn, error) {
	ip, err := netip.ParseAddr(local)
	if err != nil || !ip.Is4() || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: shared sockets need an IPv4 loopback address, got %q", ErrConfig, local)
	}
	s.mu.Lock()
	sock := s.socks[s.next%len(s.socks)]
	s.next++
	s.mu.Unlock()
	v := &virtualConn{sock: sock, ip: ip, in: make(chan datagram, 16), closed: make(chan struct{})}
	sock.mu.Lock()
	defer sock.mu.Unlock()
	if _, taken := sock.devs[ip]; taken {
		return nil, fmt.Errorf("%w: %s", ErrAddressInUse, ip)
	}
	sock.devs[ip] = v
	return v, nil
}

type datagram struct {
	b    []byte
	from *net.UDPAddr
}

func (s *sharedSock) read() {
	buf := make([]byte, 64<<10)
	for {
		n, cm, from, err := s.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if cm == nil {
			continue
		}
		dst, ok := netip.AddrFromSlice(cm.Dst.To4())
		if !ok {
			continue
		}
		s.mu.RLock()
		v := s.devs[dst]
		s.mu.RUnlock()
		ua, _ := from.(*net.UDPAddr)
		if v == nil || ua == nil {
			continue
		}
		d := datagram{b: append([]byte(nil), buf[:n]...), from: ua}
		select {
		case v.in <- d:
		default: // the client is not keeping up: drop, as a full socket buffer would
		}
	}
}

// virtualConn is one client's view of a shared socket.
type virtualConn struct {
	sock   *sharedSock
	ip     netip.Addr
	in     chan datagram
	closed chan struct{}
	once   sync.Once
	mu     sync.Mutex
	rdl    time.Time
}

func (v *virtualConn) ReadFrom(b []byte) (int, net.Addr, error) {
	v.mu.Lock()
	dl := v.rdl
	v.mu.Unlock()
	var timeout <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case d := <-v.in:
		return copy(b, d.b), d.from, nil
	case <-v.closed:
		return 0, nil, net.ErrClosed
	case <-timeout:
		return 0, nil, os.ErrDeadlineExceeded
	}
}

func (v *virtualConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-v.closed:
		return 0, net.ErrClosed
	default:
	}
	return v.sock.pc.WriteTo(b, &ipv4.ControlMessage{Src: v.ip.AsSlice()}, addr)
}

func (v *virtualConn) Close() error {
	v.once.Do(func() {
		close(v.closed)
		v.sock.mu.Lock()
		if v.sock.devs[v.ip] == v {
			delete(v.sock.devs, v.ip)
		}
		v.sock.mu.Unlock()
	})
	return nil
}

func (v *virtualConn) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: v.ip.AsSlice(), Port: v.sock.port}
}

func (v *virtualConn) SetDeadline(t time.Time) error { return v.SetReadDeadline(t) }

func (v *virtualConn) SetReadDeadline(t time.Time) error {
	v.mu.Lock()
	v.rdl = t
	v.mu.Unlock()
	return nil
}

func (v *virtualConn) SetWriteDeadline(time.Time) error { return nil }

// LoopbackAddr returns the i-th loopback address of a fleet, starting at
// 127.0.1.1 and skipping the .0 and .255 of every /24: 127.0.1.1 …
// 127.0.1.254, 127.0.2.1, … (16.6 million addresses in all).
func LoopbackAddr(i int) string {
	n := i/254 + 1 // start in 127.0.1.x
	return fmt.Sprintf("127.%d.%d.%d", (n>>8)&0xff, n&0xff, 1+i%254)
}
