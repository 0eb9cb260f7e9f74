package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/sim"
)

// counting is a Listener counting registrations per endpoint.
type counting struct {
	server.NopListener
	mu     sync.Mutex
	regs   map[string]int
	deregs int
}

func (c *counting) Registered(r server.Registration, _ *server.Registration) {
	c.mu.Lock()
	c.regs[r.Endpoint]++
	c.mu.Unlock()
}

func (c *counting) Deregistered(server.Registration) {
	c.mu.Lock()
	c.deregs++
	c.mu.Unlock()
}

func (c *counting) counts() (distinct, deregs int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.regs), c.deregs
}

// startServer runs a real lwm2m/server on 127.0.0.1:0 that registers
// unknown NoSec devices.
func startServer(t *testing.T) (*server.Server, *counting) {
	t.Helper()
	l := &counting{regs: map[string]int{}}
	srv, err := server.New(server.Config{CoAPAddr: "127.0.0.1:0", CoAPSAddr: "", AllowUnknownNoSec: true,
		Listener: l, Models: objects.New(), Codecs: std.New()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx); close(done) }()
	<-srv.Ready()
	t.Cleanup(func() { cancel(); <-done })
	return srv, l
}

// waitFor polls cond; a minute is a hang guard, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func run(ctx context.Context, in io.Reader, out, errOut io.Writer, args ...string) error {
	root := newRoot()
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	return root.ExecuteContext(ctx)
}

// TestDeviceCommandScript drives `shoal-sim device` with a script on
// stdin: it registers, shows and sets values, and deregisters when the
// script ends.
func TestDeviceCommandScript(t *testing.T) {
	srv, l := startServer(t)
	script := strings.Join([]string{
		"wait registered",
		"status",
		"set /3/0/9 42",
		"get /3/0/9",
		"fw-fail update-failed",
		"bogus",
		"quit",
	}, "\n") + "\n"
	var out, errOut syncBuffer
	err := run(context.Background(), strings.NewReader(script), &out, &errOut,
		"device", "--server", "coap://"+srv.UDPAddr().String(), "-e", "cli-dev", "--sim-interval", "0", "--local-addr", "127.0.0.1")
	if err != nil {
		t.Fatalf("device: %v\n%s", err, errOut.String())
	}
	o := out.String()
	for _, want := range []string{"* registered /rd/", "endpoint cli-dev", "registered yes", "/3/0/9 = 42",
		"/3/0/9 Battery Level = 42", `error: sim: bad command: unknown command "bogus"`, "* deregistered"} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(o, "> ") {
		t.Error("a prompt was printed for a script")
	}
	// The server hands events to its listener from its own goroutine, so
	// the de-registration may reach the listener just after the command
	// returned: wait for it rather than racing it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, dr := l.counts()
		if d == 1 && dr == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server saw %d devices register, %d deregister", d, dr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFleetCommandSummary runs `shoal-sim fleet` with 40 devices until the
// server has seen them all, then interrupts it: the JSON summary on stdout
// counts every registration and deregistration.
func TestFleetCommandSummary(t *testing.T) {
	srv, l := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, strings.NewReader(""), &out, &errOut, "fleet", "--server", "coap://"+srv.UDPAddr().String(),
			"-n", "40", "--prefix", "cli-", "--ramp", "1000/s", "--queue-mode", "25%", "--changes", "20/s",
			"--progress", "20ms", "--sockets", "2")
	}()
	waitFor(t, "40 registrations", func() bool { d, _ := l.counts(); return d == 40 })
	waitFor(t, "a progress line", func() bool { return strings.Contains(errOut.String(), "registered 40 ") })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("fleet: %v\n%s", err, errOut.String())
	}
	var sum sim.Summary
	if err := json.Unmarshal([]byte(out.String()), &sum); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out.String())
	}
	if sum.Devices != 40 || sum.Counts.Registrations < 40 || sum.Counts.Deregistrations != uint64(sum.AtStop.Registered) {
		t.Fatalf("summary %+v", sum)
	}
	// The server tells its listener after it has answered, so the last
	// De-registers may reach the listener just after the fleet returns.
	waitFor(t, "every answered De-register at the server's listener", func() bool {
		_, dr := l.counts()
		return dr >= int(sum.Counts.Deregistrations)
	})
	if _, dr := l.counts(); dr != int(sum.Counts.Deregistrations) {
		t.Fatalf("server saw %d deregistrations, summary says %d", dr, sum.Counts.Deregistrations)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for ep, n := range l.regs {
		if !strings.HasPrefix(ep, "cli-") || n < 1 {
			t.Errorf("endpoint %s registered %d times", ep, n)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"fleet", "--ramp", "fast"}, "--ramp: sim: invalid configuration"},
		{[]string{"fleet", "--ramp", "0/s"}, "--ramp must be above zero"},
		{[]string{"fleet", "--queue-mode", "120%"}, "--queue-mode:"},
		{[]string{"fleet", "--server", "coaps://127.0.0.1:5684"}, "a coaps server needs a PSK key"},
		{[]string{"fleet", "--psk-key", "xyz"}, "--psk-key: not a hex key"},
		{[]string{"fleet", "--server", "http://x"}, "scheme must be coap"},
		{[]string{"fleet", "--sends", "5/s", "--lwm2m-version", "1.0"}, "Send needs LwM2M 1.1"},
		{[]string{"device", "--server", "coaps://127.0.0.1:5684"}, "needs --psk-key or --cert/--key"},
		{[]string{"device", "--fw-fail", "gremlins"}, `unknown firmware failure "gremlins"`},
		{[]string{"device", "--lwm2m-version", "2.0"}, `version "2.0" is not 1.0 or 1.1`},
		{[]string{"device", "--cert", "/nonexistent.pem", "--key", "/nonexistent.key"}, "--cert:"},
	} {
		var out, errOut syncBuffer
		err := run(context.Background(), strings.NewReader(""), &out, &errOut, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
