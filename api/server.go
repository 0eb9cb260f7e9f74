package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/objects"
)

// Server serves the REST API over one *dm.Service.
type Server struct {
	cfg     Config
	svc     *dm.Service
	log     zerolog.Logger
	vp      valueParser
	router  *mux.Router
	handler http.Handler
	metrics *httpMetrics

	// streams is cancelled when Serve shuts down, ending SSE streams so the
	// graceful shutdown is not held up by them.
	streamsCtx    context.Context
	cancelStreams context.CancelFunc

	mu       sync.Mutex
	listener net.Listener
	ready    chan struct{}
	inflight sync.WaitGroup
}

// New validates cfg and builds the server and its routes.
func New(cfg Config, svc *dm.Service) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if svc == nil {
		return nil, errors.New("api: nil dm.Service")
	}
	if cfg.Registerer == nil {
		reg := prometheus.NewRegistry()
		cfg.Registerer, cfg.Gatherer = reg, reg
	}
	if cfg.Models == nil {
		if mp, ok := any(svc).(interface{ Models() lwm2m.ModelProvider }); ok {
			cfg.Models = mp.Models()
		} else {
			cfg.Models = objects.New()
		}
	}
	m, err := newHTTPMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("api: metrics: %w", err)
	}
	s := &Server{cfg: cfg, svc: svc, log: cfg.Logger, vp: valueParser{models: cfg.Models}, metrics: m,
		ready: make(chan struct{})}
	s.streamsCtx, s.cancelStreams = context.WithCancel(context.Background())
	s.router = s.routes()
	s.handler = s.cors(s.withConsole(s.router))
	return s, nil
}

// Handler returns the API as an http.Handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.handler }

// Addr returns the address Serve listens on, once it does (nil before).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
}

// Ready is closed once Serve listens.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Serve listens on cfg.Addr (TLS when configured) and serves until ctx
// ends; it then shuts down gracefully — SSE streams are ended, in-flight
// requests get ShutdownTimeout to finish — and returns when every handler
// has returned.
func (s *Server) Serve(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("api: listen %s: %w", s.cfg.Addr, err)
	}
	s.mu.Lock()
	if s.listener != nil {
		s.mu.Unlock()
		ln.Close()
		return errors.New("api: Serve called twice")
	}
	s.listener = ln
	s.mu.Unlock()
	close(s.ready)

	// Requests run on their own base context, cancelled only after the
	// graceful shutdown gave up, so in-flight requests may finish.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	hs := &http.Server{
		Handler:           s.counted(s.handler),
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLSCert != "" {
			errc <- hs.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	s.log.Info().Str("addr", ln.Addr().String()).Bool("tls", s.cfg.TLSCert != "").Msg("api: listening")
	select {
	case err := <-errc:
		s.cancelStreams()
		cancelBase()
		s.inflight.Wait()
		return fmt.Errorf("api: serve: %w", err)
	case <-ctx.Done():
	}
	s.cancelStreams()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err = hs.Shutdown(sctx)
	if err != nil {
		err = errors.Join(err, hs.Close())
	}
	cancelBase()
	s.inflight.Wait()
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	return nil
}

// counted tracks running handlers so Serve can wait for them.
func (s *Server) counted(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Done()
		h.ServeHTTP(w, r)
	})
}
