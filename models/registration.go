package models

import (
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Transport is how a registration reached the server.
type Transport string

// Transports.
const (
	TransportUDP  Transport = "udp"
	TransportDTLS Transport = "dtls"
)

// Registration is a device's current registration with the management
// server, kept so a restart leaves every registered device known and
// addressable.
type Registration struct {
	Endpoint       string        `json:"endpoint"`
	RegistrationID string        `json:"registration_id"`
	Address        string        `json:"address"` // host:port the device was last heard from
	Lifetime       time.Duration `json:"lifetime"`
	Binding        string        `json:"binding"` // e.g. "U", "UQ"
	LwM2MVersion   string        `json:"lwm2m_version"`
	SMS            string        `json:"sms,omitempty"`
	QueueMode      bool          `json:"queue_mode"`
	RootPath       string        `json:"root_path,omitempty"`
	ObjectLinks    string        `json:"object_links"` // the raw link-format payload
	RegisteredAt   time.Time     `json:"registered_at"`
	LastSeen       time.Time     `json:"last_seen"`
	ExpiresAt      time.Time     `json:"expires_at"`
	Transport      Transport     `json:"transport"`
	Identity       string        `json:"identity,omitempty"` // PSK identity or certificate fingerprint
}

// Observation is an observe relationship established on a device, kept so
// notifications can be matched again after a restart.
type Observation struct {
	Endpoint   string              `json:"endpoint"`
	Token      []byte              `json:"token"`
	Paths      []lwm2m.Path        `json:"paths"`
	Composite  bool                `json:"composite"`
	Format     lwm2m.ContentFormat `json:"format"`
	Attributes lwm2m.Attributes    `json:"attributes,omitzero"`
	CreatedAt  time.Time           `json:"created_at"`
}
