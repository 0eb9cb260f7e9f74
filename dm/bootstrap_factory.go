package dm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/bootstrap/ca"
	"github.com/shoal-iot/shoal/models"
)

// BootstrapAccountInput creates or replaces a bootstrap account; Profile
// and Customer are a name or an id ("" for none).
type BootstrapAccountInput struct {
	Name          string
	Profile       string
	Customer      string
	AutoProvision bool
}

// FactoryInput creates a factory credential for one device (Device, an
// endpoint) or a batch (Account). Mode psk takes PSKIdentity and PSKKeyHex
// (both generated when empty; the key is then returned once); x509 a
// pinned certificate; x509-ca a batch CA whose certificates carry the
// endpoint as CN; nosec nothing.
type FactoryInput struct {
	Device         string
	Account        string
	Mode           string
	PSKIdentity    string
	PSKKeyHex      string
	CertificatePEM string
}

func (p *Provisioning) accountRef(ctx context.Context, ref string) (models.BootstrapAccount, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && id > 0 {
		a, err := p.st.Accounts.Get(ctx, id)
		if !errors.Is(err, ErrNotFound) {
			return a, err
		}
	}
	a, err := p.st.Accounts.GetByName(ctx, ref)
	if errors.Is(err, ErrNotFound) {
		return a, invalid("account", "no bootstrap account %q", ref)
	}
	return a, err
}

func (p *Provisioning) accountFromInput(ctx context.Context, in BootstrapAccountInput) (models.BootstrapAccount, error) {
	a := models.BootstrapAccount{Name: strings.TrimSpace(in.Name), AutoProvision: in.AutoProvision}
	if a.Name == "" || len(a.Name) > maxConfigName {
		return a, invalid("name", "must be 1 to %d bytes", maxConfigName)
	}
	var err error
	if a.ProfileID, err = p.s.profileRef(ctx, in.Profile); err != nil {
		return a, err
	}
	a.CustomerID, err = p.s.customerRef(ctx, in.Customer)
	return a, err
}

// CreateBootstrapAccount adds a bootstrap account (a batch).
func (p *Provisioning) CreateBootstrapAccount(ctx context.Context, who Principal, in BootstrapAccountInput) (models.BootstrapAccount, error) {
	if err := needFleet(who, "managing bootstrap accounts"); err != nil {
		return models.BootstrapAccount{}, err
	}
	a, err := p.accountFromInput(ctx, in)
	if err != nil {
		return a, err
	}
	if err := p.st.Accounts.Create(ctx, &a); err != nil {
		return a, err
	}
	p.audit(ctx, who, "bootstrap-account.created", map[string]any{"id": a.ID, "name": a.Name, "auto_provision": a.AutoProvision})
	return a, nil
}

// GetBootstrapAccount returns an account by name or id.
func (p *Provisioning) GetBootstrapAccount(ctx context.Context, who Principal, ref string) (models.BootstrapAccount, error) {
	if err := needFleet(who, "reading bootstrap accounts"); err != nil {
		return models.BootstrapAccount{}, err
	}
	a, err := p.accountRef(ctx, ref)
	if errors.Is(err, ErrInvalid) {
		return a, notFound("bootstrap account", ref)
	}
	return a, err
}

// UpdateBootstrapAccount replaces an account's settings.
func (p *Provisioning) UpdateBootstrapAccount(ctx context.Context, who Principal, ref string, in BootstrapAccountInput) (models.BootstrapAccount, error) {
	old, err := p.GetBootstrapAccount(ctx, who, ref)
	if err != nil {
		return old, err
	}
	a, err := p.accountFromInput(ctx, in)
	if err != nil {
		return a, err
	}
	a.ID, a.CreatedAt = old.ID, old.CreatedAt
	if err := p.st.Accounts.Update(ctx, &a); err != nil {
		return a, err
	}
	p.audit(ctx, who, "bootstrap-account.updated", map[string]any{"id": a.ID, "name": a.Name, "auto_provision": a.AutoProvision})
	return a, nil
}

