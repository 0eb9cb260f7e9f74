package api_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/api"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage"
	"github.com/shoal-iot/shoal/storage/storetest"
	"github.com/shoal-iot/shoal/webhook"
)

const testToken = "shoal_test_token_for_the_api_tests_0123456789"

// env is the whole server on 127.0.0.1: a SQLite file, dm, lwm2m/server
// and the API behind an httptest server.
type env struct {
	t     testing.TB
	svc   *dm.Service
	srv   *server.Server
	api   *api.Server
	base  string       // the API's URL
	hc    *http.Client // a client for it
	dtls  string       // the LwM2M server's DTLS address
	token string
	stop  func()
}

type envOpts struct {
	api        func(*api.Config)
	dm         func(*dm.Config)
	server     func(*server.Config)
	queueDepth int
	// setup, when set, is called with dm and the store before dm runs
	// (to enable firmware, say).
	setup func(testing.TB, *dm.Service, *storage.Store)
	// backend is the database (nil: a SQLite file).
	backend *storetest.Backend
}

// eachBackend runs f as a subtest on SQLite and, when configured,
// PostgreSQL.
func eachBackend(t *testing.T, f func(t *testing.T, b storetest.Backend)) {
	t.Run("sqlite", func(t *testing.T) { f(t, storetest.SQLite()) })
	t.Run("postgres", func(t *testing.T) { f(t, storetest.Postgres(t)) })
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	ctx := context.Background()
	dsn, opts := "sqlite://"+filepath.Join(t.TempDir(), "shoal.db"), storage.Options{QueueDepth: o.queueDepth}
	if o.backend != nil {
		dsn, opts = o.backend.NewDSN(t), o.backend.Options
		opts.QueueDepth, opts.SecretKey = o.queueDepth, storetest.TestKey()
	}
	st, err := storage.Open(ctx, dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	reg := objects.New()
	dcfg := dm.Config{DispatchInterval: 20 * time.Millisecond, RequestTimeout: 5 * time.Second, AllowNoSec: true,
		QueueDepth: o.queueDepth}
	if o.dm != nil {
		o.dm(&dcfg)
	}
	stores := st.Stores()
	svc, err := dm.New(dcfg, stores, reg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	scfg := server.Config{
		CoAPAddr: "127.0.0.1:0", CoAPSAddr: "127.0.0.1:0",
		Credentials: svc.ServerCredentials(), Registrations: svc.ServerRegistrations(), Observations: svc.ServerObservations(),
		Listener: svc.Listener(), Models: reg, ExpiryInterval: 20 * time.Millisecond, PersistInterval: 20 * time.Millisecond,
		RequestTimeout: 5 * time.Second, Logger: zerolog.Nop(),
	}
	if o.server != nil {
		o.server(&scfg)
	}
	srv, err := server.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetSender(srv)
	wc, err := webhook.New(webhook.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetWebhookTransport(wc)
	if o.setup != nil {
		o.setup(t, svc, st)
	}
	acfg := api.Config{Addr: "127.0.0.1:0", Logger: zerolog.Nop(), Models: reg}
	if o.api != nil {
		o.api(&acfg)
	}
	a, err := api.New(acfg, svc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EnsureAdminToken(ctx, testToken); err != nil {
		t.Fatal(err)
	}
	srvCtx, srvCancel := context.WithCancel(ctx)
	dmCtx, dmCancel := context.WithCancel(ctx)
	srvDone, dmDone := make(chan error, 1), make(chan error, 1)
	go func() { srvDone <- srv.Serve(srvCtx) }()
	go func() { dmDone <- svc.Run(dmCtx) }()
	<-srv.Ready()
	<-svc.Running()
	hs := httptest.NewServer(a.Handler())
	e := &env{t: t, svc: svc, srv: srv, api: a, base: hs.URL, hc: hs.Client(), dtls: srv.DTLSAddr().String(), token: testToken}
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			hs.CloseClientConnections()
			hs.Close()
			srvCancel()
			if err := <-srvDone; err != nil {
				t.Errorf("lwm2m server: %v", err)
			}
			dmCancel()
			if err := <-dmDone; err != nil {
				t.Errorf("dm: %v", err)
			}
			st.Close()
		})
	}
	t.Cleanup(e.stop)
	return e
}

// reply is a decoded HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v, failing the test on error.
func (r reply) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("status %d: body %q: %v", r.status, r.body, err)
	}
}

