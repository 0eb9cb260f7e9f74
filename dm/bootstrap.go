package dm

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-iot/shoal/bootstrap"
	"github.com/shoal-iot/shoal/bootstrap/ca"
	"github.com/shoal-iot/shoal/models"
)

// CertificateAuthority issues device certificates (bootstrap/ca's
// Authority is one).
type CertificateAuthority interface {
	IssueDevice(endpoint string, validity time.Duration, now time.Time) (ca.Issued, error)
	Certificate() *x509.Certificate
}

// ProvisioningConfig configures bootstrap provisioning and the credential
// lifecycle. Zero fields take the defaults Validate documents.
type ProvisioningConfig struct {
	// CoAPURI and CoAPSURI are Shoal's own management-server URIs, written
	// for configured servers that name none ("coap://host:5683",
	// "coaps://host:5684").
	CoAPURI  string
	CoAPSURI string
	// ServerPublicKey is the DER certificate (Shoal's CA or the server's
	// own) written to /0/x/4 so X.509 devices can verify the server.
	ServerPublicKey []byte
	// CA issues device certificates; nil makes x509 configurations fail
	// until InitCA creates one.
	CA CertificateAuthority
	// InitCA creates Shoal's CA (in the data directory) on demand, for
	// POST /api/v1/ca; nil: not offered.
	InitCA func(o ca.InitOptions) (CertificateAuthority, error)
	// ExpiryWarning is the default lead time of the expiry warning
	// (default 30 days); ExpiryLookahead how far ahead the scanner looks
	// (default 400 days); ExpiryInterval how often it runs (default 1 h).
	ExpiryWarning   time.Duration
	ExpiryLookahead time.Duration
	ExpiryInterval  time.Duration
	// TriggerExpiry is how long a rotation's queued Bootstrap-Request
	// Trigger waits for an offline device (default 30 days); TriggerAttempts
	// how often it is tried (default 10).
	TriggerExpiry   time.Duration
	TriggerAttempts int
	// OnCertificateExpiring is the alarm hook: called (besides the
	// credential.expiring event) when a certificate enters its warning
	// window. Nil: the event alone.
	OnCertificateExpiring func(ctx context.Context, d models.Device, c models.Credential)
}

// Validate applies defaults and checks the config.
func (c *ProvisioningConfig) Validate() error {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.ExpiryWarning, 30*24*time.Hour)
	def(&c.ExpiryLookahead, 400*24*time.Hour)
	def(&c.ExpiryInterval, time.Hour)
	def(&c.TriggerExpiry, 30*24*time.Hour)
	if c.TriggerAttempts == 0 {
		c.TriggerAttempts = 10
	}
	var errs []error
	if c.ExpiryInterval < 0 || c.ExpiryLookahead < 0 || c.TriggerExpiry < 0 {
		errs = append(errs, errors.New("negative interval"))
	}
	if c.TriggerAttempts < 1 {
		errs = append(errs, fmt.Errorf("TriggerAttempts %d must be positive", c.TriggerAttempts))
	}
	if len(errs) > 0 {
		return fmt.Errorf("dm: provisioning config: %w", errors.Join(errs...))
	}
	return nil
}

// Provisioning is bootstrap provisioning and the credential lifecycle
// over a Service: it implements bootstrap.Provisioner for the bootstrap
// server, and the use cases behind the bootstrap and credential routes of
// the API. Run runs its expiry scanner.
type Provisioning struct {
	s   *Service
	st  ProvisioningStores
	cfg ProvisioningConfig
	// uris are Shoal's own management-server URIs (coap, coaps), set once
	// the listeners are bound.
	uris atomic.Pointer[[2]string]
	// authority is the CA and the server key devices verify with; it
	// changes once when InitCA creates the CA.
	authority atomic.Pointer[authorityState]
	// lifeMu serialises read-modify-write of lifecycle records (bootstrap
	// sessions, registrations and the API update them concurrently).
	lifeMu sync.Mutex
}

var _ bootstrap.Provisioner = (*Provisioning)(nil)

