package coap_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// serveUDP starts a UDP endpoint on 127.0.0.1:0 and stops it at cleanup,
// checking that Serve returns.
func serveUDP(t *testing.T, cfg coap.Config) *coap.Endpoint {
	t.Helper()
	ep, err := coap.ListenUDP("udp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	runEndpoint(t, ep)
	return ep
}

func runEndpoint(t *testing.T, ep *coap.Endpoint) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ep.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func dial(t *testing.T, addr string, cfg coap.DialConfig) *coap.Conn {
	t.Helper()
	c, err := coap.Dial(testCtx(t), addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testCtx bounds a test's blocking calls so a bug fails instead of hanging.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// peerCatcher is a handler that remembers the last peer it saw and answers
// with a fixed response.
type peerCatcher struct {
	peer  atomic.Pointer[coap.Peer]
	calls atomic.Int32
	reply func(req *coap.Message) *coap.Message
}

func (pc *peerCatcher) ServeCoAP(_ context.Context, p *coap.Peer, req *coap.Message) *coap.Message {
	pc.peer.Store(p)
	pc.calls.Add(1)
	if pc.reply != nil {
		return pc.reply(req)
	}
	return coap.NewResponse(lwm2m.CodeChanged, nil)
}

// waitFor polls cond until it holds or the test context ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fastRetransmit(c coap.Config) coap.Config {
	c.AckTimeout = 30 * time.Millisecond
	c.AckRandomFactor = 1
	c.MaxRetransmit = 2
	return c
}
