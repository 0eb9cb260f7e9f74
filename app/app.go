// Package app assembles Shoal — storage, dm, the LwM2M server and the REST
// API — into one runnable value. `shoal serve` runs it, and end-to-end
// tests and demos build the very same assembly, so what they test is what
// ships.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/shoal-iot/shoal/api"
	"github.com/shoal-iot/shoal/bootstrap"
	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/firmware"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage"
	"github.com/shoal-iot/shoal/web"
	"github.com/shoal-iot/shoal/webhook"
)

// App is an assembled Shoal server. New opens the database and binds the
// LwM2M listeners; Run serves until its context ends.
type App struct {
	cfg    Config
	log    zerolog.Logger
	store  *storage.Store
	svc    *dm.Service
	srv    *server.Server
	api    *api.Server
	prov   *dm.Provisioning
	bs     *bootstrap.Server
	fwLoc  *firmware.Locator
	reg    *prometheus.Registry
	token  string
	ran    atomic.Bool
	ready  chan struct{}
	closed atomic.Bool
}

// New validates cfg, creates the data directory, opens (and migrates) the
// database, makes sure an admin token exists, and binds the LwM2M
// listeners. On error everything opened is closed again.
func New(cfg Config) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: cfg.logger(), reg: prometheus.NewRegistry(), ready: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	ctx := context.Background()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	models := objects.New()
	if cfg.ModelsDir != "" {
		if err := models.LoadDir(cfg.ModelsDir); err != nil {
			return nil, fmt.Errorf("models: %w", err)
		}
	}
	var err error
	a.store, err = storage.Open(ctx, cfg.DB, storage.Options{DataDir: cfg.DataDir, QueueDepth: cfg.QueueDepth,
		Logger: a.log.With().Str("component", "storage").Logger()})
	if err != nil {
		return nil, err
	}
	st, err := a.stores()
	if err != nil {
		return nil, err
	}
	a.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.svc, err = dm.New(dm.Config{RequestTimeout: cfg.RequestTimeout, QueueDepth: cfg.QueueDepth, AllowNoSec: cfg.AllowNoSec,
		Registerer: a.reg}, st, models, a.log.With().Str("component", "dm").Logger())
	if err != nil {
		return nil, err
	}
	hooks, err := webhook.New(webhook.Config{})
	if err != nil {
		return nil, err
	}
	a.svc.SetWebhookTransport(hooks)
	if a.token, err = a.svc.EnsureAdminToken(ctx, cfg.AdminToken); err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	var dtlsCert *tls.Certificate
	if cfg.DTLSCert != "" {
		c, err := tls.LoadX509KeyPair(cfg.DTLSCert, cfg.DTLSKey)
		if err != nil {
			return nil, fmt.Errorf("DTLS certificate: %w", err)
		}
		dtlsCert = &c
	}
	if dtlsCert, err = a.newProvisioning(dtlsCert); err != nil {
		return nil, err
	}
	scfg := server.Config{CoAPAddr: cfg.CoAPAddr, CoAPSAddr: cfg.CoAPSAddr, AllowUnknownNoSec: cfg.AllowUnknownNoSec,
		RequestTimeout: cfg.RequestTimeout, AwakeWindow: cfg.AwakeWindow,
		Credentials: a.svc.ServerCredentials(), Registrations: a.svc.ServerRegistrations(),
		Observations: a.svc.ServerObservations(), Listener: a.prov.Listener(a.svc.Listener()), Models: models,
		Certificate: dtlsCert, Logger: a.log.With().Str("component", "lwm2m").Logger()}
	scfg.CoAP.NStart = cfg.NStart
	if err := a.enableFirmware(&scfg); err != nil {
		return nil, err
	}
	if a.srv, err = server.New(scfg); err != nil {
		return nil, err
	}
	a.locateCoAP()
	a.svc.SetSender(a.srv)
	if err := a.newBootstrap(dtlsCert); err != nil {
		return nil, fmt.Errorf("bootstrap server: %w", err)
	}
	if cfg.HTTPAddr != "" {
		a.api, err = api.New(api.Config{Addr: cfg.HTTPAddr, TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey,
			Logger: a.log.With().Str("component", "api").Logger(), Registerer: a.reg, Gatherer: a.reg,
			Models: models, PublicMetrics: cfg.PublicMetrics, Console: web.Handler(), Provisioning: a.prov}, a.svc)
		if err != nil {
			return nil, err
		}
	}
	ok = true
	return a, nil
}

