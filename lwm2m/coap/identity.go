package coap

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
)

// IdentityKind says how a peer authenticated.
type IdentityKind uint8

// Identity kinds.
const (
	// IdentityNone: plain UDP, nothing proven.
	IdentityNone IdentityKind = iota
	// IdentityPSK: DTLS with a pre-shared key; PSKIdentity names it.
	IdentityPSK
	// IdentityX509: DTLS with a client certificate.
	IdentityX509
)

// String returns "none", "psk" or "x509".
func (k IdentityKind) String() string {
	switch k {
	case IdentityPSK:
		return "psk"
	case IdentityX509:
		return "x509"
	}
	return "none"
}

// Identity is what the DTLS handshake proved about a peer.
type Identity struct {
	Kind IdentityKind
	// PSKIdentity is the identity the client sent in its ClientKeyExchange.
	PSKIdentity string
	// CommonName is the subject CN of the leaf certificate.
	CommonName string
	// Fingerprint is the lower-case hex SHA-256 of the leaf certificate DER.
	Fingerprint string
	// Chain is the certificate chain the client presented, leaf first.
	Chain []*x509.Certificate
}

// String returns "none", "psk:<identity>" or "x509:<CN>".
func (id Identity) String() string {
	switch id.Kind {
	case IdentityPSK:
		return "psk:" + id.PSKIdentity
	case IdentityX509:
		return "x509:" + id.CommonName
	}
	return "none"
}

// Equal reports whether two identities name the same credential.
func (id Identity) Equal(o Identity) bool {
	if id.Kind != o.Kind {
		return false
	}
	switch id.Kind {
	case IdentityPSK:
		return id.PSKIdentity == o.PSKIdentity
	case IdentityX509:
		return id.Fingerprint == o.Fingerprint
	}
	return true
}

// CertFingerprint returns the lower-case hex SHA-256 of a certificate's DER.
func CertFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

func x509Identity(chain []*x509.Certificate) Identity {
	if len(chain) == 0 {
		return Identity{Kind: IdentityX509}
	}
	return Identity{
		Kind:        IdentityX509,
		CommonName:  chain[0].Subject.CommonName,
		Fingerprint: CertFingerprint(chain[0]),
		Chain:       chain,
	}
}
