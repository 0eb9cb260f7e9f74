package coap_test

import (
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
)

// observed sets up an observation of /3/0/9 held by the server side of a
// UDP endpoint, with a scripted device on the other end. It returns the
// observation, the device, the observe request the device received and
// what the observer was notified of.
func observed(t *testing.T) (*coap.Observation, *lockstep.Client, *coap.Message, *notes) {
	t.Helper()
	srv := &peerCatcher{}
	// One reader: the script's datagrams are then handled in the order
	// sent (an empty ACK before the separate response that follows it).
	ep := serveUDP(t, coap.Config{Handler: srv, Readers: 1})
	lc, err := lockstep.New(ep.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lc.Close() })
	if _, err := lc.RoundTrip(lc.Request(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	p := srv.peer.Load()
	n := &notes{}
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
	ack := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: req.MessageID, Token: req.Token, Payload: []byte("first")}
	ack.SetObserve(1)
	if err := lc.Send(ack); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.o == nil {
		t.Fatalf("observe: %v", r.err)
	}
	return r.o, lc, req, n
}

type cancelResult struct {
	m   *coap.Message
	err error
}

// startCancel cancels o in the background and returns the deregistration
// the device received.
func startCancel(t *testing.T, o *coap.Observation, lc *lockstep.Client) (<-chan cancelResult, *coap.Message) {
	t.Helper()
	done := make(chan cancelResult, 1)
	go func() {
		m, err := o.Cancel(testCtx(t))
		done <- cancelResult{m, err}
	}()
	c, err := lc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := c.Observe(); !ok || v != 1 || c.Code != coap.GET || c.Type != coap.Confirmable {
		t.Fatalf("expected a CON GET with Observe=1, got %v", c)
	}
	return done, c
}

// A notification sent before the device saw the deregistration arrives
// while it is outstanding: it is a notification (acknowledged and
// delivered), not the deregistration's answer, which is the ACK that
// follows.
func TestObserveCancelNotAnsweredByNotificationInFlight(t *testing.T) {
	o, lc, obsReq, n := observed(t)
	done, c := startCancel(t, o, lc)

	note := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, MessageID: lc.NextMID(), Token: obsReq.Token, Payload: []byte("in-flight")}
	note.SetObserve(2)
	a, err := lc.RoundTrip(note)
	if err != nil || a.Type != coap.Acknowledgement || !a.IsEmpty() {
		t.Fatalf("in-flight notification answered %v %v, want an empty ACK", a, err)
	}
	ans := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: c.MessageID, Token: c.Token, Payload: []byte("answer")}
	if err := lc.Send(ans); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || string(r.m.Payload) != "answer" {
		t.Fatalf("cancel returned %v %v, want the ACK with payload %q", r.m, r.err, "answer")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.got) != 1 || n.got[0] != "in-flight" {
		t.Fatalf("observer got %q, want the in-flight notification", n.got)
	}
}

// The piggybacked ACK to the deregistration is its answer even when it
// carries an Observe option (as Telefónica's lwm2m-node-lib sends it).
func TestObserveCancelAnsweredByAckWithObserve(t *testing.T) {
	o, lc, _, n := observed(t)
	done, c := startCancel(t, o, lc)

	ans := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: c.MessageID, Token: c.Token, Payload: []byte("answer")}
	ans.SetObserve(3)
	if err := lc.Send(ans); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || string(r.m.Payload) != "answer" {
		t.Fatalf("cancel returned %v %v, want the ACK with payload %q", r.m, r.err, "answer")
	}
	if got := n.count(); got != 0 {
		t.Fatalf("the answer was also taken as a notification (%d notified)", got)
	}
}

// After an empty ACK, the separate response to the deregistration is its
// answer, Observe option or not.
func TestObserveCancelSeparateAnswerWithObserve(t *testing.T) {
	o, lc, _, n := observed(t)
	done, c := startCancel(t, o, lc)

	if err := lc.Ack(c); err != nil {
		t.Fatal(err)
	}
	sep := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, MessageID: lc.NextMID(), Token: c.Token, Payload: []byte("answer")}
	sep.SetObserve(4)
	a, err := lc.RoundTrip(sep)
	if err != nil || a.Type != coap.Acknowledgement {
		t.Fatalf("separate answer answered %v %v, want ACK", a, err)
	}
	r := <-done
	if r.err != nil || string(r.m.Payload) != "answer" {
		t.Fatalf("cancel returned %v %v, want the separate response with payload %q", r.m, r.err, "answer")
	}
	if got := n.count(); got != 0 {
		t.Fatalf("the answer was also taken as a notification (%d notified)", got)
	}
}
