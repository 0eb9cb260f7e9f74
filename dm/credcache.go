package dm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// credCache is the server.CredentialStore over dm's CredentialStore. PSK
// lookups run inside DTLS handshakes, so answers are cached (for at most
// CacheTTL); dm drops the entries of a device whenever its credentials
// change. Unknown identities are not cached: a flood of made-up
// identities costs queries, never memory.
type credCache struct {
	s    *Service
	mu   sync.Mutex
	psk  map[string]cached[server.PSKCredential]
	pin  map[string]cached[string]
	mode map[string]cached[server.SecurityMode]
	// absent holds endpoints SecurityMode found no device for.
	absent map[string]cached[struct{}]
}

type cached[T any] struct {
	v  T
	at time.Time
}

var _ server.CredentialStore = (*credCache)(nil)

func newCredCache(s *Service) *credCache {
	return &credCache{s: s, psk: map[string]cached[server.PSKCredential]{}, pin: map[string]cached[string]{},
		mode: map[string]cached[server.SecurityMode]{}, absent: map[string]cached[struct{}]{}}
}

// ServerCredentials returns the credential store to give lwm2m/server.
func (s *Service) ServerCredentials() server.CredentialStore { return s.rt.creds }

func lookup[T any](c *credCache, m map[string]cached[T], k string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := m[k]
	if !ok || c.s.now().Sub(e.at) >= c.s.cfg.CacheTTL {
		var zero T
		return zero, false
	}
	return e.v, true
}

func store[T any](c *credCache, m map[string]cached[T], k string, v T) {
	c.mu.Lock()
	m[k] = cached[T]{v: v, at: c.s.now()}
	c.mu.Unlock()
}

// usable reports whether a credential may be used to connect now.
func (c *credCache) usable(cr models.Credential) bool {
	if cr.State == models.CredentialRevoked {
		return false
	}
	return cr.NotAfter.IsZero() || c.s.now().Before(cr.NotAfter)
}

func unknown(what, v string) error {
	return fmt.Errorf("%s %q: %w", what, v, server.ErrUnknownCredential)
}

// PSK implements server.CredentialStore.
func (c *credCache) PSK(ctx context.Context, identity string) (server.PSKCredential, error) {
	if v, ok := lookup(c, c.psk, identity); ok {
		return v, nil
	}
	cr, err := c.s.st.Credentials.ByPSKIdentity(ctx, identity)
	if errors.Is(err, ErrNotFound) || err == nil && (cr.Mode != models.ModePSK || !c.usable(cr)) {
		return server.PSKCredential{}, unknown("PSK identity", identity)
	}
	if err != nil {
		return server.PSKCredential{}, err
	}
	d, err := c.s.deviceByID(ctx, cr.DeviceID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return server.PSKCredential{}, unknown("PSK identity", identity)
		}
		return server.PSKCredential{}, err
	}
	v := server.PSKCredential{Key: cr.PSKKey, Endpoint: d.Endpoint}
	store(c, c.psk, identity, v)
	return v, nil
}

// PinnedCertificate implements server.CredentialStore.
func (c *credCache) PinnedCertificate(ctx context.Context, fingerprint string) (string, error) {
	if v, ok := lookup(c, c.pin, fingerprint); ok {
		return v, nil
	}
	cr, err := c.s.st.Credentials.ByFingerprint(ctx, fingerprint)
	if errors.Is(err, ErrNotFound) || err == nil && (cr.Mode != models.ModeX509 || !c.usable(cr)) {
		return "", unknown("certificate", fingerprint)
	}
	if err != nil {
		return "", err
	}
	d, err := c.s.deviceByID(ctx, cr.DeviceID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", unknown("certificate", fingerprint)
		}
		return "", err
	}
	store(c, c.pin, fingerprint, d.Endpoint)
	return d.Endpoint, nil
}

// SecurityMode implements server.CredentialStore: the mode of the
// endpoint's usable credential (NoSec wins when it has one), ModeUnknown
// for unknown endpoints and devices without credentials (not cached, like
// unknown identities).
func (c *credCache) SecurityMode(ctx context.Context, endpoint string) (server.SecurityMode, error) {
	if v, ok := lookup(c, c.mode, endpoint); ok {
		return v, nil
	}
	mode := server.ModeUnknown
	d, err := c.s.device(ctx, endpoint)
	switch {
	case errors.Is(err, ErrNotFound):
		store(c, c.absent, endpoint, struct{}{})
	case err != nil:
		return 0, err
	default:
		crs, err := c.s.st.Credentials.ByDevice(ctx, d.ID)
		if err != nil {
			return 0, err
		}
		for _, cr := range crs {
			if !c.usable(cr) {
				continue
			}
			switch cr.Mode {
			case models.ModeNoSec:
				mode = server.ModeNoSec
			case models.ModePSK:
				if mode != server.ModeNoSec {
					mode = server.ModePSK
				}
			case models.ModeX509:
				if mode == server.ModeUnknown {
					mode = server.ModeX509
				}
			}
		}
	}
	if mode == server.ModeUnknown {
		return mode, unknown("endpoint", endpoint)
	}
	store(c, c.mode, endpoint, mode)
	return mode, nil
}

// forget drops what is cached about an endpoint and its credentials.
func (c *credCache) forget(endpoint string, crs ...models.Credential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.mode, endpoint)
	delete(c.absent, endpoint)
	for _, cr := range crs {
		if cr.PSKIdentity != "" {
			delete(c.psk, cr.PSKIdentity)
		}
		if cr.Fingerprint != "" {
			delete(c.pin, cr.Fingerprint)
		}
	}
}

// isAbsent reports whether SecurityMode found no device for endpoint
// within CacheTTL and dm created none since: a registration of it can go
// straight to adding the device (a wrong guess costs a failed insert, not
// a wrong answer).
func (c *credCache) isAbsent(endpoint string) bool {
	_, ok := lookup(c, c.absent, endpoint)
	return ok
}
