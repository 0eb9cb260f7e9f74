package main

import (
	"context"
	"strings"
	"testing"
)

// TestCustomersUsersTokens: customers own devices; a customer token made
// with shoalctl sees only its own and stops working when revoked; every
// change is in the audit log.
func TestCustomersUsersTokens(t *testing.T) {
	e := newEnv(t)
	r := e.ctl("customers", "create", "acme", "--description", "Acme Corp").ok(t)
	if !row(r.out, "NAME:", "acme") {
		t.Fatalf("create:\n%s", r.out)
	}
	e.ctl("customers", "create", "globex").ok(t)
	e.ctl("devices", "create", "acme-1").ok(t)
	e.ctl("devices", "create", "globex-1").ok(t)
	r = e.ctl("customers", "assign", "acme", "acme-1").ok(t)
	if !row(r.out, "CUSTOMER", "ID:", "1") {
		t.Fatalf("assign:\n%s", r.out)
	}
	e.ctl("customers", "assign", "globex", "globex-1").ok(t)
	r = e.ctl("customers", "list").ok(t)
	if !row(r.out, "1", "acme", "Acme", "Corp") || !row(r.out, "2", "globex") {
		t.Fatalf("list:\n%s", r.out)
	}
	r = e.ctl("users", "create", "ann@acme.example", "--role", "customer", "--customer", "acme", "--name", "Ann").ok(t)
	if !row(r.out, "ROLE:", "customer") {
		t.Fatalf("user:\n%s", r.out)
	}
	r = e.ctl("tokens", "create", "acme-app", "--role", "customer", "--customer", "acme", "--expires-in", "24h").ok(t)
	var secret string
	for _, l := range strings.Split(r.out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "SECRET:" {
			secret = f[1]
		}
	}
	if !strings.HasPrefix(secret, "shoal_") || !row(r.out, "EXPIRES", "AT:") {
		t.Fatalf("token:\n%s", r.out)
	}
	as := map[string]string{"SHOAL_SERVER": e.url, "SHOAL_TOKEN": secret}
	r = e.ctlEnv(as, "", "devices", "list").ok(t)
	if !strings.Contains(r.out, "acme-1") || strings.Contains(r.out, "globex") {
		t.Fatalf("the customer's devices:\n%s", r.out)
	}
	e.ctlEnv(as, "", "devices", "get", "globex-1").fails(t, exitError, "Not found")
	e.ctlEnv(as, "", "users", "list").fails(t, exitError, "Forbidden")
	r = e.ctl("tokens", "list").ok(t)
	if !row(r.out, "acme-app") || strings.Contains(r.out, secret) {
		t.Fatalf("tokens:\n%s", r.out)
	}
	e.ctl("tokens", "revoke", "2").ok(t)
	e.ctlEnv(as, "", "devices", "list").fails(t, exitError, "Unauthorized")
	e.ctl("customers", "unassign", "acme", "acme-1").ok(t)
	e.ctl("customers", "delete", "acme").fails(t, exitError, "Conflict") // Ann and her revoked token still belong to it
	r = e.ctl("audit", "--outcome", "failure").ok(t)
	if !row(r.out, "deleteCustomer", "DELETE", "/api/v1/customers/acme", "409", "failure") {
		t.Fatalf("audit:\n%s", r.out)
	}
	r = e.ctl("audit").ok(t)
	if !row(r.out, "revokeToken") || !row(r.out, "assignDevice") {
		t.Fatalf("audit:\n%s", r.out)
	}
}

// TestAssetsAndRelations: an asset hierarchy built with shoalctl, the
// devices under it, and a cycle refused.
func TestAssetsAndRelations(t *testing.T) {
	e := newEnv(t)
	e.ctl("assets", "create", "Plant", "--type", "site", "-l", "region=eu").ok(t)
	e.ctl("assets", "create", "Hall", "--type", "building").ok(t)
	e.ctl("devices", "create", "pump-9").ok(t)
	e.ctl("relations", "create", "asset:1", "contains", "asset:2").ok(t)
	r := e.ctl("relations", "create", "asset:2", "contains", "device:pump-9").ok(t)
	if !row(r.out, "TO", "NAME:", "pump-9") {
		t.Fatalf("relate:\n%s", r.out)
	}
	e.ctl("relations", "create", "asset:2", "contains", "asset:1").fails(t, exitError, "cycle")
	e.ctl("relations", "create", "shelf:1", "contains", "asset:1").fails(t, exitUsage, "asset:<id> or device:<endpoint>")
	r = e.ctl("assets", "devices", "1").ok(t)
	if !row(r.out, "1", "pump-9") {
		t.Fatalf("devices under the plant:\n%s", r.out)
	}
	r = e.ctl("relations", "list", "device:pump-9").ok(t)
	if !row(r.out, "asset", "2", "Hall", "contains", "device") {
		t.Fatalf("relations:\n%s", r.out)
	}
	r = e.ctl("assets", "list", "--label", "region=eu").ok(t)
	if !row(r.out, "1", "Plant", "site") || strings.Contains(r.out, "Hall") {
		t.Fatalf("assets:\n%s", r.out)
	}
	e.ctl("relations", "delete", "asset:2", "contains", "device:pump-9").ok(t)
	r = e.ctl("assets", "devices", "1").ok(t)
	if strings.Contains(r.out, "pump-9") {
		t.Fatalf("after the delete:\n%s", r.out)
	}
	e.ctl("assets", "update", "2", "--name", "Hall B").ok(t)
	e.ctl("assets", "delete", "2").ok(t)
	e.ctl("assets", "get", "2").fails(t, exitError, "Not found")
}

