package dm

import (
	"context"
	"errors"
	"time"

	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// listener feeds the server's events into dm. Each method updates the
// in-memory presence at once (so a command issued right after sees it)
// and hands the slower work — statuses, events, telemetry — to the ingest
// loop, in order.
type listener struct{ s *Service }

var _ server.Listener = listener{}

// Listener returns the listener to give lwm2m/server.
func (s *Service) Listener() server.Listener { return listener{s} }

func (l listener) Registered(r server.Registration, replaced *server.Registration) {
	l.s.rt.presence.registered(r.Endpoint, r.QueueMode, r.RegisteredAt)
	if fw := l.s.rt.fw; fw != nil {
		fw.registered(r)
	}
	l.s.rt.enqueue(func(ctx context.Context) { l.s.onRegistered(ctx, r, replaced) })
}

func (l listener) Updated(u server.Update) {
	r := u.Registration
	if l.s.rt.presence.over(r.Endpoint) {
		// An Update that raced the device's De-register: the registration
		// is gone, the device stays offline.
		return
	}
	l.s.rt.presence.heard(r.Endpoint, &r.QueueMode, r.LastSeen)
	if fw := l.s.rt.fw; fw != nil {
		fw.heard(r.Endpoint, nil)
	}
	l.s.rt.enqueue(func(ctx context.Context) {
		e, d, ok := l.s.known(ctx, r.Endpoint)
		if !ok {
			return
		}
		if len(u.Changed) > 0 || u.AddressChanged {
			l.s.record(ctx, deviceEvent(d, models.CategoryRegistration, "updated",
				map[string]any{"changed": u.Changed, "address_changed": u.AddressChanged, "address": r.Address}))
		}
		l.s.setStatus(ctx, e, models.StatusOnline, r.LastSeen, "update")
		l.s.rt.disp.kick(d.ID)
	})
}

func (l listener) Deregistered(r server.Registration) { l.ended(r, "deregistered") }
func (l listener) Expired(r server.Registration)      { l.ended(r, "expired") }

func (l listener) ended(r server.Registration, why string) {
	l.s.rt.presence.gone(r.Endpoint)
	l.s.rt.enqueue(func(ctx context.Context) {
		e, d, ok := l.s.known(ctx, r.Endpoint)
		if !ok {
			return
		}
		l.s.record(ctx, deviceEvent(d, models.CategoryRegistration, why, map[string]any{"registration_id": r.ID}))
		l.s.setStatus(ctx, e, models.StatusOffline, time.Time{}, why)
	})
}

func (l listener) Awake(ep string) {
	if l.s.rt.presence.over(ep) {
		return
	}
	now := l.s.now()
	l.s.rt.presence.setAwake(ep, true, now)
	if fw := l.s.rt.fw; fw != nil {
		fw.heard(ep, nil)
	}
	l.s.rt.enqueue(func(ctx context.Context) {
		if e, d, ok := l.s.known(ctx, ep); ok {
			l.s.setStatus(ctx, e, models.StatusOnline, now, "awake")
			l.s.rt.disp.kick(d.ID)
		}
	})
}

func (l listener) Asleep(ep string) {
	if l.s.rt.presence.over(ep) {
		return
	}
	l.s.rt.presence.setAwake(ep, false, time.Time{})
	l.s.rt.enqueue(func(ctx context.Context) {
		if e, _, ok := l.s.known(ctx, ep); ok {
			l.s.setStatus(ctx, e, models.StatusAsleep, time.Time{}, "asleep")
		}
	})
}

func (l listener) Notification(n server.Notification) {
	over := l.s.rt.presence.over(n.Endpoint)
	l.s.rt.presence.heard(n.Endpoint, nil, n.ReceivedAt)
	if fw := l.s.rt.fw; fw != nil {
		fw.notified(n.Endpoint, n.Records)
	}
	l.s.rt.enqueue(func(ctx context.Context) {
		if e, d, ok := l.s.known(ctx, n.Endpoint); ok {
			l.s.ingestRecords(ctx, d, n.Records, n.ReceivedAt, "notify")
			if !over { // the values of a late notification are kept, the status is not revived
				l.s.touch(ctx, e, n.ReceivedAt)
			}
			l.s.rt.disp.kick(d.ID)
		}
	})
}

func (l listener) Sent(se server.SendEvent) {
	over := l.s.rt.presence.over(se.Endpoint)
	l.s.rt.presence.heard(se.Endpoint, nil, se.ReceivedAt)
	l.s.rt.enqueue(func(ctx context.Context) {
		if e, d, ok := l.s.known(ctx, se.Endpoint); ok {
			l.s.ingestRecords(ctx, d, se.Records, se.ReceivedAt, "send")
			if !over {
				l.s.touch(ctx, e, se.ReceivedAt)
			}
			l.s.rt.disp.kick(d.ID)
		}
	})
}

func (l listener) Operation(o server.OperationEvent) {
	l.s.rt.metrics.operation(o.Request.Op, o.Code, o.Err)
}

func (l listener) Security(se server.SecurityEvent) {
	l.s.rt.enqueue(func(ctx context.Context) {
		ev := models.Event{Time: se.Time, Endpoint: se.Endpoint, Category: models.CategorySecurity, Type: se.Kind,
			Data: jsonOf(map[string]string{"address": se.Address, "identity": se.Identity, "reason": se.Reason})}
		if se.Endpoint != "" {
			if d, err := l.s.device(ctx, se.Endpoint); err == nil {
				ev.DeviceID, ev.CustomerID = d.ID, d.CustomerID
			}
		}
		l.s.record(ctx, ev)
	})
}

// known returns the cached entry of a device the event is about; events
// of endpoints not in the inventory are logged and skipped.
func (s *Service) known(ctx context.Context, ep string) (*devEntry, models.Device, bool) {
	if e, d, ok := s.rt.devices.fresh(ep, s.now(), s.cfg.CacheTTL); ok {
		return e, d, true
	}
	ctx, cancel := detached(ctx) // a lookup at shutdown must not lose the event
	defer cancel()
	e, err := s.deviceEntry(ctx, ep)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			s.log.Error().Err(err).Str("endpoint", ep).Msg("dm: looking up a device")
		}
		return nil, models.Device{}, false
	}
	return e, s.rt.devices.snapshot(e), true
}

