package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m/client"
)

// Fleet is a set of simulated devices run together.
type Fleet struct {
	cfg     Config
	log     zerolog.Logger
	devs    []Device
	offsets []time.Duration // start offset of each device
	retry   []time.Duration // per-device registration retry delay
	members []member

	mu      sync.Mutex
	st      *stats
	running bool
	phase   string
	done    bool
	atStop  *Snapshot
	procAt  ProcessStats
	stopped time.Time
}

// New prepares a fleet: device names, credentials, addresses, queue-mode
// choice, lifetimes and start times are all fixed here (from Seed), so
// Devices can be provisioned before Run.
func New(cfg Config) (*Fleet, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Fleet{
		cfg:     cfg,
		devs:    make([]Device, cfg.Devices),
		offsets: make([]time.Duration, cfg.Devices),
		retry:   make([]time.Duration, cfg.Devices),
		members: make([]member, cfg.Devices),
		st:      newStats(time.Now()),
		phase:   PhaseNew,
	}
	if cfg.Logger != nil {
		f.log = *cfg.Logger
	} else {
		f.log = zerolog.Nop()
	}
	secure := isSecure(cfg.ServerURI)
	width := len(strconv.Itoa(cfg.FirstIndex + cfg.Devices - 1))
	r := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	for i := range f.devs {
		ep := fmt.Sprintf("%s%0*d", cfg.Prefix, width, cfg.FirstIndex+i)
		d := Device{
			Endpoint:  ep,
			Security:  "nosec",
			LocalAddr: client.LoopbackAddr(cfg.FirstAddr + i),
			QueueMode: r.Float64() < cfg.QueueMode,
			Lifetime:  jitterLifetime(cfg.Lifetime, cfg.LifetimeJitter, r.Float64()),
		}
		if secure {
			d.Security, d.PSKIdentity, d.PSKKey = "psk", ep, cfg.PSKKey
		}
		f.devs[i] = d
		f.offsets[i] = time.Duration(float64(i) / cfg.Ramp * float64(time.Second))
		if cfg.StartJitter > 0 {
			f.offsets[i] += time.Duration(r.Int64N(int64(cfg.StartJitter)))
		}
		f.retry[i] = cfg.RetryDelay + time.Duration(r.Int64N(int64(cfg.RetryDelay)+1))
	}
	return f, nil
}

// jitterLifetime shortens lt by up to frac (u in [0,1)), in whole seconds
// and never under one second: the lt parameter is in seconds.
func jitterLifetime(lt time.Duration, frac, u float64) time.Duration {
	d := time.Duration(float64(lt) * (1 - frac*u)).Truncate(time.Second)
	return max(d, time.Second)
}

func isSecure(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && u.Scheme == "coaps"
}

// Devices returns the fleet's devices (the slice is the fleet's own).
func (f *Fleet) Devices() []Device { return f.devs }

// Client returns device i's client once it has started, else nil.
func (f *Fleet) Client(i int) *client.Client {
	if i < 0 || i >= len(f.members) {
		return nil
	}
	return f.members[i].c.Load()
}

// Snapshot returns the fleet's live state; latency histograms are keyed
// "register", "update", "notify", "send", "deregister", "bootstrap" and
// "request" (all uplink requests but Register and Bootstrap).
func (f *Fleet) Snapshot() Snapshot {
	f.mu.Lock()
	st, phase := f.st, f.phase
	f.mu.Unlock()
	snap := st.snapshot(len(f.devs))
	snap.Phase = phase
	if phase == PhaseNew || phase == PhaseProvisioning {
		snap.Elapsed = 0
	}
	return snap
}

// Phases of a fleet's life, as Snapshot reports them.
const (
	PhaseNew          = "new"
	PhaseProvisioning = "provisioning"
	PhaseRunning      = "running"
	PhaseStopping     = "stopping" // devices are deregistering
	PhaseDone         = "done"
)

func (f *Fleet) setPhase(p string) {
	f.mu.Lock()
	f.phase = p
	f.mu.Unlock()
}

