package server

import (
	"context"
	"fmt"

	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// Forget ends an endpoint's registration at once, on the server's
// initiative (the device was deleted or disabled): the registration and
// its observations are dropped, requests held for it fail with
// ErrNotRegistered, its DTLS sessions are closed, and the removal is
// written to the stores before Forget returns (ctx bounds that write; a
// failed write is retried with the next batch and returned). The Listener
// receives Deregistered, as if the device had de-registered. From then on
// the device's Update, De-register, Send and notifications are answered
// as from an unknown device (4.04, or RST for notifications); it can only
// Register again, which the CredentialStore decides on.
//
// Forget returns an error wrapping ErrNotRegistered when the endpoint had
// no registration (its sessions are closed and its stored state deleted
// all the same).
func (s *Server) Forget(ctx context.Context, endpoint string) error {
	var (
		reg     Registration
		removed bool
	)
	d := s.device(endpoint)
	if d != nil {
		reg, removed = s.remove(d)
		d.mu.Lock()
		p := d.peer
		d.peer = nil
		d.mu.Unlock()
		if p != nil && !p.Secure() {
			// Plain UDP: the address stays reachable for others, but no
			// longer speaks for the endpoint.
			if ep, ok := endpointOf(p); ok && ep == endpoint {
				p.SetValue(nil)
			}
		}
	}
	s.closeSessions(endpoint)
	err := s.per.forget(ctx, endpoint)
	if removed {
		s.log.Debug().Str("endpoint", endpoint).Str("id", reg.ID).Msg("server: registration forgotten")
		s.emitEnd(d, func(l Listener) { l.Deregistered(reg) })
	}
	if err != nil {
		return fmt.Errorf("forget %s: %w", endpoint, err)
	}
	if !removed {
		return fmt.Errorf("forget %s: %w", endpoint, ErrNotRegistered)
	}
	return nil
}

// closeSessions closes every live DTLS session speaking for endpoint.
func (s *Server) closeSessions(endpoint string) {
	if s.dtls == nil {
		return
	}
	s.dtls.Sessions(func(sp *coap.Peer) {
		if ep, ok := endpointOf(sp); ok && ep == endpoint {
			_ = sp.Close()
		}
	})
}
