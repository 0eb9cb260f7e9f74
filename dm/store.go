package dm

import (
	"context"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// The store interfaces below are what dm and the server persist through.
// Conventions shared by all of them:
//   - Create methods assign ID, CreatedAt and UpdatedAt (from the store's
//     clock when zero) and write them back into the argument.
//   - Lookups of a missing record return an error wrapping ErrNotFound;
//     duplicates and references still in use wrap ErrConflict; references to
//     missing records and malformed input wrap ErrInvalid.
//   - Times are stored with microsecond precision, in UTC.

// PageRequest asks for one page of a list. Cursor is the Next value of the
// previous page ("" for the first); Limit 0 means DefaultPageLimit and is
// capped at MaxPageLimit.
type PageRequest struct {
	Cursor string
	Limit  int
}

// Page limits.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// Page is one page of a list: the items, the number of records matching the
// filter across all pages, and the cursor of the next page ("" on the last).
type Page[T any] struct {
	Items []T
	Total int64
	Next  string
}

// DeviceFilter selects devices. Non-empty fields combine with AND; entries
// within IDs, Endpoints and Statuses with OR; every label must match.
// Search matches a case-insensitive substring of the endpoint or name.
type DeviceFilter struct {
	IDs        []int64
	Endpoints  []string
	Labels     map[string]string
	ProfileID  int64
	CustomerID int64
	Statuses   []models.DeviceStatus
	Search     string
	// AssetID selects the devices an asset contains, directly or through
	// assets it contains ("contains" relations, followed transitively).
	AssetID int64
}

// DeviceStore keeps the device inventory. Devices list in ID order.
type DeviceStore interface {
	// Create inserts d (Status defaults to never). A duplicate endpoint is
	// ErrConflict; an unknown profile or customer is ErrInvalid.
	Create(ctx context.Context, d *models.Device) error
	Get(ctx context.Context, id int64) (models.Device, error)
	GetByEndpoint(ctx context.Context, endpoint string) (models.Device, error)
	// Update replaces endpoint, name, customer, profile and labels of the
	// device d.ID and sets d.UpdatedAt. Status is left alone.
	Update(ctx context.Context, d *models.Device) error
	// Delete removes the device with its labels, credentials, attributes,
	// alarms and queued commands; telemetry and events stay until retention.
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, f DeviceFilter, p PageRequest) (Page[models.Device], error)
	// SetStatus records a connection status change; a zero lastSeen keeps
	// the stored one.
	SetStatus(ctx context.Context, id int64, s models.DeviceStatus, lastSeen time.Time) error
}

// CredentialStore keeps device credentials; PSK keys are encrypted at rest.
// A PSK identity or certificate fingerprint belongs to at most one
// non-revoked credential (ErrConflict otherwise); revoking frees it.
type CredentialStore interface {
	// Put inserts c when c.ID is 0, else replaces the stored credential.
	Put(ctx context.Context, c *models.Credential) error
	Get(ctx context.Context, id int64) (models.Credential, error)
	ByDevice(ctx context.Context, deviceID int64) ([]models.Credential, error)
	// ByPSKIdentity and ByFingerprint prefer the non-revoked credential and
	// otherwise return the most recent revoked one, so callers can tell a
	// revoked identity from an unknown one.
	ByPSKIdentity(ctx context.Context, identity string) (models.Credential, error)
	ByFingerprint(ctx context.Context, fingerprint string) (models.Credential, error)
	// Revoke marks the credential revoked at at; revoking twice is a no-op.
	Revoke(ctx context.Context, id int64, at time.Time) error
	// RevokeDevice revokes every non-revoked credential of a device.
	RevokeDevice(ctx context.Context, deviceID int64, at time.Time) (int64, error)
}

// ProfileStore keeps device profiles. Names are unique; deleting a profile
// devices still use is ErrConflict.
type ProfileStore interface {
	Create(ctx context.Context, p *models.Profile) error
	Get(ctx context.Context, id int64) (models.Profile, error)
	GetByName(ctx context.Context, name string) (models.Profile, error)
	Update(ctx context.Context, p *models.Profile) error
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, p PageRequest) (Page[models.Profile], error)
}

