package sim

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
)

// Config describes a fleet. Zero fields take the defaults WithDefaults
// documents; Validate says what is wrong.
type Config struct {
	// ServerURI is the management server: coap://host:port (NoSec) or
	// coaps://host:port (DTLS with PSK: PSKKey is then required).
	ServerURI string
	// Devices is the fleet size (required, at most MaxDevices).
	Devices int
	// Prefix starts every endpoint name: Prefix + index, zero-padded to
	// the width of the largest index ("dev-00042"). Default "sim-".
	Prefix string
	// FirstIndex is the index of the first device (default 0): two
	// processes can split one fleet with disjoint ranges.
	FirstIndex int
	// PSKKey is the pre-shared key every device uses with coaps; each
	// device's PSK identity is its endpoint name.
	PSKKey []byte
	// Version is the LwM2M version the devices register with, "1.1"
	// (default) or "1.0".
	Version string

	// Ramp is how many devices start per second (default 500).
	Ramp float64
	// StartJitter delays each device's start by a random extra amount up
	// to this much (default 0), on top of its ramp slot.
	StartJitter time.Duration
	// Lifetime is the registration lifetime (default 300 s).
	Lifetime time.Duration
	// LifetimeJitter shortens each device's lifetime by a random fraction
	// up to this (default 0.1; negative means none), so that the
	// Registration Updates of devices started together drift apart.
	LifetimeJitter float64
	// QueueMode is the fraction of devices in queue mode (0..1).
	QueueMode float64
	// AwakeTime is how long a queue-mode device stays awake after its
	// last uplink (default 93 s).
	AwakeTime time.Duration
	// UpdateInterval, when set, makes every device send a Registration
	// Update that often on top of its lifetime schedule, spread evenly.
	UpdateInterval time.Duration
	// ChangeRate is how many simulation steps per second (fleet-wide) the
	// driver runs on devices in turn: battery, temperature, signal and
	// position move, and observations of what changed notify.
	ChangeRate float64
	// SendRate is how many Send operations per second (fleet-wide) the
	// driver asks of devices in turn (LwM2M 1.1 only).
	SendRate float64
	// SendPaths are what a Send reports (default battery /3/0/9 and
	// temperature /3303/0/5700).
	SendPaths []lwm2m.Path
	// SimInterval lets every device move its simulated values on its own
	// at that interval; the default (0) keeps them still except for
	// ChangeRate steps.
	SimInterval time.Duration
	// Duration stops the fleet after that long (0: when ctx ends).
	Duration time.Duration
	// StopRate is how many devices per second are switched off (each
	// deregisters) when the fleet stops (default: Ramp; negative: all at
	// once).
	StopRate float64

	// Sockets is the number of shared UDP sockets (default one per 2,500
	// devices, at least 2, at most 64). A device pulling a firmware
	// package sends from its address on a second socket while its
	// registration keeps the first, so with one socket pulls fail.
	Sockets int
	// FirstAddr is the index of the first device's loopback address in
	// client.LoopbackAddr's sequence (default 0: 127.0.1.1).
	FirstAddr int
	// RequestTimeout bounds each uplink exchange (default 10 s); RetryDelay
	// is the base pause after a failed registration, stretched per device
	// by up to 100 % (default 5 s).
	RequestTimeout time.Duration
	RetryDelay     time.Duration
	// MaxSendsInFlight bounds concurrent Sends from the driver (default
	// 256); a Send due while the bound is reached is counted as skipped.
	MaxSendsInFlight int
	// Seed makes device parameters and simulated values reproducible.
	Seed uint64

	// Provision, when set, is called once with every device before any
	// starts (to create credentials in the server).
	Provision func(ctx context.Context, devs []Device) error

	// Models and Codecs are shared by every device (required:
	// objects.New() and std.New()).
	Models lwm2m.ModelProvider
	Codecs *codec.Registry
	// Logger receives the fleet's logs (default: disabled).
	Logger *zerolog.Logger
}