// NewProvisioning validates cfg and returns the provisioning use cases.
func NewProvisioning(s *Service, st ProvisioningStores, cfg ProvisioningConfig) (*Provisioning, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if st.Configs == nil || st.Accounts == nil || st.Factory == nil || st.Sessions == nil || st.Lifecycle == nil {
		return nil, errors.New("dm: provisioning stores missing")
	}
	p := &Provisioning{s: s, st: st, cfg: cfg}
	p.SetServerURIs(cfg.CoAPURI, cfg.CoAPSURI)
	p.authority.Store(&authorityState{ca: cfg.CA, serverKey: cfg.ServerPublicKey})
	return p, nil
}

// SetServerURIs sets Shoal's own management-server URIs (written for
// configured servers that name none) once the listeners are bound.
func (p *Provisioning) SetServerURIs(coapURI, coapsURI string) {
	p.uris.Store(&[2]string{coapURI, coapsURI})
}

func (p *Provisioning) serverURIs() (coapURI, coapsURI string) {
	u := p.uris.Load()
	return u[0], u[1]
}

// Config returns the validated configuration.
func (p *Provisioning) Config() ProvisioningConfig { return p.cfg }

// authorityState is the CA in use and what X.509 devices verify the
// server with.
type authorityState struct {
	ca        CertificateAuthority
	serverKey []byte
}

func (p *Provisioning) ca() CertificateAuthority { return p.authority.Load().ca }

// CACertificate returns Shoal's CA certificate (ErrNotFound without one).
func (p *Provisioning) CACertificate() (*x509.Certificate, error) {
	a := p.ca()
	if a == nil {
		return nil, fmt.Errorf("certificate authority: %w (run shoal ca init)", ErrNotFound)
	}
	return a.Certificate(), nil
}

// InitCA creates Shoal's CA (admin): from then on x509 configurations
// issue certificates it signs and devices are told to verify the server
// with it. The DTLS listeners present a certificate it issued from their
// next start (unless a certificate is configured). ErrConflict when a CA
// exists.
func (p *Provisioning) InitCA(ctx context.Context, who Principal, o ca.InitOptions) (*x509.Certificate, error) {
	if err := needAdmin(who, "creating the certificate authority"); err != nil {
		return nil, err
	}
	if p.cfg.InitCA == nil {
		return nil, fmt.Errorf("%w: this server cannot create its certificate authority (run shoal ca init)", ErrInvalid)
	}
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	if p.ca() != nil {
		return nil, fmt.Errorf("%w: a certificate authority already exists", ErrConflict)
	}
	a, err := p.cfg.InitCA(o)
	if errors.Is(err, ca.ErrExists) {
		return nil, fmt.Errorf("%w: a certificate authority already exists in the data directory (restart shoal serve to use it)", ErrConflict)
	}
	if errors.Is(err, ca.ErrRequest) {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err != nil {
		return nil, err
	}
	key := p.authority.Load().serverKey
	if key == nil {
		key = a.Certificate().Raw
	}
	p.authority.Store(&authorityState{ca: a, serverKey: key})
	p.audit(ctx, who, "ca.initialised", map[string]any{"subject": a.Certificate().Subject.CommonName,
		"fingerprint": ca.Fingerprint(a.Certificate().Raw), "not_after": a.Certificate().NotAfter})
	return a.Certificate(), nil
}

// Run scans for expiring certificates every ExpiryInterval until ctx
// ends (once at start).
func (p *Provisioning) Run(ctx context.Context) error {
	t := time.NewTicker(p.cfg.ExpiryInterval)
	defer t.Stop()
	for {
		if err := p.ScanExpiring(ctx); err != nil && ctx.Err() == nil {
			p.s.log.Error().Err(err).Msg("dm: scanning expiring certificates")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// updateLifecycle changes the lifecycle record of a credential in place;
// ErrNotFound when it has none (unless create makes one).
func (p *Provisioning) updateLifecycle(ctx context.Context, credentialID int64, create func() models.CredentialLifecycle,
	change func(l *models.CredentialLifecycle)) error {
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	l, err := p.st.Lifecycle.Get(ctx, credentialID)
	if errors.Is(err, ErrNotFound) && create != nil {
		l, err = create(), nil
	}
	if err != nil {
		return err
	}
	change(&l)
	return p.st.Lifecycle.Put(ctx, &l)
}
