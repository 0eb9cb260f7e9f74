package dm

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// Temporary bodies: each moves to its concept file as it is written.

type runtime struct {
	mu      sync.Mutex
	snd     Sender
	metrics *metrics
}

type metrics struct{}

func (m *metrics) register(prometheus.Registerer) error { return nil }

func newRuntime(*Service) *runtime { return &runtime{metrics: &metrics{}} }

func (r *runtime) setSender(snd Sender) {
	r.mu.Lock()
	r.snd = snd
	r.mu.Unlock()
}

func validateRetry(string, models.RetryPolicy) error { return nil }

// Run runs the command dispatcher, expiry sweeps, event ingestion, the
// telemetry writer and retention until ctx ends.
func (s *Service) Run(ctx context.Context) error { <-ctx.Done(); return nil }

// Listener is the lwm2m/server listener feeding dm.
func (s *Service) Listener() server.Listener { return server.NopListener{} }

// ServerCredentials is the lwm2m/server credential store over dm's.
func (s *Service) ServerCredentials() server.CredentialStore { return server.NewMemoryCredentials() }

// ServerRegistrations is the lwm2m/server registration store over dm's.
func (s *Service) ServerRegistrations() server.RegistrationStore {
	return server.NewMemoryRegistrations()
}

// ServerObservations is the lwm2m/server observation store over dm's.
func (s *Service) ServerObservations() server.ObservationStore { return server.NewMemoryObservations() }

func (s *Service) CreateDevice(ctx context.Context, in DeviceInput) (CreatedDevice, error) {
	return CreatedDevice{}, ErrNotImplemented
}
func (s *Service) GetDevice(ctx context.Context, endpoint string) (DeviceView, error) {
	return DeviceView{}, ErrNotImplemented
}
func (s *Service) ListDevices(ctx context.Context, f DeviceFilter, p PageRequest) (Page[DeviceView], error) {
	return Page[DeviceView]{}, ErrNotImplemented
}
func (s *Service) UpdateDevice(ctx context.Context, endpoint string, patch DevicePatch) (DeviceView, error) {
	return DeviceView{}, ErrNotImplemented
}
func (s *Service) DeleteDevice(ctx context.Context, endpoint string) error { return ErrNotImplemented }
func (s *Service) ImportDevices(ctx context.Context, rows []DeviceInput) []ImportResult {
	return nil
}
func (s *Service) CreateProfile(ctx context.Context, p models.Profile) (models.Profile, error) {
	return models.Profile{}, ErrNotImplemented
}
func (s *Service) GetProfile(ctx context.Context, ref string) (models.Profile, error) {
	return models.Profile{}, ErrNotImplemented
}
func (s *Service) ListProfiles(ctx context.Context, p PageRequest) (Page[models.Profile], error) {
	return Page[models.Profile]{}, ErrNotImplemented
}
func (s *Service) UpdateProfile(ctx context.Context, ref string, p models.Profile) (models.Profile, error) {
	return models.Profile{}, ErrNotImplemented
}
func (s *Service) DeleteProfile(ctx context.Context, ref string) error { return ErrNotImplemented }
func (s *Service) Execute(ctx context.Context, endpoint string, req lwm2m.Request, o CommandOptions) (CommandResult, error) {
	return CommandResult{}, ErrNotImplemented
}
func (s *Service) ExecuteSelection(ctx context.Context, sel models.DeviceSelection, req lwm2m.Request, o CommandOptions) ([]CommandResult, error) {
	return nil, ErrNotImplemented
}
func (s *Service) GetCommand(ctx context.Context, id int64) (models.Command, error) {
	return models.Command{}, ErrNotImplemented
}
func (s *Service) CancelCommand(ctx context.Context, id int64) (models.Command, error) {
	return models.Command{}, ErrNotImplemented
}
func (s *Service) ListCommands(ctx context.Context, f CommandFilter, p PageRequest) (Page[models.Command], error) {
	return Page[models.Command]{}, ErrNotImplemented
}
func (s *Service) Telemetry(ctx context.Context, endpoint string, q TelemetryRequest) ([]TelemetrySeries, error) {
	return nil, ErrNotImplemented
}
func (s *Service) Attributes(ctx context.Context, endpoint string) ([]models.AttributeValue, error) {
	return nil, ErrNotImplemented
}
func (s *Service) Events(ctx context.Context, f EventFilter, p PageRequest) (Page[models.Event], error) {
	return Page[models.Event]{}, ErrNotImplemented
}

// Subscription is a live event feed; C closes when the subscription is
// cancelled. A slow subscriber loses events: Dropped counts them and a
// models.Event of type "dropped" marks the gap in C.
type Subscription struct {
	C <-chan models.Event
}

// Dropped returns the number of events this subscriber lost.
func (s *Subscription) Dropped() uint64 { return 0 }

func (s *Service) Subscribe(f EventFilter) (*Subscription, func()) {
	c := make(chan models.Event)
	return &Subscription{C: c}, func() {}
}
func (s *Service) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	return Principal{}, ErrNotImplemented
}
func (s *Service) EnsureAdminToken(ctx context.Context, fromEnv string) (string, error) {
	return "", ErrNotImplemented
}
