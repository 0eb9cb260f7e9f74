package coap_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
)

// A response's AfterSend runs once the response is on the wire: a
// request it starts reaches the peer after the response, and a duplicate
// of the request (answered from the cache) does not run it again.
func TestAfterSendRunsOnceResponseWritten(t *testing.T) {
	var runs atomic.Int32
	results := make(chan error, 1)
	h := coap.HandlerFunc(func(_ context.Context, p *coap.Peer, req *coap.Message) *coap.Message {
		resp := coap.NewResponse(lwm2m.CodeCreated, nil)
		resp.AfterSend = func() {
			runs.Add(1)
			go func() {
				_, err := p.Do(context.Background(), coap.NewRequest(coap.GET, "3", "0", "0"))
				results <- err
			}()
		}
		return resp
	})
	ep := serveUDP(t, coap.Config{Handler: h})
	lc, err := lockstep.New(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	m := lc.Request(coap.POST, "rd")
	if err := lc.Send(m); err != nil {
		t.Fatal(err)
	}
	first, err := lc.Recv()
	if err != nil || first.Type != coap.Acknowledgement || first.MessageID != m.MessageID || first.Code != lwm2m.CodeCreated {
		t.Fatalf("first datagram %v (%v), want the ACK 2.01 of message %d", first, err, m.MessageID)
	}
	get, err := lc.Recv()
	if err != nil || get.Code != coap.GET {
		t.Fatalf("second datagram %v (%v), want the GET AfterSend started", get, err)
	}
	if err := lc.Send(&coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: get.MessageID, Token: get.Token}); err != nil {
		t.Fatal(err)
	}
	if err := <-results; err != nil {
		t.Fatalf("AfterSend's request: %v", err)
	}
	// A retransmission of the request gets the cached answer only.
	again, err := lc.RoundTrip(m)
	if err != nil || again.Code != lwm2m.CodeCreated {
		t.Fatalf("duplicate answered %v (%v)", again, err)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("AfterSend ran %d times, want 1", n)
	}
}
