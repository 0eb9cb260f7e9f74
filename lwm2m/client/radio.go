package client

import (
	"net"
	"sync/atomic"
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
