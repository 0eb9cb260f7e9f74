package api

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m/server"
)

// deviceDTO is a device as the API shows it.
type deviceDTO struct {
	ID           int64             `json:"id"`
	Endpoint     string            `json:"endpoint"`
	Name         string            `json:"name,omitempty"`
	Profile      string            `json:"profile,omitempty"`
	ProfileID    int64             `json:"profile_id,omitempty"`
	CustomerID   int64             `json:"customer_id,omitempty"`
	Labels       map[string]string `json:"labels"`
	Status       string            `json:"status"`
	LastSeen     *time.Time        `json:"last_seen,omitempty"`
	Info         *deviceInfoDTO    `json:"info,omitempty"`
	Registration *registrationDTO  `json:"registration,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// deviceInfoDTO is what the device reported in /3/0.
type deviceInfoDTO struct {
	Manufacturer string     `json:"manufacturer,omitempty"`
	Model        string     `json:"model,omitempty"`
	Serial       string     `json:"serial,omitempty"`
	Firmware     string     `json:"firmware,omitempty"`
	Battery      *int64     `json:"battery,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"`
}

// registrationDTO is a device's current registration.
type registrationDTO struct {
	ID             string    `json:"id"`
	Version        string    `json:"lwm2m_version"`
	Lifetime       int64     `json:"lifetime"` // seconds
	Binding        string    `json:"binding"`
	QueueMode      bool      `json:"queue_mode"`
	SMS            string    `json:"sms,omitempty"`
	RootPath       string    `json:"root_path,omitempty"`
	ContentFormats []string  `json:"content_formats,omitempty"`
	Objects        string    `json:"objects"`
	Address        string    `json:"address"`
	Transport      string    `json:"transport"`
	Security       string    `json:"security"`
	Identity       string    `json:"identity,omitempty"`
	RegisteredAt   time.Time `json:"registered_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	LastSeen       time.Time `json:"last_seen"`
	ExpiresAt      time.Time `json:"expires_at"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toDeviceDTO(v dm.DeviceView) deviceDTO {
	d := deviceDTO{
		ID: v.ID, Endpoint: v.Endpoint, Name: v.Name, Profile: v.Profile, ProfileID: v.ProfileID,
		CustomerID: v.CustomerID, Labels: v.Labels, Status: string(v.Status), LastSeen: timePtr(v.LastSeen),
		CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC(),
	}
	if d.Labels == nil {
		d.Labels = map[string]string{}
	}
	if i := v.Info; i != (dm.DeviceInfo{}) {
		d.Info = &deviceInfoDTO{Manufacturer: i.Manufacturer, Model: i.Model, Serial: i.Serial,
			Firmware: i.Firmware, Battery: i.Battery, UpdatedAt: timePtr(i.UpdatedAt)}
	}
	if v.Registration != nil {
		d.Registration = toRegistrationDTO(v.Registration)
	}
	return d
}

func toRegistrationDTO(r *server.Registration) *registrationDTO {
	out := &registrationDTO{
		ID: r.ID, Version: r.Version, Lifetime: int64(r.Lifetime / time.Second), Binding: r.Binding,
		QueueMode: r.QueueMode, SMS: r.SMS, RootPath: r.RootPath, Objects: r.Objects, Address: r.Address,
		Transport: r.Transport, Security: r.Security.String(), Identity: r.Identity,
		RegisteredAt: r.RegisteredAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), LastSeen: r.LastSeen.UTC(),
		ExpiresAt: r.ExpiresAt.UTC(),
	}
	for _, f := range r.ContentFormats {
		out.ContentFormats = append(out.ContentFormats, f.String())
	}
	return out
}

// credentialsDTO is how a new device will connect.
type credentialsDTO struct {
	Mode        string `json:"mode"`
	PSKIdentity string `json:"psk_identity,omitempty"`
	PSKKey      string `json:"psk_key,omitempty"`
	Certificate string `json:"certificate,omitempty"`
}

// ref is a profile or customer reference: a name or a numeric id, given as
// a JSON string or number.
type ref string

func (r *ref) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = ref(s)
		return nil
	}
	if string(b) == "null" {
		*r = ""
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 {
		return errors.New("a profile or customer is a name (string) or a numeric id")
	}
	*r = ref(strconv.FormatInt(n, 10))
	return nil
}

// deviceCreateDTO is the body of POST /devices and one row of an import.
type deviceCreateDTO struct {
	Endpoint    string            `json:"endpoint"`
	Name        string            `json:"name,omitempty"`
	Profile     ref               `json:"profile,omitempty"`
	Customer    ref               `json:"customer,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Credentials *credentialsDTO   `json:"credentials,omitempty"`
}

