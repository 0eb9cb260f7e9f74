package coap

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/pion/dtls/v3/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v3/pkg/protocol"
	"github.com/pion/dtls/v3/pkg/protocol/recordlayer"
	"github.com/pion/transport/v5/replaydetector"
)

// testFastSession is a lean session with fixed keys on a throwaway
// socket, for feeding it datagrams.
func testFastSession(t testing.TB) (*fastSession, *int) {
	key, iv := make([]byte, 16), make([]byte, 4)
	gcm, err := ciphersuite.NewGCM(key, iv, key, iv)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	m := newDTLSMux(conn, 8, 10, 0)
	addr := netip.MustParseAddrPort("127.0.0.1:9")
	mc := &muxConn{mux: m, in: make(chan muxDatagram, 1), closed: make(chan struct{}), pionGone: make(chan struct{})}
	mc.addr.Store(&addr)
	fs := &fastSession{mux: m, mc: mc, cipher: gcm, replay: replaydetector.New(64, recordlayer.MaxSequenceNumber), addr: addr, addrStr: addr.String()}
	received := 0
	e := newEngine(Config{Handler: HandlerFunc(func(_ context.Context, _ *Peer, _ *Message) *Message { received++; return nil })})
	_ = e.cfg.Validate()
	fs.peer = newPeer(e, fs, Identity{Kind: IdentityPSK})
	return fs, &received
}

func TestFastSessionOpensItsOwnRecords(t *testing.T) {
	fs, received := testFastSession(t)
	req := NewRequest(POST, "rd")
	req.MessageID = 7
	b, _ := req.Encode()
	for _, cid := range [][]byte{nil, []byte("12345678")} {
		fs.sendCID = cid
		rec, err := fs.seal(protocol.ContentTypeApplicationData, b)
		if err != nil {
			t.Fatal(err)
		}
		// The peer's records look like ours (same keys both ways here).
		fs.handle(rec, netip.MustParseAddrPort("127.0.0.1:10"), nil)
		req.MessageID++
		b, _ = req.Encode()
	}
	if *received != 2 {
		t.Fatalf("handler saw %d requests, want 2", *received)
	}
	if fs.remote() != "127.0.0.1:10" {
		t.Fatalf("an authenticated record did not move the session: %s", fs.remote())
	}
}

// FuzzFastSessionHandle: arbitrary datagrams routed to a session are
// dropped or handled, never a panic.
func FuzzFastSessionHandle(f *testing.F) {
	fs, _ := testFastSession(f)
	fs.sendCID = []byte("12345678")
	b, _ := NewRequest(GET, "3").Encode()
	rec, _ := fs.seal(protocol.ContentTypeApplicationData, b)
	f.Add(rec)
	f.Add([]byte{23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Add([]byte{25, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 2, '1', '2', '3', '4', '5', '6', '7', '8', 0, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, d []byte) {
		fs.handle(d, netip.MustParseAddrPort("127.0.0.1:11"), nil)
	})
}

// TestFastSessionAcceptsReorderedRecords: a record overtaken by a later
// one (two server readers taking a device's datagrams in parallel, or
// reordering on the way) is still inside the replay window and must reach
// the engine; dropping it lost a response whenever more than one request
// was in flight (NSTART > 1) until the request was retransmitted. Only
// the newest record moves the session to its address.
func TestFastSessionAcceptsReorderedRecords(t *testing.T) {
	fs, received := testFastSession(t)
	fs.sendCID = []byte("12345678")
	var recs [][]byte
	for mid := range uint16(3) {
		req := NewRequest(POST, "dp")
		req.MessageID = 100 + mid
		b, _ := req.Encode()
		rec, err := fs.seal(protocol.ContentTypeApplicationData, b)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	newest, older := netip.MustParseAddrPort("127.0.0.1:20"), netip.MustParseAddrPort("127.0.0.1:21")
	fs.handle(recs[2], newest, nil)
	fs.handle(recs[0], older, nil)
	fs.handle(recs[1], older, nil)
	if *received != 3 {
		t.Fatalf("handler saw %d of 3 requests whose records arrived out of order", *received)
	}
	if fs.remote() != newest.String() {
		t.Fatalf("an overtaken record moved the session to %s", fs.remote())
	}
	// A replayed record is still dropped.
	fs.handle(recs[0], older, nil)
	if *received != 3 {
		t.Fatal("a replayed record reached the handler")
	}
}
