package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage"
)

// RunProvisioning runs the conformance tests of the bootstrap and
// credential-lifecycle repositories against b, each in parallel on its own
// database.
func RunProvisioning(t *testing.T, b Backend) {
	for _, tc := range []suiteTest{
		{"BootstrapConfigs", testBootstrapConfigs},
		{"BootstrapAccounts", testBootstrapAccounts},
		{"FactoryCredentials", testFactoryCredentials},
		{"BootstrapBindings", testBootstrapBindings},
		{"BootstrapSessions", testBootstrapSessions},
		{"CredentialLifecycle", testCredentialLifecycle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, b)
		})
	}
}

func bsSpec(uri string) models.BootstrapSpec {
	return models.BootstrapSpec{Servers: []models.BootstrapServer{{ShortServerID: 1, URI: uri}}, Security: models.ModePSK,
		Lifetime: models.Duration(time.Hour)}
}

func testBootstrapConfigs(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	cfgs := st.BootstrapConfigs()
	dev := newDevice(t, st, "d1")
	prof := models.Profile{Name: "p1"}
	must(t, st.Profiles().Create(ctx, &prof))
	acct := models.BootstrapAccount{Name: "batch-1"}
	must(t, st.BootstrapAccounts().Create(ctx, &acct))

	_, err := cfgs.For(ctx, dev, prof.ID, acct.ID)
	wantErr(t, err, dm.ErrNotFound, "config for a device with none")

	def := models.BootstrapConfig{Name: "default", Default: true, Spec: bsSpec("coaps://default")}
	must(t, cfgs.Create(ctx, &def))
	byAcct := models.BootstrapConfig{Name: "acct", AccountID: acct.ID, Spec: bsSpec("coaps://account")}
	must(t, cfgs.Create(ctx, &byAcct))
	byProf := models.BootstrapConfig{Name: "prof", ProfileID: prof.ID, Spec: bsSpec("coaps://profile")}
	must(t, cfgs.Create(ctx, &byProf))
	byDev := models.BootstrapConfig{Name: "dev", DeviceID: dev, Spec: bsSpec("coaps://device")}
	must(t, cfgs.Create(ctx, &byDev))

	for _, c := range []struct {
		dev, prof, acct int64
		want            string
	}{
		{dev, prof.ID, acct.ID, "dev"}, {0, prof.ID, acct.ID, "prof"}, {0, 0, acct.ID, "acct"}, {0, 0, 0, "default"},
		{dev + 100, prof.ID + 100, acct.ID + 100, "default"},
	} {
		got, err := cfgs.For(ctx, c.dev, c.prof, c.acct)
		must(t, err)
		if got.Name != c.want {
			t.Errorf("For(%d, %d, %d) = %q, want %q", c.dev, c.prof, c.acct, got.Name, c.want)
		}
	}
	got, err := cfgs.GetByName(ctx, "dev")
	must(t, err)
	if got.ID != byDev.ID || got.Spec.Servers[0].URI != "coaps://device" || got.Spec.Lifetime.D() != time.Hour || got.DeviceID != dev {
		t.Errorf("GetByName = %+v", got)
	}

	// One config per scope, one default, unique names, exactly one scope.
	dup := models.BootstrapConfig{Name: "dev-2", DeviceID: dev, Spec: bsSpec("coaps://x")}
	wantErr(t, cfgs.Create(ctx, &dup), dm.ErrConflict, "second config of a device")
	def2 := models.BootstrapConfig{Name: "default-2", Default: true, Spec: bsSpec("coaps://x")}
	wantErr(t, cfgs.Create(ctx, &def2), dm.ErrConflict, "second default")
	sameName := models.BootstrapConfig{Name: "dev", ProfileID: prof.ID + 0, Spec: bsSpec("coaps://x")}
	wantErr(t, cfgs.Create(ctx, &sameName), dm.ErrConflict, "duplicate name")
	two := models.BootstrapConfig{Name: "two", DeviceID: dev, Default: true}
	wantErr(t, cfgs.Create(ctx, &two), dm.ErrInvalid, "two scopes")
	none := models.BootstrapConfig{Name: "none"}
	wantErr(t, cfgs.Create(ctx, &none), dm.ErrInvalid, "no scope")

	byDev.Spec.Lifetime = models.Duration(2 * time.Hour)
	must(t, cfgs.Update(ctx, &byDev))
	got, err = cfgs.Get(ctx, byDev.ID)
	must(t, err)
	if got.Spec.Lifetime.D() != 2*time.Hour {
		t.Errorf("lifetime after update %v", got.Spec.Lifetime)
	}
	page, err := cfgs.List(ctx, dm.PageRequest{Limit: 2})
	must(t, err)
	if page.Total != 4 || len(page.Items) != 2 || page.Next == "" {
		t.Errorf("list: total %d items %d next %q", page.Total, len(page.Items), page.Next)
	}
	// Deleting the device drops its config.
	must(t, st.Devices().Delete(ctx, dev))
	_, err = cfgs.Get(ctx, byDev.ID)
	wantErr(t, err, dm.ErrNotFound, "config of a deleted device")
	must(t, cfgs.Delete(ctx, def.ID))
	wantErr(t, cfgs.Delete(ctx, def.ID), dm.ErrNotFound, "delete twice")
}

