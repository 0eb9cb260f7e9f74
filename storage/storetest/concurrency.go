package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// testConcurrency runs telemetry writers, command producers and consumers,
// registration upserts, reads and a retention sweep at the same time. On
// SQLite this is where "database is locked" would show up.
func testConcurrency(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	const devices, rounds = 6, 40
	var ids []int64
	for i := range devices {
		ids = append(ids, newDevice(t, st, fmt.Sprintf("dev-%d", i)))
	}
	old := make([]models.TelemetryPoint, 3000)
	for i := range old {
		old[i] = models.TelemetryPoint{DeviceID: ids[0], Key: "old", Time: T0.Add(-time.Hour - time.Duration(i)*time.Second), Value: lwm2m.IntValue(1)}
	}
	must(t, st.Telemetry().Append(ctx, old))

	var mu sync.Mutex
	var errs []error
	report := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for g, dev := range ids {
		wg.Go(func() { // telemetry
			for r := range rounds {
				pts := make([]models.TelemetryPoint, 50)
				for i := range pts {
					pts[i] = models.TelemetryPoint{DeviceID: dev, Key: "t", Time: T0.Add(time.Duration(r*50+i) * time.Millisecond), Value: lwm2m.FloatValue(float64(i))}
				}
				report(st.Telemetry().Append(ctx, pts))
			}
		})
		wg.Go(func() { // commands: produce and consume
			for range rounds {
				c := readCmd(dev, "/3/0/9")
				report(st.Commands().Enqueue(ctx, &c))
				got, ok, err := st.Commands().Claim(ctx, dev, T0)
				report(err)
				if ok {
					_, err = st.Commands().Complete(ctx, got.ID, &lwm2m.Response{Code: lwm2m.MakeCode(2, 5)}, T0)
					report(err)
				}
			}
		})
		wg.Go(func() { // registrations and reads
			for r := range rounds {
				reg := sampleRegistration(fmt.Sprintf("dev-%d", g), fmt.Sprintf("reg-%d-%d", g, r))
				report(st.Registrations().Upsert(ctx, reg))
				_, err := st.Devices().List(ctx, dm.DeviceFilter{Search: "dev"}, dm.PageRequest{})
				report(err)
				report(st.Devices().SetStatus(ctx, dev, models.StatusOnline, T0))
			}
		})
	}
	wg.Go(func() { // retention
		for {
			n, err := st.Telemetry().DeleteBefore(ctx, T0.Add(-time.Minute), 100)
			report(err)
			if err != nil || n < 100 {
				return
			}
		}
	})
	wg.Wait()
	for _, err := range errs {
		if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
			t.Errorf("lock contention surfaced: %v", err)
		} else {
			t.Errorf("concurrent operation failed: %v", err)
		}
	}
	for _, dev := range ids {
		pts, err := st.Telemetry().Query(ctx, dm.TelemetryQuery{DeviceID: dev, Keys: []string{"t"}, Limit: dm.MaxTelemetryLimit})
		must(t, err)
		if len(pts) != rounds*50 {
			t.Errorf("device %d: %d points, want %d", dev, len(pts), rounds*50)
		}
		depth, err := st.Commands().Depth(ctx, dev)
		must(t, err)
		if depth != 0 {
			t.Errorf("device %d: %d commands still queued", dev, depth)
		}
	}
	if n := countPoints(t, st, ids[0]); n != rounds*50 {
		t.Errorf("retention left %d points on device %d, want %d", n, ids[0], rounds*50)
	}
	regs, err := st.Registrations().All(ctx)
	must(t, err)
	if len(regs) != devices {
		t.Errorf("%d registrations, want %d", len(regs), devices)
	}
}
