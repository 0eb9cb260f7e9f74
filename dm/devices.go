package dm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// Limits on device fields.
const (
	maxEndpoint   = 255
	maxDeviceName = 255
	maxLabelKey   = 64
	maxLabelValue = 256
	maxLabels     = 64
)

// CreateDevice adds a device with its credential (admin or operator). A
// PSK left out is generated and returned once, in CreatedDevice.PSKKeyHex.
func (s *Service) CreateDevice(ctx context.Context, who Principal, in DeviceInput) (CreatedDevice, error) {
	if err := needFleet(who, "creating a device"); err != nil {
		return CreatedDevice{}, err
	}
	d := models.Device{Endpoint: strings.TrimSpace(in.Endpoint), Name: strings.TrimSpace(in.Name), Labels: in.Labels,
		Status: models.StatusNever}
	if err := checkEndpoint(d.Endpoint); err != nil {
		return CreatedDevice{}, err
	}
	if err := checkName(d.Name); err != nil {
		return CreatedDevice{}, err
	}
	if err := checkLabels(d.Labels); err != nil {
		return CreatedDevice{}, err
	}
	var err error
	if d.ProfileID, err = s.profileRef(ctx, in.Profile); err != nil {
		return CreatedDevice{}, err
	}
	if d.CustomerID, err = s.customerRef(ctx, in.Customer); err != nil {
		return CreatedDevice{}, err
	}
	cred, keyHex, err := s.newCredential(d.Endpoint, in.Credentials, s.now())
	if err != nil {
		return CreatedDevice{}, err
	}
	if err := s.st.Devices.Create(ctx, &d); err != nil {
		return CreatedDevice{}, err
	}
	cred.DeviceID = d.ID
	if err := s.st.Credentials.Put(ctx, &cred); err != nil {
		if derr := s.st.Devices.Delete(context.WithoutCancel(ctx), d.ID); derr != nil {
			s.log.Error().Err(derr).Str("endpoint", d.Endpoint).Msg("dm: removing a device whose credential was refused")
		}
		return CreatedDevice{}, fmt.Errorf("credentials: %w", err)
	}
	s.rt.devices.drop(d.Endpoint)
	s.rt.creds.forget(d.Endpoint, cred)
	ev := deviceEvent(d, models.CategoryAudit, "device.created", map[string]any{"mode": cred.Mode, "psk_identity": cred.PSKIdentity, "fingerprint": cred.Fingerprint})
	ev.Actor = who.Actor()
	s.record(ctx, ev)
	v, err := s.view(ctx, d)
	if err != nil {
		return CreatedDevice{}, err
	}
	return CreatedDevice{Device: v, Credential: credentialView(cred), PSKKeyHex: keyHex}, nil
}

// GetDevice returns a device with its registration and device info.
func (s *Service) GetDevice(ctx context.Context, who Principal, endpoint string) (DeviceView, error) {
	d, err := s.storedDevice(ctx, who, endpoint)
	if err != nil {
		return DeviceView{}, err
	}
	return s.view(ctx, d)
}

