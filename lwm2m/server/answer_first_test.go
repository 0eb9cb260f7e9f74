package server_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// readOnEvent is a server whose listener reads /3/0/0 of a device as soon
// as it hears of its Registered (and Updated) event, as dm does; results
// carries the reads' errors.
func readOnEvent(t *testing.T) (*server.Server, *recorder, chan error) {
	t.Helper()
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	var srv atomic.Pointer[server.Server]
	results := make(chan error, 64)
	read := func(ep string) {
		go func() {
			_, err := srv.Load().Send(context.Background(), ep, req(lwm2m.OpRead, "/3/0/0"))
			results <- err
		}()
	}
	rec.onReg = func(r server.Registration) { read(r.Endpoint) }
	s := startServer(t, cfg)
	srv.Store(s)
	return s, rec, results
}

// answerFirst sends m and checks the first datagram back is its
// piggybacked answer with code want, then answers the read the listener
// sent and waits for that read to finish.
func answerFirst(t *testing.T, lc *lockstep.Client, m *coap.Message, want lwm2m.Code, results chan error) *coap.Message {
	t.Helper()
	if err := lc.Send(m); err != nil {
		t.Fatal(err)
	}
	first, err := lc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if first.Type != coap.Acknowledgement || first.MessageID != m.MessageID || first.Code != want {
		t.Fatalf("first datagram after %s %s is %v, want the ACK %s of message %d", coap.MethodName(m.Code), m.PathString(), first, want, m.MessageID)
	}
	read, err := lc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if read.Code != coap.GET || read.PathString() != "/3/0/0" {
		t.Fatalf("second datagram is %v, want the listener's GET /3/0/0", read)
	}
	ans := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: read.MessageID, Token: read.Token, Payload: []byte("x")}
	ans.SetContentFormat(lwm2m.FormatText)
	if err := lc.Send(ans); err != nil {
		t.Fatal(err)
	}
	if err := <-results; err != nil {
		t.Fatalf("listener's read: %v", err)
	}
	return first
}

// gatedQueue is the in-memory hold queue whose first Len call blocks
// until open is closed. The server asks Len while it handles a queue-mode
// device's Register, after the point where Registered used to be emitted
// and before the 2.01 goes out: holding it there until the device has
// received something lays bare whatever the listener sent meanwhile.
type gatedQueue struct {
	*server.MemoryQueue
	once sync.Once
	open chan struct{}
}

func (q *gatedQueue) Len(ep string) int {
	q.once.Do(func() { <-q.open })
	return q.MemoryQueue.Len(ep)
}

// Listeners hear of a registration only once its 2.01 is written, so the
// requests they send in reply reach the device after it (Leshan behaves
// the same). Before, the Registered event went out while the Register was
// still being handled: here the handler is held (see gatedQueue) until
// the device received a datagram, so before the fix the 2.01 could not
// come first — the read did, or (as the handler holds the device's lock
// there) nothing at all.
func TestRegisteredAfterAnswerWritten(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	q := &gatedQueue{MemoryQueue: server.NewMemoryQueue(8), open: make(chan struct{})}
	cfg.Queue = q
	var srv atomic.Pointer[server.Server]
	results := make(chan error, 1)
	rec.onReg = func(r server.Registration) {
		go func() {
			_, err := srv.Load().Send(context.Background(), r.Endpoint, req(lwm2m.OpRead, "/3/0/0"))
			results <- err
		}()
	}
	s := startServer(t, cfg)
	srv.Store(s)
	var openOnce sync.Once
	release := func() { openOnce.Do(func() { close(q.open) }) }
	t.Cleanup(release) // runs before the server stops
	lc := device(t, s)
	m := lc.Request(coap.POST, "rd")
	m.AddQuery("ep=gated", "lwm2m=1.1", "Q")
	m.SetContentFormat(lwm2m.FormatLinkFormat)
	m.Payload = []byte(`</3/0>`)
	if err := lc.Send(m); err != nil {
		t.Fatal(err)
	}
	first, err := lc.Recv()
	release()
	if err != nil {
		t.Fatalf("nothing reached the device while its Register was handled (no 2.01 before the listener ran): %v", err)
	}
	if first.Type != coap.Acknowledgement || first.MessageID != m.MessageID || first.Code != lwm2m.CodeCreated {
		t.Fatalf("first datagram after Register is %v, want the ACK 2.01 of message %d", first, m.MessageID)
	}
	read, err := lc.Recv()
	if err != nil || read.Code != coap.GET || read.PathString() != "/3/0/0" {
		t.Fatalf("second datagram is %v (%v), want the listener's GET /3/0/0", read, err)
	}
	ans := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: read.MessageID, Token: read.Token, Payload: []byte("x")}
	ans.SetContentFormat(lwm2m.FormatText)
	if err := lc.Send(ans); err != nil {
		t.Fatal(err)
	}
	if err := <-results; err != nil {
		t.Fatalf("listener's read: %v", err)
	}
}

// The same without the gate, for many devices, as the third-party client
// saw it (not reliably reproduced on loopback before the fix).
func TestRegisteredAfterAnswerWrittenMany(t *testing.T) {
	s, _, results := readOnEvent(t)
	for i := range 20 {
		lc := device(t, s)
		m := lc.Request(coap.POST, "rd")
		m.AddQuery(fmt.Sprintf("ep=first-%d", i), "lwm2m=1.1")
		m.SetContentFormat(lwm2m.FormatLinkFormat)
		m.Payload = []byte(`</3/0>`)
		answerFirst(t, lc, m, lwm2m.CodeCreated, results)
	}
}

// The same holds for Updated and the 2.04 (a regression check: the
// race did not show on loopback before the fix).
func TestUpdatedAfterAnswerWritten(t *testing.T) {
	s, rec, results := readOnEvent(t)
	lc := device(t, s)
	m := lc.Request(coap.POST, "rd")
	m.AddQuery("ep=upd-first", "lwm2m=1.1")
	m.SetContentFormat(lwm2m.FormatLinkFormat)
	m.Payload = []byte(`</3/0>`)
	id := location(t, answerFirst(t, lc, m, lwm2m.CodeCreated, results))
	rec.mu.Lock()
	rec.onReg = nil
	rec.onUpd = func(u server.Update) {
		go func() {
			_, err := s.Send(context.Background(), u.Registration.Endpoint, req(lwm2m.OpRead, "/3/0/0"))
			results <- err
		}()
	}
	rec.mu.Unlock()
	for range 20 {
		answerFirst(t, lc, lc.Request(coap.POST, "rd", id), lwm2m.CodeChanged, results)
	}
}
