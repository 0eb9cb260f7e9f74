package bootstrap

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
)

// Config configures a Server. The zero value of a duration or limit means
// its default; an empty address disables that listener.
type Config struct {
	// CoAPAddr and CoAPSAddr are the UDP and DTLS listen addresses (Shoal
	// serves them on ":5783" and ":5784"); "" disables one.
	CoAPAddr  string
	CoAPSAddr string
	// Network is "udp" (default), "udp4" or "udp6".
	Network string
	// Certificate is presented to devices with factory certificates (nil:
	// PSK only).
	Certificate *tls.Certificate
	// DisableConnectionID turns DTLS connection IDs off.
	DisableConnectionID bool
	// HandshakeTimeout bounds a DTLS handshake (default 30 s); a device
	// with a wrong factory key is reported when it runs out.
	HandshakeTimeout time.Duration

	// Provisioner is required.
	Provisioner Provisioner
	// Codecs encode the instances (default: every standard format).
	Codecs *codec.Registry
	// Models give the decoder the resource types of /1 (default: none).
	Models lwm2m.ModelProvider

	// RequestTimeout bounds each operation of a session (default 60 s,
	// enough for CoAP's own retransmissions).
	RequestTimeout time.Duration
	// SessionTimeout bounds a whole session (default 5 min).
	SessionTimeout time.Duration
	// MaxSessions caps sessions in progress; further requests get 5.03
	// (default 1024).
	MaxSessions int
	// CoAP tunes the transport; its Handler is set by the server.
	CoAP   coap.Config
	Logger zerolog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Validate applies defaults and checks the config.
func (c *Config) Validate() error {
	if c.Network == "" {
		c.Network = "udp"
	}
	if c.Codecs == nil {
		c.Codecs = std.New()
	}
	if c.Models == nil {
		c.Models = lwm2m.NoModels{}
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 5 * time.Minute
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = 1024
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	var errs []error
	if c.Provisioner == nil {
		errs = append(errs, errors.New("a Provisioner is required"))
	}
	if c.CoAPAddr == "" && c.CoAPSAddr == "" {
		errs = append(errs, errors.New("both listeners are disabled"))
	}
	if c.RequestTimeout < 0 || c.SessionTimeout < 0 {
		errs = append(errs, fmt.Errorf("negative timeout (request %v, session %v)", c.RequestTimeout, c.SessionTimeout))
	}
	if c.MaxSessions < 1 {
		errs = append(errs, fmt.Errorf("MaxSessions %d must be positive", c.MaxSessions))
	}
	if err := c.CoAP.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("bootstrap: config: %w", errors.Join(errs...))
	}
	return nil
}
