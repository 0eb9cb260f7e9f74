package ca

import (
	"os"
	"testing"
)

// FuzzParseSealed feeds arbitrary key files to the sealed-key parser and
// opener: errors, never panics.
func FuzzParseSealed(f *testing.F) {
	key, err := os.ReadFile("testdata/ca.key")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(key)
	f.Add([]byte("-----BEGIN " + sealedKeyType + "-----\n\n-----END " + sealedKeyType + "-----\n"))
	f.Add([]byte{})
	cert, err := os.ReadFile("testdata/ca.crt")
	if err != nil {
		f.Fatal(err)
	}
	c, err := ParseCertificatePEM(cert)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nonce, ct, err := parseSealed(data)
		if err == nil && (len(nonce) != nonceSize || len(ct) <= tagSize) {
			t.Fatalf("accepted a body of %d+%d bytes", len(nonce), len(ct))
		}
		_, _ = openKey(goldenSecret, data, c.Raw)
	})
}

// FuzzParseCertificatePEM feeds arbitrary text to the certificate reader.
func FuzzParseCertificatePEM(f *testing.F) {
	cert, err := os.ReadFile("testdata/ca.crt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cert)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCertificatePEM(data)
		if err == nil && c == nil {
			t.Fatal("nil certificate without an error")
		}
	})
}
