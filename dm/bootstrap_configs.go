package dm

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// Limits of a bootstrap configuration.
const (
	maxBootstrapServers = 32
	maxConfigName       = 128
)

// BootstrapConfigInput creates or replaces a bootstrap configuration. It
// applies to exactly one of Device (an endpoint), Profile (a name or id),
// Account (a bootstrap account name or id) or Default.
type BootstrapConfigInput struct {
	Name    string
	Device  string
	Profile string
	Account string
	Default bool
	Spec    models.BootstrapSpec
}

// checkSpec validates a configuration's content, naming the field.
func (p *Provisioning) checkSpec(spec *models.BootstrapSpec) error {
	switch spec.Security {
	case models.ModePSK:
	case models.ModeX509:
		if p.ca() == nil {
			return invalid("spec.security", "x509 needs Shoal's certificate authority (run shoal ca init)")
		}
	case models.ModeNoSec:
		if !p.s.cfg.AllowNoSec {
			return invalid("spec.security", "nosec devices are not allowed on this server")
		}
	default:
		return invalid("spec.security", "%q is not psk, x509 or nosec", spec.Security)
	}
	if n := len(spec.Servers); n == 0 || n > maxBootstrapServers {
		return invalid("spec.servers", "%d servers, want 1 to %d", n, maxBootstrapServers)
	}
	seen := map[uint16]bool{}
	for i, sv := range spec.Servers {
		f := fmt.Sprintf("spec.servers[%d]", i)
		if sv.ShortServerID == 0 || sv.ShortServerID == 65535 {
			return invalid(f+".short_server_id", "%d is not 1 to 65534", sv.ShortServerID)
		}
		if seen[sv.ShortServerID] {
			return invalid(f+".short_server_id", "%d is used twice", sv.ShortServerID)
		}
		seen[sv.ShortServerID] = true
		if sv.URI == "" {
			continue
		}
		u, err := url.Parse(sv.URI)
		want := "coaps"
		if spec.Security == models.ModeNoSec {
			want = "coap"
		}
		if err != nil || u.Scheme != want || u.Host == "" {
			return invalid(f+".uri", "%q is not a %s://host[:port] URI", sv.URI, want)
		}
	}
	switch spec.PSKBits {
	case 0, 128, 256:
	default:
		return invalid("spec.psk_bits", "%d is not 128 or 256", spec.PSKBits)
	}
	for name, d := range map[string]models.Duration{"spec.cert_validity": spec.CertValidity, "spec.lifetime": spec.Lifetime,
		"spec.default_pmin": spec.DefaultPmin, "spec.default_pmax": spec.DefaultPmax, "spec.auto_rotate_before": spec.AutoRotateBefore} {
		if d < 0 {
			return invalid(name, "%v is negative", d.D())
		}
	}
	if v := spec.CertValidity.D(); v != 0 && v < time.Hour {
		return invalid("spec.cert_validity", "%v is under an hour", v)
	}
	if l := spec.Lifetime.D(); l != 0 && l < time.Second {
		return invalid("spec.lifetime", "%v is under a second", l)
	}
	if spec.DefaultPmax != 0 && spec.DefaultPmin > spec.DefaultPmax {
		return invalid("spec.default_pmin", "%v exceeds default_pmax %v", spec.DefaultPmin.D(), spec.DefaultPmax.D())
	}
	if len(spec.Binding) > 8 || strings.Trim(spec.Binding, "UTSNQ") != "" {
		return invalid("spec.binding", "%q is not made of the binding letters U, T, S, N and Q", spec.Binding)
	}
	for i, ac := range spec.AccessControl {
		f := fmt.Sprintf("spec.access_control[%d]", i)
		if ac.ObjectID == 0 || ac.ObjectID == 2 || ac.ObjectID == 65535 {
			return invalid(f+".object_id", "object %d takes no access control instance", ac.ObjectID)
		}
		if !seen[ac.Owner] {
			return invalid(f+".owner", "%d is none of the configured short server ids", ac.Owner)
		}
		for ssid, bits := range ac.ACL {
			if ssid != 0 && !seen[ssid] {
				return invalid(f+".acl", "short server id %d is not configured", ssid)
			}
			if bits > 31 {
				return invalid(f+".acl", "access bits %d exceed 31 (read 1, write 2, execute 4, delete 8, create 16)", bits)
			}
		}
	}
	if spec.AutoRotateBefore > 0 && spec.Security != models.ModeX509 {
		return invalid("spec.auto_rotate_before", "only certificates expire; the configuration is %s", spec.Security)
	}
	return nil
}

