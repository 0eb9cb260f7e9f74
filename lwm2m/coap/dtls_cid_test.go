package coap_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
)

func TestDTLSConnectionIDFollowsAddressChange(t *testing.T) {
	srv := &peerCatcher{reply: echoPath}
	ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{PSK: pskLookup})
	rc, err := lockstep.NewRebindConn()
	if err != nil {
		t.Fatal(err)
	}
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

	if err := rc.Rebind(); err != nil {
		t.Fatal(err)
	}
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
	rc, err := lockstep.NewRebindConn()
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ep.Addr().String(), coap.DialConfig{
		PacketConn: rc,
		Config:     fastRetransmit(coap.Config{}),
		DTLS:       &coap.DTLSClientConfig{PSKIdentity: []byte("dev-psk"), PSK: testKeys["dev-psk"]},
	})
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	if err := rc.Rebind(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); !errors.Is(err, coap.ErrTimeout) {
		t.Fatalf("without CID a rebound client should not be heard: %v", err)
	}
}

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
