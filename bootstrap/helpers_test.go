package bootstrap

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

// testProvisioner is an in-memory Provisioner: factory PSKs by identity,
// endpoints it knows, and a plan function.
type testProvisioner struct {
	mu       sync.Mutex
	factory  map[string][]byte // PSK identity → key
	bound    map[string]string // PSK identity → endpoint it may bootstrap
	known    map[string]bool   // endpoints allowed over plain CoAP
	plan     func(Request, DeviceState) (Plan, error)
	results  chan Result
	events   chan SecurityEvent
	verified []*x509.Certificate
}

func newTestProvisioner() *testProvisioner {
	return &testProvisioner{factory: map[string][]byte{}, bound: map[string]string{}, known: map[string]bool{},
		results: make(chan Result, 16), events: make(chan SecurityEvent, 64)}
}

func (p *testProvisioner) FactoryPSK(_ context.Context, identity string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k, ok := p.factory[identity]
	if !ok {
		return nil, fmt.Errorf("unknown identity %q", identity)
	}
	return k, nil
}

func (p *testProvisioner) FactoryCertificate(_ context.Context, chain []*x509.Certificate) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.verified = append(p.verified, chain[0])
	return nil
}

func (p *testProvisioner) Authorize(_ context.Context, req Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch req.Identity.Kind {
	case coap.IdentityPSK:
		if p.bound[req.Identity.PSKIdentity] != req.Endpoint {
			return lwm2m.Errorf(lwm2m.CodeForbidden, "identity %q is not %q's", req.Identity.PSKIdentity, req.Endpoint)
		}
		return nil
	case coap.IdentityX509:
		if req.Identity.CommonName == req.Endpoint {
			return nil
		}
	case coap.IdentityNone:
		if p.known[req.Endpoint] {
			return nil
		}
	}
	return lwm2m.Errorf(lwm2m.CodeForbidden, "unknown endpoint %q", req.Endpoint)
}

func (p *testProvisioner) Plan(_ context.Context, req Request, st DeviceState) (Plan, error) {
	return p.plan(req, st)
}

func (p *testProvisioner) Finished(_ context.Context, r Result) { p.results <- r }

func (p *testProvisioner) Security(ev SecurityEvent) {
	select {
	case p.events <- ev:
	default:
	}
}

func (p *testProvisioner) result(t *testing.T) Result {
	t.Helper()
	select {
	case r := <-p.results:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no session result")
	}
	return Result{}
}

func (p *testProvisioner) event(t *testing.T, kind string) SecurityEvent {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev := <-p.events:
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s security event", kind)
		}
	}
}

// startServer runs a bootstrap server on loopback ports.
func startServer(t *testing.T, prov Provisioner, mod func(*Config)) *Server {
	t.Helper()
	cfg := Config{CoAPAddr: "127.0.0.1:0", CoAPSAddr: "127.0.0.1:0", Provisioner: prov, Models: objects.New(),
		Logger: testLogger(t)}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	<-s.Ready()
	return s
}

func testLogger(t *testing.T) zerolog.Logger {
	if testing.Verbose() {
		return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel)
	}
	return zerolog.Nop()
}

func udpURI(a net.Addr) string  { return "coap://" + a.String() }
func dtlsURI(a net.Addr) string { return "coaps://" + a.String() }

// scriptedDevice is a lockstep device: it sends a Bootstrap-Request over
// plain CoAP and answers the server's requests with answer, recording
// every request it gets.
type scriptedDevice struct {
	conn *coap.Conn
	mu   sync.Mutex
	seen []string
	// writes are the decoded Bootstrap-Writes by path.
	writes map[string]lwm2m.Node
}

func newScriptedDevice(t *testing.T, addr net.Addr, answer func(m *coap.Message) *coap.Message) *scriptedDevice {
	t.Helper()
	d := &scriptedDevice{writes: map[string]lwm2m.Node{}}
	reg := std.New()
	h := coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, m *coap.Message) *coap.Message {
		d.mu.Lock()
		d.seen = append(d.seen, coap.MethodName(m.Code)+" /"+strings.Join(m.Path(), "/"))
		if m.Code == coap.PUT {
			p, err := lwm2m.PathFromSegments(m.Path())
			if err == nil {
				if n, err := reg.Decode(m.ContentFormat(), p, m.Payload, objects.New()); err == nil {
					d.writes[p.String()] = n
				}
			}
		}
		d.mu.Unlock()
		return answer(m)
	})
	c, err := coap.Dial(context.Background(), addr.String(), coap.DialConfig{Config: coap.Config{Handler: h}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	d.conn = c
	return d
}

func (d *scriptedDevice) request(t *testing.T, query ...string) *coap.Message {
	t.Helper()
	req := coap.NewRequest(coap.POST, "bs")
	req.AddQuery(query...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := d.conn.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (d *scriptedDevice) requests() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

// obedient answers like a device that accepts everything.
func obedient(discover string) func(*coap.Message) *coap.Message {
	return func(m *coap.Message) *coap.Message {
		switch {
		case m.Code == coap.GET && m.Accept() == lwm2m.FormatLinkFormat:
			if discover == "" {
				return coap.ErrorResponse(lwm2m.CodeNotFound, "no discover here")
			}
			r := coap.NewResponse(lwm2m.CodeContent, []byte(discover))
			r.SetContentFormat(lwm2m.FormatLinkFormat)
			return r
		case m.Code == coap.GET:
			return coap.ErrorResponse(lwm2m.CodeNotFound, "nothing")
		case m.Code == coap.DELETE:
			return coap.NewResponse(lwm2m.CodeDeleted, nil)
		}
		return coap.NewResponse(lwm2m.CodeChanged, nil)
	}
}

// pskPlan is a plan with one PSK account for uri.
func pskPlan(uri string, ssid uint16) Plan {
	return Plan{Ref: 7, Accounts: []ServerAccount{{ShortServerID: ssid, URI: uri, Mode: ModePSK,
		Identity: []byte("mgmt-id"), SecretKey: []byte("0123456789abcdef"), Lifetime: 120 * time.Second}}}
}

func isStatus(err error, c lwm2m.Code) bool {
	var st *lwm2m.Status
	return errors.As(err, &st) && st.Code == c
}

func newCodecs() *codec.Registry { return std.New() }
