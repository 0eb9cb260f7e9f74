package client

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

func TestDTLSPSKRegister(t *testing.T) {
	key := []byte("0123456789abcdef")
	srv := newScriptedServer(t, &coap.DTLSConfig{PSK: func(id []byte) ([]byte, error) {
		if string(id) != "dev-1" {
			return nil, errors.New("unknown identity")
		}
		return key, nil
	}})
	c, _ := startClient(t, func(cfg *Config) {
		cfg.ServerURI = srv.uri("coaps")
		cfg.PSKIdentity = "dev-1"
		cfg.PSKKey = key
		cfg.ConnectionID = true
	})
	u := srv.expect(t, coap.POST, "rd")
	if id := u.peer.Identity(); id.Kind != coap.IdentityPSK || id.PSKIdentity != "dev-1" {
		t.Fatalf("server sees identity %v", id)
	}
	waitFor(t, "registered", func() bool { return c.Status().Registered })
	wantResp(t, do(t, u.peer, req(coap.GET, "/3/0", lwm2m.FormatNone, nil)), lwm2m.CodeContent)
}

// certPair makes a certificate signed by parent (self-signed when nil).
func certPair(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		IsCA:         isCA, BasicConstraintsValid: true,
	}
	if parent == nil {
		parent, parentKey = tmpl, k
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, k, der
}

func TestDTLSX509Register(t *testing.T) {
	ca, caKey, caDER := certPair(t, "shoal test CA", nil, nil, true)
	_, srvKey, srvDER := certPair(t, "127.0.0.1", ca, caKey, false)
	_, devKey, devDER := certPair(t, "dev-x509", ca, caKey, false)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	srv := newScriptedServer(t, &coap.DTLSConfig{
		Certificate: &tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey},
		VerifyClient: func(chain []*x509.Certificate) error {
			_, err := chain[0].Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			return err
		},
	})
	keyDER, err := x509.MarshalPKCS8PrivateKey(devKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := startClient(t, func(cfg *Config) {
		cfg.Endpoint = "dev-x509"
		cfg.ServerURI = srv.uri("coaps")
		cfg.CertDER, cfg.KeyDER, cfg.ServerCADER = devDER, keyDER, caDER
	})
	u := srv.expect(t, coap.POST, "rd")
	if id := u.peer.Identity(); id.Kind != coap.IdentityX509 {
		t.Fatalf("server sees identity %v", id)
	}
	waitFor(t, "registered", func() bool { return c.Status().Registered })
}
