package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// File names inside the CA directory.
const (
	CertFile = "ca.crt"
	KeyFile  = "ca.key"
)

// DirName is the CA directory inside Shoal's data directory.
const DirName = "ca"

// maxCertFile bounds ca.crt: one certificate in PEM is a few KiB.
const maxCertFile = 64 << 10

// Authority is a loaded CA: its certificate and signing key. It is
// immutable and safe for concurrent use.
type Authority struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// InitOptions tune Init.
type InitOptions struct {
	// CommonName of the CA certificate (default "Shoal CA").
	CommonName string
	// Organization is an optional subject organisation.
	Organization string
	// Validity of the CA certificate (default 10 years).
	Validity time.Duration
	// Replace overwrites an existing CA; without it Init fails with
	// ErrExists. Certificates the old CA signed stop verifying.
	Replace bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *InitOptions) defaults() {
	if o.CommonName == "" {
		o.CommonName = "Shoal CA"
	}
	if o.Validity == 0 {
		o.Validity = 10 * 365 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Dir returns the CA directory of a data directory.
func Dir(dataDir string) string { return filepath.Join(dataDir, DirName) }

// Exists reports whether dir holds a CA certificate.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, CertFile))
	return err == nil
}

// Init creates a CA in dir (mode 0700): a fresh ECDSA P-256 key, a
// self-signed certificate, ca.crt and the sealed ca.key. secret is the
// data directory's 32-byte secret key.
func Init(dir string, secret []byte, o InitOptions) (*Authority, error) {
	o.defaults()
	if o.Validity < time.Hour {
		return nil, fmt.Errorf("%w: CA validity %v is under an hour", ErrRequest, o.Validity)
	}
	if Exists(dir) && !o.Replace {
		return nil, fmt.Errorf("%w in %s", ErrExists, dir)
	}
	if _, err := sealAEAD(secret); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca: generating the key: %w", err)
	}
	now := o.Now().UTC()
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{CommonName: o.CommonName}
	if o.Organization != "" {
		subject.Organization = []string{o.Organization}
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: subject,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(o.Validity),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage:     x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId: keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("ca: self-signing: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("ca: encoding the key: %w", err)
	}
	sealed, err := sealKey(secret, pkcs8, der)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ca: creating %s: %w", dir, err)
	}
	// The key goes first: a ca.crt without its key is never left behind as
	// the only file, and Load checks that the two belong together.
	if err := writeFile(filepath.Join(dir, KeyFile), sealed, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, CertFile), certPEM, 0o644); err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &Authority{cert: cert, key: key, certPEM: certPEM}, nil
}

// Load reads the CA of dir and opens its key with secret.
func Load(dir string, secret []byte) (*Authority, error) {
	certPEM, err := readBounded(filepath.Join(dir, CertFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w (%s)", ErrNotInitialised, dir)
	}
	if err != nil {
		return nil, err
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, CertFile), err)
	}
	if !cert.IsCA || cert.PublicKeyAlgorithm != x509.ECDSA {
		return nil, fmt.Errorf("%w: %s is not an ECDSA CA certificate", ErrCertificate, filepath.Join(dir, CertFile))
	}
	sealed, err := readBounded(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	pkcs8, err := openKey(secret, sealed, cert.Raw)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return nil, fmt.Errorf("%w: decrypted key is not PKCS#8: %v", ErrSealedKey, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%w: the key does not match the certificate's public key", ErrSealedKey)
	}
	return &Authority{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}, nil
}

// ParseCertificatePEM parses the first CERTIFICATE block of a PEM text.
func ParseCertificatePEM(b []byte) (*x509.Certificate, error) {
	rest := b
	for {
		var blk *pem.Block
		off := len(b) - len(rest)
		blk, rest = pem.Decode(rest)
		if blk == nil {
			return nil, fmt.Errorf("%w: no PEM CERTIFICATE block after byte %d", ErrCertificate, off)
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: block at byte %d: %v", ErrCertificate, off, err)
		}
		return c, nil
	}
}

// Certificate returns the CA certificate.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

// CertificatePEM returns the CA certificate in PEM.
func (a *Authority) CertificatePEM() []byte { return bytes.Clone(a.certPEM) }

// Fingerprint returns the lower-case hex SHA-256 of the CA certificate.
func (a *Authority) Fingerprint() string { return Fingerprint(a.cert.Raw) }

// Pool returns a pool holding the CA certificate.
func (a *Authority) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.cert)
	return p
}

// Fingerprint is the lower-case hex SHA-256 of a DER certificate.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func randomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("ca: serial number: %w", err)
	}
	b[0] &= 0x7f // positive, and DER-minimal lengths stay at 16 bytes or less
	if b[0] == 0 {
		b[0] = 1
	}
	return new(big.Int).SetBytes(b), nil
}

func keyID(pub *ecdsa.PublicKey) []byte {
	raw, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(raw)
	return sum[:20]
}

func writeFile(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("ca: writing %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("ca: writing %s: %w", path, err)
	}
	return nil
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCertFile+1))
	if err != nil {
		return nil, fmt.Errorf("ca: reading %s: %w", path, err)
	}
	if len(b) > maxCertFile {
		return nil, fmt.Errorf("ca: %s is larger than %d bytes", path, maxCertFile)
	}
	return b, nil
}
