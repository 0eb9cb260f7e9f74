package server

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// MemoryCredentials is an in-memory CredentialStore for tests, demos and
// until durable storage is wired in.
type MemoryCredentials struct {
	mu    sync.RWMutex
	psk   map[string]PSKCredential
	pins  map[string]string
	modes map[string]SecurityMode
}

// NewMemoryCredentials returns an empty store.
func NewMemoryCredentials() *MemoryCredentials {
	return &MemoryCredentials{psk: map[string]PSKCredential{}, pins: map[string]string{}, modes: map[string]SecurityMode{}}
}

// AddPSK provisions endpoint with a PSK identity and key.
func (m *MemoryCredentials) AddPSK(endpoint, identity string, key []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.psk[identity] = PSKCredential{Key: append([]byte(nil), key...), Endpoint: endpoint}
	m.modes[endpoint] = ModePSK
}

// AddCertificate provisions endpoint for X.509; a non-empty fingerprint
// (hex SHA-256 of the certificate DER) pins that certificate to it,
// otherwise any certificate from the configured CA with CN = endpoint will
// do.
func (m *MemoryCredentials) AddCertificate(endpoint, fingerprint string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if fingerprint != "" {
		m.pins[fingerprint] = endpoint
	}
	m.modes[endpoint] = ModeX509
}

// AddNoSec allows endpoint over plain UDP.
func (m *MemoryCredentials) AddNoSec(endpoint string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.modes[endpoint] = ModeNoSec
}

// Revoke removes every credential of endpoint.
func (m *MemoryCredentials) Revoke(endpoint string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, c := range m.psk {
		if c.Endpoint == endpoint {
			delete(m.psk, id)
		}
	}
	for fp, ep := range m.pins {
		if ep == endpoint {
			delete(m.pins, fp)
		}
	}
	delete(m.modes, endpoint)
}

// PSK implements CredentialStore.
func (m *MemoryCredentials) PSK(_ context.Context, identity string) (PSKCredential, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.psk[identity]
	if !ok {
		return PSKCredential{}, fmt.Errorf("PSK identity %q: %w", identity, ErrUnknownCredential)
	}
	return c, nil
}

// PinnedCertificate implements CredentialStore.
func (m *MemoryCredentials) PinnedCertificate(_ context.Context, fingerprint string) (string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ep, ok := m.pins[fingerprint]
	if !ok {
		return "", fmt.Errorf("certificate %s: %w", fingerprint, ErrUnknownCredential)
	}
	return ep, nil
}

// SecurityMode implements CredentialStore.
func (m *MemoryCredentials) SecurityMode(_ context.Context, endpoint string) (SecurityMode, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.modes[endpoint], nil
}

// MemoryRegistrations is the default RegistrationStore: it keeps what was
// saved in memory (so a Server restarted in the same process, as tests
// do, finds its devices again).
type MemoryRegistrations struct {
	mu sync.Mutex
	m  map[string]Registration
}

// NewMemoryRegistrations returns an empty store.
func NewMemoryRegistrations() *MemoryRegistrations {
	return &MemoryRegistrations{m: map[string]Registration{}}
}

// LoadRegistrations implements RegistrationStore.
func (s *MemoryRegistrations) LoadRegistrations(context.Context) ([]Registration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Registration, 0, len(s.m))
	for _, r := range s.m {
		out = append(out, r)
	}
	return out, nil
}

// SaveRegistration implements RegistrationStore.
func (s *MemoryRegistrations) SaveRegistration(_ context.Context, r Registration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.ContentFormats = slices.Clone(r.ContentFormats)
	s.m[r.Endpoint] = r
	return nil
}

// DeleteRegistration implements RegistrationStore.
func (s *MemoryRegistrations) DeleteRegistration(_ context.Context, endpoint string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, endpoint)
	return nil
}

// MemoryObservations is the default ObservationStore.
type MemoryObservations struct {
	mu sync.Mutex
	m  map[string][]Observation
}

// NewMemoryObservations returns an empty store.
func NewMemoryObservations() *MemoryObservations {
	return &MemoryObservations{m: map[string][]Observation{}}
}

// LoadObservations implements ObservationStore.
func (s *MemoryObservations) LoadObservations(context.Context) ([]Observation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Observation
	for _, os := range s.m {
		out = append(out, os...)
	}
	return out, nil
}

// SaveObservation implements ObservationStore.
func (s *MemoryObservations) SaveObservation(_ context.Context, o Observation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := slices.DeleteFunc(s.m[o.Endpoint], func(x Observation) bool { return string(x.Token) == string(o.Token) })
	o.Token = slices.Clone(o.Token)
	o.Paths = slices.Clone(o.Paths)
	s.m[o.Endpoint] = append(list, o)
	return nil
}

// DeleteObservation implements ObservationStore.
func (s *MemoryObservations) DeleteObservation(_ context.Context, endpoint string, token []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[endpoint] = slices.DeleteFunc(s.m[endpoint], func(x Observation) bool { return string(x.Token) == string(token) })
	if len(s.m[endpoint]) == 0 {
		delete(s.m, endpoint)
	}
	return nil
}

// DeleteObservations implements ObservationStore.
func (s *MemoryObservations) DeleteObservations(_ context.Context, endpoint string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, endpoint)
	return nil
}