// input checks the shape of a create body and converts it; the service
// checks the rest (uniqueness, profile existence, key sizes).
func (d *deviceCreateDTO) input(prefix string) (dm.DeviceInput, error) {
	in := dm.DeviceInput{Endpoint: d.Endpoint, Name: d.Name, Profile: string(d.Profile),
		Customer: string(d.Customer), Labels: d.Labels}
	if strings.TrimSpace(d.Endpoint) == "" {
		return in, badField(joinField(prefix, "endpoint"), "is required")
	}
	if err := checkLabels(joinField(prefix, "labels"), d.Labels); err != nil {
		return in, err
	}
	if c := d.Credentials; c != nil {
		f := joinField(prefix, "credentials")
		switch c.Mode {
		case "psk":
			if c.Certificate != "" {
				return in, badField(joinField(f, "certificate"), "a psk credential takes no certificate")
			}
			if c.PSKKey != "" {
				if err := checkHexKey(joinField(f, "psk_key"), c.PSKKey); err != nil {
					return in, err
				}
			}
		case "x509":
			if c.Certificate == "" {
				return in, badField(joinField(f, "certificate"), "an x509 credential needs a PEM certificate")
			}
			if c.PSKKey != "" || c.PSKIdentity != "" {
				return in, badField(joinField(f, "psk_key"), "an x509 credential takes no PSK")
			}
		case "nosec":
			if c.PSKKey != "" || c.PSKIdentity != "" || c.Certificate != "" {
				return in, badField(f, "a nosec credential carries no secrets")
			}
		default:
			return in, badField(joinField(f, "mode"), "%q is not psk, x509 or nosec", c.Mode)
		}
		in.Credentials = &dm.CredentialsInput{Mode: c.Mode, PSKIdentity: c.PSKIdentity,
			PSKKeyHex: c.PSKKey, CertificatePEM: c.Certificate}
	}
	return in, nil
}

func checkLabels(field string, labels map[string]string) error {
	for k := range labels {
		if k == "" || strings.ContainsAny(k, "=,;") {
			return badField(field, "label name %q must be non-empty without '=', ',' or ';'", k)
		}
	}
	return nil
}

func checkHexKey(field, s string) error {
	if len(s)%2 != 0 {
		return badField(field, "hex key has an odd number of digits")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return badField(field, "offset %d: %q is not a hex digit", i, c)
		}
	}
	return nil
}

// devicePatchDTO is the body of PATCH /devices/{endpoint}; a member left
// out stays, "profile" or "customer" null or "" detaches.
type devicePatchDTO struct {
	Name     *string           `json:"name"`
	Profile  json.RawMessage   `json:"profile"`
	Customer json.RawMessage   `json:"customer"`
	Labels   map[string]string `json:"labels"`
}

func (d *devicePatchDTO) patch() (dm.DevicePatch, error) {
	p := dm.DevicePatch{Name: d.Name, Labels: d.Labels}
	for _, m := range []struct {
		field string
		raw   json.RawMessage
		dst   **string
	}{{"profile", d.Profile, &p.Profile}, {"customer", d.Customer, &p.Customer}} {
		if m.raw == nil {
			continue
		}
		var r ref
		if err := r.UnmarshalJSON(m.raw); err != nil {
			return p, badField(m.field, "must be a name, a numeric id, or null")
		}
		s := string(r)
		*m.dst = &s
	}
	return p, checkLabels("labels", d.Labels)
}

// createdDeviceDTO answers POST /devices.
type createdDeviceDTO struct {
	Device     deviceDTO     `json:"device"`
	Credential credentialDTO `json:"credential"`
	// PSKKey is the generated key, shown this once.
	PSKKey string `json:"psk_key,omitempty"`
}

// credentialDTO describes a credential without its secret.
type credentialDTO struct {
	ID          int64      `json:"id"`
	Mode        string     `json:"mode"`
	PSKIdentity string     `json:"psk_identity,omitempty"`
	Fingerprint string     `json:"fingerprint,omitempty"`
	NotAfter    *time.Time `json:"not_after,omitempty"`
	State       string     `json:"state"`
}

func toCredentialDTO(c dm.CredentialView) credentialDTO {
	return credentialDTO{ID: c.ID, Mode: c.Mode, PSKIdentity: c.PSKIdentity, Fingerprint: c.Fingerprint,
		NotAfter: timePtr(c.NotAfter), State: c.State}
}