// resolveScope turns the input's scope references into ids.
func (p *Provisioning) resolveScope(ctx context.Context, in BootstrapConfigInput, c *models.BootstrapConfig) error {
	n := 0
	if in.Device != "" {
		n++
		d, err := p.s.device(ctx, in.Device)
		if errors.Is(err, ErrNotFound) {
			return invalid("device", "no device %q", in.Device)
		} else if err != nil {
			return err
		}
		c.DeviceID = d.ID
	}
	if in.Profile != "" {
		n++
		id, err := p.s.profileRef(ctx, in.Profile)
		if err != nil {
			return err
		}
		c.ProfileID = id
	}
	if in.Account != "" {
		n++
		a, err := p.accountRef(ctx, in.Account)
		if err != nil {
			return err
		}
		c.AccountID = a.ID
	}
	if in.Default {
		n++
		c.Default = true
	}
	if n != 1 {
		return invalid("scope", "a configuration applies to exactly one of device, profile, account or default (%d given)", n)
	}
	return nil
}

// CreateBootstrapConfig adds a bootstrap configuration.
func (p *Provisioning) CreateBootstrapConfig(ctx context.Context, who Principal, in BootstrapConfigInput) (models.BootstrapConfig, error) {
	if err := needFleet(who, "managing bootstrap configurations"); err != nil {
		return models.BootstrapConfig{}, err
	}
	c, err := p.configFromInput(ctx, in)
	if err != nil {
		return c, err
	}
	if err := p.st.Configs.Create(ctx, &c); err != nil {
		return c, err
	}
	p.audit(ctx, who, "bootstrap-config.created", map[string]any{"id": c.ID, "name": c.Name})
	return c, nil
}

func (p *Provisioning) configFromInput(ctx context.Context, in BootstrapConfigInput) (models.BootstrapConfig, error) {
	c := models.BootstrapConfig{Name: strings.TrimSpace(in.Name), Spec: in.Spec}
	if c.Name == "" || len(c.Name) > maxConfigName {
		return c, invalid("name", "must be 1 to %d bytes", maxConfigName)
	}
	if err := p.checkSpec(&c.Spec); err != nil {
		return c, err
	}
	return c, p.resolveScope(ctx, in, &c)
}

// GetBootstrapConfig returns a configuration by name or id.
func (p *Provisioning) GetBootstrapConfig(ctx context.Context, who Principal, ref string) (models.BootstrapConfig, error) {
	if err := needFleet(who, "reading bootstrap configurations"); err != nil {
		return models.BootstrapConfig{}, err
	}
	return p.configRef(ctx, ref)
}

func (p *Provisioning) configRef(ctx context.Context, ref string) (models.BootstrapConfig, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		c, err := p.st.Configs.Get(ctx, id)
		if !errors.Is(err, ErrNotFound) {
			return c, err
		}
	}
	c, err := p.st.Configs.GetByName(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return c, notFound("bootstrap config", ref)
	}
	return c, err
}

// UpdateBootstrapConfig replaces a configuration (scope included).
func (p *Provisioning) UpdateBootstrapConfig(ctx context.Context, who Principal, ref string, in BootstrapConfigInput) (models.BootstrapConfig, error) {
	if err := needFleet(who, "managing bootstrap configurations"); err != nil {
		return models.BootstrapConfig{}, err
	}
	old, err := p.configRef(ctx, ref)
	if err != nil {
		return old, err
	}
	c, err := p.configFromInput(ctx, in)
	if err != nil {
		return c, err
	}
	c.ID, c.CreatedAt = old.ID, old.CreatedAt
	if err := p.st.Configs.Update(ctx, &c); err != nil {
		return c, err
	}
	p.audit(ctx, who, "bootstrap-config.updated", map[string]any{"id": c.ID, "name": c.Name})
	return c, nil
}

// DeleteBootstrapConfig removes a configuration.
func (p *Provisioning) DeleteBootstrapConfig(ctx context.Context, who Principal, ref string) error {
	if err := needFleet(who, "managing bootstrap configurations"); err != nil {
		return err
	}
	c, err := p.configRef(ctx, ref)
	if err != nil {
		return err
	}
	if err := p.st.Configs.Delete(ctx, c.ID); err != nil {
		return err
	}
	p.audit(ctx, who, "bootstrap-config.deleted", map[string]any{"id": c.ID, "name": c.Name})
	return nil
}

// ListBootstrapConfigs lists configurations.
func (p *Provisioning) ListBootstrapConfigs(ctx context.Context, who Principal, pr PageRequest) (Page[models.BootstrapConfig], error) {
	if err := needFleet(who, "reading bootstrap configurations"); err != nil {
		return Page[models.BootstrapConfig]{}, err
	}
	return p.st.Configs.List(ctx, pr)
}

// audit records a fleet-wide audit event.
func (p *Provisioning) audit(ctx context.Context, who Principal, typ string, data any) {
	p.s.record(ctx, models.Event{Category: models.CategoryAudit, Type: typ, Actor: who.Actor(), Data: jsonOf(data)})
}
