package coap_test

import (
	"net"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/coap"
)

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
