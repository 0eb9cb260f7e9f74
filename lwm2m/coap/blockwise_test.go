package coap_test

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
)

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/256)
	}
	return b
}

// bigDevice answers GET with a large body and records PUT bodies.
type bigDevice struct {
	body  []byte
	gets  atomic.Int32
	mu    sync.Mutex
	puts  [][]byte
	obsRq *coap.Message
}

func (d *bigDevice) ServeCoAP(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
	switch req.Code {
	case coap.GET:
		d.gets.Add(1)
		r := coap.NewResponse(lwm2m.CodeContent, d.getBody())
		r.SetContentFormat(lwm2m.FormatOpaque)
		if v, ok := req.Observe(); ok && v == 0 {
			d.mu.Lock()
			d.obsRq = req.Clone()
			d.mu.Unlock()
			r.SetObserve(1)
		}
		return r
	case coap.PUT:
		d.mu.Lock()
		d.puts = append(d.puts, append([]byte(nil), req.Payload...))
		d.mu.Unlock()
		return coap.NewResponse(lwm2m.CodeChanged, nil)
	}
	return coap.NewResponse(lwm2m.CodeMethodNotAllowed, nil)
}

func (d *bigDevice) getBody() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.body
}

func (d *bigDevice) putBodies() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.puts
}

// registeredDevice dials a device with the given config and returns the
// server's peer for it.
func registeredDevice(t *testing.T, devCfg coap.Config) (*coap.Conn, *coap.Peer) {
	srv := &peerCatcher{}
	ep := serveUDP(t, coap.Config{Handler: srv, MaxBodySize: 64 << 10})
	c := dial(t, ep.Addr().String(), coap.DialConfig{Config: devCfg})
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	return c, srv.peer.Load()
}

func TestBlock2ReadFromDevice(t *testing.T) {
	for _, size := range []int{1024, 256, 16} {
		dev := &bigDevice{body: pattern(3000)}
		_, p := registeredDevice(t, coap.Config{Handler: dev, BlockSize: size})
		resp, err := p.Do(testCtx(t), coap.NewRequest(coap.GET, "5", "0", "0"))
		if err != nil {
			t.Fatalf("block size %d: %v", size, err)
		}
		if !bytes.Equal(resp.Payload, dev.body) {
			t.Fatalf("block size %d: got %d bytes, want %d", size, len(resp.Payload), len(dev.body))
		}
		if _, ok := resp.Block2(); ok {
			t.Fatalf("reassembled response still carries Block2")
		}
		if resp.ContentFormat() != lwm2m.FormatOpaque {
			t.Fatalf("content format lost: %v", resp.ContentFormat())
		}
		// Later blocks are served from the first answer, not by re-running
		// the handler.
		if n := dev.gets.Load(); n != 1 {
			t.Fatalf("block size %d: handler ran %d times", size, n)
		}
	}
}

