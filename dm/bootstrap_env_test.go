package dm_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"github.com/rs/zerolog"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/bootstrap"
	"github.com/shoal-iot/shoal/bootstrap/ca"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// bsEnv is dm with provisioning, a management server and a bootstrap
// server on 127.0.0.1, over a real store, with Shoal's CA.
type bsEnv struct {
	st         *storage.Store
	svc        *dm.Service
	prov       *dm.Provisioning
	srv        *server.Server
	bs         *bootstrap.Server
	authority  *ca.Authority
	serverCert tls.Certificate
}

type bsOpts struct {
	server func(*server.Config)
	prov   func(*dm.ProvisioningConfig)
	dm     func(*dm.Config)
}

func newBSEnv(t testing.TB, b storetest.Backend, o bsOpts) *bsEnv {
	t.Helper()
	st := openStoreTB(t, b, b.NewDSN(t))
	reg := objects.New()
	cfg := dm.Config{DispatchInterval: 20 * time.Millisecond, RequestTimeout: 5 * time.Second, AllowNoSec: true}
	if o.dm != nil {
		o.dm(&cfg)
	}
	svc, err := dm.New(cfg, st.Stores(), reg, bsLog(t))
	if err != nil {
		t.Fatal(err)
	}
	authority, err := ca.Init(t.TempDir(), storetest.TestKey(), ca.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	serverCert, err := authority.IssueServer([]string{"127.0.0.1"}, 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pcfg := dm.ProvisioningConfig{CA: authority, ServerPublicKey: authority.Certificate().Raw, ExpiryInterval: time.Hour}
	if o.prov != nil {
		o.prov(&pcfg)
	}
	prov, err := dm.NewProvisioning(svc, st.ProvisioningStores(), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	scfg := server.Config{CoAPAddr: "127.0.0.1:0", CoAPSAddr: "127.0.0.1:0", Certificate: &serverCert,
		Credentials: svc.ServerCredentials(), Registrations: svc.ServerRegistrations(), Observations: svc.ServerObservations(),
		Listener: prov.Listener(svc.Listener()), Models: reg, ExpiryInterval: 20 * time.Millisecond,
		PersistInterval: 20 * time.Millisecond, RequestTimeout: 5 * time.Second, Logger: bsLog(t)}
	if o.server != nil {
		o.server(&scfg)
	}
	srv, err := server.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetSender(srv)
	prov.SetServerURIs("coap://"+srv.UDPAddr().String(), "coaps://"+srv.DTLSAddr().String())
	bs, err := bootstrap.New(bootstrap.Config{CoAPAddr: "127.0.0.1:0", CoAPSAddr: "127.0.0.1:0", Certificate: &serverCert,
		Provisioner: prov, Models: reg, Logger: bsLog(t), HandshakeTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	dmCtx, dmCancel := context.WithCancel(context.Background())
	errs := make(chan error, 4)
	go func() { errs <- srv.Serve(ctx) }()
	go func() { errs <- bs.Serve(ctx) }()
	go func() { errs <- prov.Run(ctx) }()
	runDone := make(chan error, 1)
	go func() { runDone <- svc.Run(dmCtx) }()
	t.Cleanup(func() {
		cancel()
		for range 3 {
			if err := <-errs; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
		dmCancel()
		if err := <-runDone; err != nil {
			t.Errorf("dm: %v", err)
		}
		st.Close()
	})
	<-srv.Ready()
	<-bs.Ready()
	<-svc.Running()
	return &bsEnv{st: st, svc: svc, prov: prov, srv: srv, bs: bs, authority: authority, serverCert: serverCert}
}

func (e *bsEnv) bsURI() string { return "coaps://" + e.bs.DTLSAddr().String() }

// pskConfig creates the default configuration: PSK for Shoal itself.
func (e *bsEnv) defaultConfig(t *testing.T, spec models.BootstrapSpec) models.BootstrapConfig {
	t.Helper()
	if len(spec.Servers) == 0 {
		spec.Servers = []models.BootstrapServer{{ShortServerID: 1}}
	}
	if spec.Security == "" {
		spec.Security = models.ModePSK
	}
	c, err := e.prov.CreateBootstrapConfig(context.Background(), dm.System(), dm.BootstrapConfigInput{Name: "default", Default: true, Spec: spec})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// factoryDevice creates a device with a per-device factory PSK and returns
// the client settings that hold only those factory credentials.
func (e *bsEnv) factoryDevice(t *testing.T, ep string) client.Config {
	t.Helper()
	ctx := context.Background()
	if _, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: ep, Credentials: &dm.CredentialsInput{Mode: "nosec"}}); err != nil {
		t.Fatal(err)
	}
	fc, key, err := e.prov.CreateFactoryCredential(ctx, dm.System(), dm.FactoryInput{Device: ep})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := hex.DecodeString(key)
	return client.Config{Endpoint: ep, BootstrapURI: e.bsURI(), PSKIdentity: fc.PSKIdentity, PSKKey: k}
}

// credentials returns the device's credentials by state.
func (e *bsEnv) credentials(t *testing.T, ep string) map[models.CredentialState][]dm.CredentialDetail {
	t.Helper()
	cs, err := e.prov.Credentials(context.Background(), dm.System(), ep)
	if err != nil {
		t.Fatal(err)
	}
	out := map[models.CredentialState][]dm.CredentialDetail{}
	for _, c := range cs {
		out[models.CredentialState(c.State)] = append(out[models.CredentialState(c.State)], c)
	}
	return out
}

// registeredWith waits until ep is registered with the given identity.
func (e *bsEnv) registeredWith(t *testing.T, ep, identity string) server.Registration {
	t.Helper()
	var reg server.Registration
	waitFor(t, ep+" registered as "+identity, func() bool {
		r, ok := e.srv.Registration(ep)
		reg = r
		return ok && r.Identity == identity
	})
	return reg
}

func parsePEM(s string) (*x509.Certificate, error) { return ca.ParseCertificatePEM([]byte(s)) }

// bsLog is testLog for benchmarks too.
func bsLog(t testing.TB) zerolog.Logger {
	if tt, ok := t.(*testing.T); ok {
		return testLog(tt)
	}
	return zerolog.Nop()
}
