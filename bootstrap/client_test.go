package bootstrap

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/bootstrap/ca"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
)

// registrations collects Registered events of a management server.
type registrations struct {
	server.NopListener
	ch chan server.Registration
}

func (r registrations) Registered(reg server.Registration, _ *server.Registration) { r.ch <- reg }

func startManagement(t *testing.T, creds server.CredentialStore) (*server.Server, chan server.Registration) {
	t.Helper()
	ch := make(chan server.Registration, 4)
	s, err := server.New(server.Config{CoAPAddr: "127.0.0.1:0", CoAPSAddr: "127.0.0.1:0", Credentials: creds,
		Listener: registrations{ch: ch}, Models: objects.New()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-s.Ready()
	return s, ch
}

func runClient(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	cfg.Models, cfg.Codecs, cfg.Dialer, cfg.SimInterval = objects.New(), std.New(), &client.CoAPDialer{}, -1
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return c
}

func waitRegistration(t *testing.T, ch chan server.Registration) server.Registration {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("the device never registered to the management server")
	}
	return server.Registration{}
}

// TestClientBootstrapsOverDTLSAndRegistersWithThePSK: a device holding
// only factory PSK credentials bootstraps over DTLS, is given a
// management PSK and registers with it.
func TestClientBootstrapsOverDTLSAndRegistersWithThePSK(t *testing.T) {
	mgmtCreds := server.NewMemoryCredentials()
	mgmtCreds.AddPSK("dev-psk", "mgmt-id", []byte("0123456789abcdef"))
	mgmt, regs := startManagement(t, mgmtCreds)

	prov := newTestProvisioner()
	prov.factory["factory-1"] = []byte("factory-secret-key")
	prov.bound["factory-1"] = "dev-psk"
	prov.plan = func(req Request, st DeviceState) (Plan, error) {
		p := pskPlan(dtlsURI(mgmt.DTLSAddr()), 3)
		p.Accounts[0].DefaultMinPeriod, p.Accounts[0].DefaultMaxPeriod = 5*time.Second, 60*time.Second
		return p, nil
	}
	bs := startServer(t, prov, nil)
	runClient(t, client.Config{Endpoint: "dev-psk", BootstrapURI: dtlsURI(bs.DTLSAddr()),
		PSKIdentity: "factory-1", PSKKey: []byte("factory-secret-key")})

	res := prov.result(t)
	if !res.OK || res.Step != StepDone || res.Err != nil {
		t.Fatalf("session: ok %v step %s err %v", res.OK, res.Step, res.Err)
	}
	if res.Request.Identity.PSKIdentity != "factory-1" || res.Request.PreferredFormat != lwm2m.FormatSenMLCBOR {
		t.Fatalf("request: identity %v pct %v", res.Request.Identity, res.Request.PreferredFormat)
	}
	if res.Format != lwm2m.FormatSenMLCBOR || res.State.Version != "1.1" || !res.State.Discovered {
		t.Fatalf("format %v version %q discovered %v", res.Format, res.State.Version, res.State.Discovered)
	}
	if res.State.Servers == nil {
		t.Fatal("a 1.1 device's /1 was not read")
	}
	if len(res.State.BootstrapInstances) != 1 || len(res.Written) != 1 || res.Written[0].ShortServerID != 3 ||
		res.Written[0].SecurityInstance == res.State.BootstrapInstances[0] {
		t.Fatalf("bootstrap account %v, written %+v", res.State.BootstrapInstances, res.Written)
	}
	reg := waitRegistration(t, regs)
	if reg.Endpoint != "dev-psk" || reg.Security != server.ModePSK || reg.Identity != "mgmt-id" || reg.Lifetime != 120*time.Second {
		t.Fatalf("registration %+v", reg)
	}
}

// TestClient10BootstrapsOverCoAPWithTLV: a 1.0 device on plain CoAP gets
// TLV (it sends no pct) and its /1 is not read.
func TestClient10BootstrapsOverCoAPWithTLV(t *testing.T) {
	mgmtCreds := server.NewMemoryCredentials()
	mgmtCreds.AddNoSec("dev-10")
	mgmt, regs := startManagement(t, mgmtCreds)
	prov := newTestProvisioner()
	prov.known["dev-10"] = true
	prov.plan = func(Request, DeviceState) (Plan, error) {
		return Plan{Accounts: []ServerAccount{{ShortServerID: 9, URI: udpURI(mgmt.UDPAddr()), Mode: ModeNoSec,
			Lifetime: 90 * time.Second, Binding: "UQ"}}}, nil
	}
	bs := startServer(t, prov, nil)
	runClient(t, client.Config{Endpoint: "dev-10", Version: "1.0", QueueMode: true, BootstrapURI: udpURI(bs.UDPAddr())})
	res := prov.result(t)
	if !res.OK || res.Format != lwm2m.FormatTLV || res.State.Servers != nil || res.State.Version != "1.0" {
		t.Fatalf("ok %v err %v format %v servers %v version %q", res.OK, res.Err, res.Format, res.State.Servers, res.State.Version)
	}
	reg := waitRegistration(t, regs)
	if reg.Binding != "UQ" || !reg.QueueMode || reg.Lifetime != 90*time.Second {
		t.Fatalf("registration %+v", reg)
	}
}

// TestClientWithWrongFactoryKeyCannotBootstrap: a wrong factory key fails
// the handshake, reported as a security event, and no session starts.
func TestClientWithWrongFactoryKeyCannotBootstrap(t *testing.T) {
	prov := newTestProvisioner()
	prov.factory["factory-1"] = []byte("factory-secret-key")
	prov.bound["factory-1"] = "dev-x"
	prov.plan = func(Request, DeviceState) (Plan, error) { t.Error("planned"); return Plan{}, nil }
	bs := startServer(t, prov, func(c *Config) { c.HandshakeTimeout = time.Second })
	runClient(t, client.Config{Endpoint: "dev-x", BootstrapURI: dtlsURI(bs.DTLSAddr()),
		PSKIdentity: "factory-1", PSKKey: []byte("not-the-factory-key")})
	prov.event(t, "handshake-failed")
	if n := len(bs.Sessions()); n != 0 {
		t.Fatalf("%d sessions", n)
	}
}

// TestClientBootstrapsWithFactoryCertificate: a device with a factory
// X.509 certificate is vetted by the provisioner during the handshake, its
// certificate identity reaches Authorize, and it is given an X.509
// management account.
func TestClientBootstrapsWithFactoryCertificate(t *testing.T) {
	authority, err := ca.Load("ca/testdata", bytes.Repeat([]byte{0x11}, 32))
	if err != nil {
		t.Fatal(err)
	}
	serverCert, err := authority.IssueServer([]string{"127.0.0.1"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	factory, err := authority.IssueDevice("dev-cert", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mgmtCert, err := authority.IssueDevice("dev-cert", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mgmtCreds := server.NewMemoryCredentials()
	mgmtCreds.AddCertificate("dev-cert", mgmtCert.Fingerprint)
	ch := make(chan server.Registration, 4)
	mgmt, err := server.New(server.Config{CoAPSAddr: "127.0.0.1:0", Credentials: mgmtCreds, Certificate: &serverCert,
		Listener: registrations{ch: ch}, Models: objects.New()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgmt.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	prov := newTestProvisioner()
	var authorized Request
	prov.plan = func(req Request, _ DeviceState) (Plan, error) {
		authorized = req
		return Plan{Accounts: []ServerAccount{{ShortServerID: 1, URI: dtlsURI(mgmt.DTLSAddr()), Mode: ModeCertificate,
			Identity: mgmtCert.CertDER, SecretKey: mgmtCert.KeyDER, ServerPublicKey: authority.Certificate().Raw,
			Lifetime: time.Minute}}}, nil
	}
	bs := startServer(t, prov, func(c *Config) { c.Certificate = &serverCert; c.CoAPAddr = "" })
	runClient(t, client.Config{Endpoint: "dev-cert", BootstrapURI: dtlsURI(bs.DTLSAddr()),
		CertDER: factory.CertDER, KeyDER: factory.KeyDER, ServerCADER: authority.Certificate().Raw})
	res := prov.result(t)
	if !res.OK {
		t.Fatalf("session failed at %s: %v", res.Step, res.Err)
	}
	if authorized.Identity.Fingerprint != factory.Fingerprint || authorized.Identity.CommonName != "dev-cert" {
		t.Fatalf("identity %v", authorized.Identity)
	}
	prov.mu.Lock()
	vetted := len(prov.verified) > 0 && prov.verified[0].Equal(factory.Certificate)
	prov.mu.Unlock()
	if !vetted {
		t.Fatal("the factory certificate was not shown to the provisioner")
	}
	reg := waitRegistration(t, ch)
	if reg.Security != server.ModeX509 || reg.Identity != mgmtCert.Fingerprint {
		t.Fatalf("registration %+v", reg)
	}
}
