package dm

import (
	"context"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// waiters lets callers of Execute wait for a queued command's result.
type waiters struct {
	mu sync.Mutex
	m  map[int64]*waitEntry
}

type waitEntry struct {
	cmd models.Command
	chs []chan models.Command
}

func newWaiters() *waiters { return &waiters{m: map[int64]*waitEntry{}} }

func (w *waiters) add(c models.Command) chan models.Command {
	ch := make(chan models.Command, 1)
	w.mu.Lock()
	e := w.m[c.ID]
	if e == nil {
		e = &waitEntry{cmd: c}
		w.m[c.ID] = e
	}
	e.chs = append(e.chs, ch)
	w.mu.Unlock()
	return ch
}

func (w *waiters) remove(id int64, ch chan models.Command) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e := w.m[id]
	if e == nil {
		return
	}
	for i, c := range e.chs {
		if c == ch {
			e.chs = append(e.chs[:i], e.chs[i+1:]...)
			break
		}
	}
	if len(e.chs) == 0 {
		delete(w.m, id)
	}
}

// done hands a terminal command to its waiters.
func (w *waiters) done(c models.Command) {
	if !c.State.Terminal() {
		return
	}
	w.mu.Lock()
	e := w.m[c.ID]
	delete(w.m, c.ID)
	w.mu.Unlock()
	if e == nil {
		return
	}
	for _, ch := range e.chs {
		ch <- c
	}
}

// ids returns the commands someone waits for.
func (w *waiters) ids() []int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]int64, 0, len(w.m))
	for id := range w.m {
		out = append(out, id)
	}
	return out
}

// cancelDevice answers the waiters of a device's commands with cancelled.
func (w *waiters) cancelDevice(deviceID int64) {
	w.mu.Lock()
	var cs []models.Command
	for _, e := range w.m {
		if e.cmd.DeviceID == deviceID {
			c := e.cmd
			c.State = models.CommandCancelled
			cs = append(cs, c)
		}
	}
	w.mu.Unlock()
	for _, c := range cs {
		w.done(c)
	}
}

// waitCommand waits up to d for c to finish and returns its state then.
func (s *Service) waitCommand(ctx context.Context, c models.Command, d time.Duration) (models.Command, error) {
	ch := s.rt.waiters.add(c)
	defer s.rt.waiters.remove(c.ID, ch)
	// It may have finished before the waiter was in place.
	if cur, err := s.st.Commands.Get(ctx, c.ID); err == nil && cur.State.Terminal() {
		return cur, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case done := <-ch:
		return done, nil
	case <-t.C:
	case <-ctx.Done():
	}
	cur, err := s.st.Commands.Get(context.WithoutCancel(ctx), c.ID)
	if err != nil {
		return c, err
	}
	return cur, nil
}

// sweepWaiters hands commands that finished in the store (expired by a
// sweep) to their waiters.
func (s *Service) sweepWaiters(ctx context.Context) {
	for _, id := range s.rt.waiters.ids() {
		if c, err := s.st.Commands.Get(ctx, id); err == nil && c.State.Terminal() {
			s.rt.waiters.done(c)
		}
	}
}
