package coap_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/testpki"
)

var testKeys = map[string][]byte{
	"dev-psk":  []byte("secret-psk-0001"),
	"dev-psk2": {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08},
}

func pskLookup(id []byte) ([]byte, error) {
	if k, ok := testKeys[string(id)]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown PSK identity %q", id)
}

type failures struct {
	mu   sync.Mutex
	errs []error
}

func (f *failures) add(_ string, err error) {
	f.mu.Lock()
	f.errs = append(f.errs, err)
	f.mu.Unlock()
}

func (f *failures) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.errs)
}

func serveDTLS(t *testing.T, cfg coap.Config, dcfg coap.DTLSConfig) *coap.Endpoint {
	t.Helper()
	ep, err := coap.ListenDTLS("udp", "127.0.0.1:0", cfg, dcfg)
	if err != nil {
		t.Fatal(err)
	}
	runEndpoint(t, ep)
	return ep
}

func TestDTLSPSKBothSuites(t *testing.T) {
	for _, suite := range []coap.CipherSuite{coap.PSKWithAES128CCM8, coap.PSKWithAES128GCMSHA256} {
		t.Run(fmt.Sprintf("%#04x", uint16(suite)), func(t *testing.T) {
			srv := &peerCatcher{reply: echoPath}
			ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{PSK: pskLookup})
			c := dial(t, ep.Addr().String(), coap.DialConfig{
				Config: coap.Config{Handler: coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
					return echoPath(req)
				})},
				DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"], CipherSuites: []coap.CipherSuite{suite}},
			})
			resp, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd"))
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Payload) != "/rd||" {
				t.Fatalf("got %q", resp.Payload)
			}
			p := srv.peer.Load()
			if id := p.Identity(); id.Kind != coap.IdentityPSK || id.PSKIdentity != "dev-psk" || !p.Secure() {
				t.Fatalf("server sees identity %v", id)
			}
			resp, err = p.Do(testCtx(t), coap.NewRequest(coap.GET, "3", "0"))
			if err != nil || string(resp.Payload) != "/3/0||" {
				t.Fatalf("server → device: %v %v", resp, err)
			}
		})
	}
}

func TestDTLSWrongKeyFailsHandshake(t *testing.T) {
	var f failures
	ep := serveDTLS(t, coap.Config{}, coap.DTLSConfig{PSK: pskLookup, OnHandshakeFailed: f.add, HandshakeTimeout: 2 * time.Second})
	for _, c := range []coap.DTLSClientConfig{
		{PSKIdentity: []byte("dev-psk"), PSK: []byte("wrong key")},
		{PSKIdentity: []byte("nobody"), PSK: []byte("x")},
	} {
		cfg := c
		cfg.HandshakeTimeout = 2 * time.Second
		conn, err := coap.Dial(testCtx(t), ep.Addr().String(), coap.DialConfig{DTLS: &cfg})
		if err == nil {
			conn.Close()
			t.Fatalf("handshake with %q succeeded", c.PSKIdentity)
		}
	}
	waitFor(t, "handshake failures reported", func() bool { return f.count() == 2 })
	for _, err := range f.errs {
		t.Logf("reported: %v", err)
	}
}

// recordVersionRewriter makes a pion client look like an mbedTLS 2.28
// client left at its default minimum version: every ClientHello record goes
// out with record-layer version {254, 0}.
type recordVersionRewriter struct {
	net.PacketConn
	rewritten atomic.Int32
}

func (r *recordVersionRewriter) WriteTo(b []byte, addr net.Addr) (int, error) {
	if len(b) > 13 && b[0] == 22 && b[3] == 0 && b[4] == 0 && b[13] == 1 {
		c := append([]byte(nil), b...)
		c[1], c[2] = 0xfe, 0x00
		r.rewritten.Add(1)
		return r.PacketConn.WriteTo(c, addr)
	}
	return r.PacketConn.WriteTo(b, addr)
}

func TestDTLSClientHelloRecordVersionFE00(t *testing.T) {
	srv := &peerCatcher{reply: echoPath}
	ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{PSK: pskLookup})
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	rw := &recordVersionRewriter{PacketConn: udp}
	c := dial(t, ep.Addr().String(), coap.DialConfig{
		PacketConn: rw,
		DTLS:       &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk2"), PSK: testKeys["dev-psk2"], HandshakeTimeout: 5 * time.Second},
	})
	if n := rw.rewritten.Load(); n < 2 {
		t.Fatalf("only %d ClientHellos were rewritten; the test would not prove anything", n)
	}
	resp, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd"))
	if err != nil || string(resp.Payload) != "/rd||" {
		t.Fatalf("after an FE00 ClientHello: %v %v", resp, err)
	}
}

// rebindConn is a client socket whose source port can be changed under a
// live DTLS session, like a NAT rebinding while a device sleeps.
type rebindConn struct {
	mu   sync.Mutex
	cur  *net.UDPConn
	gone chan struct{}
}

func newRebindConn(t *testing.T) *rebindConn {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return &rebindConn{cur: c, gone: make(chan struct{})}
}

