package dm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// Lifecycle reasons.
const (
	reasonBootstrap = "bootstrap"
	reasonRotation  = "rotation"
	reasonExpiry    = "expiry"
	reasonExternal  = "external"
)

// defaultCertValidity applies when a configuration sets none.
const defaultCertValidity = 365 * 24 * time.Hour

// maxIdentityStem bounds the endpoint part of an issued PSK identity.
const maxIdentityStem = 100

// issued is a credential Shoal issued with what the device must be given.
type issued struct {
	cred models.Credential
	life models.CredentialLifecycle
	// identity and secret go to /0/x/3 and /0/x/5.
	identity, secret []byte
}

// randomBytes returns n random bytes.
func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("dm: randomness: %w", err)
	}
	return b, nil
}

// issue makes a fresh pending management credential for d: a random PSK
// with a unique identity, or a certificate from Shoal's CA. The old
// credentials stay valid until the device uses the new one.
func (p *Provisioning) issue(ctx context.Context, d models.Device, spec models.BootstrapSpec, reason, by string) (issued, error) {
	now := p.s.now()
	var out issued
	switch spec.Security {
	case models.ModePSK:
		n := 16
		if spec.PSKBits == 256 {
			n = 32
		}
		key, err := randomBytes(n)
		if err != nil {
			return out, err
		}
		stem := d.Endpoint
		if len(stem) > maxIdentityStem {
			stem = stem[:maxIdentityStem]
		}
		for attempt := 0; ; attempt++ {
			tag, err := randomBytes(4)
			if err != nil {
				return out, err
			}
			out.cred = models.Credential{DeviceID: d.ID, Mode: models.ModePSK, PSKIdentity: stem + "#" + hex.EncodeToString(tag),
				PSKKey: key, State: models.CredentialPending}
			err = p.s.st.Credentials.Put(ctx, &out.cred)
			if err == nil {
				break
			}
			if !errors.Is(err, ErrConflict) || attempt == 3 {
				return out, fmt.Errorf("issuing a PSK for %q: %w", d.Endpoint, err)
			}
		}
		out.identity, out.secret = []byte(out.cred.PSKIdentity), key
	case models.ModeX509:
		authority := p.ca()
		if authority == nil {
			return out, fmt.Errorf("%w: issuing a certificate for %q: Shoal has no certificate authority (run shoal ca init)", ErrInvalid, d.Endpoint)
		}
		validity := spec.CertValidity.D()
		if validity == 0 {
			validity = defaultCertValidity
		}
		is, err := authority.IssueDevice(d.Endpoint, validity, now)
		if err != nil {
			return out, fmt.Errorf("%w: issuing a certificate for %q: %v", ErrInvalid, d.Endpoint, err)
		}
		out.cred = models.Credential{DeviceID: d.ID, Mode: models.ModeX509, Fingerprint: is.Fingerprint, NotAfter: is.NotAfter.UTC(),
			CertificatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.CertDER})), State: models.CredentialPending}
		if err := p.s.st.Credentials.Put(ctx, &out.cred); err != nil {
			return out, fmt.Errorf("storing the certificate of %q: %w", d.Endpoint, err)
		}
		out.identity, out.secret = is.CertDER, is.KeyDER
	default:
		return out, fmt.Errorf("%w: security mode %q is not issued by Shoal", ErrInvalid, spec.Security)
	}
	out.life = models.CredentialLifecycle{CredentialID: out.cred.ID, DeviceID: d.ID, Reason: reason, IssuedBy: by, IssuedAt: now}
	if spec.Security == models.ModeX509 {
		out.life.SecretKey = out.secret
	}
	if err := p.st.Lifecycle.Put(ctx, &out.life); err != nil {
		dctx, cancel := detached(ctx)
		defer cancel()
		_ = p.s.st.Credentials.Revoke(dctx, out.cred.ID, now)
		return out, err
	}
	p.s.rt.creds.forget(d.Endpoint, out.cred)
	ev := deviceEvent(d, models.CategoryAudit, "credential.issued", map[string]any{"credential_id": out.cred.ID, "mode": out.cred.Mode,
		"psk_identity": out.cred.PSKIdentity, "fingerprint": out.cred.Fingerprint, "reason": reason})
	ev.Actor = by
	p.s.record(ctx, ev)
	return out, nil
}

// pendingIssued returns a pending credential Shoal issued for d in mode
// whose secret it still holds, so a repeated bootstrap delivers the same
// credential instead of piling up new ones.
func (p *Provisioning) pendingIssued(ctx context.Context, d models.Device, mode models.SecurityMode) (issued, bool, error) {
	crs, err := p.s.st.Credentials.ByDevice(ctx, d.ID)
	if err != nil {
		return issued{}, false, err
	}
	for i := len(crs) - 1; i >= 0; i-- {
		c := crs[i]
		if c.State != models.CredentialPending || c.Mode != mode {
			continue
		}
		if !c.NotAfter.IsZero() && !p.s.now().Before(c.NotAfter) {
			continue
		}
		life, err := p.st.Lifecycle.Get(ctx, c.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return issued{}, false, err
		}
		out := issued{cred: c, life: life}
		switch mode {
		case models.ModePSK:
			out.identity, out.secret = []byte(c.PSKIdentity), c.PSKKey
		case models.ModeX509:
			if len(life.SecretKey) == 0 {
				continue
			}
			block, _ := pem.Decode([]byte(c.CertificatePEM))
			if block == nil {
				continue
			}
			out.identity, out.secret = block.Bytes, life.SecretKey
		}
		return out, true, nil
	}
	return issued{}, false, nil
}

// ensureNoSec gives d an active NoSec credential so the management server
// admits it over plain CoAP.
func (p *Provisioning) ensureNoSec(ctx context.Context, d models.Device) error {
	crs, err := p.s.st.Credentials.ByDevice(ctx, d.ID)
	if err != nil {
		return err
	}
	for _, c := range crs {
		if c.Mode == models.ModeNoSec && c.State != models.CredentialRevoked {
			return nil
		}
	}
	c := models.Credential{DeviceID: d.ID, Mode: models.ModeNoSec, State: models.CredentialActive}
	if err := p.s.st.Credentials.Put(ctx, &c); err != nil {
		return err
	}
	p.s.rt.creds.forget(d.Endpoint, c)
	return nil
}
