package dm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// ErrNotImplemented is returned by use cases that are not written yet.
var ErrNotImplemented = errors.New("not implemented")

// Stores are the persistence dm works through; storage.Store provides every
// one of them. Writer and Retention are optional background services dm
// runs in Run (storage.TelemetryWriter and storage.Retention fit).
type Stores struct {
	Devices       DeviceStore
	Credentials   CredentialStore
	Profiles      ProfileStore
	Customers     CustomerStore
	Users         UserStore
	Tokens        TokenStore
	Registrations RegistrationStore
	Observations  ObservationStore
	Attributes    AttributeStore
	Telemetry     TelemetryStore
	Events        EventStore
	Commands      CommandQueue
	Alarms        AlarmStore
	AlarmRules    AlarmRuleStore
	Assets        AssetStore
	Relations     RelationStore
	Webhooks      WebhookStore
	Deliveries    DeliveryStore
	Audit         AuditStore
	// Writer batches telemetry points (nil: points go straight to
	// Telemetry.Append, one call per notification).
	Writer TelemetryWriter
	// Retention deletes old telemetry and events (nil: kept forever).
	Retention Runner
	// Batch stores the ingest loop's status changes and events together
	// (nil: one store call per write).
	Batch BatchStore
}

// TelemetryWriter queues telemetry points for batched storage. Write
// blocks while its queue is full (back-pressure) and never drops points.
type TelemetryWriter interface {
	Write(ctx context.Context, pts ...models.TelemetryPoint) error
	Flush(ctx context.Context) error
	Serve(ctx context.Context) error
}

// Runner is a background service that runs until ctx ends.
type Runner interface {
	Serve(ctx context.Context) error
}

// Sender performs downlink operations on devices (lwm2m/server.Server is
// one). Disconnect closes a device's live DTLS session after its
// credentials were revoked.
type Sender interface {
	Send(ctx context.Context, endpoint string, req lwm2m.Request) (lwm2m.Response, error)
	Disconnect(endpoint string) error
	// Forget ends the endpoint's registration at once (its sessions
	// closed, the listener told it deregistered); it returns an error
	// wrapping server.ErrNotRegistered when there was none.
	Forget(ctx context.Context, endpoint string) error
}

// RegistrationSource is optionally implemented by a Sender that knows the
// live registrations (lwm2m/server.Server does); DeviceView then shows the
// live registration rather than the stored copy.
type RegistrationSource interface {
	Registration(endpoint string) (server.Registration, bool)
}

// Config configures the Service. Zero fields take the defaults Validate
// documents.
type Config struct {
	// RequestTimeout bounds a synchronous command and each delivery
	// attempt of a queued one (default 10 s).
	RequestTimeout time.Duration
	// DefaultCommandExpiry is the lifetime of a queued command when
	// neither the caller nor the device's profile sets one (default 24 h;
	// negative: never expires).
	DefaultCommandExpiry time.Duration
	// DefaultRetry is the retry policy when the profile sets none
	// (default 3 attempts, 30 s backoff doubling up to 10 min).
	DefaultRetry models.RetryPolicy
	// QueueDepth is the per-device limit of active commands; the store
	// enforces it (default 100; pass the same value to storage.Options).
	QueueDepth int
	// AllowNoSec allows creating devices with NoSec credentials.
	AllowNoSec bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Registerer receives dm's metrics (nil: not registered).
	Registerer prometheus.Registerer

	// DispatchInterval is how often retries that came due and expired
	// commands are swept (default 1 s).
	DispatchInterval time.Duration
	// Workers deliver queued commands to that many devices at once
	// (default 8).
	Workers int
	// ProfileWorkers apply profiles to that many newly registered devices
	// at once (default 16); the others wait in a queue, one application per
	// endpoint, none dropped.
	ProfileWorkers int
	// ProfileAttempts bounds how often a profile application is tried on
	// one registration (default 5): requests that did not reach the device
	// (timed out, device unreachable) are sent again after
	// ProfileRetryDelay (default 5 s), doubling each time.
	ProfileAttempts   int
	ProfileRetryDelay time.Duration
	// IngestQueue buffers server events for dm's ingest loop (default
	// 65536); when full, the server's event delivery waits.
	IngestQueue int
	// CacheTTL bounds how long credential and token lookups are cached
	// (default 1 min); dm invalidates its own changes at once.
	CacheTTL time.Duration
	// LastSeenInterval: a device's last-seen time is written at most this
	// often unless its status changes (default 1 min).
	LastSeenInterval time.Duration
	// SubscriberBuffer is each live-event subscriber's channel size
	// (default 256).
	SubscriberBuffer int

	// AlarmInterval is how often alarm conditions that time alone decides
	// (offline for longer than, a threshold held for) are checked
	// (default 1 s).
	AlarmInterval time.Duration
	// Webhooks tunes webhook delivery.
	Webhooks WebhookConfig
}

