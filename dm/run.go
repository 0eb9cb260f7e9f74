package dm

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/shoal-iot/shoal/models"
)

// Run runs dm's background work until ctx ends: the ingest loop (statuses,
// events, telemetry mapping), the command dispatcher and its sweeps, the
// telemetry writer and retention. At start it puts commands left in
// flight by a crash back in the queue and loads the stored registrations'
// presence. It returns once everything has stopped; telemetry still queued
// is written first. Stop the server before ending ctx so its last events
// are ingested too.
func (s *Service) Run(ctx context.Context) error {
	r := s.rt
	if !r.started.CompareAndSwap(false, true) {
		return errors.New("dm: Run called twice")
	}
	r.runCtx.Store(&ctx)
	if n, err := s.st.Commands.Recover(ctx, s.now()); err != nil {
		return fmt.Errorf("dm: recovering commands: %w", err)
	} else if n > 0 {
		s.log.Info().Int64("commands", n).Msg("dm: commands left in flight put back in the queue")
	}
	regs, err := s.st.Registrations.All(ctx)
	if err != nil {
		return fmt.Errorf("dm: loading registrations: %w", err)
	}
	for _, reg := range regs {
		r.presence.restored(reg.Endpoint, reg.QueueMode, reg.Transport == models.TransportUDP, reg.LastSeen)
	}
	r.hooks.reload(ctx)
	close(r.running)

	var errMu sync.Mutex
	var errs []error
	fail := func(what string, err error) {
		if err != nil {
			errMu.Lock()
			errs = append(errs, fmt.Errorf("dm: %s: %w", what, err))
			errMu.Unlock()
		}
	}
	// The writer outlives ctx until the ingest loop has drained into it.
	wctx, stopWriter := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWriter()
	var writer sync.WaitGroup
	if s.st.Writer != nil {
		writer.Go(func() { fail("telemetry writer", s.st.Writer.Serve(wctx)) })
	}
	var wg sync.WaitGroup
	wg.Go(func() { r.ingestLoop(ctx) })
	wg.Go(func() { r.regs.w.run(ctx) })
	wg.Go(func() { r.disp.run(ctx) })
	wg.Go(func() { s.runProfiles(ctx) })
	wg.Go(func() { r.alarms.run(ctx) })
	wg.Go(func() { r.hooks.run(ctx) })
	if r.fw != nil {
		wg.Go(func() { r.fw.run(ctx) })
	}
	if s.st.Retention != nil {
		wg.Go(func() { fail("retention", s.st.Retention.Serve(ctx)) })
	}
	<-ctx.Done()
	wg.Wait()
	stopWriter()
	writer.Wait()
	return errors.Join(errs...)
}

// Running is closed once Run has loaded its state and started its loops.
func (s *Service) Running() <-chan struct{} { return s.rt.running }