// DeleteBootstrapAccount removes an account with its factory credentials
// (their endpoints' bindings go with them).
func (p *Provisioning) DeleteBootstrapAccount(ctx context.Context, who Principal, ref string) error {
	a, err := p.GetBootstrapAccount(ctx, who, ref)
	if err != nil {
		return err
	}
	if err := p.st.Accounts.Delete(ctx, a.ID); err != nil {
		return err
	}
	p.audit(ctx, who, "bootstrap-account.deleted", map[string]any{"id": a.ID, "name": a.Name})
	return nil
}

// ListBootstrapAccounts lists accounts.
func (p *Provisioning) ListBootstrapAccounts(ctx context.Context, who Principal, pr PageRequest) (Page[models.BootstrapAccount], error) {
	if err := needFleet(who, "reading bootstrap accounts"); err != nil {
		return Page[models.BootstrapAccount]{}, err
	}
	return p.st.Accounts.List(ctx, pr)
}

// CreateFactoryCredential adds a factory bootstrap credential. A key Shoal
// generated is returned (hex) this once and never shown again.
func (p *Provisioning) CreateFactoryCredential(ctx context.Context, who Principal, in FactoryInput) (models.FactoryCredential, string, error) {
	if err := needFleet(who, "managing factory credentials"); err != nil {
		return models.FactoryCredential{}, "", err
	}
	var fc models.FactoryCredential
	owner := ""
	switch {
	case in.Device != "" && in.Account != "":
		return fc, "", invalid("device", "a factory credential belongs to a device or an account, not both")
	case in.Device != "":
		d, err := p.s.device(ctx, in.Device)
		if errors.Is(err, ErrNotFound) {
			return fc, "", invalid("device", "no device %q", in.Device)
		} else if err != nil {
			return fc, "", err
		}
		fc.DeviceID, owner = d.ID, d.Endpoint
	case in.Account != "":
		a, err := p.accountRef(ctx, in.Account)
		if err != nil {
			return fc, "", err
		}
		fc.AccountID, owner = a.ID, a.Name
	default:
		return fc, "", invalid("device", "name a device or an account")
	}
	fc.Mode = models.FactoryMode(strings.ToLower(strings.TrimSpace(in.Mode)))
	keyHex := ""
	switch fc.Mode {
	case models.FactoryPSK, "":
		fc.Mode = models.FactoryPSK
		fc.PSKIdentity = in.PSKIdentity
		if fc.PSKIdentity == "" {
			tag := make([]byte, 4)
			if _, err := rand.Read(tag); err != nil {
				return fc, "", err
			}
			stem := owner
			if len(stem) > maxIdentityStem {
				stem = stem[:maxIdentityStem]
			}
			fc.PSKIdentity = "bs:" + stem + "#" + hex.EncodeToString(tag)
		}
		if len(fc.PSKIdentity) > maxPSKIdentity {
			return fc, "", invalid("psk_identity", "%d bytes, at most %d", len(fc.PSKIdentity), maxPSKIdentity)
		}
		if in.PSKKeyHex == "" {
			key, err := randomBytes(generatedPSKBytes)
			if err != nil {
				return fc, "", err
			}
			fc.PSKKey, keyHex = key, hex.EncodeToString(key)
		} else {
			key, err := hex.DecodeString(strings.TrimSpace(in.PSKKeyHex))
			if err != nil {
				return fc, "", invalid("psk_key", "not hexadecimal: %v", err)
			}
			if len(key) == 0 || len(key) > maxPSKBytes {
				return fc, "", invalid("psk_key", "%d bytes, want 1 to %d", len(key), maxPSKBytes)
			}
			fc.PSKKey = key
		}
	case models.FactoryX509, models.FactoryX509CA:
		cert, err := ca.ParseCertificatePEM([]byte(in.CertificatePEM))
		if err != nil {
			return fc, "", invalid("certificate", "%v", err)
		}
		if fc.Mode == models.FactoryX509CA && (!cert.IsCA || fc.AccountID == 0) {
			return fc, "", invalid("certificate", "an x509-ca factory credential is a CA certificate of a bootstrap account")
		}
		if !p.s.now().Before(cert.NotAfter) {
			return fc, "", invalid("certificate", "expired on %s", cert.NotAfter.UTC().Format("2006-01-02"))
		}
		fc.Fingerprint = ca.Fingerprint(cert.Raw)
		fc.CertificatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	case models.FactoryNoSec:
		if !p.s.cfg.AllowNoSec {
			return fc, "", invalid("mode", "nosec devices are not allowed on this server")
		}
	default:
		return fc, "", invalid("mode", "%q is not psk, x509, x509-ca or nosec", in.Mode)
	}
	fc.State = models.CredentialActive
	if err := p.st.Factory.Put(ctx, &fc); err != nil {
		return fc, "", err
	}
	p.audit(ctx, who, "factory-credential.created", map[string]any{"id": fc.ID, "mode": fc.Mode, "owner": owner,
		"psk_identity": fc.PSKIdentity, "fingerprint": fc.Fingerprint})
	fc.PSKKey = nil
	return fc, keyHex, nil
}