// CustomerStore keeps customers. Names are unique; deleting a customer that
// still owns devices, assets, users or tokens is ErrConflict.
type CustomerStore interface {
	Create(ctx context.Context, c *models.Customer) error
	Get(ctx context.Context, id int64) (models.Customer, error)
	Update(ctx context.Context, c *models.Customer) error
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, p PageRequest) (Page[models.Customer], error)
}

// UserStore keeps users. E-mail addresses are unique.
type UserStore interface {
	Create(ctx context.Context, u *models.User) error
	Get(ctx context.Context, id int64) (models.User, error)
	GetByEmail(ctx context.Context, email string) (models.User, error)
	Update(ctx context.Context, u *models.User) error
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, customerID int64, p PageRequest) (Page[models.User], error)
}

// TokenFilter selects API tokens; zero fields match everything.
type TokenFilter struct {
	UserID     int64
	CustomerID int64
	// IncludeRevoked lists revoked tokens too.
	IncludeRevoked bool
}

// TokenStore keeps API tokens by the hash of their secret (unique).
type TokenStore interface {
	Create(ctx context.Context, t *models.APIToken) error
	Get(ctx context.Context, id int64) (models.APIToken, error)
	// ByHash returns the token whatever its state; the caller checks
	// Revoked and ExpiresAt.
	ByHash(ctx context.Context, hash string) (models.APIToken, error)
	List(ctx context.Context, f TokenFilter, p PageRequest) (Page[models.APIToken], error)
	// Revoke is idempotent.
	Revoke(ctx context.Context, id int64, at time.Time) error
	// Touch records a use of the token.
	Touch(ctx context.Context, id int64, at time.Time) error
}

// RegistrationStore keeps the current registration of each endpoint.
type RegistrationStore interface {
	// Upsert inserts or replaces the registration of r.Endpoint.
	Upsert(ctx context.Context, r models.Registration) error
	// UpsertBatch does the same for many in one transaction.
	UpsertBatch(ctx context.Context, rs []models.Registration) error
	Get(ctx context.Context, endpoint string) (models.Registration, error)
	GetByRegistrationID(ctx context.Context, registrationID string) (models.Registration, error)
	// Delete removes the registration of endpoint. A non-empty
	// registrationID deletes only if it still matches (so an old expiry
	// does not remove a newer registration); no match is ErrNotFound.
	Delete(ctx context.Context, endpoint, registrationID string) error
	// All returns every registration (the server's restart path).
	All(ctx context.Context) ([]models.Registration, error)
}

// ObservationStore keeps established observations by (endpoint, token).
type ObservationStore interface {
	// Put inserts or replaces the observation of (o.Endpoint, o.Token).
	Put(ctx context.Context, o models.Observation) error
	Delete(ctx context.Context, endpoint string, token []byte) error
	DeleteEndpoint(ctx context.Context, endpoint string) (int64, error)
	ByEndpoint(ctx context.Context, endpoint string) ([]models.Observation, error)
	All(ctx context.Context) ([]models.Observation, error)
}

// AttributeStore keeps the latest value per device and resource path.
type AttributeStore interface {
	// Upsert stores the values; an older UpdatedAt never overwrites a newer
	// stored value.
	Upsert(ctx context.Context, vs []models.AttributeValue) error
	// Latest returns a device's values in path order.
	Latest(ctx context.Context, deviceID int64) ([]models.AttributeValue, error)
}

// TelemetryQuery selects points of one device: the given keys (all when
// empty), From ≤ time < To (unbounded when zero), at most Limit points
// (0: DefaultTelemetryLimit, capped at MaxTelemetryLimit), oldest first
// unless Descending.
type TelemetryQuery struct {
	DeviceID   int64
	Keys       []string
	From, To   time.Time
	Limit      int
	Descending bool
}

// Telemetry query limits.
const (
	DefaultTelemetryLimit = 1000
	MaxTelemetryLimit     = 100000
)

