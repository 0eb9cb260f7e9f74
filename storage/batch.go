package storage

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

var _ dm.BatchStore = (*Store)(nil)

const (
	setStatusQuery   = "UPDATE devices SET status = ?, last_seen = COALESCE(?, last_seen) WHERE id = ?"
	appendEventQuery = `INSERT INTO events (ts, device_id, endpoint, customer_id, category, type, actor, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
)

// WriteBatch implements dm.BatchStore: the status changes, then the
// events, in one transaction through statements prepared once. A status
// of a device that no longer exists fails the whole batch (dm then writes
// row by row).
func (s *Store) WriteBatch(ctx context.Context, sts []dm.StatusChange, evs []*models.Event) error {
	what := fmt.Sprintf("write %d statuses and %d events", len(sts), len(evs))
	if len(sts) == 0 && len(evs) == 0 {
		return nil
	}
	for i, c := range sts {
		if !validStatus(c.Status) {
			return s.wrap(fmt.Errorf("%w: status %d: %q", dm.ErrInvalid, i, c.Status), what)
		}
	}
	data := make([]any, len(evs))
	now := s.now()
	for i, e := range evs {
		if e.Category == "" || e.Type == "" {
			return s.wrap(fmt.Errorf("%w: event %d needs a category and a type", dm.ErrInvalid, i), what)
		}
		if len(e.Data) > 0 {
			if !json.Valid(e.Data) {
				return s.wrap(fmt.Errorf("%w: event %d (%s %q): data is not JSON", dm.ErrInvalid, i, e.Category, e.Type), what)
			}
			data[i] = string(e.Data)
		}
		if e.Time.IsZero() {
			e.Time = now
		}
	}
	upd, err := s.prepared(ctx, s.q(setStatusQuery))
	if err != nil {
		return s.wrap(err, what)
	}
	ins, err := s.prepared(ctx, s.q(appendEventQuery))
	if err != nil {
		return s.wrap(err, what)
	}
	ids := make([]int64, len(evs))
	err = s.inTx(ctx, func(tx *sqlTx) error {
		if len(sts) > 0 {
			u := tx.StmtContext(ctx, upd)
			for i, c := range sts {
				if err := affected(u.ExecContext(ctx, string(c.Status), s.t(c.LastSeen), c.DeviceID)); err != nil {
					return fmt.Errorf("status %d of device %d: %w", i, c.DeviceID, err)
				}
			}
		}
		if len(evs) > 0 {
			in := tx.StmtContext(ctx, ins)
			for i, e := range evs {
				if err := in.QueryRowContext(ctx, s.t(e.Time), nullID(e.DeviceID), e.Endpoint, nullID(e.CustomerID),
					string(e.Category), e.Type, e.Actor, data[i]).Scan(&ids[i]); err != nil {
					return fmt.Errorf("event %d (%s %q): %w", i, e.Category, e.Type, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return s.wrap(err, what)
	}
	for i, e := range evs {
		e.ID = ids[i]
	}
	return nil
}
