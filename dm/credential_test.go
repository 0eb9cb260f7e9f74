package dm_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// selfSigned returns a self-signed ECDSA certificate and its key in DER.
func selfSigned(t *testing.T, cn string, notAfter time.Time) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	cert, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	key, err = x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func pemOf(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestX509DeviceRegisters: a device created with its certificate is
// pinned by fingerprint and registers over DTLS with it.
func TestX509DeviceRegisters(t *testing.T) {
	srvCert, srvKey := selfSigned(t, "shoal-test-server", time.Now().Add(time.Hour))
	k, _ := x509.ParsePKCS8PrivateKey(srvKey)
	e := newEnv(t, storetest.SQLite(), envOpts{server: func(c *server.Config) {
		c.Certificate = &tls.Certificate{Certificate: [][]byte{srvCert}, PrivateKey: k}
	}})
	ctx := context.Background()
	cert, key := selfSigned(t, "x509-dev", time.Now().Add(time.Hour))
	created, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "x509-dev",
		Credentials: &dm.CredentialsInput{Mode: "x509", CertificatePEM: pemOf(cert)}})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert)
	if created.Credential.Fingerprint != hex.EncodeToString(sum[:]) || created.Credential.NotAfter.IsZero() || created.PSKKeyHex != "" {
		t.Fatalf("credential %+v", created.Credential)
	}
	startDevice(t, client.Config{Endpoint: "x509-dev", ServerURI: e.coapsURI(), CertDER: cert, KeyDER: key})
	v := e.waitStatus(t, "x509-dev", models.StatusOnline)
	if v.Registration == nil || v.Registration.Security != server.ModeX509 || v.Registration.Identity != created.Credential.Fingerprint {
		t.Fatalf("registration %+v", v.Registration)
	}
}

// TestCreateDeviceCredentials covers given keys, NoSec and the refusals,
// each naming the field.
func TestCreateDeviceCredentials(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{})
	ctx := context.Background()
	c, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "given", Credentials: &dm.CredentialsInput{Mode: "psk", PSKIdentity: "id-given", PSKKeyHex: "00112233445566778899aabbccddeeff"}})
	if err != nil || c.PSKKeyHex != "" || c.Credential.PSKIdentity != "id-given" {
		t.Fatalf("given key: %v %+v", err, c)
	}
	key, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	startDevice(t, client.Config{Endpoint: "given", ServerURI: e.coapsURI(), PSKIdentity: "id-given", PSKKey: key})
	e.waitStatus(t, "given", models.StatusOnline)

	if _, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "plain", Credentials: &dm.CredentialsInput{Mode: "nosec"}}); err != nil {
		t.Fatal(err)
	}
	startDevice(t, client.Config{Endpoint: "plain", ServerURI: e.coapURI()})
	e.waitStatus(t, "plain", models.StatusOnline)

	expired, _ := selfSigned(t, "old", time.Now().Add(-time.Minute))
	other, _ := selfSigned(t, "someone-else", time.Now().Add(time.Hour))
	for _, tc := range []struct {
		in    dm.DeviceInput
		field string
	}{
		{dm.DeviceInput{}, "endpoint"},
		{dm.DeviceInput{Endpoint: "has space"}, "endpoint"},
		{dm.DeviceInput{Endpoint: strings.Repeat("x", 300)}, "endpoint"},
		{dm.DeviceInput{Endpoint: "ok", Labels: map[string]string{"": "v"}}, "labels"},
		{dm.DeviceInput{Endpoint: "ok", Profile: "nope"}, "profile"},
		{dm.DeviceInput{Endpoint: "ok", Customer: "nope"}, "customer"},
		{dm.DeviceInput{Endpoint: "ok", Credentials: &dm.CredentialsInput{Mode: "psk", PSKKeyHex: "zz"}}, "credentials.psk_key"},
		{dm.DeviceInput{Endpoint: "ok", Credentials: &dm.CredentialsInput{Mode: "psk", PSKKeyHex: strings.Repeat("00", 65)}}, "credentials.psk_key"},
		{dm.DeviceInput{Endpoint: "ok", Credentials: &dm.CredentialsInput{Mode: "rsa"}}, "credentials.mode"},
		{dm.DeviceInput{Endpoint: "ok", Credentials: &dm.CredentialsInput{Mode: "x509", CertificatePEM: "garbage"}}, "credentials.certificate"},
		{dm.DeviceInput{Endpoint: "old", Credentials: &dm.CredentialsInput{Mode: "x509", CertificatePEM: pemOf(expired)}}, "credentials.certificate"},
		{dm.DeviceInput{Endpoint: "ok", Credentials: &dm.CredentialsInput{Mode: "x509", CertificatePEM: pemOf(other)}}, "credentials.certificate"},
	} {
		_, err := e.svc.CreateDevice(ctx, dm.System(), tc.in)
		if !isErr(err, dm.ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: %v, want ErrInvalid naming %s", tc.in, err, tc.field)
		}
	}
	if _, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "given"}); !isErr(err, dm.ErrConflict) {
		t.Errorf("duplicate endpoint: %v", err)
	}
	// A taken PSK identity is refused and leaves no half-made device.
	_, err = e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "dup-id", Credentials: &dm.CredentialsInput{PSKIdentity: "id-given"}})
	if !isErr(err, dm.ErrConflict) {
		t.Errorf("duplicate identity: %v", err)
	}
	if _, err := e.svc.GetDevice(ctx, dm.System(), "dup-id"); !isErr(err, dm.ErrNotFound) {
		t.Errorf("device of a refused credential: %v", err)
	}
}

// TestNoSecRefusedWhenNotAllowed: NoSec devices need AllowNoSec.
func TestNoSecRefusedWhenNotAllowed(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{dm: func(c *dm.Config) { c.AllowNoSec = false }})
	_, err := e.svc.CreateDevice(context.Background(), dm.System(), dm.DeviceInput{Endpoint: "plain", Credentials: &dm.CredentialsInput{Mode: "nosec"}})
	if !isErr(err, dm.ErrInvalid) {
		t.Fatalf("%v", err)
	}
}

// TestUnknownNoSecAutoCreated: with the server admitting unknown plain-UDP
// endpoints, such a device appears in the inventory.
func TestUnknownNoSecAutoCreated(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{server: func(c *server.Config) { c.AllowUnknownNoSec = true }})
	startDevice(t, client.Config{Endpoint: "stranger", ServerURI: e.coapURI()})
	e.waitStatus(t, "stranger", models.StatusOnline)
	res := e.read(t, "stranger", "/3/0/0")
	if res.Response.Content.Value.Str() != "Shoal" {
		t.Fatalf("%+v", res.Response)
	}
}

// TestImportDevices reports per row.
func TestImportDevices(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{})
	res, err := e.svc.ImportDevices(context.Background(), dm.System(), []dm.DeviceInput{
		{Endpoint: "imp-1"}, {Endpoint: "bad endpoint"}, {Endpoint: "imp-1"},
		{Endpoint: "imp-2", Credentials: &dm.CredentialsInput{PSKKeyHex: "abcd"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || !res[0].OK || res[0].PSKKeyHex == "" || res[1].OK || !strings.Contains(res[1].Error, "endpoint") ||
		res[2].OK || !strings.Contains(res[2].Error, "conflict") || !res[3].OK || res[3].PSKKeyHex != "" || res[3].Row != 4 {
		t.Fatalf("%+v", res)
	}
}
