package server_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/lockstep"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// recorder is a Listener that keeps every event as a short string and the
// typed events for inspection.
type recorder struct {
	mu     sync.Mutex
	log    []string
	regs   []server.Registration
	notes  []server.Notification
	sends  []server.SendEvent
	ops    []server.OperationEvent
	secs   []server.SecurityEvent
	onReg  func(server.Registration)
	onUpd  func(server.Update)
	signal chan struct{}
}

func newRecorder() *recorder { return &recorder{signal: make(chan struct{}, 1)} }

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

func (r *recorder) Registered(reg server.Registration, replaced *server.Registration) {
	r.mu.Lock()
	r.regs = append(r.regs, reg)
	f := r.onReg
	r.mu.Unlock()
	if replaced != nil {
		r.add("registered " + reg.Endpoint + " replacing " + replaced.ID)
	} else {
		r.add("registered " + reg.Endpoint)
	}
	if f != nil {
		f(reg)
	}
}
func (r *recorder) Updated(u server.Update) {
	r.add("updated " + u.Registration.Endpoint + " [" + strings.Join(u.Changed, ",") + "]")
	r.mu.Lock()
	f := r.onUpd
	r.mu.Unlock()
	if f != nil {
		f(u)
	}
}
func (r *recorder) Deregistered(reg server.Registration) { r.add("deregistered " + reg.Endpoint) }
func (r *recorder) Expired(reg server.Registration)      { r.add("expired " + reg.Endpoint) }
func (r *recorder) Awake(ep string)                      { r.add("awake " + ep) }
func (r *recorder) Asleep(ep string)                     { r.add("asleep " + ep) }
func (r *recorder) Notification(n server.Notification) {
	r.mu.Lock()
	r.notes = append(r.notes, n)
	r.mu.Unlock()
	r.add("notification " + n.Endpoint)
}
func (r *recorder) Sent(s server.SendEvent) {
	r.mu.Lock()
	r.sends = append(r.sends, s)
	r.mu.Unlock()
	r.add("send " + s.Endpoint)
}
func (r *recorder) Operation(o server.OperationEvent) {
	r.mu.Lock()
	r.ops = append(r.ops, o)
	r.mu.Unlock()
	r.add("operation " + o.Request.Op.String())
}
func (r *recorder) Security(s server.SecurityEvent) {
	r.mu.Lock()
	r.secs = append(r.secs, s)
	r.mu.Unlock()
	r.add("security " + s.Kind)
}

// has reports whether an event line is in the log.
func (r *recorder) has(line string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.log {
		if l == line {
			return true
		}
	}
	return false
}

func (r *recorder) count(prefix string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.log {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

// waitEvent waits until line has been logged.
func (r *recorder) waitEvent(t *testing.T, line string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !r.has(line) {
		select {
		case <-r.signal:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no event %q; got %q", line, r.lines())
		}
	}
}

func testConfig(rec *recorder) server.Config {
	return server.Config{
		CoAPAddr: "127.0.0.1:0", CoAPSAddr: "127.0.0.1:0",
		Listener: rec, ExpiryInterval: 10 * time.Millisecond, PersistInterval: 10 * time.Millisecond,
	}
}

// startServer runs a server until the test ends and checks Serve returns.
func startServer(t *testing.T, cfg server.Config) *server.Server {
	t.Helper()
	s, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := runServer(t, s)
	t.Cleanup(stop)
	return s
}

func runServer(t *testing.T, s *server.Server) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// device is a scripted plain-UDP device.
func device(t *testing.T, s *server.Server) *lockstep.Client {
	t.Helper()
	lc, err := lockstep.New(s.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lc.Close() })
	return lc
}

// register sends a Register and returns the answer.
func register(t *testing.T, lc *lockstep.Client, links string, query ...string) *coap.Message {
	t.Helper()
	req := lc.Request(coap.POST, "rd")
	req.AddQuery(query...)
	req.SetContentFormat(lwm2m.FormatLinkFormat)
	req.Payload = []byte(links)
	resp, err := lc.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// location returns the registration id of a 2.01 answer.
func location(t *testing.T, m *coap.Message) string {
	t.Helper()
	lp := m.LocationPath()
	if m.Code != lwm2m.CodeCreated || len(lp) != 2 || lp[0] != "rd" {
		t.Fatalf("register answered %v %q (location %v)", m, m.Payload, lp)
	}
	return lp[1]
}

func roundTrip(t *testing.T, lc *lockstep.Client, m *coap.Message) *coap.Message {
	t.Helper()
	r, err := lc.RoundTrip(m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