func testBootstrapAccounts(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	accts := st.BootstrapAccounts()
	prof := models.Profile{Name: "p1"}
	must(t, st.Profiles().Create(ctx, &prof))
	cust := models.Customer{Name: "c1"}
	must(t, st.Customers().Create(ctx, &cust))
	a := models.BootstrapAccount{Name: "batch", ProfileID: prof.ID, CustomerID: cust.ID, AutoProvision: true}
	must(t, accts.Create(ctx, &a))
	got, err := accts.GetByName(ctx, "batch")
	must(t, err)
	if got.ID != a.ID || !got.AutoProvision || got.ProfileID != prof.ID || got.CustomerID != cust.ID {
		t.Errorf("account %+v", got)
	}
	dup := models.BootstrapAccount{Name: "batch"}
	wantErr(t, accts.Create(ctx, &dup), dm.ErrConflict, "duplicate account name")
	bad := models.BootstrapAccount{Name: "bad", ProfileID: 9999}
	wantErr(t, accts.Create(ctx, &bad), dm.ErrInvalid, "unknown profile")
	// Deleting the profile detaches it; deleting the account removes its
	// factory credentials.
	must(t, st.Profiles().Delete(ctx, prof.ID))
	got, err = accts.Get(ctx, a.ID)
	must(t, err)
	if got.ProfileID != 0 {
		t.Errorf("profile id %d after the profile was deleted", got.ProfileID)
	}
	fc := models.FactoryCredential{AccountID: a.ID, Mode: models.FactoryPSK, PSKIdentity: "batch-id", PSKKey: []byte("k")}
	must(t, st.FactoryCredentials().Put(ctx, &fc))
	got.AutoProvision = false
	must(t, accts.Update(ctx, &got))
	must(t, accts.Delete(ctx, a.ID))
	_, err = st.FactoryCredentials().Get(ctx, fc.ID)
	wantErr(t, err, dm.ErrNotFound, "factory credential of a deleted account")
	l, err := accts.List(ctx, dm.PageRequest{})
	must(t, err)
	if l.Total != 0 {
		t.Errorf("%d accounts left", l.Total)
	}
}