// TelemetryStore keeps time series.
type TelemetryStore interface {
	// Append stores the points in one transaction.
	Append(ctx context.Context, pts []models.TelemetryPoint) error
	Query(ctx context.Context, q TelemetryQuery) ([]models.TelemetryPoint, error)
	// Downsample aggregates q's points per key into intervals aligned to the
	// Unix epoch, oldest first; min, max and avg skip non-numeric values and
	// return floats, last returns the typed latest value. q.Limit bounds the
	// number of buckets.
	Downsample(ctx context.Context, q TelemetryQuery, interval time.Duration, agg models.Aggregate) ([]models.TelemetryBucket, error)
	// DeleteBefore deletes at most limit points older than before and
	// returns how many it deleted; callers repeat until fewer than limit.
	DeleteBefore(ctx context.Context, before time.Time, limit int) (int64, error)
}

// EventFilter selects events; zero fields match everything. From ≤ time < To.
type EventFilter struct {
	DeviceID   int64
	Endpoint   string
	CustomerID int64
	Categories []models.EventCategory
	Types      []string
	From, To   time.Time
}

// EventStore keeps the event log. Events list newest first.
type EventStore interface {
	// Append assigns e.ID (increasing) and e.Time when zero.
	Append(ctx context.Context, e *models.Event) error
	List(ctx context.Context, f EventFilter, p PageRequest) (Page[models.Event], error)
	// DeleteBefore deletes at most limit events older than before.
	DeleteBefore(ctx context.Context, before time.Time, limit int) (int64, error)
}

// CommandFilter selects commands; zero fields match everything.
type CommandFilter struct {
	DeviceID int64
	States   []models.CommandState
	// CustomerID selects the commands of the customer's devices.
	CustomerID int64
}

// CommandQueue is the durable per-device command queue.
//
// Each device's commands leave in FIFO (ID) order and at most one is in
// flight (state sent) per device. Delivery is at-least-once: a command left
// sent by a crash goes back to pending when the server calls Recover at
// start. Transitions are idempotent: completing or failing a command that
// is already terminal is a no-op that returns the stored command.
type CommandQueue interface {
	// Enqueue appends c as pending (ID, State, CreatedAt, UpdatedAt set;
	// NextAttemptAt defaults to now; MaxAttempts to 1). When the device
	// already has the depth limit of active (pending or sent) commands it
	// fails with ErrQueueFull; an unknown device is ErrInvalid.
	Enqueue(ctx context.Context, c *models.Command) error
	Get(ctx context.Context, id int64) (models.Command, error)
	// List returns commands in ID order.
	List(ctx context.Context, f CommandFilter, p PageRequest) (Page[models.Command], error)
	// Claim hands out the device's next command: it first expires the
	// device's overdue pending commands, then, unless a command is already
	// in flight or the head's NextAttemptAt is after now, marks the head
	// sent, counts the attempt and returns it with ok true.
	Claim(ctx context.Context, deviceID int64, now time.Time) (c models.Command, ok bool, err error)
	// Complete records the device's answer: succeeded for a success code,
	// failed for an error code.
	Complete(ctx context.Context, id int64, res *lwm2m.Response, now time.Time) (models.Command, error)
	// Fail records a delivery failure (timeout, unreachable). When retryAt
	// is non-zero, attempts remain and retryAt is before the expiry, the
	// command goes back to pending with NextAttemptAt retryAt; otherwise it
	// is failed.
	Fail(ctx context.Context, id int64, reason string, retryAt, now time.Time) (models.Command, error)
	// Cancel cancels a pending or sent command; cancelling a cancelled
	// command is a no-op, any other terminal state is ErrConflict.
	Cancel(ctx context.Context, id int64, now time.Time) (models.Command, error)
	// CancelDevice cancels every active command of a device.
	CancelDevice(ctx context.Context, deviceID int64, now time.Time) (int64, error)
	// Expire marks every pending command whose ExpiresAt is at or before
	// now expired (the sweep).
	Expire(ctx context.Context, now time.Time) (int64, error)
	// Recover puts every sent command back to pending; call it once at
	// start, before delivering anything.
	Recover(ctx context.Context, now time.Time) (int64, error)
	// Depth returns the number of active commands of a device.
	Depth(ctx context.Context, deviceID int64) (int, error)
	// Ready lists up to limit devices with a pending command whose
	// NextAttemptAt is at or before now and nothing in flight.
	Ready(ctx context.Context, now time.Time, limit int) ([]int64, error)
}

