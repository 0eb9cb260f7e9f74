package dm_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

func f64(v float64) *float64 { return &v }

// waitAlarm waits for an alarm of the rule on the device in the state.
func waitAlarm(t *testing.T, svc *dm.Service, ep string, rule int64, state models.AlarmState) dm.AlarmView {
	t.Helper()
	var got dm.AlarmView
	waitFor(t, "alarm of rule "+ep+" "+string(state), func() bool {
		d, err := svc.GetDevice(context.Background(), dm.System(), ep)
		if err != nil {
			return false
		}
		pg, err := svc.ListAlarms(context.Background(), dm.System(), dm.AlarmFilter{DeviceID: d.ID, Rule: ruleKey(rule)}, dm.PageRequest{})
		if err != nil || len(pg.Items) == 0 {
			return false
		}
		got = pg.Items[0]
		return got.State == state
	})
	return got
}

func ruleKey(id int64) string { return strconv.FormatInt(id, 10) }

// startKeyed runs a client for ep with a PSK.
func (e *env) startKeyed(t *testing.T, ep, identity, keyHex string) *device {
	t.Helper()
	key, err := hex.DecodeString(keyHex)
	if err != nil {
		t.Fatal(err)
	}
	return startDevice(t, client.Config{Endpoint: ep, ServerURI: e.coapsURI(), PSKIdentity: identity, PSKKey: key})
}

// TestAlarmRuleValidation: bad rules are refused naming the field; only
// admins and operators manage rules.
func TestAlarmRuleValidation(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{})
	ctx := context.Background()
	sys := dm.System()
	th := func(sp models.AlarmRuleSpec) dm.AlarmRuleInput {
		return dm.AlarmRuleInput{Name: "r", Severity: models.SeverityMajor, Spec: sp}
	}
	for _, c := range []struct {
		in    dm.AlarmRuleInput
		field string
	}{
		{dm.AlarmRuleInput{Severity: models.SeverityMajor, Spec: models.AlarmRuleSpec{Kind: models.RuleOffline}}, "name"},
		{dm.AlarmRuleInput{Name: "r", Severity: "dire", Spec: models.AlarmRuleSpec{Kind: models.RuleOffline}}, "severity"},
		{th(models.AlarmRuleSpec{Kind: "weather"}), "spec.kind"},
		{th(models.AlarmRuleSpec{Kind: models.RuleThreshold, Above: f64(1)}), "spec.key"},
		{th(models.AlarmRuleSpec{Kind: models.RuleThreshold, Key: "t"}), "spec.above"},
		{th(models.AlarmRuleSpec{Kind: models.RuleThreshold, Key: "t", Above: f64(1), Below: f64(5)}), "spec.below"},
		{th(models.AlarmRuleSpec{Kind: models.RuleThreshold, Key: "t", Above: f64(1), Count: 3}), "spec.count"},
		{th(models.AlarmRuleSpec{Kind: models.RuleOffline, For: -1}), "spec.for"},
		{th(models.AlarmRuleSpec{Kind: models.RuleOffline, Key: "t"}), "spec.key"},
		{th(models.AlarmRuleSpec{Kind: models.RuleFirmwareFailed, For: models.Duration(time.Minute)}), "spec.for"},
		{th(models.AlarmRuleSpec{Kind: models.RuleAuthFailures, Count: 3}), "spec.window"},
		{th(models.AlarmRuleSpec{Kind: models.RuleAuthFailures, Window: models.Duration(time.Minute)}), "spec.count"},
		{dm.AlarmRuleInput{Name: "r", Severity: models.SeverityInfo, Profile: "nope", Spec: models.AlarmRuleSpec{Kind: models.RuleOffline}}, "profile"},
		{dm.AlarmRuleInput{Name: "r", Severity: models.SeverityInfo, Device: "nope", Spec: models.AlarmRuleSpec{Kind: models.RuleOffline}}, "device"},
	} {
		_, err := e.svc.CreateAlarmRule(ctx, sys, c.in)
		if !errors.Is(err, dm.ErrInvalid) || !strings.Contains(err.Error(), c.field+":") {
			t.Errorf("%+v: %v, want invalid naming %s", c.in, err, c.field)
		}
	}
	cust := dm.Principal{Role: models.RoleCustomer, CustomerID: 1}
	if _, err := e.svc.ListAlarmRules(ctx, cust, dm.AlarmRuleFilter{}, dm.PageRequest{}); !errors.Is(err, dm.ErrForbidden) {
		t.Errorf("a customer listing rules: %v", err)
	}
}

