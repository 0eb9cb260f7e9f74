package dm

import (
	"context"
	"errors"
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
	// CreateDevices is DeviceStore.Create for many devices, all or
	// nothing.
	CreateDevices(ctx context.Context, ds []*models.Device) error
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
	// creates are devices to add to the inventory, with what to do once
	// each exists; creating holds their endpoints.
	creates  []pendingCreate
	creating map[string]bool
}

// pendingCreate is a device an ingest batch creates and the work that
// waits for it (run in the batch, so its writes join it).
type pendingCreate struct {
	dev  *models.Device
	then func(ctx context.Context, e *devEntry, created bool)
}

type batchKey struct{}

// batchOf returns the batch ctx belongs to, nil outside the ingest loop.
func batchOf(ctx context.Context) *writeBatch {
	b, _ := ctx.Value(batchKey{}).(*writeBatch)
	return b
}

func (b *writeBatch) empty() bool {
	return len(b.statuses) == 0 && len(b.events) == 0 && len(b.after) == 0 && len(b.creates) == 0
}

// create queues d's creation; then runs once it exists (or failed:
// e nil).
func (b *writeBatch) create(d *models.Device, then func(ctx context.Context, e *devEntry, created bool)) {
	if b.creating == nil {
		b.creating = map[string]bool{}
	}
	b.creating[d.Endpoint] = true
	b.creates = append(b.creates, pendingCreate{dev: d, then: then})
}

// flushCreates creates the queued devices in one transaction (one by one
// if that fails: an endpoint created meanwhile by someone else is looked
// up instead), caches them and runs the work that waited, in the batch
// ctx carries. deviceEntry calls it before looking up an endpoint the
// batch is creating, so work on a device always follows its creation.
func (s *Service) flushCreates(ctx context.Context, b *writeBatch) {
	for len(b.creates) > 0 {
		cs := b.creates
		b.creates = nil
		clear(b.creating)
		ds := make([]*models.Device, len(cs))
		for i, c := range cs {
			ds[i] = c.dev
		}
		wctx, cancel := detached(ctx)
		err := s.st.Batch.CreateDevices(wctx, ds)
		cancel()
		for _, c := range cs {
			if err == nil {
				c.then(ctx, s.created(*c.dev), true)
				continue
			}
			e, created := s.createOne(ctx, c.dev)
			c.then(ctx, e, created)
		}
	}
}

// created caches a device just created and drops what the credential
// cache remembered of its endpoint.
func (s *Service) created(d models.Device) *devEntry {
	s.rt.creds.forget(d.Endpoint)
	return s.rt.devices.put(d, s.now())
}

// createOne creates d on its own; when its endpoint exists already it
// returns that device (created false), on other errors (logged) nil.
func (s *Service) createOne(ctx context.Context, d *models.Device) (*devEntry, bool) {
	wctx, cancel := detached(ctx)
	defer cancel()
	err := s.st.Devices.Create(wctx, d)
	if err == nil {
		return s.created(*d), true
	}
	if errors.Is(err, ErrConflict) {
		if e, err := s.deviceEntry(wctx, d.Endpoint); err == nil {
			return e, false
		}
	}
	s.log.Error().Err(err).Str("endpoint", d.Endpoint).Msg("dm: adding a registered device to the inventory")
	return nil, false
}

func (b *writeBatch) reset() {
	clear(b.creates)
	clear(b.creating)
	b.creates = b.creates[:0]
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
	s.flushCreates(context.WithValue(ctx, batchKey{}, b), b)
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
