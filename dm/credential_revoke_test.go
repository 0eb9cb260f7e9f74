package dm_test

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestRevokeInUseEndsRegistration: revoking the credential a device is
// registered with ends its registration at once — the device is offline
// with a status event, not online until its lifetime runs out — while
// revoking another credential of the device (a pending one) leaves the
// registration alone.
func TestRevokeInUseEndsRegistration(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		e := newBSEnv(t, b, bsOpts{})
		const ep = "dev-revoke"
		created, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: ep})
		if err != nil {
			t.Fatal(err)
		}
		key, err := hex.DecodeString(created.PSKKeyHex)
		if err != nil || len(key) == 0 {
			t.Fatalf("no generated key: %q", created.PSKKeyHex)
		}
		other := models.Credential{DeviceID: created.Device.ID, Mode: models.ModePSK, PSKIdentity: ep + "#next",
			PSKKey: []byte("0123456789abcdef"), State: models.CredentialPending, CreatedAt: created.Device.CreatedAt}
		if err := e.st.Credentials().Put(ctx, &other); err != nil {
			t.Fatal(err)
		}
		sub, stop := subscribe(t, e.svc, dm.EventFilter{Endpoint: ep})
		defer stop()
		startDevice(t, client.Config{Endpoint: ep, ServerURI: "coaps://" + e.srv.DTLSAddr().String(),
			PSKIdentity: created.Credential.PSKIdentity, PSKKey: key})
		waitFor(t, ep+" online", func() bool {
			v, err := e.svc.GetDevice(ctx, dm.System(), ep)
			return err == nil && v.Status == models.StatusOnline
		})
		reg, ok := e.srv.Registration(ep)
		if !ok {
			t.Fatal("online but not registered")
		}

		// A credential the device does not use: the registration stays.
		if v, err := e.prov.Revoke(ctx, dm.System(), ep, other.ID); err != nil || v.State != "revoked" {
			t.Fatalf("revoke pending: %+v %v", v, err)
		}
		ev := waitEvent(t, sub, "credential.revoked")
		if !strings.Contains(string(ev.Data), `"disconnected":false`) {
			t.Fatalf("revoking an unused credential disconnected the device: %s", ev.Data)
		}
		if r, ok := e.srv.Registration(ep); !ok || r.ID != reg.ID {
			t.Fatalf("revoking an unused credential ended the registration: %+v %v", r, ok)
		}
		if v, err := e.svc.GetDevice(ctx, dm.System(), ep); err != nil || v.Status != models.StatusOnline {
			t.Fatalf("after revoking an unused credential: %v %v", v.Status, err)
		}

		// The credential in use: registration gone, device offline now.
		if v, err := e.prov.Revoke(ctx, dm.System(), ep, created.Credential.ID); err != nil || v.State != "revoked" {
			t.Fatalf("revoke active: %+v %v", v, err)
		}
		if _, ok := e.srv.Registration(ep); ok {
			t.Fatal("the registration made with the revoked credential is still live")
		}
		for {
			ev := waitEvent(t, sub, "status")
			if strings.Contains(string(ev.Data), `"to":"offline"`) {
				break
			}
		}
		if v, err := e.svc.GetDevice(ctx, dm.System(), ep); err != nil || v.Status != models.StatusOffline {
			t.Fatalf("after revoking the credential in use: %v %v", v.Status, err)
		}
	})
}