// TestThresholdDuration: a value beyond a threshold raises the alarm only
// once it has stayed there for the rule's duration — decided by the sweep
// when no newer value comes — and a value back within clears it.
func TestThresholdDuration(t *testing.T) {
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	e := newEnv(t, storetest.SQLite(), envOpts{dm: func(c *dm.Config) {
		c.Now, c.AlarmInterval = clock, 10*time.Millisecond
	}})
	ctx := context.Background()
	sys := dm.System()
	prof, err := e.svc.CreateProfile(ctx, sys, telemetryProfile("hot", models.ObserveSingle))
	if err != nil {
		t.Fatal(err)
	}
	rule, err := e.svc.CreateAlarmRule(ctx, sys, dm.AlarmRuleInput{Name: "too hot", Profile: "hot", Severity: models.SeverityWarning,
		Spec: models.AlarmRuleSpec{Kind: models.RuleThreshold, Key: "temperature", Above: f64(40), For: models.Duration(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	live, cancel := subscribe(t, e.svc, dm.EventFilter{Endpoint: "oven", Types: []string{"telemetry", "profile.applied"}})
	defer cancel()
	dev, _ := e.pskDevice(t, "oven", dm.DeviceInput{Profile: prof.Name}, nil)
	waitEvent(t, live, "profile.applied")
	waitFor(t, "observations", func() bool { return dev.c.Status().Observations == 3 })
	if err := dev.c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(55)); err != nil {
		t.Fatal(err)
	}
	waitTemperature(t, live, 55)
	// The value has been processed; an hour has not passed on dm's clock.
	pg, err := e.svc.ListAlarms(ctx, sys, dm.AlarmFilter{Rule: ruleKey(rule.ID)}, dm.PageRequest{})
	if err != nil || pg.Total != 0 {
		t.Fatalf("raised before its duration: %+v %v", pg.Items, err)
	}
	offset.Store(int64(2 * time.Hour))
	a := waitAlarm(t, e.svc, "oven", rule.ID, models.AlarmActive)
	if a.Type != "threshold" || a.Severity != models.SeverityWarning || a.Endpoint != "oven" || !strings.Contains(string(a.Details), `"value":55`) {
		t.Errorf("alarm %+v %s", a, a.Details)
	}
	if err := dev.c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(20)); err != nil {
		t.Fatal(err)
	}
	waitAlarm(t, e.svc, "oven", rule.ID, models.AlarmCleared)
}

func waitTemperature(t *testing.T, live *dm.Subscription, v float64) {
	t.Helper()
	for {
		ev := waitEvent(t, live, "telemetry")
		var d struct{ Points []models.TelemetryPoint }
		json.Unmarshal(ev.Data, &d)
		if len(d.Points) > 0 && d.Points[0].Key == "temperature" && d.Points[0].Value.Float() == v {
			return
		}
	}
}

// TestAuthFailuresAndFirmwareAlarms: repeated refused registrations of a
// device raise an auth-failures alarm (repeats count up) that its own
// registration clears; a firmware failure reported to dm raises a
// firmware-failed alarm that a successful update clears; an operator
// acknowledges, a customer sees only its own alarms.
func TestAuthFailuresAndFirmwareAlarms(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{})
		ctx := context.Background()
		sys := dm.System()
		cust, err := e.svc.CreateCustomer(ctx, sys, models.Customer{Name: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		victim, err := e.svc.CreateDevice(ctx, sys, dm.DeviceInput{Endpoint: "victim", Customer: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		auth, err := e.svc.CreateAlarmRule(ctx, sys, dm.AlarmRuleInput{Name: "intruder", Device: "victim", Severity: models.SeverityCritical,
			Spec: models.AlarmRuleSpec{Kind: models.RuleAuthFailures, Count: 2, Window: models.Duration(time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		fw, err := e.svc.CreateAlarmRule(ctx, sys, dm.AlarmRuleInput{Name: "fw", Severity: models.SeverityMajor,
			Spec: models.AlarmRuleSpec{Kind: models.RuleFirmwareFailed}})
		if err != nil {
			t.Fatal(err)
		}
		// A device with its own credentials claims the victim's endpoint:
		// every registration is refused as an identity mismatch.
		impostor, _ := e.pskDevice(t, "other", dm.DeviceInput{}, func(c *client.Config) { c.Endpoint = "victim" })
		a := waitAlarm(t, e.svc, "victim", auth.ID, models.AlarmActive)
		if a.CustomerID != cust.ID || a.Type != "auth-failures" {
			t.Errorf("alarm %+v", a)
		}
		waitFor(t, "a repeat counted", func() bool {
			v, err := e.svc.GetAlarm(ctx, sys, a.ID)
			return err == nil && v.Count > 1
		})
		op := dm.Principal{TokenID: 7, Name: "ops", Role: models.RoleOperator}
		acked, err := e.svc.AcknowledgeAlarm(ctx, op, a.ID)
		if err != nil || acked.State != models.AlarmAcknowledged || acked.AckedBy != "token 7 (ops)" {
			t.Fatalf("ack: %+v %v", acked, err)
		}
		other2 := dm.Principal{Role: models.RoleCustomer, CustomerID: cust.ID + 1000}
		if _, err := e.svc.GetAlarm(ctx, other2, a.ID); !errors.Is(err, dm.ErrNotFound) {
			t.Errorf("another customer reads the alarm: %v", err)
		}
		mine := dm.Principal{Role: models.RoleCustomer, CustomerID: cust.ID}
		if pg, err := e.svc.ListAlarms(ctx, mine, dm.AlarmFilter{}, dm.PageRequest{}); err != nil || pg.Total != 1 {
			t.Errorf("the customer's alarms: %d %v", pg.Total, err)
		}
		// The real victim registers: the alarm clears.
		key := victim.PSKKeyHex
		if key == "" {
			t.Fatal("no key")
		}
		impostor.stop()
		e.startKeyed(t, "victim", victim.Credential.PSKIdentity, key)
		waitAlarm(t, e.svc, "victim", auth.ID, models.AlarmCleared)

		if err := e.svc.ReportFirmware(ctx, "victim", true, map[string]any{"result": 8}); err != nil {
			t.Fatal(err)
		}
		f := waitAlarm(t, e.svc, "victim", fw.ID, models.AlarmActive)
		if !strings.Contains(string(f.Details), `"result":8`) {
			t.Errorf("firmware alarm details %s", f.Details)
		}
		if err := e.svc.ReportFirmware(ctx, "victim", false, nil); err != nil {
			t.Fatal(err)
		}
		waitAlarm(t, e.svc, "victim", fw.ID, models.AlarmCleared)
		if _, err := e.svc.AcknowledgeAlarm(ctx, op, f.ID); !errors.Is(err, dm.ErrConflict) {
			t.Errorf("acknowledging a cleared alarm: %v", err)
		}
	})
}
