package dm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// CredentialDetail is a credential with its lifecycle, without secrets.
type CredentialDetail struct {
	CredentialView
	CertificatePEM string
	CreatedAt      time.Time
	RevokedAt      time.Time
	Lifecycle      *models.CredentialLifecycle
}

// RotationResult is what Rotate started: the new (pending) credential and
// the Bootstrap-Request Trigger, sent or queued until the device appears.
type RotationResult struct {
	Credential CredentialView
	Trigger    CommandResult
}

// Credentials lists a device's credentials with their lifecycle, never
// their secrets.
func (p *Provisioning) Credentials(ctx context.Context, who Principal, endpoint string) ([]CredentialDetail, error) {
	d, err := p.s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return nil, err
	}
	crs, err := p.s.st.Credentials.ByDevice(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	lcs, err := p.st.Lifecycle.ByDevice(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*models.CredentialLifecycle{}
	for i := range lcs {
		lcs[i].SecretKey = nil
		byID[lcs[i].CredentialID] = &lcs[i]
	}
	out := make([]CredentialDetail, 0, len(crs))
	for _, c := range crs {
		out = append(out, CredentialDetail{CredentialView: credentialView(c), CertificatePEM: c.CertificatePEM,
			CreatedAt: c.CreatedAt, RevokedAt: c.RevokedAt, Lifecycle: byID[c.ID]})
	}
	return out, nil
}

// Rotate issues a device new management credentials under its bootstrap
// configuration and triggers a re-bootstrap (Execute /1/x/9) to deliver
// them — at once when the device is reachable, else queued until it next
// appears. The old credentials stay valid until the device registers with
// the new ones; only then are they revoked. A rotation already waiting
// for the device is triggered again rather than duplicated.
func (p *Provisioning) Rotate(ctx context.Context, who Principal, endpoint string) (RotationResult, error) {
	if err := needFleet(who, "rotating credentials"); err != nil {
		return RotationResult{}, err
	}
	d, err := p.s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return RotationResult{}, err
	}
	cfg, err := p.configOf(ctx, d)
	if errors.Is(err, ErrNotFound) {
		return RotationResult{}, fmt.Errorf("%w: device %q: no bootstrap configuration applies to it, and rotation delivers credentials by bootstrap", ErrInvalid, endpoint)
	}
	if err != nil {
		return RotationResult{}, err
	}
	if cfg.Spec.Security == models.ModeNoSec {
		return RotationResult{}, fmt.Errorf("%w: device %q: its bootstrap configuration %q is nosec: there is nothing to rotate", ErrInvalid, endpoint, cfg.Name)
	}
	cred, pending, err := p.pendingIssued(ctx, d, cfg.Spec.Security)
	if err != nil {
		return RotationResult{}, err
	}
	if !pending {
		reason := reasonRotation
		if who == scheduledRotation {
			reason = reasonExpiry
		}
		if cred, err = p.issue(ctx, d, cfg.Spec, reason, who.Actor()); err != nil {
			return RotationResult{}, err
		}
	}
	withdraw := func() {
		if !pending {
			dctx, cancel := detached(ctx)
			defer cancel()
			_ = p.s.st.Credentials.Revoke(dctx, cred.cred.ID, p.s.now())
			p.s.rt.creds.forget(d.Endpoint, cred.cred)
		}
	}
	res, err := p.trigger(ctx, who, d)
	if err != nil {
		withdraw()
		return RotationResult{}, err
	}
	if res.Response != nil && !res.Response.Code.IsSuccess() {
		withdraw()
		return RotationResult{}, fmt.Errorf("%w: device %q refused the Bootstrap-Request Trigger: %v", ErrConflict, endpoint, res.Response.Err())
	}
	if res.Command.ID != 0 {
		err := p.updateLifecycle(ctx, cred.cred.ID, nil, func(l *models.CredentialLifecycle) { l.CommandID = res.Command.ID })
		if err != nil {
			return RotationResult{}, err
		}
	}
	ev := deviceEvent(d, models.CategoryAudit, "credential.rotation-requested", map[string]any{"credential_id": cred.cred.ID,
		"queued": res.Queued, "command_id": res.Command.ID})
	ev.Actor = who.Actor()
	p.s.record(ctx, ev)
	return RotationResult{Credential: credentialView(cred.cred), Trigger: res}, nil
}

// configOf returns the bootstrap configuration that applies to d.
func (p *Provisioning) configOf(ctx context.Context, d models.Device) (models.BootstrapConfig, error) {
	var acctID int64
	if b, err := p.st.Factory.Binding(ctx, d.Endpoint); err == nil {
		if fc, err := p.st.Factory.Get(ctx, b.FactoryCredentialID); err == nil {
			acctID = fc.AccountID
		}
	}
	return p.st.Configs.For(ctx, d.ID, d.ProfileID, acctID)
}