func TestBlock1WriteToDevice(t *testing.T) {
	body := pattern(5000)
	for _, size := range []int{1024, 64} {
		dev := &bigDevice{}
		_, p := registeredDevice(t, coap.Config{Handler: dev, BlockSize: size})
		req := coap.NewRequest(coap.PUT, "5", "0", "0")
		req.SetContentFormat(lwm2m.FormatOpaque)
		req.Payload = body
		resp, err := p.Do(testCtx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != lwm2m.CodeChanged {
			t.Fatalf("block size %d: %v %q", size, resp, resp.Payload)
		}
		if puts := dev.putBodies(); len(puts) != 1 || !bytes.Equal(puts[0], body) {
			t.Fatalf("block size %d: device got %d bodies", size, len(puts))
		}
	}
}

func TestBlock1TooLargeIsRefused(t *testing.T) {
	dev := &bigDevice{}
	_, p := registeredDevice(t, coap.Config{Handler: dev, MaxBodySize: 2048})
	req := coap.NewRequest(coap.PUT, "5", "0", "0")
	req.Payload = pattern(5000)
	resp, err := p.Do(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != lwm2m.CodeRequestEntityTooLarge {
		t.Fatalf("got %v, want 4.13", resp)
	}
	if s1, ok := resp.Options.Uint(coap.OptSize1); !ok || s1 != 2048 {
		t.Fatalf("4.13 should carry Size1=2048, got %d %v", s1, ok)
	}
	if len(dev.putBodies()) != 0 {
		t.Fatal("handler saw an oversized body")
	}
}

func TestBlock1NegotiatedDownByPeer(t *testing.T) {
	srv := &peerCatcher{}
	ep := serveUDP(t, coap.Config{Handler: srv})
	lc, err := lockstep.New(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if _, err := lc.RoundTrip(lc.Request(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	body := pattern(200)
	done := make(chan *coap.Message, 1)
	go func() {
		req := coap.NewRequest(coap.PUT, "5", "0", "0")
		req.Payload = append(pattern(1024), body...)
		r, err := srv.peer.Load().Do(testCtx(t), req)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	first, err := lc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	b1, ok := first.Block1()
	if !ok || b1.Num != 0 || !b1.More || b1.Size() != 1024 {
		t.Fatalf("first block %v", b1)
	}
	// Accept only 64 bytes: the sender must continue at offset 64 in
	// 64-byte blocks.
	cont := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContinue, MessageID: first.MessageID, Token: first.Token}
	cont.SetBlock1(coap.Block{Num: 0, More: true, SZX: 2})
	if err := lc.Send(cont); err != nil {
		t.Fatal(err)
	}
	second, err := lc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	b1, _ = second.Block1()
	if b1.Num != 1 || b1.Size() != 64 || !bytes.Equal(second.Payload, pattern(1024)[64:128]) {
		t.Fatalf("second block %v with %d bytes", b1, len(second.Payload))
	}
	// Finish early with an error: the sender stops.
	fail := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeInternalServerError, MessageID: second.MessageID, Token: second.Token}
	if err := lc.Send(fail); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r == nil || r.Code != lwm2m.CodeInternalServerError {
		t.Fatalf("Do returned %v", r)
	}
}

func TestBlock1OutOfOrderFromDevice(t *testing.T) {
	srv := &peerCatcher{reply: echoPath}
	ep := serveUDP(t, coap.Config{Handler: srv})
	lc, err := lockstep.New(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	body := pattern(100)
	send := func(num uint32, more bool, data []byte) *coap.Message {
		req := lc.Request(coap.POST, "dp")
		req.SetBlock1(coap.Block{Num: num, More: more, SZX: 1}) // 32-byte blocks
		req.Payload = data
		r, err := lc.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := send(0, true, body[:32]); r.Code != lwm2m.CodeContinue {
		t.Fatalf("block 0: %v", r)
	}
	if r := send(2, true, body[64:96]); r.Code != lwm2m.CodeRequestEntityIncomplete {
		t.Fatalf("skipped block: %v, want 4.08", r)
	}
	// Start over and complete: the handler sees the whole body once.
	send(0, true, body[:32])
	send(1, true, body[32:64])
	send(2, true, body[64:96])
	r := send(3, false, body[96:])
	if r.Code != lwm2m.CodeContent || !bytes.HasSuffix(r.Payload, body) {
		t.Fatalf("final block: %v", r)
	}
	if b1, ok := r.Block1(); !ok || b1.Num != 3 || b1.More {
		t.Fatalf("final response Block1 %v %v", b1, ok)
	}
	if srv.calls.Load() != 1 {
		t.Fatalf("handler ran %d times", srv.calls.Load())
	}
}

func TestBlock2Notification(t *testing.T) {
	dev := &bigDevice{body: []byte("small")}
	c, p := registeredDevice(t, coap.Config{Handler: dev, BlockSize: 256})
	var n notes
	var full []byte
	var mu sync.Mutex
	fn := func(pp *coap.Peer, m *coap.Message) bool {
		mu.Lock()
		full = m.Payload
		mu.Unlock()
		return n.fn(pp, m)
	}
	obs, _, err := p.Observe(testCtx(t), coap.NewRequest(coap.GET, "3", "0"), fn)
	if err != nil || obs == nil {
		t.Fatal(err)
	}
	grown := pattern(1500) // the representation grows
	dev.mu.Lock()
	dev.body = grown
	dev.mu.Unlock()
	note := coap.NewResponse(lwm2m.CodeContent, grown)
	note.SetObserve(2)
	dev.mu.Lock()
	obsReq := dev.obsRq
	dev.mu.Unlock()
	if err := c.Peer().Notify(testCtx(t), obsReq, note); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "block-wise notification", func() bool { return n.count() == 1 })
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Equal(full, grown) {
		t.Fatalf("observer got %d bytes, want %d", len(full), len(grown))
	}
}

// TestBlock1ReassemblyBudget: partial bodies from all peers share one
// budget; a block that would exceed it gets 5.03 and the others go on.
func TestBlock1ReassemblyBudget(t *testing.T) {
	srv := &peerCatcher{reply: echoPath}
	ep := serveUDP(t, coap.Config{Handler: srv, BlockSize: 32, MaxBodySize: 64, MaxReassemblyBytes: 64})
	var peers []*lockstep.Client
	for range 2 {
		lc, err := lockstep.New(ep.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer lc.Close()
		peers = append(peers, lc)
	}
	body := pattern(64)
	send := func(lc *lockstep.Client, num uint32, more bool) *coap.Message {
		req := lc.Request(coap.POST, "dp")
		req.SetBlock1(coap.Block{Num: num, More: more, SZX: 1})
		req.Payload = body[num*32 : num*32+32]
		r, err := lc.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := peers[0], peers[1]
	if r := send(a, 0, true); r.Code != lwm2m.CodeContinue {
		t.Fatalf("a block 0: %v", r)
	}
	if r := send(b, 0, true); r.Code != lwm2m.CodeContinue {
		t.Fatalf("b block 0: %v", r)
	}
	if r := send(a, 1, false); r.Code != lwm2m.CodeServiceUnavailable {
		t.Fatalf("a block 1 over the budget: %v, want 5.03", r)
	}
	// a's partial body was dropped, which makes room for b.
	if r := send(b, 1, false); r.Code != lwm2m.CodeContent {
		t.Fatalf("b block 1: %v %q", r, r.Payload)
	}
}