// Validate applies defaults and checks the config.
func (c *Config) Validate() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.RequestTimeout, 10*time.Second)
	def(&c.ProfileRetryDelay, 5*time.Second)
	def(&c.DefaultCommandExpiry, 24*time.Hour)
	def(&c.DispatchInterval, time.Second)
	def(&c.CacheTTL, time.Minute)
	def(&c.LastSeenInterval, time.Minute)
	def(&c.AlarmInterval, time.Second)
	if c.DefaultRetry == (models.RetryPolicy{}) {
		c.DefaultRetry = models.RetryPolicy{MaxAttempts: 3, Backoff: models.Duration(30 * time.Second),
			Multiplier: 2, MaxBackoff: models.Duration(10 * time.Minute)}
	}
	defInt := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	defInt(&c.QueueDepth, 100)
	defInt(&c.Workers, 8)
	defInt(&c.ProfileWorkers, 16)
	defInt(&c.ProfileAttempts, 5)
	defInt(&c.IngestQueue, 1<<16)
	defInt(&c.SubscriberBuffer, 256)
	if c.Now == nil {
		c.Now = time.Now
	}
	var errs []error
	for name, d := range map[string]time.Duration{
		"RequestTimeout": c.RequestTimeout, "DispatchInterval": c.DispatchInterval,
		"CacheTTL": c.CacheTTL, "LastSeenInterval": c.LastSeenInterval, "AlarmInterval": c.AlarmInterval,
		"ProfileRetryDelay": c.ProfileRetryDelay,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", name, d))
		}
	}
	for name, n := range map[string]int{
		"QueueDepth": c.QueueDepth, "Workers": c.Workers, "ProfileWorkers": c.ProfileWorkers,
		"ProfileAttempts": c.ProfileAttempts, "IngestQueue": c.IngestQueue, "SubscriberBuffer": c.SubscriberBuffer,
	} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s %d must be positive", name, n))
		}
	}
	if err := validateRetry("DefaultRetry", c.DefaultRetry); err != nil {
		errs = append(errs, err)
	}
	if err := c.Webhooks.validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("dm: config: %w", errors.Join(errs...))
	}
	return nil
}

// CredentialsInput is how a device connects: Mode "psk" (PSKIdentity
// defaults to the endpoint; PSKKeyHex left empty is generated), "x509"
// (CertificatePEM, whose CN must be the endpoint) or "nosec".
type CredentialsInput struct {
	Mode           string
	PSKIdentity    string
	PSKKeyHex      string
	CertificatePEM string
}

// DeviceInput creates a device. Profile and Customer are a name or a
// numeric id; nil Credentials means a generated PSK.
type DeviceInput struct {
	Endpoint    string
	Name        string
	Profile     string
	Customer    string
	Labels      map[string]string
	Credentials *CredentialsInput
}

// DevicePatch changes a device: nil fields stay; an empty Profile or
// Customer string detaches it; Labels replace all labels when non-nil.
type DevicePatch struct {
	Name     *string
	Profile  *string
	Customer *string
	Labels   map[string]string
}

// DeviceInfo is what the device reported in /3/0 when it last registered.
type DeviceInfo struct {
	Manufacturer string
	Model        string
	Serial       string
	Firmware     string
	// Battery is the battery level in percent (/3/0/9), nil when unknown.
	Battery   *int64
	UpdatedAt time.Time
}

