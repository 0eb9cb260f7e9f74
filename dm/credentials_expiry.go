package dm

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// expiryBatch bounds the credentials one scan looks at.
const expiryBatch = 1000

// scheduledRotation is the principal of automatic rotations.
var scheduledRotation = Principal{Role: models.RoleAdmin, Name: "scheduled rotation"}

// ScanExpiring looks at the certificates that expire within the
// lookahead: a certificate entering its warning window raises one
// credential.expiring event (and OnCertificateExpiring); an active one
// entering its configuration's AutoRotateBefore window is rotated.
func (p *Provisioning) ScanExpiring(ctx context.Context) error {
	now := p.s.now()
	exp, err := p.st.Lifecycle.Expiring(ctx, now.Add(p.cfg.ExpiryLookahead), expiryBatch)
	if err != nil {
		return err
	}
	for _, e := range exp {
		if ctx.Err() != nil {
			return nil
		}
		c := e.Credential
		d, err := p.s.deviceByID(ctx, c.DeviceID)
		if err != nil {
			continue
		}
		warn := p.cfg.ExpiryWarning
		var rotateBefore time.Duration
		cfg, err := p.configOf(ctx, d)
		switch {
		case err == nil:
			if w := cfg.Spec.ExpiryWarning.D(); w != 0 {
				warn = w
			}
			rotateBefore = cfg.Spec.AutoRotateBefore.D()
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if warn > 0 && e.Lifecycle.ExpiryWarnedAt.IsZero() && !now.Before(c.NotAfter.Add(-warn)) {
			p.warnExpiry(ctx, d, c, now)
		}
		if rotateBefore > 0 && c.State == models.CredentialActive && c.Mode == cfg.Spec.Security && !now.Before(c.NotAfter.Add(-rotateBefore)) {
			if _, pending, err := p.pendingIssued(ctx, d, cfg.Spec.Security); err != nil || pending {
				continue
			}
			if _, err := p.Rotate(ctx, scheduledRotation, d.Endpoint); err != nil {
				p.s.log.Warn().Err(err).Str("endpoint", d.Endpoint).Msg("dm: scheduled rotation before expiry failed")
			}
		}
	}
	return nil
}

// warnExpiry raises the expiry warning of one certificate once.
func (p *Provisioning) warnExpiry(ctx context.Context, d models.Device, c models.Credential, now time.Time) {
	err := p.updateLifecycle(ctx, c.ID, func() models.CredentialLifecycle {
		return models.CredentialLifecycle{CredentialID: c.ID, DeviceID: d.ID, Reason: reasonExternal, IssuedAt: c.CreatedAt}
	}, func(l *models.CredentialLifecycle) { l.ExpiryWarnedAt = now })
	if err != nil {
		p.s.log.Error().Err(err).Int64("credential", c.ID).Msg("dm: recording an expiry warning")
		return
	}
	p.s.record(ctx, deviceEvent(d, models.CategorySecurity, "credential.expiring", map[string]any{"credential_id": c.ID,
		"fingerprint": c.Fingerprint, "not_after": c.NotAfter, "expires_in": c.NotAfter.Sub(now).Round(time.Second).String(),
		"state": c.State}))
	p.raiseExpiryAlarm(ctx, d, c, now)
	if p.cfg.OnCertificateExpiring != nil {
		p.cfg.OnCertificateExpiring(ctx, d, c)
	}
}

// expiryAlarmType is the type of the alarm an expiring certificate raises.
const expiryAlarmType = "certificate-expiring"

// expiryAlarmRule is the rule key of a credential's expiry alarm (one per
// credential; alarm rules use numeric keys, so these never collide).
func expiryAlarmRule(credentialID int64) string {
	return "certificate-expiry:" + strconv.FormatInt(credentialID, 10)
}

// raiseExpiryAlarm raises the expiry alarm of a certificate through the
// alarm store (critical once it has expired), with its alarm event.
func (p *Provisioning) raiseExpiryAlarm(ctx context.Context, d models.Device, c models.Credential, now time.Time) {
	sev, reason := models.SeverityWarning, "expires on "+c.NotAfter.UTC().Format(time.RFC3339)
	if !now.Before(c.NotAfter) {
		sev, reason = models.SeverityCritical, "expired on "+c.NotAfter.UTC().Format(time.RFC3339)
	}
	a := models.Alarm{DeviceID: d.ID, CustomerID: d.CustomerID, Rule: expiryAlarmRule(c.ID), Type: expiryAlarmType, Severity: sev,
		Message: "certificate " + c.Fingerprint + " " + reason,
		Details: jsonOf(map[string]any{"credential_id": c.ID, "fingerprint": c.Fingerprint, "not_after": c.NotAfter})}
	created, err := p.s.st.Alarms.Raise(ctx, &a)
	if err != nil {
		p.s.log.Error().Err(err).Str("endpoint", d.Endpoint).Int64("credential", c.ID).Msg("dm: raising a certificate expiry alarm")
		return
	}
	typ := EventAlarmUpdated
	if created {
		typ = EventAlarmRaised
	}
	p.s.record(ctx, p.s.alarmEvent(ctx, a, typ, reason, "system"))
}

// clearExpiryAlarms clears the expiry alarms of credentials that were
// replaced or revoked.
func (p *Provisioning) clearExpiryAlarms(ctx context.Context, d models.Device, credentialIDs ...int64) {
	for _, id := range credentialIDs {
		a, cleared, err := p.s.st.Alarms.ClearRule(ctx, d.ID, expiryAlarmRule(id), p.s.now())
		if err != nil {
			p.s.log.Error().Err(err).Str("endpoint", d.Endpoint).Int64("credential", id).Msg("dm: clearing a certificate expiry alarm")
			continue
		}
		if cleared {
			p.s.record(ctx, p.s.alarmEvent(ctx, a, EventAlarmCleared, "the certificate is no longer in use", "system"))
		}
	}
}
