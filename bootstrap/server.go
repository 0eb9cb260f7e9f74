package bootstrap

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// Server is the bootstrap server. New binds its listeners; Serve runs
// them until its context ends.
type Server struct {
	cfg  Config
	log  zerolog.Logger
	prov Provisioner
	udp  *coap.Endpoint
	dtls *coap.Endpoint

	// ctx is Serve's context: handshake callbacks and sessions run under it.
	ctx     context.Context
	started chan struct{}

	mu       sync.Mutex
	sessions map[string]*session // by endpoint
	closing  bool
	wg       sync.WaitGroup
}

// New validates cfg and binds the listeners.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, prov: cfg.Provisioner, ctx: context.Background(),
		started: make(chan struct{}), sessions: map[string]*session{}}
	cc := cfg.CoAP
	cc.Handler = coap.HandlerFunc(s.serveCoAP)
	cc.OnMalformed = func(p *coap.Peer, err error) {
		s.security(SecurityEvent{Kind: "malformed", Address: p.RemoteAddr(), Identity: p.Identity().String(), Reason: err.Error()})
	}
	cc.Logger = cfg.Logger
	var err error
	if cfg.CoAPAddr != "" {
		if s.udp, err = coap.ListenUDP(cfg.Network, cfg.CoAPAddr, cc); err != nil {
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
	}
	if cfg.CoAPSAddr != "" {
		dc := coap.DTLSConfig{
			PSK: func(identity []byte) ([]byte, error) {
				return s.prov.FactoryPSK(s.ctx, string(identity))
			},
			Certificate:         cfg.Certificate,
			DisableConnectionID: cfg.DisableConnectionID,
			HandshakeTimeout:    cfg.HandshakeTimeout,
			OnHandshakeFailed: func(addr string, err error) {
				s.security(SecurityEvent{Kind: "handshake-failed", Address: addr, Reason: err.Error()})
			},
		}
		if cfg.Certificate != nil {
			dc.VerifyClient = func(chain []*x509.Certificate) error {
				return s.prov.FactoryCertificate(s.ctx, chain)
			}
		}
		if s.dtls, err = coap.ListenDTLS(cfg.Network, cfg.CoAPSAddr, cc, dc); err != nil {
			s.closeUnserved()
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
	}
	return s, nil
}

// closeUnserved releases bound listeners when New fails or Serve never runs.
func (s *Server) closeUnserved() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ep := range []*coap.Endpoint{s.udp, s.dtls} {
		if ep != nil {
			_ = ep.Serve(ctx)
		}
	}
}

// Close releases the listeners of a server whose Serve was never called.
func (s *Server) Close() error {
	select {
	case <-s.started:
		return nil
	default:
	}
	s.closeUnserved()
	return nil
}

// UDPAddr and DTLSAddr return the bound addresses (nil when disabled).
func (s *Server) UDPAddr() net.Addr {
	if s.udp == nil {
		return nil
	}
	return s.udp.Addr()
}

// DTLSAddr returns the bound CoAPS address (nil when disabled).
func (s *Server) DTLSAddr() net.Addr {
	if s.dtls == nil {
		return nil
	}
	return s.dtls.Addr()
}

// Ready is closed once Serve runs.
func (s *Server) Ready() <-chan struct{} { return s.started }

// Serve serves until ctx ends, then cancels the sessions in progress
// (each reported to the Provisioner as failed) and returns once every
// goroutine has finished. It can be called once.
func (s *Server) Serve(ctx context.Context) error {
	select {
	case <-s.started:
		return errors.New("bootstrap: Serve called twice")
	default:
	}
	s.ctx = ctx
	close(s.started)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, ep := range []*coap.Endpoint{s.udp, s.dtls} {
		if ep != nil {
			wg.Go(func() { errs <- ep.Serve(ctx) })
		}
	}
	<-ctx.Done()
	s.mu.Lock()
	s.closing = true
	for _, ss := range s.sessions {
		ss.cancel(ErrClosed)
	}
	s.mu.Unlock()
	s.wg.Wait()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
	}
	return nil
}

// Sessions returns the endpoints with a session in progress.
func (s *Server) Sessions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.sessions))
	for ep := range s.sessions {
		out = append(out, ep)
	}
	return out
}

func (s *Server) security(ev SecurityEvent) {
	if ev.Time.IsZero() {
		ev.Time = s.cfg.Now()
	}
	s.log.Debug().Str("kind", ev.Kind).Str("endpoint", ev.Endpoint).Str("addr", ev.Address).Str("reason", ev.Reason).
		Msg("bootstrap: security event")
	s.prov.Security(ev)
}

// serveCoAP answers Bootstrap-Request (POST /bs) and nothing else.
func (s *Server) serveCoAP(_ context.Context, p *coap.Peer, m *coap.Message) *coap.Message {
	segs := m.Path()
	if len(segs) != 1 || segs[0] != "bs" {
		return coap.ErrorResponse(lwm2m.CodeNotFound, "the bootstrap server serves POST /bs only")
	}
	if m.Code != coap.POST {
		return coap.ErrorResponse(lwm2m.CodeMethodNotAllowed, "Bootstrap-Request is a POST")
	}
	ep, pct, err := parseQuery(m.Query())
	if err != nil {
		return coap.ErrorResponse(lwm2m.CodeBadRequest, "%v", err)
	}
	req := Request{Endpoint: ep, PreferredFormat: pct, Identity: p.Identity(), Address: p.RemoteAddr(), Received: s.cfg.Now()}
	if err := s.prov.Authorize(s.ctx, req); err != nil {
		var st *lwm2m.Status
		if errors.As(err, &st) {
			if st.Code == lwm2m.CodeForbidden {
				s.security(SecurityEvent{Kind: "bootstrap-refused", Endpoint: ep, Address: req.Address,
					Identity: req.Identity.String(), Reason: st.Reason})
			}
			return coap.ErrorResponse(st.Code, "%s", st.Reason)
		}
		s.log.Error().Err(err).Str("endpoint", ep).Msg("bootstrap: authorizing a request failed")
		return coap.ErrorResponse(lwm2m.CodeServiceUnavailable, "bootstrap is unavailable, try again later")
	}
	if err := s.start(p, req); err != nil {
		return coap.ErrorResponse(lwm2m.CodeServiceUnavailable, "%v", err)
	}
	return coap.NewResponse(lwm2m.CodeChanged, nil)
}
