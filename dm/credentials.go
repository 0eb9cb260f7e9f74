package dm

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// PSK limits: a generated key has 128 bits (RFC 7925 §4.2 asks for keys
// of at least that strength); a given key may have 1 to 64 bytes, an
// identity at most 128 bytes.
const (
	generatedPSKBytes = 16
	maxPSKBytes       = 64
	maxPSKIdentity    = 128
)

// newCredential builds the credential of a new device from in (nil: a
// generated PSK). It returns the key in hex when Shoal generated it.
func (s *Service) newCredential(endpoint string, in *CredentialsInput, now time.Time) (models.Credential, string, error) {
	if in == nil {
		in = &CredentialsInput{Mode: string(models.ModePSK)}
	}
	c := models.Credential{State: models.CredentialActive}
	switch mode := strings.ToLower(strings.TrimSpace(in.Mode)); models.SecurityMode(mode) {
	case models.ModePSK, "":
		c.Mode = models.ModePSK
		c.PSKIdentity = in.PSKIdentity
		if c.PSKIdentity == "" {
			c.PSKIdentity = endpoint
		}
		if len(c.PSKIdentity) > maxPSKIdentity {
			return c, "", fmt.Errorf("%w: credentials.psk_identity: %d bytes, at most %d", ErrInvalid, len(c.PSKIdentity), maxPSKIdentity)
		}
		if in.PSKKeyHex == "" {
			c.PSKKey = make([]byte, generatedPSKBytes)
			if _, err := rand.Read(c.PSKKey); err != nil {
				return c, "", fmt.Errorf("dm: generating a PSK: %w", err)
			}
			return c, hex.EncodeToString(c.PSKKey), nil
		}
		key, err := hex.DecodeString(strings.TrimSpace(in.PSKKeyHex))
		if err != nil {
			return c, "", fmt.Errorf("%w: credentials.psk_key: not hexadecimal: %v", ErrInvalid, err)
		}
		if len(key) == 0 || len(key) > maxPSKBytes {
			return c, "", fmt.Errorf("%w: credentials.psk_key: %d bytes, want 1 to %d", ErrInvalid, len(key), maxPSKBytes)
		}
		c.PSKKey = key
	case models.ModeX509:
		c.Mode = models.ModeX509
		cert, err := parseCertificate(in.CertificatePEM)
		if err != nil {
			return c, "", err
		}
		if cert.Subject.CommonName != endpoint {
			return c, "", fmt.Errorf("%w: credentials.certificate: CN %q is not the endpoint %q", ErrInvalid, cert.Subject.CommonName, endpoint)
		}
		if !now.Before(cert.NotAfter) {
			return c, "", fmt.Errorf("%w: credentials.certificate: expired on %s", ErrInvalid, cert.NotAfter.UTC().Format(time.RFC3339))
		}
		sum := sha256.Sum256(cert.Raw)
		c.Fingerprint = hex.EncodeToString(sum[:])
		c.NotAfter = cert.NotAfter.UTC()
		c.CertificatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	case models.ModeNoSec:
		if !s.cfg.AllowNoSec {
			return c, "", fmt.Errorf("%w: credentials.mode: nosec devices are not allowed on this server", ErrInvalid)
		}
		c.Mode = models.ModeNoSec
	default:
		return c, "", fmt.Errorf("%w: credentials.mode: %q is not psk, x509 or nosec", ErrInvalid, in.Mode)
	}
	return c, "", nil
}

// parseCertificate reads the first CERTIFICATE block of a PEM text.
func parseCertificate(text string) (*x509.Certificate, error) {
	rest := []byte(text)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("%w: credentials.certificate: no PEM CERTIFICATE block", ErrInvalid)
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: credentials.certificate: %v", ErrInvalid, err)
		}
		return cert, nil
	}
}

// credentialView describes c without its secret.
func credentialView(c models.Credential) CredentialView {
	return CredentialView{ID: c.ID, Mode: string(c.Mode), PSKIdentity: c.PSKIdentity, Fingerprint: c.Fingerprint,
		NotAfter: c.NotAfter, State: string(c.State)}
}
