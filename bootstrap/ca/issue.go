package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode/utf8"
)

// maxCommonName is the upper bound X.509 puts on a CN (RFC 5280 ub-common-name).
const maxCommonName = 64

// Issued is a freshly issued certificate with its private key.
type Issued struct {
	// CertDER is the certificate; KeyDER its private key in PKCS#8.
	CertDER []byte
	KeyDER  []byte
	// Certificate is CertDER parsed.
	Certificate *x509.Certificate
	// Fingerprint is the lower-case hex SHA-256 of CertDER.
	Fingerprint string
	NotAfter    time.Time
}

// IssueDevice issues a client certificate for a device: CN is the endpoint
// name, valid from an hour before now (clock skew) for validity.
func (a *Authority) IssueDevice(endpoint string, validity time.Duration, now time.Time) (Issued, error) {
	if err := checkName("endpoint", endpoint); err != nil {
		return Issued{}, err
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: endpoint},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return a.issue(tmpl, validity, now)
}

// IssueServer issues a DTLS server certificate for Shoal's own listeners,
// naming hosts (DNS names or IP addresses) as subject alternative names;
// the first is also the CN.
func (a *Authority) IssueServer(hosts []string, validity time.Duration, now time.Time) (tls.Certificate, error) {
	if len(hosts) == 0 {
		return tls.Certificate{}, fmt.Errorf("%w: a server certificate needs a host name", ErrRequest)
	}
	tmpl := &x509.Certificate{
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for i, h := range hosts {
		if err := checkName(fmt.Sprintf("host %d", i), h); err != nil {
			return tls.Certificate{}, err
		}
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	tmpl.Subject = pkix.Name{CommonName: hosts[0]}
	is, err := a.issue(tmpl, validity, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, _ := x509.ParsePKCS8PrivateKey(is.KeyDER)
	return tls.Certificate{Certificate: [][]byte{is.CertDER, a.cert.Raw}, PrivateKey: key, Leaf: is.Certificate}, nil
}

func (a *Authority) issue(tmpl *x509.Certificate, validity time.Duration, now time.Time) (Issued, error) {
	if validity < time.Minute {
		return Issued{}, fmt.Errorf("%w: validity %v is under a minute", ErrRequest, validity)
	}
	now = now.UTC()
	notAfter := now.Add(validity)
	if notAfter.After(a.cert.NotAfter) {
		notAfter = a.cert.NotAfter // never outlive the CA
	}
	if !now.Before(notAfter) {
		return Issued{}, fmt.Errorf("%w: the CA certificate expired on %s", ErrRequest, a.cert.NotAfter.Format(time.RFC3339))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Issued{}, fmt.Errorf("ca: generating a key: %w", err)
	}
	if tmpl.SerialNumber, err = randomSerial(); err != nil {
		return Issued{}, err
	}
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), notAfter
	tmpl.BasicConstraintsValid = true
	tmpl.SubjectKeyId = keyID(&key.PublicKey)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return Issued{}, fmt.Errorf("ca: signing: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Issued{}, fmt.Errorf("ca: encoding the key: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return Issued{}, fmt.Errorf("ca: reading back the certificate: %w", err)
	}
	return Issued{CertDER: der, KeyDER: pkcs8, Certificate: cert, Fingerprint: Fingerprint(der), NotAfter: cert.NotAfter}, nil
}

// Verify checks that chain[0] was issued by this CA and is valid at now.
func (a *Authority) Verify(leaf *x509.Certificate, now time.Time) error {
	_, err := leaf.Verify(x509.VerifyOptions{Roots: a.Pool(), CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: %s is empty", ErrRequest, what)
	case len(s) > maxCommonName:
		return fmt.Errorf("%w: %s is %d bytes, a certificate name holds at most %d", ErrRequest, what, len(s), maxCommonName)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%w: %s %q has invalid characters", ErrRequest, what, s)
	}
	return nil
}