// onRegistered handles a new registration: status, event, profile. An
// endpoint nobody created that the server admitted over plain UDP
// (AllowUnknownNoSec) is added to the inventory so it can be managed — in
// the ingest loop, together with the other devices its batch creates.
func (s *Service) onRegistered(ctx context.Context, r server.Registration, replaced *server.Registration) {
	var e *devEntry
	err := ErrNotFound
	if b := batchOf(ctx); r.Security != server.ModeNoSec || !s.rt.creds.isAbsent(r.Endpoint) || b != nil && b.creating[r.Endpoint] {
		e, err = s.deviceEntry(ctx, r.Endpoint)
	}
	if errors.Is(err, ErrNotFound) && r.Security == server.ModeNoSec {
		d := &models.Device{Endpoint: r.Endpoint, Status: models.StatusNever}
		if b := batchOf(ctx); b != nil {
			b.create(d, func(ctx context.Context, e *devEntry, created bool) { s.registeredDevice(ctx, r, replaced, e, created) })
			return
		}
		e, created := s.createOne(ctx, d)
		s.registeredDevice(ctx, r, replaced, e, created)
		return
	}
	if err != nil {
		s.log.Warn().Err(err).Str("endpoint", r.Endpoint).Msg("dm: registration of a device not in the inventory")
		return
	}
	s.registeredDevice(ctx, r, replaced, e, false)
}

// registeredDevice is onRegistered once the device is known (e nil: it
// could not be added, already logged); created says dm just added it.
func (s *Service) registeredDevice(ctx context.Context, r server.Registration, replaced *server.Registration, e *devEntry, created bool) {
	if e == nil {
		return
	}
	if created {
		s.record(ctx, deviceEvent(s.rt.devices.snapshot(e), models.CategoryAudit, "device.auto-created",
			map[string]string{"reason": "unknown endpoint registered over plain UDP"}))
	}
	data := map[string]any{"registration_id": r.ID, "address": r.Address, "transport": r.Transport,
		"lwm2m_version": r.Version, "binding": r.Binding, "queue_mode": r.QueueMode, "lifetime": r.Lifetime.Seconds()}
	if replaced != nil {
		data["replaced"] = replaced.ID
	}
	dev := s.rt.devices.snapshot(e)
	if p, err := s.profileOf(ctx, dev); err == nil && p != nil {
		s.rt.presence.setWindow(dev.Endpoint, p.Spec.AwakeWindow.D())
		if fw := s.rt.fw; fw != nil && p.Spec.TargetFirmware != nil && p.Spec.TargetFirmware.Version != "" {
			fw.targeted(dev.Endpoint)
		}
	}
	s.record(ctx, deviceEvent(dev, models.CategoryRegistration, "registered", data))
	s.setStatus(ctx, e, models.StatusOnline, r.RegisteredAt, "registered")
	s.rt.alarms.registered(ctx, dev)
	s.rt.profiles.add(dev, r.ID)
	s.rt.disp.kick(dev.ID)
}

