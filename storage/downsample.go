package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// Downsample implements dm.TelemetryStore. Buckets are computed in SQL
// (integer division of Unix microseconds on SQLite, date_bin on
// PostgreSQL); "last" picks each bucket's newest row with a window
// function.
func (r TelemetryRepo) Downsample(ctx context.Context, q dm.TelemetryQuery, interval time.Duration, agg models.Aggregate) ([]models.TelemetryBucket, error) {
	s := r.s
	what := fmt.Sprintf("downsample telemetry of device %d by %s per %s", q.DeviceID, agg, interval)
	if interval < time.Microsecond {
		return nil, s.wrap(fmt.Errorf("%w: interval %s is shorter than a microsecond", dm.ErrInvalid, interval), what)
	}
	limit, err := telemetryLimit(q.Limit)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	w, err := r.filter(q)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	bucket := s.d.BucketExpr("ts", interval.Truncate(time.Microsecond))
	dir := ""
	if q.Descending {
		dir = " DESC"
	}
	var query string
	switch agg {
	case models.AggMin, models.AggMax, models.AggAvg:
		fn := strings.ToUpper(string(agg))
		w.add("num IS NOT NULL")
		query = "SELECT key, " + bucket + " AS b, " + fn + "(num), COUNT(num) FROM telemetry" + w.sql() +
			" GROUP BY key, " + bucket + " ORDER BY b" + dir + ", key LIMIT ?"
	case models.AggLast:
		query = "SELECT key, b, vtype, num, txt, cnt FROM (SELECT key, " + bucket + " AS b, vtype, num, txt, " +
			"ROW_NUMBER() OVER (PARTITION BY key, " + bucket + " ORDER BY ts DESC) AS rn, " +
			"COUNT(*) OVER (PARTITION BY key, " + bucket + ") AS cnt FROM telemetry" + w.sql() +
			") t WHERE rn = 1 ORDER BY b" + dir + ", key LIMIT ?"
	default:
		return nil, s.wrap(fmt.Errorf("%w: aggregate %q (want min, max, avg or last)", dm.ErrInvalid, agg), what)
	}
	rows, err := s.r.QueryContext(ctx, s.q(query), append(w.args, limit)...)
	if err != nil {
		return nil, s.wrap(err, what)
	}
	return collect(rows, func(sc scanner) (models.TelemetryBucket, error) {
		var b models.TelemetryBucket
		var start dbTime
		if agg != models.AggLast {
			var v float64
			if err := sc.Scan(&b.Key, &start, &v, &b.Count); err != nil {
				return b, err
			}
			b.Time, b.Value = start.T, lwm2m.FloatValue(v)
			return b, nil
		}
		var vtype int64
		var num sql.NullFloat64
		var txt sql.NullString
		if err := sc.Scan(&b.Key, &start, &vtype, &num, &txt, &b.Count); err != nil {
			return b, err
		}
		b.Time = start.T
		var err error
		b.Value, err = decodeValue(vtype, num, txt)
		return b, err
	}, s, what)
}
