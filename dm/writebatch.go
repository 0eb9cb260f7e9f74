package dm

import (
	"context"
	"time"

	"github.com/shoal-iot/shoal/models"
)

// BatchStore writes the ingest loop's status changes and events in one
// transaction per batch instead of one per row (storage.Store provides
// it). Optional: without it each write goes through its own store call.
type BatchStore interface {
	// WriteBatch applies the status changes in order and appends the
	// events in order (assigning each its ID, increasing, and its Time
	// when zero), all or nothing.
	WriteBatch(ctx context.Context, st []StatusChange, evs []*models.Event) error
}

// StatusChange is one device's new status and, when not zero, last-seen
// time (DeviceStore.SetStatus's arguments).
type StatusChange struct {
	DeviceID int64
	Status   models.DeviceStatus
	LastSeen time.Time
}

// maxIngestBatch bounds how much queued work one ingest batch takes: its
// writes share one transaction, and what follows them (live events,
// webhooks, alarm evaluation) waits for that commit.
const maxIngestBatch = 512

// writeBatch collects the writes of the ingest work run in one batch.
// Only the ingest loop's goroutine touches it.
type writeBatch struct {
	statuses []StatusChange
	// undo restores the cache of the status at the same index when its
	// write fails.
	undo   []func()
	events []*models.Event
	// after runs once the batch is stored (publishing events, alarm
	// evaluation), in the order it was queued.
	after []func(context.Context)
}

type batchKey struct{}

// batchOf returns the batch ctx belongs to, nil outside the ingest loop.
func batchOf(ctx context.Context) *writeBatch {
	b, _ := ctx.Value(batchKey{}).(*writeBatch)
	return b
}

func (b *writeBatch) empty() bool {
	return len(b.statuses) == 0 && len(b.events) == 0 && len(b.after) == 0
}

func (b *writeBatch) reset() {
	clear(b.undo)
	clear(b.events)
	clear(b.after)
	b.statuses, b.undo, b.events, b.after = b.statuses[:0], b.undo[:0], b.events[:0], b.after[:0]
}

// runBatch runs queued work with one shared write batch and stores it:
// first is already received, the rest is taken without waiting while the
// queue holds some, up to maxIngestBatch.
func (r *runtime) runBatch(ctx context.Context, b *writeBatch, first func(context.Context)) {
	if r.s.st.Batch == nil {
		first(ctx)
		return
	}
	bctx := context.WithValue(ctx, batchKey{}, b)
	first(bctx)
	for n := 1; n < maxIngestBatch; n++ {
		var f func(context.Context)
		select {
		case f = <-r.ingest:
		default:
		}
		if f == nil {
			break
		}
		f(bctx)
	}
	r.storeBatch(ctx, b)
}

// storeBatch writes the batch in one transaction; when that fails it
// writes row by row, so one bad row costs only itself (logged), then runs
// what waited for the writes.
func (r *runtime) storeBatch(ctx context.Context, b *writeBatch) {
	defer b.reset()
	if b.empty() {
		return
	}
	s := r.s
	wctx, cancel := detached(ctx)
	defer cancel()
	if len(b.statuses) > 0 || len(b.events) > 0 {
		if err := s.st.Batch.WriteBatch(wctx, b.statuses, b.events); err != nil {
			s.log.Warn().Err(err).Int("statuses", len(b.statuses)).Int("events", len(b.events)).
				Msg("dm: storing an ingest batch failed; storing row by row")
			r.storeRows(wctx, b)
		}
	}
	for _, f := range b.after {
		f(wctx)
	}
}

// storeRows is storeBatch's fallback: each write on its own.
func (r *runtime) storeRows(ctx context.Context, b *writeBatch) {
	s := r.s
	for i, c := range b.statuses {
		if err := s.st.Devices.SetStatus(ctx, c.DeviceID, c.Status, c.LastSeen); err != nil {
			s.log.Error().Err(err).Int64("device_id", c.DeviceID).Msg("dm: storing a device status")
			b.undo[i]()
		}
	}
	for _, e := range b.events {
		if err := s.st.Events.Append(ctx, e); err != nil {
			s.log.Error().Err(err).Str("type", e.Type).Str("endpoint", e.Endpoint).Msg("dm: storing an event failed")
		}
	}
}