// setStatus stores a status change (with an event) or, when the status is
// unchanged, refreshes last-seen at most every LastSeenInterval. The
// writes run to completion (bounded by writeTimeout) even when ctx ends
// mid-way: the status a device had when Shoal stopped is the one kept.
func (s *Service) setStatus(ctx context.Context, e *devEntry, st models.DeviceStatus, seen time.Time, cause string) {
	ctx, cancel := detached(ctx)
	defer cancel()
	c := s.rt.devices
	c.mu.Lock()
	old := e.dev.Status
	d := e.dev
	stale := !seen.IsZero() && seen.Sub(e.lastSeenWritten) >= s.cfg.LastSeenInterval
	c.mu.Unlock()
	if old == st && !stale {
		return
	}
	if b := batchOf(ctx); b != nil {
		s.batchStatus(ctx, b, e, old, st, seen, cause)
		return
	}
	if err := s.st.Devices.SetStatus(ctx, d.ID, st, seen); err != nil {
		s.log.Error().Err(err).Str("endpoint", d.Endpoint).Msg("dm: storing a device status")
		return
	}
	c.mu.Lock()
	e.dev.Status = st
	if !seen.IsZero() {
		e.dev.LastSeen, e.lastSeenWritten = seen, seen
	}
	c.mu.Unlock()
	if old != st {
		s.record(ctx, deviceEvent(d, models.CategoryRegistration, "status",
			map[string]string{"from": string(old), "to": string(st), "cause": cause}))
		s.rt.alarms.status(ctx, d, old, st, s.now())
	}
}

// batchStatus is setStatus in the ingest loop: the cache changes at once
// (later work in the batch sees it), the row is written with the batch
// and put back in the cache if that write fails; the status event is
// recorded with the batch and the alarm rules see the change after it.
func (s *Service) batchStatus(ctx context.Context, b *writeBatch, e *devEntry, old, st models.DeviceStatus, seen time.Time, cause string) {
	c := s.rt.devices
	c.mu.Lock()
	d := e.dev
	prevSeen, prevWritten := e.dev.LastSeen, e.lastSeenWritten
	e.dev.Status = st
	if !seen.IsZero() {
		e.dev.LastSeen, e.lastSeenWritten = seen, seen
	}
	c.mu.Unlock()
	b.statuses = append(b.statuses, StatusChange{DeviceID: d.ID, Status: st, LastSeen: seen})
	b.undo = append(b.undo, func() {
		c.mu.Lock()
		if e.dev.Status == st {
			e.dev.Status = old
		}
		if !seen.IsZero() && e.lastSeenWritten.Equal(seen) {
			e.dev.LastSeen, e.lastSeenWritten = prevSeen, prevWritten
		}
		c.mu.Unlock()
	})
	if old != st {
		s.record(ctx, deviceEvent(d, models.CategoryRegistration, "status",
			map[string]string{"from": string(old), "to": string(st), "cause": cause}))
		now := s.now()
		b.after = append(b.after, func(ctx context.Context) { s.rt.alarms.status(ctx, d, old, st, now) })
	}
}

// touch records that a device was heard from without a status change.
func (s *Service) touch(ctx context.Context, e *devEntry, at time.Time) {
	c := s.rt.devices
	c.mu.Lock()
	st := e.dev.Status
	c.mu.Unlock()
	if st == models.StatusAsleep || st == models.StatusNever || st == models.StatusOffline {
		st = models.StatusOnline
	}
	s.setStatus(ctx, e, st, at, "heard")
}
