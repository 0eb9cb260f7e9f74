package coap

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
)

// clientHelloFE00 is a record header (handshake, {254,0}, epoch 0, seq 0,
// length 12) followed by a ClientHello handshake header (type 1, length 0,
// message_seq 0, fragment 0/0) and no body.
var clientHelloFE00 = []byte{22, 0xfe, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

func TestNormaliseRecordVersions(t *testing.T) {
	d := append([]byte(nil), clientHelloFE00...)
	// A second record in the same datagram, already FEFF, and an epoch-1
	// record with an odd version, which must be left alone.
	d = append(d, 22, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2)
	d = append(d, 23, 0xfe, 0x01, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 9)
	if n := normaliseRecordVersions(d); n != 1 {
		t.Fatalf("changed %d records, want 1", n)
	}
	if d[1] != 0xfe || d[2] != 0xfd {
		t.Fatalf("first record version %x %x, want fe fd", d[1], d[2])
	}
	if d[25+2] != 0xff || d[39+2] != 0x01 {
		t.Fatal("other records were touched")
	}
	if !isClientHello(clientHelloFE00) || !isInitialClientHello(clientHelloFE00) {
		t.Fatal("ClientHello not recognised")
	}
	if isClientHello(d[39:]) {
		t.Fatal("an application-data record taken for a ClientHello")
	}
}

func FuzzNormaliseRecordVersions(f *testing.F) {
	f.Add(clientHelloFE00)
	f.Add([]byte{25, 0xfe, 0xfd, 0, 1})
	f.Fuzz(func(t *testing.T, d []byte) {
		orig := append([]byte(nil), d...)
		n := normaliseRecordVersions(d)
		diff := 0
		for i := range d {
			if d[i] != orig[i] {
				diff++
				if d[i] != 0xfd || i == 0 {
					t.Fatalf("byte %d changed to %x", i, d[i])
				}
			}
		}
		if diff != n {
			t.Fatalf("reported %d changes, made %d", n, diff)
		}
		_ = isInitialClientHello(d)
		_ = bytes.Equal(d, orig)
	})
}

// TestMuxQueuesHandshakeBursts: a burst of ClientHellos larger than the
// accept loop can take at once waits for it instead of being dropped
// (a dropped ClientHello costs its device a flight timeout, 1 s and
// doubling); only the handshake cap refuses.
func TestMuxQueuesHandshakeBursts(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const limit = 1000
	m := newDTLSMux(conn, 8, limit, 0)
	refused := 0
	m.onRefused = func(netip.AddrPort, string) { refused++ }
	for i := range limit + 10 {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, byte(i >> 8), byte(i)}), 40000)
		m.route(append([]byte(nil), clientHelloFE00...), from, nil)
	}
	if len(m.accept) != limit || m.handshaking != limit || refused != 10 {
		t.Fatalf("%d handshakes queued, %d counted, %d refused; want %d, %d, 10", len(m.accept), m.handshaking, refused, limit, limit)
	}
}
