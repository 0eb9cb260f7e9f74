package coap

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
)

// CipherSuite is a TLS cipher suite number.
type CipherSuite uint16

// Cipher suites Shoal offers (RFC 7925 and the LwM2M transport binding).
const (
	PSKWithAES128CCM8           CipherSuite = 0xC0A8
	PSKWithAES128GCMSHA256      CipherSuite = 0x00A8
	PSKWithAES128CBCSHA256      CipherSuite = 0x00AE
	ECDHEECDSAWithAES128CCM8    CipherSuite = 0xC0AE
	ECDHEECDSAWithAES128GCMSHA2 CipherSuite = 0xC02B
	ECDHERSAWithAES128GCMSHA256 CipherSuite = 0xC02F
)

// DefaultCipherSuites are offered when a config names none: the two PSK
// suites LwM2M devices use and the two ECDHE-ECDSA ones, plus ECDHE-RSA
// for RSA server certificates.
var defaultCipherSuites = []CipherSuite{
	PSKWithAES128CCM8, PSKWithAES128GCMSHA256,
	ECDHEECDSAWithAES128CCM8, ECDHEECDSAWithAES128GCMSHA2, ECDHERSAWithAES128GCMSHA256,
}

// DTLSConfig configures the DTLS 1.2 side of a listener.
type DTLSConfig struct {
	// PSK returns the key for the PSK identity a client sent. An error
	// fails the handshake. Nil disables the PSK suites.
	PSK func(identity []byte) ([]byte, error)
	// PSKIdentityHint is sent in the ServerKeyExchange when set.
	PSKIdentityHint []byte
	// Certificate is the server's chain and key for the certificate
	// suites; nil disables them.
	Certificate *tls.Certificate
	// VerifyClient checks a client's certificate chain (leaf first): CA
	// verification or pinning. Required with Certificate; clients must
	// present a certificate.
	VerifyClient func(chain []*x509.Certificate) error
	// CipherSuites restricts the suites offered; empty means the defaults.
	CipherSuites []CipherSuite
	// DisableConnectionID turns RFC 9146 connection IDs off (on by
	// default, 8-byte IDs).
	DisableConnectionID bool
	// HandshakeTimeout bounds a handshake (default 30 s).
	HandshakeTimeout time.Duration
	// CookieTimeout drops a handshake whose client has not echoed the
	// HelloVerifyRequest cookie in time (default 5 s): spoofed ClientHellos
	// cost little and not for long.
	CookieTimeout time.Duration
	// MaxHandshakes caps handshakes in progress, waiting or running
	// (default 4096); further ClientHellos are dropped.
	MaxHandshakes int
	// ConcurrentHandshakes bounds the handshakes pion works on at once
	// (default 64): a handshake holds a slot from reading a client's flight
	// until it has written its answer (at most 250 ms), so one waiting for
	// a slow network holds none. Others wait their turn. Without a bound, a
	// burst of thousands of handshakes makes every goroutine of the process
	// wait behind theirs, application data included, and answers so late
	// that clients retransmit whole flights.
	ConcurrentHandshakes int
	// OnHandshakeFailed is told about failed handshakes (wrong PSK,
	// refused certificate, timeout), for security events. When the client
	// had offered a PSK identity, err is a *HandshakeError carrying it.
	OnHandshakeFailed func(addr string, err error)
}

// Validate applies defaults and checks the config.
func (c *DTLSConfig) Validate() error {
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 30 * time.Second
	}
	if c.CookieTimeout == 0 {
		c.CookieTimeout = 5 * time.Second
	}
	if c.MaxHandshakes == 0 {
		c.MaxHandshakes = 4096
	}
	if c.ConcurrentHandshakes == 0 {
		c.ConcurrentHandshakes = 64
	}
	if c.PSK == nil && c.Certificate == nil {
		return errors.New("coap: dtls: neither PSK nor a certificate is configured")
	}
	if c.Certificate != nil && c.VerifyClient == nil {
		return errors.New("coap: dtls: a certificate needs VerifyClient to check client certificates")
	}
	if c.HandshakeTimeout < 0 || c.CookieTimeout < 0 || c.MaxHandshakes < 1 || c.ConcurrentHandshakes < 1 {
		return errors.New("coap: dtls: timeouts must not be negative, MaxHandshakes and ConcurrentHandshakes must be positive")
	}
	return nil
}

