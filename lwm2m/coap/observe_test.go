package coap_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
)

// observedDevice is a device-side handler that accepts observations and
// remembers the requests, so the test can notify.
type observedDevice struct {
	mu      sync.Mutex
	obs     []*coap.Message
	cancels []*coap.Message
}

func (d *observedDevice) ServeCoAP(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
	r := coap.NewResponse(lwm2m.CodeContent, []byte("20"))
	if v, ok := req.Observe(); ok {
		d.mu.Lock()
		if v == 0 {
			d.obs = append(d.obs, req.Clone())
			r.SetObserve(1)
		} else {
			d.cancels = append(d.cancels, req.Clone())
		}
		d.mu.Unlock()
	}
	return r
}

func (d *observedDevice) last() *coap.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.obs[len(d.obs)-1]
}

type notes struct {
	mu    sync.Mutex
	got   []string
	peers []*coap.Peer
}

func (n *notes) fn(p *coap.Peer, m *coap.Message) bool {
	n.mu.Lock()
	n.got = append(n.got, string(m.Payload))
	n.peers = append(n.peers, p)
	n.mu.Unlock()
	return true
}

func (n *notes) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.got)
}

func TestObserveNotifyAndCancel(t *testing.T) {
	srv := &peerCatcher{}
	ep := serveUDP(t, coap.Config{Handler: srv})
	dev := &observedDevice{}
	resets := make(chan coap.Token, 1)
	c := dial(t, ep.Addr().String(), coap.DialConfig{Config: coap.Config{Handler: dev, OnReset: func(_ *coap.Peer, tok coap.Token) { resets <- tok }}})
	ctx := testCtx(t)
	if _, err := c.Do(ctx, coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	p := srv.peer.Load()

	var n notes
	obs, first, err := p.Observe(ctx, coap.NewRequest(coap.GET, "3303", "0", "5700"), n.fn)
	if err != nil || obs == nil {
		t.Fatalf("Observe: %v %v", obs, err)
	}
	if string(first.Payload) != "20" {
		t.Fatalf("first response %q", first.Payload)
	}
	req := dev.last()
	if req.Token != obs.Token() {
		t.Fatalf("device saw token %s, observation has %s", req.Token, obs.Token())
	}

	// Confirmable and non-confirmable notifications reach the observer.
	con := coap.NewResponse(lwm2m.CodeContent, []byte("21"))
	con.Type = coap.Confirmable
	con.SetObserve(2)
	if err := c.Peer().Notify(ctx, req, con); err != nil {
		t.Fatalf("CON notify: %v", err)
	}
	non := coap.NewResponse(lwm2m.CodeContent, []byte("22"))
	non.Type = coap.NonConfirmable
	non.SetObserve(3)
	if err := c.Peer().Notify(ctx, req, non); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two notifications", func() bool { return n.count() == 2 })
	if n.got[0] != "21" || n.got[1] != "22" {
		t.Fatalf("notifications %v", n.got)
	}

	// Reactive cancel: forgotten locally, the next notification is reset.
	obs.Forget()
	con.SetObserve(4)
	if err := c.Peer().Notify(ctx, req, con); !errors.Is(err, coap.ErrReset) {
		t.Fatalf("notify after Forget: %v, want ErrReset", err)
	}
	non.SetObserve(5)
	if err := c.Peer().Notify(ctx, req, non); err != nil {
		t.Fatal(err)
	}
	if tok := <-resets; tok != req.Token {
		t.Fatalf("OnReset for %s, want %s", tok, req.Token)
	}

	// Active cancel: GET with Observe=1 and the same token.
	obs2, _, err := p.Observe(ctx, coap.NewRequest(coap.GET, "3303", "0", "5700"), n.fn)
	if err != nil || obs2 == nil {
		t.Fatal(err)
	}
	if _, err := obs2.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	dev.mu.Lock()
	cancels := dev.cancels
	dev.mu.Unlock()
	if len(cancels) != 1 || cancels[0].Token != obs2.Token() {
		t.Fatalf("device saw cancels %v", cancels)
	}
	if n.count() != 2 {
		t.Fatalf("notifications after cancel: %v", n.got)
	}
}

func TestObserveStaleTokenGetsReset(t *testing.T) {
	srv := &peerCatcher{}
	ep := serveUDP(t, coap.Config{Handler: srv})
	lc, err := lockstep.New(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	n := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, MessageID: lc.NextMID(), Token: lc.NextToken(), Payload: []byte("1")}
	n.SetObserve(7)
	r, err := lc.RoundTrip(n)
	if err != nil || r.Type != coap.Reset {
		t.Fatalf("stale notification answered %v %v, want RST", r, err)
	}
	// A retransmission of it is reset again, from the de-duplication cache.
	r, err = lc.RoundTrip(n)
	if err != nil || r.Type != coap.Reset {
		t.Fatalf("retransmitted stale notification answered %v %v", r, err)
	}
}

func TestObserveAfterAddressChange(t *testing.T) {
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
	p := srv.peer.Load()
	var n notes
	type res struct {
		o   *coap.Observation
		err error
	}
	done := make(chan res, 1)
	go func() {
		o, _, err := p.Observe(testCtx(t), coap.NewRequest(coap.GET, "3", "0", "9"), n.fn)
		done <- res{o, err}
	}()
	req, err := lc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := req.Observe(); !ok || v != 0 {
		t.Fatalf("expected an observe request, got %v", req)
	}
	ack := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: req.MessageID, Token: req.Token, Payload: []byte("90")}
	ack.SetObserve(1)
	if err := lc.Send(ack); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.o == nil {
		t.Fatalf("observe: %v", r.err)
	}

	// The device's NAT binding changes while it sleeps.
	old := lc.Addr()
	if err := lc.Rebind(); err != nil {
		t.Fatal(err)
	}
	note := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, MessageID: lc.NextMID(), Token: req.Token, Payload: []byte("85")}
	note.SetObserve(2)
	a, err := lc.RoundTrip(note)
	if err != nil || a.Type != coap.Acknowledgement {
		t.Fatalf("notification from the new address answered %v %v, want ACK", a, err)
	}
	if n.count() != 1 || n.got[0] != "85" {
		t.Fatalf("observer got %v", n.got)
	}
	if got := n.peers[0].RemoteAddr(); got == old || got != lc.Addr() {
		t.Fatalf("notification attributed to %s; old %s, new %s", got, old, lc.Addr())
	}
}