func (r *rebindConn) conn() *net.UDPConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

func (r *rebindConn) rebind(t *testing.T) {
	n, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	old := r.cur
	r.cur = n
	r.mu.Unlock()
	_ = old.Close()
}

func (r *rebindConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		c := r.conn()
		n, a, err := c.ReadFrom(b)
		if err != nil && errors.Is(err, net.ErrClosed) && r.conn() != c {
			continue // rebound: read from the new socket
		}
		return n, a, err
	}
}

func (r *rebindConn) WriteTo(b []byte, a net.Addr) (int, error) { return r.conn().WriteTo(b, a) }
func (r *rebindConn) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur.Close()
}
func (r *rebindConn) LocalAddr() net.Addr                { return r.conn().LocalAddr() }
func (r *rebindConn) SetDeadline(t time.Time) error      { return r.conn().SetDeadline(t) }
func (r *rebindConn) SetReadDeadline(t time.Time) error  { return r.conn().SetReadDeadline(t) }
func (r *rebindConn) SetWriteDeadline(t time.Time) error { return r.conn().SetWriteDeadline(t) }

func TestDTLSConnectionIDFollowsAddressChange(t *testing.T) {
	srv := &peerCatcher{reply: echoPath}
	ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{PSK: pskLookup})
	rc := newRebindConn(t)
	c := dial(t, ep.Addr().String(), coap.DialConfig{
		PacketConn: rc,
		Config: coap.Config{Handler: coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
			return echoPath(req)
		})},
		DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"]},
	})
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	session := srv.peer.Load()
	before := session.RemoteAddr()
	if before != rc.LocalAddr().String() {
		t.Fatalf("server sees %s, client is at %s", before, rc.LocalAddr())
	}

	rc.rebind(t)
	after := rc.LocalAddr().String()
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd", "x")); err != nil {
		t.Fatalf("request after the source port changed: %v", err)
	}
	if p := srv.peer.Load(); p != session {
		t.Fatalf("a new session was made; the connection ID should have kept the old one")
	}
	if got := session.RemoteAddr(); got != after {
		t.Fatalf("session address %s, want the new %s (was %s)", got, after, before)
	}
	// Downlink goes to the new address.
	resp, err := session.Do(testCtx(t), coap.NewRequest(coap.GET, "3", "0"))
	if err != nil || string(resp.Payload) != "/3/0||" {
		t.Fatalf("server → device after rebinding: %v %v", resp, err)
	}
}

func TestDTLSWithoutConnectionIDLosesSessionOnRebind(t *testing.T) {
	srv := &peerCatcher{reply: echoPath}
	ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{PSK: pskLookup, DisableConnectionID: true})
	rc := newRebindConn(t)
	c := dial(t, ep.Addr().String(), coap.DialConfig{
		PacketConn: rc,
		Config:     fastRetransmit(coap.Config{}),
		DTLS:       &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"]},
	})
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	rc.rebind(t)
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); !errors.Is(err, coap.ErrTimeout) {
		t.Fatalf("without CID a rebound client should not be heard: %v", err)
	}
}

// testPKI makes a CA and a certificate signed by it for each CN.
func testPKI(t *testing.T, cns ...string) (*x509.CertPool, map[string]tls.Certificate) {
	t.Helper()
	ca, err := testpki.NewCA("Shoal test CA")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]tls.Certificate{}
	for _, cn := range cns {
		if out[cn], err = ca.Issue(cn); err != nil {
			t.Fatal(err)
		}
	}
	return ca.Pool, out
}

func verifyWith(pool *x509.CertPool) func([]*x509.Certificate) error {
	return func(chain []*x509.Certificate) error {
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		_, err := chain[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		return err
	}
}

func TestDTLSX509(t *testing.T) {
	pool, certs := testPKI(t, "shoal.test", "dev-x509")
	_, rogue := testPKI(t, "dev-x509")
	srvCert := certs["shoal.test"]
	srv := &peerCatcher{reply: echoPath}
	var f failures
	ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{Certificate: &srvCert, VerifyClient: verifyWith(pool), OnHandshakeFailed: f.add})

	devCert := certs["dev-x509"]
	c := dial(t, ep.Addr().String(), coap.DialConfig{DTLS: &coap.DTLSClientConfig{Certificate: &devCert, RootCAs: pool, ServerName: "shoal.test"}})
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	id := srv.peer.Load().Identity()
	if id.Kind != coap.IdentityX509 || id.CommonName != "dev-x509" || id.Fingerprint != coap.CertFingerprint(devCert.Leaf) || len(id.Chain) != 1 {
		t.Fatalf("server sees identity %+v", id)
	}
	if c.Peer().Identity().CommonName != "shoal.test" {
		t.Fatalf("client sees server identity %v", c.Peer().Identity())
	}

	// A certificate from another CA is refused.
	bad := rogue["dev-x509"]
	_, err := coap.Dial(testCtx(t), ep.Addr().String(), coap.DialConfig{DTLS: &coap.DTLSClientConfig{Certificate: &bad, RootCAs: pool, ServerName: "shoal.test", HandshakeTimeout: 3 * time.Second}})
	if err == nil {
		t.Fatal("a certificate from an unknown CA was accepted")
	}
	waitFor(t, "the refused handshake to be reported", func() bool { return f.count() >= 1 })
	_ = lwm2m.CodeContent
}

