package server

import (
	"context"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// SecurityMode is how an endpoint is provisioned to connect.
type SecurityMode uint8

// Security modes.
const (
	ModeUnknown SecurityMode = iota // no credentials on record
	ModeNoSec                       // plain UDP allowed
	ModePSK                         // DTLS with a pre-shared key
	ModeX509                        // DTLS with a certificate
)

// String returns "unknown", "nosec", "psk" or "x509".
func (m SecurityMode) String() string {
	switch m {
	case ModeNoSec:
		return "nosec"
	case ModePSK:
		return "psk"
	case ModeX509:
		return "x509"
	}
	return "unknown"
}

// PSKCredential is a pre-shared key and the endpoint it belongs to.
type PSKCredential struct {
	Key      []byte
	Endpoint string
}

// CredentialStore looks up device credentials. Every method returns an
// error wrapping ErrUnknownCredential when it knows nothing; revoking a
// credential makes its lookups fail (then Server.Disconnect closes a live
// session). Implementations must be safe for concurrent use and fast: PSK
// is called during DTLS handshakes.
type CredentialStore interface {
	// PSK returns the key for a PSK identity and the endpoint it is bound to.
	PSK(ctx context.Context, identity string) (PSKCredential, error)
	// PinnedCertificate returns the endpoint a client certificate, named by
	// the lower-case hex SHA-256 of its DER, is pinned to.
	PinnedCertificate(ctx context.Context, fingerprint string) (endpoint string, err error)
	// SecurityMode returns how an endpoint is provisioned (ModeUnknown when
	// it is not).
	SecurityMode(ctx context.Context, endpoint string) (SecurityMode, error)
}

// Registration is a device's registration as the server keeps it: plain
// data, stored through a RegistrationStore.
type Registration struct {
	Endpoint string `json:"endpoint"`
	// ID is the registration id (the Location-Path /rd/<ID>).
	ID       string        `json:"id"`
	Lifetime time.Duration `json:"lifetime"`
	// Version is the LwM2M enabler version: "1.0", "1.1" or "1.2".
	Version string `json:"version"`
	// Binding is the b parameter ("U", "UQ", "T", …); QueueMode is true for
	// b=UQ (1.0) or the Q parameter (1.1+).
	Binding   string `json:"binding"`
	QueueMode bool   `json:"queue_mode"`
	SMS       string `json:"sms,omitempty"`
	// RootPath is "/" or the alternate root path of rt="oma.lwm2m".
	RootPath string `json:"root_path"`
	// ContentFormats are the formats announced with the root link (ct).
	ContentFormats []lwm2m.ContentFormat `json:"content_formats,omitempty"`
	// Objects are the object and instance links, raw link-format as sent.
	Objects string `json:"objects"`
	// Address is the device's current "host:port".
	Address string `json:"address"`
	// Transport is "udp" or "dtls".
	Transport string `json:"transport"`
	// Security and Identity say how the device authenticated: nosec, or psk
	// with the PSK identity, or x509 with the certificate's SHA-256
	// fingerprint.
	Security     SecurityMode `json:"security"`
	Identity     string       `json:"identity,omitempty"`
	RegisteredAt time.Time    `json:"registered_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	LastSeen     time.Time    `json:"last_seen"`
	// ExpiresAt is the last Register/Update plus the lifetime.
	ExpiresAt time.Time `json:"expires_at"`
}

// Observation is an observation the server holds on a device: enough to
// match its notifications again after a restart.
type Observation struct {
	Endpoint       string              `json:"endpoint"`
	RegistrationID string              `json:"registration_id"`
	Token          []byte              `json:"token"`
	Paths          []lwm2m.Path        `json:"paths"`
	Composite      bool                `json:"composite"`
	Format         lwm2m.ContentFormat `json:"format"`
	Attributes     lwm2m.Attributes    `json:"attributes,omitzero"`
	CreatedAt      time.Time           `json:"created_at"`
}

// String returns "ep /3/0/1 (token)".
func (o *Observation) String() string {
	return fmt.Sprintf("%s %v (%x)", o.Endpoint, o.Paths, o.Token)
}

// RegistrationStore persists registrations so a restart keeps devices
// known and addressable. The server is authoritative at runtime (it keeps
// every registration in memory) and writes through in batches.
type RegistrationStore interface {
	LoadRegistrations(ctx context.Context) ([]Registration, error)
	SaveRegistration(ctx context.Context, r Registration) error
	DeleteRegistration(ctx context.Context, endpoint string) error
}

// ObservationStore persists observations (token, paths, format) so
// notifications are still matched after a restart.
type ObservationStore interface {
	LoadObservations(ctx context.Context) ([]Observation, error)
	SaveObservation(ctx context.Context, o Observation) error
	DeleteObservation(ctx context.Context, endpoint string, token []byte) error
	// DeleteObservations removes every observation of an endpoint.
	DeleteObservations(ctx context.Context, endpoint string) error
}