// TestAlarmsRulesWebhooks: a rule made with shoalctl raises an alarm that
// alarms --follow shows live; ack and clear; a webhook channel and its
// delivery log; a non-http URL is refused.
func TestAlarmsRulesWebhooks(t *testing.T) {
	e := newEnv(t)
	e.ctl("devices", "create", "fw-1").ok(t)
	r := e.ctl("alarm-rules", "create", "fw failed", "--kind", "firmware-failed", "--severity", "critical").ok(t)
	if !row(r.out, "SEVERITY:", "critical") {
		t.Fatalf("rule:\n%s", r.out)
	}
	e.ctl("alarm-rules", "create", "low", "--kind", "threshold", "--key", "battery", "--count", "3").fails(t, exitError, "spec")
	e.ctl("alarm-rules", "create", "low", "--kind", "threshold", "--key", "battery", "--below", "20", "--for", "5m").ok(t)
	r = e.ctl("alarm-rules", "list").ok(t)
	if !row(r.out, "1", "fw", "failed", "firmware-failed", "critical") || !row(r.out, "2", "low", "threshold") {
		t.Fatalf("rules:\n%s", r.out)
	}
	r = e.ctl("webhooks", "create", "http://127.0.0.1:9/hook", "--event", "alarm.raised", "--disabled").ok(t)
	if !row(r.out, "URL:", "http://127.0.0.1:9/hook") || !strings.Contains(r.out, "whsec_") {
		t.Fatalf("webhook:\n%s", r.out)
	}
	e.ctl("webhooks", "create", "ftp://127.0.0.1/hook").fails(t, exitError, "url")
	r = e.ctl("webhooks", "list").ok(t)
	if !row(r.out, "1", "http://127.0.0.1:9/hook", `["alarm.raised"]`) || strings.Contains(r.out, "whsec_") {
		t.Fatalf("webhooks:\n%s", r.out)
	}
	e.ctl("webhooks", "deliveries", "1").ok(t)

	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	env := map[string]string{"SHOAL_SERVER": e.url, "SHOAL_TOKEN": testToken, "HOME": e.home}
	go func() {
		done <- run(ctx, []string{"alarms", "--follow"}, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	}()
	// Report failures until the followed stream shows the alarm (the
	// first may come before the stream is open; repeats update it).
	waitFor(t, "a followed alarm", func() bool {
		if err := e.svc.ReportFirmware(context.Background(), "fw-1", true, nil); err != nil {
			t.Fatal(err)
		}
		return strings.Contains(out.String(), "alarm.")
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("follow exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "fw-1") || strings.Contains(out.String(), "device.created") {
		t.Errorf("followed:\n%s", out.String())
	}
	r = e.ctl("alarms").ok(t)
	if !row(r.out, "fw-1", "firmware-failed", "critical", "active") {
		t.Fatalf("alarms:\n%s", r.out)
	}
	r = e.ctl("alarms", "ack", "1").ok(t)
	if !row(r.out, "STATE:", "acknowledged") {
		t.Fatalf("ack:\n%s", r.out)
	}
	e.ctl("alarms", "clear", "1").ok(t)
	r = e.ctl("alarms", "list", "--state", "cleared", "-o", "json").ok(t)
	var pg struct {
		Items []struct {
			State string `json:"state"`
		} `json:"items"`
	}
	mustUnmarshal(t, r.out, &pg)
	if len(pg.Items) != 1 || pg.Items[0].State != "cleared" {
		t.Fatalf("cleared alarms: %s", r.out)
	}
	e.ctl("alarm-rules", "delete", "2").ok(t)
	e.ctl("webhooks", "delete", "1").ok(t)
}
