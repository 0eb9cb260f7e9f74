package dm

import (
	"context"
	"errors"
	"sync"

	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// serverRegistrations is the server.RegistrationStore over dm's, so a
// restart keeps registrations.
type serverRegistrations struct {
	s *Service
	// ids remembers the registration ids loaded last, for the
	// observations loaded right after.
	mu  sync.Mutex
	ids map[string]string
	// w writes saves behind in batches.
	w *regWriter
}

// serverObservations is the server.ObservationStore over dm's.
type serverObservations struct {
	s    *Service
	regs *serverRegistrations
}

var (
	_ server.RegistrationStore = (*serverRegistrations)(nil)
	_ server.ObservationStore  = serverObservations{}
)

// ServerRegistrations returns the registration store to give lwm2m/server.
func (s *Service) ServerRegistrations() server.RegistrationStore { return s.rt.regs }

// ServerObservations returns the observation store to give lwm2m/server.
func (s *Service) ServerObservations() server.ObservationStore {
	return serverObservations{s: s, regs: s.rt.regs}
}

// LoadRegistrations implements server.RegistrationStore.
func (r *serverRegistrations) LoadRegistrations(ctx context.Context) ([]server.Registration, error) {
	all, err := r.s.st.Registrations.All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]server.Registration, 0, len(all))
	ids := make(map[string]string, len(all))
	for _, m := range all {
		sr := toServerRegistration(m)
		if sr.Transport == string(models.TransportDTLS) && looksLikeFingerprint(sr.Identity) {
			// A 64-hex-digit identity is a certificate fingerprint unless a
			// PSK credential has exactly that identity.
			if c, err := r.s.st.Credentials.ByPSKIdentity(ctx, sr.Identity); err == nil && c.Mode == models.ModePSK {
				sr.Security = server.ModePSK
			}
		}
		out = append(out, sr)
		ids[sr.Endpoint] = sr.ID
	}
	r.mu.Lock()
	r.ids = ids
	r.mu.Unlock()
	return out, nil
}

// SaveRegistration implements server.RegistrationStore: the save is
// queued for the batching registration writer (regWriter). Writes here and
// below run to completion even when the server's context ends mid-flush
// (the server drops a batch whose write failed).
func (r *serverRegistrations) SaveRegistration(ctx context.Context, reg server.Registration) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	return r.w.save(ctx, toModelRegistration(reg))
}

// DeleteRegistration implements server.RegistrationStore.
func (r *serverRegistrations) DeleteRegistration(ctx context.Context, endpoint string) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	return r.w.remove(endpoint, func() error {
		err := r.s.st.Registrations.Delete(ctx, endpoint, "")
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
}

// LoadObservations implements server.ObservationStore. The stored
// observations carry no registration id; they belong to the endpoint's
// current registration (a new registration deletes the old ones).
func (o serverObservations) LoadObservations(ctx context.Context) ([]server.Observation, error) {
	all, err := o.s.st.Observations.All(ctx)
	if err != nil {
		return nil, err
	}
	o.regs.mu.Lock()
	ids := o.regs.ids
	o.regs.mu.Unlock()
	out := make([]server.Observation, 0, len(all))
	for _, m := range all {
		id, ok := ids[m.Endpoint]
		if !ok {
			reg, err := o.s.st.Registrations.Get(ctx, m.Endpoint)
			if err != nil {
				continue
			}
			id = reg.RegistrationID
		}
		out = append(out, server.Observation{Endpoint: m.Endpoint, RegistrationID: id, Token: m.Token, Paths: m.Paths,
			Composite: m.Composite, Format: m.Format, Attributes: m.Attributes, CreatedAt: m.CreatedAt})
	}
	return out, nil
}

// SaveObservation implements server.ObservationStore.
func (o serverObservations) SaveObservation(ctx context.Context, ob server.Observation) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	return o.s.st.Observations.Put(ctx, models.Observation{Endpoint: ob.Endpoint, Token: ob.Token, Paths: ob.Paths,
		Composite: ob.Composite, Format: ob.Format, Attributes: ob.Attributes, CreatedAt: ob.CreatedAt})
}

// DeleteObservation implements server.ObservationStore.
func (o serverObservations) DeleteObservation(ctx context.Context, endpoint string, token []byte) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	err := o.s.st.Observations.Delete(ctx, endpoint, token)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// DeleteObservations implements server.ObservationStore.
func (o serverObservations) DeleteObservations(ctx context.Context, endpoint string) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	_, err := o.s.st.Observations.DeleteEndpoint(ctx, endpoint)
	return err
}

// toModelRegistration converts the server's registration to the stored
// form (content formats are kept in the object links, the security mode
// is recovered from the identity).
func toModelRegistration(r server.Registration) models.Registration {
	return models.Registration{Endpoint: r.Endpoint, RegistrationID: r.ID, Address: r.Address, Lifetime: r.Lifetime,
		Binding: r.Binding, LwM2MVersion: r.Version, SMS: r.SMS, QueueMode: r.QueueMode, RootPath: r.RootPath,
		ObjectLinks: r.Objects, RegisteredAt: r.RegisteredAt, LastSeen: r.LastSeen, ExpiresAt: r.ExpiresAt,
		Transport: models.Transport(r.Transport), Identity: r.Identity}
}

// toServerRegistration converts a stored registration back.
func toServerRegistration(m models.Registration) server.Registration {
	r := server.Registration{Endpoint: m.Endpoint, ID: m.RegistrationID, Lifetime: m.Lifetime, Version: m.LwM2MVersion,
		Binding: m.Binding, QueueMode: m.QueueMode, SMS: m.SMS, RootPath: m.RootPath, Objects: m.ObjectLinks,
		Address: m.Address, Transport: string(m.Transport), Identity: m.Identity, RegisteredAt: m.RegisteredAt,
		UpdatedAt: m.LastSeen, LastSeen: m.LastSeen, ExpiresAt: m.ExpiresAt, Security: server.ModeNoSec}
	if links, err := linkformat.ParseRegistration([]byte(m.ObjectLinks)); err == nil {
		r.ContentFormats = links.ContentFormats
	}
	if m.Transport == models.TransportDTLS {
		r.Security = server.ModePSK
		if looksLikeFingerprint(m.Identity) {
			r.Security = server.ModeX509
		}
	}
	return r
}

// looksLikeFingerprint reports whether s is 64 lower-case hex digits.
func looksLikeFingerprint(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
