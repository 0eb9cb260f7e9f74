package server

import (
	"context"
	"errors"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// boundEndpoint returns the endpoint a secure peer's credentials belong
// to: the endpoint of its PSK identity, of its pinned certificate, or the
// CN of a CA-verified certificate.
func (s *Server) boundEndpoint(ctx context.Context, id coap.Identity) (string, error) {
	switch id.Kind {
	case coap.IdentityPSK:
		c, err := s.cfg.Credentials.PSK(ctx, id.PSKIdentity)
		if err != nil {
			return "", err
		}
		return c.Endpoint, nil
	case coap.IdentityX509:
		if ep, err := s.cfg.Credentials.PinnedCertificate(ctx, id.Fingerprint); err == nil {
			return ep, nil
		} else if !errors.Is(err, ErrUnknownCredential) {
			return "", err
		}
		return id.CommonName, nil
	}
	return "", errors.New("no identity")
}

// admit decides whether peer p may register as endpoint ep. It returns
// the security mode and identity name to record, or a 4.03 *lwm2m.Status
// (after emitting a security event).
func (s *Server) admit(ctx context.Context, p *coap.Peer, ep string) (SecurityMode, string, error) {
	id := p.Identity()
	refuse := func(kind, format string, args ...any) (SecurityMode, string, error) {
		err := lwm2m.Errorf(lwm2m.CodeForbidden, format, args...)
		s.security(SecurityEvent{Kind: kind, Endpoint: ep, Address: p.RemoteAddr(), Identity: id.String(), Reason: err.(*lwm2m.Status).Reason})
		return 0, "", err
	}
	switch id.Kind {
	case coap.IdentityNone:
		mode, err := s.cfg.Credentials.SecurityMode(ctx, ep)
		if err != nil && !errors.Is(err, ErrUnknownCredential) {
			return 0, "", lwm2m.Errorf(lwm2m.CodeServiceUnavailable, "credential lookup failed")
		}
		switch mode {
		case ModeNoSec:
			return ModeNoSec, "", nil
		case ModeUnknown:
			if s.cfg.AllowUnknownNoSec {
				return ModeNoSec, "", nil
			}
			return refuse("nosec-refused", "endpoint %q is not provisioned for plain UDP", ep)
		}
		return refuse("nosec-refused", "endpoint %q must connect over DTLS (%s)", ep, mode)
	case coap.IdentityPSK:
		bound, err := s.boundEndpoint(ctx, id)
		if err != nil {
			return refuse("identity-mismatch", "PSK identity %q is no longer valid", id.PSKIdentity)
		}
		if bound != ep {
			return refuse("identity-mismatch", "PSK identity %q belongs to another endpoint, not %q", id.PSKIdentity, ep)
		}
		return ModePSK, id.PSKIdentity, nil
	case coap.IdentityX509:
		bound, err := s.boundEndpoint(ctx, id)
		if err != nil {
			return refuse("identity-mismatch", "certificate %s is no longer valid", id.Fingerprint)
		}
		if bound != ep {
			return refuse("identity-mismatch", "certificate %q (%s) is not bound to endpoint %q", id.CommonName, id.Fingerprint, ep)
		}
		return ModeX509, id.Fingerprint, nil
	}
	return refuse("identity-mismatch", "unknown identity kind")
}

// sameDevice reports whether an uplink from p may act for d: the same DTLS
// identity (possibly a new session after a new handshake), or plain UDP for
// a plain-UDP registration.
func sameDevice(d *device, p *coap.Peer) bool {
	return d.ident.Equal(p.Identity())
}
