package server_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

func (r *recorder) notifications() []server.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]server.Notification(nil), r.notes...)
}

func TestObserveNotifyCancel(t *testing.T) {
	rec := newRecorder()
	s := openServer(t, rec)
	dev := newFakeDevice(t)
	dev.connect(s, "ep=obs", "lwm2m=1.1")

	r := send(t, s, "obs", req(lwm2m.OpObserve, "/3303/0/5700"))
	if r.Code != lwm2m.CodeContent || r.Content.Value.Float() != 21.5 {
		t.Fatalf("observe: %+v", r)
	}
	if v, ok := dev.last().Observe(); !ok || v != 0 {
		t.Fatalf("device saw %v", dev.last())
	}
	obs := s.Observations("obs")
	if len(obs) != 1 || obs[0].Paths[0] != lwm2m.MustPath("/3303/0/5700") || obs[0].Format != lwm2m.FormatSenMLCBOR {
		t.Fatalf("observations %+v", obs)
	}

	dev.mu.Lock()
	dev.set("/3303/0/5700", lwm2m.FloatValue(22.25))
	dev.mu.Unlock()
	before := time.Now()
	if err := dev.notify("/3303/0/5700", 2, true); err != nil {
		t.Fatal(err)
	}
	if err := dev.notify("/3303/0/5700", 3, false); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "two notifications", func() bool { return len(rec.notifications()) == 2 })
	n := rec.notifications()[0]
	if n.Endpoint != "obs" || n.Sequence != 2 || n.Content == nil || n.Content.Value.Float() != 22.25 ||
		len(n.Records) != 1 || n.Records[0].Time.Before(before) || n.Records[0].Path != lwm2m.MustPath("/3303/0/5700") {
		t.Fatalf("notification %+v", n)
	}

	// Active cancel: GET with Observe=1 and the same token.
	send(t, s, "obs", req(lwm2m.OpCancelObserve, "/3303/0/5700"))
	got := dev.last()
	if v, ok := got.Observe(); !ok || v != 1 || got.Token.String() != string(hexOf(obs[0].Token)) {
		t.Fatalf("cancel sent %v", got)
	}
	if len(s.Observations("obs")) != 0 {
		t.Fatal("observation kept after cancel")
	}
}

func hexOf(b []byte) string {
	tk, _ := coap.TokenFromBytes(b)
	return tk.String()
}

func TestObserveCompositeAndReactiveCancel(t *testing.T) {
	rec := newRecorder()
	s := openServer(t, rec)
	dev := newFakeDevice(t)
	dev.connect(s, "ep=comp", "lwm2m=1.1")
	oc := lwm2m.Request{Op: lwm2m.OpObserveComposite, Format: lwm2m.FormatSenMLJSON,
		Paths: []lwm2m.Path{lwm2m.MustPath("/3/0/9"), lwm2m.MustPath("/3303/0/5700")}}
	r := send(t, s, "comp", oc)
	if len(r.Records) != 2 || dev.last().Code != coap.FETCH {
		t.Fatalf("observe-composite: %+v", r)
	}
	if err := dev.notify("composite", 2, true); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "composite notification", func() bool { return len(rec.notifications()) == 1 })
	if n := rec.notifications()[0]; !n.Observation.Composite || len(n.Records) != 2 || n.Content != nil {
		t.Fatalf("composite notification %+v", n)
	}
	cc := oc
	cc.Op = lwm2m.OpCancelObserveComposite
	send(t, s, "comp", cc)
	if v, _ := dev.last().Observe(); v != 1 || dev.last().Code != coap.FETCH {
		t.Fatalf("cancel-composite sent %v", dev.last())
	}
	// The device keeps notifying: the server no longer knows the token.
	cancelTok := dev.last().Token
	dev.mu.Lock()
	dev.obs["composite"].Token = cancelTok
	dev.mu.Unlock()
	if err := dev.notify("composite", 3, true); !errors.Is(err, coap.ErrReset) {
		t.Fatalf("notification after cancel: %v, want a reset", err)
	}
}

