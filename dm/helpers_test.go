package dm_test

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// env is a running dm over a real store and a real lwm2m/server on
// 127.0.0.1.
type env struct {
	t      *testing.T
	st     *storage.Store
	dsn    string
	svc    *dm.Service
	srv    *server.Server
	models *objects.Registry
	cancel context.CancelFunc
	done   chan struct{}
}

type envOpts struct {
	dm     func(*dm.Config)
	server func(*server.Config)
}

// backends returns SQLite and, when configured, PostgreSQL.
func backends(t *testing.T) []func(*testing.T) storetest.Backend {
	return []func(*testing.T) storetest.Backend{
		func(*testing.T) storetest.Backend { return storetest.SQLite() },
		func(t *testing.T) storetest.Backend { return storetest.Postgres(t) },
	}
}

// eachBackend runs f as a subtest on SQLite and PostgreSQL.
func eachBackend(t *testing.T, f func(t *testing.T, b storetest.Backend)) {
	for i, mk := range backends(t) {
		name := [...]string{"sqlite", "postgres"}[i]
		t.Run(name, func(t *testing.T) { f(t, mk(t)) })
	}
}

func openStore(t *testing.T, b storetest.Backend, dsn string) *storage.Store {
	return openStoreTB(t, b, dsn)
}

func openStoreTB(t testing.TB, b storetest.Backend, dsn string) *storage.Store {
	t.Helper()
	opts := b.Options
	opts.SecretKey = storetest.TestKey()
	st, err := storage.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	return st
}

func stores(st *storage.Store, w dm.TelemetryWriter) dm.Stores {
	s := st.Stores()
	s.Writer = w
	return s
}

// newEnv starts dm and the server on a fresh database of backend b.
func newEnv(t *testing.T, b storetest.Backend, o envOpts) *env {
	t.Helper()
	return startEnv(t, b, b.NewDSN(t), o)
}