// problem decodes a problem document and checks its content type.
func (r reply) problem(t testing.TB) map[string]any {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("status %d: Content-Type %q, want application/problem+json (body %s)", r.status, ct, r.body)
	}
	var p map[string]any
	r.json(t, &p)
	return p
}

// do sends a request with the admin token; body is JSON-encoded unless
// it is a string or []byte.
func (e *env) do(method, path string, body any, hdr ...string) reply {
	e.t.Helper()
	return e.doToken(e.token, method, path, body, hdr...)
}

func (e *env) doToken(token, method, path string, body any, hdr ...string) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// want fails the test unless r has the status.
func (r reply) want(t testing.TB, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// device is a running lwm2m/client; mute makes it stop answering.
type device struct {
	c      *client.Client
	mute   *atomic.Bool
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func (d *device) stop() {
	d.once.Do(func() {
		d.cancel()
		<-d.done
	})
}

// startDevice creates ep through the API with a generated PSK and runs a
// client for it over DTLS; mod adjusts the client config.
func (e *env) startDevice(ep string, mod func(*client.Config)) *device {
	e.t.Helper()
	return e.startDeviceWith(ep, nil, mod)
}

// startDeviceWith is startDevice with more members for the create body.
func (e *env) startDeviceWith(ep string, body map[string]any, mod func(*client.Config)) *device {
	e.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["endpoint"] = ep
	var created struct {
		Credential struct {
			PSKIdentity string `json:"psk_identity"`
		} `json:"credential"`
		PSKKey string `json:"psk_key"`
	}
	e.do("POST", "/api/v1/devices", body).want(e.t, 201).json(e.t, &created)
	key, err := hex.DecodeString(created.PSKKey)
	if err != nil || len(key) == 0 {
		e.t.Fatalf("no generated key: %q", created.PSKKey)
	}
	mute := &atomic.Bool{}
	cfg := client.Config{Endpoint: ep, ServerURI: "coaps://" + e.dtls,
		PSKIdentity: created.Credential.PSKIdentity, PSKKey: key, Models: objects.New(), Codecs: std.New(),
		Dialer: muteDialer{d: &client.CoAPDialer{}, mute: mute}, SimInterval: -1, RetryDelay: 100 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	c, err := client.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &device{c: c, mute: mute, cancel: cancel, done: make(chan error, 1)}
	go func() { d.done <- c.Run(ctx) }()
	e.t.Cleanup(d.stop)
	return d
}

// muteDialer lets a test silence a device: while mute is set, requests
// from the server go unanswered.
type muteDialer struct {
	d    client.Dialer
	mute *atomic.Bool
}

func (m muteDialer) Dial(ctx context.Context, t client.Target, in client.Inbound) (client.Conn, error) {
	return m.d.Dial(ctx, t, muteInbound{in: in, mute: m.mute})
}

type muteInbound struct {
	in   client.Inbound
	mute *atomic.Bool
}

func (m muteInbound) ServeCoAP(req *coap.Message) *coap.Message {
	if m.mute.Load() {
		return nil
	}
	return m.in.ServeCoAP(req)
}

func (m muteInbound) Cancelled(tok coap.Token) { m.in.Cancelled(tok) }

// waitFor polls cond until it holds (or 20 s pass: a hang, not a timing
// assertion).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits until the API shows ep with the status.
func (e *env) waitStatus(ep, status string) {
	e.t.Helper()
	waitFor(e.t, ep+" "+status, func() bool {
		var d struct {
			Status string `json:"status"`
		}
		r := e.do("GET", "/api/v1/devices/"+ep, nil)
		if r.status != 200 {
			return false
		}
		r.json(e.t, &d)
		return d.Status == status
	})
}
