package models

import "time"

// BootstrapConfig says what a device is given when it bootstraps: which
// management servers, how it secures the connection to them and how it
// registers. It applies to one device, to a profile's devices, to a
// bootstrap account's devices, or — the one marked Default — to every
// device nothing more specific covers (device > profile > account >
// default).
type BootstrapConfig struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name"`
	DeviceID  int64         `json:"device_id,omitempty"`
	ProfileID int64         `json:"profile_id,omitempty"`
	AccountID int64         `json:"account_id,omitempty"`
	Default   bool          `json:"default,omitempty"`
	Spec      BootstrapSpec `json:"spec"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// BootstrapSpec is a bootstrap configuration's content, stored as JSON.
type BootstrapSpec struct {
	// Servers are the management servers written to /0 and /1; a server
	// without a URI is Shoal's own (its public CoAP or CoAPS URI).
	Servers []BootstrapServer `json:"servers"`
	// Security is how the device connects to them: psk (a fresh PSK with a
	// unique identity), x509 (a certificate from Shoal's CA) or nosec.
	Security SecurityMode `json:"security"`
	// PSKBits is the length of an issued PSK: 128 (default) or 256.
	PSKBits int `json:"psk_bits,omitempty"`
	// CertValidity is the validity of an issued certificate (default one
	// year).
	CertValidity Duration `json:"cert_validity,omitempty"`
	// Lifetime, Binding and the default notification periods go to /1.
	Lifetime            Duration `json:"lifetime,omitempty"`
	Binding             string   `json:"binding,omitempty"`
	QueueMode           bool     `json:"queue_mode,omitempty"`
	DefaultPmin         Duration `json:"default_pmin,omitempty"`
	DefaultPmax         Duration `json:"default_pmax,omitempty"`
	NotificationStoring bool     `json:"notification_storing,omitempty"`
	// ExpiryWarning raises an expiry event (and alarm) this long before an
	// issued certificate expires (default 30 days; negative: never).
	ExpiryWarning Duration `json:"expiry_warning,omitempty"`
	// AutoRotateBefore rotates an issued certificate automatically this
	// long before it expires (0: no automatic rotation).
	AutoRotateBefore Duration `json:"auto_rotate_before,omitempty"`
	// AccessControl instances are written to /2 (optional: they matter
	// to devices managed by several servers).
	AccessControl []BootstrapACL `json:"access_control,omitempty"`
}

// BootstrapACL is one Access Control (/2) instance: which servers (by
// Short Server ID, 0 for any) may read (1), write (2), execute (4),
// delete (8) or create (16) in one object instance, and its owner.
type BootstrapACL struct {
	ObjectID   uint16            `json:"object_id"`
	InstanceID uint16            `json:"instance_id"`
	ACL        map[uint16]uint16 `json:"acl,omitempty"`
	Owner      uint16            `json:"owner"`
}

// BootstrapServer is one management server of a configuration.
type BootstrapServer struct {
	ShortServerID uint16 `json:"short_server_id"`
	URI           string `json:"uri,omitempty"`
}

// BootstrapAccount is a batch of devices sharing factory bootstrap
// credentials. With AutoProvision an endpoint nobody created that
// presents valid factory credentials of the account is created as a
// device under the account's profile and customer.
type BootstrapAccount struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	ProfileID     int64     `json:"profile_id,omitempty"`
	CustomerID    int64     `json:"customer_id,omitempty"`
	AutoProvision bool      `json:"auto_provision,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// FactoryMode is how a device authenticates to the bootstrap server.
type FactoryMode string

// Factory credential modes: a PSK, a pinned client certificate, a batch
// CA whose certificates carry the endpoint as CN, or plain CoAP.
const (
	FactoryPSK    FactoryMode = "psk"
	FactoryX509   FactoryMode = "x509"
	FactoryX509CA FactoryMode = "x509-ca"
	FactoryNoSec  FactoryMode = "nosec"
)

