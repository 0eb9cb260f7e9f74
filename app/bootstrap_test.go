package app_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/bootstrap/ca"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

type credentialJSON struct {
	ID          int64     `json:"id"`
	Mode        string    `json:"mode"`
	PSKIdentity string    `json:"psk_identity"`
	Fingerprint string    `json:"fingerprint"`
	NotAfter    time.Time `json:"not_after"`
	State       string    `json:"state"`
	Certificate string    `json:"certificate"`
	Reason      string    `json:"reason"`
	ConfirmedAt time.Time `json:"confirmed_at"`
}

type sessionJSON struct {
	ID         int64  `json:"id"`
	State      string `json:"state"`
	Step       string `json:"step"`
	DeviceCode string `json:"device_code"`
}

// startWithBootstrap runs the App with its bootstrap server on loopback
// ports and, when withCA, Shoal's CA initialised first (`shoal ca init`).
func startWithBootstrap(t *testing.T, dsn string, withCA bool) *running {
	t.Helper()
	cfg := testConfig(t, dsn)
	cfg.BootstrapCoAPAddr, cfg.BootstrapCoAPSAddr = "127.0.0.1:0", "127.0.0.1:0"
	if withCA {
		if _, err := app.InitCA(cfg.DataDir, ca.InitOptions{CommonName: "Test Shoal CA"}); err != nil {
			t.Fatal(err)
		}
	}
	return start(t, cfg)
}

func (r *running) bootstrapURI() string { return "coaps://" + r.a.BootstrapCoAPSAddr().String() }

// factoryDevice creates a device and its factory PSK through the API and
// returns a client configuration holding only those factory credentials.
func (r *running) factoryDevice(t *testing.T, ep string) client.Config {
	t.Helper()
	r.must(t, http.StatusCreated, http.MethodPost, "/devices", map[string]any{"endpoint": ep, "credentials": map[string]any{"mode": "nosec"}}, nil)
	var created struct {
		Credential struct {
			PSKIdentity string `json:"psk_identity"`
		} `json:"credential"`
		PSKKey string `json:"psk_key"`
	}
	r.must(t, http.StatusCreated, http.MethodPost, "/bootstrap/factory-credentials", map[string]any{"device": ep}, &created)
	key, err := hex.DecodeString(created.PSKKey)
	if err != nil || len(key) == 0 {
		t.Fatalf("factory key %q: %v", created.PSKKey, err)
	}
	return client.Config{Endpoint: ep, BootstrapURI: r.bootstrapURI(), PSKIdentity: created.Credential.PSKIdentity, PSKKey: key}
}

func (r *running) credentials(t *testing.T, ep string) (active, other []credentialJSON) {
	t.Helper()
	var pg struct {
		Items []credentialJSON `json:"items"`
	}
	r.must(t, http.StatusOK, http.MethodGet, "/devices/"+ep+"/credentials", nil, &pg)
	for _, c := range pg.Items {
		if c.State == "active" {
			active = append(active, c)
		} else {
			other = append(other, c)
		}
	}
	return active, other
}

// waitActive waits until the device's only active credential is the one
// named (PSK identity or fingerprint): the device registered with it.
func (r *running) waitActive(t *testing.T, ep, name string) {
	t.Helper()
	waitFor(t, ep+" using "+name, func() bool {
		a, _ := r.credentials(t, ep)
		return len(a) == 1 && (a[0].PSKIdentity == name || a[0].Fingerprint == name)
	})
}

// readManufacturer is a REST read of /3/0/0.
func (r *running) readManufacturer(t *testing.T, ep string) string {
	t.Helper()
	var res resultJSON
	r.must(t, http.StatusOK, http.MethodGet, "/devices/"+ep+"/lwm2m/3/0/0", nil, &res)
	return res.Content.Value.Str()
}

