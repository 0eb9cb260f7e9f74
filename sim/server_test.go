package sim

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
)

// tally is a server.Listener counting what a real lwm2m/server saw, and
// observing temperature (and battery) on every registration, as Shoal's
// demo profile does.
type tally struct {
	server.NopListener
	srv     func() *server.Server
	ctx     context.Context
	observe []lwm2m.Path

	mu                                          sync.Mutex
	registered, deregistered, expired           int
	notifications, sends, awake, asleep, failed int
	endpoints                                   map[string]bool
	last                                        map[lwm2m.Path]lwm2m.Value
	bg                                          sync.WaitGroup
}

func (t *tally) Registered(r server.Registration, _ *server.Registration) {
	t.mu.Lock()
	t.registered++
	t.endpoints[r.Endpoint] = true
	t.mu.Unlock()
	t.bg.Go(func() {
		for _, p := range t.observe {
			req := lwm2m.NewRequest(lwm2m.OpObserve, p)
			if _, err := t.srv().Send(t.ctx, r.Endpoint, req); err != nil && t.ctx.Err() == nil {
				t.mu.Lock()
				t.failed++
				t.mu.Unlock()
			}
		}
	})
}

func (t *tally) Deregistered(server.Registration) { t.add(&t.deregistered) }
func (t *tally) Expired(server.Registration)      { t.add(&t.expired) }
func (t *tally) Notification(n server.Notification) {
	t.mu.Lock()
	for _, r := range n.Records {
		t.last[r.Path] = r.Value
	}
	t.mu.Unlock()
	t.add(&t.notifications)
}

// lastValue is the latest notified value at p.
func (t *tally) lastValue(p lwm2m.Path) (lwm2m.Value, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.last[p]
	return v, ok
}
func (t *tally) Sent(server.SendEvent) { t.add(&t.sends) }
func (t *tally) Awake(string)          { t.add(&t.awake) }
func (t *tally) Asleep(string)         { t.add(&t.asleep) }

func (t *tally) add(n *int) {
	t.mu.Lock()
	*n++
	t.mu.Unlock()
}

// read returns a consistent copy of the counts.
func (t *tally) read() (c struct{ registered, deregistered, notifications, sends, distinct, failed int }) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.registered, c.deregistered, c.notifications = t.registered, t.deregistered, t.notifications
	c.sends, c.distinct, c.failed = t.sends, len(t.endpoints), t.failed
	return c
}

// testServer runs a real lwm2m/server on 127.0.0.1 (UDP and DTLS, port 0)
// that registers unknown NoSec devices and knows the PSKs in creds.
type testServer struct {
	srv   *server.Server
	creds *server.MemoryCredentials
	tally *tally
}

func newTestServer(t *testing.T, observe ...lwm2m.Path) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{creds: server.NewMemoryCredentials()}
	ts.tally = &tally{srv: func() *server.Server { return ts.srv }, ctx: ctx, observe: observe, endpoints: map[string]bool{}, last: map[lwm2m.Path]lwm2m.Value{}}
	srv, err := server.New(server.Config{
		CoAPAddr:          "127.0.0.1:0",
		CoAPSAddr:         "127.0.0.1:0",
		AllowUnknownNoSec: true,
		Credentials:       ts.creds,
		Listener:          ts.tally,
		Models:            objects.New(),
		Codecs:            std.New(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = srv
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("server: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		ts.tally.bg.Wait()
		if err := <-done; err != nil {
			t.Errorf("server Serve: %v", err)
		}
	})
	return ts
}

func (ts *testServer) uri(scheme string) string {
	if scheme == "coaps" {
		return "coaps://" + ts.srv.DTLSAddr().String()
	}
	return "coap://" + ts.srv.UDPAddr().String()
}

// eventually polls cond until it holds; it fails the test after a minute
// (a hang guard, not a timing assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fleetConfig is a small fleet against ts with the given scheme.
func fleetConfig(ts *testServer, scheme string, n int) Config {
	return Config{
		ServerURI: ts.uri(scheme),
		Devices:   n,
		Ramp:      2000,
		Models:    objects.New(),
		Codecs:    std.New(),
		Seed:      7,
	}
}

func lwm2mModels() lwm2m.ModelProvider { return objects.New() }
func lwm2mCodecs() *codec.Registry     { return std.New() }
