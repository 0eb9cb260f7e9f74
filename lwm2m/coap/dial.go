package coap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/rs/zerolog"
)

// DTLSClientConfig configures the device side of DTLS 1.2.
type DTLSClientConfig struct {
	// PSKIdentity and PSK select the PSK suites.
	PSKIdentity []byte
	PSK         []byte
	// Certificate is the client's chain and key for the certificate suites.
	Certificate *tls.Certificate
	// RootCAs verifies the server certificate; VerifyServer, when set,
	// replaces that check (pinning). InsecureSkipVerify accepts any server
	// certificate (tests only).
	RootCAs            *x509.CertPool
	ServerName         string
	VerifyServer       func(chain []*x509.Certificate) error
	InsecureSkipVerify bool
	// CipherSuites restricts the suites offered; empty means the defaults.
	CipherSuites []CipherSuite
	// DisableConnectionID stops offering RFC 9146 connection IDs (offered
	// by default: the client sends the server's CID, so the session
	// survives a changed source address).
	DisableConnectionID bool
	// HandshakeTimeout bounds the handshake (default 30 s).
	HandshakeTimeout time.Duration
}

// DialConfig configures a client connection.
type DialConfig struct {
	Config
	// DTLS selects CoAP over DTLS; nil is plain UDP.
	DTLS *DTLSClientConfig
	// PacketConn, when set, is used instead of opening a socket (for
	// sockets shared by many simulated devices, or tests that rebind the
	// source port). Close closes it.
	PacketConn net.PacketConn
	// LocalAddr binds the socket Dial opens ("127.0.0.5:0"); default any.
	LocalAddr string
	// ExternalReader starts no reading goroutine for a plain-UDP
	// connection: the owner of PacketConn reads the socket and passes each
	// datagram to Conn.Deliver (fleets sharing one reader). Ignored with
	// DTLS.
	ExternalReader bool
}

// Conn is a client connection to one server: requests go out through
// Peer(); requests the server sends in are served by Config.Handler.
type Conn struct {
	eng  *engine
	peer *Peer
	pc   net.PacketConn
	udp  *udpEndpoint
	dtls *dtls.Conn
	wg   sync.WaitGroup
	once sync.Once
}

// Dial connects to a CoAP server at addr ("host:port"); with cfg.DTLS it
// completes the DTLS handshake before returning.
func Dial(ctx context.Context, addr string, cfg DialConfig) (*Conn, error) {
	if cfg.Readers == 0 {
		cfg.Readers = 1
	}
	if err := cfg.Config.Validate(); err != nil {
		return nil, err
	}
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("coap: dial %s: %w", addr, err)
	}
	pc := cfg.PacketConn
	if pc == nil {
		local := cfg.LocalAddr
		if local == "" {
			local = ":0"
		}
		la, err := net.ResolveUDPAddr("udp", local)
		if err != nil {
			return nil, fmt.Errorf("coap: dial: local address %s: %w", local, err)
		}
		uc, err := net.ListenUDP("udp", la)
		if err != nil {
			return nil, fmt.Errorf("coap: dial %s: %w", addr, err)
		}
		pc = uc
	}
	c := &Conn{eng: newEngine(cfg.Config), pc: pc}
	if cfg.DTLS == nil {
		c.udp = newUDPEndpoint(c.eng, pc, false)
		c.peer = c.udp.peerFor(raddr.AddrPort())
		if !cfg.ExternalReader {
			c.wg.Go(c.udp.read)
		}
		return c, nil
	}
	dc, err := dialDTLS(ctx, pc, raddr, cfg.DTLS, cfg.Logger)
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("coap: dial %s: %w", addr, err)
	}
	id := Identity{}
	if st, ok := dc.ConnectionState(); ok && len(st.PeerCertificates) > 0 {
		if chain, err := parseChain(st.PeerCertificates); err == nil {
			id = x509Identity(chain)
		}
	} else if cfg.DTLS.PSK != nil {
		id = Identity{Kind: IdentityPSK, PSKIdentity: string(cfg.DTLS.PSKIdentity)}
	}
	c.dtls = dc
	c.peer = newPeer(c.eng, &dtlsLink{conn: dc}, id)
	c.wg.Go(func() { serveSession(c.eng.ctx, c.eng, c.peer, dc) })
	return c, nil
}

func dialDTLS(ctx context.Context, pc net.PacketConn, raddr *net.UDPAddr, d *DTLSClientConfig, log zerolog.Logger) (*dtls.Conn, error) {
	psk := d.PSK != nil
	cert := d.Certificate != nil || d.RootCAs != nil || d.VerifyServer != nil || d.InsecureSkipVerify
	if !psk && !cert {
		return nil, errors.New("dtls: neither a PSK nor certificate settings given")
	}
	opts := []dtls.ClientOption{
		dtls.WithLoggerFactory(&pionLogger{log: log}),
		dtls.WithCipherSuites(pionSuites(d.CipherSuites, psk, cert)...),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
		dtls.WithFlightInterval(time.Second),
	}
	if psk {
		key := d.PSK
		opts = append(opts, dtls.WithPSK(func([]byte) ([]byte, error) { return key, nil }),
			dtls.WithPSKIdentityHint(d.PSKIdentity))
	}
	if d.Certificate != nil {
		opts = append(opts, dtls.WithCertificates(*d.Certificate))
	}
	if d.RootCAs != nil {
		opts = append(opts, dtls.WithRootCAs(d.RootCAs))
	}
	if d.ServerName != "" {
		opts = append(opts, dtls.WithServerName(d.ServerName))
	}
	if d.VerifyServer != nil || d.InsecureSkipVerify {
		opts = append(opts, dtls.WithInsecureSkipVerify(true))
	}
	if v := d.VerifyServer; v != nil {
		opts = append(opts, dtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error {
			chain, err := parseChain(raw)
			if err != nil {
				return err
			}
			return v(chain)
		}))
	}
	if !d.DisableConnectionID {
		opts = append(opts, dtls.WithConnectionIDGenerator(dtls.OnlySendCIDGenerator()))
	}
	dc, err := dtls.ClientWithOptions(pc, raddr, opts...)
	if err != nil {
		return nil, err
	}
	timeout := d.HandshakeTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := dc.HandshakeContext(hctx); err != nil {
		_ = dc.Close()
		return nil, fmt.Errorf("dtls handshake: %w", err)
	}
	return dc, nil
}

// Deliver hands the connection a datagram read by the owner of its
// PacketConn (see DialConfig.ExternalReader); b is owned by the
// connection from then on. It does nothing for DTLS connections.
func (c *Conn) Deliver(b []byte, from netip.AddrPort) {
	if c.udp != nil {
		c.udp.deliver(b, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()))
	}
}

// Peer returns the server.
func (c *Conn) Peer() *Peer { return c.peer }

// Do sends a request to the server (see Peer.Do).
func (c *Conn) Do(ctx context.Context, req *Message) (*Message, error) { return c.peer.Do(ctx, req) }

// LocalAddr returns the local socket address.
func (c *Conn) LocalAddr() net.Addr { return c.pc.LocalAddr() }

// Done is closed when the connection ends (Close, or the DTLS session
// closed by the server).
func (c *Conn) Done() <-chan struct{} { return c.peer.Done() }

// Close ends the connection and waits for its goroutines.
func (c *Conn) Close() error {
	c.once.Do(func() {
		c.eng.cancel()
		c.peer.shutdown()
		if c.dtls != nil {
			_ = c.dtls.Close()
		}
		_ = c.pc.Close()
		c.wg.Wait()
		c.eng.bg.Wait()
	})
	return nil
}
