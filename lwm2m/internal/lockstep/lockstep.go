// Package lockstep is a scripted CoAP-over-UDP peer for protocol tests: the
// test crafts every datagram (message ids, tokens, retransmissions) and
// reads every answer, over a real UDP socket whose source port it can
// change. It is a test helper; nothing in Shoal's runtime uses it.
package lockstep

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// Client is one scripted peer.
type Client struct {
	conn   *net.UDPConn
	server netip.AddrPort
	mid    uint16
	tok    uint64
	// Wait bounds every Recv (default 5 s): a test fails instead of hanging.
	Wait time.Duration
}

// New opens a socket on 127.0.0.1 and targets server ("127.0.0.1:port").
func New(server string) (*Client, error) {
	ap, err := netip.ParseAddrPort(server)
	if err != nil {
		return nil, fmt.Errorf("lockstep: server %q: %w", server, err)
	}
	c := &Client{server: ap, mid: 0x1000, tok: 0xa0, Wait: 5 * time.Second}
	if err := c.Rebind(); err != nil {
		return nil, err
	}
	return c, nil
}

// Rebind closes the socket and opens a new one on a new source port, as a
// NAT rebinding would look to the server.
func (c *Client) Rebind() error {
	if c.conn != nil {
		_ = c.conn.Close()
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return fmt.Errorf("lockstep: %w", err)
	}
	c.conn = conn
	return nil
}

// Addr returns the current source address.
func (c *Client) Addr() string { return c.conn.LocalAddr().String() }

// Close closes the socket.
func (c *Client) Close() error { return c.conn.Close() }

// NextMID returns a fresh message id.
func (c *Client) NextMID() uint16 { c.mid++; return c.mid }

// NextToken returns a fresh 4-byte token.
func (c *Client) NextToken() coap.Token {
	c.tok++
	t, _ := coap.TokenFromBytes([]byte{byte(c.tok >> 24), byte(c.tok >> 16), byte(c.tok >> 8), byte(c.tok)})
	return t
}

// Send encodes and sends m as is (message id and token included).
func (c *Client) Send(m *coap.Message) error {
	b, err := m.Encode()
	if err != nil {
		return err
	}
	return c.SendRaw(b)
}

// SendRaw sends bytes as one datagram.
func (c *Client) SendRaw(b []byte) error {
	_, err := c.conn.WriteToUDPAddrPort(b, c.server)
	return err
}

// RecvRaw returns the next datagram.
func (c *Client) RecvRaw() ([]byte, error) {
	buf := make([]byte, 2048)
	_ = c.conn.SetReadDeadline(time.Now().Add(c.Wait))
	n, _, err := c.conn.ReadFromUDPAddrPort(buf)
	if err != nil {
		return nil, fmt.Errorf("lockstep: nothing received: %w", err)
	}
	return buf[:n], nil
}

// Recv returns the next datagram decoded.
func (c *Client) Recv() (*coap.Message, error) {
	b, err := c.RecvRaw()
	if err != nil {
		return nil, err
	}
	return coap.Decode(b)
}

// ErrSilent is returned by ExpectSilence when something arrived.
var ErrSilent = errors.New("lockstep: expected silence")

// ExpectSilence succeeds when nothing arrives within d.
func (c *Client) ExpectSilence(d time.Duration) error {
	buf := make([]byte, 2048)
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	n, _, err := c.conn.ReadFromUDPAddrPort(buf)
	if err == nil {
		m, _ := coap.Decode(buf[:n])
		return fmt.Errorf("%w, got %v", ErrSilent, m)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
}

// Request builds a confirmable request with a fresh message id and token.
func (c *Client) Request(method lwm2m.Code, path ...string) *coap.Message {
	m := coap.NewRequest(method, path...)
	m.MessageID = c.NextMID()
	m.Token = c.NextToken()
	return m
}

// RoundTrip sends a confirmable request and returns the first datagram
// answering its message id (a piggybacked response or an empty ACK).
func (c *Client) RoundTrip(m *coap.Message) (*coap.Message, error) {
	if err := c.Send(m); err != nil {
		return nil, err
	}
	for {
		r, err := c.Recv()
		if err != nil {
			return nil, err
		}
		if (r.Type == coap.Acknowledgement || r.Type == coap.Reset) && r.MessageID == m.MessageID {
			return r, nil
		}
	}
}

// Ack acknowledges a confirmable message.
func (c *Client) Ack(m *coap.Message) error {
	return c.Send(&coap.Message{Type: coap.Acknowledgement, MessageID: m.MessageID})
}

// RebindConn is a net.PacketConn whose source port can be changed under a
// live session (DTLS or CoAP client), as a NAT rebinding would: Rebind
// opens a new socket and closes the old one; reads move to the new one.
type RebindConn struct {
	mu  sync.Mutex
	cur *net.UDPConn
}

// NewRebindConn opens the first socket on 127.0.0.1.
func NewRebindConn() (*RebindConn, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("lockstep: %w", err)
	}
	return &RebindConn{cur: c}, nil
}

func (r *RebindConn) conn() *net.UDPConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// Rebind switches to a new source port.
func (r *RebindConn) Rebind() error {
	n, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return fmt.Errorf("lockstep: %w", err)
	}
	r.mu.Lock()
	old := r.cur
	r.cur = n
	r.mu.Unlock()
	return old.Close()
}

// ReadFrom implements net.PacketConn.
func (r *RebindConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		c := r.conn()
		n, a, err := c.ReadFrom(b)
		if err != nil && errors.Is(err, net.ErrClosed) && r.conn() != c {
			continue
		}
		return n, a, err
	}
}

// WriteTo implements net.PacketConn.
func (r *RebindConn) WriteTo(b []byte, a net.Addr) (int, error) { return r.conn().WriteTo(b, a) }

// Close implements net.PacketConn.
func (r *RebindConn) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur.Close()
}

// LocalAddr implements net.PacketConn.
func (r *RebindConn) LocalAddr() net.Addr { return r.conn().LocalAddr() }

// SetDeadline implements net.PacketConn.
func (r *RebindConn) SetDeadline(t time.Time) error { return r.conn().SetDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (r *RebindConn) SetReadDeadline(t time.Time) error { return r.conn().SetReadDeadline(t) }

// SetWriteDeadline implements net.PacketConn.
func (r *RebindConn) SetWriteDeadline(t time.Time) error { return r.conn().SetWriteDeadline(t) }
