package server

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
)

// Server is the LwM2M server: it listens on UDP and DTLS, keeps
// registrations, sends downlink requests, matches notifications and
// receives Send. Create it with New, run it with Serve.
type Server struct {
	cfg  Config
	log  zerolog.Logger
	udp  *coap.Endpoint
	dtls *coap.Endpoint
	ev   *dispatcher
	per  *persister
	// listening is false when there is no listener: the hottest events
	// are then not even built.
	listening bool

	mu     sync.RWMutex
	byEP   map[string]*device
	byID   map[string]*device
	byAddr map[string]*device // plain-UDP devices by address

	// ctx is the server's lifetime (Serve's context); set by Serve.
	ctx     context.Context
	started chan struct{}
	// bg runs queue drains; closing stops new ones at shutdown.
	bgMu    sync.Mutex
	closing bool
	bg      sync.WaitGroup
}

// New validates cfg and binds the listeners (so their addresses are known
// before Serve runs).
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger,
		byEP: map[string]*device{}, byID: map[string]*device{}, byAddr: map[string]*device{},
		ctx: context.Background(), started: make(chan struct{}),
	}
	s.ev = newDispatcher(cfg.Listener, cfg.EventQueue)
	_, nop := cfg.Listener.(NopListener)
	s.listening = !nop
	s.per = newPersister(cfg.Registrations, cfg.Observations, cfg.Logger)
	cc := cfg.CoAP
	cc.Handler = coap.HandlerFunc(s.serveCoAP)
	cc.Unmatched = s.unmatched
	cc.OnMalformed = s.onMalformed
	cc.Logger = cfg.Logger
	var err error
	if cfg.CoAPAddr != "" {
		if s.udp, err = coap.ListenUDP(cfg.Network, cfg.CoAPAddr, cc); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	if cfg.CoAPSAddr != "" {
		dc := coap.DTLSConfig{
			PSK:                 s.pskKey,
			Certificate:         cfg.Certificate,
			DisableConnectionID: cfg.DisableConnectionID,
			HandshakeTimeout:    cfg.HandshakeTimeout,
			OnHandshakeFailed:   s.onHandshakeFailed,
		}
		if cfg.Certificate != nil {
			dc.VerifyClient = s.verifyClient
		}
		if s.dtls, err = coap.ListenDTLS(cfg.Network, cfg.CoAPSAddr, cc, dc); err != nil {
			if s.udp != nil {
				s.closeUnserved()
			}
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	return s, nil
}

// closeUnserved releases a bound UDP listener when New fails later.
func (s *Server) closeUnserved() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.udp.Serve(ctx)
}

// UDPAddr returns the bound CoAP address (nil when disabled).
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

// Serve loads the stored registrations and observations, then serves until
// ctx ends. It returns once every goroutine has finished and pending
// writes are flushed. It can be called once.
func (s *Server) Serve(ctx context.Context) error {
	select {
	case <-s.started:
		return errors.New("server: Serve called twice")
	default:
	}
	s.ctx = ctx
	if err := s.restore(ctx); err != nil {
		return err
	}
	close(s.started)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, ep := range []*coap.Endpoint{s.udp, s.dtls} {
		if ep != nil {
			wg.Go(func() { errs <- ep.Serve(ctx) })
		}
	}
	// The event dispatcher outlives everything that emits: a Register
	// answered while the server stops must still reach the listener (dm
	// creates the device row from it), so it drains only once the
	// listeners, the janitor and background work have finished.
	evCtx, stopEvents := context.WithCancel(context.WithoutCancel(ctx))
	defer stopEvents()
	evDone := make(chan struct{})
	go func() { defer close(evDone); s.ev.run(evCtx) }()
	wg.Go(func() { s.per.run(ctx, s.cfg.PersistInterval, s.cfg.PersistTimeout) })
	wg.Go(func() { s.janitor(ctx) })
	<-ctx.Done()
	wg.Wait()
	s.bgMu.Lock()
	s.closing = true
	s.bgMu.Unlock()
	s.bg.Wait()
	s.mu.RLock()
	eps := make([]string, 0, len(s.byEP))
	for ep := range s.byEP {
		eps = append(eps, ep)
	}
	s.mu.RUnlock()
	for _, ep := range eps {
		s.failHeld(ep, ErrClosed)
	}
	stopEvents()
	<-evDone
	// Nothing queues writes any more: write the last batch.
	s.per.final(ctx, s.cfg.PersistTimeout)
	close(errs)
	for err := range errs {
		if err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	return nil
}

// restore loads registrations and observations from the stores. UDP
// devices are addressable at once; DTLS devices once they connect again.
func (s *Server) restore(ctx context.Context) error {
	regs, err := s.cfg.Registrations.LoadRegistrations(ctx)
	if err != nil {
		return fmt.Errorf("server: loading registrations: %w", err)
	}
	for _, r := range regs {
		links, err := linkformat.ParseRegistration([]byte(r.Objects))
		if err != nil {
			s.log.Warn().Err(err).Str("endpoint", r.Endpoint).Msg("server: stored registration has unreadable links; keeping it without them")
		}
		d := &device{reg: r, objCT: objectFormats(links), obs: map[coap.Token]*observation{}}
		switch r.Security {
		case ModePSK:
			d.ident = coap.Identity{Kind: coap.IdentityPSK, PSKIdentity: r.Identity}
		case ModeX509:
			d.ident = coap.Identity{Kind: coap.IdentityX509, Fingerprint: r.Identity}
		}
		if r.Transport == "udp" && s.udp != nil {
			if p, err := s.udp.PeerByAddr(r.Address); err == nil {
				d.peer = p
				p.SetValue(r.Endpoint)
			}
		}
		s.mu.Lock()
		s.byEP[r.Endpoint], s.byID[r.ID] = d, d
		if r.Transport == "udp" {
			s.byAddr[r.Address] = d
		}
		s.mu.Unlock()
	}
	obs, err := s.cfg.Observations.LoadObservations(ctx)
	if err != nil {
		return fmt.Errorf("server: loading observations: %w", err)
	}
	for _, o := range obs {
		s.reattach(o)
	}
	s.log.Info().Int("registrations", len(regs)).Int("observations", len(obs)).Msg("server: state restored")
	return nil
}

// Ready is closed once Serve has restored the stored state and the
// listeners are about to serve.
func (s *Server) Ready() <-chan struct{} { return s.started }

// device returns the registered device for an endpoint.
func (s *Server) device(endpoint string) *device {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byEP[endpoint]
}

// Registration returns the current registration of an endpoint.
func (s *Server) Registration(endpoint string) (Registration, bool) {
	d := s.device(endpoint)
	if d == nil {
		return Registration{}, false
	}
	return d.snapshot(), true
}

// Registrations returns every current registration, sorted by endpoint.
func (s *Server) Registrations() []Registration {
	s.mu.RLock()
	ds := make([]*device, 0, len(s.byEP))
	for _, d := range s.byEP {
		ds = append(ds, d)
	}
	s.mu.RUnlock()
	out := make([]Registration, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.snapshot())
	}
	slices.SortFunc(out, func(a, b Registration) int {
		switch {
		case a.Endpoint < b.Endpoint:
			return -1
		case a.Endpoint > b.Endpoint:
			return 1
		}
		return 0
	})
	return out
}

// Disconnect closes the live DTLS session of an endpoint, if any (after a
// credential was revoked: the device cannot handshake again). Its
// registration stays until it expires or the device deregisters; Forget
// ends it at once.
func (s *Server) Disconnect(endpoint string) error {
	d := s.device(endpoint)
	if d == nil {
		return fmt.Errorf("disconnect %s: %w", endpoint, ErrNotRegistered)
	}
	d.mu.Lock()
	p := d.peer
	if p != nil && p.Secure() {
		d.peer = nil
	}
	d.mu.Unlock()
	s.closeSessions(endpoint)
	return nil
}

// pskKey is the DTLS PSK callback.
func (s *Server) pskKey(identity []byte) ([]byte, error) {
	c, err := s.cfg.Credentials.PSK(s.ctx, string(identity))
	if err != nil {
		return nil, err
	}
	return c.Key, nil
}

// verifyClient accepts a certificate pinned to some endpoint, or one the
// configured CA vouches for.
func (s *Server) verifyClient(chain []*x509.Certificate) error {
	if _, err := s.cfg.Credentials.PinnedCertificate(s.ctx, coap.CertFingerprint(chain[0])); err == nil {
		return nil
	}
	if s.cfg.ClientCAs == nil {
		return fmt.Errorf("certificate %q is not pinned and no CA is configured", chain[0].Subject.CommonName)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: s.cfg.ClientCAs, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

// onHandshakeFailed reports a failed DTLS handshake. When the client got
// as far as offering a PSK identity, the event names it (never the key)
// and the endpoint it is bound to, so operators see which device fails.
func (s *Server) onHandshakeFailed(addr string, err error) {
	ev := SecurityEvent{Kind: "handshake-failed", Address: addr, Reason: err.Error()}
	var he *coap.HandshakeError
	if errors.As(err, &he) && len(he.PSKIdentity) > 0 {
		id := offeredIdentity(he.PSKIdentity)
		ev.Identity = coap.Identity{Kind: coap.IdentityPSK, PSKIdentity: id}.String()
		if utf8.Valid(he.PSKIdentity) {
			ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
			if c, err := s.cfg.Credentials.PSK(ctx, string(he.PSKIdentity)); err == nil {
				ev.Endpoint = c.Endpoint
			}
			cancel()
		}
	}
	s.security(ev)
}

// maxReportedIdentity bounds an offered PSK identity in an event (the
// wire allows 65,535 bytes of anything).
const maxReportedIdentity = 128

// offeredIdentity renders an untrusted PSK identity for an event: as is
// when it is printable UTF-8, else quoted with escapes; cut to
// maxReportedIdentity bytes.
func offeredIdentity(b []byte) string {
	cut := len(b) > maxReportedIdentity
	if cut {
		b = b[:maxReportedIdentity]
	}
	s := string(b)
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		s = strconv.Quote(s)
	}
	if cut {
		s += "…"
	}
	return s
}

func (s *Server) onMalformed(p *coap.Peer, err error) {
	ev := SecurityEvent{Kind: "malformed", Address: p.RemoteAddr(), Identity: p.Identity().String(), Reason: err.Error()}
	if ep, ok := endpointOf(p); ok {
		ev.Endpoint = ep
	}
	s.security(ev)
}

func (s *Server) security(ev SecurityEvent) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	s.log.Debug().Str("kind", ev.Kind).Str("endpoint", ev.Endpoint).Str("addr", ev.Address).Str("reason", ev.Reason).Msg("server: security event")
	// Never waits: a flood of bad datagrams must not stall uplink handling
	// behind a slow listener; it is dropped instead (logged at debug level).
	if !s.ev.tryEmit(func(l Listener) { l.Security(ev) }) {
		s.log.Debug().Str("kind", ev.Kind).Msg("server: event queue full, security event dropped")
	}
}