// ListDevices lists devices with their registrations and device info; a
// customer lists its own.
func (s *Service) ListDevices(ctx context.Context, who Principal, f DeviceFilter, p PageRequest) (Page[DeviceView], error) {
	if err := who.scopeCustomer(&f.CustomerID); err != nil {
		return Page[DeviceView]{}, err
	}
	pg, err := s.st.Devices.List(ctx, f, p)
	if err != nil {
		return Page[DeviceView]{}, err
	}
	out := Page[DeviceView]{Items: make([]DeviceView, 0, len(pg.Items)), Total: pg.Total, Next: pg.Next}
	for _, d := range pg.Items {
		v, err := s.view(ctx, d)
		if err != nil {
			return Page[DeviceView]{}, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

// UpdateDevice changes a device's name, profile, customer or labels. A new
// profile applies from the device's next registration. A customer may
// rename and relabel its own devices; moving a device to another profile
// or customer needs the admin or operator role.
func (s *Service) UpdateDevice(ctx context.Context, who Principal, endpoint string, patch DevicePatch) (DeviceView, error) {
	d, err := s.storedDevice(ctx, who, endpoint)
	if err != nil {
		return DeviceView{}, err
	}
	if patch.Profile != nil || patch.Customer != nil {
		if err := needFleet(who, "changing a device's profile or customer"); err != nil {
			return DeviceView{}, err
		}
	}
	if patch.Name != nil {
		d.Name = strings.TrimSpace(*patch.Name)
		if err := checkName(d.Name); err != nil {
			return DeviceView{}, err
		}
	}
	if patch.Profile != nil {
		if d.ProfileID, err = s.profileRef(ctx, *patch.Profile); err != nil {
			return DeviceView{}, err
		}
	}
	if patch.Customer != nil {
		if d.CustomerID, err = s.customerRef(ctx, *patch.Customer); err != nil {
			return DeviceView{}, err
		}
	}
	if patch.Labels != nil {
		if err := checkLabels(patch.Labels); err != nil {
			return DeviceView{}, err
		}
		d.Labels = patch.Labels
	}
	if err := s.st.Devices.Update(ctx, &d); err != nil {
		return DeviceView{}, err
	}
	s.rt.devices.drop(d.Endpoint)
	if patch.Profile != nil {
		var w time.Duration
		if p, err := s.profileOf(ctx, d); err == nil && p != nil {
			w = p.Spec.AwakeWindow.D()
		}
		s.rt.presence.setWindow(d.Endpoint, w)
	}
	ev := deviceEvent(d, models.CategoryAudit, "device.updated", nil)
	ev.Actor = who.Actor()
	s.record(ctx, ev)
	return s.view(ctx, d)
}

// DeleteDevice revokes the device's credentials (so it can no longer
// handshake), closes its live DTLS session, forgets its registration and
// observations, cancels its queued commands and deletes it (admin or
// operator). Its telemetry and events stay until retention removes them.
func (s *Service) DeleteDevice(ctx context.Context, who Principal, endpoint string) error {
	d, err := s.storedDevice(ctx, who, endpoint)
	if err != nil {
		return err
	}
	if err := needFleet(who, "deleting a device"); err != nil {
		return err
	}
	now := s.now()
	crs, err := s.st.Credentials.ByDevice(ctx, d.ID)
	if err != nil {
		return err
	}
	if _, err := s.st.Credentials.RevokeDevice(ctx, d.ID, now); err != nil {
		return err
	}
	s.rt.creds.forget(endpoint, crs...)
	if _, err := s.st.Commands.CancelDevice(ctx, d.ID, now); err != nil {
		return err
	}
	s.rt.waiters.cancelDevice(d.ID)
	s.rt.presence.gone(endpoint)
	if err := s.st.Registrations.Delete(ctx, endpoint, ""); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if _, err := s.st.Observations.DeleteEndpoint(ctx, endpoint); err != nil {
		return err
	}
	if err := s.st.Devices.Delete(ctx, d.ID); err != nil {
		return err
	}
	s.rt.devices.drop(endpoint)
	// The server forgets the registration too (closing its sessions): a
	// deleted NoSec device's next Update gets 4.04 instead of being
	// served until the registration expires. Its Deregistered event finds
	// no device any more and changes nothing.
	if snd, err := s.rt.sender(); err == nil {
		if err := snd.Forget(ctx, endpoint); err != nil && !errors.Is(err, server.ErrNotRegistered) {
			s.log.Warn().Err(err).Str("endpoint", endpoint).Msg("dm: forgetting a deleted device's registration")
		}
	}
	s.rt.alarms.forget(d.ID)
	s.rt.alarms.invalidate()
	ev := deviceEvent(d, models.CategoryAudit, "device.deleted", nil)
	ev.Actor = who.Actor()
	s.record(ctx, ev)
	return nil
}

// ImportDevices creates many devices and reports on each row; a failed
// row does not stop the others. A caller that may not create devices gets
// ErrForbidden and no rows.
func (s *Service) ImportDevices(ctx context.Context, who Principal, rows []DeviceInput) ([]ImportResult, error) {
	if err := needFleet(who, "importing devices"); err != nil {
		return nil, err
	}
	out := make([]ImportResult, 0, len(rows))
	for i, in := range rows {
		r := ImportResult{Row: i + 1, Endpoint: in.Endpoint}
		if err := ctx.Err(); err != nil {
			r.Error = err.Error()
			out = append(out, r)
			continue
		}
		c, err := s.CreateDevice(ctx, who, in)
		if err != nil {
			r.Error = err.Error()
		} else {
			r.OK, r.Endpoint, r.PSKKeyHex = true, c.Device.Endpoint, c.PSKKeyHex
		}
		out = append(out, r)
	}
	return out, nil
}

// storedDevice reads a device from the store (not the cache) and hides it
// from callers who may not see it.
func (s *Service) storedDevice(ctx context.Context, who Principal, ep string) (models.Device, error) {
	d, err := s.st.Devices.GetByEndpoint(ctx, ep)
	if errors.Is(err, ErrNotFound) || err == nil && !who.sees(d.CustomerID) {
		return models.Device{}, notFound("device", ep)
	}
	return d, err
}

// deviceFor returns a device from the cache, hidden from callers who may
// not see it.
func (s *Service) deviceFor(ctx context.Context, who Principal, ep string) (models.Device, error) {
	d, err := s.device(ctx, ep)
	if errors.Is(err, ErrNotFound) || err == nil && !who.sees(d.CustomerID) {
		return models.Device{}, notFound("device", ep)
	}
	return d, err
}

// view adds the live state to a device.
func (s *Service) view(ctx context.Context, d models.Device) (DeviceView, error) {
	v := DeviceView{Device: d}
	if d.ProfileID != 0 {
		p, err := s.profileOf(ctx, d)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return v, err
		}
		if p != nil {
			v.Profile = p.Name
		}
	}
	if reg, ok := s.liveRegistration(ctx, d.Endpoint); ok {
		v.Registration = &reg
	}
	info, err := s.deviceInfo(ctx, d)
	if err != nil {
		return v, err
	}
	v.Info = info
	return v, nil
}

// liveRegistration returns the registration of an endpoint: the server's
// live copy when the Sender offers it, else the stored one.
func (s *Service) liveRegistration(ctx context.Context, ep string) (server.Registration, bool) {
	if snd, err := s.rt.sender(); err == nil {
		if rs, ok := snd.(RegistrationSource); ok {
			return rs.Registration(ep)
		}
	}
	r, err := s.st.Registrations.Get(ctx, ep)
	if err != nil {
		return server.Registration{}, false
	}
	return toServerRegistration(r), true
}

// profileRef resolves a profile name or id ("" means none).
func (s *Service) profileRef(ctx context.Context, ref string) (int64, error) {
	if strings.TrimSpace(ref) == "" {
		return 0, nil
	}
	p, err := s.getProfile(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("%w: profile: no profile %q", ErrInvalid, ref)
	}
	return p.ID, err
}

// customerRef resolves a customer name or id ("" means none).
func (s *Service) customerRef(ctx context.Context, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return 0, nil
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		c, err := s.st.Customers.Get(ctx, id)
		if err == nil {
			return c.ID, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return 0, err
		}
	}
	p := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := s.st.Customers.List(ctx, p)
		if err != nil {
			return 0, err
		}
		for _, c := range pg.Items {
			if c.Name == ref {
				return c.ID, nil
			}
		}
		if pg.Next == "" {
			return 0, fmt.Errorf("%w: customer: no customer %q", ErrInvalid, ref)
		}
		p.Cursor = pg.Next
	}
}

