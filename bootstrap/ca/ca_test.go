package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden CA in testdata")

// goldenSecret is the secret key the golden CA in testdata is sealed with.
var goldenSecret = bytes.Repeat([]byte{0x11}, 32)

func secret(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestInitLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	a, err := Init(dir, secret(1), InitOptions{CommonName: "Test CA", Organization: "Shoal"})
	if err != nil {
		t.Fatal(err)
	}
	c := a.Certificate()
	if !c.IsCA || c.Subject.CommonName != "Test CA" || c.PublicKeyAlgorithm != x509.ECDSA {
		t.Fatalf("CA certificate: CA %v CN %q alg %v", c.IsCA, c.Subject.CommonName, c.PublicKeyAlgorithm)
	}
	if pub := c.PublicKey.(*ecdsa.PublicKey); pub.Curve.Params().Name != "P-256" {
		t.Fatalf("curve %s", pub.Curve.Params().Name)
	}
	if c.NotAfter.Sub(time.Now()) < 9*365*24*time.Hour {
		t.Fatalf("CA valid until %v, want about ten years", c.NotAfter)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, KeyFile))
	if !strings.Contains(string(raw), sealedKeyType) || strings.Contains(string(raw), "PRIVATE KEY-----\nM") {
		t.Fatalf("key file is not sealed:\n%s", raw)
	}
	b, err := Load(dir, secret(1))
	if err != nil {
		t.Fatal(err)
	}
	if b.Fingerprint() != a.Fingerprint() || !b.key.Equal(a.key) {
		t.Fatal("loaded CA differs from the created one")
	}
	if !bytes.Equal(b.CertificatePEM(), a.CertificatePEM()) {
		t.Fatal("certificate PEM differs")
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	a, err := Init(dir, secret(1), InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Init(dir, secret(1), InitOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("second Init: %v, want ErrExists", err)
	}
	b, err := Init(dir, secret(1), InitOptions{Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.Fingerprint() == a.Fingerprint() {
		t.Fatal("Replace kept the old CA")
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(t.TempDir(), secret(1)); !errors.Is(err, ErrNotInitialised) {
		t.Fatalf("empty dir: %v", err)
	}
	dir := t.TempDir()
	if _, err := Init(dir, secret(1), InitOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, secret(2)); !errors.Is(err, ErrSealedKey) {
		t.Fatalf("wrong secret: %v", err)
	}
	// A key file next to another CA's certificate does not open.
	other := t.TempDir()
	if _, err := Init(other, secret(1), InitOptions{}); err != nil {
		t.Fatal(err)
	}
	k, _ := os.ReadFile(filepath.Join(other, KeyFile))
	os.WriteFile(filepath.Join(dir, KeyFile), k, 0o600)
	if _, err := Load(dir, secret(1)); !errors.Is(err, ErrSealedKey) {
		t.Fatalf("swapped key: %v", err)
	}
	os.WriteFile(filepath.Join(dir, CertFile), []byte("not pem"), 0o644)
	if _, err := Load(dir, secret(1)); !errors.Is(err, ErrCertificate) {
		t.Fatalf("bad cert: %v", err)
	}
}

func TestParseSealedErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/ca.key")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		in   string
		want string
	}{
		"empty":        {"", "no PEM block"},
		"other type":   {"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", `type "EC PRIVATE KEY"`},
		"no version":   {strings.Replace(string(good), "Version: 1", "Version: 9", 1), `Version "9"`},
		"short body":   {"-----BEGIN " + sealedKeyType + "-----\nCipher: AES-256-GCM\nVersion: 1\n\nAAAA\n-----END " + sealedKeyType + "-----\n", "sealed body is 3 bytes"},
		"trailing":     {string(good) + "junk", "unexpected bytes after the PEM block"},
		"wrong cipher": {strings.Replace(string(good), "AES-256-GCM", "ROT13", 1), `Cipher "ROT13"`},
	}
	for name, c := range cases {
		_, _, err := parseSealed([]byte(c.in))
		if !errors.Is(err, ErrSealedKey) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

func TestGoldenCALoads(t *testing.T) {
	if *update {
		os.Remove("testdata/ca.crt")
		os.Remove("testdata/ca.key")
		if _, err := Init("testdata", goldenSecret, InitOptions{CommonName: "Shoal Golden CA",
			Validity: 100 * 365 * 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := Load("testdata", goldenSecret)
	if err != nil {
		t.Fatalf("the golden CA no longer loads (sealed key format changed?): %v", err)
	}
	if a.Certificate().Subject.CommonName != "Shoal Golden CA" {
		t.Fatalf("CN %q", a.Certificate().Subject.CommonName)
	}
}

func TestIssueDevice(t *testing.T) {
	a, err := Load("testdata", goldenSecret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	is, err := a.IssueDevice("urn:imei:490154203237518", 30*24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	c := is.Certificate
	if c.Subject.CommonName != "urn:imei:490154203237518" || c.IsCA {
		t.Fatalf("CN %q CA %v", c.Subject.CommonName, c.IsCA)
	}
	if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Fatalf("ext key usage %v", c.ExtKeyUsage)
	}
	if d := c.NotAfter.Sub(now); d < 30*24*time.Hour-time.Second || d > 30*24*time.Hour+time.Second {
		t.Fatalf("validity ends %v after now", d)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: a.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("does not verify against the CA: %v", err)
	}
	if is.Fingerprint != Fingerprint(is.CertDER) || len(is.Fingerprint) != 64 {
		t.Fatalf("fingerprint %q", is.Fingerprint)
	}
	k, err := x509.ParsePKCS8PrivateKey(is.KeyDER)
	if err != nil || !k.(*ecdsa.PrivateKey).PublicKey.Equal(c.PublicKey) {
		t.Fatalf("private key does not match: %v", err)
	}
	if c.SerialNumber.BitLen() < 64 {
		t.Fatalf("serial %v is not random enough", c.SerialNumber)
	}
	is2, _ := a.IssueDevice("urn:imei:490154203237518", time.Hour, now)
	if is2.Certificate.SerialNumber.Cmp(c.SerialNumber) == 0 {
		t.Fatal("two certificates share a serial number")
	}
	if err := a.Verify(c, now.Add(31*24*time.Hour)); err == nil {
		t.Fatal("an expired certificate verifies")
	}
}

func TestIssueCappedByCA(t *testing.T) {
	dir := t.TempDir()
	a, err := Init(dir, secret(1), InitOptions{Validity: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	is, err := a.IssueDevice("dev", 365*24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !is.NotAfter.Equal(a.Certificate().NotAfter) {
		t.Fatalf("device certificate outlives its CA: %v > %v", is.NotAfter, a.Certificate().NotAfter)
	}
}

func TestIssueRejectsBadNames(t *testing.T) {
	a, err := Load("testdata", goldenSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"", strings.Repeat("x", 65), "a\x00b", "\xff"} {
		if _, err := a.IssueDevice(n, time.Hour, time.Now()); !errors.Is(err, ErrRequest) {
			t.Errorf("name %q: %v", n, err)
		}
	}
	if _, err := a.IssueDevice("dev", time.Second, time.Now()); !errors.Is(err, ErrRequest) {
		t.Errorf("one second validity: %v", err)
	}
}

func TestIssueServerHandshakes(t *testing.T) {
	a, err := Load("testdata", goldenSecret)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := a.IssueServer([]string{"localhost", "127.0.0.1"}, 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Certificate) != 2 || sc.Leaf.DNSNames[0] != "localhost" || !sc.Leaf.IPAddresses[0].IsLoopback() {
		t.Fatalf("server certificate: chain %d, names %v %v", len(sc.Certificate), sc.Leaf.DNSNames, sc.Leaf.IPAddresses)
	}
	if _, err := sc.Leaf.Verify(x509.VerifyOptions{Roots: a.Pool(), DNSName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	// The pair is usable by crypto/tls (the key matches the leaf).
	if _, err := tls.X509KeyPair(pemOf(sc.Certificate[0], "CERTIFICATE"), pemKey(t, sc)); err != nil {
		t.Fatal(err)
	}
}
