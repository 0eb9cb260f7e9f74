package client

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// SharedSockets carries the datagrams of many clients over a few UDP
// sockets, each client sending from its own loopback address (127.x.y.z):
// the server sees distinct devices while the process holds a handful of
// file descriptors. Each socket is an lwm2m/coap SharedSocket (bound to
// the wildcard address, source address chosen per datagram with
// IP_PKTINFO, arriving datagrams routed by destination address and handed
// to a plain-UDP client without a read buffer of its own).
type SharedSockets struct {
	socks []*coap.SharedSocket
	next  atomic.Uint32
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
		sock, err := coap.ListenShared("0.0.0.0:0")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("client: %w", err)
		}
		s.socks = append(s.socks, sock)
	}
	return s, nil
}

// Close closes the sockets and waits for their readers.
func (s *SharedSockets) Close() error {
	for _, sock := range s.socks {
		_ = sock.Close()
	}
	return nil
}

// Attach returns a PacketConn that sends from local (an IPv4 loopback
// address) and receives what is addressed to it. Clients take the sockets
// in turn; an address already attached on one socket is attached on
// another (a different port: a device's firmware download beside its
// registration), and ErrAddressInUse says every socket has it.
func (s *SharedSockets) Attach(local string) (net.PacketConn, error) {
	ip, err := netip.ParseAddr(local)
	if err != nil || !ip.Is4() || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: shared sockets need an IPv4 loopback address, got %q", ErrConfig, local)
	}
	first := int(s.next.Add(1)-1) % len(s.socks)
	for i := range s.socks {
		pc, err := s.socks[(first+i)%len(s.socks)].PacketConn(ip)
		if !errors.Is(err, coap.ErrAddressInUse) {
			return pc, err
		}
	}
	return nil, fmt.Errorf("%w: %s on all %d sockets", ErrAddressInUse, ip, len(s.socks))
}

// LoopbackAddr returns the i-th loopback address of a fleet, starting at
// 127.0.1.1 and skipping the .0 and .255 of every /24: 127.0.1.1 …
// 127.0.1.254, 127.0.2.1, … (16.6 million addresses in all).
func LoopbackAddr(i int) string {
	n := i/254 + 1 // start in 127.0.1.x
	return fmt.Sprintf("127.%d.%d.%d", (n>>8)&0xff, n&0xff, 1+i%254)
}
