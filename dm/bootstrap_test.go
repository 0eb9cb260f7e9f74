package dm_test

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestBootstrapIssuesPSKThenRotates: a device holding only factory
// credentials bootstraps, is given a fresh PSK, registers with it (the
// credential becomes active, the one it was created with is revoked); a
// rotation then delivers another PSK by re-bootstrap, and only once the
// device registered with it is the previous one revoked.
func TestBootstrapIssuesPSKThenRotates(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		e := newBSEnv(t, b, bsOpts{})
		e.defaultConfig(t, models.BootstrapSpec{PSKBits: 256, Lifetime: models.Duration(60 * time.Second)})
		sub, stop := subscribe(t, e.svc, dm.EventFilter{Endpoint: "dev-1"})
		defer stop()
		startDevice(t, e.factoryDevice(t, "dev-1"))

		waitEvent(t, sub, "credential.activated")
		creds := e.credentials(t, "dev-1")
		if len(creds[models.CredentialActive]) != 1 || len(creds[models.CredentialPending]) != 0 {
			t.Fatalf("credentials after bootstrap: %+v", creds)
		}
		first := creds[models.CredentialActive][0]
		if first.Mode != "psk" || !strings.HasPrefix(first.PSKIdentity, "dev-1#") || first.Lifecycle == nil ||
			first.Lifecycle.Reason != "bootstrap" || first.Lifecycle.DeliveredAt.IsZero() || first.Lifecycle.ConfirmedAt.IsZero() {
			t.Fatalf("issued credential %+v lifecycle %+v", first, first.Lifecycle)
		}
		stored, err := e.st.Credentials().Get(ctx, first.ID)
		if err != nil || len(stored.PSKKey) != 32 {
			t.Fatalf("issued key is %d bytes (%v), want 256 bits", len(stored.PSKKey), err)
		}
		reg := e.registeredWith(t, "dev-1", first.PSKIdentity)
		if reg.Lifetime != 60*time.Second {
			t.Fatalf("lifetime %v", reg.Lifetime)
		}
		if n := len(creds[models.CredentialRevoked]); n != 1 {
			t.Fatalf("the nosec credential the device was created with is not revoked (%d revoked)", n)
		}
		sessions, err := e.prov.BootstrapSessions(ctx, dm.System(), "dev-1", nil, dm.PageRequest{})
		if err != nil || sessions.Total != 1 || sessions.Items[0].State != models.SessionFinished || sessions.Items[0].ServerInstance != 0 {
			t.Fatalf("sessions %+v %v", sessions.Items, err)
		}

		rot, err := e.prov.Rotate(ctx, dm.System(), "dev-1")
		if err != nil {
			t.Fatal(err)
		}
		if rot.Trigger.Queued || rot.Trigger.Response == nil || rot.Trigger.Response.Code != lwm2m.CodeChanged || rot.Credential.State != "pending" {
			t.Fatalf("rotation %+v", rot)
		}
		// Until the device uses the new key, both are valid.
		if c := e.credentials(t, "dev-1"); len(c[models.CredentialActive]) != 1 || len(c[models.CredentialPending]) > 1 {
			t.Fatalf("during rotation: %+v", c)
		}
		waitEvent(t, sub, "credential.rotated")
		e.registeredWith(t, "dev-1", rot.Credential.PSKIdentity)
		creds = e.credentials(t, "dev-1")
		if len(creds[models.CredentialActive]) != 1 || creds[models.CredentialActive][0].ID != rot.Credential.ID {
			t.Fatalf("after rotation: %+v", creds)
		}
		old, _ := e.st.Credentials().Get(ctx, first.ID)
		if old.State != models.CredentialRevoked {
			t.Fatalf("the old credential is %s after the rotation completed", old.State)
		}
		// The device stayed manageable throughout.
		res, err := e.svc.Execute(ctx, dm.System(), "dev-1", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0/0")), dm.CommandOptions{})
		if err != nil || res.Response.Code != lwm2m.CodeContent {
			t.Fatalf("read after rotation: %v %+v", err, res.Response)
		}
	})
}

