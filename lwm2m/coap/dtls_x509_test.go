package coap_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/internal/testpki"
)

// testPKI makes a CA and a certificate signed by it for each CN.
func testPKI(t *testing.T, cns ...string) (*x509.CertPool, map[string]tls.Certificate) {
	t.Helper()
	ca, err := testpki.NewCA("Shoal test CA")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]tls.Certificate{}
	for _, cn := range cns {
		if out[cn], err = ca.Issue(cn); err != nil {
			t.Fatal(err)
		}
	}
	return ca.Pool, out
}

func verifyWith(pool *x509.CertPool) func([]*x509.Certificate) error {
	return func(chain []*x509.Certificate) error {
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		_, err := chain[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		return err
	}
}

func TestDTLSX509(t *testing.T) {
	pool, certs := testPKI(t, "shoal.test", "dev-x509")
	_, rogue := testPKI(t, "dev-x509")
	srvCert := certs["shoal.test"]
	srv := &peerCatcher{reply: echoPath}
	var f failures
	ep := serveDTLS(t, coap.Config{Handler: srv}, coap.DTLSConfig{Certificate: &srvCert, VerifyClient: verifyWith(pool), OnHandshakeFailed: f.add})

	devCert := certs["dev-x509"]
	c := dial(t, ep.Addr().String(), coap.DialConfig{DTLS: &coap.DTLSClientConfig{Certificate: &devCert, RootCAs: pool, ServerName: "shoal.test"}})
	if _, err := c.Do(testCtx(t), coap.NewRequest(coap.POST, "rd")); err != nil {
		t.Fatal(err)
	}
	id := srv.peer.Load().Identity()
	if id.Kind != coap.IdentityX509 || id.CommonName != "dev-x509" || id.Fingerprint != coap.CertFingerprint(devCert.Leaf) || len(id.Chain) != 1 {
		t.Fatalf("server sees identity %+v", id)
	}
	if c.Peer().Identity().CommonName != "shoal.test" {
		t.Fatalf("client sees server identity %v", c.Peer().Identity())
	}

	// A certificate from another CA is refused.
	bad := rogue["dev-x509"]
	_, err := coap.Dial(testCtx(t), ep.Addr().String(), coap.DialConfig{DTLS: &coap.DTLSClientConfig{Certificate: &bad, RootCAs: pool, ServerName: "shoal.test", HandshakeTimeout: 3 * time.Second}})
	if err == nil {
		t.Fatal("a certificate from an unknown CA was accepted")
	}
	waitFor(t, "the refused handshake to be reported", func() bool { return f.count() >= 1 })
}
