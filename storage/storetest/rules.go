package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

func testAlarmRules(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	rs := st.AlarmRules()
	prof := models.Profile{Name: "meters", Spec: sampleSpec()}
	must(t, st.Profiles().Create(ctx, &prof))
	dev := newDevice(t, st, "rule-dev")
	below := 20.0
	low := models.AlarmRule{Name: "battery low", ProfileID: prof.ID, Severity: models.SeverityMajor,
		Spec: models.AlarmRuleSpec{Kind: models.RuleThreshold, Key: "battery", Below: &below, For: models.Duration(time.Minute)}}
	must(t, rs.Create(ctx, &low))
	got, err := rs.Get(ctx, low.ID)
	must(t, err)
	if !reflect.DeepEqual(got, low) {
		t.Errorf("Get = %+v\nwant %+v", got, low)
	}
	off := models.AlarmRule{Name: "offline", DeviceID: dev, Severity: models.SeverityCritical,
		Spec: models.AlarmRuleSpec{Kind: models.RuleOffline, For: models.Duration(time.Hour)}}
	must(t, rs.Create(ctx, &off))
	all := models.AlarmRule{Name: "fw", Severity: models.SeverityMinor, Spec: models.AlarmRuleSpec{Kind: models.RuleFirmwareFailed}}
	must(t, rs.Create(ctx, &all))
	for name, c := range map[string]struct {
		f    dm.AlarmRuleFilter
		want int64
	}{
		"all": {dm.AlarmRuleFilter{}, 3}, "profile": {dm.AlarmRuleFilter{ProfileID: prof.ID}, 1},
		"device": {dm.AlarmRuleFilter{DeviceID: dev}, 1}, "kind": {dm.AlarmRuleFilter{Kind: models.RuleFirmwareFailed}, 1},
	} {
		pg, err := rs.List(ctx, c.f, dm.PageRequest{})
		must(t, err)
		if pg.Total != c.want || len(pg.Items) != int(c.want) {
			t.Errorf("%s: %d rules (%d items), want %d", name, pg.Total, len(pg.Items), c.want)
		}
	}
	low.Disabled, low.Severity, low.Spec.For = true, models.SeverityWarning, 0
	must(t, rs.Update(ctx, &low))
	got, err = rs.Get(ctx, low.ID)
	must(t, err)
	if !got.Disabled || got.Severity != models.SeverityWarning || got.Spec.For != 0 || *got.Spec.Below != 20 {
		t.Errorf("after update %+v", got)
	}
	wantErr(t, rs.Create(ctx, &models.AlarmRule{Name: "x", ProfileID: 9999, Severity: models.SeverityInfo,
		Spec: models.AlarmRuleSpec{Kind: models.RuleOffline}}), dm.ErrInvalid, "an unknown profile")
	wantErr(t, rs.Create(ctx, &models.AlarmRule{Name: "x", Severity: "dire", Spec: models.AlarmRuleSpec{Kind: models.RuleOffline}}),
		dm.ErrInvalid, "an unknown severity")
	wantErr(t, rs.Create(ctx, &models.AlarmRule{Name: "x", Severity: models.SeverityInfo, Spec: models.AlarmRuleSpec{Kind: "weather"}}),
		dm.ErrInvalid, "an unknown kind")
	wantErr(t, rs.Update(ctx, &models.AlarmRule{ID: 9999, Name: "x", Severity: models.SeverityInfo, Spec: models.AlarmRuleSpec{Kind: models.RuleOffline}}),
		dm.ErrNotFound, "update a missing rule")

	// Deleting the device or the profile deletes their rules.
	must(t, st.Devices().Delete(ctx, dev))
	_, err = rs.Get(ctx, off.ID)
	wantErr(t, err, dm.ErrNotFound, "the deleted device's rule")
	must(t, st.Profiles().Delete(ctx, prof.ID))
	_, err = rs.Get(ctx, low.ID)
	wantErr(t, err, dm.ErrNotFound, "the deleted profile's rule")
	must(t, rs.Delete(ctx, all.ID))
	wantErr(t, rs.Delete(ctx, all.ID), dm.ErrNotFound, "delete twice")
}

func testAudit(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	au := st.Audit()
	cust := models.Customer{Name: "acme"}
	must(t, st.Customers().Create(ctx, &cust))
	entries := []models.AuditEntry{
		{Time: T0, TokenID: 1, Actor: "token 1 (admin)", Role: models.RoleAdmin, Operation: "createDevice", Method: "POST",
			Path: "/api/v1/devices", Status: 201, Success: true},
		{Time: T0.Add(time.Second), TokenID: 2, Actor: "token 2 (acme)", Role: models.RoleCustomer, CustomerID: cust.ID,
			Operation: "deleteDevice", Method: "DELETE", Path: "/api/v1/devices/x", Status: 403, Detail: "forbidden"},
		{Time: T0.Add(2 * time.Second), TokenID: 1, Actor: "token 1 (admin)", Role: models.RoleAdmin, Operation: "revokeToken",
			Method: "DELETE", Path: "/api/v1/tokens/2", Status: 204, Success: true},
	}
	for i := range entries {
		must(t, au.Append(ctx, &entries[i]))
	}
	pg, err := au.List(ctx, dm.AuditFilter{}, dm.PageRequest{})
	must(t, err)
	if pg.Total != 3 || !reflect.DeepEqual(pg.Items[0], entries[2]) || !reflect.DeepEqual(pg.Items[2], entries[0]) {
		t.Errorf("List = %+v", pg.Items)
	}
	no := false
	for name, c := range map[string]struct {
		f    dm.AuditFilter
		want int64
	}{
		"token": {dm.AuditFilter{TokenID: 1}, 2}, "customer": {dm.AuditFilter{CustomerID: cust.ID}, 1},
		"failures": {dm.AuditFilter{Success: &no}, 1}, "from": {dm.AuditFilter{From: T0.Add(time.Second)}, 2},
		"to": {dm.AuditFilter{To: T0.Add(time.Second)}, 1},
	} {
		pg, err := au.List(ctx, c.f, dm.PageRequest{})
		must(t, err)
		if pg.Total != c.want {
			t.Errorf("%s: %d entries, want %d", name, pg.Total, c.want)
		}
	}
	wantErr(t, au.Append(ctx, &models.AuditEntry{Method: "POST"}), dm.ErrInvalid, "an entry without an actor")
}