// Run provisions the devices (when Config.Provision is set), starts them
// at the ramp rate, drives the scenario, and when ctx ends or Duration
// has passed stops them all (each deregisters) and returns once every
// device goroutine has finished. The summary is then available.
func (f *Fleet) Run(ctx context.Context) error {
	f.mu.Lock()
	if f.running || f.done {
		f.mu.Unlock()
		return fmt.Errorf("%w: a fleet runs once", ErrConfig)
	}
	f.running = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running, f.done, f.phase = false, true, PhaseDone
		f.mu.Unlock()
	}()
	if f.cfg.Provision != nil {
		f.setPhase(PhaseProvisioning)
		f.log.Info().Int("devices", len(f.devs)).Msg("provisioning")
		if err := f.cfg.Provision(ctx, f.devs); err != nil {
			if errors.Is(err, ErrProvision) {
				return err
			}
			return fmt.Errorf("%w: %w", ErrProvision, err)
		}
	}
	socks, err := client.NewSharedSockets(f.cfg.Sockets)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	defer socks.Close()
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	if f.cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, f.cfg.Duration)
		defer cancel()
	}
	// Devices outlive runCtx: the fleet snapshots its state at the stop,
	// then switches them off batch by batch (each deregisters).
	stops := &stopper{base: context.WithoutCancel(ctx), size: max(1, int(f.cfg.StopRate*driveTick.Seconds()))}
	defer stops.all()

	f.mu.Lock()
	f.st = newStats(time.Now())
	f.phase = PhaseRunning
	st := f.st
	f.mu.Unlock()
	dialer := &client.CoAPDialer{Sockets: socks, Logger: f.log}
	var devices, helpers sync.WaitGroup
	var sends sync.WaitGroup
	helpers.Go(func() { f.start(runCtx, stops, st, dialer, &devices) })
	helpers.Go(func() { f.drive(runCtx, st, &sends) })
	<-runCtx.Done()
	helpers.Wait()
	snap := st.snapshot(len(f.devs))
	proc := ReadProcessStats()
	f.mu.Lock()
	f.atStop, f.procAt, f.stopped = &snap, proc, time.Now()
	f.mu.Unlock()
	f.log.Info().Int("registered", snap.Registered).Msg("stopping: devices deregister")
	f.setPhase(PhaseStopping)
	stops.paced(f.cfg.StopRate)
	sends.Wait()
	devices.Wait()
	return nil
}

// start launches devices at their offsets until all run or runCtx ends.
func (f *Fleet) start(runCtx context.Context, stops *stopper, st *stats, dialer client.Dialer, devices *sync.WaitGroup) {
	order := make([]int, len(f.devs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(f.offsets[a] - f.offsets[b]) })
	timer := time.NewTimer(0)
	defer timer.Stop()
	for _, i := range order {
		if wait := time.Until(st.start.Add(f.offsets[i])); wait > time.Millisecond {
			timer.Reset(wait)
			select {
			case <-runCtx.Done():
				return
			case <-timer.C:
			}
		}
		if runCtx.Err() != nil {
			return
		}
		c, err := client.New(f.clientConfig(i, st, dialer))
		if err != nil { // configs are validated in New: this is a bug
			f.log.Error().Err(err).Str("ep", f.devs[i].Endpoint).Msg("device not started")
			st.counters.errors.Add(1)
			st.errs.add(f.devs[i].Endpoint, err)
			continue
		}
		f.members[i].c.Store(c)
		st.started.Add(1)
		devCtx := stops.next()
		devices.Go(func() { _ = c.Run(devCtx) })
	}
}

// clientConfig is device i's client configuration.
func (f *Fleet) clientConfig(i int, st *stats, dialer client.Dialer) client.Config {
	d := f.devs[i]
	sim := f.cfg.SimInterval
	if sim == 0 {
		sim = -1 // still, except for the driver's steps
	}
	return client.Config{
		Endpoint:       d.Endpoint,
		ServerURI:      f.cfg.ServerURI,
		Lifetime:       d.Lifetime,
		Version:        f.cfg.Version,
		QueueMode:      d.QueueMode,
		AwakeTime:      f.cfg.AwakeTime,
		PSKIdentity:    d.PSKIdentity,
		PSKKey:         d.PSKKey,
		SimInterval:    sim,
		Seed:           f.cfg.Seed,
		Models:         f.cfg.Models,
		Codecs:         f.cfg.Codecs,
		Events:         st.events(&f.members[i]),
		RequestTimeout: f.cfg.RequestTimeout,
		RetryDelay:     f.retry[i],
		Dialer:         dialer,
		LocalAddr:      d.LocalAddr,
	}
}

// stopper hands out the devices' contexts, one per batch of size devices
// in start order, so that the stop can switch the fleet off at a rate
// rather than all at once (100,000 simultaneous De-registers would time
// out against any server).
type stopper struct {
	base    context.Context
	size    int
	n       int // contexts handed out in the current batch
	cancels []context.CancelFunc
	cur     context.Context
}

// next returns the context for the next device started (starter only).
func (s *stopper) next() context.Context {
	if s.cur == nil || s.n == s.size {
		ctx, cancel := context.WithCancel(s.base)
		s.cur, s.n = ctx, 0
		s.cancels = append(s.cancels, cancel)
	}
	s.n++
	return s.cur
}

// paced cancels one batch per driveTick (all at once for rate 0).
func (s *stopper) paced(rate float64) {
	if rate == 0 {
		s.all()
		return
	}
	t := time.NewTicker(driveTick)
	defer t.Stop()
	for i, cancel := range s.cancels {
		if i > 0 {
			<-t.C
		}
		cancel()
	}
}

func (s *stopper) all() {
	for _, cancel := range s.cancels {
		cancel()
	}
}