// TestBootstrapRefusals: an unknown endpoint (no auto-provisioning) and a
// factory credential presented for another endpoint get 4.03 and a
// security event; nothing is created.
func TestBootstrapRefusals(t *testing.T) {
	ctx := context.Background()
	e := newBSEnv(t, storetest.SQLite(), bsOpts{})
	e.defaultConfig(t, models.BootstrapSpec{})
	acct, err := e.prov.CreateBootstrapAccount(ctx, dm.System(), dm.BootstrapAccountInput{Name: "batch"})
	if err != nil {
		t.Fatal(err)
	}
	fc, key, err := e.prov.CreateFactoryCredential(ctx, dm.System(), dm.FactoryInput{Account: acct.Name})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := hex.DecodeString(key)
	sub, stop := subscribe(t, e.svc, dm.EventFilter{Categories: []models.EventCategory{models.CategorySecurity}})
	defer stop()

	code := bootstrapRequest(t, e, fc.PSKIdentity, k, "stranger")
	if code != lwm2m.CodeForbidden {
		t.Fatalf("unknown endpoint: %v", code)
	}
	ev := waitEvent(t, sub, "bootstrap-refused")
	if ev.Endpoint != "stranger" || !strings.Contains(string(ev.Data), "does not auto-provision") {
		t.Fatalf("event %+v %s", ev, ev.Data)
	}
	if _, err := e.svc.GetDevice(ctx, dm.System(), "stranger"); !errors.Is(err, dm.ErrNotFound) {
		t.Fatalf("stranger was created: %v", err)
	}

	cfg := e.factoryDevice(t, "owner")
	if code := bootstrapRequest(t, e, cfg.PSKIdentity, cfg.PSKKey, "someone-else"); code != lwm2m.CodeForbidden {
		t.Fatalf("per-device factory credential used for another endpoint: %v", code)
	}
	ev = waitEvent(t, sub, "bootstrap-refused")
	if !strings.Contains(string(ev.Data), "belongs to another endpoint") {
		t.Fatalf("event data %s", ev.Data)
	}
	// A revoked factory credential cannot even handshake.
	if _, err := e.prov.RevokeFactoryCredential(ctx, dm.System(), fc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := dialPSK(e.bs.DTLSAddr().String(), fc.PSKIdentity, k); err == nil {
		t.Fatal("handshake with a revoked factory credential succeeded")
	}
}

// TestAutoProvisionBindsAtFirstUse: a batch credential with
// auto-provisioning creates unknown endpoints under the account's profile
// and binds each; an endpoint bound to one batch credential is refused
// with another.
func TestAutoProvisionBindsAtFirstUse(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		e := newBSEnv(t, b, bsOpts{})
		if _, err := e.svc.CreateProfile(ctx, dm.System(), models.Profile{Name: "meters"}); err != nil {
			t.Fatal(err)
		}
		acct, err := e.prov.CreateBootstrapAccount(ctx, dm.System(), dm.BootstrapAccountInput{Name: "batch-7", Profile: "meters", AutoProvision: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.prov.CreateBootstrapConfig(ctx, dm.System(), dm.BootstrapConfigInput{Name: "meters", Profile: "meters",
			Spec: models.BootstrapSpec{Servers: []models.BootstrapServer{{ShortServerID: 9}}, Security: models.ModePSK}}); err != nil {
			t.Fatal(err)
		}
		fc, key, err := e.prov.CreateFactoryCredential(ctx, dm.System(), dm.FactoryInput{Account: acct.Name, PSKIdentity: "batch-7-key"})
		if err != nil {
			t.Fatal(err)
		}
		k, _ := hex.DecodeString(key)
		other, key2, err := e.prov.CreateFactoryCredential(ctx, dm.System(), dm.FactoryInput{Account: acct.Name})
		if err != nil {
			t.Fatal(err)
		}
		k2, _ := hex.DecodeString(key2)
		sub, stop := subscribe(t, e.svc, dm.EventFilter{})
		defer stop()
		for _, ep := range []string{"meter-1", "meter-2"} {
			startDevice(t, clientFor(e, ep, fc.PSKIdentity, k))
		}
		for _, ep := range []string{"meter-1", "meter-2"} {
			waitFor(t, ep+" active", func() bool {
				d, err := e.svc.GetDevice(ctx, dm.System(), ep)
				return err == nil && d.Status == models.StatusOnline
			})
			d, _ := e.svc.GetDevice(ctx, dm.System(), ep)
			if d.Profile != "meters" {
				t.Fatalf("%s auto-provisioned with profile %q", ep, d.Profile)
			}
			bnd, err := e.st.FactoryCredentials().Binding(ctx, ep)
			if err != nil || bnd.FactoryCredentialID != fc.ID {
				t.Fatalf("%s binding %+v %v", ep, bnd, err)
			}
		}
		waitEvent(t, sub, "device.auto-provisioned")
		if code := bootstrapRequest(t, e, other.PSKIdentity, k2, "meter-1"); code != lwm2m.CodeForbidden {
			t.Fatalf("bound endpoint with another batch credential: %v", code)
		}
	})
}

// TestRevokeCutsTheDeviceOff: revoking the credential a device is
// connected with closes its DTLS session, and it cannot handshake again.
func TestRevokeCutsTheDeviceOff(t *testing.T) {
	ctx := context.Background()
	e := newBSEnv(t, storetest.SQLite(), bsOpts{})
	e.defaultConfig(t, models.BootstrapSpec{})
	sub, stop := subscribe(t, e.svc, dm.EventFilter{Endpoint: "dev-r"})
	defer stop()
	startDevice(t, e.factoryDevice(t, "dev-r"))
	waitEvent(t, sub, "credential.activated")
	active := e.credentials(t, "dev-r")[models.CredentialActive][0]
	stored, _ := e.st.Credentials().Get(ctx, active.ID)
	if _, err := dialPSK(e.srv.DTLSAddr().String(), stored.PSKIdentity, stored.PSKKey); err != nil {
		t.Fatalf("the issued PSK does not handshake: %v", err)
	}
	v, err := e.prov.Revoke(ctx, dm.System(), "dev-r", active.ID)
	if err != nil || v.State != "revoked" {
		t.Fatalf("revoke: %+v %v", v, err)
	}
	ev := waitEvent(t, sub, "credential.revoked")
	if !strings.Contains(string(ev.Data), `"disconnected":true`) {
		t.Fatalf("live session not closed: %s", ev.Data)
	}
	if _, err := dialPSK(e.srv.DTLSAddr().String(), stored.PSKIdentity, stored.PSKKey); err == nil {
		t.Fatal("a revoked PSK still handshakes")
	}
	if _, err := e.prov.Revoke(ctx, dm.System(), "dev-r", active.ID+1000); !errors.Is(err, dm.ErrNotFound) {
		t.Fatalf("revoking an unknown credential: %v", err)
	}
}

// TestBootstrapConfigValidation: bad configurations are refused naming the
// field.
func TestBootstrapConfigValidation(t *testing.T) {
	e := newBSEnv(t, storetest.SQLite(), bsOpts{})
	ctx := context.Background()
	good := models.BootstrapSpec{Servers: []models.BootstrapServer{{ShortServerID: 1}}, Security: models.ModePSK}
	for field, mod := range map[string]func(*dm.BootstrapConfigInput){
		"spec.security":                   func(in *dm.BootstrapConfigInput) { in.Spec.Security = "rpk" },
		"spec.servers":                    func(in *dm.BootstrapConfigInput) { in.Spec.Servers = nil },
		"spec.servers[0].short_server_id": func(in *dm.BootstrapConfigInput) { in.Spec.Servers[0].ShortServerID = 0 },
		"spec.servers[0].uri":             func(in *dm.BootstrapConfigInput) { in.Spec.Servers[0].URI = "coap://plain" },
		"spec.psk_bits":                   func(in *dm.BootstrapConfigInput) { in.Spec.PSKBits = 64 },
		"spec.binding":                    func(in *dm.BootstrapConfigInput) { in.Spec.Binding = "X" },
		"spec.auto_rotate_before":         func(in *dm.BootstrapConfigInput) { in.Spec.AutoRotateBefore = models.Duration(time.Hour) },
		"scope":                           func(in *dm.BootstrapConfigInput) { in.Default = false },
		"device":                          func(in *dm.BootstrapConfigInput) { in.Default, in.Device = false, "nobody" },
	} {
		in := dm.BootstrapConfigInput{Name: "c", Default: true, Spec: good}
		in.Spec.Servers = append([]models.BootstrapServer(nil), good.Servers...)
		mod(&in)
		_, err := e.prov.CreateBootstrapConfig(ctx, dm.System(), in)
		if !errors.Is(err, dm.ErrInvalid) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
	if _, err := e.prov.CreateBootstrapConfig(ctx, dm.Principal{Role: models.RoleCustomer, CustomerID: 1}, dm.BootstrapConfigInput{Name: "c", Default: true, Spec: good}); !errors.Is(err, dm.ErrForbidden) {
		t.Errorf("customer creating a config: %v", err)
	}
}

// clientFor is a client holding factory PSK credentials.
func clientFor(e *bsEnv, ep, identity string, key []byte) client.Config {
	return client.Config{Endpoint: ep, BootstrapURI: e.bsURI(), PSKIdentity: identity, PSKKey: key}
}

// bootstrapRequest sends one Bootstrap-Request over DTLS with the given
// factory PSK and returns the answer's code.
func bootstrapRequest(t *testing.T, e *bsEnv, identity string, key []byte, ep string) lwm2m.Code {
	t.Helper()
	c, err := dialPSK(e.bs.DTLSAddr().String(), identity, key)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer c.Close()
	req := coap.NewRequest(coap.POST, "bs")
	req.AddQuery("ep=" + ep)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := c.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Code
}

func dialPSK(addr, identity string, key []byte) (*coap.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return coap.Dial(ctx, addr, coap.DialConfig{DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte(identity), PSK: key,
		HandshakeTimeout: 3 * time.Second}})
}