// triggerPath is the Bootstrap-Request Trigger of the device's Shoal
// account: the /1 instance its last bootstrap wrote, else /1/0.
func (p *Provisioning) triggerPath(ctx context.Context, d models.Device) lwm2m.Path {
	inst := 0
	if sess, err := p.st.Sessions.Last(ctx, d.ID, models.SessionFinished); err == nil && sess.ServerInstance >= 0 {
		inst = sess.ServerInstance
	}
	return lwm2m.ResourcePath(1, uint16(inst), 9)
}

// trigger executes the Bootstrap-Request Trigger, queued until the device
// appears when it is not reachable now.
func (p *Provisioning) trigger(ctx context.Context, who Principal, d models.Device) (CommandResult, error) {
	req := lwm2m.NewRequest(lwm2m.OpExecute, p.triggerPath(ctx, d))
	return p.s.Execute(ctx, who, d.Endpoint, req, CommandOptions{Expiry: p.cfg.TriggerExpiry, MaxAttempts: p.cfg.TriggerAttempts})
}

// TriggerBootstrap asks a device to bootstrap again (server-initiated
// bootstrap): Execute of its /1/x/9, sent now or queued.
func (p *Provisioning) TriggerBootstrap(ctx context.Context, who Principal, endpoint string) (CommandResult, error) {
	if err := needFleet(who, "triggering a bootstrap"); err != nil {
		return CommandResult{}, err
	}
	d, err := p.s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return CommandResult{}, err
	}
	res, err := p.trigger(ctx, who, d)
	if err == nil {
		ev := deviceEvent(d, models.CategoryAudit, "bootstrap.triggered", map[string]any{"queued": res.Queued, "command_id": res.Command.ID})
		ev.Actor = who.Actor()
		p.s.record(ctx, ev)
	}
	return res, err
}

// TriggerBootstrapSelection queues the Bootstrap-Request Trigger for every
// device the selection matches; a device whose queue is full gets a failed
// result.
func (p *Provisioning) TriggerBootstrapSelection(ctx context.Context, who Principal, sel models.DeviceSelection) ([]CommandResult, error) {
	if err := needFleet(who, "triggering a bootstrap"); err != nil {
		return nil, err
	}
	f, err := p.s.selectionFilter(ctx, who, sel)
	if err != nil {
		return nil, err
	}
	var out []CommandResult
	pr := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := p.s.st.Devices.List(ctx, f, pr)
		if err != nil {
			return out, err
		}
		for _, d := range pg.Items {
			req := lwm2m.NewRequest(lwm2m.OpExecute, p.triggerPath(ctx, d))
			c, err := p.s.enqueue(ctx, d, req, CommandOptions{Expiry: p.cfg.TriggerExpiry, MaxAttempts: p.cfg.TriggerAttempts})
			if err != nil {
				if !errors.Is(err, ErrQueueFull) {
					return out, err
				}
				c = models.Command{DeviceID: d.ID, Endpoint: d.Endpoint, Request: req, State: models.CommandFailed, Error: err.Error()}
			}
			out = append(out, CommandResult{Command: c, Queued: c.ID != 0})
		}
		if pg.Next == "" {
			return out, nil
		}
		pr.Cursor = pg.Next
	}
}

// Revoke withdraws a device's credential: its next handshake fails, and
// when the device is registered with it, its DTLS sessions are closed and
// its registration ends at once (the device goes offline with an event).
func (p *Provisioning) Revoke(ctx context.Context, who Principal, endpoint string, credentialID int64) (CredentialView, error) {
	if err := needFleet(who, "revoking credentials"); err != nil {
		return CredentialView{}, err
	}
	d, err := p.s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return CredentialView{}, err
	}
	c, err := p.s.st.Credentials.Get(ctx, credentialID)
	if errors.Is(err, ErrNotFound) || err == nil && c.DeviceID != d.ID {
		return CredentialView{}, notFound("credential", credentialID)
	}
	if err != nil {
		return CredentialView{}, err
	}
	if c.State == models.CredentialRevoked {
		return credentialView(c), nil
	}
	now := p.s.now()
	if err := p.s.st.Credentials.Revoke(ctx, c.ID, now); err != nil {
		return CredentialView{}, err
	}
	c.State, c.RevokedAt = models.CredentialRevoked, now
	p.s.rt.creds.forget(d.Endpoint, c)
	_ = p.updateLifecycle(ctx, c.ID, nil, func(l *models.CredentialLifecycle) { l.SecretKey = nil })
	p.clearExpiryAlarms(ctx, d, c.ID)
	// The registration made with the revoked credential ends at once (the
	// device goes offline now, not when its lifetime runs out); one made
	// with another credential of the device is left alone.
	disconnected := false
	if reg, ok := p.s.liveRegistration(ctx, d.Endpoint); ok && c.Mode != models.ModeNoSec &&
		(reg.Identity == c.PSKIdentity && c.PSKIdentity != "" || reg.Identity == c.Fingerprint && c.Fingerprint != "") {
		if snd, err := p.s.rt.sender(); err == nil {
			err := snd.Forget(ctx, d.Endpoint)
			disconnected = err == nil || errors.Is(err, server.ErrNotRegistered)
			if err != nil && !errors.Is(err, server.ErrNotRegistered) {
				p.s.log.Warn().Err(err).Str("endpoint", d.Endpoint).Msg("dm: ending the registration of a revoked credential")
			}
		}
	}
	ev := deviceEvent(d, models.CategoryAudit, "credential.revoked", map[string]any{"credential_id": c.ID, "mode": c.Mode,
		"psk_identity": c.PSKIdentity, "fingerprint": c.Fingerprint, "disconnected": disconnected})
	ev.Actor = who.Actor()
	p.s.record(ctx, ev)
	return credentialView(c), nil
}

