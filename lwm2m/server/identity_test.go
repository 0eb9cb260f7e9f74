package server_test

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/testpki"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// secureDevice dials the server's DTLS port as a device.
func secureDevice(t *testing.T, s *server.Server, dc coap.DTLSClientConfig, h coap.Handler) *coap.Conn {
	t.Helper()
	if dc.HandshakeTimeout == 0 {
		dc.HandshakeTimeout = 5 * time.Second
	}
	c, err := coap.Dial(testCtx(t), s.DTLSAddr().String(), coap.DialConfig{DTLS: &dc, Config: coap.Config{Handler: h}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func do(t *testing.T, c *coap.Conn, m *coap.Message) *coap.Message {
	t.Helper()
	r, err := c.Do(testCtx(t), m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func registerReq(links string, query ...string) *coap.Message {
	m := coap.NewRequest(coap.POST, "rd")
	m.AddQuery(query...)
	m.SetContentFormat(lwm2m.FormatLinkFormat)
	m.Payload = []byte(links)
	return m
}

func pskOf(id string, key string) coap.DTLSClientConfig {
	return coap.DTLSClientConfig{PSKIdentity: []byte(id), PSK: []byte(key)}
}

func TestPSKIdentityBinding(t *testing.T) {
	rec := newRecorder()
	creds := server.NewMemoryCredentials()
	creds.AddPSK("dev-a", "id-a", []byte("key-a"))
	creds.AddPSK("dev-b", "id-b", []byte("key-b"))
	cfg := testConfig(rec)
	cfg.Credentials = creds
	s := startServer(t, cfg)

	a := secureDevice(t, s, pskOf("id-a", "key-a"), nil)
	// Registering under someone else's name is refused.
	if r := do(t, a, registerReq(`</1/0>`, "ep=dev-b")); r.Code != lwm2m.CodeForbidden {
		t.Fatalf("dev-a registering as dev-b: %v %q", r, r.Payload)
	}
	rec.waitEvent(t, "security identity-mismatch")
	r := do(t, a, registerReq(`</1/0>`, "ep=dev-a", "lwm2m=1.1"))
	idA := r.LocationPath()[1]
	reg, _ := s.Registration("dev-a")
	if reg.Transport != "dtls" || reg.Security != server.ModePSK || reg.Identity != "id-a" {
		t.Fatalf("registration %+v", reg)
	}

	b := secureDevice(t, s, pskOf("id-b", "key-b"), nil)
	do(t, b, registerReq(`</1/0>`, "ep=dev-b", "lwm2m=1.1"))
	// dev-b may not update or de-register dev-a's registration.
	for _, m := range []*coap.Message{coap.NewRequest(coap.POST, "rd", idA), coap.NewRequest(coap.DELETE, "rd", idA)} {
		if r := do(t, b, m); r.Code != lwm2m.CodeForbidden {
			t.Fatalf("dev-b %s on dev-a's registration: %v", coap.MethodName(m.Code), r)
		}
	}
	if _, ok := s.Registration("dev-a"); !ok {
		t.Fatal("dev-a lost its registration")
	}
	waitUntil(t, "three identity-mismatch events", func() bool { return rec.count("security identity-mismatch") == 3 })
	// dev-a itself may update.
	if r := do(t, a, coap.NewRequest(coap.POST, "rd", idA)); r.Code != lwm2m.CodeChanged {
		t.Fatalf("dev-a update: %v", r)
	}
}

func TestPSKRegisterWithoutEndpointName(t *testing.T) {
	creds := server.NewMemoryCredentials()
	creds.AddPSK("dev-12", "id-12", []byte("key"))
	cfg := testConfig(newRecorder())
	cfg.Credentials = creds
	s := startServer(t, cfg)
	c := secureDevice(t, s, pskOf("id-12", "key"), nil)
	if r := do(t, c, registerReq(`</1/0>`, "lwm2m=1.2")); r.Code != lwm2m.CodeCreated {
		t.Fatalf("1.2 register without ep: %v %q", r, r.Payload)
	}
	if _, ok := s.Registration("dev-12"); !ok {
		t.Fatal("endpoint name not taken from the credentials")
	}
}

func TestUnknownPSKIdentityRefused(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(rec)
	s := startServer(t, cfg)
	dc := pskOf("nobody", "x")
	dc.HandshakeTimeout = 2 * time.Second
	if _, err := coap.Dial(testCtx(t), s.DTLSAddr().String(), coap.DialConfig{DTLS: &dc}); err == nil {
		t.Fatal("handshake with an unknown identity succeeded")
	}
	rec.waitEvent(t, "security handshake-failed")
}

func TestRevokeAndDisconnect(t *testing.T) {
	rec := newRecorder()
	creds := server.NewMemoryCredentials()
	creds.AddPSK("dev-r", "id-r", []byte("key-r"))
	cfg := testConfig(rec)
	cfg.Credentials = creds
	s := startServer(t, cfg)
	c := secureDevice(t, s, pskOf("id-r", "key-r"), nil)
	do(t, c, registerReq(`</1/0>`, "ep=dev-r"))
	creds.Revoke("dev-r")
	if err := s.Disconnect("dev-r"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		// The server closed its end; the client learns it from the alert.
		t.Fatal("the device's session was not closed")
	}
	dc := pskOf("id-r", "key-r")
	dc.HandshakeTimeout = 2 * time.Second
	if _, err := coap.Dial(testCtx(t), s.DTLSAddr().String(), coap.DialConfig{DTLS: &dc}); err == nil {
		t.Fatal("a revoked PSK could handshake again")
	}
	if _, err := s.Send(testCtx(t), "dev-r", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0"))); err == nil {
		t.Fatal("Send to a disconnected device succeeded")
	}
}

func TestX509Binding(t *testing.T) {
	rec := newRecorder()
	ca, err := testpki.NewCA("Shoal devices")
	if err != nil {
		t.Fatal(err)
	}
	srvCert, _ := ca.Issue("shoal.test")
	devCert, _ := ca.Issue("dev-x")
	pinned, _ := testpki.SelfSigned("whatever-cn")
	stranger, _ := testpki.SelfSigned("dev-x")
	creds := server.NewMemoryCredentials()
	creds.AddCertificate("pinned-dev", coap.CertFingerprint(pinned.Leaf))
	cfg := testConfig(rec)
	cfg.Credentials, cfg.Certificate, cfg.ClientCAs = creds, &srvCert, ca.Pool
	s := startServer(t, cfg)

	x509Dev := func(cert tls.Certificate) coap.DTLSClientConfig {
		return coap.DTLSClientConfig{Certificate: &cert, RootCAs: ca.Pool, ServerName: "shoal.test", HandshakeTimeout: 3 * time.Second}
	}
	c := secureDevice(t, s, x509Dev(devCert), nil)
	if r := do(t, c, registerReq(`</1/0>`, "ep=dev-y")); r.Code != lwm2m.CodeForbidden {
		t.Fatalf("CN dev-x registering as dev-y: %v", r)
	}
	if r := do(t, c, registerReq(`</1/0>`, "ep=dev-x")); r.Code != lwm2m.CodeCreated {
		t.Fatalf("CN dev-x registering as itself: %v %q", r, r.Payload)
	}
	reg, _ := s.Registration("dev-x")
	if reg.Security != server.ModeX509 || reg.Identity != coap.CertFingerprint(devCert.Leaf) {
		t.Fatalf("registration %+v", reg)
	}

	// A pinned certificate names its endpoint whatever its CN says.
	p := secureDevice(t, s, x509Dev(pinned), nil)
	if r := do(t, p, registerReq(`</1/0>`, "ep=pinned-dev")); r.Code != lwm2m.CodeCreated {
		t.Fatalf("pinned certificate: %v %q", r, r.Payload)
	}
	// A self-signed certificate that is neither pinned nor from the CA does
	// not get through the handshake, even with the right CN.
	dc := x509Dev(stranger)
	if _, err := coap.Dial(testCtx(t), s.DTLSAddr().String(), coap.DialConfig{DTLS: &dc}); err == nil {
		t.Fatal("an unknown certificate was accepted")
	}
	rec.waitEvent(t, "security handshake-failed")
}