func startEnv(t *testing.T, b storetest.Backend, dsn string, o envOpts) *env {
	t.Helper()
	st := openStore(t, b, dsn)
	w, err := storage.NewTelemetryWriter(st.Telemetry(), storage.WriterConfig{FlushInterval: 20 * time.Millisecond}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	reg := objects.New()
	cfg := dm.Config{DispatchInterval: 20 * time.Millisecond, RequestTimeout: 5 * time.Second, AllowNoSec: true}
	if o.dm != nil {
		o.dm(&cfg)
	}
	svc, err := dm.New(cfg, stores(st, w), reg, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	scfg := server.Config{
		CoAPAddr: "127.0.0.1:0", CoAPSAddr: "127.0.0.1:0",
		Credentials: svc.ServerCredentials(), Registrations: svc.ServerRegistrations(), Observations: svc.ServerObservations(),
		Listener: svc.Listener(), Models: reg, ExpiryInterval: 20 * time.Millisecond, PersistInterval: 20 * time.Millisecond,
		RequestTimeout: 5 * time.Second, Logger: testLog(t),
	}
	if o.server != nil {
		o.server(&scfg)
	}
	srv, err := server.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetSender(srv)
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{t: t, st: st, dsn: dsn, svc: svc, srv: srv, models: reg, cancel: cancel, done: make(chan struct{})}
	srvDone := make(chan error, 1)
	dmCtx, dmCancel := context.WithCancel(context.Background())
	go func() { srvDone <- srv.Serve(ctx) }()
	runDone := make(chan error, 1)
	go func() { runDone <- svc.Run(dmCtx) }()
	go func() {
		defer close(e.done)
		if err := <-srvDone; err != nil {
			t.Errorf("server: %v", err)
		}
		dmCancel()
		if err := <-runDone; err != nil {
			t.Errorf("dm: %v", err)
		}
		st.Close()
	}()
	t.Cleanup(e.stop)
	<-srv.Ready()
	<-svc.Running()
	return e
}

// stop ends the server, then dm, and waits for both.
func (e *env) stop() {
	e.cancel()
	<-e.done
}

func (e *env) coapURI() string  { return "coap://" + e.srv.UDPAddr().String() }
func (e *env) coapsURI() string { return "coaps://" + e.srv.DTLSAddr().String() }

// device is a running lwm2m/client.
type device struct {
	c      *client.Client
	cancel context.CancelFunc
	done   chan error
}

// startDevice runs a client with cfg (Models, Codecs and Dialer filled
// in); it stops at test cleanup.
func startDevice(t *testing.T, cfg client.Config) *device {
	t.Helper()
	if cfg.Models == nil {
		cfg.Models = objects.New()
	}
	cfg.Codecs = std.New()
	cfg.Dialer = &client.CoAPDialer{}
	if cfg.SimInterval == 0 {
		cfg.SimInterval = -1
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = 100 * time.Millisecond
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &device{c: c, cancel: cancel, done: make(chan error, 1)}
	go func() { d.done <- c.Run(ctx) }()
	t.Cleanup(d.stop)
	return d
}

var stopOnce sync.Map

func (d *device) stop() {
	if _, dup := stopOnce.LoadOrStore(d, true); dup {
		return
	}
	d.cancel()
	<-d.done
}

// pskDevice creates a PSK device in dm and starts a client for it.
func (e *env) pskDevice(t *testing.T, ep string, in dm.DeviceInput, mod func(*client.Config)) (*device, dm.CreatedDevice) {
	t.Helper()
	in.Endpoint = ep
	created, err := e.svc.CreateDevice(context.Background(), dm.System(), in)
	if err != nil {
		t.Fatalf("create %s: %v", ep, err)
	}
	key, err := hex.DecodeString(created.PSKKeyHex)
	if err != nil || len(key) == 0 {
		t.Fatalf("no generated key: %q", created.PSKKeyHex)
	}
	cfg := client.Config{Endpoint: ep, ServerURI: e.coapsURI(), PSKIdentity: created.Credential.PSKIdentity, PSKKey: key}
	if mod != nil {
		mod(&cfg)
	}
	return startDevice(t, cfg), created
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits until dm reports the device's status.
func (e *env) waitStatus(t *testing.T, ep string, want models.DeviceStatus) dm.DeviceView {
	t.Helper()
	var v dm.DeviceView
	waitFor(t, "status "+string(want)+" for "+ep, func() bool {
		var err error
		v, err = e.svc.GetDevice(context.Background(), dm.System(), ep)
		return err == nil && v.Status == want
	})
	return v
}

// read performs a synchronous read.
func (e *env) read(t *testing.T, ep string, p string) dm.CommandResult {
	t.Helper()
	res, err := e.svc.Execute(context.Background(), dm.System(), ep, lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath(p)), dm.CommandOptions{})
	if err != nil {
		t.Fatalf("read %s %s: %v", ep, p, err)
	}
	return res
}

// waitEvent waits for an event of typ on sub.
func waitEvent(t *testing.T, sub *dm.Subscription, typ string) models.Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-sub.C:
			if !ok {
				t.Fatalf("subscription closed before a %s event", typ)
			}
			if e.Type == typ {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event", typ)
		}
	}
}

func isErr(err, target error) bool { return errors.Is(err, target) }

// testLog logs warnings and errors to the test's log when SHOAL_TEST_LOG is set.
func testLog(t *testing.T) zerolog.Logger {
	if os.Getenv("SHOAL_TEST_LOG") == "" {
		return zerolog.Nop()
	}
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

// subscribe is a system subscription to svc's live events.
func subscribe(t testing.TB, svc *dm.Service, f dm.EventFilter) (*dm.Subscription, func()) {
	t.Helper()
	sub, cancel, err := svc.Subscribe(dm.System(), f)
	if err != nil {
		t.Fatal(err)
	}
	return sub, cancel
}