// Listener wraps the server listener dm gives lwm2m/server: a device that
// registers with a pending credential completes its provisioning or
// rotation.
func (p *Provisioning) Listener(inner server.Listener) server.Listener {
	return lifecycleListener{Listener: inner, p: p}
}

type lifecycleListener struct {
	server.Listener
	p *Provisioning
}

func (l lifecycleListener) Registered(r server.Registration, replaced *server.Registration) {
	l.Listener.Registered(r, replaced)
	if r.Security == server.ModePSK || r.Security == server.ModeX509 {
		l.p.s.rt.enqueue(func(ctx context.Context) { l.p.confirm(ctx, r) })
	}
}

// confirm activates the pending credential a device just registered with
// and revokes every other credential it had: the device has proved it
// holds the new one, so the old ones are no longer needed.
func (p *Provisioning) confirm(ctx context.Context, r server.Registration) {
	var c models.Credential
	var err error
	if r.Security == server.ModePSK {
		c, err = p.s.st.Credentials.ByPSKIdentity(ctx, r.Identity)
	} else {
		c, err = p.s.st.Credentials.ByFingerprint(ctx, r.Identity)
	}
	if err != nil || c.State != models.CredentialPending {
		return
	}
	d, err := p.s.deviceByID(ctx, c.DeviceID)
	if err != nil || d.Endpoint != r.Endpoint {
		return
	}
	now := p.s.now()
	log := p.s.log.With().Str("endpoint", d.Endpoint).Int64("credential", c.ID).Logger()
	c.State = models.CredentialActive
	if err := p.s.st.Credentials.Put(ctx, &c); err != nil {
		log.Error().Err(err).Msg("dm: activating a credential")
		return
	}
	crs, err := p.s.st.Credentials.ByDevice(ctx, d.ID)
	if err != nil {
		log.Error().Err(err).Msg("dm: listing credentials to retire")
		return
	}
	var retired []int64
	for _, o := range crs {
		if o.ID == c.ID || o.State == models.CredentialRevoked {
			continue
		}
		if err := p.s.st.Credentials.Revoke(ctx, o.ID, now); err != nil {
			log.Error().Err(err).Int64("old", o.ID).Msg("dm: revoking a replaced credential")
			continue
		}
		retired = append(retired, o.ID)
	}
	p.s.rt.creds.forget(d.Endpoint, crs...)
	p.clearExpiryAlarms(ctx, d, retired...)
	rotation, trigger := false, int64(0)
	err = p.updateLifecycle(ctx, c.ID, nil, func(l *models.CredentialLifecycle) {
		rotation, trigger = l.Reason == reasonRotation || l.Reason == reasonExpiry, l.CommandID
		if l.DeliveredAt.IsZero() {
			l.DeliveredAt = now // registering with it proves it was delivered
		}
		l.ConfirmedAt, l.SecretKey = now, nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		log.Error().Err(err).Msg("dm: recording a credential's confirmation")
	}
	if trigger != 0 {
		// The device re-bootstrapped: a trigger still queued is moot.
		if cmd, err := p.s.st.Commands.Get(ctx, trigger); err == nil &&
			(cmd.State == models.CommandPending || cmd.State == models.CommandSent) {
			_, _ = p.s.st.Commands.Cancel(ctx, cmd.ID, now)
		}
	}
	data := map[string]any{"credential_id": c.ID, "mode": c.Mode, "psk_identity": c.PSKIdentity, "fingerprint": c.Fingerprint,
		"revoked": retired}
	p.s.record(ctx, deviceEvent(d, models.CategoryAudit, "credential.activated", data))
	if rotation {
		p.s.record(ctx, deviceEvent(d, models.CategoryAudit, "credential.rotated", data))
	}
	log.Info().Ints64("revoked", retired).Msg("dm: device registered with its new credential")
}
