package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

func testAlarms(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	al := st.Alarms()
	dev, other := newDevice(t, st, "d"), newDevice(t, st, "o")
	a := models.Alarm{DeviceID: dev, CustomerID: 3, Rule: "battery-low", Type: "threshold", Severity: models.SeverityMajor,
		Message: "battery 15%", Details: json.RawMessage(`{"value":15}`)}
	created, err := al.Raise(ctx, &a)
	must(t, err)
	if !created || a.ID == 0 || a.State != models.AlarmActive || a.Count != 1 {
		t.Fatalf("first raise: created %v, %+v", created, a)
	}
	// A repeat updates the same alarm.
	rep := models.Alarm{DeviceID: dev, Rule: "battery-low", Type: "threshold", Severity: models.SeverityCritical, Message: "battery 5%"}
	created, err = al.Raise(ctx, &rep)
	must(t, err)
	if created || rep.ID != a.ID || rep.Count != 2 || rep.Severity != models.SeverityCritical || rep.Message != "battery 5%" {
		t.Errorf("repeat raise: created %v, %+v", created, rep)
	}
	acked, err := al.Acknowledge(ctx, a.ID, "ops", T0)
	must(t, err)
	if acked.State != models.AlarmAcknowledged || acked.AckedBy != "ops" {
		t.Errorf("acknowledged %+v", acked)
	}
	_, err = al.Acknowledge(ctx, a.ID, "ops", T0.Add(time.Minute))
	must(t, err) // idempotent
	// Still one open alarm per rule: a raise while acknowledged updates it.
	created, err = al.Raise(ctx, &models.Alarm{DeviceID: dev, Rule: "battery-low", Type: "threshold", Severity: models.SeverityMajor})
	must(t, err)
	if created {
		t.Error("raise while acknowledged created a second alarm")
	}
	cleared, found, err := al.ClearRule(ctx, dev, "battery-low", T0.Add(time.Hour))
	must(t, err)
	if !found || cleared.State != models.AlarmCleared {
		t.Errorf("ClearRule: found %v, %+v", found, cleared)
	}
	sameTime(t, "cleared at", cleared.ClearedAt, T0.Add(time.Hour))
	_, found, err = al.ClearRule(ctx, dev, "battery-low", T0)
	must(t, err)
	if found {
		t.Error("ClearRule found an alarm after clearing")
	}
	_, err = al.Clear(ctx, a.ID, T0)
	must(t, err) // idempotent
	_, err = al.Acknowledge(ctx, a.ID, "ops", T0)
	wantErr(t, err, dm.ErrConflict, "acknowledge a cleared alarm")

	// After clearing, the rule can raise a new alarm.
	again := models.Alarm{DeviceID: dev, Rule: "battery-low", Type: "threshold", Severity: models.SeverityMinor}
	created, err = al.Raise(ctx, &again)
	must(t, err)
	if !created || again.ID == a.ID {
		t.Errorf("raise after clear: created %v id %d", created, again.ID)
	}
	must2 := func(a models.Alarm) { _, err := al.Raise(ctx, &a); must(t, err) }
	must2(models.Alarm{DeviceID: other, Rule: "offline", Type: "offline", Severity: models.SeverityWarning})

	for name, c := range map[string]struct {
		f    dm.AlarmFilter
		want int64
	}{
		"all":      {dm.AlarmFilter{}, 3},
		"device":   {dm.AlarmFilter{DeviceID: dev}, 2},
		"active":   {dm.AlarmFilter{States: []models.AlarmState{models.AlarmActive}}, 2},
		"severity": {dm.AlarmFilter{Severities: []models.AlarmSeverity{models.SeverityWarning}}, 1},
		"rule":     {dm.AlarmFilter{Rule: "offline"}, 1},
		"customer": {dm.AlarmFilter{CustomerID: 3}, 1},
	} {
		pg, err := al.List(ctx, c.f, dm.PageRequest{})
		must(t, err)
		if pg.Total != c.want {
			t.Errorf("%s: %d alarms, want %d", name, pg.Total, c.want)
		}
	}
	got, err := al.Get(ctx, a.ID)
	must(t, err)
	if got.Details != nil || got.Count != 3 {
		// The repeats carried no details and replaced them.
		t.Errorf("after two repeats: details %s, count %d", got.Details, got.Count)
	}
	_, err = al.Raise(ctx, &models.Alarm{DeviceID: 9999, Rule: "r", Type: "t", Severity: models.SeverityInfo})
	wantErr(t, err, dm.ErrInvalid, "unknown device")
	_, err = al.Raise(ctx, &models.Alarm{DeviceID: dev, Rule: "r", Type: "t"})
	wantErr(t, err, dm.ErrInvalid, "no severity")
}
