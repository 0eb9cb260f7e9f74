package dm

import (
	"context"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// BootstrapConfigStore keeps bootstrap configurations. Names are unique;
// a configuration has exactly one scope (device, profile, account or
// default) and each scope at most one configuration (ErrConflict).
type BootstrapConfigStore interface {
	Create(ctx context.Context, c *models.BootstrapConfig) error
	Get(ctx context.Context, id int64) (models.BootstrapConfig, error)
	GetByName(ctx context.Context, name string) (models.BootstrapConfig, error)
	Update(ctx context.Context, c *models.BootstrapConfig) error
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, p PageRequest) (Page[models.BootstrapConfig], error)
	// For returns the most specific configuration of a device: its own,
	// its profile's, its account's, else the default (zero ids are
	// skipped); ErrNotFound when none applies.
	For(ctx context.Context, deviceID, profileID, accountID int64) (models.BootstrapConfig, error)
}

// BootstrapAccountStore keeps bootstrap accounts; names are unique.
type BootstrapAccountStore interface {
	Create(ctx context.Context, a *models.BootstrapAccount) error
	Get(ctx context.Context, id int64) (models.BootstrapAccount, error)
	GetByName(ctx context.Context, name string) (models.BootstrapAccount, error)
	Update(ctx context.Context, a *models.BootstrapAccount) error
	// Delete removes the account with its factory credentials.
	Delete(ctx context.Context, id int64) error
	List(ctx context.Context, p PageRequest) (Page[models.BootstrapAccount], error)
}

// FactoryFilter selects factory credentials; zero fields match all.
type FactoryFilter struct {
	AccountID int64
	DeviceID  int64
}

// FactoryCredentialStore keeps factory credentials (PSK keys sealed) and
// the endpoints bound to them. A live PSK identity or fingerprint belongs
// to one credential (ErrConflict).
type FactoryCredentialStore interface {
	// Put inserts fc when fc.ID is 0, else replaces it.
	Put(ctx context.Context, fc *models.FactoryCredential) error
	Get(ctx context.Context, id int64) (models.FactoryCredential, error)
	// ByPSKIdentity and ByFingerprint prefer the live credential, else the
	// most recent revoked one.
	ByPSKIdentity(ctx context.Context, identity string) (models.FactoryCredential, error)
	ByFingerprint(ctx context.Context, fingerprint string) (models.FactoryCredential, error)
	// CAs returns the live batch CA credentials.
	CAs(ctx context.Context) ([]models.FactoryCredential, error)
	List(ctx context.Context, f FactoryFilter, p PageRequest) (Page[models.FactoryCredential], error)
	// Revoke is idempotent.
	Revoke(ctx context.Context, id int64, at time.Time) error
	// Binding returns the binding of an endpoint; Bind records one
	// (ErrConflict when the endpoint is already bound); Unbind drops it.
	Binding(ctx context.Context, endpoint string) (models.BootstrapBinding, error)
	Bind(ctx context.Context, b models.BootstrapBinding) error
	Unbind(ctx context.Context, endpoint string) error
}

// SessionFilter selects bootstrap sessions; zero fields match all.
type SessionFilter struct {
	DeviceID int64
	States   []models.BootstrapSessionState
}

// BootstrapSessionStore keeps bootstrap sessions, listed newest first.
type BootstrapSessionStore interface {
	Create(ctx context.Context, s *models.BootstrapSession) error
	Update(ctx context.Context, s *models.BootstrapSession) error
	Get(ctx context.Context, id int64) (models.BootstrapSession, error)
	List(ctx context.Context, f SessionFilter, p PageRequest) (Page[models.BootstrapSession], error)
	// Last returns the device's most recent session in state.
	Last(ctx context.Context, deviceID int64, state models.BootstrapSessionState) (models.BootstrapSession, error)
}

// ExpiringCredential is a live credential whose certificate expires soon,
// with its lifecycle record (zero when it has none).
type ExpiringCredential struct {
	Credential models.Credential
	Lifecycle  models.CredentialLifecycle
}

// CredentialLifecycleStore keeps the lifecycle records of credentials
// (secret keys sealed).
type CredentialLifecycleStore interface {
	// Put inserts or replaces the record of l.CredentialID.
	Put(ctx context.Context, l *models.CredentialLifecycle) error
	Get(ctx context.Context, credentialID int64) (models.CredentialLifecycle, error)
	ByDevice(ctx context.Context, deviceID int64) ([]models.CredentialLifecycle, error)
	// Expiring returns up to limit non-revoked credentials whose NotAfter
	// is before before, soonest first.
	Expiring(ctx context.Context, before time.Time, limit int) ([]ExpiringCredential, error)
}

// ProvisioningStores are the stores bootstrap and the credential
// lifecycle work through; storage.Store provides them.
type ProvisioningStores struct {
	Configs   BootstrapConfigStore
	Accounts  BootstrapAccountStore
	Factory   FactoryCredentialStore
	Sessions  BootstrapSessionStore
	Lifecycle CredentialLifecycleStore
}
