package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/dialect"
)

// AlarmRepo implements dm.AlarmStore. A partial unique index keeps one
// uncleared alarm per (device, rule).
type AlarmRepo struct{ s *Store }

var _ dm.AlarmStore = AlarmRepo{}

// Alarms returns the alarm repository.
func (s *Store) Alarms() AlarmRepo { return AlarmRepo{s} }

const alarmCols = "a.id, a.device_id, a.customer_id, a.rule, a.type, a.severity, a.state, a.message, a.details, a.count, a.started_at, a.updated_at, a.acked_at, a.acked_by, a.cleared_at"

func scanAlarm(sc scanner) (models.Alarm, error) {
	var a models.Alarm
	var cust sql.NullInt64
	var sev, state string
	var details sql.NullString
	var started, updated, acked, cleared dbTime
	err := sc.Scan(&a.ID, &a.DeviceID, &cust, &a.Rule, &a.Type, &sev, &state, &a.Message, &details, &a.Count,
		&started, &updated, &acked, &a.AckedBy, &cleared)
	a.CustomerID, a.Severity, a.State = cust.Int64, models.AlarmSeverity(sev), models.AlarmState(state)
	if details.Valid {
		a.Details = json.RawMessage(details.String)
	}
	a.StartedAt, a.UpdatedAt, a.AckedAt, a.ClearedAt = started.T, updated.T, acked.T, cleared.T
	return a, err
}

func jsonText(raw json.RawMessage, field string) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%w: %s is not JSON", dm.ErrInvalid, field)
	}
	return string(raw), nil
}

// Raise implements dm.AlarmStore.
func (r AlarmRepo) Raise(ctx context.Context, a *models.Alarm) (bool, error) {
	s := r.s
	what := fmt.Sprintf("raise alarm %q on device %d", a.Rule, a.DeviceID)
	if a.DeviceID == 0 || a.Rule == "" || a.Type == "" || a.Severity == "" {
		return false, s.wrap(fmt.Errorf("%w: an alarm needs a device, rule, type and severity", dm.ErrInvalid), what)
	}
	details, err := jsonText(a.Details, "alarm details")
	if err != nil {
		return false, s.wrap(err, what)
	}
	now := s.now()
	created := false
	raise := func(tx *sqlTx) error {
		var id int64
		err := tx.GetContext(ctx, &id, s.q("SELECT id FROM alarms WHERE device_id = ? AND rule = ? AND state <> 'cleared'"+s.d.ForUpdate()), a.DeviceID, a.Rule)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			a.State, a.Count, a.UpdatedAt = models.AlarmActive, 1, now
			if a.StartedAt.IsZero() {
				a.StartedAt = now
			}
			return tx.QueryRowxContext(ctx, s.q(`INSERT INTO alarms (device_id, customer_id, rule, type, severity, state, message, details, count, started_at, updated_at, acked_by)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, '') RETURNING id`),
				a.DeviceID, nullID(a.CustomerID), a.Rule, a.Type, string(a.Severity), string(a.State), a.Message, details,
				s.t(a.StartedAt), s.t(a.UpdatedAt)).Scan(&a.ID)
		case err != nil:
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE alarms SET type = ?, severity = ?, message = ?, details = ?, count = count + 1, updated_at = ? WHERE id = ?"),
			a.Type, string(a.Severity), a.Message, details, s.t(now), id); err != nil {
			return err
		}
		*a, err = scanAlarm(tx.QueryRowxContext(ctx, s.q("SELECT "+alarmCols+" FROM alarms a WHERE a.id = ?"), id))
		return err
	}
	err = s.inTx(ctx, raise)
	if v, _ := s.d.Classify(err); v == dialect.Unique {
		// Another node inserted the alarm between our SELECT and INSERT
		// (PostgreSQL cannot lock a row that does not exist yet): it exists
		// now, so the retry updates it.
		created = false
		err = s.inTx(ctx, raise)
	}
	return created, s.wrap(err, what)
}