// captureClientHello returns the first datagram a pion client sends: a
// real initial ClientHello, to replay from spoofed sources.
func captureClientHello(t *testing.T) []byte {
	t.Helper()
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 2048)
		n, _, err := sink.ReadFrom(buf)
		if err == nil {
			got <- buf[:n]
		}
	}()
	_, _ = coap.Dial(testCtx(t), sink.LocalAddr().String(), coap.DialConfig{
		DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"], HandshakeTimeout: 300 * time.Millisecond}})
	return <-got
}

// TestDTLSSpoofedClientHellosAreBounded: ClientHellos from addresses that
// never echo the cookie get a HelloVerifyRequest and nothing more; beyond
// MaxHandshakes they are dropped and reported; after CookieTimeout they are
// forgotten and a real device connects.
func TestDTLSSpoofedClientHellosAreBounded(t *testing.T) {
	var f failures
	srv := &peerCatcher{reply: echoPath}
	ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{PSK: pskLookup, MaxHandshakes: 3, CookieTimeout: 200 * time.Millisecond, OnHandshakeFailed: f.add})
	hello := captureClientHello(t)
	var spoofers []*net.UDPConn
	for range 5 {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		spoofers = append(spoofers, c)
		if _, err := c.WriteTo(hello, ep.Addr()); err != nil {
			t.Fatal(err)
		}
	}
	answered := 0
	for _, c := range spoofers {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		buf := make([]byte, 2048)
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			continue
		}
		// A HelloVerifyRequest: handshake record, handshake type 3, and
		// small (no server state beyond the cookie is sent).
		if n < 14 || buf[0] != 22 || buf[13] != 3 {
			t.Fatalf("spoofed ClientHello answered with %x", buf[:n])
		}
		answered++
	}
	if answered != 3 {
		t.Fatalf("%d ClientHellos answered, want MaxHandshakes = 3", answered)
	}
	waitFor(t, "refusals and cookie timeouts reported", func() bool { return f.count() >= 5 })
	// The half-open handshakes are gone: a real device gets in.
	c := dial(t, ep.Addr().String(), coap.DialConfig{DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"]}})
	if r, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil || string(r.Payload) != "/rd||" {
		t.Fatalf("real device after the flood: %v %v", r, err)
	}
}

// lastWrite records what a client last sent.
type lastWrite struct {
	net.PacketConn
	mu   sync.Mutex
	last []byte
}

func (l *lastWrite) WriteTo(b []byte, a net.Addr) (int, error) {
	l.mu.Lock()
	l.last = append([]byte(nil), b...)
	l.mu.Unlock()
	return l.PacketConn.WriteTo(b, a)
}

// TestDTLSForgedRecordDoesNotMoveSession: a record carrying the session's
// connection ID but failing authentication, sent from another address, is
// dropped and does not move the session there.
func TestDTLSForgedRecordDoesNotMoveSession(t *testing.T) {
	srv := &peerCatcher{reply: echoPath}
	ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{PSK: pskLookup})
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	lw := &lastWrite{PacketConn: udp}
	c := dial(t, ep.Addr().String(), coap.DialConfig{PacketConn: lw, DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"]}})
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	session := srv.peer.Load()
	home := session.RemoteAddr()
	lw.mu.Lock()
	forged := append([]byte(nil), lw.last...)
	lw.mu.Unlock()
	if forged[0] != 25 {
		t.Fatalf("the client's record is not a connection-ID record: type %d", forged[0])
	}
	forged[len(forged)-1] ^= 0xff // break the tag
	forged[10]++                  // a fresh sequence number
	attacker, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	if _, err := attacker.WriteTo(forged, ep.Addr()); err != nil {
		t.Fatal(err)
	}
	// The device's next request still works, and the session stayed home.
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	if got := session.RemoteAddr(); got != home {
		t.Fatalf("a forged record moved the session from %s to %s", home, got)
	}
	if n := srv.calls.Load(); n != 2 {
		t.Fatalf("handler ran %d times, want 2 (the forged record must not reach it)", n)
	}
}

// TestDTLSClientCloseEndsSession: a device's close_notify ends its
// session on the server.
func TestDTLSClientCloseEndsSession(t *testing.T) {
	srv := &peerCatcher{reply: echoPath}
	ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{PSK: pskLookup})
	c, err := coap.Dial(testCtx(t), ep.Addr().String(), coap.DialConfig{DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"]}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	session := srv.peer.Load()
	_ = c.Close()
	select {
	case <-session.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server kept the session after close_notify")
	}
	n := 0
	ep.Sessions(func(*coap.Peer) { n++ })
	if n != 0 {
		t.Fatalf("%d sessions listed after close", n)
	}
}
