package coap_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
)

func echoPath(req *coap.Message) *coap.Message {
	r := coap.NewResponse(lwm2m.CodeContent, []byte(req.PathString()+"|"+strings.Join(req.Query(), "&")+"|"+string(req.Payload)))
	r.SetContentFormat(lwm2m.FormatText)
	return r
}

func TestUDPRequestResponse(t *testing.T) {
	h := &peerCatcher{reply: echoPath}
	ep := serveUDP(t, coap.Config{Handler: h})
	c := dial(t, ep.Addr().String(), coap.DialConfig{})

	req := coap.NewRequest(coap.POST, "rd")
	req.AddQuery("ep=dev1", "lt=60")
	req.Payload = []byte("</3/0>")
	resp, err := c.Do(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != lwm2m.CodeContent || resp.Type != coap.Acknowledgement {
		t.Fatalf("got %v, want piggybacked 2.05", resp)
	}
	if got, want := string(resp.Payload), "/rd|ep=dev1&lt=60|</3/0>"; got != want {
		t.Fatalf("payload %q, want %q", got, want)
	}
	if resp.ContentFormat() != lwm2m.FormatText {
		t.Fatalf("content format %v", resp.ContentFormat())
	}

	// A NON request gets a NON response.
	non := coap.NewRequest(coap.GET, "x")
	non.Type = coap.NonConfirmable
	resp, err = c.Do(testCtx(t), non)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Type != coap.NonConfirmable || string(resp.Payload) != "/x||" {
		t.Fatalf("NON exchange: got %v %q", resp, resp.Payload)
	}
}

func TestUDPServerRequestsClient(t *testing.T) {
	h := &peerCatcher{}
	ep := serveUDP(t, coap.Config{Handler: h})
	c := dial(t, ep.Addr().String(), coap.DialConfig{LocalAddr: "127.0.0.1:0", Config: coap.Config{Handler: coap.HandlerFunc(
		func(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
			return echoPath(req)
		})}})
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	dev := h.peer.Load()
	if dev.RemoteAddr() != c.LocalAddr().String() {
		t.Fatalf("server sees %s, client is %s", dev.RemoteAddr(), c.LocalAddr())
	}
	resp, err := dev.Do(testCtx(t), coap.NewRequest(coap.GET, "3", "0", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Payload) != "/3/0/1||" {
		t.Fatalf("device answered %q", resp.Payload)
	}
	if dev.Identity().Kind != coap.IdentityNone || dev.Secure() {
		t.Fatalf("plain UDP peer has identity %v", dev.Identity())
	}
}

func TestUDPRetransmittedRequestAnsweredOnceWithSameBytes(t *testing.T) {
	h := &peerCatcher{reply: echoPath}
	ep := serveUDP(t, coap.Config{Handler: h})
	lc, err := lockstep.New(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	req := lc.Request(coap.POST, "rd")
	req.AddQuery("ep=dup")
	first, err := lc.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	raw1, _ := first.Encode()
	// The same datagram again, as a device whose ACK got lost would send it.
	second, err := lc.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	raw2, _ := second.Encode()
	if !bytes.Equal(raw1, raw2) {
		t.Fatalf("retransmission answered differently:\n%x\n%x", raw1, raw2)
	}
	if n := h.calls.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
	// A new message id is a new request.
	req2 := req.Clone()
	req2.MessageID = lc.NextMID()
	if _, err := lc.RoundTrip(req2); err != nil {
		t.Fatal(err)
	}
	if n := h.calls.Load(); n != 2 {
		t.Fatalf("handler ran %d times after a new message id, want 2", n)
	}
}

func TestUDPPingAndBadInput(t *testing.T) {
	h := &peerCatcher{reply: echoPath}
	var mu sync.Mutex
	var malformed []error
	ep := serveUDP(t, coap.Config{Handler: h, OnMalformed: func(_ *coap.Peer, err error) {
		mu.Lock()
		malformed = append(malformed, err)
		mu.Unlock()
	}})
	lc, err := lockstep.New(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()

	// CoAP ping: empty CON → RST.
	ping := &coap.Message{Type: coap.Confirmable, MessageID: lc.NextMID()}
	r, err := lc.RoundTrip(ping)
	if err != nil || r.Type != coap.Reset {
		t.Fatalf("ping: %v %v", r, err)
	}

	// Unknown critical option → 4.02 with a diagnostic.
	req := lc.Request(coap.GET, "3")
	req.Options = req.Options.Add(coap.OptionID(2049), []byte{1})
	r, err = lc.RoundTrip(req)
	if err != nil || r.Code != lwm2m.CodeBadOption || !strings.Contains(string(r.Payload), "2049") {
		t.Fatalf("unknown critical option: %v %q %v", r, r.Payload, err)
	}

	// A payload marker with no payload is a format error; a request whose
	// header and token were readable gets 4.00 with the reason.
	req = lc.Request(coap.POST, "rd")
	raw, _ := req.Encode()
	raw = append(raw, 0xff)
	if err := lc.SendRaw(raw); err != nil {
		t.Fatal(err)
	}
	r, err = lc.Recv()
	if err != nil || r.Code != lwm2m.CodeBadRequest || r.MessageID != req.MessageID || !strings.Contains(string(r.Payload), "byte") {
		t.Fatalf("malformed request: %v %q %v", r, r.Payload, err)
	}
	// Token length 9 is reserved: the message cannot be answered with a
	// response, only reset.
	if err := lc.SendRaw([]byte{0x49, 0x01, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 9}); err != nil {
		t.Fatal(err)
	}
	r, err = lc.Recv()
	if err != nil || r.Type != coap.Reset || r.MessageID != 0x1234 {
		t.Fatalf("reserved token length: %v %v", r, err)
	}
	if h.calls.Load() != 0 {
		t.Fatalf("handler ran for bad input")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(malformed) != 3 {
		t.Fatalf("OnMalformed saw %d errors, want 3: %v", len(malformed), malformed)
	}
}

func TestUDPRequestTimeout(t *testing.T) {
	h := &peerCatcher{}
	ep := serveUDP(t, fastRetransmit(coap.Config{Handler: h}))
	lc, err := lockstep.New(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if _, err := lc.RoundTrip(lc.Request(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	dev := h.peer.Load()
	errc := make(chan error, 1)
	go func() {
		_, err := dev.Do(testCtx(t), coap.NewRequest(coap.GET, "3", "0"))
		errc <- err
	}()
	// The silent device sees the request and two retransmissions, all with
	// the same message id.
	var mids []uint16
	for range 3 {
		m, err := lc.Recv()
		if err != nil {
			t.Fatal(err)
		}
		mids = append(mids, m.MessageID)
	}
	if mids[0] != mids[1] || mids[1] != mids[2] {
		t.Fatalf("retransmissions changed message id: %v", mids)
	}
	if err := <-errc; !errors.Is(err, coap.ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}

	// A context deadline is reported as ErrTimeout too.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := dev.Do(ctx, coap.NewRequest(coap.GET, "3")); !errors.Is(err, coap.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: got %v", err)
	}
}

func TestUDPSeparateResponse(t *testing.T) {
	h := &peerCatcher{}
	ep := serveUDP(t, coap.Config{Handler: h})
	lc, err := lockstep.New(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if _, err := lc.RoundTrip(lc.Request(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	dev := h.peer.Load()
	type result struct {
		m   *coap.Message
		err error
	}
	res := make(chan result, 1)
	go func() {
		m, err := dev.Do(testCtx(t), coap.NewRequest(coap.GET, "3", "0", "0"))
		res <- result{m, err}
	}()
	req, err := lc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if err := lc.Ack(req); err != nil { // empty ACK: the answer comes later
		t.Fatal(err)
	}
	sep := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, MessageID: lc.NextMID(), Token: req.Token, Payload: []byte("Shoal")}
	ack, err := lc.RoundTrip(sep)
	if err != nil || ack.Type != coap.Acknowledgement || !ack.IsEmpty() {
		t.Fatalf("separate response not acknowledged: %v %v", ack, err)
	}
	r := <-res
	if r.err != nil || string(r.m.Payload) != "Shoal" {
		t.Fatalf("Do: %v %v", r.m, r.err)
	}
}

func TestUDPIPv6(t *testing.T) {
	ep, err := coap.ListenUDP("udp", "[::1]:0", coap.Config{Handler: &peerCatcher{reply: echoPath}})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	runEndpoint(t, ep)
	c := dial(t, ep.Addr().String(), coap.DialConfig{LocalAddr: "[::1]:0"})
	r, err := c.Do(testCtx(t), coap.NewRequest(coap.GET, "v6"))
	if err != nil || string(r.Payload) != "/v6||" {
		t.Fatalf("over IPv6: %v %v", r, err)
	}
}

// TestUDPDualStack: a wildcard listener (the default ":5683") serves an
// IPv4 client through its IPv6 socket (v4-mapped addresses both ways).
func TestUDPDualStack(t *testing.T) {
	ep, err := coap.ListenUDP("udp", ":0", coap.Config{Handler: &peerCatcher{reply: echoPath}})
	if err != nil {
		t.Fatal(err)
	}
	runEndpoint(t, ep)
	_, port, _ := strings.Cut(ep.Addr().String(), "]:")
	c := dial(t, "127.0.0.1:"+port, coap.DialConfig{LocalAddr: "127.0.0.1:0"})
	r, err := c.Do(testCtx(t), coap.NewRequest(coap.GET, "v4"))
	if err != nil || string(r.Payload) != "/v4||" {
		t.Fatalf("IPv4 client on a dual-stack listener: %v %v", r, err)
	}
}
