package sim

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

var (
	pathBattery     = lwm2m.ResourcePath(3, 0, 9)
	pathTemperature = lwm2m.ResourcePath(3303, 0, 5700)
)

// TestFleetAgainstServer runs 300 devices (30 % in queue mode) against a
// real lwm2m/server over UDP: all register from distinct addresses, the
// server's observations produce notifications, queue-mode devices sleep
// and wake, Sends arrive, and at the stop every device deregisters; the
// summary's counts agree with what the server saw.
func TestFleetAgainstServer(t *testing.T) {
	const n = 300
	ts := newTestServer(t, pathTemperature)
	cfg := fleetConfig(ts, "coap", n)
	cfg.Prefix = "fleet-"
	cfg.QueueMode = 0.3
	cfg.AwakeTime = 300 * time.Millisecond
	cfg.ChangeRate = 300
	cfg.SendRate = 30
	cfg.Sockets = 3
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	queued := 0
	for _, d := range f.Devices() {
		if d.QueueMode {
			queued++
		}
	}
	if queued < n/5 || queued > n*2/5 {
		t.Fatalf("%d of %d devices in queue mode, want about 30%%", queued, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- f.Run(ctx) }()

	eventually(t, "every device registered", func() bool { return f.Snapshot().Ever == n && ts.tally.read().distinct == n })
	eventually(t, "notifications, sends and sleeps", func() bool {
		s := f.Snapshot()
		return s.Notifications >= n && s.Sends >= 30 && s.Counters.Asleep >= uint64(queued) && s.Counters.Awake > 0
	})
	addrs := map[string]bool{}
	for _, r := range ts.srv.Registrations() {
		host := r.Address[:strings.LastIndexByte(r.Address, ':')]
		if !strings.HasPrefix(host, "127.") || host == "127.0.0.1" {
			t.Fatalf("%s registered from %s, not its own loopback address", r.Endpoint, r.Address)
		}
		addrs[host] = true
	}
	if len(addrs) != n {
		t.Fatalf("%d distinct source addresses for %d devices", len(addrs), n)
	}
	live := f.Snapshot()
	if live.Registered != n || live.Online+live.Asleep != n || live.Started != n || live.Ever != n {
		t.Fatalf("live gauges %+v", live)
	}
	if _, ok := f.Summary(); ok {
		t.Fatal("a summary before the run ended")
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	eventually(t, "the server saw every deregistration", func() bool { return ts.tally.read().deregistered == n })
	sum, ok := f.Summary()
	if !ok {
		t.Fatal("no summary after Run")
	}
	// Every Send the fleet counted was acknowledged; those cancelled by
	// the stop may have arrived too.
	eventually(t, "the server saw every Send", func() bool { return uint64(ts.tally.read().sends) >= sum.Counts.Sends })
	seen := ts.tally.read()
	if s := uint64(seen.sends); s > sum.Counts.Sends+sum.Counts.SendsCancelled {
		t.Errorf("server saw %d Sends, the fleet counted %d and %d cancelled", s, sum.Counts.Sends, sum.Counts.SendsCancelled)
	}
	c := sum.Counts
	switch {
	case sum.Devices != n || sum.Started != n || sum.EverRegistered != n || sum.AllRegisteredAfterS == nil:
		t.Errorf("summary devices %d started %d ever %d all-after %v", sum.Devices, sum.Started, sum.EverRegistered, sum.AllRegisteredAfterS)
	case sum.AtStop.Registered != n:
		t.Errorf("registered at stop %d, want %d", sum.AtStop.Registered, n)
	case c.Registrations != uint64(seen.registered):
		t.Errorf("summary registrations %d, server saw %d", c.Registrations, seen.registered)
	case c.Deregistrations != n:
		t.Errorf("summary deregistrations %d, want %d", c.Deregistrations, n)
	case c.Errors != 0 || len(sum.Errors) != 0 || seen.failed != 0:
		t.Errorf("errors: %d %v; server observe failures %d", c.Errors, sum.Errors, seen.failed)
	case c.Changes == 0 || c.Notifications == 0 || sum.Rates.Notifications <= 0:
		t.Errorf("changes %d notifications %d rate %v", c.Changes, c.Notifications, sum.Rates.Notifications)
	case c.Notifications < n:
		t.Errorf("notifications %d, want at least %d", c.Notifications, n)
	}
	// Notifications are confirmable: each one the fleet counted was
	// acknowledged, so the server has it too; each device may have had
	// one more under way when it was switched off.
	eventually(t, "the server saw every notification", func() bool {
		return uint64(ts.tally.read().notifications) >= c.Notifications
	})
	if got := uint64(ts.tally.read().notifications); got > c.Notifications+n {
		t.Errorf("server saw %d notifications, the fleet counted %d", got, c.Notifications)
	}
	for _, k := range []string{"register", "notify", "send", "deregister", "request"} {
		if l, ok := sum.Latency[k]; !ok || l.Count == 0 || l.P50MS > l.P99MS || l.P99MS > l.MaxMS {
			t.Errorf("latency %s: %+v", k, l)
		}
	}
	if sum.Latency["register"].Count != c.Registrations {
		t.Errorf("register latency count %d, registrations %d", sum.Latency["register"].Count, c.Registrations)
	}
	if sum.Process.RSS <= 0 || sum.PerDevice.RSSBytes <= 0 || sum.Process.Goroutines <= n {
		t.Errorf("process figures %+v per device %+v", sum.Process, sum.PerDevice)
	}
	if err := f.Run(context.Background()); err == nil {
		t.Error("a second Run was accepted")
	}
}

// TestFleetNotificationsMatchExactly ticks every device by hand (the
// fleet's Client accessor) with no driver: once quiet, the server has seen
// exactly the notifications the fleet counted.
func TestFleetNotificationsMatchExactly(t *testing.T) {
	const n = 50
	ts := newTestServer(t, pathTemperature, pathBattery)
	f, err := New(fleetConfig(ts, "coap", n))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- f.Run(ctx) }()
	defer func() { cancel(); <-ran }()
	eventually(t, "registered and observed", func() bool {
		for i := range n {
			c := f.Client(i)
			if c == nil || c.Status().Observations != 2 {
				return false
			}
		}
		return true
	})
	for range 5 {
		for i := range n {
			f.Client(i).Tick()
		}
	}
	eventually(t, "server and fleet agree", func() bool {
		s := f.Snapshot()
		return s.Notifications >= n && uint64(ts.tally.read().notifications) == s.Notifications
	})
	if f.Client(-1) != nil || f.Client(n) != nil {
		t.Error("Client out of range returned a client")
	}
}

// TestFleetPSKProvisioned runs a coaps fleet whose PSKs the Provision hook
// hands to the server's credential store first: every device registers
// over DTLS as the endpoint its identity is bound to.
func TestFleetPSKProvisioned(t *testing.T) {
	const n = 20
	ts := newTestServer(t)
	cfg := fleetConfig(ts, "coaps", n)
	cfg.PSKKey, _ = hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	provisioned := 0
	cfg.Provision = func(_ context.Context, devs []Device) error {
		for _, d := range devs {
			if d.Security != "psk" || d.PSKIdentity != d.Endpoint || len(d.PSKKey) != 16 {
				t.Errorf("device to provision: %+v", d)
			}
			ts.creds.AddPSK(d.Endpoint, d.PSKIdentity, d.PSKKey)
			provisioned++
		}
		return nil
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- f.Run(ctx) }()
	eventually(t, "every device registered over DTLS", func() bool { return f.Snapshot().Registered == n })
	for _, r := range ts.srv.Registrations() {
		if r.Transport != "dtls" || r.Security != server.ModePSK || r.Identity != r.Endpoint {
			t.Errorf("%s: transport %s security %s identity %s", r.Endpoint, r.Transport, r.Security, r.Identity)
		}
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	sum, _ := f.Summary()
	if provisioned != n || sum.Counts.Registrations != n || sum.Counts.Deregistrations != n || sum.Counts.Errors != 0 {
		t.Fatalf("provisioned %d, counts %+v, errors %v", provisioned, sum.Counts, sum.Errors)
	}
}
