package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage"
)

func point(dev int64, i int) models.TelemetryPoint {
	return models.TelemetryPoint{DeviceID: dev, Key: "k", Time: T0.Add(time.Duration(i) * time.Millisecond), Value: lwm2m.IntValue(int64(i))}
}

func countPoints(t testing.TB, st *storage.Store, dev int64) int {
	t.Helper()
	pts, err := st.Telemetry().Query(t.Context(), dm.TelemetryQuery{DeviceID: dev, Limit: dm.MaxTelemetryLimit})
	must(t, err)
	return len(pts)
}

// gate holds Append calls until opened: the database seen as slow.
type gate struct {
	next storage.TelemetryAppender
	open chan struct{}
}

func (g *gate) Append(ctx context.Context, pts []models.TelemetryPoint) error {
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.next.Append(ctx, pts)
}

func startWriter(t *testing.T, app storage.TelemetryAppender, cfg storage.WriterConfig) (*storage.TelemetryWriter, func()) {
	t.Helper()
	w, err := storage.NewTelemetryWriter(app, cfg, zerolog.Nop())
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- w.Serve(ctx) }()
	return w, func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
}

func testWriter(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)

	// Batches by size, from several writers, all stored after Flush.
	w, stop := startWriter(t, st.Telemetry(), storage.WriterConfig{BatchSize: 100, FlushInterval: time.Hour, QueueSize: 50})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				if err := w.Write(ctx, point(int64(g+1), i)); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	must(t, w.Flush(ctx))
	for dev := int64(1); dev <= 4; dev++ {
		if n := countPoints(t, st, dev); n != 300 {
			t.Errorf("device %d: %d points stored, want 300", dev, n)
		}
	}
	if w.Depth() != 0 || w.Written() != 1200 {
		t.Errorf("after flush: depth %d, written %d", w.Depth(), w.Written())
	}

	// The interval flushes a batch that never fills.
	must(t, w.Write(ctx, point(9, 1), point(9, 2)))
	stop()
	if n := countPoints(t, st, 9); n != 2 {
		t.Errorf("stopping the writer left %d of 2 points stored", n)
	}
	if err := w.Write(ctx, point(9, 3)); !errors.Is(err, storage.ErrWriterClosed) {
		t.Errorf("write after stop: %v", err)
	}

	w2, stop2 := startWriter(t, st.Telemetry(), storage.WriterConfig{BatchSize: 1000, FlushInterval: 5 * time.Millisecond})
	must(t, w2.Write(ctx, point(10, 1)))
	deadline := time.Now().Add(30 * time.Second)
	for countPoints(t, st, 10) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("a lone point was never flushed by the interval")
		}
		time.Sleep(time.Millisecond)
	}
	stop2()
}

func testWriterBackPressure(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	g := &gate{next: st.Telemetry(), open: make(chan struct{})}
	cfg := storage.WriterConfig{BatchSize: 5, FlushInterval: time.Millisecond, QueueSize: 10}
	w, err := storage.NewTelemetryWriter(g, cfg, zerolog.Nop())
	must(t, err)
	served := make(chan error, 1)
	go func() { served <- w.Serve(context.Background()) }()

	// With the database stuck, Write blocks once the queue is full instead
	// of dropping points: it gives up only when its context ends.
	accepted := 0
	for i := range 1000 {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err := w.Write(wctx, point(1, i))
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		must(t, err)
		accepted++
	}
	if accepted == 1000 || accepted > cfg.QueueSize+cfg.BatchSize {
		t.Fatalf("a stuck writer accepted %d points; want at most queue+batch = %d", accepted, cfg.QueueSize+cfg.BatchSize)
	}
	if d := w.Depth(); d != accepted {
		t.Errorf("depth %d, want %d", d, accepted)
	}
	close(g.open)
	must(t, w.Close(ctx))
	must(t, <-served)
	if n := countPoints(t, st, 1); n != accepted {
		t.Errorf("%d points stored, want the %d accepted", n, accepted)
	}
	if w.Depth() != 0 {
		t.Errorf("depth %d after close", w.Depth())
	}
}
