package dm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testService is a Service with only what newCredential needs.
func testService(allowNoSec bool) *Service {
	return &Service{cfg: Config{AllowNoSec: allowNoSec}}
}

// TestCredentialGolden checks the certificate files in testdata: the
// fingerprint of dev-ok.pem is the one `openssl x509 -fingerprint -sha256`
// prints, the others are refused naming credentials.certificate.
func TestCredentialGolden(t *testing.T) {
	s := testService(false)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	want := map[string]string{
		"dev-ok.pem":     "4f77ed21895eb6ad826d5b3d2a300d15c82808f6bd6bf985643caec40660c8c6",
		"other-cn.pem":   "CN \"someone-else\" is not the endpoint",
		"garbage.pem":    "no PEM CERTIFICATE block",
		"key-only.pem":   "no PEM CERTIFICATE block",
		"broken-der.pem": "credentials.certificate",
	}
	files, _ := filepath.Glob("testdata/credentials/*.pem")
	if len(files) != len(want) {
		t.Fatalf("testdata has %d files, the test knows %d", len(files), len(want))
	}
	for _, f := range files {
		pemText, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := s.newCredential("fuzz-dev", &CredentialsInput{Mode: "x509", CertificatePEM: string(pemText)}, now)
		w := want[filepath.Base(f)]
		switch {
		case err == nil && c.Fingerprint != w:
			t.Errorf("%s: fingerprint %s, want %s", f, c.Fingerprint, w)
		case err != nil && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), w)):
			t.Errorf("%s: %v, want ErrInvalid with %q", f, err, w)
		}
	}
}

// FuzzNewCredential feeds arbitrary modes, identities, hex keys and PEM
// texts to credential creation: it never panics, and every refusal is
// ErrInvalid naming a credentials field.
func FuzzNewCredential(f *testing.F) {
	files, _ := filepath.Glob("testdata/credentials/*.pem")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add("x509", "", "", string(b))
	}
	f.Add("psk", "id", "00112233", "")
	f.Add("psk", "", "", "")
	f.Add("PSK", strings.Repeat("i", 200), "zz", "")
	f.Add("nosec", "", "", "")
	f.Add("", "", strings.Repeat("ab", 70), "")
	s := testService(true)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, mode, ident, keyHex, pemText string) {
		c, gen, err := s.newCredential("fuzz-dev", &CredentialsInput{Mode: mode, PSKIdentity: ident, PSKKeyHex: keyHex, CertificatePEM: pemText}, now)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "credentials.") {
				t.Fatalf("refusal %v does not name the field", err)
			}
			return
		}
		switch c.Mode {
		case "psk":
			if len(c.PSKKey) == 0 || len(c.PSKKey) > maxPSKBytes || c.PSKIdentity == "" || (gen != "") != (keyHex == "") {
				t.Fatalf("psk credential %+v (generated %q)", c, gen)
			}
		case "x509":
			if len(c.Fingerprint) != 64 || c.NotAfter.IsZero() {
				t.Fatalf("x509 credential %+v", c)
			}
		}
	})
}
