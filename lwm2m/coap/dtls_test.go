package coap_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/coap"
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
	// Each failure names the identity the client offered, never a key.
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, err := range f.errs {
		var he *coap.HandshakeError
		if !errors.As(err, &he) {
			t.Fatalf("reported %T %v: want a *coap.HandshakeError", err, err)
		}
		if strings.Contains(err.Error(), "wrong key") {
			t.Fatalf("the key leaked into %q", err)
		}
		ids = append(ids, string(he.PSKIdentity))
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"dev-psk", "nobody"}) {
		t.Fatalf("identities reported %q", ids)
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

// TestDTLSDualStack: the default wildcard DTLS listener serves an IPv4
// device, handshake and lean record layer alike.
func TestDTLSDualStack(t *testing.T) {
	srv := &peerCatcher{reply: echoPath}
	ep, err := coap.ListenDTLS("udp", ":0", coap.Config{Handler: srv}, coap.DTLSConfig{PSK: pskLookup})
	if err != nil {
		t.Fatal(err)
	}
	runEndpoint(t, ep)
	_, port, _ := strings.Cut(ep.Addr().String(), "]:")
	c := dial(t, "127.0.0.1:"+port, coap.DialConfig{LocalAddr: "127.0.0.1:0", DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"]}})
	for range 3 {
		if r, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil || string(r.Payload) != "/rd||" {
			t.Fatalf("IPv4 device on a dual-stack DTLS listener: %v %v", r, err)
		}
	}
	if r, err := srv.peer.Load().Do(testCtx(t), coap.NewRequest(coap.GET, "3")); err != nil || r.Code.Class() == 0 {
		t.Fatalf("server to device: %v %v", r, err)
	}
}