// DeviceView is a device with its live state.
type DeviceView struct {
	models.Device
	// Registration is the current registration, nil when not registered.
	Registration *server.Registration
	Info         DeviceInfo
	// Profile is the profile's name ("" when none).
	Profile string
}

// CredentialView describes a credential without its secret.
type CredentialView struct {
	ID          int64
	Mode        string
	PSKIdentity string
	Fingerprint string
	NotAfter    time.Time
	State       string
}

// CreatedDevice is the answer to CreateDevice. PSKKeyHex is set only when
// Shoal generated the key: it is shown this once.
type CreatedDevice struct {
	Device     DeviceView
	Credential CredentialView
	PSKKeyHex  string
}

// ImportResult is the outcome of one row of ImportDevices (Row counts
// from 1).
type ImportResult struct {
	Row       int
	Endpoint  string
	OK        bool
	Error     string
	PSKKeyHex string
}

// CommandOptions tune Execute.
type CommandOptions struct {
	// Wait is how long the caller waits for a result: 0 means the default
	// sync timeout for an awake device, while a queued command answers at
	// once unless Wait > 0.
	Wait time.Duration
	// Queue forces durable queuing even when the device is awake.
	Queue bool
	// NoQueue refuses to queue: when the device cannot be reached now the
	// error is returned instead.
	NoQueue bool
	// Expiry and MaxAttempts override the profile's policy when non-zero.
	Expiry      time.Duration
	MaxAttempts int
}

// CommandResult is the outcome of Execute. Command.ID is 0 for a command
// answered synchronously (those are not stored); Queued reports that the
// command went through the durable queue.
type CommandResult struct {
	Command  models.Command
	Response *lwm2m.Response
	Queued   bool
}

// TelemetryRequest selects telemetry: Keys (all when empty), From ≤ t <
// To, Limit points (or buckets); Interval > 0 downsamples with Agg.
type TelemetryRequest struct {
	Keys     []string
	From, To time.Time
	Limit    int
	Interval time.Duration
	Agg      models.Aggregate
}

// TelemetrySeries is one key's points (raw) or buckets (downsampled).
type TelemetrySeries struct {
	Key     string
	Points  []models.TelemetryPoint
	Buckets []models.TelemetryBucket
}

// Service is dm's use cases over the stores and a Sender.
type Service struct {
	cfg    Config
	st     Stores
	models lwm2m.ModelProvider
	log    zerolog.Logger
	rt     *runtime
}

// New validates cfg and returns the service; call SetSender before Run.
func New(cfg Config, st Stores, models lwm2m.ModelProvider, log zerolog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	if models == nil {
		models = lwm2m.NoModels{}
	}
	s := &Service{cfg: cfg, st: st, models: models, log: log}
	s.rt = newRuntime(s)
	if cfg.Registerer != nil {
		if err := s.rt.metrics.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("dm: metrics: %w", err)
		}
		if err := s.rt.notify.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("dm: metrics: %w", err)
		}
	}
	return s, nil
}

// check reports missing stores.
func (st Stores) check() error {
	var missing []string
	for name, v := range map[string]any{
		"Devices": st.Devices, "Credentials": st.Credentials, "Profiles": st.Profiles, "Customers": st.Customers,
		"Tokens": st.Tokens, "Registrations": st.Registrations, "Observations": st.Observations,
		"Attributes": st.Attributes, "Telemetry": st.Telemetry, "Events": st.Events, "Commands": st.Commands,
		"Users": st.Users, "Alarms": st.Alarms, "AlarmRules": st.AlarmRules, "Assets": st.Assets,
		"Relations": st.Relations, "Webhooks": st.Webhooks, "Deliveries": st.Deliveries, "Audit": st.Audit,
	} {
		if v == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("dm: stores missing: %v", missing)
	}
	return nil
}

// now is the service clock in UTC.
func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Config returns the validated configuration.
func (s *Service) Config() Config { return s.cfg }

// SetSender sets how dm reaches devices; the server is built after dm,
// since it needs dm's listener and credential store.
func (s *Service) SetSender(snd Sender) { s.rt.setSender(snd) }

// Models returns the object models dm types values with.
func (s *Service) Models() lwm2m.ModelProvider { return s.models }
