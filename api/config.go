package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
)

// Config configures the REST server. Zero fields take the defaults that
// Validate documents.
type Config struct {
	// Addr is the listen address (default ":8080").
	Addr string
	// TLSCert and TLSKey are PEM files; both set serves HTTPS.
	TLSCert, TLSKey string
	// Logger receives access and error logs (zero value: discarded).
	Logger zerolog.Logger
	// Registerer receives the HTTP metrics and Gatherer serves /metrics
	// (nil: a private registry for both, so tests never collide).
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// Models types the values callers write (nil: the service's models
	// when it exposes them, else the standard objects).
	Models lwm2m.ModelProvider

	// MaxTimeout caps ?timeout= (a device's answer time, default 5 min);
	// MaxWait caps ?wait= (how long a caller waits for a queued command,
	// default 15 min).
	MaxTimeout time.Duration
	MaxWait    time.Duration
	// MaxBodyBytes bounds a request body (default 1 MiB); MaxImportBytes an
	// import (default 32 MiB) and MaxImportRows its rows (default 100000).
	MaxBodyBytes   int64
	MaxImportBytes int64
	MaxImportRows  int
	// ReadHeaderTimeout (default 10 s), ReadTimeout (default 2 min) and
	// IdleTimeout (default 2 min) are the http.Server's; there is no write
	// timeout, since SSE streams and waiting commands last.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds the graceful shutdown when Serve's context
	// ends (default 10 s); open SSE streams are ended at once.
	ShutdownTimeout time.Duration
	// Heartbeat is the SSE comment interval (default 15 s); ReplayLimit
	// bounds how many stored events a Last-Event-ID reconnect replays
	// (default 1000).
	Heartbeat   time.Duration
	ReplayLimit int
	// CORSOrigins lists the origins allowed to call the API from a
	// browser; empty (the default) sends no CORS headers at all.
	CORSOrigins []string
	// PublicMetrics serves /metrics without a token (default: a token is
	// needed, like everything but /healthz).
	PublicMetrics bool
	// Console, when set, serves every path outside /api, /healthz and
	// /metrics (the web console); nil leaves them 404 problem documents.
	Console http.Handler
	// Provisioning serves the bootstrap and credential-lifecycle routes
	// (nil: they answer 404).
	Provisioning *dm.Provisioning
}

// Validate applies the defaults and checks the rest.
func (c *Config) Validate() error {
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	defD := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defD(&c.MaxTimeout, 5*time.Minute)
	defD(&c.MaxWait, 15*time.Minute)
	defD(&c.ReadHeaderTimeout, 10*time.Second)
	defD(&c.ReadTimeout, 2*time.Minute)
	defD(&c.IdleTimeout, 2*time.Minute)
	defD(&c.ShutdownTimeout, 10*time.Second)
	defD(&c.Heartbeat, 15*time.Second)
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxImportBytes == 0 {
		c.MaxImportBytes = 32 << 20
	}
	if c.MaxImportRows == 0 {
		c.MaxImportRows = 100000
	}
	if c.ReplayLimit == 0 {
		c.ReplayLimit = 1000
	}
	var errs []error
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("TLSCert and TLSKey must be given together"))
	}
	for name, d := range map[string]time.Duration{
		"MaxTimeout": c.MaxTimeout, "MaxWait": c.MaxWait, "ReadHeaderTimeout": c.ReadHeaderTimeout,
		"ReadTimeout": c.ReadTimeout, "IdleTimeout": c.IdleTimeout, "ShutdownTimeout": c.ShutdownTimeout,
		"Heartbeat": c.Heartbeat,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", name, d))
		}
	}
	if c.MaxBodyBytes < 0 || c.MaxImportBytes < 0 || c.MaxImportRows < 0 || c.ReplayLimit < 0 {
		errs = append(errs, errors.New("size limits must not be negative"))
	}
	if (c.Registerer == nil) != (c.Gatherer == nil) {
		errs = append(errs, errors.New("Registerer and Gatherer must be given together"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("api: config: %w", errors.Join(errs...))
	}
	return nil
}
