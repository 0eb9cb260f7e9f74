package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// persister writes registrations and observations through to the stores
// in batches. Registration writes are coalesced per endpoint (only the
// latest state is written), so a storm of Updates costs one write per
// device per interval. Observation changes are written in order.
type persister struct {
	regs RegistrationStore
	obs  ObservationStore
	log  zerolog.Logger

	// flushMu is held while a batch is written, so a synchronous write
	// (forget) never lands in the middle of one.
	flushMu sync.Mutex

	mu sync.Mutex
	// reg holds the devices whose registration changed, by endpoint (nil:
	// delete). Their state is read when written, so a storm of Updates
	// costs one map entry per device and nothing per Update.
	reg    map[string]*device
	obsOps []obsOp
	kick   chan struct{}
}

type obsOp struct {
	save     *Observation
	endpoint string
	token    []byte // nil with save nil: delete every observation of endpoint
}

const persistKick = 4096 // pending writes that trigger a flush before the interval

func newPersister(r RegistrationStore, o ObservationStore, log zerolog.Logger) *persister {
	return &persister{regs: r, obs: o, log: log, reg: map[string]*device{}, kick: make(chan struct{}, 1)}
}

func (p *persister) saveRegistration(endpoint string, d *device) {
	p.mu.Lock()
	p.reg[endpoint] = d
	p.maybeKick()
	p.mu.Unlock()
}

func (p *persister) deleteRegistration(endpoint string) {
	p.mu.Lock()
	p.reg[endpoint] = nil
	p.obsOps = append(p.obsOps, obsOp{endpoint: endpoint})
	p.maybeKick()
	p.mu.Unlock()
}

func (p *persister) saveObservation(o Observation) {
	p.mu.Lock()
	p.obsOps = append(p.obsOps, obsOp{save: &o, endpoint: o.Endpoint})
	p.maybeKick()
	p.mu.Unlock()
}

func (p *persister) deleteObservation(endpoint string, token []byte) {
	p.mu.Lock()
	p.obsOps = append(p.obsOps, obsOp{endpoint: endpoint, token: token})
	p.maybeKick()
	p.mu.Unlock()
}

func (p *persister) deleteObservations(endpoint string) {
	p.mu.Lock()
	p.obsOps = append(p.obsOps, obsOp{endpoint: endpoint})
	p.maybeKick()
	p.mu.Unlock()
}

// forget deletes an endpoint's registration and observations from the
// stores now, after any batch being written. Writes still pending for the
// endpoint end in a deletion too (remove queued one) or belong to a newer
// registration, so they can stay. A failed deletion is queued again
// unless a newer registration is pending.
func (p *persister) forget(ctx context.Context, endpoint string) error {
	p.flushMu.Lock()
	err := errors.Join(p.regs.DeleteRegistration(ctx, endpoint), p.obs.DeleteObservations(ctx, endpoint))
	p.flushMu.Unlock()
	if err != nil {
		p.mu.Lock()
		if _, pending := p.reg[endpoint]; !pending {
			p.reg[endpoint] = nil
			p.obsOps = append(p.obsOps, obsOp{endpoint: endpoint})
		}
		p.mu.Unlock()
	}
	return err
}

func (p *persister) maybeKick() {
	if len(p.reg)+len(p.obsOps) >= persistKick {
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

// run writes a batch every interval, or sooner when many writes are
// pending, until ctx ends. Batches are written with a context detached
// from ctx and bounded by timeout, so a batch under way when the server
// stops is finished rather than cut off; Serve writes the last one with
// final once nothing can queue more.
func (p *persister) run(ctx context.Context, every, timeout time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kick:
		}
		p.flushDetached(ctx, timeout)
	}
}

// final writes what is still pending at shutdown.
func (p *persister) final(ctx context.Context, timeout time.Duration) {
	p.flushDetached(ctx, timeout)
}

func (p *persister) flushDetached(ctx context.Context, timeout time.Duration) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	p.flush(fctx)
}

// flush writes everything pending. A failed write is logged and dropped:
// the in-memory state stays authoritative and the next change of that
// device writes it again.
func (p *persister) flush(ctx context.Context) {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	regs, ops := p.reg, p.obsOps
	if len(regs) == 0 && len(ops) == 0 {
		p.mu.Unlock()
		return
	}
	p.reg, p.obsOps = make(map[string]*device, len(regs)), nil
	p.mu.Unlock()
	for ep, d := range regs {
		var err error
		var r Registration
		if d != nil {
			d.mu.Lock()
			gone := d.gone
			d.mu.Unlock()
			if !gone {
				r = d.snapshot()
			}
		}
		if r.Endpoint == "" {
			err = p.regs.DeleteRegistration(ctx, ep)
		} else {
			err = p.regs.SaveRegistration(ctx, r)
		}
		if err != nil {
			p.log.Error().Err(err).Str("endpoint", ep).Msg("server: cannot persist registration")
		}
	}
	for _, op := range ops {
		var err error
		switch {
		case op.save != nil:
			err = p.obs.SaveObservation(ctx, *op.save)
		case op.token != nil:
			err = p.obs.DeleteObservation(ctx, op.endpoint, op.token)
		default:
			err = p.obs.DeleteObservations(ctx, op.endpoint)
		}
		if err != nil {
			p.log.Error().Err(err).Str("endpoint", op.endpoint).Msg("server: cannot persist observation")
		}
	}
}
