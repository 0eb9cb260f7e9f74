package dm

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// runtime is the Service's in-memory state: the Sender, device presence,
// caches, the ingest queue, the dispatcher, command waiters and live-event
// subscribers.
type runtime struct {
	s *Service

	sndMu sync.RWMutex
	snd   Sender

	presence *presence
	devices  *deviceCache
	creds    *credCache
	regs     *serverRegistrations
	tokens   *tokenCache
	hub      *hub
	waiters  *waiters
	disp     *dispatcher
	metrics  *metrics
	alarms   *alarmEngine
	notify   *notifyMetrics
	hooks    *hookDispatcher
	// fw runs firmware updates (nil until EnableFirmware).
	fw *fwEngine

	// ingest carries work from the server's listener to the ingest loop,
	// in order.
	ingest chan func(context.Context)
	// stopped is closed when the ingest loop has finished.
	stopped chan struct{}
	started atomic.Bool
	// running is closed when Run has started its loops.
	running chan struct{}
	// profiles queues profile applications for Run's workers.
	profiles *profileQueue
	// runCtx is Run's context, for work started by listener callbacks.
	runCtx atomic.Pointer[context.Context]
	// relMu serialises changes to the asset hierarchy (cycle checks).
	relMu sync.Mutex
}

func newRuntime(s *Service) *runtime {
	r := &runtime{
		s:        s,
		presence: newPresence(),
		devices:  newDeviceCache(),
		hub:      newHub(s.cfg.SubscriberBuffer),
		waiters:  newWaiters(),
		ingest:   make(chan func(context.Context), s.cfg.IngestQueue),
		stopped:  make(chan struct{}),
		running:  make(chan struct{}),
		profiles: newProfileQueue(),
	}
	r.creds = newCredCache(s)
	r.regs = &serverRegistrations{s: s, w: newRegWriter(s)}
	r.tokens = newTokenCache(s.cfg.CacheTTL)
	r.metrics = newMetrics(r)
	r.disp = newDispatcher(s)
	r.alarms = newAlarmEngine(s)
	r.notify = newNotifyMetrics()
	r.hooks = newHookDispatcher(s)
	return r
}

func (r *runtime) setSender(snd Sender) {
	r.sndMu.Lock()
	r.snd = snd
	r.sndMu.Unlock()
}

// sender returns the Sender or an error when none is set.
func (r *runtime) sender() (Sender, error) {
	r.sndMu.RLock()
	defer r.sndMu.RUnlock()
	if r.snd == nil {
		return nil, fmt.Errorf("dm: no sender set (SetSender): %w", ErrNotImplemented)
	}
	return r.snd, nil
}

// ctx returns Run's context, or a cancelled one before Run.
func (r *runtime) ctx() context.Context {
	if p := r.runCtx.Load(); p != nil {
		return *p
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// enqueue hands work to the ingest loop, waiting while its queue is full
// (back-pressure on the server's event delivery). After the loop stopped
// the work runs inline with a short deadline, so late events at shutdown
// still land.
func (r *runtime) enqueue(f func(context.Context)) {
	select {
	case r.ingest <- f:
		return
	case <-r.stopped:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f(ctx)
}

// ingestLoop runs queued work in order until ctx ends, then what is
// already queued. Work is taken in batches whose status and event writes
// share one transaction (runBatch).
func (r *runtime) ingestLoop(ctx context.Context) {
	defer close(r.stopped)
	b := &writeBatch{}
	// Work runs on a context Run's end does not cancel: a batch taken
	// just as Run's context ends (select picks a ready case at random)
	// must still be written — a Register the server answered has to
	// become a device row. The drain below bounds the rest.
	work := context.WithoutCancel(ctx)
	for {
		select {
		case f := <-r.ingest:
			r.runBatch(work, b, f)
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for {
				select {
				case f := <-r.ingest:
					r.runBatch(dctx, b, f)
				default:
					return
				}
			}
		}
	}
}

// writeTimeout bounds a store write that must not be cut short by
// shutdown.
const writeTimeout = 10 * time.Second

// detached returns a context for a store write that should complete even
// when ctx ends mid-way (a half-done shutdown must not drop acknowledged
// state), bounded by writeTimeout.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}
