package server_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// stored reports whether the stores hold a registration and how many
// observations for ep.
func stored(t *testing.T, regs *server.MemoryRegistrations, obs *server.MemoryObservations, ep string) (bool, int) {
	t.Helper()
	rs, _ := regs.LoadRegistrations(context.Background())
	os, _ := obs.LoadObservations(context.Background())
	n := 0
	for _, o := range os {
		if o.Endpoint == ep {
			n++
		}
	}
	return slices.ContainsFunc(rs, func(r server.Registration) bool { return r.Endpoint == ep }), n
}

// TestForget: a deleted device's registration ends at once — in memory
// and in the stores, with its observations, held requests and DTLS
// session — and the device's next Update gets 4.04.
func TestForget(t *testing.T) {
	rec := newRecorder()
	creds := server.NewMemoryCredentials()
	creds.AddNoSec("plain")
	creds.AddNoSec("sleepy")
	creds.AddPSK("secure", "id-s", []byte("key-s"))
	regs, obs := server.NewMemoryRegistrations(), server.NewMemoryObservations()
	q := server.NewMemoryQueue(10)
	cfg := testConfig(rec)
	cfg.Credentials, cfg.Registrations, cfg.Observations, cfg.Queue = creds, regs, obs, q
	cfg.AwakeWindow = 150 * time.Millisecond
	s := startServer(t, cfg)

	// A plain-UDP device with an observation, both stored.
	lc := device(t, s)
	id := location(t, register(t, lc, `</3/0>`, "ep=plain"))
	tok := observeScripted(t, s, lc, "plain", "/3/0/9")
	waitUntil(t, "registration and observation stored", func() bool {
		r, n := stored(t, regs, obs, "plain")
		return r && n == 1
	})

	if err := s.Forget(testCtx(t), "plain"); err != nil {
		t.Fatal(err)
	}
	// Written through before Forget returned.
	if r, n := stored(t, regs, obs, "plain"); r || n != 0 {
		t.Fatalf("after Forget the stores hold registration %v and %d observations", r, n)
	}
	if _, ok := s.Registration("plain"); ok {
		t.Fatal("still registered")
	}
	if len(s.Observations("plain")) != 0 {
		t.Fatal("observations kept")
	}
	rec.waitEvent(t, "deregistered plain")
	if r := roundTrip(t, lc, lc.Request(coap.POST, "rd", id)); r.Code != lwm2m.CodeNotFound {
		t.Fatalf("Update after Forget: %v, want 4.04", r)
	}
	n := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, MessageID: lc.NextMID(), Token: tok, Payload: []byte("1")}
	n.SetObserve(2)
	n.SetContentFormat(lwm2m.FormatText)
	if r := roundTrip(t, lc, n); r.Type != coap.Reset {
		t.Fatalf("notification after Forget answered %v, want RST", r)
	}
	if _, err := s.Send(testCtx(t), "plain", req(lwm2m.OpRead, "/3/0/9")); !errors.Is(err, server.ErrNotRegistered) {
		t.Fatalf("Send after Forget: %v, want ErrNotRegistered", err)
	}

	// A sleeping queue-mode device: the request held for it fails.
	sl := device(t, s)
	location(t, register(t, sl, `</3/0>`, "ep=sleepy", "lwm2m=1.1", "Q"))
	rec.waitEvent(t, "asleep sleepy")
	held := make(chan error, 1)
	go func() {
		_, err := s.Send(testCtx(t), "sleepy", req(lwm2m.OpRead, "/3/0/0"))
		held <- err
	}()
	waitUntil(t, "request held", func() bool { return q.Len("sleepy") == 1 })
	if err := s.Forget(testCtx(t), "sleepy"); err != nil {
		t.Fatal(err)
	}
	if err := <-held; !errors.Is(err, server.ErrNotRegistered) {
		t.Fatalf("held request: %v, want ErrNotRegistered", err)
	}
	if q.Len("sleepy") != 0 {
		t.Fatal("request still held")
	}

	// A DTLS device: its session is closed.
	c := secureDevice(t, s, pskOf("id-s", "key-s"), nil)
	if r := do(t, c, registerReq(`</1/0>`, "ep=secure")); r.Code != lwm2m.CodeCreated {
		t.Fatalf("register: %v", r)
	}
	if err := s.Forget(testCtx(t), "secure"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the device's session was not closed")
	}
	rec.waitEvent(t, "deregistered secure")

	if err := s.Forget(testCtx(t), "nobody"); !errors.Is(err, server.ErrNotRegistered) {
		t.Fatalf("Forget of an unknown endpoint: %v, want ErrNotRegistered", err)
	}
}
