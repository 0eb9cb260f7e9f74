package server

import (
	"context"
	"time"
)

// janitor expires registrations not refreshed within their lifetime plus
// the grace, and puts queue-mode devices to sleep when their awake window
// ends.
func (s *Server) janitor(ctx context.Context) {
	t := time.NewTicker(s.cfg.ExpiryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.sweep(now)
		}
	}
}

func (s *Server) sweep(now time.Time) {
	s.mu.RLock()
	ds := make([]*device, 0, len(s.byEP))
	for _, d := range s.byEP {
		ds = append(ds, d)
	}
	s.mu.RUnlock()
	grace := s.cfg.LifetimeGrace
	for _, d := range ds {
		d.mu.Lock()
		expired := now.After(d.reg.ExpiresAt.Add(grace))
		sleep := d.awake && now.After(d.awakeUntil)
		if sleep {
			d.awake = false
		}
		ep := d.reg.Endpoint
		d.mu.Unlock()
		if expired {
			if reg, ok := s.remove(d); ok {
				s.log.Debug().Str("endpoint", ep).Msg("server: registration expired")
				s.emitEnd(d, func(l Listener) { l.Expired(reg) })
			}
			continue
		}
		if sleep {
			s.emitFor(d, func(l Listener) { l.Asleep(ep) })
		}
	}
}
