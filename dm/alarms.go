package dm

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/shoal-iot/shoal/models"
)

// Alarm event types (category alarm). Their Data is the alarm as JSON
// with a "reason" member added.
const (
	EventAlarmRaised       = "alarm.raised"
	EventAlarmUpdated      = "alarm.updated"
	EventAlarmAcknowledged = "alarm.acknowledged"
	EventAlarmCleared      = "alarm.cleared"
)

// AlarmView is an alarm with its device's endpoint.
type AlarmView struct {
	models.Alarm
	Endpoint string
}

func (s *Service) alarmView(ctx context.Context, a models.Alarm) AlarmView {
	v := AlarmView{Alarm: a}
	if d, err := s.deviceByID(ctx, a.DeviceID); err == nil {
		v.Endpoint = d.Endpoint
	}
	return v
}

// ListAlarms lists alarms, newest first; a customer lists its own.
func (s *Service) ListAlarms(ctx context.Context, who Principal, f AlarmFilter, p PageRequest) (Page[AlarmView], error) {
	if err := who.scopeCustomer(&f.CustomerID); err != nil {
		return Page[AlarmView]{}, err
	}
	pg, err := s.st.Alarms.List(ctx, f, p)
	if err != nil {
		return Page[AlarmView]{}, err
	}
	out := Page[AlarmView]{Items: make([]AlarmView, len(pg.Items)), Total: pg.Total, Next: pg.Next}
	for i, a := range pg.Items {
		out.Items[i] = s.alarmView(ctx, a)
	}
	return out, nil
}

// GetAlarm returns an alarm the caller may see.
func (s *Service) GetAlarm(ctx context.Context, who Principal, id int64) (AlarmView, error) {
	a, err := s.st.Alarms.Get(ctx, id)
	if errors.Is(err, ErrNotFound) || err == nil && !who.sees(a.CustomerID) {
		return AlarmView{}, notFound("alarm", id)
	}
	if err != nil {
		return AlarmView{}, err
	}
	return s.alarmView(ctx, a), nil
}

// AcknowledgeAlarm moves an active alarm to acknowledged (a no-op when it
// is; ErrConflict when it is cleared).
func (s *Service) AcknowledgeAlarm(ctx context.Context, who Principal, id int64) (AlarmView, error) {
	old, err := s.GetAlarm(ctx, who, id)
	if err != nil {
		return AlarmView{}, err
	}
	a, err := s.st.Alarms.Acknowledge(ctx, id, who.Actor(), s.now())
	if err != nil {
		return AlarmView{}, err
	}
	if old.State != a.State {
		s.record(ctx, s.alarmEvent(ctx, a, EventAlarmAcknowledged, "acknowledged by "+who.Actor(), who.Actor()))
	}
	return s.alarmView(ctx, a), nil
}

// ClearAlarm clears an alarm by hand (a no-op when it is cleared).
func (s *Service) ClearAlarm(ctx context.Context, who Principal, id int64) (AlarmView, error) {
	if _, err := s.GetAlarm(ctx, who, id); err != nil {
		return AlarmView{}, err
	}
	a, err := s.clearAlarmID(ctx, id, "cleared by "+who.Actor(), who.Actor())
	if err != nil {
		return AlarmView{}, err
	}
	return s.alarmView(ctx, a), nil
}

func (s *Service) clearAlarmID(ctx context.Context, id int64, reason, actor string) (models.Alarm, error) {
	old, err := s.st.Alarms.Get(ctx, id)
	if err != nil {
		return models.Alarm{}, err
	}
	a, err := s.st.Alarms.Clear(ctx, id, s.now())
	if err != nil {
		return models.Alarm{}, err
	}
	if old.State != models.AlarmCleared {
		s.record(ctx, s.alarmEvent(ctx, a, EventAlarmCleared, reason, actor))
	}
	return a, nil
}

// raiseAlarm raises (or repeats) a rule's alarm on a device.
func (s *Service) raiseAlarm(ctx context.Context, r models.AlarmRule, d models.Device, reason string, detail map[string]any) {
	ctx, cancel := detached(ctx)
	defer cancel()
	a := models.Alarm{DeviceID: d.ID, CustomerID: d.CustomerID, Rule: ruleKey(r.ID), Type: string(r.Spec.Kind),
		Severity: r.Severity, Message: r.Name + ": " + reason, Details: jsonOf(detail)}
	created, err := s.st.Alarms.Raise(ctx, &a)
	if err != nil {
		if !errors.Is(err, ErrInvalid) || ctx.Err() == nil {
			s.log.Error().Err(err).Str("endpoint", d.Endpoint).Int64("rule", r.ID).Msg("dm: raising an alarm")
		}
		return
	}
	typ := EventAlarmUpdated
	if created {
		typ = EventAlarmRaised
		s.rt.notify.alarms.Inc()
	}
	s.record(ctx, s.alarmEvent(ctx, a, typ, reason, "system"))
}

// clearRule clears a rule's open alarm on a device, if there is one.
func (s *Service) clearRule(ctx context.Context, r models.AlarmRule, d models.Device, reason string) {
	ctx, cancel := detached(ctx)
	defer cancel()
	a, cleared, err := s.st.Alarms.ClearRule(ctx, d.ID, ruleKey(r.ID), s.now())
	if err != nil {
		s.log.Error().Err(err).Str("endpoint", d.Endpoint).Int64("rule", r.ID).Msg("dm: clearing an alarm")
		return
	}
	if cleared {
		s.record(ctx, s.alarmEvent(ctx, a, EventAlarmCleared, reason, "system"))
	}
}

// alarmEvent is the event of an alarm change: it belongs to the alarm's
// device and customer, and carries the alarm.
func (s *Service) alarmEvent(ctx context.Context, a models.Alarm, typ, reason, actor string) models.Event {
	e := models.Event{DeviceID: a.DeviceID, CustomerID: a.CustomerID, Category: models.CategoryAlarm, Type: typ, Actor: actor}
	if d, err := s.deviceByID(ctx, a.DeviceID); err == nil {
		e.Endpoint = d.Endpoint
	}
	b, err := json.Marshal(struct {
		models.Alarm
		Reason string `json:"reason,omitempty"`
	}{a, reason})
	if err == nil {
		e.Data = b
	}
	return e
}

// ReportFirmware records the outcome of a device's firmware update as an
// event (EventFirmwareFailed or EventFirmwareUpdated, category firmware)
// with data; firmware-failed alarm rules follow it. Firmware campaigns
// (issue 7) call it; so may anything else that learns the outcome.
func (s *Service) ReportFirmware(ctx context.Context, endpoint string, failed bool, data map[string]any) error {
	d, err := s.device(ctx, endpoint)
	if err != nil {
		return err
	}
	typ := EventFirmwareUpdated
	if failed {
		typ = EventFirmwareFailed
	}
	s.record(ctx, deviceEvent(d, models.CategoryFirmware, typ, data))
	return nil
}
