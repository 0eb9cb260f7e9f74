package dm

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// dispatcher delivers queued commands. A device is kicked when it shows up
// (registration, update, notification, send, awake) or when a command is
// queued for a reachable device; a worker then claims its commands one at
// a time, in order, while it stays reachable. A periodic sweep expires
// overdue commands and kicks devices whose retries came due.
type dispatcher struct {
	s    *Service
	work chan int64

	mu sync.Mutex
	// pending is a hint: devices that may have commands to deliver (so a
	// notification from a device without any costs no query).
	pending map[int64]bool
	active  map[int64]bool // a worker owns the device
	again   map[int64]bool // kicked while active: look again
}

func newDispatcher(s *Service) *dispatcher {
	return &dispatcher{s: s, work: make(chan int64, 4096), pending: map[int64]bool{}, active: map[int64]bool{},
		again: map[int64]bool{}}
}

func (d *dispatcher) markPending(id int64) {
	d.mu.Lock()
	d.pending[id] = true
	d.mu.Unlock()
}

// kick asks a worker to deliver a device's commands, if it may have any.
func (d *dispatcher) kick(id int64) {
	d.mu.Lock()
	if !d.pending[id] {
		d.mu.Unlock()
		return
	}
	if d.active[id] {
		d.again[id] = true
		d.mu.Unlock()
		return
	}
	d.active[id] = true
	d.mu.Unlock()
	d.submit(id)
}

// submit hands an active device to the workers; when they are swamped the
// device is released and the next sweep picks it up.
func (d *dispatcher) submit(id int64) {
	select {
	case d.work <- id:
	default:
		d.mu.Lock()
		delete(d.active, id)
		d.mu.Unlock()
	}
}

// run starts the workers and the sweep, and returns when ctx ends and
// they have finished.
func (d *dispatcher) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range d.s.cfg.Workers {
		wg.Go(func() { d.worker(ctx) })
	}
	wg.Go(func() { d.sweeper(ctx) })
	wg.Wait()
}

func (d *dispatcher) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-d.work:
			d.s.deliver(ctx, id)
			d.mu.Lock()
			again := d.again[id] && ctx.Err() == nil
			delete(d.again, id)
			if !again {
				delete(d.active, id)
			}
			d.mu.Unlock()
			if again {
				d.submit(id)
			}
		}
	}
}

func (d *dispatcher) sweeper(ctx context.Context) {
	t := time.NewTicker(d.s.cfg.DispatchInterval)
	defer t.Stop()
	for n := 0; ; n++ {
		d.s.sweep(ctx, n%10 == 0)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweep expires overdue commands, answers their waiters, and kicks
// reachable devices whose next command came due.
func (s *Service) sweep(ctx context.Context, gauges bool) {
	now := s.now()
	n, err := s.st.Commands.Expire(ctx, now)
	if err != nil && ctx.Err() == nil {
		s.log.Error().Err(err).Msg("dm: expiring commands")
	}
	if n > 0 {
		s.rt.metrics.commands.WithLabelValues(string(models.CommandExpired)).Add(float64(n))
		s.log.Info().Int64("commands", n).Msg("dm: commands expired")
		s.sweepWaiters(ctx)
	}
	ids, err := s.st.Commands.Ready(ctx, now, 1000)
	if err != nil && ctx.Err() == nil {
		s.log.Error().Err(err).Msg("dm: listing devices with due commands")
	}
	for _, id := range ids {
		s.rt.disp.markPending(id)
		d, err := s.deviceByID(ctx, id)
		if err == nil && s.rt.presence.reachable(d.Endpoint, s.now()) {
			s.rt.disp.kick(id)
		}
	}
	if gauges {
		pg, err := s.st.Commands.List(ctx, CommandFilter{States: []models.CommandState{models.CommandPending, models.CommandSent}}, PageRequest{Limit: 1})
		if err == nil {
			s.rt.metrics.queueDepth.Set(float64(pg.Total))
		}
	}
}

// deliver sends a device's due commands, in order, while it is reachable.
func (s *Service) deliver(ctx context.Context, id int64) {
	d, err := s.deviceByID(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			s.rt.disp.mu.Lock()
			delete(s.rt.disp.pending, id)
			s.rt.disp.mu.Unlock()
		}
		return
	}
	for ctx.Err() == nil && s.rt.presence.reachable(d.Endpoint, s.now()) {
		c, ok, err := s.st.Commands.Claim(ctx, id, s.now())
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error().Err(err).Str("endpoint", d.Endpoint).Msg("dm: claiming a command")
			}
			return
		}
		if !ok {
			s.rt.disp.mu.Lock()
			delete(s.rt.disp.pending, id)
			s.rt.disp.mu.Unlock()
			return
		}
		s.deliverOne(ctx, d, c)
	}
}

// deliverOne sends one claimed command and records the outcome.
func (s *Service) deliverOne(ctx context.Context, d models.Device, c models.Command) {
	snd, err := s.rt.sender()
	if err != nil {
		return
	}
	req := c.Request
	if req.Timeout <= 0 {
		req.Timeout = s.cfg.RequestTimeout
	}
	resp, err := snd.Send(ctx, d.Endpoint, req)
	if err != nil && ctx.Err() != nil {
		return // shutting down: Recover re-queues it at the next start
	}
	now := s.now()
	var done models.Command
	switch {
	case err == nil:
		done, err = s.st.Commands.Complete(ctx, c.ID, &resp, now)
		if err == nil && resp.Code.IsSuccess() && (req.Op == lwm2m.OpObserve || req.Op == lwm2m.OpObserveComposite) {
			s.ingestResponse(ctx, d, req, resp, now, "observe")
		}
	case errors.Is(err, server.ErrInvalidRequest) || errors.Is(err, server.ErrBadResponse):
		done, err = s.st.Commands.Fail(ctx, c.ID, err.Error(), time.Time{}, now)
	case unreachable(err):
		// The device went away (asleep, session gone): retry as soon as it
		// is back — delivery waits for that anyway, so no backoff is needed.
		s.rt.presence.unreachable(d.Endpoint, !errors.Is(err, server.ErrNotRegistered))
		done, err = s.st.Commands.Fail(ctx, c.ID, err.Error(), now, now)
	default:
		prof, _ := s.profileOf(ctx, d)
		retryAt := now.Add(backoff(s.retryPolicy(prof), c.Attempts))
		done, err = s.st.Commands.Fail(ctx, c.ID, err.Error(), retryAt, now)
	}
	if err != nil {
		s.log.Error().Err(err).Int64("command", c.ID).Str("endpoint", d.Endpoint).Msg("dm: recording a command's outcome")
		return
	}
	data := map[string]any{"command_id": done.ID, "op": req.Op.String(), "attempts": done.Attempts}
	if done.Result != nil {
		data["code"] = done.Result.Code.String()
	}
	if done.Error != "" {
		data["error"] = done.Error
	}
	if !done.State.Terminal() {
		data["next_attempt_at"] = done.NextAttemptAt
		s.rt.disp.markPending(d.ID)
		s.record(ctx, deviceEvent(d, models.CategoryOperation, "command.retry", data))
		return
	}
	s.rt.metrics.commands.WithLabelValues(string(done.State)).Inc()
	s.rt.waiters.done(done)
	s.record(ctx, deviceEvent(d, models.CategoryOperation, "command."+string(done.State), data))
}