// AlarmFilter selects alarms; zero fields match everything.
type AlarmFilter struct {
	DeviceID   int64
	CustomerID int64
	States     []models.AlarmState
	Severities []models.AlarmSeverity
	Rule       string
}

// AlarmStore keeps alarms: at most one uncleared alarm per device and rule.
// Alarms list newest first.
type AlarmStore interface {
	// Raise inserts a as active, or, when the device already has an
	// uncleared alarm for a.Rule, updates its severity, message and details,
	// bumps its count and returns it in a with created false.
	Raise(ctx context.Context, a *models.Alarm) (created bool, err error)
	Get(ctx context.Context, id int64) (models.Alarm, error)
	List(ctx context.Context, f AlarmFilter, p PageRequest) (Page[models.Alarm], error)
	// Acknowledge moves an active alarm to acknowledged; acknowledging an
	// acknowledged alarm is a no-op, a cleared one ErrConflict.
	Acknowledge(ctx context.Context, id int64, by string, at time.Time) (models.Alarm, error)
	// Clear clears an alarm; clearing twice is a no-op.
	Clear(ctx context.Context, id int64, at time.Time) (models.Alarm, error)
	// ClearRule clears the device's uncleared alarm for rule, if any.
	ClearRule(ctx context.Context, deviceID int64, rule string, at time.Time) (models.Alarm, bool, error)
}

// AssetFilter selects assets; zero fields match everything.
type AssetFilter struct {
	CustomerID int64
	Type       string
	Labels     map[string]string
}

// AssetStore keeps assets in ID order.
type AssetStore interface {
	Create(ctx context.Context, a *models.Asset) error
	Get(ctx context.Context, id int64) (models.Asset, error)
	Update(ctx context.Context, a *models.Asset) error
	// Delete removes the asset and every relation touching it.
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, f AssetFilter, p PageRequest) (Page[models.Asset], error)
}

// RelationStore keeps typed relations between devices and assets. Relation
// ends must exist (ErrInvalid); a duplicate (from, to, type) is ErrConflict.
type RelationStore interface {
	Put(ctx context.Context, r *models.Relation) error
	Delete(ctx context.Context, from, to models.EntityRef, typ string) error
	From(ctx context.Context, from models.EntityRef) ([]models.Relation, error)
	To(ctx context.Context, to models.EntityRef) ([]models.Relation, error)
	// Descendants follows relations of type typ from root, transitively
	// (cycles are tolerated), and returns every entity reached, root
	// excluded.
	Descendants(ctx context.Context, root models.EntityRef, typ string) ([]models.EntityRef, error)
}

// FirmwareStore keeps firmware image metadata. Deleting an image a campaign
// uses is ErrConflict.
type FirmwareStore interface {
	Create(ctx context.Context, f *models.FirmwareImage) error
	Get(ctx context.Context, id int64) (models.FirmwareImage, error)
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, p PageRequest) (Page[models.FirmwareImage], error)
}

// CampaignStore keeps campaigns and their per-device progress.
type CampaignStore interface {
	Create(ctx context.Context, c *models.Campaign) error
	Get(ctx context.Context, id int64) (models.Campaign, error)
	Update(ctx context.Context, c *models.Campaign) error
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, p PageRequest) (Page[models.Campaign], error)
	// PutDevice inserts or replaces one device's progress.
	PutDevice(ctx context.Context, d *models.CampaignDevice) error
	// Devices lists a campaign's devices (all states when states is empty)
	// in device ID order.
	Devices(ctx context.Context, campaignID int64, states []models.CampaignDeviceState, p PageRequest) (Page[models.CampaignDevice], error)
	// Counts returns the number of devices per state.
	Counts(ctx context.Context, campaignID int64) (map[models.CampaignDeviceState]int64, error)
}