// MaxDevices is the largest fleet one process runs: the loopback
// addresses and the per-device state are sized for it.
const MaxDevices = 1_000_000

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = "sim-"
	}
	if c.Version == "" {
		c.Version = "1.1"
	}
	if c.Ramp == 0 {
		c.Ramp = 500
	}
	if c.StopRate == 0 {
		c.StopRate = c.Ramp
	}
	if c.StopRate < 0 {
		c.StopRate = 0
	}
	if c.Lifetime == 0 {
		c.Lifetime = 300 * time.Second
	}
	if c.LifetimeJitter == 0 {
		c.LifetimeJitter = 0.1
	}
	if c.LifetimeJitter < 0 {
		c.LifetimeJitter = 0
	}
	if c.AwakeTime == 0 {
		c.AwakeTime = 93 * time.Second
	}
	if len(c.SendPaths) == 0 {
		c.SendPaths = []lwm2m.Path{lwm2m.ResourcePath(3, 0, 9), lwm2m.ResourcePath(3303, 0, 5700)}
	}
	if c.Sockets == 0 {
		c.Sockets = min(64, max(2, (c.Devices+2499)/2500))
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = 5 * time.Second
	}
	if c.MaxSendsInFlight == 0 {
		c.MaxSendsInFlight = 256
	}
	return c
}

// Validate reports the first problem with c (after defaults).
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(c.ServerURI)
	switch {
	case c.ServerURI == "":
		return bad("a server URI is required")
	case err != nil:
		return bad("server URI %q: %v", c.ServerURI, err)
	case u.Scheme != "coap" && u.Scheme != "coaps":
		return bad("server URI %q: scheme must be coap (NoSec) or coaps (PSK)", c.ServerURI)
	case u.Host == "":
		return bad("server URI %q has no host", c.ServerURI)
	case u.Scheme == "coaps" && len(c.PSKKey) == 0:
		return bad("a coaps server needs a PSK key for the devices")
	case c.Devices < 1 || c.Devices > MaxDevices:
		return bad("fleet size %d is outside 1..%d", c.Devices, MaxDevices)
	case c.FirstIndex < 0 || c.FirstAddr < 0:
		return bad("first index and first address must not be negative")
	case c.FirstAddr+c.Devices > 254*65535:
		return bad("%d devices from address index %d run out of 127.x.y.z addresses", c.Devices, c.FirstAddr)
	case c.Version != "1.0" && c.Version != "1.1":
		return bad("LwM2M version %q is not 1.0 or 1.1", c.Version)
	case c.Ramp <= 0 || c.ChangeRate < 0 || c.SendRate < 0:
		return bad("the ramp must be positive, change and send rates not negative")
	case c.SendRate > 0 && c.Version == "1.0":
		return bad("Send needs LwM2M 1.1, the fleet registers as 1.0")
	case c.Lifetime < time.Second:
		return bad("lifetime %v is under one second", c.Lifetime)
	case c.LifetimeJitter >= 1:
		return bad("lifetime jitter %v must be below 1", c.LifetimeJitter)
	case c.QueueMode < 0 || c.QueueMode > 1:
		return bad("queue-mode fraction %v is outside 0..1", c.QueueMode)
	case c.StartJitter < 0 || c.UpdateInterval < 0 || c.Duration < 0 || c.SimInterval < 0 || c.AwakeTime < 0:
		return bad("durations must not be negative")
	case c.Sockets < 1 || c.Sockets > 1024:
		return bad("%d shared sockets is outside 1..1024", c.Sockets)
	case c.MaxSendsInFlight < 1:
		return bad("MaxSendsInFlight must be positive")
	case c.Models == nil:
		return bad("object models are required")
	case c.Codecs == nil:
		return bad("a codec registry is required")
	}
	return nil
}

// Device is one member of the fleet as the server must know it.
type Device struct {
	Endpoint string
	// Security is "psk" or "nosec".
	Security    string
	PSKIdentity string
	PSKKey      []byte
	// LocalAddr is the loopback address it sends from.
	LocalAddr string
	QueueMode bool
	Lifetime  time.Duration
}