// checkEndpoint accepts 1 to 255 bytes of printable UTF-8 without spaces
// or slashes (the endpoint appears in URLs and registration queries).
func checkEndpoint(ep string) error {
	switch {
	case ep == "":
		return fmt.Errorf("%w: endpoint: is required", ErrInvalid)
	case len(ep) > maxEndpoint:
		return fmt.Errorf("%w: endpoint: %d bytes, at most %d", ErrInvalid, len(ep), maxEndpoint)
	case !utf8.ValidString(ep):
		return fmt.Errorf("%w: endpoint: not valid UTF-8", ErrInvalid)
	}
	for i, r := range ep {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) || r == '/' || r == '?' || r == '#' {
			return fmt.Errorf("%w: endpoint: character %q at byte %d is not allowed", ErrInvalid, r, i)
		}
	}
	return nil
}

func checkName(n string) error {
	if len(n) > maxDeviceName || !utf8.ValidString(n) {
		return fmt.Errorf("%w: name: must be valid UTF-8 of at most %d bytes", ErrInvalid, maxDeviceName)
	}
	return nil
}

func checkLabels(ls map[string]string) error {
	if len(ls) > maxLabels {
		return fmt.Errorf("%w: labels: %d labels, at most %d", ErrInvalid, len(ls), maxLabels)
	}
	for k, v := range ls {
		switch {
		case k == "" || len(k) > maxLabelKey || !utf8.ValidString(k):
			return fmt.Errorf("%w: labels: key %q must be 1 to %d bytes of UTF-8", ErrInvalid, k, maxLabelKey)
		case len(v) > maxLabelValue || !utf8.ValidString(v):
			return fmt.Errorf("%w: labels.%s: value must be at most %d bytes of UTF-8", ErrInvalid, k, maxLabelValue)
		}
	}
	return nil
}

// jsonOf marshals v for an event's data.
func jsonOf(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