func TestStaleObserveTokenIsReset(t *testing.T) {
	s := openServer(t, newRecorder())
	lc := device(t, s)
	location(t, register(t, lc, `</1/0>`, "ep=stale"))
	n := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, MessageID: lc.NextMID(), Token: lc.NextToken(), Payload: []byte("1")}
	n.SetObserve(9)
	n.SetContentFormat(lwm2m.FormatText)
	if r := roundTrip(t, lc, n); r.Type != coap.Reset {
		t.Fatalf("stale notification answered %v, want RST", r)
	}
}

// observeScripted makes the server observe path on a lockstep device and
// answers for the device; it returns the observation's token.
func observeScripted(t *testing.T, s *server.Server, lc *lockstep.Client, ep, path string) coap.Token {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := s.Send(testCtx(t), ep, req(lwm2m.OpObserve, path))
		done <- err
	}()
	rq, err := lc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	ack := &coap.Message{Type: coap.Acknowledgement, Code: lwm2m.CodeContent, MessageID: rq.MessageID, Token: rq.Token, Payload: []byte("1")}
	ack.SetObserve(1)
	ack.SetContentFormat(lwm2m.FormatText)
	if err := lc.Send(ack); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return rq.Token
}

func TestNotificationAfterAddressChange(t *testing.T) {
	rec := newRecorder()
	s := openServer(t, rec)
	lc := device(t, s)
	location(t, register(t, lc, `</3303/0>`, "ep=nat", "lwm2m=1.1", "Q"))
	tok := observeScripted(t, s, lc, "nat", "/3303/0/5700")
	old := lc.Addr()
	if err := lc.Rebind(); err != nil { // the NAT binding changed while it slept
		t.Fatal(err)
	}
	n := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, MessageID: lc.NextMID(), Token: tok, Payload: []byte("23.5")}
	n.SetObserve(2)
	n.SetContentFormat(lwm2m.FormatText)
	if r := roundTrip(t, lc, n); r.Type != coap.Acknowledgement {
		t.Fatalf("notification from the new address answered %v, want ACK (no RST)", r)
	}
	waitUntil(t, "notification", func() bool { return len(rec.notifications()) == 1 })
	if v := rec.notifications()[0].Content.Value.Float(); v != 23.5 {
		t.Fatalf("value %v", v)
	}
	reg, _ := s.Registration("nat")
	if reg.Address == old || reg.Address != lc.Addr() {
		t.Fatalf("registration address %s; old %s, new %s", reg.Address, old, lc.Addr())
	}
	// Downlink now goes to the new address.
	go func() { _, _ = s.Send(testCtx(t), "nat", req(lwm2m.OpRead, "/3303/0/5700")) }()
	if m, err := lc.Recv(); err != nil || m.Code != coap.GET {
		t.Fatalf("read after the move: %v %v", m, err)
	}
}

func TestReobserveAfterRegister(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	cfg.AllowUnknownNoSec = true
	var srv atomic.Pointer[server.Server]
	rec.onReg = func(reg server.Registration) {
		go func() { _, _ = srv.Load().Send(context.Background(), reg.Endpoint, req(lwm2m.OpObserve, "/3/0/9")) }()
	}
	s := startServer(t, cfg)
	srv.Store(s)
	dev := newFakeDevice(t)
	dev.connect(s, "ep=reobs", "lwm2m=1.1")
	waitUntil(t, "first observation", func() bool {
		dev.mu.Lock()
		defer dev.mu.Unlock()
		return len(s.Observations("reobs")) == 1 && dev.obs["/3/0/9"] != nil
	})
	first := s.Observations("reobs")[0]
	dev.mu.Lock()
	oldReq := dev.obs["/3/0/9"].Clone()
	dev.mu.Unlock()

	// The device registers again (e.g. after a reboot).
	if r := do(t, dev.conn, registerReq(`</3/0>`, "ep=reobs", "lwm2m=1.1")); r.Code != lwm2m.CodeCreated {
		t.Fatal(r)
	}
	waitUntil(t, "re-observation", func() bool {
		o := s.Observations("reobs")
		return len(o) == 1 && string(o[0].Token) != string(first.Token)
	})
	// A notification for the old observation is reset, the new one is taken.
	n := respond(lwm2m.CodeContent, lwm2m.FormatText, []byte("1"))
	n.SetObserve(5)
	if err := dev.conn.Peer().Notify(testCtx(t), oldReq, n); !errors.Is(err, coap.ErrReset) {
		t.Fatalf("old observation: %v, want a reset", err)
	}
	if err := dev.notify("/3/0/9", 6, true); err != nil {
		t.Fatalf("new observation: %v", err)
	}
}

