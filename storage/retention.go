package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// RetentionConfig says how long telemetry and events are kept. A zero age
// keeps that kind forever.
type RetentionConfig struct {
	TelemetryAge time.Duration
	EventAge     time.Duration
	// Interval between sweeps (default 1h).
	Interval time.Duration
	// BatchSize is the most rows one DELETE removes (default 5000), so each
	// write transaction stays short and ingest is never held up for long.
	BatchSize int
	// Pause between two batches of a sweep, leaving the writer to others
	// (default 10ms).
	Pause time.Duration
}

func (c RetentionConfig) withDefaults() RetentionConfig {
	if c.Interval == 0 {
		c.Interval = time.Hour
	}
	if c.BatchSize == 0 {
		c.BatchSize = 5000
	}
	if c.Pause == 0 {
		c.Pause = 10 * time.Millisecond
	}
	return c
}

// Validate checks the configuration.
func (c RetentionConfig) Validate() error {
	c = c.withDefaults()
	if c.TelemetryAge < 0 || c.EventAge < 0 || c.Interval < 0 || c.Pause < 0 {
		return errors.New("storage: retention durations must not be negative")
	}
	if c.BatchSize < 1 {
		return fmt.Errorf("storage: retention BatchSize %d: must be at least 1", c.BatchSize)
	}
	return nil
}

// BatchDeleter deletes at most limit rows older than before (TelemetryRepo
// and EventRepo are ones).
type BatchDeleter interface {
	DeleteBefore(ctx context.Context, before time.Time, limit int) (int64, error)
}

// Retention deletes old telemetry and events.
type Retention struct {
	telemetry, events BatchDeleter
	cfg               RetentionConfig
	log               zerolog.Logger
	clock             func() time.Time
}

// NewRetention returns the retention loop for a store; run Serve.
func NewRetention(s *Store, cfg RetentionConfig, log zerolog.Logger) (*Retention, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Retention{telemetry: s.Telemetry(), events: s.Events(), cfg: cfg.withDefaults(), log: log, clock: s.opts.Clock}, nil
}

// Serve sweeps once at start and then every Interval until ctx ends.
func (r *Retention) Serve(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		tel, ev, err := r.Sweep(ctx, r.clock())
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			r.log.Error().Err(err).Msg("retention sweep failed")
		case tel+ev > 0:
			r.log.Info().Int64("telemetry", tel).Int64("events", ev).Msg("retention sweep deleted old rows")
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// Sweep deletes, in batches of BatchSize, the telemetry older than
// now-TelemetryAge and the events older than now-EventAge, and returns how
// many of each it deleted.
func (r *Retention) Sweep(ctx context.Context, now time.Time) (telemetry, events int64, err error) {
	if r.cfg.TelemetryAge > 0 {
		if telemetry, err = r.sweep(ctx, r.telemetry, now.Add(-r.cfg.TelemetryAge)); err != nil {
			return telemetry, 0, fmt.Errorf("telemetry: %w", err)
		}
	}
	if r.cfg.EventAge > 0 {
		if events, err = r.sweep(ctx, r.events, now.Add(-r.cfg.EventAge)); err != nil {
			return telemetry, events, fmt.Errorf("events: %w", err)
		}
	}
	return telemetry, events, nil
}

func (r *Retention) sweep(ctx context.Context, d BatchDeleter, before time.Time) (int64, error) {
	var total int64
	for {
		n, err := d.DeleteBefore(ctx, before, r.cfg.BatchSize)
		total += n
		if err != nil || n < int64(r.cfg.BatchSize) {
			return total, err
		}
		t := time.NewTimer(r.cfg.Pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return total, ctx.Err()
		}
	}
}