// FactoryCredential is a bootstrap credential installed at the factory.
// It belongs to one device (DeviceID) or is shared by a bootstrap
// account's batch (AccountID), in which case each endpoint that uses it is
// bound to it at first use. PSKKey is secret: sealed at rest, never shown
// again after creation.
type FactoryCredential struct {
	ID             int64           `json:"id"`
	AccountID      int64           `json:"account_id,omitempty"`
	DeviceID       int64           `json:"device_id,omitempty"`
	Mode           FactoryMode     `json:"mode"`
	PSKIdentity    string          `json:"psk_identity,omitempty"`
	PSKKey         []byte          `json:"-"`
	CertificatePEM string          `json:"certificate_pem,omitempty"`
	Fingerprint    string          `json:"fingerprint,omitempty"`
	State          CredentialState `json:"state"` // active or revoked
	CreatedAt      time.Time       `json:"created_at"`
	RevokedAt      time.Time       `json:"revoked_at,omitzero"`
}

// BootstrapBinding records which factory credential an endpoint
// bootstrapped with first; later requests must present the same one.
type BootstrapBinding struct {
	Endpoint            string    `json:"endpoint"`
	DeviceID            int64     `json:"device_id"`
	FactoryCredentialID int64     `json:"factory_credential_id"`
	Identity            string    `json:"identity"`
	BoundAt             time.Time `json:"bound_at"`
}

// BootstrapSessionState is where a bootstrap session is.
type BootstrapSessionState string

// Session states.
const (
	SessionRunning  BootstrapSessionState = "running"
	SessionFinished BootstrapSessionState = "finished"
	SessionFailed   BootstrapSessionState = "failed"
)

// BootstrapSession is one Bootstrap-Request and how it ended. A failed
// session names the step, the path and the device's answer.
type BootstrapSession struct {
	ID           int64                 `json:"id"`
	DeviceID     int64                 `json:"device_id"`
	Endpoint     string                `json:"endpoint"`
	ConfigID     int64                 `json:"config_id,omitempty"`
	CredentialID int64                 `json:"credential_id,omitempty"` // the management credential delivered
	Identity     string                `json:"identity,omitempty"`      // the factory identity used
	Address      string                `json:"address,omitempty"`
	State        BootstrapSessionState `json:"state"`
	Step         string                `json:"step,omitempty"`
	Path         string                `json:"path,omitempty"`
	DeviceCode   string                `json:"device_code,omitempty"`
	Error        string                `json:"error,omitempty"`
	Version      string                `json:"version,omitempty"`
	Format       string                `json:"format,omitempty"`
	// ServerInstance is the /1 instance of the first account written (the
	// Bootstrap-Request Trigger is /1/<it>/9), -1 until known.
	ServerInstance int       `json:"server_instance"`
	StartedAt      time.Time `json:"started_at"`
	FinishedAt     time.Time `json:"finished_at,omitzero"`
}

// CredentialLifecycle is Shoal's record of a management credential's
// life beyond its state: why it was issued, when bootstrap delivered it,
// when the device first used it, when its expiry was announced.
// Credentials Shoal did not issue get one (Reason "external") once their
// expiry is announced. SecretKey holds the private key of an issued
// certificate until the device has it (sealed at rest); it is dropped
// once the device used the certificate.
type CredentialLifecycle struct {
	CredentialID   int64     `json:"credential_id"`
	DeviceID       int64     `json:"device_id"`
	Reason         string    `json:"reason"` // "bootstrap", "rotation", "expiry", "external"
	IssuedBy       string    `json:"issued_by,omitempty"`
	SecretKey      []byte    `json:"-"`
	IssuedAt       time.Time `json:"issued_at"`
	DeliveredAt    time.Time `json:"delivered_at,omitzero"`
	ConfirmedAt    time.Time `json:"confirmed_at,omitzero"`
	ExpiryWarnedAt time.Time `json:"expiry_warned_at,omitzero"`
	// CommandID is the queued Bootstrap-Request Trigger of a rotation.
	CommandID int64 `json:"command_id,omitempty"`
}
