package storage

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/dialect"
)

// TelemetryRepo implements dm.TelemetryStore.
type TelemetryRepo struct{ s *Store }

var _ dm.TelemetryStore = TelemetryRepo{}

// Telemetry returns the time-series repository.
func (s *Store) Telemetry() TelemetryRepo { return TelemetryRepo{s} }

// telemetryChunk rows per multi-row INSERT (6 parameters each, well under
// SQLite's 32766 and PostgreSQL's 65535 parameter limits). Full chunks reuse
// one prepared statement.
const telemetryChunk = 500

// copyThreshold: batches at least this large use the dialect's bulk copy.
const copyThreshold = 64

var telemetryColumns = []string{"device_id", "key", "ts", "vtype", "num", "txt"}

// Append implements dm.TelemetryStore: one transaction (or one COPY) per
// call. Points without a time are stamped now.
func (r TelemetryRepo) Append(ctx context.Context, pts []models.TelemetryPoint) error {
	s := r.s
	if len(pts) == 0 {
		return nil
	}
	what := fmt.Sprintf("append %d telemetry points", len(pts))
	now := s.now()
	rows := make([][]any, len(pts))
	for i := range pts {
		p := &pts[i]
		if p.DeviceID == 0 || p.Key == "" {
			return s.wrap(fmt.Errorf("%w: telemetry point %d needs a device and a key", dm.ErrInvalid, i), what)
		}
		ts := p.Time
		if ts.IsZero() {
			ts = now
		}
		c := encodeValue(p.Value)
		rows[i] = []any{p.DeviceID, p.Key, s.t(ts), c.vtype, c.num, c.txt}
	}
	if cp, ok := s.d.(dialect.Copier); ok && len(rows) >= copyThreshold {
		_, err := cp.CopyFrom(ctx, s.w, "telemetry", telemetryColumns, rows)
		return s.wrap(err, what)
	}
	// Chunks of telemetryChunk rows, then of powers of two: every chunk
	// size has one statement prepared for the store's life (preparing a
	// multi-row INSERT for each odd-sized batch cost more than running it).
	var sizes []int
	stmts := map[int]*sql.Stmt{}
	for n := len(rows); n > 0; {
		c := telemetryChunk
		if n < c {
			c = 1 << (bits.Len(uint(n)) - 1)
		}
		sizes = append(sizes, c)
		n -= c
		if stmts[c] == nil {
			st, err := s.prepared(ctx, s.insertQuery("telemetry", telemetryColumns, c))
			if err != nil {
				return s.wrap(err, what)
			}
			stmts[c] = st
		}
	}
	err := s.inTx(ctx, func(tx *sqlTx) error {
		rctx := rowCtx(ctx)
		start := 0
		args := make([]any, 0, len(telemetryColumns)*min(len(rows), telemetryChunk))
		for _, c := range sizes {
			args = args[:0]
			for _, r := range rows[start : start+c] {
				args = append(args, r...)
			}
			start += c
			if _, err := tx.StmtContext(rctx, stmts[c]).ExecContext(rctx, args...); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap(err, what)
}

func telemetryLimit(l int) (int, error) {
	switch {
	case l < 0:
		return 0, fmt.Errorf("%w: limit %d is negative", dm.ErrInvalid, l)
	case l == 0:
		return dm.DefaultTelemetryLimit, nil
	case l > dm.MaxTelemetryLimit:
		return dm.MaxTelemetryLimit, nil
	}
	return l, nil
}

func (r TelemetryRepo) filter(q dm.TelemetryQuery) (where, error) {
	var w where
	if q.DeviceID == 0 {
		return w, fmt.Errorf("%w: telemetry query without a device", dm.ErrInvalid)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return w, fmt.Errorf("%w: telemetry range from %s to %s is empty", dm.ErrInvalid, q.From.Format(time.RFC3339Nano), q.To.Format(time.RFC3339Nano))
	}
	w.add("device_id = ?", q.DeviceID)
	in(&w, "key", q.Keys)
	if !q.From.IsZero() {
		w.add("ts >= ?", r.s.t(q.From))
	}
	if !q.To.IsZero() {
		w.add("ts < ?", r.s.t(q.To))
	}
	return w, nil
}

// Query implements dm.TelemetryStore.
func (r TelemetryRepo) Query(ctx context.Context, q dm.TelemetryQuery) ([]models.TelemetryPoint, error) {
	s := r.s
	what := fmt.Sprintf("telemetry of device %d", q.DeviceID)
	limit, err := telemetryLimit(q.Limit)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	w, err := r.filter(q)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	order := " ORDER BY ts, key"
	if q.Descending {
		order = " ORDER BY ts DESC, key"
	}
	rows, err := s.r.QueryContext(ctx, s.q("SELECT key, ts, vtype, num, txt FROM telemetry"+w.sql()+order+" LIMIT ?"), append(w.args, limit)...)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	return collect(rows, func(sc scanner) (models.TelemetryPoint, error) {
		p := models.TelemetryPoint{DeviceID: q.DeviceID}
		var ts dbTime
		var vtype int64
		var num sql.NullFloat64
		var txt sql.NullString
		if err := sc.Scan(&p.Key, &ts, &vtype, &num, &txt); err != nil {
			return p, err
		}
		p.Time = ts.T
		var err error
		if p.Value, err = decodeValue(vtype, num, txt); err != nil {
			return p, fmt.Errorf("%s at %s: %w", p.Key, p.Time.Format(time.RFC3339Nano), err)
		}
		return p, nil
	}, s, what)
}

// DeleteBefore implements dm.TelemetryStore.
func (r TelemetryRepo) DeleteBefore(ctx context.Context, before time.Time, limit int) (int64, error) {
	return r.s.deleteBefore(ctx, "telemetry", "ts", before, limit)
}

// deleteBefore deletes at most limit rows of table whose time column is
// before the given time, in one short statement.
func (s *Store) deleteBefore(ctx context.Context, table, col string, before time.Time, limit int) (int64, error) {
	what := fmt.Sprintf("delete %s before %s", table, before.Format(time.RFC3339))
	if limit <= 0 {
		return 0, s.wrap(fmt.Errorf("%w: batch limit %d", dm.ErrInvalid, limit), what)
	}
	id := s.d.RowID()
	res, err := s.w.ExecContext(ctx, s.q("DELETE FROM "+table+" WHERE "+id+" IN (SELECT "+id+" FROM "+table+" WHERE "+col+" < ? LIMIT ?)"), s.t(before), limit)
	if err != nil {
		return 0, s.wrapDelete(err, what)
	}
	n, err := res.RowsAffected()
	return n, s.wrap(err, what)
}
