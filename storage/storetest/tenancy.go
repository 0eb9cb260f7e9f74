package storetest

import (
	"testing"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

func testCustomers(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	custs := st.Customers()
	c := models.Customer{Name: "acme", Description: "first"}
	must(t, custs.Create(ctx, &c))
	got, err := custs.Get(ctx, c.ID)
	must(t, err)
	if got != c {
		t.Errorf("Get = %+v, want %+v", got, c)
	}
	wantErr(t, custs.Create(ctx, &models.Customer{Name: "acme"}), dm.ErrConflict, "duplicate customer")
	c.Name = "acme corp"
	must(t, custs.Update(ctx, &c))
	got, err = custs.Get(ctx, c.ID)
	must(t, err)
	if got.Name != "acme corp" {
		t.Errorf("after update %+v", got)
	}
	d := models.Device{Endpoint: "owned", CustomerID: c.ID}
	must(t, st.Devices().Create(ctx, &d))
	wantErr(t, custs.Delete(ctx, c.ID), dm.ErrConflict, "delete a customer owning devices")
	must(t, st.Devices().Delete(ctx, d.ID))
	must(t, custs.Delete(ctx, c.ID))
	wantErr(t, custs.Delete(ctx, c.ID), dm.ErrNotFound, "delete twice")
	pg, err := custs.List(ctx, dm.PageRequest{})
	must(t, err)
	if pg.Total != 0 || len(pg.Items) != 0 {
		t.Errorf("list after delete %+v", pg)
	}
}

func testUsersTokens(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	cust := models.Customer{Name: "tenant"}
	must(t, st.Customers().Create(ctx, &cust))

	u := models.User{Email: "Ops@Example.com", Name: "Ops", PasswordHash: "$argon2id$x", Role: models.RoleOperator}
	must(t, st.Users().Create(ctx, &u))
	got, err := st.Users().GetByEmail(ctx, "ops@example.COM")
	must(t, err)
	if got.ID != u.ID || got.Email != "ops@example.com" || got.PasswordHash != "$argon2id$x" {
		t.Errorf("GetByEmail = %+v", got)
	}
	wantErr(t, st.Users().Create(ctx, &models.User{Email: "ops@example.com", Role: models.RoleAdmin}), dm.ErrConflict, "duplicate email")
	wantErr(t, st.Users().Create(ctx, &models.User{Email: "c@x", Role: models.RoleCustomer}), dm.ErrInvalid, "customer role without customer")
	wantErr(t, st.Users().Create(ctx, &models.User{Email: "c@x", Role: "root"}), dm.ErrInvalid, "unknown role")
	cu := models.User{Email: "c@x", Role: models.RoleCustomer, CustomerID: cust.ID}
	must(t, st.Users().Create(ctx, &cu))
	pg, err := st.Users().List(ctx, cust.ID, dm.PageRequest{})
	must(t, err)
	if pg.Total != 1 || pg.Items[0].ID != cu.ID {
		t.Errorf("users of customer: %+v", pg)
	}

	tok := models.APIToken{Name: "ci", Hash: "h1", Prefix: "shl_ab12", Role: models.RoleCustomer, CustomerID: cust.ID, UserID: cu.ID, ExpiresAt: T0}
	must(t, st.Tokens().Create(ctx, &tok))
	gotTok, err := st.Tokens().ByHash(ctx, "h1")
	must(t, err)
	if gotTok != tok {
		t.Errorf("ByHash = %+v\nwant %+v", gotTok, tok)
	}
	wantErr(t, st.Tokens().Create(ctx, &models.APIToken{Hash: "h1", Role: models.RoleAdmin}), dm.ErrConflict, "duplicate hash")
	wantErr(t, st.Tokens().Create(ctx, &models.APIToken{Role: models.RoleAdmin}), dm.ErrInvalid, "empty hash")
	admin := models.APIToken{Name: "admin", Hash: "h2", Role: models.RoleAdmin}
	must(t, st.Tokens().Create(ctx, &admin))

	must(t, st.Tokens().Touch(ctx, tok.ID, T0))
	must(t, st.Tokens().Revoke(ctx, tok.ID, T0))
	must(t, st.Tokens().Revoke(ctx, tok.ID, T0.Add(1))) // idempotent, keeps the first time
	gotTok, err = st.Tokens().ByHash(ctx, "h1")
	must(t, err)
	if !gotTok.Revoked {
		t.Error("token not revoked")
	}
	sameTime(t, "revoked at", gotTok.RevokedAt, T0)
	sameTime(t, "last used", gotTok.LastUsedAt, T0)

	live, err := st.Tokens().List(ctx, dm.TokenFilter{}, dm.PageRequest{})
	must(t, err)
	if live.Total != 1 || live.Items[0].ID != admin.ID {
		t.Errorf("live tokens %+v", live)
	}
	all, err := st.Tokens().List(ctx, dm.TokenFilter{IncludeRevoked: true, CustomerID: cust.ID}, dm.PageRequest{})
	must(t, err)
	if all.Total != 1 || all.Items[0].ID != tok.ID {
		t.Errorf("customer tokens incl. revoked %+v", all)
	}

	wantErr(t, st.Customers().Delete(ctx, cust.ID), dm.ErrConflict, "delete a customer with users and tokens")
	must(t, st.Users().Delete(ctx, cu.ID))
	_, err = st.Tokens().Get(ctx, tok.ID)
	wantErr(t, err, dm.ErrNotFound, "token of a deleted user")
}
