package dm_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestRotationOfSleepingDeviceIsQueued: rotating a queue-mode device that
// sleeps queues the Bootstrap-Request Trigger; when the device next wakes
// it is delivered, the device re-bootstraps and the old key is revoked
// only after it registered with the new one.
func TestRotationOfSleepingDeviceIsQueued(t *testing.T) {
	ctx := context.Background()
	e := newBSEnv(t, storetest.SQLite(), bsOpts{server: func(c *server.Config) { c.AwakeWindow = 300 * time.Millisecond }})
	e.defaultConfig(t, models.BootstrapSpec{Lifetime: models.Duration(3 * time.Second)})
	sub, stop := subscribe(t, e.svc, dm.EventFilter{Endpoint: "sleepy"})
	defer stop()
	cfg := e.factoryDevice(t, "sleepy")
	cfg.QueueMode, cfg.AwakeTime = true, 200*time.Millisecond
	startDevice(t, cfg)
	waitEvent(t, sub, "credential.activated")
	old := e.credentials(t, "sleepy")[models.CredentialActive][0]
	waitFor(t, "sleepy asleep", func() bool {
		d, err := e.svc.GetDevice(ctx, dm.System(), "sleepy")
		return err == nil && d.Status == models.StatusAsleep
	})
	rot, err := e.prov.Rotate(ctx, dm.System(), "sleepy")
	if err != nil {
		t.Fatal(err)
	}
	if !rot.Trigger.Queued || rot.Trigger.Command.ID == 0 {
		t.Fatalf("rotation of a sleeping device was not queued: %+v", rot.Trigger)
	}
	if c := e.credentials(t, "sleepy"); len(c[models.CredentialActive]) != 1 || c[models.CredentialActive][0].ID != old.ID {
		t.Fatalf("old credential not kept while the rotation waits: %+v", c)
	}
	waitEvent(t, sub, "credential.rotated")
	e.registeredWith(t, "sleepy", rot.Credential.PSKIdentity)
	cmd, err := e.svc.GetCommand(ctx, dm.System(), rot.Trigger.Command.ID)
	// The trigger either succeeded, or — when the device dropped the
	// connection to bootstrap before its answer left — was cancelled once
	// the rotation completed: it is not retried either way.
	if err != nil || cmd.State != models.CommandSucceeded && cmd.State != models.CommandCancelled {
		t.Fatalf("trigger command %s %v", cmd.State, err)
	}
	c := e.credentials(t, "sleepy")
	if len(c[models.CredentialActive]) != 1 || c[models.CredentialActive][0].ID != rot.Credential.ID {
		t.Fatalf("after the rotation: %+v", c)
	}
}

// TestBadFinishLeavesOldCredentials: a device that refuses Bootstrap-Finish
// leaves a failed session with its code, and the credential it had keeps
// working.
func TestBadFinishLeavesOldCredentials(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		e := newBSEnv(t, b, bsOpts{})
		e.defaultConfig(t, models.BootstrapSpec{})
		sub, stop := subscribe(t, e.svc, dm.EventFilter{Endpoint: "dev-f"})
		defer stop()
		cfg := e.factoryDevice(t, "dev-f")
		dev := startDevice(t, cfg)
		waitEvent(t, sub, "credential.activated")
		dev.stop()
		active := e.credentials(t, "dev-f")[models.CredentialActive][0]
		stored, _ := e.st.Credentials().Get(ctx, active.ID)

		// The same device, now misbehaving: it accepts every write but
		// refuses the Finish.
		h := coap.HandlerFunc(func(_ context.Context, _ *coap.Peer, m *coap.Message) *coap.Message {
			switch m.Code {
			case coap.POST:
				return coap.ErrorResponse(lwm2m.CodeNotAcceptable, "no usable server account")
			case coap.DELETE:
				return coap.NewResponse(lwm2m.CodeDeleted, nil)
			case coap.GET:
				return coap.ErrorResponse(lwm2m.CodeNotFound, "")
			}
			return coap.NewResponse(lwm2m.CodeChanged, nil)
		})
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		conn, err := coap.Dial(dctx, e.bs.DTLSAddr().String(), coap.DialConfig{Config: coap.Config{Handler: h},
			DTLS: &coap.DTLSClientConfig{PSKIdentity: []byte(cfg.PSKIdentity), PSK: cfg.PSKKey}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req := coap.NewRequest(coap.POST, "bs")
		req.AddQuery("ep=dev-f")
		if resp, err := conn.Do(dctx, req); err != nil || resp.Code != lwm2m.CodeChanged {
			t.Fatalf("Bootstrap-Request: %v %v", resp, err)
		}
		ev := waitEvent(t, sub, "bootstrap.failed")
		if !strings.Contains(string(ev.Data), `"device_code":"4.06"`) || !strings.Contains(string(ev.Data), `"step":"finish"`) {
			t.Fatalf("failed session event %s", ev.Data)
		}
		sessions, err := e.prov.BootstrapSessions(ctx, dm.System(), "dev-f", []models.BootstrapSessionState{models.SessionFailed}, dm.PageRequest{})
		if err != nil || sessions.Total != 1 || sessions.Items[0].DeviceCode != "4.06" || sessions.Items[0].Step != "finish" {
			t.Fatalf("failed sessions %+v %v", sessions.Items, err)
		}
		c := e.credentials(t, "dev-f")
		if len(c[models.CredentialActive]) != 1 || c[models.CredentialActive][0].ID != active.ID {
			t.Fatalf("credentials after the failed session: %+v", c)
		}
		if _, err := dialPSK(e.srv.DTLSAddr().String(), stored.PSKIdentity, stored.PSKKey); err != nil {
			t.Fatalf("the old credential no longer handshakes: %v", err)
		}
	})
}