// managementAccount returns what bootstrap wrote into the device's /0: the
// management account's mode, identity and secret.
func managementAccount(t *testing.T, c *client.Client) (mode int64, identity, secret []byte) {
	t.Helper()
	sec, err := c.Read(lwm2m.ObjectPath(0))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range sec.Children {
		if bs, ok := in.Child(1); ok && bs.Value.Bool() {
			continue
		}
		m, _ := in.Child(2)
		id, _ := in.Child(3)
		s, _ := in.Child(5)
		return m.Value.Int(), id.Value.Bytes(), s.Value.Bytes()
	}
	t.Fatal("no management account in /0")
	return 0, nil, nil
}

func dialPSK(addr string, identity, key []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := coap.Dial(ctx, addr, coap.DialConfig{DTLS: &coap.DTLSClientConfig{PSKIdentity: identity, PSK: key, HandshakeTimeout: 3 * time.Second}})
	if err == nil {
		c.Close()
	}
	return err
}

// TestBootstrapPSKEndToEnd is issue 8's acceptance test with PSK: a device
// holding only factory credentials bootstraps over DTLS, receives a PSK,
// registers with it and is managed through the REST API; a rotation
// completes without ever locking it out, after which the old key no longer
// handshakes; a revoked key cannot handshake and the device's session is
// closed. On SQLite and PostgreSQL.
func TestBootstrapPSKEndToEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := startWithBootstrap(t, dsn, false)
		// A configuration that does not fit is refused naming the field.
		var problem struct {
			Field string `json:"field"`
		}
		if got := r.call(t, http.MethodPost, "/bootstrap/configs", map[string]any{"name": "bad", "default": true,
			"spec": map[string]any{"servers": []any{map[string]any{"short_server_id": 0}}, "security": "psk"}}, &problem); got != http.StatusBadRequest {
			t.Fatalf("bad configuration: %d", got)
		}
		r.must(t, http.StatusCreated, http.MethodPost, "/bootstrap/configs", map[string]any{"name": "default", "default": true,
			"spec": map[string]any{"servers": []any{map[string]any{"short_server_id": 1}}, "security": "psk", "lifetime": "120s"}}, nil)

		cfg := r.factoryDevice(t, "bs-psk")
		var factories struct {
			Items []map[string]any `json:"items"`
		}
		r.must(t, http.StatusOK, http.MethodGet, "/bootstrap/factory-credentials", nil, &factories)
		if len(factories.Items) != 1 || factories.Items[0]["psk_key"] != nil {
			t.Fatalf("factory credentials list shows a key: %v", factories.Items)
		}
		dev := device(t, cfg)
		r.waitStatus(t, "bs-psk", "online")
		if m := r.readManufacturer(t, "bs-psk"); m != "Shoal" {
			t.Fatalf("manufacturer %q", m)
		}
		mode, ident, key := managementAccount(t, dev)
		r.waitActive(t, "bs-psk", string(ident))
		active, _ := r.credentials(t, "bs-psk")
		if mode != 0 || len(key) != 16 || len(active) != 1 || active[0].PSKIdentity != string(ident) || active[0].Reason != "bootstrap" {
			t.Fatalf("device got mode %d identity %q (%d-byte key); Shoal has %+v", mode, ident, len(key), active)
		}
		raw := r.raw(t, "/devices/bs-psk/credentials")
		if strings.Contains(raw, hex.EncodeToString(key)) || strings.Contains(raw, "psk_key") {
			t.Fatalf("the credentials answer shows the secret: %s", raw)
		}
		var sessions struct {
			Items []sessionJSON `json:"items"`
		}
		r.must(t, http.StatusOK, http.MethodGet, "/devices/bs-psk/bootstrap/sessions", nil, &sessions)
		if len(sessions.Items) != 1 || sessions.Items[0].State != "finished" {
			t.Fatalf("sessions %+v", sessions.Items)
		}

		// Rotation.
		var rot struct {
			Credential credentialJSON `json:"credential"`
			Queued     bool           `json:"queued"`
		}
		r.must(t, http.StatusOK, http.MethodPost, "/devices/bs-psk/credentials/rotate", nil, &rot)
		if rot.Queued || rot.Credential.State != "pending" {
			t.Fatalf("rotation %+v", rot)
		}
		waitFor(t, "the rotated key in use", func() bool {
			a, _ := r.credentials(t, "bs-psk")
			return len(a) == 1 && a[0].ID == rot.Credential.ID
		})
		r.waitStatus(t, "bs-psk", "online")
		if m := r.readManufacturer(t, "bs-psk"); m != "Shoal" {
			t.Fatalf("after rotation: manufacturer %q", m)
		}
		_, newIdent, newKey := managementAccount(t, dev)
		if string(newIdent) != rot.Credential.PSKIdentity || bytes.Equal(newKey, key) {
			t.Fatalf("device holds %q after the rotation, want %q with a new key", newIdent, rot.Credential.PSKIdentity)
		}
		lwm2mAddr := r.a.CoAPSAddr().String()
		if err := dialPSK(lwm2mAddr, ident, key); err == nil {
			t.Fatal("the key rotated away still handshakes")
		}

		// Revocation.
		var revoked credentialJSON
		r.must(t, http.StatusOK, http.MethodDelete, "/devices/bs-psk/credentials/"+strconv.FormatInt(rot.Credential.ID, 10), nil, &revoked)
		if revoked.State != "revoked" {
			t.Fatalf("revoked %+v", revoked)
		}
		if err := dialPSK(lwm2mAddr, newIdent, newKey); err == nil {
			t.Fatal("a revoked key still handshakes")
		}
		var res resultJSON
		if got := r.call(t, http.MethodGet, "/devices/bs-psk/lwm2m/3/0/0?queue=false", nil, &res); got == http.StatusOK {
			t.Fatal("the device with a revoked key is still reachable")
		}
	})
}

