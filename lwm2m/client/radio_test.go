package client

import (
	"net"
	"net/netip"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// TestSharedSocketsBufferlessRead: over shared sockets a client reads
// datagrams without a buffer of its own (coap.DatagramReader survives the
// radio wrapper), and one address can be attached once per socket.
func TestSharedSocketsBufferlessRead(t *testing.T) {
	socks, err := NewSharedSockets(2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { socks.Close() })
	pc, err := socks.Attach("127.0.0.77")
	if err != nil {
		t.Fatal(err)
	}
	_, rpc := withRadio(pc)
	dr, ok := rpc.(coap.DatagramReader)
	if !ok {
		t.Fatal("the radio wrapper hides the shared socket's buffer-less read")
	}
	// The same address again lands on the other socket (another port), as
	// a firmware download beside the registration needs; a third fails.
	second, err := socks.Attach("127.0.0.77")
	if err != nil {
		t.Fatalf("second attach of one address on two sockets: %v", err)
	}
	if second.LocalAddr().String() == pc.LocalAddr().String() {
		t.Fatalf("both attaches got %s", pc.LocalAddr())
	}
	if _, err := socks.Attach("127.0.0.77"); err == nil {
		t.Fatal("a third attach of one address on two sockets succeeded")
	}

	sender, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	if _, err := sender.WriteToUDP([]byte("hello"), pc.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatal(err)
	}
	b, from, err := dr.ReadDatagram()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "hello" || from.String() != sender.LocalAddr().String() {
		t.Fatalf("read %q from %s, want \"hello\" from %s", b, from, sender.LocalAddr())
	}
}

// scriptedReader hands over datagrams in order; before each it runs the
// step of the same index (to switch the radio between reads).
type scriptedReader struct {
	net.PacketConn
	data  []string
	steps []func()
}

func (s *scriptedReader) ReadDatagram() ([]byte, netip.AddrPort, error) {
	if len(s.data) == 0 {
		return nil, netip.AddrPort{}, net.ErrClosed
	}
	s.steps[0]()
	d := s.data[0]
	s.data, s.steps = s.data[1:], s.steps[1:]
	return []byte(d), netip.MustParseAddrPort("127.0.0.1:5683"), nil
}

// TestRadioOffDiscardsDatagrams: on the buffer-less path too, what
// arrives while the radio is off is never handed over.
func TestRadioOffDiscardsDatagrams(t *testing.T) {
	sr := &scriptedReader{data: []string{"asleep 1", "asleep 2", "awake"}}
	radio, rpc := withRadio(sr)
	sr.steps = []func(){func() { radio.setRadio(false) }, func() {}, func() { radio.setRadio(true) }}
	b, _, err := rpc.(coap.DatagramReader).ReadDatagram()
	if err != nil || string(b) != "awake" {
		t.Fatalf("read %q, %v; want \"awake\"", b, err)
	}
}
