package client

import (
	"fmt"
	"net/url"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Config describes one simulated device. Zero fields take the defaults
// WithDefaults documents; Validate says what is wrong.
type Config struct {
	// Endpoint is the client's endpoint name (required).
	Endpoint string
	// ServerURI is the management server, coap://host:port or
	// coaps://host:port. Unused when BootstrapURI is set: the bootstrap
	// server writes it into /0 and /1.
	ServerURI string
	// BootstrapURI, when set, makes the client bootstrap first (the
	// factory credentials below then belong to the bootstrap server).
	BootstrapURI string
	// ShortServerID is the management server's id in /0 and /1 (default 1).
	ShortServerID uint16
	// Lifetime is the registration lifetime (default 300 s).
	Lifetime time.Duration
	// Version is "1.1" (default) or "1.0": 1.0 registers with lwm2m=1.0,
	// binding "UQ" in queue mode and answers in TLV by default.
	Version string
	// QueueMode makes the device sleep after AwakeTime without traffic.
	QueueMode bool
	// AwakeTime is how long a queue-mode device stays awake after its last
	// uplink (default 93 s, the server's default awake window).
	AwakeTime time.Duration
	// Security: PSK identity and key for coaps (both or neither), or an
	// X.509 certificate and key in DER, with the server's CA in DER.
	PSKIdentity string
	PSKKey      []byte
	CertDER     []byte
	KeyDER      []byte
	ServerCADER []byte
	// ConnectionID asks DTLS for a connection ID (RFC 9146).
	ConnectionID bool

	// Device identity reported in /3.
	Manufacturer    string
	ModelNumber     string
	SerialNumber    string
	FirmwareVersion string

	// SimInterval is how often simulated values move (default 10 s; a
	// negative value freezes them).
	SimInterval time.Duration
	// Seed makes the simulated values reproducible (mixed with Endpoint).
	Seed uint64

	// Firmware configures the Firmware Update object.
	Firmware FirmwareOptions

	// Models gives the object models (required; objects.New()).
	Models lwm2m.ModelProvider
	// Codecs encodes and decodes payloads (required; std.New()).
	Codecs *codec.Registry
	// Clock drives every schedule (default SystemClock).
	Clock Clock
	// Logger receives the client's logs (default: disabled).
	Logger *zerolog.Logger
	// Events receives status callbacks (all optional).
	Events Events
	// RequestTimeout bounds each uplink exchange (default 10 s).
	RequestTimeout time.Duration
	// BootstrapTimeout bounds the wait for Bootstrap-Finish (default 60 s).
	BootstrapTimeout time.Duration
	// RetryDelay is the pause after a failed registration (default 5 s).
	RetryDelay time.Duration
	// RebootDelay is how long after an Execute of Reboot (or of the
	// firmware Update) the simulated reboot happens (default 1 s).
	RebootDelay time.Duration
	// Dialer opens connections (required before Run; lwm2m/coap's).
	Dialer Dialer
	// LocalAddr is the local IP to send from, e.g. "127.0.3.7" (fleets).
	LocalAddr string
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.ShortServerID == 0 {
		c.ShortServerID = 1
	}
	if c.Lifetime == 0 {
		c.Lifetime = 300 * time.Second
	}
	if c.Version == "" {
		c.Version = "1.1"
	}
	if c.AwakeTime == 0 {
		c.AwakeTime = 93 * time.Second
	}
	if c.Manufacturer == "" {
		c.Manufacturer = "Shoal"
	}
	if c.ModelNumber == "" {
		c.ModelNumber = "shoal-sim"
	}
	if c.SerialNumber == "" {
		c.SerialNumber = c.Endpoint
	}
	if c.FirmwareVersion == "" {
		c.FirmwareVersion = "1.0.0"
	}
	if c.SimInterval == 0 {
		c.SimInterval = 10 * time.Second
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.RebootDelay == 0 {
		c.RebootDelay = time.Second
	}
	if c.BootstrapTimeout == 0 {
		c.BootstrapTimeout = 60 * time.Second
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = 5 * time.Second
	}
	c.Firmware = c.Firmware.withDefaults()
	return c
}

// Validate reports the first problem with c (after defaults).
func (c Config) Validate() error {
	switch {
	case c.Endpoint == "":
		return fmt.Errorf("%w: endpoint name is required", ErrConfig)
	case c.ServerURI == "" && c.BootstrapURI == "":
		return fmt.Errorf("%w: a server or bootstrap URI is required", ErrConfig)
	case c.Version != "1.0" && c.Version != "1.1":
		return fmt.Errorf("%w: version %q is not 1.0 or 1.1", ErrConfig, c.Version)
	case c.Lifetime < time.Second:
		return fmt.Errorf("%w: lifetime %v is under one second", ErrConfig, c.Lifetime)
	case c.ShortServerID > lwm2m.MaxID:
		return fmt.Errorf("%w: short server id %d out of range", ErrConfig, c.ShortServerID)
	case (c.PSKIdentity == "") != (len(c.PSKKey) == 0):
		return fmt.Errorf("%w: PSK identity and key go together", ErrConfig)
	case (len(c.CertDER) == 0) != (len(c.KeyDER) == 0):
		return fmt.Errorf("%w: certificate and key go together", ErrConfig)
	case c.Models == nil:
		return fmt.Errorf("%w: object models are required", ErrConfig)
	case c.Codecs == nil:
		return fmt.Errorf("%w: a codec registry is required", ErrConfig)
	}
	for _, u := range []string{c.ServerURI, c.BootstrapURI} {
		if u == "" {
			continue
		}
		if _, _, err := parseServerURI(u); err != nil {
			return fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	return c.Firmware.validate()
}

// parseServerURI splits coap://host:port / coaps://host:port.
func parseServerURI(s string) (secure bool, hostport string, err error) {
	u, err := url.Parse(s)
	if err != nil {
		return false, "", fmt.Errorf("server URI %q: %v", s, err)
	}
	switch u.Scheme {
	case "coap":
	case "coaps":
		secure = true
	default:
		return false, "", fmt.Errorf("server URI %q: scheme must be coap or coaps", s)
	}
	if u.Host == "" {
		return false, "", fmt.Errorf("server URI %q has no host", s)
	}
	hostport = u.Host
	if u.Port() == "" {
		if secure {
			hostport += ":5684"
		} else {
			hostport += ":5683"
		}
	}
	return secure, hostport, nil
}

// Events are optional callbacks for fleet statistics. They run on the
// client's goroutines and must return quickly.
type Events struct {
	Registered   func(endpoint, location string)
	Updated      func(endpoint string)
	Deregistered func(endpoint string)
	Bootstrapped func(endpoint string)
	Notified     func(endpoint string, paths []lwm2m.Path)
	Sent         func(endpoint string, n int)
	Error        func(endpoint string, err error)
	// Latency reports the round trip of each uplink exchange by kind
	// ("register", "update", "deregister", "send", "notify", "bootstrap").
	Latency  func(endpoint, kind string, d time.Duration)
	Asleep   func(endpoint string)
	Awake    func(endpoint string)
	Rebooted func(endpoint string)
}
