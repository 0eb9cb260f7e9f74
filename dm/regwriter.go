package dm

import (
	"context"
	"sync"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// regFlushDelay is how long the registration writer gathers saves after
// the first before writing them in one transaction.
const regFlushDelay = 20 * time.Millisecond

// regWriter writes the server's registration saves behind, coalesced per
// endpoint and many per transaction (RegistrationStore.UpsertBatch): the
// server writes each changed registration with its own call, and one
// transaction per registration bounded a registration storm. The server
// keeps registrations in memory and persists them behind already; this
// only widens its batches. Deletions wait for the saves under way, so a
// save never lands after the deletion that followed it. While Run is not
// running, saves are written at once.
type regWriter struct {
	s *Service

	// flushMu is held while a batch or a deletion is written.
	flushMu sync.Mutex

	mu      sync.Mutex
	pending map[string]models.Registration
	running bool
	kick    chan struct{}
}

func newRegWriter(s *Service) *regWriter {
	return &regWriter{s: s, pending: map[string]models.Registration{}, kick: make(chan struct{}, 1)}
}

// save queues r (replacing a queued save of its endpoint), or writes it
// now when the writer does not run.
func (w *regWriter) save(ctx context.Context, r models.Registration) error {
	w.mu.Lock()
	if !w.running {
		w.mu.Unlock()
		w.flushMu.Lock()
		defer w.flushMu.Unlock()
		return w.s.st.Registrations.Upsert(ctx, r)
	}
	w.pending[r.Endpoint] = r
	first := len(w.pending) == 1
	w.mu.Unlock()
	if first {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// remove drops a queued save of endpoint and runs del once no batch is
// being written.
func (w *regWriter) remove(endpoint string, del func() error) error {
	w.mu.Lock()
	delete(w.pending, endpoint)
	w.mu.Unlock()
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	return del()
}

// run writes queued saves regFlushDelay after the first arrives, until
// ctx ends; then it writes what is queued and lets later saves through.
func (w *regWriter) run(ctx context.Context) {
	w.mu.Lock()
	w.running = true
	w.mu.Unlock()
	t := time.NewTimer(regFlushDelay)
	t.Stop()
	for {
		select {
		case <-w.kick:
			t.Reset(regFlushDelay)
			select {
			case <-t.C:
			case <-ctx.Done():
			}
			w.flush(ctx)
		case <-ctx.Done():
			w.mu.Lock()
			w.running = false
			w.mu.Unlock()
			w.flush(ctx)
			return
		}
	}
}

// flush writes the queued saves in one transaction; if that fails, one by
// one, so a bad registration costs only itself (logged: the server's
// in-memory state stays authoritative and its next change writes it
// again).
func (w *regWriter) flush(ctx context.Context) {
	ctx, cancel := detached(ctx)
	defer cancel()
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	p := w.pending
	if len(p) == 0 {
		w.mu.Unlock()
		return
	}
	w.pending = make(map[string]models.Registration, len(p))
	w.mu.Unlock()
	batch := make([]models.Registration, 0, len(p))
	for _, r := range p {
		batch = append(batch, r)
	}
	st := w.s.st.Registrations
	if err := st.UpsertBatch(ctx, batch); err == nil {
		return
	}
	for _, r := range batch {
		if err := st.Upsert(ctx, r); err != nil {
			w.s.log.Error().Err(err).Str("endpoint", r.Endpoint).Msg("dm: storing a registration")
		}
	}
}
