package storetest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// sampleValues covers every type and the values that need care: integers
// beyond 2^53, NaN, ±Inf, -0, empty and binary opaque, strings with quotes,
// NUL and invalid UTF-8.
func sampleValues() []lwm2m.Value {
	return []lwm2m.Value{
		lwm2m.IntValue(-42), lwm2m.IntValue(math.MaxInt64), lwm2m.IntValue(math.MinInt64), lwm2m.IntValue(1<<53 + 1),
		lwm2m.UintValue(math.MaxUint64), lwm2m.UintValue(7),
		lwm2m.FloatValue(21.5), lwm2m.FloatValue(math.NaN()), lwm2m.FloatValue(math.Inf(1)), lwm2m.FloatValue(math.Inf(-1)),
		lwm2m.FloatValue(math.Copysign(0, -1)), lwm2m.FloatValue(1e-300),
		lwm2m.BoolValue(true), lwm2m.BoolValue(false),
		lwm2m.StringValue(""), lwm2m.StringValue(`Shoal "q" ünï`), lwm2m.StringValue("nul\x00and\xffbad utf-8"),
		lwm2m.OpaqueValue([]byte{0, 1, 2, 0xff}), lwm2m.OpaqueValue(nil),
		lwm2m.TimeValue(T0), lwm2m.ObjlnkValue(3, 0), lwm2m.ObjlnkValue(65535, 65535),
		lwm2m.CorelnkValue(`</3/0>;ct=11543`), lwm2m.NoneValue(),
	}
}

func testAttributes(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	dev := newDevice(t, st, "d")
	var batch []models.AttributeValue
	vals := sampleValues()
	for i, v := range vals {
		batch = append(batch, models.AttributeValue{DeviceID: dev, Path: lwm2m.ResourcePath(3, 0, uint16(i)), Key: fmt.Sprintf("k%d", i), Value: v, UpdatedAt: T0})
	}
	must(t, st.Attributes().Upsert(ctx, batch))
	got, err := st.Attributes().Latest(ctx, dev)
	must(t, err)
	if len(got) != len(vals) {
		t.Fatalf("%d values back, want %d", len(got), len(vals))
	}
	for i, a := range got {
		if a.Path != lwm2m.ResourcePath(3, 0, uint16(i)) || !a.Value.Equal(vals[i]) || a.Key != fmt.Sprintf("k%d", i) {
			t.Errorf("value %d: got %s %q %v (%s), want %v (%s)", i, a.Path, a.Key, a.Value, a.Value.Type(), vals[i], vals[i].Type())
		}
		sameTime(t, "updated", a.UpdatedAt, T0)
	}
	// Newer wins, older is ignored, and the newest of a batch wins.
	p := lwm2m.ResourcePath(3, 0, 0)
	must(t, st.Attributes().Upsert(ctx, []models.AttributeValue{
		{DeviceID: dev, Path: p, Value: lwm2m.IntValue(1), UpdatedAt: T0.Add(2 * time.Second)},
		{DeviceID: dev, Path: p, Value: lwm2m.IntValue(2), UpdatedAt: T0.Add(3 * time.Second)},
		{DeviceID: dev, Path: p, Value: lwm2m.IntValue(3), UpdatedAt: T0.Add(1 * time.Second)},
	}))
	must(t, st.Attributes().Upsert(ctx, []models.AttributeValue{{DeviceID: dev, Path: p, Value: lwm2m.IntValue(4), UpdatedAt: T0}}))
	got, err = st.Attributes().Latest(ctx, dev)
	must(t, err)
	if !got[0].Value.Equal(lwm2m.IntValue(2)) {
		t.Errorf("/3/0/0 = %v, want the newest value 2", got[0].Value)
	}
	wantErr(t, st.Attributes().Upsert(ctx, []models.AttributeValue{{DeviceID: 9999, Path: p, Value: lwm2m.IntValue(1)}}), dm.ErrInvalid, "unknown device")
	wantErr(t, st.Attributes().Upsert(ctx, []models.AttributeValue{{DeviceID: dev, Value: lwm2m.IntValue(1)}}), dm.ErrInvalid, "root path")
}