// ListFactoryCredentials lists factory credentials (without keys).
func (p *Provisioning) ListFactoryCredentials(ctx context.Context, who Principal, f FactoryFilter, pr PageRequest) (Page[models.FactoryCredential], error) {
	if err := needFleet(who, "reading factory credentials"); err != nil {
		return Page[models.FactoryCredential]{}, err
	}
	pg, err := p.st.Factory.List(ctx, f, pr)
	for i := range pg.Items {
		pg.Items[i].PSKKey = nil
	}
	return pg, err
}

// RevokeFactoryCredential withdraws a factory credential: the next
// bootstrap handshake with it fails.
func (p *Provisioning) RevokeFactoryCredential(ctx context.Context, who Principal, id int64) (models.FactoryCredential, error) {
	if err := needFleet(who, "managing factory credentials"); err != nil {
		return models.FactoryCredential{}, err
	}
	fc, err := p.st.Factory.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return fc, notFound("factory credential", id)
	} else if err != nil {
		return fc, err
	}
	if err := p.st.Factory.Revoke(ctx, id, p.s.now()); err != nil {
		return fc, err
	}
	p.audit(ctx, who, "factory-credential.revoked", map[string]any{"id": id, "mode": fc.Mode, "psk_identity": fc.PSKIdentity})
	fc, err = p.st.Factory.Get(ctx, id)
	fc.PSKKey = nil
	return fc, err
}

// Unbind forgets which factory credential an endpoint bootstrapped with,
// so its next bootstrap binds it again (a device moved to another batch).
func (p *Provisioning) Unbind(ctx context.Context, who Principal, endpoint string) error {
	if err := needFleet(who, "unbinding an endpoint"); err != nil {
		return err
	}
	d, err := p.s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return err
	}
	if err := p.st.Factory.Unbind(ctx, d.Endpoint); err != nil {
		return err
	}
	ev := deviceEvent(d, models.CategoryAudit, "bootstrap.unbound", nil)
	ev.Actor = who.Actor()
	p.s.record(ctx, ev)
	return nil
}

// BootstrapSessions lists bootstrap sessions, newest first, of one device
// (endpoint) or all.
func (p *Provisioning) BootstrapSessions(ctx context.Context, who Principal, endpoint string, states []models.BootstrapSessionState, pr PageRequest) (Page[models.BootstrapSession], error) {
	if err := needFleet(who, "reading bootstrap sessions"); err != nil {
		return Page[models.BootstrapSession]{}, err
	}
	f := SessionFilter{States: states}
	if endpoint != "" {
		d, err := p.s.deviceFor(ctx, who, endpoint)
		if err != nil {
			return Page[models.BootstrapSession]{}, err
		}
		f.DeviceID = d.ID
	}
	return p.st.Sessions.List(ctx, f, pr)
}
