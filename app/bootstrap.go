package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/shoal-iot/shoal/bootstrap"
	"github.com/shoal-iot/shoal/bootstrap/ca"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/storage"
)

// serverCertValidity is the validity of the DTLS certificate Shoal's CA
// issues its own listeners at each start.
const serverCertValidity = 365 * 24 * time.Hour

// SecretKey returns the data directory's secret key (created when
// absent): it seals credential secrets and Shoal's CA key.
func SecretKey(dataDir string) ([]byte, error) {
	return storage.LoadOrCreateKey(filepath.Join(dataDir, storage.KeyFileName))
}

// loadCA loads Shoal's CA from the data directory; nil when it was never
// initialised.
func (a *App) loadCA() (*ca.Authority, error) {
	dir := ca.Dir(a.cfg.DataDir)
	if !ca.Exists(dir) {
		return nil, nil
	}
	key, err := SecretKey(a.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	return ca.Load(dir, key)
}

// publicHost is the host devices are told to reach the LwM2M server at.
func (a *App) publicHost() string {
	if a.cfg.PublicHost != "" {
		return a.cfg.PublicHost
	}
	for _, addr := range []string{a.cfg.CoAPSAddr, a.cfg.CoAPAddr} {
		if h, _, err := net.SplitHostPort(addr); err == nil && h != "" {
			if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
				return h
			}
		}
	}
	return "localhost"
}

// newProvisioning loads the CA, picks the DTLS certificate (the
// configured one, else one Shoal's CA issues) and builds dm's
// provisioning. It returns the certificate for the listeners (nil: PSK
// only).
func (a *App) newProvisioning(configured *tls.Certificate) (*tls.Certificate, error) {
	authority, err := a.loadCA()
	if err != nil {
		return nil, fmt.Errorf("certificate authority: %w", err)
	}
	pcfg := dm.ProvisioningConfig{ExpiryWarning: a.cfg.CertExpiryWarning,
		InitCA: func(o ca.InitOptions) (dm.CertificateAuthority, error) {
			created, err := InitCA(a.cfg.DataDir, o)
			if err != nil {
				return nil, err
			}
			return created, nil
		}}
	cert := configured
	switch {
	case configured != nil:
		// Devices verify the server against the root-most certificate of
		// the configured chain.
		pcfg.ServerPublicKey = configured.Certificate[len(configured.Certificate)-1]
	case authority != nil:
		hosts := []string{a.publicHost()}
		for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
			if h != hosts[0] {
				hosts = append(hosts, h)
			}
		}
		c, err := authority.IssueServer(hosts, serverCertValidity, time.Now())
		if err != nil {
			return nil, fmt.Errorf("issuing the DTLS certificate: %w", err)
		}
		cert, pcfg.ServerPublicKey = &c, authority.Certificate().Raw
	}
	if authority != nil {
		pcfg.CA = authority
	}
	a.prov, err = dm.NewProvisioning(a.svc, a.store.ProvisioningStores(), pcfg)
	return cert, err
}

// newBootstrap tells provisioning the bound management URIs and binds the
// bootstrap server (unless both its addresses are empty).
func (a *App) newBootstrap(cert *tls.Certificate) error {
	host := a.publicHost()
	uri := func(scheme string, addr net.Addr) string {
		if addr == nil {
			return ""
		}
		_, port, _ := net.SplitHostPort(addr.String())
		return scheme + "://" + net.JoinHostPort(host, port)
	}
	a.prov.SetServerURIs(uri("coap", a.srv.UDPAddr()), uri("coaps", a.srv.DTLSAddr()))
	if a.cfg.BootstrapCoAPAddr == "" && a.cfg.BootstrapCoAPSAddr == "" {
		return nil
	}
	bs, err := bootstrap.New(bootstrap.Config{CoAPAddr: a.cfg.BootstrapCoAPAddr, CoAPSAddr: a.cfg.BootstrapCoAPSAddr,
		Certificate: cert, Provisioner: a.prov, Models: a.svc.Models(), RequestTimeout: a.cfg.RequestTimeout * 3,
		Logger: a.log.With().Str("component", "bootstrap").Logger()})
	if err != nil {
		return err
	}
	a.bs = bs
	return nil
}

// Provisioning returns bootstrap provisioning and the credential
// lifecycle.
func (a *App) Provisioning() *dm.Provisioning { return a.prov }

// BootstrapCoAPAddr and BootstrapCoAPSAddr return the bootstrap server's
// bound addresses (nil when disabled).
func (a *App) BootstrapCoAPAddr() net.Addr {
	if a.bs == nil {
		return nil
	}
	return a.bs.UDPAddr()
}

// BootstrapCoAPSAddr returns the bootstrap server's bound DTLS address.
func (a *App) BootstrapCoAPSAddr() net.Addr {
	if a.bs == nil {
		return nil
	}
	return a.bs.DTLSAddr()
}

// errNoCA is returned by InitCA's callers' helpers when asked for a CA
// that does not exist.
var errNoCA = errors.New("no certificate authority: run shoal ca init")

// InitCA creates Shoal's CA in the data directory (`shoal ca init`).
func InitCA(dataDir string, o ca.InitOptions) (*ca.Authority, error) {
	key, err := SecretKey(dataDir)
	if err != nil {
		return nil, err
	}
	return ca.Init(ca.Dir(dataDir), key, o)
}

// LoadCA loads Shoal's CA from the data directory (`shoal ca cert`).
func LoadCA(dataDir string) (*ca.Authority, error) {
	dir := ca.Dir(dataDir)
	if !ca.Exists(dir) {
		return nil, fmt.Errorf("%w (%s)", errNoCA, dir)
	}
	key, err := SecretKey(dataDir)
	if err != nil {
		return nil, err
	}
	return ca.Load(dir, key)
}
