package dm

import (
	"context"
	"fmt"
	"slices"

	"github.com/shoal-iot/shoal/models"
)

// Telemetry returns a device's time series: raw points, or buckets when
// q.Interval > 0 (Agg defaults to avg). Series come out in key order.
func (s *Service) Telemetry(ctx context.Context, who Principal, endpoint string, q TelemetryRequest) ([]TelemetrySeries, error) {
	d, err := s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return nil, err
	}
	switch {
	case q.Limit < 0:
		return nil, fmt.Errorf("%w: limit: %d is negative", ErrInvalid, q.Limit)
	case q.Interval < 0:
		return nil, fmt.Errorf("%w: interval: %v is negative", ErrInvalid, q.Interval)
	case !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To):
		return nil, fmt.Errorf("%w: from: %s is not before to %s", ErrInvalid, q.From, q.To)
	}
	tq := TelemetryQuery{DeviceID: d.ID, Keys: q.Keys, From: q.From, To: q.To, Limit: q.Limit}
	if q.Interval == 0 {
		if q.Agg != "" {
			return nil, fmt.Errorf("%w: agg: needs an interval", ErrInvalid)
		}
		pts, err := s.st.Telemetry.Query(ctx, tq)
		if err != nil {
			return nil, err
		}
		by := map[string]*TelemetrySeries{}
		for _, p := range pts {
			sr := by[p.Key]
			if sr == nil {
				sr = &TelemetrySeries{Key: p.Key}
				by[p.Key] = sr
			}
			sr.Points = append(sr.Points, p)
		}
		return sorted(by), nil
	}
	agg := q.Agg
	switch agg {
	case "":
		agg = models.AggAvg
	case models.AggMin, models.AggMax, models.AggAvg, models.AggLast:
	default:
		return nil, fmt.Errorf("%w: agg: %q is not min, max, avg or last", ErrInvalid, q.Agg)
	}
	bs, err := s.st.Telemetry.Downsample(ctx, tq, q.Interval, agg)
	if err != nil {
		return nil, err
	}
	by := map[string]*TelemetrySeries{}
	for _, b := range bs {
		sr := by[b.Key]
		if sr == nil {
			sr = &TelemetrySeries{Key: b.Key}
			by[b.Key] = sr
		}
		sr.Buckets = append(sr.Buckets, b)
	}
	return sorted(by), nil
}

func sorted(by map[string]*TelemetrySeries) []TelemetrySeries {
	out := make([]TelemetrySeries, 0, len(by))
	for _, sr := range by {
		out = append(out, *sr)
	}
	slices.SortFunc(out, func(a, b TelemetrySeries) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return out
}

// Attributes returns a device's latest values in path order.
func (s *Service) Attributes(ctx context.Context, who Principal, endpoint string) ([]models.AttributeValue, error) {
	d, err := s.deviceFor(ctx, who, endpoint)
	if err != nil {
		return nil, err
	}
	return s.st.Attributes.Latest(ctx, d.ID)
}
