package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// ErrWriterClosed is returned by Write and Flush after Close.
var ErrWriterClosed = errors.New("telemetry writer closed")

// WriterConfig tunes a TelemetryWriter. The zero value is usable.
type WriterConfig struct {
	// BatchSize: a batch is written as soon as it holds this many points
	// (default 5000: large batches amortise each commit; on SQLite a batch
	// of 5000 holds the writer for a few tens of milliseconds).
	BatchSize int
	// FlushInterval: a non-empty batch is written at the latest this long
	// after its first point arrived (default 5ms). Points arriving while a
	// batch is written wait in the queue and make the next batch larger,
	// so the batch size follows the load; a long interval only delays
	// points (200ms made send-to-stored latency hundreds of milliseconds).
	FlushInterval time.Duration
	// QueueSize bounds the points waiting to be batched; Write blocks while
	// it is full (default 20000).
	QueueSize int
	// RetryBackoff is the pause before retrying a batch the database
	// refused for a transient reason (default 500ms).
	RetryBackoff time.Duration
	// DrainTimeout bounds the final write when Serve's context ends
	// (default 10s).
	DrainTimeout time.Duration
}

func (c WriterConfig) withDefaults() WriterConfig {
	if c.BatchSize == 0 {
		c.BatchSize = 5000
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = 5 * time.Millisecond
	}
	if c.QueueSize == 0 {
		c.QueueSize = 20000
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 500 * time.Millisecond
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 10 * time.Second
	}
	return c
}

// Validate checks the configuration.
func (c WriterConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.BatchSize < 1:
		return fmt.Errorf("storage: writer BatchSize %d: must be at least 1", c.BatchSize)
	case c.FlushInterval < 0 || c.RetryBackoff < 0 || c.DrainTimeout < 0:
		return errors.New("storage: writer intervals must not be negative")
	case c.QueueSize < 1:
		return fmt.Errorf("storage: writer QueueSize %d: must be at least 1", c.QueueSize)
	}
	return nil
}

// TelemetryAppender is what a TelemetryWriter writes to (a TelemetryRepo).
type TelemetryAppender interface {
	Append(ctx context.Context, pts []models.TelemetryPoint) error
}

// item is one queued point, or (done != nil) a flush marker.
type item struct {
	pt   models.TelemetryPoint
	done chan error
}

// TelemetryWriter batches telemetry points into few large transactions.
// Write queues points and blocks while the queue is full (back-pressure,
// never dropping); Serve writes batches of BatchSize points, or whatever
// arrived within FlushInterval; Flush waits until everything written
// before it is stored; Close drains and stops.
type TelemetryWriter struct {
	app  TelemetryAppender
	cfg  WriterConfig
	log  zerolog.Logger
	q    chan item
	stop chan struct{} // closed by Close
	done chan struct{} // closed when Serve returns

	closeOnce sync.Once
	pending   atomic.Int64 // points queued or in the batch being built or written
	written   atomic.Int64
}

// NewTelemetryWriter returns a writer; run Serve to start it.
func NewTelemetryWriter(app TelemetryAppender, cfg WriterConfig, log zerolog.Logger) (*TelemetryWriter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &TelemetryWriter{app: app, cfg: cfg, log: log, q: make(chan item, cfg.QueueSize),
		stop: make(chan struct{}), done: make(chan struct{})}, nil
}

// Depth returns the number of points accepted but not yet stored.
func (w *TelemetryWriter) Depth() int { return int(w.pending.Load()) }

// Written returns the number of points stored so far.
func (w *TelemetryWriter) Written() int64 { return w.written.Load() }

// Write queues the points, blocking while the queue is full, until ctx
// ends (its error is returned; the points not yet queued are not taken) or
// the writer is closed.
//
// A nil error means the points are queued; only a nil Flush (or Close)
// afterwards means they are stored.
func (w *TelemetryWriter) Write(ctx context.Context, pts ...models.TelemetryPoint) error {
	select {
	case <-w.stop:
		return ErrWriterClosed
	default:
	}
	for i := range pts {
		w.pending.Add(1)
		select {
		case w.q <- item{pt: pts[i]}:
		case <-ctx.Done():
			w.pending.Add(-1)
			return fmt.Errorf("storage: telemetry writer: %d of %d points queued: %w", i, len(pts), ctx.Err())
		case <-w.stop:
			w.pending.Add(-1)
			return ErrWriterClosed
		}
	}
	return nil
}