// TestBootstrapX509EndToEnd: with Shoal's CA initialised, a device holding
// only factory credentials receives a certificate signed by that CA
// (downloadable through the API), registers with it and is managed.
func TestBootstrapX509EndToEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := startWithBootstrap(t, dsn, true)
		r.must(t, http.StatusCreated, http.MethodPost, "/bootstrap/configs", map[string]any{"name": "certs", "default": true,
			"spec": map[string]any{"servers": []any{map[string]any{"short_server_id": 5}}, "security": "x509", "cert_validity": "720h"}}, nil)
		caPEM := r.raw(t, "/ca/certificate")
		block, _ := pem.Decode([]byte(caPEM))
		if block == nil {
			t.Fatalf("CA certificate download: %q", caPEM)
		}
		caCert, err := x509.ParseCertificate(block.Bytes)
		if err != nil || caCert.Subject.CommonName != "Test Shoal CA" {
			t.Fatalf("CA %v %v", caCert, err)
		}
		dev := device(t, r.factoryDevice(t, "bs-x509"))
		r.waitStatus(t, "bs-x509", "online")
		if m := r.readManufacturer(t, "bs-x509"); m != "Shoal" {
			t.Fatalf("manufacturer %q", m)
		}
		mode, certDER, keyDER := managementAccount(t, dev)
		if mode != 2 || len(keyDER) == 0 {
			t.Fatalf("device account mode %d, key %d bytes", mode, len(keyDER))
		}
		cert, err := x509.ParseCertificate(certDER)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AddCert(caCert)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Fatalf("the device's certificate is not from Shoal's CA: %v", err)
		}
		if cert.Subject.CommonName != "bs-x509" || cert.NotAfter.Sub(time.Now()) > 721*time.Hour {
			t.Fatalf("certificate CN %q until %v", cert.Subject.CommonName, cert.NotAfter)
		}
		r.waitActive(t, "bs-x509", ca.Fingerprint(certDER))
		active, _ := r.credentials(t, "bs-x509")
		if len(active) != 1 || active[0].Mode != "x509" || active[0].Fingerprint != ca.Fingerprint(certDER) || active[0].NotAfter.IsZero() {
			t.Fatalf("credentials %+v", active)
		}
		if strings.Contains(r.raw(t, "/devices/bs-x509/credentials"), "PRIVATE KEY") {
			t.Fatal("the credentials answer shows a private key")
		}
	})
}

