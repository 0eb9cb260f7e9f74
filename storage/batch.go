package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

var _ dm.BatchStore = (*Store)(nil)

const (
	createDeviceQuery = `INSERT INTO devices (endpoint, name, customer_id, profile_id, status, last_seen, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	setStatusQuery   = "UPDATE devices SET status = ?, last_seen = COALESCE(?, last_seen) WHERE id = ?"
	insertEventQuery = `INSERT INTO events (ts, device_id, endpoint, customer_id, category, type, actor, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	appendEventQuery = insertEventQuery + " RETURNING id"
)

// rowCtx is the context of the statements run inside a batch's
// transaction: not cancellable, so the SQLite driver runs each on the
// calling goroutine instead of starting one per statement to watch ctx
// (the transaction's begin still honours ctx, and every row takes
// microseconds).
func rowCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

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
	// SQLite reports the new row's id with the insert (last_insert_rowid):
	// cheaper than reading a RETURNING row back.
	lastID := s.d.Name() == BackendSQLite
	eq := appendEventQuery
	if lastID {
		eq = insertEventQuery
	}
	ins, err := s.prepared(ctx, s.q(eq))
	if err != nil {
		return s.wrap(err, what)
	}
	ids := make([]int64, len(evs))
	err = s.inTx(ctx, func(tx *sqlTx) error {
		rctx := rowCtx(ctx)
		if len(sts) > 0 && !lastID {
			if err := s.updateStatusRows(rctx, tx, sts); err != nil {
				return err
			}
		} else if len(sts) > 0 {
			u := tx.StmtContext(rctx, upd)
			for i, c := range sts {
				if err := affected(u.ExecContext(rctx, string(c.Status), s.t(c.LastSeen), c.DeviceID)); err != nil {
					return fmt.Errorf("status %d of device %d: %w", i, c.DeviceID, err)
				}
			}
		}
		if len(evs) > 0 && !lastID {
			return s.insertEventRows(rctx, tx, evs, data, ids)
		}
		if len(evs) > 0 {
			in := tx.StmtContext(rctx, ins)
			for i, e := range evs {
				args := []any{s.t(e.Time), nullID(e.DeviceID), e.Endpoint, nullID(e.CustomerID), string(e.Category), e.Type, e.Actor, data[i]}
				var err error
				if lastID {
					var res sql.Result
					if res, err = in.ExecContext(rctx, args...); err == nil {
						ids[i], err = res.LastInsertId()
					}
				} else {
					err = in.QueryRowContext(rctx, args...).Scan(&ids[i])
				}
				if err != nil {
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

// eventChunk bounds the rows of one multi-row event INSERT (8 parameters
// each, under PostgreSQL's 65535).
const eventChunk = 500

var eventColumns = []string{"ts", "device_id", "endpoint", "customer_id", "category", "type", "actor", "data"}

// insertEventRows appends evs with multi-row INSERTs (one round trip per
// chunk rather than per event, for PostgreSQL) and fills ids. The ids of
// one INSERT are drawn from the sequence row by row in VALUES order, so
// sorted they belong to the rows in order, whatever order RETURNING
// lists them in.
func (s *Store) insertEventRows(ctx context.Context, tx *sqlTx, evs []*models.Event, data []any, ids []int64) error {
	for start := 0; start < len(evs); start += eventChunk {
		chunk := evs[start:min(start+eventChunk, len(evs))]
		args := make([]any, 0, len(eventColumns)*len(chunk))
		for i, e := range chunk {
			args = append(args, s.t(e.Time), nullID(e.DeviceID), e.Endpoint, nullID(e.CustomerID), string(e.Category), e.Type, e.Actor, data[start+i])
		}
		rows, err := tx.QueryContext(ctx, s.insertQuery("events", eventColumns, len(chunk))+" RETURNING id", args...)
		if err != nil {
			return fmt.Errorf("events %d-%d: %w", start, start+len(chunk)-1, err)
		}
		got := ids[start:start]
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			got = append(got, id)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("events %d-%d: %w", start, start+len(chunk)-1, err)
		}
		if len(got) != len(chunk) {
			return fmt.Errorf("events %d-%d: %d ids returned", start, start+len(chunk)-1, len(got))
		}
		slices.Sort(got)
	}
	return nil
}

// CreateDevices implements dm.BatchStore: DeviceRepo.Create for many
// devices in one transaction, all or nothing (a duplicate endpoint fails
// the batch with ErrConflict).
func (s *Store) CreateDevices(ctx context.Context, ds []*models.Device) error {
	what := fmt.Sprintf("create %d devices", len(ds))
	if len(ds) == 0 {
		return nil
	}
	now := s.now()
	for i, d := range ds {
		if err := validateDevice(d); err != nil {
			return s.wrap(fmt.Errorf("device %d (%q): %w", i, d.Endpoint, err), what)
		}
	}
	ins, err := s.prepared(ctx, s.q(createDeviceQuery))
	if err != nil {
		return s.wrap(err, what)
	}
	ids := make([]int64, len(ds))
	err = s.inTx(ctx, func(tx *sqlTx) error {
		rctx := rowCtx(ctx)
		if s.d.Name() != BackendSQLite {
			if err := s.insertDeviceRows(rctx, tx, ds, now, ids); err != nil {
				return err
			}
			for i, d := range ds {
				if err := s.putLabels(rctx, tx, deviceLabels, ids[i], d.Labels, false); err != nil {
					return fmt.Errorf("labels of device %d (%q): %w", i, d.Endpoint, err)
				}
			}
			return nil
		}
		in := tx.StmtContext(rctx, ins)
		for i, d := range ds {
			created, updated, status := d.CreatedAt, d.UpdatedAt, d.Status
			if created.IsZero() {
				created = now
			}
			if updated.IsZero() {
				updated = created
			}
			if status == "" {
				status = models.StatusNever
			}
			if err := in.QueryRowContext(rctx, d.Endpoint, d.Name, nullID(d.CustomerID), nullID(d.ProfileID), string(status),
				s.t(d.LastSeen), s.t(created), s.t(updated)).Scan(&ids[i]); err != nil {
				return fmt.Errorf("device %d (%q): %w", i, d.Endpoint, err)
			}
			if err := s.putLabels(rctx, tx, deviceLabels, ids[i], d.Labels, false); err != nil {
				return fmt.Errorf("labels of device %d (%q): %w", i, d.Endpoint, err)
			}
		}
		return nil
	})
	if err != nil {
		return s.wrap(err, what)
	}
	for i, d := range ds {
		d.ID = ids[i]
		if d.CreatedAt.IsZero() {
			d.CreatedAt = now
		}
		if d.UpdatedAt.IsZero() {
			d.UpdatedAt = d.CreatedAt
		}
		if d.Status == "" {
			d.Status = models.StatusNever
		}
	}
	return nil
}

var deviceColumns = []string{"endpoint", "name", "customer_id", "profile_id", "status", "last_seen", "created_at", "updated_at"}

// insertDeviceRows inserts ds with multi-row INSERTs (a round trip per
// chunk, for PostgreSQL) and fills ids, matched by endpoint (unique).
func (s *Store) insertDeviceRows(ctx context.Context, tx *sqlTx, ds []*models.Device, now time.Time, ids []int64) error {
	for start := 0; start < len(ds); start += eventChunk {
		chunk := ds[start:min(start+eventChunk, len(ds))]
		args := make([]any, 0, len(deviceColumns)*len(chunk))
		at := make(map[string]int, len(chunk))
		for i, d := range chunk {
			created, updated, status := d.CreatedAt, d.UpdatedAt, d.Status
			if created.IsZero() {
				created = now
			}
			if updated.IsZero() {
				updated = created
			}
			if status == "" {
				status = models.StatusNever
			}
			args = append(args, d.Endpoint, d.Name, nullID(d.CustomerID), nullID(d.ProfileID), string(status), s.t(d.LastSeen), s.t(created), s.t(updated))
			at[d.Endpoint] = start + i
		}
		rows, err := tx.QueryContext(ctx, s.insertQuery("devices", deviceColumns, len(chunk))+" RETURNING id, endpoint", args...)
		if err != nil {
			return fmt.Errorf("devices %d-%d: %w", start, start+len(chunk)-1, err)
		}
		n := 0
		for rows.Next() {
			var id int64
			var ep string
			if err := rows.Scan(&id, &ep); err != nil {
				rows.Close()
				return err
			}
			if j, ok := at[ep]; ok {
				ids[j] = id
				n++
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("devices %d-%d: %w", start, start+len(chunk)-1, err)
		}
		if n != len(chunk) {
			return fmt.Errorf("devices %d-%d: %d ids returned", start, start+len(chunk)-1, n)
		}
	}
	return nil
}

// updateStatusRows applies status changes with one UPDATE … FROM (VALUES
// …) per 500 devices (for PostgreSQL: a round trip per chunk, not per
// row). Several changes of one device fold into what applying them in
// order leaves: the last status, the last non-zero last-seen.
func (s *Store) updateStatusRows(ctx context.Context, tx *sqlTx, sts []dm.StatusChange) error {
	type change struct {
		status   models.DeviceStatus
		lastSeen time.Time
	}
	folded := map[int64]*change{}
	var order []int64
	for _, c := range sts {
		f := folded[c.DeviceID]
		if f == nil {
			f = &change{}
			folded[c.DeviceID] = f
			order = append(order, c.DeviceID)
		}
		f.status = c.Status
		if !c.LastSeen.IsZero() {
			f.lastSeen = c.LastSeen
		}
	}
	for start := 0; start < len(order); start += eventChunk {
		ids := order[start:min(start+eventChunk, len(order))]
		var b strings.Builder
		args := make([]any, 0, 3*len(ids))
		for i, id := range ids {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TIMESTAMPTZ))")
			f := folded[id]
			args = append(args, id, string(f.status), s.t(f.lastSeen))
		}
		q := "UPDATE devices AS d SET status = v.status, last_seen = COALESCE(v.last_seen, d.last_seen) FROM (VALUES " +
			b.String() + ") AS v(id, status, last_seen) WHERE d.id = v.id"
		res, err := tx.ExecContext(ctx, s.q(q), args...)
		if err != nil {
			return fmt.Errorf("statuses of %d devices: %w", len(ids), err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != int64(len(ids)) {
			return fmt.Errorf("statuses of %d devices: %d updated (a device is gone): %w", len(ids), n, sql.ErrNoRows)
		}
	}
	return nil
}
