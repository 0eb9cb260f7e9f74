package dm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// tenants is two customers with a device each, and principals for an
// operator and each customer.
type tenants struct {
	a, b       models.Customer
	op, ca, cb dm.Principal
}

func newTenants(t *testing.T, e *env) tenants {
	t.Helper()
	ctx := context.Background()
	sys := dm.System()
	var tn tenants
	var err error
	if tn.a, err = e.svc.CreateCustomer(ctx, sys, models.Customer{Name: "alpha"}); err != nil {
		t.Fatal(err)
	}
	if tn.b, err = e.svc.CreateCustomer(ctx, sys, models.Customer{Name: "beta"}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []dm.DeviceInput{{Endpoint: "dev-a", Customer: "alpha"}, {Endpoint: "dev-b", Customer: "beta"}, {Endpoint: "dev-none"}} {
		if _, err := e.svc.CreateDevice(ctx, sys, d); err != nil {
			t.Fatal(err)
		}
	}
	tn.op = dm.Principal{TokenID: 100, Role: models.RoleOperator}
	tn.ca = dm.Principal{TokenID: 101, Role: models.RoleCustomer, CustomerID: tn.a.ID}
	tn.cb = dm.Principal{TokenID: 102, Role: models.RoleCustomer, CustomerID: tn.b.ID}
	return tn
}

// TestCustomerScope: for a customer, another customer's device does not
// exist — the same error, word for word, as a device that does not exist
// — lists and counts hold only its own records, and what its role may not
// do is ErrForbidden.
func TestCustomerScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{})
		ctx := context.Background()
		tn := newTenants(t, e)

		_, errOther := e.svc.GetDevice(ctx, tn.ca, "dev-b")
		_, errNone := e.svc.GetDevice(ctx, tn.ca, "no-such")
		if !errors.Is(errOther, dm.ErrNotFound) || strings.ReplaceAll(errOther.Error(), "dev-b", "X") != strings.ReplaceAll(errNone.Error(), "no-such", "X") {
			t.Errorf("another customer's device: %v; a missing one: %v", errOther, errNone)
		}
		if _, err := e.svc.GetDevice(ctx, tn.ca, "dev-none"); !errors.Is(err, dm.ErrNotFound) {
			t.Errorf("a device of no customer, seen by a customer: %v", err)
		}
		if v, err := e.svc.GetDevice(ctx, tn.ca, "dev-a"); err != nil || v.Endpoint != "dev-a" {
			t.Errorf("own device: %v", err)
		}
		pg, err := e.svc.ListDevices(ctx, tn.ca, dm.DeviceFilter{}, dm.PageRequest{})
		if err != nil || pg.Total != 1 || len(pg.Items) != 1 || pg.Items[0].Endpoint != "dev-a" {
			t.Errorf("customer list: %+v %v", pg, err)
		}
		pg, err = e.svc.ListDevices(ctx, tn.ca, dm.DeviceFilter{CustomerID: tn.b.ID}, dm.PageRequest{})
		if err != nil || pg.Total != 0 {
			t.Errorf("customer a asking for b's devices: %d %v", pg.Total, err)
		}
		pg, err = e.svc.ListDevices(ctx, tn.op, dm.DeviceFilter{}, dm.PageRequest{})
		if err != nil || pg.Total != 3 {
			t.Errorf("operator list: %d %v", pg.Total, err)
		}

		read := lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0/9"))
		if _, err := e.svc.Execute(ctx, tn.ca, "dev-b", read, dm.CommandOptions{Queue: true}); !errors.Is(err, dm.ErrNotFound) {
			t.Errorf("a command to another customer's device: %v", err)
		}
		res, err := e.svc.Execute(ctx, tn.ca, "dev-a", read, dm.CommandOptions{Queue: true})
		if err != nil || !res.Queued {
			t.Fatalf("a read queued on its own device: %+v %v", res, err)
		}
		for _, req := range []lwm2m.Request{
			lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/0/0/3")),
			lwm2m.NewRequest(lwm2m.OpDelete, lwm2m.MustPath("/3303/0")),
			lwm2m.NewRequest(lwm2m.OpExecute, lwm2m.MustPath("/5/0/2")),
		} {
			if _, err := e.svc.Execute(ctx, tn.ca, "dev-a", req, dm.CommandOptions{Queue: true}); !errors.Is(err, dm.ErrForbidden) {
				t.Errorf("%s %s by a customer: %v", req.Op, req.Path, err)
			}
		}
		if _, err := e.svc.GetCommand(ctx, tn.cb, res.Command.ID); !errors.Is(err, dm.ErrNotFound) {
			t.Errorf("b reading a's command: %v", err)
		}
		if _, err := e.svc.CancelCommand(ctx, tn.cb, res.Command.ID); !errors.Is(err, dm.ErrNotFound) {
			t.Errorf("b cancelling a's command: %v", err)
		}
		cmds, err := e.svc.ListCommands(ctx, tn.cb, dm.CommandFilter{}, dm.PageRequest{})
		if err != nil || cmds.Total != 0 {
			t.Errorf("b's commands: %d %v", cmds.Total, err)
		}
		if _, err := e.svc.CancelCommand(ctx, tn.ca, res.Command.ID); err != nil {
			t.Errorf("a cancelling its command: %v", err)
		}

		for what, err := range map[string]error{
			"create a device":   func() error { _, err := e.svc.CreateDevice(ctx, tn.ca, dm.DeviceInput{Endpoint: "x"}); return err }(),
			"delete its device": e.svc.DeleteDevice(ctx, tn.ca, "dev-a"),
			"list profiles":     func() error { _, err := e.svc.ListProfiles(ctx, tn.ca, dm.PageRequest{}); return err }(),
			"move its device": func() error {
				none := ""
				_, err := e.svc.UpdateDevice(ctx, tn.ca, "dev-a", dm.DevicePatch{Customer: &none})
				return err
			}(),
			"list users": func() error { _, err := e.svc.ListUsers(ctx, tn.ca, 0, dm.PageRequest{}); return err }(),
		} {
			if !errors.Is(err, dm.ErrForbidden) {
				t.Errorf("a customer may not %s: %v", what, err)
			}
		}
		if err := e.svc.DeleteDevice(ctx, tn.ca, "dev-b"); !errors.Is(err, dm.ErrNotFound) {
			t.Errorf("deleting another customer's device: %v, want not found before forbidden", err)
		}
		if _, err := e.svc.ListUsers(ctx, tn.op, 0, dm.PageRequest{}); !errors.Is(err, dm.ErrForbidden) {
			t.Errorf("operators manage no users: %v", err)
		}
		name := "Alpha's meter"
		if v, err := e.svc.UpdateDevice(ctx, tn.ca, "dev-a", dm.DevicePatch{Name: &name}); err != nil || v.Name != name {
			t.Errorf("a customer renames its device: %v", err)
		}

		// Events: listed and streamed per customer.
		sa, cancelA, err := e.svc.Subscribe(tn.ca, dm.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		defer cancelA()
		if _, err := e.svc.UpdateDevice(ctx, dm.System(), "dev-b", dm.DevicePatch{Name: &name}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UpdateDevice(ctx, dm.System(), "dev-a", dm.DevicePatch{Name: &name}); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-sa.C:
			if ev.Endpoint != "dev-a" || ev.CustomerID != tn.a.ID {
				t.Errorf("a's stream carried %+v", ev)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no event on a's stream")
		}
		evs, err := e.svc.Events(ctx, tn.cb, dm.EventFilter{}, dm.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs.Items {
			if ev.CustomerID != tn.b.ID {
				t.Errorf("b's event log holds %+v", ev)
			}
		}
		if evs.Total == 0 {
			t.Error("b's event log is empty")
		}
		// A scoped principal without a customer sees nothing.
		if _, err := e.svc.ListDevices(ctx, dm.Principal{Role: models.RoleCustomer}, dm.DeviceFilter{}, dm.PageRequest{}); !errors.Is(err, dm.ErrForbidden) {
			t.Errorf("a customer token without a customer: %v", err)
		}
		if _, err := e.svc.ListDevices(ctx, dm.Principal{Role: "root"}, dm.DeviceFilter{}, dm.PageRequest{}); !errors.Is(err, dm.ErrForbidden) {
			t.Errorf("an unknown role: %v", err)
		}
	})
}

