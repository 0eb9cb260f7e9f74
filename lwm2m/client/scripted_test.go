package client

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// scriptedServer is a small LwM2M server for tests: it answers Register,
// Update, De-register, Send and Bootstrap-Request on a real UDP or DTLS
// socket on 127.0.0.1 and hands every uplink to the test.
type scriptedServer struct {
	t    *testing.T
	ep   *coap.Endpoint
	msgs chan uplink
	mu   sync.Mutex
	peer *coap.Peer
	regs int
	gone bool // answer Updates 4.04
	// firstReg is the query of the first Register.
	firstReg []string
	// files are served to GET /<name> (firmware pulls).
	files map[string][]byte
}

type uplink struct {
	req  *coap.Message
	peer *coap.Peer
}

func newScriptedServer(t *testing.T, dtls *coap.DTLSConfig) *scriptedServer {
	t.Helper()
	s := &scriptedServer{t: t, msgs: make(chan uplink, 64)}
	cfg := coap.Config{Handler: coap.HandlerFunc(s.serve)}
	var err error
	if dtls != nil {
		s.ep, err = coap.ListenDTLS("udp", "127.0.0.1:0", cfg, *dtls)
	} else {
		s.ep, err = coap.ListenUDP("udp", "127.0.0.1:0", cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.ep.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func (s *scriptedServer) uri(scheme string) string { return scheme + "://" + s.ep.Addr().String() }

func (s *scriptedServer) serve(_ context.Context, p *coap.Peer, req *coap.Message) *coap.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peer = p
	path := req.Path()
	if req.Code == coap.GET && len(path) == 1 && s.files[path[0]] != nil {
		resp := coap.NewResponse(lwm2m.CodeContent, s.files[path[0]])
		resp.SetContentFormat(lwm2m.FormatOpaque)
		return resp
	}
	s.msgs <- uplink{req: req.Clone(), peer: p}
	switch {
	case req.Code == coap.POST && len(path) == 1 && path[0] == "rd":
		s.regs++
		if s.firstReg == nil {
			s.firstReg = req.Query()
		}
		resp := coap.NewResponse(lwm2m.CodeCreated, nil)
		resp.SetLocationPath("rd", "r"+string(rune('0'+s.regs)))
		return resp
	case req.Code == coap.POST && len(path) == 2 && path[0] == "rd":
		if s.gone {
			s.gone = false
			return coap.NewResponse(lwm2m.CodeNotFound, nil)
		}
		return coap.NewResponse(lwm2m.CodeChanged, nil)
	case req.Code == coap.DELETE && len(path) == 2 && path[0] == "rd":
		return coap.NewResponse(lwm2m.CodeDeleted, nil)
	case req.Code == coap.POST && len(path) == 1 && (path[0] == "dp" || path[0] == "bs"):
		return coap.NewResponse(lwm2m.CodeChanged, nil)
	}
	return coap.NewResponse(lwm2m.CodeNotFound, nil)
}

// next returns the next uplink, failing the test if none comes.
func (s *scriptedServer) next(t *testing.T) uplink {
	t.Helper()
	select {
	case u := <-s.msgs:
		return u
	case <-time.After(20 * time.Second):
		t.Fatal("no uplink from the client")
	}
	return uplink{}
}

// expect returns the next uplink and checks its method and first segment.
func (s *scriptedServer) expect(t *testing.T, method lwm2m.Code, first string) uplink {
	t.Helper()
	u := s.next(t)
	if u.req.Code != method || len(u.req.Path()) == 0 || u.req.Path()[0] != first {
		t.Fatalf("got %s, want %s /%s", u.req, coap.MethodName(method), first)
	}
	return u
}

// do sends a downlink request to the device and returns the answer.
func do(t *testing.T, p *coap.Peer, m *coap.Message) *coap.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := p.Do(ctx, m)
	if err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	return resp
}

// startClient runs a client against srv and returns it with its clock; the
// client is stopped (and must have returned) at the end of the test.
func startClient(t *testing.T, mod func(*Config)) (*Client, *ManualClock) {
	t.Helper()
	c, clk := newTestClient(t, func(cfg *Config) {
		cfg.Dialer = &CoAPDialer{}
		if mod != nil {
			mod(cfg)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return c, clk
}

// idle waits until the client's loop sleeps on its timer, so advancing the
// clock reaches it.
func idle(t *testing.T, clk *ManualClock) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for clk.Armed() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("client loop never went idle")
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// waitFor polls cond until it holds (the client works on its own
// goroutines); it fails the test if it never does.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRegisterUpdateDeregister(t *testing.T) {
	srv := newScriptedServer(t, nil)
	c, clk := startClient(t, func(cfg *Config) {
		cfg.ServerURI = srv.uri("coap")
		cfg.Lifetime = 60 * time.Second
	})
	u := srv.expect(t, coap.POST, "rd")
	q := u.req.Query()
	for _, want := range []string{"ep=dev-1", "lt=60", "lwm2m=1.1", "b=U"} {
		if v, ok := queryParam(q, want[:len(want)-len(want[indexEq(want)+1:])-1]); !ok || v != want[indexEq(want)+1:] {
			t.Errorf("register query %v lacks %s", q, want)
		}
	}
	payload := string(u.req.Payload)
	if u.req.ContentFormat() != lwm2m.FormatLinkFormat || !contains(payload, "</3/0>") || !contains(payload, "</5/0>") || contains(payload, "</0/") {
		t.Errorf("register payload %q", payload)
	}
	// The Update comes at 0.9 of the lifetime, without a payload.
	waitFor(t, "registered", func() bool { return c.Status().Registered })
	idle(t, clk)
	clk.Advance(54 * time.Second)
	u = srv.expect(t, coap.POST, "rd")
	if u.req.PathString() != "/rd/r1" || len(u.req.Payload) != 0 {
		t.Fatalf("update %s payload %q", u.req, u.req.Payload)
	}
	// A new instance puts the object list in the next Update.
	resp := do(t, u.peer, req(coap.POST, "/3303", lwm2m.FormatNone, nil))
	wantResp(t, resp, lwm2m.CodeCreated)
	u = srv.expect(t, coap.POST, "rd")
	if !contains(string(u.req.Payload), "</3303/1>") {
		t.Fatalf("update after create carries %q", u.req.Payload)
	}
	// An Update answered 4.04 makes the client register again.
	srv.mu.Lock()
	srv.gone = true
	srv.mu.Unlock()
	c.TriggerUpdate()
	srv.expect(t, coap.POST, "rd") // the refused update
	u = srv.expect(t, coap.POST, "rd")
	if u.req.PathString() != "/rd" {
		t.Fatalf("after 4.04: %s, want a Register", u.req)
	}
	waitFor(t, "registered again", func() bool { st := c.Status(); return st.Registered && st.Location == "/rd/r2" })
}

func indexEq(s string) int {
	for i := range s {
		if s[i] == '=' {
			return i
		}
	}
	return len(s)
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestDeregisterOnStop(t *testing.T) {
	srv := newScriptedServer(t, nil)
	c, _ := newTestClient(t, func(cfg *Config) { cfg.ServerURI = srv.uri("coap"); cfg.Dialer = &CoAPDialer{} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	srv.expect(t, coap.POST, "rd")
	waitFor(t, "registered", func() bool { return c.Status().Registered })
	cancel()
	u := srv.expect(t, coap.DELETE, "rd")
	if u.req.PathString() != "/rd/r1" {
		t.Fatalf("deregister %s", u.req)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if c.Status().Registered {
		t.Fatal("still registered after Run returned")
	}
}

func TestRegister10QueueMode(t *testing.T) {
	srv := newScriptedServer(t, nil)
	startClient(t, func(cfg *Config) { cfg.ServerURI = srv.uri("coap"); cfg.Version = "1.0"; cfg.QueueMode = true })
	u := srv.expect(t, coap.POST, "rd")
	q := u.req.Query()
	if v, _ := queryParam(q, "lwm2m"); v != "1.0" {
		t.Errorf("lwm2m=%q", v)
	}
	if v, _ := queryParam(q, "b"); v != "UQ" {
		t.Errorf("b=%q", v)
	}
	if _, ok := queryParam(q, "Q"); ok {
		t.Errorf("1.0 must not send Q: %v", q)
	}
	resp := do(t, u.peer, req(coap.GET, "/3/0", lwm2m.FormatNone, nil))
	wantResp(t, resp, lwm2m.CodeContent)
	if resp.ContentFormat() != lwm2m.FormatTLV {
		t.Fatalf("1.0 answers in %s", resp.ContentFormat())
	}
}

var errNoAnswer = errors.New("no answer")