// Get implements dm.AlarmStore.
func (r AlarmRepo) Get(ctx context.Context, id int64) (models.Alarm, error) {
	a, err := scanAlarm(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+alarmCols+" FROM alarms a WHERE a.id = ?"), id))
	return a, r.s.wrap(err, fmt.Sprintf("alarm %d", id))
}

// List implements dm.AlarmStore.
func (r AlarmRepo) List(ctx context.Context, f dm.AlarmFilter, p dm.PageRequest) (dm.Page[models.Alarm], error) {
	lq := listQuery{cols: alarmCols, from: "alarms a", desc: true}
	w := &lq.w
	if f.DeviceID != 0 {
		w.add("a.device_id = ?", f.DeviceID)
	}
	if f.CustomerID != 0 {
		w.add("a.customer_id = ?", f.CustomerID)
	}
	if f.Rule != "" {
		w.add("a.rule = ?", f.Rule)
	}
	in(w, "a.state", f.States)
	in(w, "a.severity", f.Severities)
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.Alarm, int64, error) {
		a, err := scanAlarm(rows)
		return a, a.ID, err
	})
	return out, r.s.wrap(err, "list alarms")
}

// change loads alarm id under lock, applies fn and stores the result.
func (r AlarmRepo) change(ctx context.Context, id int64, what string, fn func(a *models.Alarm) (bool, error)) (models.Alarm, error) {
	s := r.s
	var a models.Alarm
	err := s.inTx(ctx, func(tx *sqlTx) error {
		var err error
		if a, err = scanAlarm(tx.QueryRowxContext(ctx, s.q("SELECT "+alarmCols+" FROM alarms a WHERE a.id = ?"+s.d.ForUpdate()), id)); err != nil {
			return err
		}
		if ok, err := fn(&a); err != nil || !ok {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q("UPDATE alarms SET state = ?, updated_at = ?, acked_at = ?, acked_by = ?, cleared_at = ? WHERE id = ?"),
			string(a.State), s.t(a.UpdatedAt), s.t(a.AckedAt), a.AckedBy, s.t(a.ClearedAt), a.ID)
		return err
	})
	return a, s.wrap(err, what)
}

func (s *Store) stampTime(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Acknowledge implements dm.AlarmStore.
func (r AlarmRepo) Acknowledge(ctx context.Context, id int64, by string, at time.Time) (models.Alarm, error) {
	at = r.s.stampTime(at)
	return r.change(ctx, id, fmt.Sprintf("acknowledge alarm %d", id), func(a *models.Alarm) (bool, error) {
		switch a.State {
		case models.AlarmAcknowledged:
			return false, nil
		case models.AlarmCleared:
			return false, fmt.Errorf("%w: alarm %d is already cleared", dm.ErrConflict, a.ID)
		}
		a.State, a.AckedAt, a.AckedBy, a.UpdatedAt = models.AlarmAcknowledged, at, by, at
		return true, nil
	})
}

// Clear implements dm.AlarmStore.
func (r AlarmRepo) Clear(ctx context.Context, id int64, at time.Time) (models.Alarm, error) {
	at = r.s.stampTime(at)
	return r.change(ctx, id, fmt.Sprintf("clear alarm %d", id), func(a *models.Alarm) (bool, error) {
		if a.State == models.AlarmCleared {
			return false, nil
		}
		a.State, a.ClearedAt, a.UpdatedAt = models.AlarmCleared, at, at
		return true, nil
	})
}

// ClearRule implements dm.AlarmStore.
func (r AlarmRepo) ClearRule(ctx context.Context, deviceID int64, rule string, at time.Time) (models.Alarm, bool, error) {
	var id int64
	err := r.s.r.GetContext(ctx, &id, r.s.q("SELECT id FROM alarms WHERE device_id = ? AND rule = ? AND state <> 'cleared'"), deviceID, rule)
	if errors.Is(err, sql.ErrNoRows) {
		return models.Alarm{}, false, nil
	}
	if err != nil {
		return models.Alarm{}, false, r.s.wrap(err, fmt.Sprintf("clear alarm %q of device %d", rule, deviceID))
	}
	a, err := r.Clear(ctx, id, at)
	return a, err == nil, err
}
