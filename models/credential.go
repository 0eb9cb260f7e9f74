package models

import "time"

// SecurityMode is how a device authenticates its (D)TLS session.
type SecurityMode string

// Security modes (Core TS, object 0 resource 2 — only those Shoal serves).
const (
	ModePSK   SecurityMode = "psk"
	ModeX509  SecurityMode = "x509"
	ModeNoSec SecurityMode = "nosec"
)

// CredentialState is where a credential is in its life.
type CredentialState string

// Credential states: usable, issued but not yet confirmed by the device
// (rotation in progress), withdrawn.
const (
	CredentialActive  CredentialState = "active"
	CredentialPending CredentialState = "pending"
	CredentialRevoked CredentialState = "revoked"
)

// Credential is one way a device may authenticate. PSKKey is secret: the
// store encrypts it at rest and it must never be logged.
type Credential struct {
	ID             int64           `json:"id"`
	DeviceID       int64           `json:"device_id"`
	Mode           SecurityMode    `json:"mode"`
	PSKIdentity    string          `json:"psk_identity,omitempty"`
	PSKKey         []byte          `json:"-"`
	CertificatePEM string          `json:"certificate_pem,omitempty"`
	Fingerprint    string          `json:"fingerprint,omitempty"` // lower-case hex SHA-256 of the DER certificate
	NotAfter       time.Time       `json:"not_after,omitzero"`
	State          CredentialState `json:"state"`
	CreatedAt      time.Time       `json:"created_at"`
	RevokedAt      time.Time       `json:"revoked_at,omitzero"`
}