func testTelemetryValues(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	vals := sampleValues()
	// A small batch (multi-row INSERT) and a large one (COPY where the
	// dialect has it) must store the same.
	for _, n := range []int{1, 100} {
		dev := int64(1000 + n)
		var pts []models.TelemetryPoint
		for i := range n {
			for j, v := range vals {
				pts = append(pts, models.TelemetryPoint{DeviceID: dev, Key: fmt.Sprintf("k%02d", j), Time: T0.Add(time.Duration(i) * time.Second), Value: v})
			}
		}
		must(t, st.Telemetry().Append(ctx, pts))
		got, err := st.Telemetry().Query(ctx, dm.TelemetryQuery{DeviceID: dev, Limit: dm.MaxTelemetryLimit})
		must(t, err)
		if len(got) != len(pts) {
			t.Fatalf("batch of %d: %d points back, want %d", n, len(got), len(pts))
		}
		for i, p := range got {
			want := pts[i] // ordered by time, then key: the order they were built in
			if p.Key != want.Key || !p.Time.Equal(want.Time) || !p.Value.Equal(want.Value) || p.DeviceID != dev {
				t.Fatalf("batch of %d, point %d: got %s %s %v (%s), want %s %s %v (%s)", n, i,
					p.Key, p.Time.Format(time.RFC3339Nano), p.Value, p.Value.Type(), want.Key, want.Time.Format(time.RFC3339Nano), want.Value, want.Value.Type())
			}
		}
	}
	err := st.Telemetry().Append(ctx, []models.TelemetryPoint{{DeviceID: 1, Value: lwm2m.IntValue(1)}})
	wantErr(t, err, dm.ErrInvalid, "point without a key")
}

func testTelemetryQuery(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	var pts []models.TelemetryPoint
	for i := range 100 {
		at := T0.Add(time.Duration(i) * time.Minute)
		pts = append(pts,
			models.TelemetryPoint{DeviceID: 1, Key: "temp", Time: at, Value: lwm2m.FloatValue(float64(i))},
			models.TelemetryPoint{DeviceID: 1, Key: "hum", Time: at, Value: lwm2m.IntValue(int64(i))},
			models.TelemetryPoint{DeviceID: 2, Key: "temp", Time: at, Value: lwm2m.FloatValue(-1)})
	}
	must(t, st.Telemetry().Append(ctx, pts))
	q := func(qq dm.TelemetryQuery) []models.TelemetryPoint {
		t.Helper()
		got, err := st.Telemetry().Query(ctx, qq)
		must(t, err)
		return got
	}
	if got := q(dm.TelemetryQuery{DeviceID: 1}); len(got) != 200 {
		t.Errorf("all points of device 1: %d", len(got))
	}
	got := q(dm.TelemetryQuery{DeviceID: 1, Keys: []string{"temp"}, From: T0.Add(10 * time.Minute), To: T0.Add(20 * time.Minute)})
	if len(got) != 10 || got[0].Value.Float() != 10 || got[9].Value.Float() != 19 {
		t.Errorf("range [10m, 20m) gave %d points, first %v", len(got), got)
	}
	got = q(dm.TelemetryQuery{DeviceID: 1, Keys: []string{"hum"}, Limit: 3, Descending: true})
	if len(got) != 3 || got[0].Value.Int() != 99 || got[2].Value.Int() != 97 {
		t.Errorf("latest 3 hum: %v", got)
	}
	if got := q(dm.TelemetryQuery{DeviceID: 1, Keys: []string{"nope"}}); len(got) != 0 {
		t.Errorf("unknown key: %v", got)
	}
	_, err := st.Telemetry().Query(ctx, dm.TelemetryQuery{DeviceID: 1, From: T0, To: T0})
	wantErr(t, err, dm.ErrInvalid, "empty range")
	_, err = st.Telemetry().Query(ctx, dm.TelemetryQuery{})
	wantErr(t, err, dm.ErrInvalid, "no device")
}

