package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
)

// Config is every setting of `shoal serve`. Start from Defaults; an empty
// listen address disables that listener.
type Config struct {
	// DataDir holds the SQLite database and the key that encrypts
	// credential secrets (default "./shoal-data", created 0700).
	DataDir string
	// DB is the database: "sqlite://PATH" (default: shoal.db in DataDir)
	// or "postgres://…".
	DB string

	// CoAPAddr, CoAPSAddr and HTTPAddr are the LwM2M UDP, LwM2M DTLS and
	// REST listen addresses (":5683", ":5684", ":8080"); "" disables one.
	// Port 0 picks a free port (see App's address accessors).
	CoAPAddr  string
	CoAPSAddr string
	HTTPAddr  string
	// TLSCert and TLSKey (PEM files) serve the REST API over HTTPS.
	TLSCert, TLSKey string
	// DTLSCert and DTLSKey (PEM files) are the server's certificate for
	// devices that connect with X.509 (PSK only without them).
	DTLSCert, DTLSKey string

	// LogLevel is trace, debug, info (default), warn or error; LogFormat
	// json (default) or console. LogOutput defaults to standard error.
	LogLevel  string
	LogFormat string
	LogOutput io.Writer

	// AllowUnknownNoSec registers endpoints nobody created over plain UDP
	// (labs, demos, load tests); they are added to the inventory.
	// AllowNoSec lets operators create NoSec devices.
	AllowUnknownNoSec bool
	AllowNoSec        bool
	// ModelsDir holds vendor DDF XML files loaded next to the standard
	// objects ("" for none).
	ModelsDir string
	// AwakeWindow is how long a queue-mode device counts as awake after it
	// spoke (default 93 s); RequestTimeout bounds a request to a device
	// (default 10 s).
	AwakeWindow    time.Duration
	RequestTimeout time.Duration
	// QueueDepth is the per-device command queue limit (default 100).
	QueueDepth int
	// NStart is how many requests may be outstanding to one device at once
	// (default 1, as RFC 7252 §4.7 asks for constrained devices; raise it
	// for devices known to cope).
	NStart int
	// AdminToken (SHOAL_ADMIN_TOKEN) is stored as an admin token at start;
	// without it the first start generates one (App.AdminToken).
	AdminToken string
	// TelemetryRetention and EventRetention delete older data (0: keep).
	TelemetryRetention time.Duration
	EventRetention     time.Duration
	// PublicMetrics serves /metrics without a token.
	PublicMetrics bool

	// BootstrapCoAPAddr and BootstrapCoAPSAddr are the LwM2M bootstrap
	// server's UDP and DTLS listen addresses; both empty (Defaults)
	// disables the bootstrap server. `shoal serve` listens on
	// DefaultBootstrapCoAPAddr and DefaultBootstrapCoAPSAddr unless told
	// otherwise; Defaults leaves them off so embedded Apps and tests bind
	// no fixed port they did not ask for.
	BootstrapCoAPAddr  string
	BootstrapCoAPSAddr string
	// PublicHost is the host name or address devices reach Shoal's LwM2M
	// server at, written into the management accounts bootstrap gives
	// them (default: the CoAPS listen host, else "localhost").
	PublicHost string
	// CertExpiryWarning is how long before an issued certificate expires
	// its expiry is announced, unless its bootstrap configuration says
	// otherwise (default 30 days).
	CertExpiryWarning time.Duration

	// FirmwareDir holds uploaded firmware images as files (default
	// <DataDir>/firmware; see app/firmware.go for why files and what a
	// multi-node PostgreSQL deployment shares).
	FirmwareDir string
	// Firmware tunes firmware delivery and campaigns (dm's defaults when
	// zero); its Packages locator is set by the App from the bound
	// listeners and PublicHost.
	Firmware dm.FirmwareConfig
}

// The bootstrap server's standard ports (`shoal serve` defaults).
const (
	DefaultBootstrapCoAPAddr  = ":5783"
	DefaultBootstrapCoAPSAddr = ":5784"
)

// Defaults returns the configuration `shoal serve` starts from.
func Defaults() Config {
	return Config{DataDir: "./shoal-data", CoAPAddr: ":5683", CoAPSAddr: ":5684", HTTPAddr: ":8080",
		LogLevel: "info", LogFormat: "json", AwakeWindow: 93 * time.Second, RequestTimeout: 10 * time.Second,
		QueueDepth: 100}
}

// Validate fills what is left empty and checks the rest.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		c.DataDir = "./shoal-data"
	}
	if c.DB == "" {
		c.DB = "sqlite://" + filepath.Join(c.DataDir, "shoal.db")
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "json"
	}
	if c.LogOutput == nil {
		c.LogOutput = os.Stderr
	}
	if c.AwakeWindow == 0 {
		c.AwakeWindow = 93 * time.Second
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.QueueDepth == 0 {
		c.QueueDepth = 100
	}
	if c.FirmwareDir == "" {
		c.FirmwareDir = filepath.Join(c.DataDir, "firmware")
	}
	var errs []error
	if _, err := zerolog.ParseLevel(strings.ToLower(c.LogLevel)); err != nil || c.LogLevel == "" {
		errs = append(errs, fmt.Errorf("log level %q: want trace, debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("log format %q: want json or console", c.LogFormat))
	}
	if c.CoAPAddr == "" && c.CoAPSAddr == "" {
		errs = append(errs, errors.New("both LwM2M listeners are disabled: set a CoAP or CoAPS address"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if (c.DTLSCert == "") != (c.DTLSKey == "") {
		errs = append(errs, errors.New("--dtls-cert and --dtls-key go together"))
	}
	for name, d := range map[string]time.Duration{"awake window": c.AwakeWindow, "request timeout": c.RequestTimeout,
		"telemetry retention": c.TelemetryRetention, "event retention": c.EventRetention} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", name, d))
		}
	}
	if c.CertExpiryWarning < 0 {
		errs = append(errs, fmt.Errorf("certificate expiry warning %v is negative", c.CertExpiryWarning))
	}
	if c.NStart < 0 {
		errs = append(errs, fmt.Errorf("nstart %d is negative", c.NStart))
	}
	if c.QueueDepth < 1 {
		errs = append(errs, fmt.Errorf("queue depth %d must be positive", c.QueueDepth))
	}
	if err := c.Firmware.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// logger builds the configured logger.
func (c *Config) logger() zerolog.Logger {
	lvl, _ := zerolog.ParseLevel(strings.ToLower(c.LogLevel))
	out := c.LogOutput
	if c.LogFormat == "console" {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.RFC3339}
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger()
}
