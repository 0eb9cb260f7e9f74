package server

import (
	"context"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
)

// heard records an uplink from d. A queue-mode device is awake for the
// awake window from now, and requests held for it start going out.
func (s *Server) heard(d *device) {
	now := time.Now()
	d.mu.Lock()
	d.reg.LastSeen = now
	if !d.reg.QueueMode || d.gone {
		d.mu.Unlock()
		return
	}
	ep := d.reg.Endpoint
	woke := !d.awake
	d.awake, d.awakeUntil = true, now.Add(s.cfg.AwakeWindow)
	start := !d.draining && s.cfg.Queue.Len(ep) > 0
	if start {
		d.draining = true
	}
	d.mu.Unlock()
	if woke {
		s.emitFor(d, func(l Listener) { l.Awake(ep) })
	}
	if start {
		s.spawnDrain(d)
	}
}

// sendQueued sends to a queue-mode device through its hold queue, so
// requests go out one at a time, in order, only while the device is
// awake. A request not sent before ctx ends fails with ErrDeviceAsleep.
func (s *Server) sendQueued(ctx context.Context, d *device, req lwm2m.Request) (lwm2m.Response, error) {
	h := &Held{ctx: ctx, req: req, done: make(chan heldResult, 1)}
	d.mu.Lock()
	ep := d.reg.Endpoint
	if d.gone {
		d.mu.Unlock()
		return lwm2m.Response{}, fmt.Errorf("%s: %w", ep, ErrNotRegistered)
	}
	if err := s.cfg.Queue.Push(ep, h); err != nil {
		d.mu.Unlock()
		return lwm2m.Response{}, err
	}
	start := d.awake && time.Now().Before(d.awakeUntil) && !d.draining
	if start {
		d.draining = true
	}
	d.mu.Unlock()
	if start {
		s.spawnDrain(d)
	}
	select {
	case r := <-h.done:
		return r.resp, r.err
	case <-ctx.Done():
		if s.cfg.Queue.Remove(ep, h) {
			return lwm2m.Response{}, fmt.Errorf("%w: %s was not heard from before the deadline (%v)", ErrDeviceAsleep, ep, ctx.Err())
		}
		r := <-h.done // already on its way out; it ends with ctx
		return r.resp, r.err
	}
}

func (s *Server) spawnDrain(d *device) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closing {
		d.mu.Lock()
		d.draining = false
		d.mu.Unlock()
		return
	}
	s.bg.Go(func() { s.drain(d) })
}

// drain delivers held requests one at a time while the device is awake.
func (s *Server) drain(d *device) {
	for {
		d.mu.Lock()
		ep := d.reg.Endpoint
		if d.gone || !d.awake || !time.Now().Before(d.awakeUntil) {
			d.draining = false
			d.mu.Unlock()
			return
		}
		h := s.cfg.Queue.Pop(ep)
		if h == nil {
			d.draining = false
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		if err := h.ctx.Err(); err != nil {
			h.done <- heldResult{err: fmt.Errorf("%w: %s (%v)", ErrDeviceAsleep, ep, err)}
			continue
		}
		resp, err := s.deliver(h.ctx, d, h.req)
		h.done <- heldResult{resp, err}
	}
}

// failHeld answers every request held for endpoint with err.
func (s *Server) failHeld(endpoint string, err error) {
	for h := s.cfg.Queue.Pop(endpoint); h != nil; h = s.cfg.Queue.Pop(endpoint) {
		h.done <- heldResult{err: fmt.Errorf("%s: %w", endpoint, err)}
	}
}
