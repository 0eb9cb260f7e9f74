package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// Command state transitions:
//
//	pending --Claim--> sent --Complete--> succeeded | failed
//	                   sent --Fail-----> pending (retry) | failed
//	pending|sent --Cancel--> cancelled
//	pending --Expire/Claim (past ExpiresAt)--> expired
//	sent --Recover (at start)--> pending
//
// Completing or failing a terminal command changes nothing (at-least-once
// delivery can report a result twice).

// Claim implements dm.CommandQueue.
func (r CommandRepo) Claim(ctx context.Context, deviceID int64, now time.Time) (models.Command, bool, error) {
	s := r.s
	if now.IsZero() {
		now = s.now()
	}
	var c models.Command
	var ok bool
	err := s.inTx(ctx, func(tx *sqlTx) error {
		if _, err := r.lockDevice(ctx, tx, deviceID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE commands SET state = 'expired', updated_at = ?
			WHERE device_id = ? AND state = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?`), s.t(now), deviceID, s.t(now)); err != nil {
			return err
		}
		var sent int
		if err := tx.GetContext(ctx, &sent, s.q("SELECT count(*) FROM commands WHERE device_id = ? AND state = 'sent'"), deviceID); err != nil || sent > 0 {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.q("SELECT "+commandCols+" FROM commands a WHERE a.device_id = ? AND a.state = 'pending' ORDER BY a.id LIMIT 1"), deviceID)
		if err != nil {
			return err
		}
		heads, err := collect(rows, scanCommand, s, "head")
		if err != nil || len(heads) == 0 || heads[0].NextAttemptAt.After(now) {
			return err
		}
		c = heads[0]
		c.State, c.Attempts, c.UpdatedAt, ok = models.CommandSent, c.Attempts+1, now.UTC().Truncate(time.Microsecond), true
		_, err = tx.ExecContext(ctx, s.q("UPDATE commands SET state = 'sent', attempts = ?, updated_at = ? WHERE id = ?"), c.Attempts, s.t(now), c.ID)
		return err
	})
	if err != nil {
		return models.Command{}, false, s.wrap(err, fmt.Sprintf("claim a command of device %d", deviceID))
	}
	return c, ok, nil
}

// transition loads command id under lock and applies fn, which returns the
// new state of the command, or false to leave it unchanged.
func (r CommandRepo) transition(ctx context.Context, id int64, what string, fn func(c *models.Command) (bool, error)) (models.Command, error) {
	s := r.s
	var c models.Command
	err := s.inTx(ctx, func(tx *sqlTx) error {
		var dev int64
		if err := tx.GetContext(ctx, &dev, s.q("SELECT device_id FROM commands WHERE id = ?"), id); err != nil {
			return err
		}
		if _, err := r.lockDevice(ctx, tx, dev); err != nil {
			return err
		}
		var err error
		if c, err = scanCommand(tx.QueryRowxContext(ctx, s.q("SELECT "+commandCols+" FROM commands a WHERE a.id = ?"), id)); err != nil {
			return err
		}
		change, err := fn(&c)
		if err != nil || !change {
			return err
		}
		var result any
		if c.Result != nil {
			b, err := json.Marshal(c.Result)
			if err != nil {
				return fmt.Errorf("%w: result: %v", dm.ErrInvalid, err)
			}
			result = string(b)
		}
		_, err = tx.ExecContext(ctx, s.q("UPDATE commands SET state = ?, next_attempt_at = ?, updated_at = ?, result = ?, error = ? WHERE id = ?"),
			string(c.State), s.t(c.NextAttemptAt), s.t(c.UpdatedAt), result, c.Error, c.ID)
		return err
	})
	return c, s.wrap(err, what)
}

func (r CommandRepo) stampNow(now time.Time) time.Time {
	if now.IsZero() {
		return r.s.now()
	}
	return now.UTC().Truncate(time.Microsecond)
}

// Complete implements dm.CommandQueue. A nil res counts as success.
func (r CommandRepo) Complete(ctx context.Context, id int64, res *lwm2m.Response, now time.Time) (models.Command, error) {
	now = r.stampNow(now)
	return r.transition(ctx, id, fmt.Sprintf("complete command %d", id), func(c *models.Command) (bool, error) {
		if c.State.Terminal() {
			return false, nil
		}
		c.State, c.Result, c.Error, c.UpdatedAt = models.CommandSucceeded, res, "", now
		if res != nil && !res.Code.IsSuccess() {
			c.State, c.Error = models.CommandFailed, res.Err().Error()
		}
		return true, nil
	})
}

// Fail implements dm.CommandQueue.
func (r CommandRepo) Fail(ctx context.Context, id int64, reason string, retryAt, now time.Time) (models.Command, error) {
	now = r.stampNow(now)
	return r.transition(ctx, id, fmt.Sprintf("fail command %d", id), func(c *models.Command) (bool, error) {
		if c.State.Terminal() {
			return false, nil
		}
		c.Error, c.UpdatedAt = reason, now
		retry := !retryAt.IsZero() && c.Attempts < max(c.MaxAttempts, 1) && (c.ExpiresAt.IsZero() || retryAt.Before(c.ExpiresAt))
		if retry {
			c.State, c.NextAttemptAt = models.CommandPending, retryAt.UTC().Truncate(time.Microsecond)
		} else {
			c.State = models.CommandFailed
		}
		return true, nil
	})
}

// Cancel implements dm.CommandQueue.
func (r CommandRepo) Cancel(ctx context.Context, id int64, now time.Time) (models.Command, error) {
	now = r.stampNow(now)
	return r.transition(ctx, id, fmt.Sprintf("cancel command %d", id), func(c *models.Command) (bool, error) {
		switch {
		case c.State == models.CommandCancelled:
			return false, nil
		case c.State.Terminal():
			return false, fmt.Errorf("%w: command %d already %s", dm.ErrConflict, c.ID, c.State)
		}
		c.State, c.UpdatedAt = models.CommandCancelled, now
		return true, nil
	})
}

// bulk runs one state-changing UPDATE and returns the rows it touched.
func (r CommandRepo) bulk(ctx context.Context, what, query string, args ...any) (int64, error) {
	res, err := r.s.w.ExecContext(ctx, r.s.q(query), args...)
	if err != nil {
		return 0, r.s.wrap(err, what)
	}
	n, err := res.RowsAffected()
	return n, r.s.wrap(err, what)
}

// CancelDevice implements dm.CommandQueue.
func (r CommandRepo) CancelDevice(ctx context.Context, deviceID int64, now time.Time) (int64, error) {
	return r.bulk(ctx, fmt.Sprintf("cancel commands of device %d", deviceID),
		"UPDATE commands SET state = 'cancelled', updated_at = ? WHERE device_id = ? AND state IN ('pending', 'sent')",
		r.s.t(r.stampNow(now)), deviceID)
}

// Expire implements dm.CommandQueue.
func (r CommandRepo) Expire(ctx context.Context, now time.Time) (int64, error) {
	t := r.s.t(r.stampNow(now))
	return r.bulk(ctx, "expire commands",
		"UPDATE commands SET state = 'expired', updated_at = ? WHERE state = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?", t, t)
}

// Recover implements dm.CommandQueue: commands left in flight by a crash
// become pending again (their attempt stays counted).
func (r CommandRepo) Recover(ctx context.Context, now time.Time) (int64, error) {
	return r.bulk(ctx, "recover in-flight commands",
		"UPDATE commands SET state = 'pending', updated_at = ? WHERE state = 'sent'", r.s.t(r.stampNow(now)))
}
