package client

import (
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// radioConn is a PacketConn whose "radio" can be switched off: while off,
// datagrams that arrive are discarded unread and datagrams sent vanish, the
// way a sleeping NB-IoT modem neither hears nor answers. A DTLS session on
// top survives the sleep (its connection ID carries it on).
type radioConn struct {
	net.PacketConn
	off atomic.Bool
}

func (r *radioConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := r.PacketConn.ReadFrom(b)
		if err != nil || !r.off.Load() {
			return n, addr, err
		}
	}
}

func (r *radioConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if r.off.Load() {
		return len(b), nil
	}
	return r.PacketConn.WriteTo(b, addr)
}

// setRadio switches the radio on or off.
func (r *radioConn) setRadio(on bool) { r.off.Store(!on) }

// radioDatagramConn is a radioConn over a conn that hands over each
// datagram in a slice of its own (a shared socket's view): lwm2m/coap then
// reads it without a buffer per connection.
type radioDatagramConn struct {
	*radioConn
	dr coap.DatagramReader
}

// ReadDatagram implements coap.DatagramReader, discarding what arrives
// while the radio is off.
func (r radioDatagramConn) ReadDatagram() ([]byte, netip.AddrPort, error) {
	for {
		b, from, err := r.dr.ReadDatagram()
		if err != nil || !r.off.Load() {
			return b, from, err
		}
	}
}

// withRadio wraps pc in a switchable radio, keeping its buffer-less read
// when it has one.
func withRadio(pc net.PacketConn) (*radioConn, net.PacketConn) {
	r := &radioConn{PacketConn: pc}
	if dr, ok := pc.(coap.DatagramReader); ok {
		return r, radioDatagramConn{radioConn: r, dr: dr}
	}
	return r, r
}
