package api

import (
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// bootstrapSpecDTO is a configuration's content; durations are Go text
// ("90s", "8760h") or seconds.
type bootstrapSpecDTO struct {
	Servers             []bootstrapServerDTO  `json:"servers"`
	Security            string                `json:"security"`
	PSKBits             int                   `json:"psk_bits,omitempty"`
	CertValidity        models.Duration       `json:"cert_validity,omitempty"`
	Lifetime            models.Duration       `json:"lifetime,omitempty"`
	Binding             string                `json:"binding,omitempty"`
	QueueMode           bool                  `json:"queue_mode,omitempty"`
	DefaultPmin         models.Duration       `json:"default_pmin,omitempty"`
	DefaultPmax         models.Duration       `json:"default_pmax,omitempty"`
	NotificationStoring bool                  `json:"notification_storing,omitempty"`
	ExpiryWarning       models.Duration       `json:"expiry_warning,omitempty"`
	AutoRotateBefore    models.Duration       `json:"auto_rotate_before,omitempty"`
	AccessControl       []models.BootstrapACL `json:"access_control,omitempty"`
}

type bootstrapServerDTO struct {
	ShortServerID uint16 `json:"short_server_id"`
	URI           string `json:"uri,omitempty"`
}

// bootstrapConfigBodyDTO creates or replaces a configuration.
type bootstrapConfigBodyDTO struct {
	Name    string            `json:"name"`
	Device  string            `json:"device,omitempty"`
	Profile ref               `json:"profile,omitempty"`
	Account ref               `json:"account,omitempty"`
	Default bool              `json:"default,omitempty"`
	Spec    *bootstrapSpecDTO `json:"spec"`
}

// input checks what dm cannot see (a missing spec) and converts.
func (b *bootstrapConfigBodyDTO) input() (dm.BootstrapConfigInput, error) {
	if b.Spec == nil {
		return dm.BootstrapConfigInput{}, badField("spec", "is required")
	}
	in := dm.BootstrapConfigInput{Name: b.Name, Device: b.Device, Profile: string(b.Profile), Account: string(b.Account),
		Default: b.Default, Spec: models.BootstrapSpec{Security: models.SecurityMode(b.Spec.Security), PSKBits: b.Spec.PSKBits,
			CertValidity: b.Spec.CertValidity, Lifetime: b.Spec.Lifetime, Binding: b.Spec.Binding, QueueMode: b.Spec.QueueMode,
			DefaultPmin: b.Spec.DefaultPmin, DefaultPmax: b.Spec.DefaultPmax, NotificationStoring: b.Spec.NotificationStoring,
			ExpiryWarning: b.Spec.ExpiryWarning, AutoRotateBefore: b.Spec.AutoRotateBefore, AccessControl: b.Spec.AccessControl}}
	for _, sv := range b.Spec.Servers {
		in.Spec.Servers = append(in.Spec.Servers, models.BootstrapServer{ShortServerID: sv.ShortServerID, URI: sv.URI})
	}
	return in, nil
}

// bootstrapConfigDTO is a stored configuration with its scope.
type bootstrapConfigDTO struct {
	ID        int64            `json:"id"`
	Name      string           `json:"name"`
	Scope     string           `json:"scope"` // "default", "device", "profile", "account"
	DeviceID  int64            `json:"device_id,omitempty"`
	ProfileID int64            `json:"profile_id,omitempty"`
	AccountID int64            `json:"account_id,omitempty"`
	Spec      bootstrapSpecDTO `json:"spec"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

func toBootstrapConfigDTO(c models.BootstrapConfig) bootstrapConfigDTO {
	out := bootstrapConfigDTO{ID: c.ID, Name: c.Name, DeviceID: c.DeviceID, ProfileID: c.ProfileID, AccountID: c.AccountID,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	switch {
	case c.Default:
		out.Scope = "default"
	case c.DeviceID != 0:
		out.Scope = "device"
	case c.ProfileID != 0:
		out.Scope = "profile"
	default:
		out.Scope = "account"
	}
	s := c.Spec
	out.Spec = bootstrapSpecDTO{Security: string(s.Security), PSKBits: s.PSKBits, CertValidity: s.CertValidity, Lifetime: s.Lifetime,
		Binding: s.Binding, QueueMode: s.QueueMode, DefaultPmin: s.DefaultPmin, DefaultPmax: s.DefaultPmax,
		NotificationStoring: s.NotificationStoring, ExpiryWarning: s.ExpiryWarning, AutoRotateBefore: s.AutoRotateBefore,
		AccessControl: s.AccessControl,
		Servers:       make([]bootstrapServerDTO, len(s.Servers))}
	for i, sv := range s.Servers {
		out.Spec.Servers[i] = bootstrapServerDTO{ShortServerID: sv.ShortServerID, URI: sv.URI}
	}
	return out
}

// bootstrapAccountBodyDTO creates or replaces an account.
type bootstrapAccountBodyDTO struct {
	Name          string `json:"name"`
	Profile       ref    `json:"profile,omitempty"`
	Customer      ref    `json:"customer,omitempty"`
	AutoProvision bool   `json:"auto_provision,omitempty"`
}

type bootstrapAccountDTO struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	ProfileID     int64     `json:"profile_id,omitempty"`
	CustomerID    int64     `json:"customer_id,omitempty"`
	AutoProvision bool      `json:"auto_provision"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func toBootstrapAccountDTO(a models.BootstrapAccount) bootstrapAccountDTO {
	return bootstrapAccountDTO{ID: a.ID, Name: a.Name, ProfileID: a.ProfileID, CustomerID: a.CustomerID,
		AutoProvision: a.AutoProvision, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

// factoryBodyDTO creates a factory credential.
type factoryBodyDTO struct {
	Device      string `json:"device,omitempty"`
	Account     ref    `json:"account,omitempty"`
	Mode        string `json:"mode,omitempty"`
	PSKIdentity string `json:"psk_identity,omitempty"`
	PSKKey      string `json:"psk_key,omitempty"`
	Certificate string `json:"certificate,omitempty"`
}

// factoryDTO is a factory credential, never its key.
type factoryDTO struct {
	ID          int64     `json:"id"`
	AccountID   int64     `json:"account_id,omitempty"`
	DeviceID    int64     `json:"device_id,omitempty"`
	Mode        string    `json:"mode"`
	PSKIdentity string    `json:"psk_identity,omitempty"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	Certificate string    `json:"certificate,omitempty"`
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	RevokedAt   time.Time `json:"revoked_at,omitzero"`
}

func toFactoryDTO(f models.FactoryCredential) factoryDTO {
	return factoryDTO{ID: f.ID, AccountID: f.AccountID, DeviceID: f.DeviceID, Mode: string(f.Mode), PSKIdentity: f.PSKIdentity,
		Fingerprint: f.Fingerprint, Certificate: f.CertificatePEM, State: string(f.State), CreatedAt: f.CreatedAt.UTC(),
		RevokedAt: f.RevokedAt.UTC()}
}

// createdFactoryDTO carries a generated key this once.
type createdFactoryDTO struct {
	Credential factoryDTO `json:"credential"`
	PSKKey     string     `json:"psk_key,omitempty"`
}

// credentialDetailDTO is a credential and its lifecycle, never a secret.
type credentialDetailDTO struct {
	credentialDTO
	Certificate    string    `json:"certificate,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	RevokedAt      time.Time `json:"revoked_at,omitzero"`
	Reason         string    `json:"reason,omitempty"`
	IssuedBy       string    `json:"issued_by,omitempty"`
	DeliveredAt    time.Time `json:"delivered_at,omitzero"`
	ConfirmedAt    time.Time `json:"confirmed_at,omitzero"`
	ExpiryWarnedAt time.Time `json:"expiry_warned_at,omitzero"`
	TriggerCommand int64     `json:"trigger_command_id,omitempty"`
}

func toCredentialDetailDTO(c dm.CredentialDetail) credentialDetailDTO {
	out := credentialDetailDTO{credentialDTO: toCredentialDTO(c.CredentialView), Certificate: c.CertificatePEM,
		CreatedAt: c.CreatedAt.UTC(), RevokedAt: c.RevokedAt.UTC()}
	if l := c.Lifecycle; l != nil {
		out.Reason, out.IssuedBy, out.TriggerCommand = l.Reason, l.IssuedBy, l.CommandID
		out.DeliveredAt, out.ConfirmedAt, out.ExpiryWarnedAt = l.DeliveredAt.UTC(), l.ConfirmedAt.UTC(), l.ExpiryWarnedAt.UTC()
	}
	return out
}

// rotationDTO is the answer to a rotation.
type rotationDTO struct {
	Credential credentialDTO `json:"credential"`
	Queued     bool          `json:"queued"`
	Command    *commandDTO   `json:"command,omitempty"`
}