func testFactoryCredentials(t *testing.T, b Backend) {
	ctx := t.Context()
	dsn := b.NewDSN(t)
	st := b.Open(t, dsn)
	fcs := st.FactoryCredentials()
	dev := newDevice(t, st, "d1")
	acct := models.BootstrapAccount{Name: "batch"}
	must(t, st.BootstrapAccounts().Create(ctx, &acct))

	key := []byte{0, 1, 2, 0xff}
	psk := models.FactoryCredential{DeviceID: dev, Mode: models.FactoryPSK, PSKIdentity: "fac-1", PSKKey: key}
	must(t, fcs.Put(ctx, &psk))
	got, err := fcs.ByPSKIdentity(ctx, "fac-1")
	must(t, err)
	if got.ID != psk.ID || !bytes.Equal(got.PSKKey, key) || got.State != models.CredentialActive || got.DeviceID != dev {
		t.Errorf("ByPSKIdentity = %+v", got)
	}
	// The key is sealed at rest.
	b.Exec(t, dsn, fmt.Sprintf("UPDATE factory_credentials SET psk_identity = 'moved' WHERE id = %d", psk.ID))
	_, err = fcs.Get(ctx, psk.ID)
	wantErr(t, err, storage.ErrSecretKey, "a sealed key moved to another identity")
	b.Exec(t, dsn, fmt.Sprintf("UPDATE factory_credentials SET psk_identity = 'fac-1' WHERE id = %d", psk.ID))

	dup := models.FactoryCredential{AccountID: acct.ID, Mode: models.FactoryPSK, PSKIdentity: "fac-1", PSKKey: []byte("x")}
	err = fcs.Put(ctx, &dup)
	wantErr(t, err, dm.ErrConflict, "live identity taken")

	ca := models.FactoryCredential{AccountID: acct.ID, Mode: models.FactoryX509CA, CertificatePEM: "-----BEGIN CERTIFICATE-----", Fingerprint: strings.Repeat("AB", 32)}
	must(t, fcs.Put(ctx, &ca))
	cas, err := fcs.CAs(ctx)
	must(t, err)
	if len(cas) != 1 || cas[0].ID != ca.ID || cas[0].Fingerprint != strings.Repeat("ab", 32) {
		t.Errorf("CAs = %+v", cas)
	}
	got, err = fcs.ByFingerprint(ctx, strings.Repeat("AB", 32))
	must(t, err)
	if got.ID != ca.ID {
		t.Errorf("ByFingerprint = %d, want %d", got.ID, ca.ID)
	}

	both := models.FactoryCredential{AccountID: acct.ID, DeviceID: dev, Mode: models.FactoryNoSec}
	wantErr(t, fcs.Put(ctx, &both), dm.ErrInvalid, "device and account")
	noKey := models.FactoryCredential{DeviceID: dev, Mode: models.FactoryPSK, PSKIdentity: "k"}
	wantErr(t, fcs.Put(ctx, &noKey), dm.ErrInvalid, "psk without key")

	must(t, fcs.Revoke(ctx, psk.ID, T0))
	must(t, fcs.Revoke(ctx, psk.ID, T0))
	wantErr(t, fcs.Revoke(ctx, 9999, T0), dm.ErrNotFound, "revoke unknown")
	got, err = fcs.ByPSKIdentity(ctx, "fac-1")
	must(t, err)
	if got.State != models.CredentialRevoked {
		t.Errorf("state after revoke %q", got.State)
	}
	sameTime(t, "revoked at", got.RevokedAt, T0)
	cas, _ = fcs.CAs(ctx)
	must(t, fcs.Revoke(ctx, ca.ID, T0))
	if cas2, _ := fcs.CAs(ctx); len(cas) != 1 || len(cas2) != 0 {
		t.Errorf("revoked CA still listed: %d → %d", len(cas), len(cas2))
	}
	// A revoked identity may be reused.
	must(t, fcs.Put(ctx, &dup))
	l, err := fcs.List(ctx, dm.FactoryFilter{AccountID: acct.ID}, dm.PageRequest{})
	must(t, err)
	if l.Total != 2 {
		t.Errorf("account has %d factory credentials, want 2", l.Total)
	}
	l, err = fcs.List(ctx, dm.FactoryFilter{DeviceID: dev}, dm.PageRequest{})
	must(t, err)
	if l.Total != 1 || l.Items[0].ID != psk.ID {
		t.Errorf("device factory credentials %+v", l.Items)
	}
}

func testBootstrapBindings(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	fcs := st.FactoryCredentials()
	dev := newDevice(t, st, "d1")
	acct := models.BootstrapAccount{Name: "batch"}
	must(t, st.BootstrapAccounts().Create(ctx, &acct))
	fc := models.FactoryCredential{AccountID: acct.ID, Mode: models.FactoryPSK, PSKIdentity: "shared", PSKKey: []byte("k")}
	must(t, fcs.Put(ctx, &fc))
	_, err := fcs.Binding(ctx, "d1")
	wantErr(t, err, dm.ErrNotFound, "binding before first use")
	must(t, fcs.Bind(ctx, models.BootstrapBinding{Endpoint: "d1", DeviceID: dev, FactoryCredentialID: fc.ID, Identity: "shared", BoundAt: T0}))
	got, err := fcs.Binding(ctx, "d1")
	must(t, err)
	if got.FactoryCredentialID != fc.ID || got.DeviceID != dev || got.Identity != "shared" {
		t.Errorf("binding %+v", got)
	}
	sameTime(t, "bound at", got.BoundAt, T0)
	wantErr(t, fcs.Bind(ctx, models.BootstrapBinding{Endpoint: "d1", DeviceID: dev, FactoryCredentialID: fc.ID}), dm.ErrConflict, "bind twice")
	must(t, fcs.Unbind(ctx, "d1"))
	wantErr(t, fcs.Unbind(ctx, "d1"), dm.ErrNotFound, "unbind twice")
	must(t, fcs.Bind(ctx, models.BootstrapBinding{Endpoint: "d1", DeviceID: dev, FactoryCredentialID: fc.ID}))
	must(t, st.Devices().Delete(ctx, dev))
	_, err = fcs.Binding(ctx, "d1")
	wantErr(t, err, dm.ErrNotFound, "binding of a deleted device")
}