func testTelemetryDownsample(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // on an hour boundary
	var pts []models.TelemetryPoint
	for i := range 120 { // two hours, one point a minute: 0..119
		pts = append(pts, models.TelemetryPoint{DeviceID: 1, Key: "v", Time: start.Add(time.Duration(i) * time.Minute), Value: lwm2m.IntValue(int64(i))})
	}
	pts = append(pts, models.TelemetryPoint{DeviceID: 1, Key: "s", Time: start.Add(90 * time.Minute), Value: lwm2m.StringValue("late")},
		models.TelemetryPoint{DeviceID: 1, Key: "s", Time: start.Add(5 * time.Minute), Value: lwm2m.StringValue("early")})
	must(t, st.Telemetry().Append(ctx, pts))
	q := dm.TelemetryQuery{DeviceID: 1, Keys: []string{"v"}}
	for agg, want := range map[models.Aggregate][2]float64{
		models.AggMin: {0, 60}, models.AggMax: {59, 119}, models.AggAvg: {29.5, 89.5}, models.AggLast: {59, 119},
	} {
		got, err := st.Telemetry().Downsample(ctx, q, time.Hour, agg)
		must(t, err)
		if len(got) != 2 {
			t.Fatalf("%s: %d buckets, want 2: %+v", agg, len(got), got)
		}
		for i, bk := range got {
			if !bk.Time.Equal(start.Add(time.Duration(i)*time.Hour)) || bk.Value.Float() != want[i] || bk.Count != 60 || bk.Key != "v" {
				t.Errorf("%s bucket %d = %s %v count %d, want %s %v count 60", agg, i, bk.Time, bk.Value, bk.Count, start.Add(time.Duration(i)*time.Hour), want[i])
			}
		}
	}
	got, err := st.Telemetry().Downsample(ctx, dm.TelemetryQuery{DeviceID: 1, Keys: []string{"s"}}, 2*time.Hour, models.AggLast)
	must(t, err)
	if len(got) != 1 || got[0].Value.Str() != "late" || got[0].Count != 2 {
		t.Errorf("last of strings: %+v", got)
	}
	got, err = st.Telemetry().Downsample(ctx, dm.TelemetryQuery{DeviceID: 1, Keys: []string{"s"}}, time.Hour, models.AggMax)
	must(t, err)
	if len(got) != 0 {
		t.Errorf("max of strings gave %+v, want no buckets", got)
	}
	got, err = st.Telemetry().Downsample(ctx, dm.TelemetryQuery{DeviceID: 1, Keys: []string{"v"}, Limit: 1, Descending: true}, 15*time.Minute, models.AggAvg)
	must(t, err)
	if len(got) != 1 || !got[0].Time.Equal(start.Add(105*time.Minute)) || got[0].Value.Float() != 112 {
		t.Errorf("newest 15-minute average: %+v", got)
	}
	_, err = st.Telemetry().Downsample(ctx, q, time.Hour, "median")
	wantErr(t, err, dm.ErrInvalid, "unknown aggregate")
	_, err = st.Telemetry().Downsample(ctx, q, 0, models.AggMin)
	wantErr(t, err, dm.ErrInvalid, "zero interval")
}

func testTelemetryRetention(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	var pts []models.TelemetryPoint
	for i := range 250 {
		pts = append(pts, models.TelemetryPoint{DeviceID: 1, Key: "k", Time: T0.Add(time.Duration(i) * time.Second), Value: lwm2m.IntValue(int64(i))})
	}
	must(t, st.Telemetry().Append(ctx, pts))
	cut := T0.Add(200 * time.Second)
	var total int64
	for {
		n, err := st.Telemetry().DeleteBefore(ctx, cut, 60)
		must(t, err)
		if n > 60 {
			t.Fatalf("deleted %d rows in a batch of 60", n)
		}
		total += n
		if n < 60 {
			break
		}
	}
	if total != 200 {
		t.Errorf("deleted %d points, want 200", total)
	}
	left, err := st.Telemetry().Query(ctx, dm.TelemetryQuery{DeviceID: 1})
	must(t, err)
	if len(left) != 50 || !left[0].Time.Equal(cut) {
		t.Errorf("%d points left, first at %v", len(left), left)
	}
	_, err = st.Telemetry().DeleteBefore(ctx, cut, 0)
	wantErr(t, err, dm.ErrInvalid, "zero batch")
}
