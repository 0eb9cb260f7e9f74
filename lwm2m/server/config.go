package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
)

// Config configures a Server. Start from DefaultConfig; the zero value of a
// duration or limit means its default, an empty address disables that
// listener.
type Config struct {
	// CoAPAddr and CoAPSAddr are the UDP and DTLS listen addresses
	// (":5683" and ":5684" by default; "" disables). Network "udp" listens
	// on IPv4 and IPv6.
	CoAPAddr  string
	CoAPSAddr string
	Network   string

	// Certificate is the server's certificate for X.509 devices (nil: PSK
	// only). ClientCAs verifies device certificates; a device certificate
	// pinned in the CredentialStore is accepted without it.
	Certificate *tls.Certificate
	ClientCAs   *x509.CertPool
	// DisableConnectionID turns DTLS connection IDs off (on by default).
	DisableConnectionID bool
	// HandshakeTimeout bounds a DTLS handshake (default 30 s, the
	// transport's). A client with a wrong PSK is reported (handshake-failed)
	// when it runs out: DTLS drops records it cannot decrypt silently.
	HandshakeTimeout time.Duration
	// AllowUnknownNoSec registers endpoints the CredentialStore does not
	// know over plain UDP (test labs, demos, load tests). Off by default:
	// they get 4.03.
	AllowUnknownNoSec bool

	// RequestTimeout bounds a downlink request unless the request sets its
	// own (default 10 s).
	RequestTimeout time.Duration
	// AwakeWindow is how long a queue-mode device is considered awake after
	// each uplink (default 93 s).
	AwakeWindow time.Duration
	// LifetimeGrace is added to a registration's lifetime before it
	// expires (default 15 s).
	LifetimeGrace time.Duration
	// DefaultLifetime applies when a Register has no lt (default 86400 s).
	DefaultLifetime time.Duration
	// MaxQueued caps requests held for one sleeping device (default 100).
	MaxQueued int
	// ExpiryInterval is how often registrations are checked for expiry and
	// queue-mode devices for sleep (default 1 s).
	ExpiryInterval time.Duration
	// PersistInterval batches writes to the stores (default 200 ms).
	PersistInterval time.Duration
	// PersistTimeout bounds the writing of one batch (default 10 s).
	// Batches are written with a context detached from Serve's, so the
	// batch under way at shutdown and the last one are written, not
	// cancelled; Serve waits for both, each bounded by PersistTimeout.
	PersistTimeout time.Duration
	// EventQueue is the number of events buffered for the listener
	// (default 65536); when full, uplink handling waits.
	EventQueue int

	// CoAP tunes the transport (retransmission, block size, body caps).
	// Its Handler, Unmatched and OnMalformed are set by the server.
	CoAP coap.Config

	// Credentials, Registrations and Observations default to in-memory
	// stores; Queue defaults to an in-memory FIFO per device.
	Credentials   CredentialStore
	Registrations RegistrationStore
	Observations  ObservationStore
	Queue         HoldQueue
	// Listener receives events (default: none).
	Listener Listener
	// Codecs encode and decode payloads (default: every standard format);
	// Models give resource types to the decoders (default: none known).
	Codecs *codec.Registry
	Models lwm2m.ModelProvider
	// Bootstrap, when set, serves /bs on the same listeners.
	Bootstrap coap.Handler
	// Files, when set, serves GET requests whose first path segment is
	// FilesPath (default "fw") on the same listeners: firmware packages a
	// device pulls by CoAP or CoAPS. Other methods there get 4.05.
	Files     coap.Handler
	FilesPath string
	Logger    zerolog.Logger
}

// DefaultConfig returns the defaults: both listeners on their standard
// ports, in-memory stores.
func DefaultConfig() Config {
	return Config{CoAPAddr: ":5683", CoAPSAddr: ":5684"}
}

// Validate applies defaults and checks the config.
func (c *Config) Validate() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.RequestTimeout, 10*time.Second)
	def(&c.AwakeWindow, 93*time.Second)
	def(&c.LifetimeGrace, 15*time.Second)
	def(&c.DefaultLifetime, 86400*time.Second)
	def(&c.ExpiryInterval, time.Second)
	def(&c.PersistInterval, 200*time.Millisecond)
	def(&c.PersistTimeout, 10*time.Second)
	if c.Network == "" {
		c.Network = "udp"
	}
	if c.FilesPath == "" {
		c.FilesPath = "fw"
	}
	if c.MaxQueued == 0 {
		c.MaxQueued = 100
	}
	if c.EventQueue == 0 {
		c.EventQueue = 1 << 16
	}
	if c.Credentials == nil {
		c.Credentials = NewMemoryCredentials()
	}
	if c.Registrations == nil {
		c.Registrations = NewMemoryRegistrations()
	}
	if c.Observations == nil {
		c.Observations = NewMemoryObservations()
	}
	if c.Queue == nil {
		c.Queue = NewMemoryQueue(c.MaxQueued)
	}
	if c.Listener == nil {
		c.Listener = NopListener{}
	}
	if c.Codecs == nil {
		c.Codecs = std.New()
	}
	if c.Models == nil {
		c.Models = lwm2m.NoModels{}
	}
	var errs []error
	if c.CoAPAddr == "" && c.CoAPSAddr == "" {
		errs = append(errs, errors.New("both listeners are disabled"))
	}
	for name, d := range map[string]time.Duration{
		"RequestTimeout": c.RequestTimeout, "AwakeWindow": c.AwakeWindow, "LifetimeGrace": c.LifetimeGrace,
		"DefaultLifetime": c.DefaultLifetime, "ExpiryInterval": c.ExpiryInterval, "PersistInterval": c.PersistInterval,
		"PersistTimeout": c.PersistTimeout,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", name, d))
		}
	}
	if c.MaxQueued < 1 || c.EventQueue < 1 {
		errs = append(errs, errors.New("MaxQueued and EventQueue must be positive"))
	}
	switch c.FilesPath {
	case "rd", "dp", "bs":
		errs = append(errs, fmt.Errorf("FilesPath %q is an LwM2M interface's path", c.FilesPath))
	}
	if err := c.CoAP.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("server: config: %w", errors.Join(errs...))
	}
	return nil
}