func testBootstrapSessions(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	ss := st.BootstrapSessions()
	dev := newDevice(t, st, "d1")
	x := models.BootstrapSession{DeviceID: dev, Endpoint: "d1", State: models.SessionRunning, Identity: "fac", ServerInstance: -1, StartedAt: T0}
	must(t, ss.Create(ctx, &x))
	_, err := ss.Last(ctx, dev, models.SessionFinished)
	wantErr(t, err, dm.ErrNotFound, "no finished session yet")
	x.State, x.Step, x.ServerInstance, x.Version, x.Format, x.FinishedAt = models.SessionFinished, "done", 0, "1.1", "senml-cbor", T0.Add(time.Second)
	must(t, ss.Update(ctx, &x))
	y := models.BootstrapSession{DeviceID: dev, Endpoint: "d1", State: models.SessionFailed, Step: "write", Path: "/0/1",
		DeviceCode: "4.00", Error: "refused", ServerInstance: -1, StartedAt: T0.Add(time.Minute)}
	must(t, ss.Create(ctx, &y))
	last, err := ss.Last(ctx, dev, models.SessionFinished)
	must(t, err)
	if last.ID != x.ID || last.ServerInstance != 0 || last.Version != "1.1" || last.Format != "senml-cbor" {
		t.Errorf("last finished %+v", last)
	}
	sameTime(t, "finished at", last.FinishedAt, T0.Add(time.Second))
	l, err := ss.List(ctx, dm.SessionFilter{DeviceID: dev}, dm.PageRequest{})
	must(t, err)
	if l.Total != 2 || l.Items[0].ID != y.ID || l.Items[0].DeviceCode != "4.00" || l.Items[0].Path != "/0/1" {
		t.Errorf("sessions newest first: %+v", l.Items)
	}
	l, err = ss.List(ctx, dm.SessionFilter{States: []models.BootstrapSessionState{models.SessionFailed}}, dm.PageRequest{})
	must(t, err)
	if l.Total != 1 {
		t.Errorf("failed sessions: %d", l.Total)
	}
	bad := models.BootstrapSession{DeviceID: dev, Endpoint: "d1", State: "lost"}
	wantErr(t, ss.Create(ctx, &bad), dm.ErrInvalid, "unknown state")
}

func testCredentialLifecycle(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	lc := st.CredentialLifecycle()
	dev := newDevice(t, st, "d1")
	creds := st.Credentials()
	soon := models.Credential{DeviceID: dev, Mode: models.ModeX509, Fingerprint: strings.Repeat("1", 64), CertificatePEM: "x",
		NotAfter: T0.Add(24 * time.Hour), State: models.CredentialPending}
	must(t, creds.Put(ctx, &soon))
	later := models.Credential{DeviceID: dev, Mode: models.ModeX509, Fingerprint: strings.Repeat("2", 64), CertificatePEM: "x",
		NotAfter: T0.Add(90 * 24 * time.Hour)}
	must(t, creds.Put(ctx, &later))
	gone := models.Credential{DeviceID: dev, Mode: models.ModeX509, Fingerprint: strings.Repeat("3", 64), CertificatePEM: "x",
		NotAfter: T0.Add(time.Hour), State: models.CredentialRevoked}
	must(t, creds.Put(ctx, &gone))

	secret := []byte("pkcs8 private key")
	l := models.CredentialLifecycle{CredentialID: soon.ID, DeviceID: dev, Reason: "rotation", IssuedBy: "token 1", SecretKey: secret, IssuedAt: T0, CommandID: 0}
	must(t, lc.Put(ctx, &l))
	got, err := lc.Get(ctx, soon.ID)
	must(t, err)
	if !bytes.Equal(got.SecretKey, secret) || got.Reason != "rotation" || got.IssuedBy != "token 1" {
		t.Errorf("lifecycle %+v", got)
	}
	sameTime(t, "issued at", got.IssuedAt, T0)
	// Upsert: deliver, confirm, drop the secret.
	got.SecretKey, got.DeliveredAt, got.ConfirmedAt = nil, T0.Add(time.Minute), T0.Add(2*time.Minute)
	must(t, lc.Put(ctx, &got))
	got, err = lc.Get(ctx, soon.ID)
	must(t, err)
	if got.SecretKey != nil {
		t.Errorf("secret kept after it was dropped")
	}
	sameTime(t, "confirmed at", got.ConfirmedAt, T0.Add(2*time.Minute))
	byDev, err := lc.ByDevice(ctx, dev)
	must(t, err)
	if len(byDev) != 1 {
		t.Errorf("%d lifecycle records", len(byDev))
	}

	exp, err := lc.Expiring(ctx, T0.Add(30*24*time.Hour), 10)
	must(t, err)
	if len(exp) != 1 || exp[0].Credential.ID != soon.ID || exp[0].Lifecycle.CredentialID != soon.ID {
		t.Fatalf("expiring within 30 days: %+v", exp)
	}
	exp, err = lc.Expiring(ctx, T0.Add(365*24*time.Hour), 10)
	must(t, err)
	if len(exp) != 2 || exp[1].Credential.ID != later.ID || exp[1].Lifecycle.CredentialID != 0 {
		t.Fatalf("expiring within a year: %+v", exp)
	}
	wantErr(t, lc.Put(ctx, &models.CredentialLifecycle{CredentialID: soon.ID}), dm.ErrInvalid, "no device")
}