// TestTokensAndUsers: tokens are created with an expiry and a role, listed
// without secrets, and refused from the very next request after a
// revocation or after their user is disabled, even with a long cache.
func TestTokensAndUsers(t *testing.T) {
	e := newEnv(t, storetest.SQLite(), envOpts{dm: func(c *dm.Config) { c.CacheTTL = time.Hour }})
	ctx := context.Background()
	sys := dm.System()
	tn := newTenants(t, e)
	tok, secret, err := e.svc.CreateToken(ctx, sys, dm.TokenInput{Name: "ci", Role: models.RoleOperator, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil || !strings.HasPrefix(secret, tok.Prefix) || tok.Hash == secret {
		t.Fatalf("create: %+v %v", tok, err)
	}
	p, err := e.svc.Authenticate(ctx, secret)
	if err != nil || p.Role != models.RoleOperator || p.TokenID != tok.ID || p.Name != "ci" {
		t.Fatalf("authenticate: %+v %v", p, err)
	}
	if _, err := e.svc.RevokeToken(ctx, p, tok.ID); !errors.Is(err, dm.ErrForbidden) {
		t.Errorf("an operator revoking tokens: %v", err)
	}
	if _, err := e.svc.RevokeToken(ctx, sys, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(ctx, secret); !errors.Is(err, dm.ErrUnauthorized) {
		t.Errorf("a revoked token (cached for an hour) still works: %v", err)
	}
	for _, in := range []dm.TokenInput{
		{Name: "past", Role: models.RoleAdmin, ExpiresAt: time.Now().Add(-time.Minute)},
		{Name: "no customer", Role: models.RoleCustomer},
		{Name: "stray customer", Role: models.RoleOperator, Customer: "alpha"},
		{Name: "", Role: models.RoleAdmin},
		{Name: "bad role", Role: "root"},
	} {
		if _, _, err := e.svc.CreateToken(ctx, sys, in); !errors.Is(err, dm.ErrInvalid) {
			t.Errorf("%+v: %v", in, err)
		}
	}

	u, err := e.svc.CreateUser(ctx, sys, dm.UserInput{Email: "Ann@Example.com", Role: models.RoleCustomer, Customer: "alpha"})
	if err != nil || u.Email != "ann@example.com" || u.CustomerID != tn.a.ID {
		t.Fatalf("user: %+v %v", u, err)
	}
	ut, usecret, err := e.svc.CreateToken(ctx, sys, dm.TokenInput{Name: "ann", UserID: u.ID})
	if err != nil || ut.Role != models.RoleCustomer || ut.CustomerID != tn.a.ID {
		t.Fatalf("user token: %+v %v", ut, err)
	}
	if p, err := e.svc.Authenticate(ctx, usecret); err != nil || p.CustomerID != tn.a.ID || p.UserID != u.ID {
		t.Fatalf("user token authenticates as %+v %v", p, err)
	}
	yes := true
	if _, err := e.svc.UpdateUser(ctx, sys, u.ID, dm.UserPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(ctx, usecret); !errors.Is(err, dm.ErrUnauthorized) {
		t.Errorf("a disabled user's token works: %v", err)
	}
	no := false
	beta := "beta"
	if _, err := e.svc.UpdateUser(ctx, sys, u.ID, dm.UserPatch{Disabled: &no, Customer: &beta}); err != nil {
		t.Fatal(err)
	}
	if p, err := e.svc.Authenticate(ctx, usecret); err != nil || p.CustomerID != tn.b.ID {
		t.Errorf("after moving the user to beta its token is %+v %v", p, err)
	}
	pg, err := e.svc.ListTokens(ctx, sys, dm.TokenFilter{IncludeRevoked: true}, dm.PageRequest{})
	if err != nil || pg.Total < 2 {
		t.Fatalf("tokens: %+v %v", pg, err)
	}
	if err := e.svc.DeleteUser(ctx, sys, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(ctx, usecret); !errors.Is(err, dm.ErrUnauthorized) {
		t.Errorf("a deleted user's token works: %v", err)
	}
	if _, err := e.svc.CreateUser(ctx, sys, dm.UserInput{Email: "not an address", Role: models.RoleAdmin}); !errors.Is(err, dm.ErrInvalid) {
		t.Errorf("a bad e-mail: %v", err)
	}
}
