package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/api"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage"
)

const testToken = "shoal_shoalctl_test_token_0123456789abcdef"

// env runs the real API (dm on SQLite, lwm2m/server on 127.0.0.1) behind
// an httptest server.
type env struct {
	t    *testing.T
	url  string
	srv  *server.Server
	svc  *dm.Service
	home string // an empty HOME, so no real config file is read
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storage.Open(ctx, "sqlite://"+filepath.Join(dir, "shoal.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := objects.New()
	svc, err := dm.New(dm.Config{DispatchInterval: 20 * time.Millisecond, AllowNoSec: true}, st.Stores(), reg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{
		CoAPAddr: "127.0.0.1:0", CoAPSAddr: "127.0.0.1:0", Credentials: svc.ServerCredentials(),
		Registrations: svc.ServerRegistrations(), Observations: svc.ServerObservations(), Listener: svc.Listener(),
		Models: reg, ExpiryInterval: 20 * time.Millisecond, PersistInterval: 20 * time.Millisecond, Logger: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetSender(srv)
	a, err := api.New(api.Config{Logger: zerolog.Nop(), Heartbeat: 50 * time.Millisecond}, svc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureAdminToken(ctx, testToken); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(ctx)
	dctx, dcancel := context.WithCancel(ctx)
	sdone, ddone := make(chan error, 1), make(chan error, 1)
	go func() { sdone <- srv.Serve(sctx) }()
	go func() { ddone <- svc.Run(dctx) }()
	<-srv.Ready()
	<-svc.Running()
	hs := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		scancel()
		<-sdone
		dcancel()
		<-ddone
		st.Close()
	})
	return &env{t: t, url: hs.URL, srv: srv, svc: svc, home: t.TempDir()}
}

// result is one shoalctl run.
type result struct {
	code     int
	out, err string
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
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

// ctl runs shoalctl with the env's server and token in the environment.
func (e *env) ctl(args ...string) result {
	e.t.Helper()
	return e.ctlEnv(map[string]string{"SHOAL_SERVER": e.url, "SHOAL_TOKEN": testToken}, "", args...)
}

// ctlEnv runs shoalctl with exactly the given environment and stdin.
func (e *env) ctlEnv(vars map[string]string, stdin string, args ...string) result {
	e.t.Helper()
	var out, errb syncBuffer
	getenv := func(k string) string {
		if k == "HOME" {
			if v, ok := vars[k]; ok {
				return v
			}
			return e.home
		}
		return vars[k]
	}
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, getenv)
	return result{code: code, out: out.String(), err: errb.String()}
}

// ok fails the test unless the run exited 0.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.out, r.err)
	}
	return r
}

// fails checks the exit code and that stderr is one line with want.
func (r result) fails(t *testing.T, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.out, r.err)
	}
	if strings.Count(strings.TrimSpace(r.err), "\n") != 0 || !strings.HasPrefix(r.err, "shoalctl: ") || !strings.Contains(r.err, want) {
		t.Fatalf("stderr %q: want one line with %q", r.err, want)
	}
}

// startDevice creates ep through shoalctl and runs a client for it.
func (e *env) startDevice(ep string) *client.Client {
	e.t.Helper()
	var created struct {
		Credential struct {
			PSKIdentity string `json:"psk_identity"`
		} `json:"credential"`
		PSKKey string `json:"psk_key"`
	}
	r := e.ctl("devices", "create", ep, "-o", "json").ok(e.t)
	mustUnmarshal(e.t, r.out, &created)
	key, err := hex.DecodeString(created.PSKKey)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := client.New(client.Config{Endpoint: ep, ServerURI: "coaps://" + e.srv.DTLSAddr().String(),
		PSKIdentity: created.Credential.PSKIdentity, PSKKey: key, Models: objects.New(), Codecs: std.New(),
		Dialer: &client.CoAPDialer{}, SimInterval: -1, RetryDelay: 100 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done })
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
