package api_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/api"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shoal-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLS: with TLSCert and TLSKey the API is HTTPS only.
func TestServeTLS(t *testing.T) {
	e := newEnv(t, envOpts{})
	certFile, keyFile, pool := selfSigned(t)
	s, err := api.New(api.Config{Addr: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile, Logger: zerolog.Nop()}, e.svc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	<-s.Ready()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", "https://"+s.Addr().String()+"/api/v1/devices", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("https: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	resp, err = http.Get("http://" + s.Addr().String() + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP answered on the TLS port")
		}
	}
}

// TestCORS: no CORS headers by default; the configured origins get them
// and their preflights are answered.
func TestCORS(t *testing.T) {
	off := newEnv(t, envOpts{})
	r := off.do("GET", "/api/v1/devices", nil, "Origin", "https://console.example")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS on by default: %v", r.header)
	}
	on := newEnv(t, envOpts{api: func(c *api.Config) { c.CORSOrigins = []string{"https://console.example"} }})
	r = on.do("GET", "/api/v1/devices", nil, "Origin", "https://console.example").want(t, 200)
	if r.header.Get("Access-Control-Allow-Origin") != "https://console.example" {
		t.Fatalf("allowed origin: %v", r.header)
	}
	r = on.doToken("", "OPTIONS", "/api/v1/devices", nil, "Origin", "https://console.example",
		"Access-Control-Request-Method", "POST").want(t, 204)
	if r.header.Get("Access-Control-Allow-Methods") == "" || r.header.Get("Access-Control-Allow-Headers") == "" {
		t.Fatalf("preflight: %v", r.header)
	}
	r = on.do("GET", "/api/v1/devices", nil, "Origin", "https://evil.example").want(t, 200)
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin allowed: %v", r.header)
	}
}
