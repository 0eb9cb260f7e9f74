package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// CommandRepo implements dm.CommandQueue (see commandstate.go for the
// state transitions). Every change runs in a write transaction that first
// locks the device row (FOR UPDATE on PostgreSQL; SQLite has one writer),
// so per-device ordering and the one-in-flight rule hold across server
// nodes sharing a PostgreSQL database.
type CommandRepo struct{ s *Store }

var _ dm.CommandQueue = CommandRepo{}

// Commands returns the command queue.
func (s *Store) Commands() CommandRepo { return CommandRepo{s} }

const commandCols = "a.id, a.device_id, a.endpoint, a.request, a.state, a.attempts, a.max_attempts, a.next_attempt_at, a.expires_at, a.created_at, a.updated_at, a.result, a.error"

func scanCommand(sc scanner) (models.Command, error) {
	var c models.Command
	var req, state string
	var result sql.NullString
	var next, exp, created, updated dbTime
	if err := sc.Scan(&c.ID, &c.DeviceID, &c.Endpoint, &req, &state, &c.Attempts, &c.MaxAttempts, &next, &exp, &created, &updated, &result, &c.Error); err != nil {
		return c, err
	}
	c.State = models.CommandState(state)
	c.NextAttemptAt, c.ExpiresAt, c.CreatedAt, c.UpdatedAt = next.T, exp.T, created.T, updated.T
	if err := json.Unmarshal([]byte(req), &c.Request); err != nil {
		return c, fmt.Errorf("command %d: stored request: %w", c.ID, err)
	}
	if result.Valid && result.String != "" {
		c.Result = new(lwm2m.Response)
		if err := json.Unmarshal([]byte(result.String), c.Result); err != nil {
			return c, fmt.Errorf("command %d: stored result: %w", c.ID, err)
		}
	}
	return c, nil
}

// lockDevice locks the device row for the rest of the transaction and
// returns its endpoint; a missing device is sql.ErrNoRows.
func (r CommandRepo) lockDevice(ctx context.Context, tx *sqlTx, deviceID int64) (string, error) {
	var ep string
	err := tx.GetContext(ctx, &ep, r.s.q("SELECT endpoint FROM devices WHERE id = ?"+r.s.d.ForUpdate()), deviceID)
	return ep, err
}

func (r CommandRepo) active(ctx context.Context, tx *sqlTx, deviceID int64) (int, error) {
	var n int
	err := tx.GetContext(ctx, &n, r.s.q("SELECT count(*) FROM commands WHERE device_id = ? AND state IN ('pending', 'sent')"), deviceID)
	return n, err
}

// Enqueue implements dm.CommandQueue.
func (r CommandRepo) Enqueue(ctx context.Context, c *models.Command) error {
	s := r.s
	what := fmt.Sprintf("enqueue %s command for device %d", c.Request.Op, c.DeviceID)
	if c.DeviceID == 0 {
		return s.wrap(fmt.Errorf("%w: command without a device", dm.ErrInvalid), what)
	}
	if err := c.Request.Validate(); err != nil {
		return s.wrap(fmt.Errorf("%w: %v", dm.ErrInvalid, err), what)
	}
	req, err := json.Marshal(c.Request)
	if err != nil {
		return s.wrap(fmt.Errorf("%w: request: %v", dm.ErrInvalid, err), what)
	}
	now := s.now()
	c.State, c.Attempts, c.Result, c.Error = models.CommandPending, 0, nil, ""
	c.MaxAttempts = max(c.MaxAttempts, 1)
	stamp(s, &c.CreatedAt, &c.UpdatedAt)
	if c.NextAttemptAt.IsZero() {
		c.NextAttemptAt = now
	}
	err = s.inTx(ctx, func(tx *sqlTx) error {
		ep, err := r.lockDevice(ctx, tx, c.DeviceID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: device %d does not exist", dm.ErrInvalid, c.DeviceID)
		}
		if err != nil {
			return err
		}
		if c.Endpoint == "" {
			c.Endpoint = ep
		}
		n, err := r.active(ctx, tx, c.DeviceID)
		if err != nil {
			return err
		}
		if n >= s.opts.QueueDepth {
			return fmt.Errorf("%w: %d commands already queued (limit %d)", dm.ErrQueueFull, n, s.opts.QueueDepth)
		}
		return tx.QueryRowxContext(ctx, s.q(`INSERT INTO commands (device_id, endpoint, request, state, attempts, max_attempts, next_attempt_at, expires_at, created_at, updated_at, error)
			VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, '') RETURNING id`),
			c.DeviceID, c.Endpoint, string(req), string(c.State), c.MaxAttempts, s.t(c.NextAttemptAt), s.t(c.ExpiresAt),
			s.t(c.CreatedAt), s.t(c.UpdatedAt)).Scan(&c.ID)
	})
	return s.wrap(err, what)
}

// Get implements dm.CommandQueue.
func (r CommandRepo) Get(ctx context.Context, id int64) (models.Command, error) {
	c, err := scanCommand(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+commandCols+" FROM commands a WHERE a.id = ?"), id))
	return c, r.s.wrap(err, fmt.Sprintf("command %d", id))
}

// List implements dm.CommandQueue.
func (r CommandRepo) List(ctx context.Context, f dm.CommandFilter, p dm.PageRequest) (dm.Page[models.Command], error) {
	lq := listQuery{cols: commandCols, from: "commands a"}
	if f.DeviceID != 0 {
		lq.w.add("a.device_id = ?", f.DeviceID)
	}
	in(&lq.w, "a.state", f.States)
	if f.CustomerID != 0 {
		lq.w.add("a.device_id IN (SELECT id FROM devices WHERE customer_id = ?)", f.CustomerID)
	}
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.Command, int64, error) {
		c, err := scanCommand(rows)
		return c, c.ID, err
	})
	return out, r.s.wrap(err, "list commands")
}

// Depth implements dm.CommandQueue.
func (r CommandRepo) Depth(ctx context.Context, deviceID int64) (int, error) {
	var n int
	err := r.s.r.GetContext(ctx, &n, r.s.q("SELECT count(*) FROM commands WHERE device_id = ? AND state IN ('pending', 'sent')"), deviceID)
	return n, r.s.wrap(err, fmt.Sprintf("queue depth of device %d", deviceID))
}

// Ready implements dm.CommandQueue.
func (r CommandRepo) Ready(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	s := r.s
	if limit <= 0 {
		limit = dm.MaxPageLimit
	}
	var ids []int64
	err := s.r.SelectContext(ctx, &ids, s.q(`SELECT c.device_id FROM commands c
		WHERE c.state = 'pending' AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= ?)
		AND c.id = (SELECT MIN(h.id) FROM commands h WHERE h.device_id = c.device_id AND h.state = 'pending')
		AND NOT EXISTS (SELECT 1 FROM commands f WHERE f.device_id = c.device_id AND f.state = 'sent')
		ORDER BY c.device_id LIMIT ?`), s.t(now), limit)
	return ids, s.wrap(err, "devices with ready commands")
}