// Flush waits until every point written before the call is stored, and
// returns the error of the batch that held them if it could not be stored.
func (w *TelemetryWriter) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case w.q <- item{done: done}:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.stop:
		return ErrWriterClosed
	}
	select {
	case err := <-done:
		return err
	case <-w.done:
		select {
		case err := <-done:
			return err
		default:
			return ErrWriterClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting points, waits until Serve has stored what was
// queued and returned (or ctx ends).
func (w *TelemetryWriter) Close(ctx context.Context) error {
	w.closeOnce.Do(func() { close(w.stop) })
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Serve runs the batching loop until ctx ends or Close is called, then
// stores what is still queued (bounded by DrainTimeout) and returns.
func (w *TelemetryWriter) Serve(ctx context.Context) error {
	defer close(w.done)
	defer w.closeOnce.Do(func() { close(w.stop) })
	batch := make([]models.TelemetryPoint, 0, w.cfg.BatchSize)
	var waiters []chan error
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false

	flush := func(ctx context.Context) {
		err := w.store(ctx, batch)
		if err != nil && ctx.Err() != nil {
			return // keep the batch (and its waiters) for drain
		}
		for _, d := range waiters {
			d <- err
		}
		batch, waiters = batch[:0], waiters[:0]
		if armed {
			timer.Stop()
			armed = false
		}
	}
	add := func(it item) {
		if it.done != nil {
			waiters = append(waiters, it.done)
			flush(ctx)
			return
		}
		batch = append(batch, it.pt)
		if len(batch) >= w.cfg.BatchSize {
			flush(ctx)
		} else if !armed {
			timer.Reset(w.cfg.FlushInterval)
			armed = true
		}
	}
	for {
		select {
		case it := <-w.q:
			add(it)
		case <-timer.C:
			armed = false
			flush(ctx)
		case <-ctx.Done():
			return w.drain(batch, waiters)
		case <-w.stop:
			return w.drain(batch, waiters)
		}
	}
}

// drain stores the current batch and everything still queued.
func (w *TelemetryWriter) drain(batch []models.TelemetryPoint, waiters []chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.DrainTimeout)
	defer cancel()
	for {
		select {
		case it := <-w.q:
			if it.done != nil {
				waiters = append(waiters, it.done)
			} else {
				batch = append(batch, it.pt)
			}
			if len(batch) < w.cfg.BatchSize {
				continue
			}
		default:
		}
		err := w.store(ctx, batch)
		for _, d := range waiters {
			d <- err
		}
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("storage: telemetry writer: draining: %d points not stored: %w", w.pending.Load(), err)
		}
		if len(w.q) == 0 {
			if err != nil {
				return fmt.Errorf("storage: telemetry writer: draining: %w", err)
			}
			return nil
		}
		batch, waiters = batch[:0], waiters[:0]
	}
}

// store writes one batch, retrying transient failures until ctx ends (the
// batch then stays pending for the caller to retry). A batch the store
// rejects as invalid is dropped and logged: retrying it would block
// ingestion forever.
func (w *TelemetryWriter) store(ctx context.Context, batch []models.TelemetryPoint) error {
	if len(batch) == 0 {
		return nil
	}
	n := int64(len(batch))
	for {
		err := w.app.Append(ctx, batch)
		if err == nil {
			w.written.Add(n)
			w.pending.Add(-n)
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if errors.Is(err, dm.ErrInvalid) {
			w.pending.Add(-n)
			w.log.Error().Err(err).Int64("points", n).Msg("telemetry batch rejected and dropped")
			return err
		}
		w.log.Warn().Err(err).Int64("points", n).Dur("retry_in", w.cfg.RetryBackoff).Msg("telemetry batch failed; retrying")
		t := time.NewTimer(w.cfg.RetryBackoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}
