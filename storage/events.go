package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// EventRepo implements dm.EventStore.
type EventRepo struct{ s *Store }

var _ dm.EventStore = EventRepo{}

// Events returns the event log repository.
func (s *Store) Events() EventRepo { return EventRepo{s} }

const eventCols = "a.id, a.ts, a.device_id, a.endpoint, a.customer_id, a.category, a.type, a.actor, a.data"

func scanEvent(sc scanner) (models.Event, error) {
	var e models.Event
	var ts dbTime
	var dev, cust sql.NullInt64
	var cat string
	var data sql.NullString
	err := sc.Scan(&e.ID, &ts, &dev, &e.Endpoint, &cust, &cat, &e.Type, &e.Actor, &data)
	e.Time, e.DeviceID, e.CustomerID, e.Category = ts.T, dev.Int64, cust.Int64, models.EventCategory(cat)
	if data.Valid {
		e.Data = json.RawMessage(data.String)
	}
	return e, err
}

// Append implements dm.EventStore.
func (r EventRepo) Append(ctx context.Context, e *models.Event) error {
	s := r.s
	what := fmt.Sprintf("append %s event %q", e.Category, e.Type)
	if e.Category == "" || e.Type == "" {
		return s.wrap(fmt.Errorf("%w: an event needs a category and a type", dm.ErrInvalid), what)
	}
	var data any
	if len(e.Data) > 0 {
		if !json.Valid(e.Data) {
			return s.wrap(fmt.Errorf("%w: event data is not JSON", dm.ErrInvalid), what)
		}
		data = string(e.Data)
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	err := s.w.QueryRowxContext(ctx, s.q(`INSERT INTO events (ts, device_id, endpoint, customer_id, category, type, actor, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		s.t(e.Time), nullID(e.DeviceID), e.Endpoint, nullID(e.CustomerID), string(e.Category), e.Type, e.Actor, data).Scan(&e.ID)
	return s.wrap(err, what)
}

// List implements dm.EventStore.
func (r EventRepo) List(ctx context.Context, f dm.EventFilter, p dm.PageRequest) (dm.Page[models.Event], error) {
	s := r.s
	lq := listQuery{cols: eventCols, from: "events a", desc: true}
	w := &lq.w
	if f.DeviceID != 0 {
		w.add("a.device_id = ?", f.DeviceID)
	}
	if f.Endpoint != "" {
		w.add("a.endpoint = ?", f.Endpoint)
	}
	if f.CustomerID != 0 {
		w.add("a.customer_id = ?", f.CustomerID)
	}
	in(w, "a.category", f.Categories)
	in(w, "a.type", f.Types)
	if !f.From.IsZero() {
		w.add("a.ts >= ?", s.t(f.From))
	}
	if !f.To.IsZero() {
		w.add("a.ts < ?", s.t(f.To))
	}
	out, err := page(ctx, s, s.r, lq, p, func(rows *sql.Rows) (models.Event, int64, error) {
		e, err := scanEvent(rows)
		return e, e.ID, err
	})
	return out, s.wrap(err, "list events")
}

// DeleteBefore implements dm.EventStore.
func (r EventRepo) DeleteBefore(ctx context.Context, before time.Time, limit int) (int64, error) {
	return r.s.deleteBefore(ctx, "events", "ts", before, limit)
}