// stores returns dm's stores over the database, with the batching
// telemetry writer and, when configured, retention.
func (a *App) stores() (dm.Stores, error) {
	s := a.store
	w, err := storage.NewTelemetryWriter(s.Telemetry(), storage.WriterConfig{}, a.log.With().Str("component", "telemetry").Logger())
	if err != nil {
		return dm.Stores{}, err
	}
	st := s.Stores()
	st.Writer = w
	if a.cfg.TelemetryRetention > 0 || a.cfg.EventRetention > 0 {
		r, err := storage.NewRetention(s, storage.RetentionConfig{TelemetryAge: a.cfg.TelemetryRetention,
			EventAge: a.cfg.EventRetention}, a.log.With().Str("component", "retention").Logger())
		if err != nil {
			return dm.Stores{}, err
		}
		st.Retention = r
	}
	return st, nil
}

// Run serves until ctx ends (or a part fails), then stops the LwM2M
// server first, dm after it has taken the server's last events (and
// written the telemetry still queued), the API alongside, and closes the
// database. It returns once everything has stopped. It can be called
// once.
func (a *App) Run(ctx context.Context) error {
	if !a.ran.CompareAndSwap(false, true) {
		return errors.New("app: Run called twice")
	}
	defer a.close()
	g, gctx := errgroup.WithContext(ctx)
	dmCtx, stopDM := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDM()
	g.Go(func() error {
		defer stopDM() // dm outlives the server so no event is lost
		return a.srv.Serve(gctx)
	})
	g.Go(func() error {
		err := a.svc.Run(dmCtx)
		if err == nil && gctx.Err() == nil {
			err = errors.New("dm stopped early")
		}
		return err
	})
	if a.api != nil {
		g.Go(func() error { return a.api.Serve(gctx) })
	}
	if a.bs != nil {
		g.Go(func() error { return a.bs.Serve(gctx) })
	}
	g.Go(func() error { return a.prov.Run(gctx) })
	g.Go(func() error {
		for _, c := range a.readiness() {
			select {
			case <-c:
			case <-gctx.Done():
				return nil
			}
		}
		a.locateHTTP()
		close(a.ready)
		a.log.Info().Str("coap", addrString(a.CoAPAddr())).Str("coaps", addrString(a.CoAPSAddr())).
			Str("http", addrString(a.HTTPAddr())).Str("db", a.store.Backend()).Msg("shoal: serving")
		return nil
	})
	return g.Wait()
}

func (a *App) readiness() []<-chan struct{} {
	cs := []<-chan struct{}{a.srv.Ready(), a.svc.Running()}
	if a.api != nil {
		cs = append(cs, a.api.Ready())
	}
	if a.bs != nil {
		cs = append(cs, a.bs.Ready())
	}
	return cs
}

// close releases the database (once).
func (a *App) close() {
	if a.closed.CompareAndSwap(false, true) && a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Warn().Err(err).Msg("closing the database")
		}
	}
}

// Close releases what New opened when Run is never called.
func (a *App) Close() error {
	if a.ran.Load() {
		return nil
	}
	if a.srv != nil {
		// Serve with a finished context releases the bound listeners.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = a.srv.Serve(ctx)
	}
	if a.bs != nil {
		_ = a.bs.Close()
	}
	a.close()
	return nil
}

// Ready is closed once every part serves.
func (a *App) Ready() <-chan struct{} { return a.ready }

// CoAPAddr, CoAPSAddr and HTTPAddr return the bound addresses (nil when
// disabled; HTTPAddr is nil until the API listens).
func (a *App) CoAPAddr() net.Addr  { return a.srv.UDPAddr() }
func (a *App) CoAPSAddr() net.Addr { return a.srv.DTLSAddr() }
func (a *App) HTTPAddr() net.Addr {
	if a.api == nil {
		return nil
	}
	return a.api.Addr()
}

// Service returns the dm service.
func (a *App) Service() *dm.Service { return a.svc }

// AdminToken returns the admin token generated at this start ("" when one
// already existed or SHOAL_ADMIN_TOKEN was given): print it once.
func (a *App) AdminToken() string { return a.token }

// Backend returns the database backend, "sqlite" or "postgres".
func (a *App) Backend() string { return a.store.Backend() }

func addrString(a net.Addr) string {
	if a == nil {
		return "disabled"
	}
	return a.String()
}
