package coap

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/pion/transport/v5/deadline"
	"golang.org/x/net/ipv4"
)

// SharedSocket is one IPv4 UDP socket that many client connections use at
// once, each with its own local address (127.x.y.z on loopback): a fleet
// of simulated devices within a process's file-descriptor limit. The
// socket is bound to a wildcard address; outgoing datagrams choose their
// source address per packet (IP_PKTINFO) and incoming ones are routed by
// destination address. Pass PacketConn(addr) as DialConfig.PacketConn.
type SharedSocket struct {
	conn *net.UDPConn
	pc   *ipv4.PacketConn

	mu   sync.Mutex
	subs map[netip.Addr]*sharedConn
	done chan struct{}
	wg   sync.WaitGroup
}

// ListenShared binds a shared socket, e.g. "0.0.0.0:0".
func ListenShared(addr string) (*SharedSocket, error) {
	ua, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("coap: shared socket %s: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp4", ua)
	if err != nil {
		return nil, fmt.Errorf("coap: shared socket %s: %w", addr, err)
	}
	_ = conn.SetReadBuffer(8 << 20)
	_ = conn.SetWriteBuffer(8 << 20)
	pc := ipv4.NewPacketConn(conn)
	if err := pc.SetControlMessage(ipv4.FlagDst, true); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("coap: shared socket: destination addresses unavailable: %w", err)
	}
	s := &SharedSocket{conn: conn, pc: pc, subs: make(map[netip.Addr]*sharedConn), done: make(chan struct{})}
	s.wg.Go(s.read)
	return s, nil
}

// Port returns the bound port (the same for every local address).
func (s *SharedSocket) Port() int { return s.conn.LocalAddr().(*net.UDPAddr).Port }

// PacketConn returns a packet conn sending from and receiving at local.
// Closing it releases the address; closing the SharedSocket closes all.
func (s *SharedSocket) PacketConn(local netip.Addr) (net.PacketConn, error) {
	if !local.Is4() {
		return nil, fmt.Errorf("coap: shared socket: %s is not an IPv4 address", local)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, taken := s.subs[local]; taken {
		return nil, fmt.Errorf("shared socket: %s: %w", local, ErrAddressInUse)
	}
	c := &sharedConn{s: s, local: local, in: make(chan muxDatagram, 8), closed: make(chan struct{}), readDL: deadline.New()}
	s.subs[local] = c
	return c, nil
}

// Close closes the socket and every conn on it.
func (s *SharedSocket) Close() error {
	err := s.conn.Close()
	s.wg.Wait()
	return err
}

func (s *SharedSocket) read() {
	buf := make([]byte, 64<<10)
	for {
		n, cm, src, err := s.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				s.mu.Lock()
				for _, c := range s.subs {
					c.closeOnce()
				}
				s.mu.Unlock()
				return
			}
			continue
		}
		if cm == nil {
			continue
		}
		dst, ok := netip.AddrFromSlice(cm.Dst.To4())
		ua, isUDP := src.(*net.UDPAddr)
		if !ok || !isUDP {
			continue
		}
		s.mu.Lock()
		c := s.subs[dst]
		s.mu.Unlock()
		if c == nil {
			continue
		}
		d := muxDatagram{data: append([]byte(nil), buf[:n]...), addr: ua.AddrPort()}
		select {
		case c.in <- d:
		default: // the device is not reading: drop, as a full socket would
		}
	}
}

type sharedConn struct {
	s      *SharedSocket
	local  netip.Addr
	in     chan muxDatagram
	closed chan struct{}
	once   sync.Once
	readDL *deadline.Deadline
}

func (c *sharedConn) closeOnce() { c.once.Do(func() { close(c.closed) }) }

// ReadFrom implements net.PacketConn.
func (c *sharedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-c.in:
		return copy(b, d.data), net.UDPAddrFromAddrPort(d.addr), nil
	case <-c.readDL.Done():
		return 0, nil, os.ErrDeadlineExceeded
	case <-c.closed:
		return 0, nil, net.ErrClosed
	}
}

// ReadDatagram implements DatagramReader: the datagram the shared
// socket's reader already copied, handed over without another copy.
func (c *sharedConn) ReadDatagram() ([]byte, netip.AddrPort, error) {
	select {
	case d := <-c.in:
		return d.data, d.addr, nil
	case <-c.closed:
		return nil, netip.AddrPort{}, net.ErrClosed
	}
}

// WriteTo implements net.PacketConn, sending from the conn's address.
func (c *sharedConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	return c.s.pc.WriteTo(b, &ipv4.ControlMessage{Src: c.local.AsSlice()}, addr)
}

// Close implements net.PacketConn.
func (c *sharedConn) Close() error {
	c.closeOnce()
	c.s.mu.Lock()
	if c.s.subs[c.local] == c {
		delete(c.s.subs, c.local)
	}
	c.s.mu.Unlock()
	return nil
}

// LocalAddr implements net.PacketConn.
func (c *sharedConn) LocalAddr() net.Addr {
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.local, uint16(c.s.Port())))
}

// SetDeadline implements net.PacketConn (read side).
func (c *sharedConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (c *sharedConn) SetReadDeadline(t time.Time) error { c.readDL.Set(t); return nil }

// SetWriteDeadline implements net.PacketConn; writes do not block.
func (c *sharedConn) SetWriteDeadline(time.Time) error { return nil }
