package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage"
)

// Bench runs the storage benchmarks against b: telemetry inserts (direct
// batches and through the TelemetryWriter), registration upserts (batched
// and one by one) and command enqueue+claim+complete cycles. Each reports a
// rate metric alongside ns/op.
func Bench(bb *testing.B, b Backend) {
	bb.Run("TelemetryAppend/batch=1000", func(bb *testing.B) { benchTelemetryAppend(bb, b, 1000) })
	bb.Run("TelemetryAppend/batch=5000", func(bb *testing.B) { benchTelemetryAppend(bb, b, 5000) })
	bb.Run("TelemetryWriter/defaults", func(bb *testing.B) { benchTelemetryWriter(bb, b) })
	bb.Run("RegistrationUpsert/batch=500", func(bb *testing.B) { benchRegistrations(bb, b, 500) })
	bb.Run("RegistrationUpsert/single", func(bb *testing.B) { benchRegistrations(bb, b, 1) })
	bb.Run("CommandCycle", func(bb *testing.B) { benchCommands(bb, b) })
	bb.Run("RetentionBatch/rows=5000", func(bb *testing.B) { benchRetention(bb, b) })
}

// benchRetention times one bounded retention DELETE of 5000 rows out of a
// table that keeps growing with newer rows: the longest the writer is held.
func benchRetention(bb *testing.B, b Backend) {
	st := b.Fresh(bb)
	ctx := context.Background()
	for i := 0; i < bb.N; i++ {
		bb.StopTimer()
		old := telemetryBatch(5000, i)
		for j := range old {
			old[j].Time = old[j].Time.Add(-24 * time.Hour)
		}
		if err := st.Telemetry().Append(ctx, append(old, telemetryBatch(5000, i)...)); err != nil {
			bb.Fatal(err)
		}
		bb.StartTimer()
		n, err := st.Telemetry().DeleteBefore(ctx, T0, 5000)
		if err != nil || n != 5000 {
			bb.Fatalf("deleted %d: %v", n, err)
		}
	}
}

// telemetryBatch is round's n points from 100 devices, 10 ms apart.
func telemetryBatch(n, round int) []models.TelemetryPoint {
	pts := make([]models.TelemetryPoint, n)
	base := T0.Add(time.Duration(round*n) * 10 * time.Millisecond)
	for i := range pts {
		pts[i] = models.TelemetryPoint{DeviceID: int64(i%100 + 1), Key: "temperature", Time: base.Add(time.Duration(i) * 10 * time.Millisecond),
			Value: lwm2m.FloatValue(20 + float64(i%50)/10)}
	}
	return pts
}

func benchTelemetryAppend(bb *testing.B, b Backend, batch int) {
	st := b.Fresh(bb)
	ctx := context.Background()
	for i := 0; bb.Loop(); i++ {
		// Time moves forward from batch to batch, as it does in a fleet.
		if err := st.Telemetry().Append(ctx, telemetryBatch(batch, i)); err != nil {
			bb.Fatal(err)
		}
	}
	bb.ReportMetric(float64(bb.N*batch)/bb.Elapsed().Seconds(), "points/s")
}

func benchTelemetryWriter(bb *testing.B, b Backend) {
	st := b.Fresh(bb)
	ctx := context.Background()
	w, err := storage.NewTelemetryWriter(st.Telemetry(), storage.WriterConfig{}, zerolog.Nop())
	if err != nil {
		bb.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Serve(sctx) }()
	var pts []models.TelemetryPoint
	for i := 0; bb.Loop(); i++ {
		if i%1000 == 0 {
			pts = telemetryBatch(1000, i/1000)
		}
		if err := w.Write(ctx, pts[i%1000]); err != nil {
			bb.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		bb.Fatal(err)
	}
	bb.ReportMetric(float64(bb.N)/bb.Elapsed().Seconds(), "points/s")
	bb.StopTimer()
	cancel()
	<-done
}

func benchRegistrations(bb *testing.B, b Backend, batch int) {
	st := b.Fresh(bb)
	ctx := context.Background()
	const fleet = 10000
	regs := make([]models.Registration, fleet)
	for i := range regs {
		regs[i] = sampleRegistration(fmt.Sprintf("urn:dev:%05d", i), fmt.Sprintf("reg%05d", i))
	}
	bb.ResetTimer()
	for i := 0; bb.Loop(); i++ {
		start := (i * batch) % fleet
		chunk := regs[start:min(start+batch, fleet)]
		for j := range chunk {
			chunk[j].LastSeen = T0.Add(time.Duration(i) * time.Second)
		}
		var err error
		if batch == 1 {
			err = st.Registrations().Upsert(ctx, chunk[0])
		} else {
			err = st.Registrations().UpsertBatch(ctx, chunk)
		}
		if err != nil {
			bb.Fatal(err)
		}
	}
	bb.ReportMetric(float64(bb.N*batch)/bb.Elapsed().Seconds(), "upserts/s")
}

func benchCommands(bb *testing.B, b Backend) {
	st := b.Fresh(bb)
	ctx := context.Background()
	var devs []int64
	for i := range 100 {
		devs = append(devs, newDevice(bb, st, fmt.Sprintf("bench-%d", i)))
	}
	ok := &lwm2m.Response{Code: lwm2m.MakeCode(2, 5)}
	bb.ResetTimer()
	for i := 0; bb.Loop(); i++ {
		dev := devs[i%len(devs)]
		c := readCmd(dev, "/3/0/9")
		if err := st.Commands().Enqueue(ctx, &c); err != nil {
			bb.Fatal(err)
		}
		got, claimed, err := st.Commands().Claim(ctx, dev, T0)
		if err != nil || !claimed || got.ID != c.ID {
			bb.Fatalf("claim: %v %v %d", err, claimed, got.ID)
		}
		if _, err := st.Commands().Complete(ctx, got.ID, ok, T0); err != nil {
			bb.Fatal(err)
		}
	}
	bb.ReportMetric(float64(bb.N)/bb.Elapsed().Seconds(), "cycles/s")
}
