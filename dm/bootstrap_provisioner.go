package dm

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/bootstrap"
	"github.com/shoal-iot/shoal/bootstrap/ca"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/models"
)

// FactoryPSK implements bootstrap.Provisioner: the key of a live factory
// PSK identity.
func (p *Provisioning) FactoryPSK(ctx context.Context, identity string) ([]byte, error) {
	fc, err := p.st.Factory.ByPSKIdentity(ctx, identity)
	if err != nil {
		return nil, err
	}
	if fc.Mode != models.FactoryPSK || fc.State != models.CredentialActive {
		return nil, fmt.Errorf("factory PSK identity %q is revoked", identity)
	}
	return fc.PSKKey, nil
}

// FactoryCertificate implements bootstrap.Provisioner: a pinned factory
// certificate, or one a live batch CA issued.
func (p *Provisioning) FactoryCertificate(ctx context.Context, chain []*x509.Certificate) error {
	_, err := p.factoryCert(ctx, chain)
	return err
}

// factoryCert finds the factory credential that vouches for chain[0].
func (p *Provisioning) factoryCert(ctx context.Context, chain []*x509.Certificate) (models.FactoryCredential, error) {
	if len(chain) == 0 {
		return models.FactoryCredential{}, errors.New("no client certificate")
	}
	fc, err := p.st.Factory.ByFingerprint(ctx, coap.CertFingerprint(chain[0]))
	switch {
	case err == nil && fc.Mode == models.FactoryX509 && fc.State == models.CredentialActive:
		return fc, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return fc, err
	}
	cas, err := p.st.Factory.CAs(ctx)
	if err != nil {
		return models.FactoryCredential{}, err
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	for _, fc := range cas {
		root, err := ca.ParseCertificatePEM([]byte(fc.CertificatePEM))
		if err != nil {
			continue
		}
		pool := x509.NewCertPool()
		pool.AddCert(root)
		if _, err := chain[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: p.s.now(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err == nil {
			return fc, nil
		}
	}
	return models.FactoryCredential{}, fmt.Errorf("certificate %q (%s) is neither a factory certificate nor issued by a factory CA",
		chain[0].Subject.CommonName, coap.CertFingerprint(chain[0]))
}

// refuse is the 4.03 of a Bootstrap-Request.
func refuse(format string, args ...any) error {
	return lwm2m.Errorf(lwm2m.CodeForbidden, format, args...)
}

// factoryOf returns the live factory credential a request came in with.
func (p *Provisioning) factoryOf(ctx context.Context, req bootstrap.Request) (models.FactoryCredential, error) {
	id := req.Identity
	switch id.Kind {
	case coap.IdentityPSK:
		fc, err := p.st.Factory.ByPSKIdentity(ctx, id.PSKIdentity)
		if errors.Is(err, ErrNotFound) || err == nil && (fc.Mode != models.FactoryPSK || fc.State != models.CredentialActive) {
			return fc, refuse("factory PSK identity %q is unknown or revoked", id.PSKIdentity)
		}
		return fc, err
	case coap.IdentityX509:
		fc, err := p.factoryCert(ctx, id.Chain)
		if err != nil {
			return fc, refuse("%v", err)
		}
		if fc.Mode == models.FactoryX509CA && id.CommonName != req.Endpoint {
			return fc, refuse("certificate CN %q is not the endpoint %q", id.CommonName, req.Endpoint)
		}
		return fc, nil
	}
	if !p.s.cfg.AllowNoSec {
		return models.FactoryCredential{}, refuse("bootstrap over plain CoAP is not allowed on this server")
	}
	if b, err := p.st.Factory.Binding(ctx, req.Endpoint); err == nil {
		fc, err := p.st.Factory.Get(ctx, b.FactoryCredentialID)
		if err == nil && fc.Mode == models.FactoryNoSec && fc.State == models.CredentialActive {
			return fc, nil
		}
		return fc, refuse("endpoint %q is bound to a factory credential it did not present", req.Endpoint)
	} else if !errors.Is(err, ErrNotFound) {
		return models.FactoryCredential{}, err
	}
	d, err := p.s.device(ctx, req.Endpoint)
	if errors.Is(err, ErrNotFound) {
		return models.FactoryCredential{}, refuse("unknown endpoint %q over plain CoAP", req.Endpoint)
	}
	if err != nil {
		return models.FactoryCredential{}, err
	}
	pg, err := p.st.Factory.List(ctx, FactoryFilter{DeviceID: d.ID}, PageRequest{Limit: MaxPageLimit})
	if err != nil {
		return models.FactoryCredential{}, err
	}
	for _, fc := range pg.Items {
		if fc.Mode == models.FactoryNoSec && fc.State == models.CredentialActive {
			return fc, nil
		}
	}
	return models.FactoryCredential{}, refuse("endpoint %q has no plain-CoAP factory credential", req.Endpoint)
}

// Authorize implements bootstrap.Provisioner: the factory credential must
// be live and belong to the endpoint (per device, or by its binding, or —
// for a batch credential's first use — be bound now); an unknown endpoint
// is created when its batch auto-provisions.
func (p *Provisioning) Authorize(ctx context.Context, req bootstrap.Request) error {
	fc, err := p.factoryOf(ctx, req)
	if err != nil {
		return err
	}
	ep := req.Endpoint
	b, err := p.st.Factory.Binding(ctx, ep)
	bound := err == nil
	switch {
	case bound && b.FactoryCredentialID != fc.ID:
		return refuse("endpoint %q is bound to another factory credential", ep)
	case err != nil && !errors.Is(err, ErrNotFound):
		return err
	}
	if fc.DeviceID != 0 {
		d, err := p.s.deviceByID(ctx, fc.DeviceID)
		if err != nil {
			return err
		}
		if d.Endpoint != ep {
			return refuse("the factory credential belongs to another endpoint, not %q", ep)
		}
		if !bound {
			return p.bind(ctx, d, fc, req)
		}
		return nil
	}
	if bound {
		return nil
	}
	acct, err := p.st.Accounts.Get(ctx, fc.AccountID)
	if err != nil {
		return err
	}
	d, err := p.s.device(ctx, ep)
	switch {
	case errors.Is(err, ErrNotFound):
		if !acct.AutoProvision {
			return refuse("unknown endpoint %q: bootstrap account %q does not auto-provision", ep, acct.Name)
		}
		if d, err = p.autoProvision(ctx, ep, acct); err != nil {
			return err
		}
	case err != nil:
		return err
	case acct.CustomerID != 0 && d.CustomerID != acct.CustomerID:
		return refuse("endpoint %q belongs to another customer than bootstrap account %q", ep, acct.Name)
	}
	return p.bind(ctx, d, fc, req)
}

// bind records the endpoint's first use of a factory credential; losing
// a race to the same credential is fine.
func (p *Provisioning) bind(ctx context.Context, d models.Device, fc models.FactoryCredential, req bootstrap.Request) error {
	err := p.st.Factory.Bind(ctx, models.BootstrapBinding{Endpoint: d.Endpoint, DeviceID: d.ID, FactoryCredentialID: fc.ID,
		Identity: req.Identity.String(), BoundAt: p.s.now()})
	if errors.Is(err, ErrConflict) {
		b, gerr := p.st.Factory.Binding(ctx, d.Endpoint)
		if gerr == nil && b.FactoryCredentialID == fc.ID {
			return nil
		}
		return refuse("endpoint %q is bound to another factory credential", d.Endpoint)
	}
	if err != nil {
		return err
	}
	p.s.record(ctx, deviceEvent(d, models.CategoryAudit, "bootstrap.bound", map[string]any{
		"factory_credential_id": fc.ID, "identity": req.Identity.String()}))
	return nil
}

// autoProvision creates an unknown endpoint under its account's profile
// and customer.
func (p *Provisioning) autoProvision(ctx context.Context, ep string, acct models.BootstrapAccount) (models.Device, error) {
	if err := checkEndpoint(ep); err != nil {
		return models.Device{}, lwm2m.Errorf(lwm2m.CodeBadRequest, "%v", err)
	}
	d := models.Device{Endpoint: ep, ProfileID: acct.ProfileID, CustomerID: acct.CustomerID, Status: models.StatusNever}
	err := p.s.st.Devices.Create(ctx, &d)
	if errors.Is(err, ErrConflict) {
		return p.s.st.Devices.GetByEndpoint(ctx, ep)
	}
	if err != nil {
		return d, err
	}
	p.s.rt.devices.drop(ep)
	ev := deviceEvent(d, models.CategoryAudit, "device.auto-provisioned", map[string]any{"account": acct.Name, "account_id": acct.ID})
	ev.Actor = "bootstrap"
	p.s.record(ctx, ev)
	return d, nil
}

// Plan implements bootstrap.Provisioner: the device's configuration with
// freshly issued credentials (or the pending ones of a rotation), and the
// session recorded as running.
func (p *Provisioning) Plan(ctx context.Context, req bootstrap.Request, st bootstrap.DeviceState) (bootstrap.Plan, error) {
	d, err := p.s.device(ctx, req.Endpoint)
	if err != nil {
		return bootstrap.Plan{}, err
	}
	var acctID int64
	if b, err := p.st.Factory.Binding(ctx, d.Endpoint); err == nil {
		if fc, err := p.st.Factory.Get(ctx, b.FactoryCredentialID); err == nil {
			acctID = fc.AccountID
		}
	}
	cfg, err := p.st.Configs.For(ctx, d.ID, d.ProfileID, acctID)
	if errors.Is(err, ErrNotFound) {
		return bootstrap.Plan{}, fmt.Errorf("no bootstrap configuration applies to %q", d.Endpoint)
	}
	if err != nil {
		return bootstrap.Plan{}, err
	}
	spec := cfg.Spec
	var cred issued
	switch spec.Security {
	case models.ModeNoSec:
		if err := p.ensureNoSec(ctx, d); err != nil {
			return bootstrap.Plan{}, err
		}
	default:
		var ok bool
		if cred, ok, err = p.pendingIssued(ctx, d, spec.Security); err != nil {
			return bootstrap.Plan{}, err
		}
		if !ok {
			if cred, err = p.issue(ctx, d, spec, reasonBootstrap, "bootstrap"); err != nil {
				return bootstrap.Plan{}, err
			}
		}
	}
	sess := models.BootstrapSession{DeviceID: d.ID, Endpoint: d.Endpoint, ConfigID: cfg.ID, CredentialID: cred.cred.ID,
		Identity: req.Identity.String(), Address: req.Address, State: models.SessionRunning, Version: st.Version,
		ServerInstance: -1, StartedAt: req.Received.UTC()}
	if err := p.st.Sessions.Create(ctx, &sess); err != nil {
		return bootstrap.Plan{}, err
	}
	plan := bootstrap.Plan{Ref: sess.ID}
	for _, sv := range spec.Servers {
		plan.Accounts = append(plan.Accounts, p.account(spec, sv, cred, st))
	}
	for _, ac := range spec.AccessControl {
		plan.AccessControl = append(plan.AccessControl, bootstrap.AccessControl{ObjectID: ac.ObjectID, InstanceID: ac.InstanceID,
			ACL: ac.ACL, Owner: ac.Owner})
	}
	return plan, nil
}

// account builds one management account of a plan.
func (p *Provisioning) account(spec models.BootstrapSpec, sv models.BootstrapServer, cred issued, st bootstrap.DeviceState) bootstrap.ServerAccount {
	a := bootstrap.ServerAccount{ShortServerID: sv.ShortServerID, URI: sv.URI, Lifetime: spec.Lifetime.D(),
		DefaultMinPeriod: spec.DefaultPmin.D(), DefaultMaxPeriod: spec.DefaultPmax.D(), Binding: spec.Binding,
		NotificationStoring: spec.NotificationStoring, Identity: cred.identity, SecretKey: cred.secret}
	if a.Lifetime == 0 {
		a.Lifetime = defaultBootstrapLifetime
	}
	if a.Binding == "" {
		a.Binding = "U"
	}
	// Queue mode is a binding letter in 1.0; 1.1 devices choose it
	// themselves (the Q registration parameter).
	if spec.QueueMode && st.Version == "1.0" && !strings.Contains(a.Binding, "Q") {
		a.Binding += "Q"
	}
	switch spec.Security {
	case models.ModePSK:
		a.Mode = bootstrap.ModePSK
	case models.ModeX509:
		a.Mode, a.ServerPublicKey = bootstrap.ModeCertificate, p.authority.Load().serverKey
	default:
		a.Mode = bootstrap.ModeNoSec
	}
	if a.URI == "" {
		coapURI, coapsURI := p.serverURIs()
		a.URI = coapsURI
		if spec.Security == models.ModeNoSec {
			a.URI = coapURI
		}
	}
	return a
}

// Finished implements bootstrap.Provisioner: the session's outcome is
// stored (with the device's code when it refused), the credential marked
// delivered, and an event raised. A failed session changes no
// credential: the old ones stay valid.
func (p *Provisioning) Finished(ctx context.Context, r bootstrap.Result) {
	log := p.s.log.With().Str("endpoint", r.Request.Endpoint).Logger()
	d, err := p.s.device(ctx, r.Request.Endpoint)
	if err != nil {
		log.Debug().Err(err).Msg("dm: bootstrap session of an endpoint not in the inventory")
		return
	}
	var sess models.BootstrapSession
	if r.Plan.Ref != 0 {
		if sess, err = p.st.Sessions.Get(ctx, r.Plan.Ref); err != nil {
			log.Error().Err(err).Int64("session", r.Plan.Ref).Msg("dm: reading a bootstrap session")
			return
		}
	} else {
		sess = models.BootstrapSession{DeviceID: d.ID, Endpoint: d.Endpoint, Identity: r.Request.Identity.String(),
			Address: r.Request.Address, StartedAt: r.Started.UTC()}
	}
	sess.State, sess.Step, sess.Path, sess.FinishedAt = models.SessionFinished, string(r.Step), "", r.Finished.UTC()
	sess.ServerInstance, sess.DeviceCode, sess.Error = -1, "", ""
	if !r.OK {
		sess.State = models.SessionFailed
	}
	if r.Path.Len() > 0 {
		sess.Path = r.Path.String()
	}
	if r.Code != 0 {
		sess.DeviceCode = r.Code.String()
	}
	if r.Err != nil {
		sess.Error = r.Err.Error()
	}
	if r.State.Version != "" {
		sess.Version = r.State.Version
	}
	if r.Format != lwm2m.FormatNone {
		sess.Format = r.Format.String()
	}
	if len(r.Written) > 0 {
		sess.ServerInstance = int(r.Written[0].ServerInstance)
	}
	if sess.ID == 0 {
		err = p.st.Sessions.Create(ctx, &sess)
	} else {
		err = p.st.Sessions.Update(ctx, &sess)
	}
	if err != nil {
		log.Error().Err(err).Msg("dm: storing a bootstrap session")
	}
	if r.OK && sess.CredentialID != 0 {
		err := p.updateLifecycle(ctx, sess.CredentialID, nil, func(l *models.CredentialLifecycle) {
			if l.DeliveredAt.IsZero() {
				l.DeliveredAt = p.s.now()
			}
		})
		if err != nil && !errors.Is(err, ErrNotFound) {
			log.Error().Err(err).Msg("dm: marking a credential delivered")
		}
	}
	data := map[string]any{"session_id": sess.ID, "step": sess.Step, "credential_id": sess.CredentialID}
	typ := "bootstrap.finished"
	if !r.OK {
		typ = "bootstrap.failed"
		data["path"], data["device_code"], data["error"] = sess.Path, sess.DeviceCode, sess.Error
	}
	p.s.record(ctx, deviceEvent(d, models.CategoryOperation, typ, data))
}

// Security implements bootstrap.Provisioner: the event is stored like the
// management server's security events, off the caller's goroutine; when
// the ingest queue is saturated it is dropped (logged) rather than
// stalling handshakes.
func (p *Provisioning) Security(ev bootstrap.SecurityEvent) {
	work := func(ctx context.Context) {
		e := models.Event{Time: ev.Time.UTC(), Endpoint: ev.Endpoint, Category: models.CategorySecurity, Type: ev.Kind,
			Data: jsonOf(map[string]string{"address": ev.Address, "identity": ev.Identity, "reason": ev.Reason, "server": "bootstrap"})}
		if ev.Endpoint != "" {
			if d, err := p.s.device(ctx, ev.Endpoint); err == nil {
				e.DeviceID, e.CustomerID = d.ID, d.CustomerID
			}
		}
		p.s.record(ctx, e)
	}
	select {
	case p.s.rt.ingest <- work:
	default:
		p.s.log.Debug().Str("kind", ev.Kind).Msg("dm: ingest queue full, bootstrap security event dropped")
	}
}

// defaultBootstrapLifetime is the registration lifetime written when a
// configuration sets none.
const defaultBootstrapLifetime = 86400 * time.Second