// TestBootstrapBadFinishEndToEnd: a session whose Finish the device
// refuses is reported failed with the device's code, and the device's
// credentials from before keep working.
func TestBootstrapBadFinishEndToEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		r := startWithBootstrap(t, dsn, false)
		r.must(t, http.StatusCreated, http.MethodPost, "/bootstrap/configs", map[string]any{"name": "default", "default": true,
			"spec": map[string]any{"servers": []any{map[string]any{"short_server_id": 1}}, "security": "psk"}}, nil)
		cfg := r.factoryDevice(t, "bs-fin")
		dev, stop := stoppableDevice(t, cfg)
		r.waitStatus(t, "bs-fin", "online")
		_, ident, key := managementAccount(t, dev)
		r.waitActive(t, "bs-fin", string(ident))
		stop()
		r.waitStatus(t, "bs-fin", "offline")

		h := coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, m *coap.Message) *coap.Message {
			switch m.Code {
			case coap.POST:
				return coap.ErrorResponse(lwm2m.CodeNotAcceptable, "refusing to finish")
			case coap.DELETE:
				return coap.NewResponse(lwm2m.CodeDeleted, nil)
			case coap.GET:
				return coap.ErrorResponse(lwm2m.CodeNotFound, "")
			}
			return coap.NewResponse(lwm2m.CodeChanged, nil)
		})
		dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer dcancel()
		conn, err := coap.Dial(dctx, r.a.BootstrapCoAPSAddr().String(), coap.DialConfig{Config: coap.Config{Handler: h},
			DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte(cfg.PSKIdentity), PSK: cfg.PSKKey}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := coap.NewRequest(coap.POST, "bs")
		req.AddQuery("ep=bs-fin")
		if resp, err := conn.Do(dctx, req); err != nil || resp.Code != lwm2m.CodeChanged {
			t.Fatalf("Bootstrap-Request: %v %v", resp, err)
		}
		var sessions struct {
			Items []sessionJSON `json:"items"`
		}
		waitFor(t, "the failed session recorded", func() bool {
			r.must(t, http.StatusOK, http.MethodGet, "/bootstrap/sessions?device=bs-fin&state=failed", nil, &sessions)
			return len(sessions.Items) == 1
		})
		if s := sessions.Items[0]; s.Step != "finish" || s.DeviceCode != "4.06" {
			t.Fatalf("failed session %+v", s)
		}
		active, _ := r.credentials(t, "bs-fin")
		if len(active) != 1 || active[0].PSKIdentity != string(ident) {
			t.Fatalf("credentials after the failed session: %+v", active)
		}
		if err := dialPSK(r.a.CoAPSAddr().String(), ident, key); err != nil {
			t.Fatalf("the old key no longer handshakes: %v", err)
		}
		// The device, itself again, registers with what it had.
		cfg2 := client.Config{Endpoint: "bs-fin", ServerURI: "coaps://" + r.a.CoAPSAddr().String(), PSKIdentity: string(ident), PSKKey: key}
		device(t, cfg2)
		r.waitStatus(t, "bs-fin", "online")
		if m := r.readManufacturer(t, "bs-fin"); m != "Shoal" {
			t.Fatalf("manufacturer %q", m)
		}
	})
}

// raw GETs path and returns the body.
func (r *running) raw(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// stoppableDevice runs a client until the returned stop is called (or
// cleanup).
func stoppableDevice(t *testing.T, cfg client.Config) (*client.Client, func()) {
	t.Helper()
	cfg.Models, cfg.Codecs, cfg.Dialer = objects.New(), std.New(), &client.CoAPDialer{}
	cfg.SimInterval, cfg.RetryDelay, cfg.RequestTimeout = -1, 100*time.Millisecond, 3*time.Second
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return c, stop
}