func pionSuites(cs []CipherSuite, psk, cert bool) []dtls.CipherSuiteID {
	if len(cs) == 0 {
		cs = defaultCipherSuites
	}
	out := make([]dtls.CipherSuiteID, 0, len(cs))
	for _, c := range cs {
		isPSK := c == PSKWithAES128CCM8 || c == PSKWithAES128GCMSHA256 || c == PSKWithAES128CBCSHA256
		if isPSK && psk || !isPSK && cert {
			out = append(out, dtls.CipherSuiteID(c))
		}
	}
	return out
}

func parseChain(raw [][]byte) ([]*x509.Certificate, error) {
	chain := make([]*x509.Certificate, 0, len(raw))
	for i, der := range raw {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i, err)
		}
		chain = append(chain, c)
	}
	return chain, nil
}

// serverOptions builds pion options for one incoming conn (the CID
// generator is per conn so the mux knows which conn owns which CID).
func (c *DTLSConfig) serverOptions(mux *dtlsMux, mc *muxConn, lf *pionLogger) []dtls.ServerOption {
	opts := []dtls.ServerOption{
		dtls.WithLoggerFactory(lf),
		dtls.WithCipherSuites(pionSuites(c.CipherSuites, c.PSK != nil, c.Certificate != nil)...),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
		dtls.WithFlightInterval(time.Second),
	}
	if c.PSK != nil {
		psk := c.PSK
		opts = append(opts, dtls.WithPSK(func(identity []byte) ([]byte, error) {
			id := bytes.Clone(identity) // for the failure report
			mc.pskIdentity.Store(&id)
			return psk(identity)
		}))
		if c.PSKIdentityHint != nil {
			opts = append(opts, dtls.WithPSKIdentityHint(c.PSKIdentityHint))
		}
	}
	if c.Certificate != nil {
		verify := c.VerifyClient
		opts = append(opts,
			dtls.WithCertificates(*c.Certificate),
			dtls.WithClientAuth(dtls.RequireAnyClientCert),
			dtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error {
				chain, err := parseChain(raw)
				if err != nil {
					return err
				}
				if len(chain) == 0 {
					return errors.New("no client certificate")
				}
				return verify(chain)
			}))
	}
	if mux.cidLen > 0 {
		opts = append(opts, dtls.WithConnectionIDGenerator(func() []byte { return mux.newCID(mc) }))
	}
	return opts
}

// dtlsLink writes to one DTLS session.
type dtlsLink struct {
	conn *dtls.Conn
	// last caches the formatted remote address; it changes only when the
	// session moves (connection ID).
	last atomic.Pointer[linkAddr]
}

type linkAddr struct {
	addr net.Addr
	str  string
}

func (l *dtlsLink) write(b []byte) error {
	_, err := l.conn.Write(b)
	return err
}

func (l *dtlsLink) remote() string {
	a := l.conn.RemoteAddr()
	if c := l.last.Load(); c != nil && c.addr == a {
		return c.str
	}
	c := &linkAddr{addr: a, str: addrString(a)}
	l.last.Store(c)
	return c.str
}

func (l *dtlsLink) close() error { return l.conn.Close() }

func sessionIdentity(conn *dtls.Conn) (Identity, error) {
	st, ok := conn.ConnectionState()
	if !ok {
		return Identity{}, errors.New("no connection state")
	}
	if len(st.PeerCertificates) > 0 {
		chain, err := parseChain(st.PeerCertificates)
		if err != nil {
			return Identity{}, err
		}
		return x509Identity(chain), nil
	}
	return Identity{Kind: IdentityPSK, PSKIdentity: string(st.IdentityHint)}, nil
}

// serveSession reads decrypted datagrams from an established session into
// the engine until the session ends.
func serveSession(ctx context.Context, e *engine, p *Peer, conn *dtls.Conn) {
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	buf := make([]byte, 2048)
	failures := 0
	for {
		n, err := conn.Read(buf)
		if err != nil {
			// pion reports a non-fatal alert or an oversized record as a read
			// error and keeps the session; anything repeated or final ends it.
			failures++
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || ctx.Err() != nil || failures > 8 {
				e.log.Debug().Err(err).Str("peer", p.String()).Msg("coap: dtls session ended")
				break
			}
			continue
		}
		failures = 0
		data := make([]byte, n)
		copy(data, buf[:n])
		e.receive(p, data)
	}
	p.shutdown()
	_ = conn.Close()
}