func TestNotificationFromAnotherIdentityRefused(t *testing.T) {
	rec := newRecorder()
	creds := server.NewMemoryCredentials()
	creds.AddPSK("dev-a", "id-a", []byte("key-a"))
	creds.AddPSK("dev-b", "id-b", []byte("key-b"))
	cfg := testConfig(rec)
	cfg.Credentials = creds
	s := startServer(t, cfg)
	devA := newFakeDevice(t)
	a := secureDevice(t, s, pskOf("id-a", "key-a"), devA)
	devA.conn = a
	do(t, a, registerReq(`</3/0>`, "ep=dev-a", "lwm2m=1.1"))
	send(t, s, "dev-a", req(lwm2m.OpObserve, "/3/0/9"))
	devA.mu.Lock()
	stolen := devA.obs["/3/0/9"].Clone()
	devA.mu.Unlock()

	b := secureDevice(t, s, pskOf("id-b", "key-b"), nil)
	do(t, b, registerReq(`</3/0>`, "ep=dev-b", "lwm2m=1.1"))
	n := respond(lwm2m.CodeContent, lwm2m.FormatText, []byte("666"))
	n.SetObserve(9)
	if err := b.Peer().Notify(testCtx(t), stolen, n); !errors.Is(err, coap.ErrReset) {
		t.Fatalf("dev-b notifying on dev-a's token: %v, want a reset", err)
	}
	rec.waitEvent(t, "security identity-mismatch")
	if len(rec.notifications()) != 0 {
		t.Fatal("a notification from the wrong identity was delivered")
	}
	if err := devA.notify("/3/0/9", 2, true); err != nil {
		t.Fatalf("dev-a's own notification: %v", err)
	}
}

func TestObservationsSurviveRestart(t *testing.T) {
	regs, obs := server.NewMemoryRegistrations(), server.NewMemoryObservations()
	mk := func(rec *recorder) *server.Server {
		cfg := testConfig(rec)
		cfg.AllowUnknownNoSec = true
		cfg.Registrations, cfg.Observations = regs, obs
		s, err := server.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s1 := mk(newRecorder())
	stop := runServer(t, s1)
	lc := device(t, s1)
	location(t, register(t, lc, `</3303/0>`, "ep=keep", "lwm2m=1.1"))
	tok := observeScripted(t, s1, lc, "keep", "/3303/0/5700")
	stop()

	rec := newRecorder()
	s2 := mk(rec)
	defer runServer(t, s2)()
	if o := s2.Observations("keep"); len(o) != 1 || hexOf(o[0].Token) != tok.String() {
		t.Fatalf("observations after restart %+v", o)
	}
	lc2, err := lockstep.New(s2.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer lc2.Close()
	n := &coap.Message{Type: coap.Confirmable, Code: lwm2m.CodeContent, MessageID: lc2.NextMID(), Token: tok, Payload: []byte("18")}
	n.SetObserve(3)
	n.SetContentFormat(lwm2m.FormatText)
	if r := roundTrip(t, lc2, n); r.Type != coap.Acknowledgement {
		t.Fatalf("notification after restart answered %v", r)
	}
	waitUntil(t, "notification", func() bool { return len(rec.notifications()) == 1 })
}