// TestX509FromShoalCAExpiryAndAutoRotation: a device gets a certificate
// from Shoal's CA and registers with it; as it nears expiry an expiry
// warning is raised once (event and hook) and it is rotated
// automatically.
func TestX509FromShoalCAExpiryAndAutoRotation(t *testing.T) {
	ctx := context.Background()
	var offset atomic.Int64
	var mu sync.Mutex
	var warned []int64
	e := newBSEnv(t, storetest.SQLite(), bsOpts{
		dm: func(c *dm.Config) { c.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) } },
		prov: func(c *dm.ProvisioningConfig) {
			c.OnCertificateExpiring = func(_ context.Context, d models.Device, cr models.Credential) {
				mu.Lock()
				warned = append(warned, cr.ID)
				mu.Unlock()
			}
		},
	})
	e.defaultConfig(t, models.BootstrapSpec{Security: models.ModeX509, CertValidity: models.Duration(48 * time.Hour),
		ExpiryWarning: models.Duration(6 * time.Hour), AutoRotateBefore: models.Duration(2 * time.Hour)})
	sub, stop := subscribe(t, e.svc, dm.EventFilter{Endpoint: "dev-x"})
	defer stop()
	startDevice(t, e.factoryDevice(t, "dev-x"))
	waitEvent(t, sub, "credential.activated")
	first := e.credentials(t, "dev-x")[models.CredentialActive][0]
	if first.Mode != "x509" || first.Fingerprint == "" || first.Lifecycle.SecretKey != nil {
		t.Fatalf("issued certificate %+v", first)
	}
	cert, err := parsePEM(first.CertificatePEM)
	if err != nil || cert.Subject.CommonName != "dev-x" || e.authority.Verify(cert, time.Now()) != nil {
		t.Fatalf("certificate CN %q, verifies against Shoal's CA: %v (%v)", cert.Subject.CommonName, e.authority.Verify(cert, time.Now()), err)
	}
	life, _ := e.st.CredentialLifecycle().Get(ctx, first.ID)
	if life.SecretKey != nil {
		t.Fatal("the device's private key is kept after it used the certificate")
	}
	reg := e.registeredWith(t, "dev-x", first.Fingerprint)
	if reg.Security != server.ModeX509 {
		t.Fatalf("registration %+v", reg)
	}

	// 43 hours later: inside the warning window, not yet the rotation one.
	offset.Store(int64(43 * time.Hour))
	if err := e.prov.ScanExpiring(ctx); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, sub, "credential.expiring")
	if !strings.Contains(string(ev.Data), first.Fingerprint) {
		t.Fatalf("expiry event %s", ev.Data)
	}
	if err := e.prov.ScanExpiring(ctx); err != nil { // warned once only
		t.Fatal(err)
	}
	alarms, err := e.svc.ListAlarms(ctx, dm.System(), dm.AlarmFilter{}, dm.PageRequest{})
	if err != nil || alarms.Total != 1 || alarms.Items[0].Type != "certificate-expiring" || alarms.Items[0].State != models.AlarmActive ||
		alarms.Items[0].Severity != models.SeverityWarning || alarms.Items[0].Count != 1 {
		t.Fatalf("expiry alarm %+v %v", alarms.Items, err)
	}
	if c := e.credentials(t, "dev-x"); len(c[models.CredentialPending]) != 0 {
		t.Fatalf("rotated before its window: %+v", c)
	}
	// 47 hours: the automatic rotation runs and completes.
	offset.Store(int64(47 * time.Hour))
	if err := e.prov.ScanExpiring(ctx); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, "credential.rotated")
	c := e.credentials(t, "dev-x")
	if len(c[models.CredentialActive]) != 1 || c[models.CredentialActive][0].ID == first.ID ||
		c[models.CredentialActive][0].Lifecycle.Reason != "expiry" {
		t.Fatalf("after the automatic rotation: %+v", c)
	}
	e.registeredWith(t, "dev-x", c[models.CredentialActive][0].Fingerprint)
	alarms, err = e.svc.ListAlarms(ctx, dm.System(), dm.AlarmFilter{}, dm.PageRequest{})
	if err != nil || alarms.Total != 1 || alarms.Items[0].State != models.AlarmCleared {
		t.Fatalf("the expiry alarm is not cleared once the certificate was replaced: %+v %v", alarms.Items, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warned) != 1 || warned[0] != first.ID {
		t.Fatalf("expiry hook calls %v", warned)
	}
}
