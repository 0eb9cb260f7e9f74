package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage"
)

func testRetentionLoop(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	var pts []models.TelemetryPoint
	for i := range 100 { // one point a minute over the 100 minutes before T0
		pts = append(pts, models.TelemetryPoint{DeviceID: 1, Key: "k", Time: T0.Add(-time.Duration(i) * time.Minute), Value: lwm2m.IntValue(int64(i))})
	}
	must(t, st.Telemetry().Append(ctx, pts))
	for i := range 10 { // one event an hour over the 10 hours before T0
		must(t, st.Events().Append(ctx, &models.Event{Time: T0.Add(-time.Duration(i) * time.Hour), Category: models.CategoryAudit, Type: "x"}))
	}
	r, err := storage.NewRetention(st, storage.RetentionConfig{TelemetryAge: 30 * time.Minute, EventAge: 5 * time.Hour, BatchSize: 7, Pause: time.Microsecond}, zerolog.Nop())
	must(t, err)
	tel, ev, err := r.Sweep(ctx, T0)
	must(t, err)
	if tel != 69 || ev != 4 {
		t.Errorf("sweep deleted %d points and %d events, want 69 and 4", tel, ev)
	}
	if n := countPoints(t, st, 1); n != 31 {
		t.Errorf("%d points left, want 31", n)
	}
	pg, err := st.Events().List(ctx, dm.EventFilter{}, dm.PageRequest{})
	must(t, err)
	if pg.Total != 6 {
		t.Errorf("%d events left, want 6", pg.Total)
	}

	// Serve sweeps at once, at the store's clock, and stops with its context.
	st2 := b.Fresh(t, func(o *storage.Options) { o.Clock = func() time.Time { return T0.Add(time.Hour) } })
	must(t, st2.Telemetry().Append(ctx, pts))
	r2, err := storage.NewRetention(st2, storage.RetentionConfig{TelemetryAge: 30 * time.Minute}, zerolog.Nop())
	must(t, err)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r2.Serve(sctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for countPoints(t, st2, 1) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("Serve did not sweep")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	must(t, <-done)
	_, err = storage.NewRetention(st, storage.RetentionConfig{BatchSize: -1}, zerolog.Nop())
	if err == nil {
		t.Error("negative batch size accepted")
	}
}
