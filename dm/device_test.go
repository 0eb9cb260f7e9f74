package dm_test

import (
	"context"
	"encoding/hex"
	"testing"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestDeviceLifecycle: a device created with a generated PSK registers
// over DTLS, answers reads, writes and executes synchronously, has its
// device info read on registration, and once deleted can no longer
// handshake.
func TestDeviceLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{})
		ctx := context.Background()
		sub, cancel := subscribe(t, e.svc, dm.EventFilter{Endpoint: "dev-1"})
		defer cancel()
		dev, created := e.pskDevice(t, "dev-1", dm.DeviceInput{Name: "first", Labels: map[string]string{"site": "lab"}}, nil)
		if created.Device.Status != models.StatusNever || created.Credential.Mode != "psk" || created.Credential.PSKIdentity != "dev-1" {
			t.Fatalf("created %+v %+v", created.Device.Device, created.Credential)
		}
		if len(created.PSKKeyHex) != 32 {
			t.Fatalf("generated key %q: want 128 bits in hex", created.PSKKeyHex)
		}
		waitEvent(t, sub, "registered")
		v := e.waitStatus(t, "dev-1", models.StatusOnline)
		if v.Registration == nil || v.Registration.Transport != "dtls" || v.Registration.Identity != "dev-1" {
			t.Fatalf("registration %+v", v.Registration)
		}
		waitFor(t, "device info", func() bool {
			v, _ = e.svc.GetDevice(ctx, dm.System(), "dev-1")
			return v.Info.Manufacturer == "Shoal"
		})
		if v.Info.Model != "shoal-sim" || v.Info.Serial != "dev-1" || v.Info.Firmware != "1.0.0" || v.Info.Battery == nil {
			t.Fatalf("info %+v", v.Info)
		}
		if v.LastSeen.IsZero() || v.Labels["site"] != "lab" || v.Name != "first" {
			t.Fatalf("view %+v", v.Device)
		}

		res := e.read(t, "dev-1", "/3/0/0")
		if res.Queued || res.Response.Code != lwm2m.CodeContent || res.Response.Content.Value.Str() != "Shoal" {
			t.Fatalf("read: %+v", res.Response)
		}
		w := lwm2m.NewRequest(lwm2m.OpWrite, lwm2m.MustPath("/1/0/1"))
		n := lwm2m.NewResource(1, lwm2m.StringValue("120")) // converted to the resource's integer type
		w.Content = &n
		res, err := e.svc.Execute(ctx, dm.System(), "dev-1", w, dm.CommandOptions{})
		if err != nil || res.Response.Code != lwm2m.CodeChanged {
			t.Fatalf("write: %v %+v", err, res.Response)
		}
		if got, _ := dev.c.Get(lwm2m.MustPath("/1/0/1")); got.Int() != 120 {
			t.Fatalf("device lifetime %v after write", got)
		}
		res, err = e.svc.Execute(ctx, dm.System(), "dev-1", lwm2m.NewRequest(lwm2m.OpExecute, lwm2m.MustPath("/3303/0/5605")), dm.CommandOptions{})
		if err != nil || res.Response.Code != lwm2m.CodeChanged {
			t.Fatalf("execute: %v %+v", err, res.Response)
		}
		res = e.read(t, "dev-1", "/9/0")
		if res.Response.Code != lwm2m.CodeNotFound || res.Command.State != models.CommandFailed {
			t.Fatalf("read of a missing object: %+v %s", res.Response, res.Command.State)
		}
		bad := lwm2m.NewRequest(lwm2m.OpWrite, lwm2m.MustPath("/1/0/1"))
		nb := lwm2m.NewResource(1, lwm2m.StringValue("soon"))
		bad.Content = &nb
		if _, err := e.svc.Execute(ctx, dm.System(), "dev-1", bad, dm.CommandOptions{}); !isErr(err, dm.ErrInvalid) {
			t.Fatalf("write of a bad value: %v", err)
		}
		if _, err := e.svc.Execute(ctx, dm.System(), "nobody", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")), dm.CommandOptions{}); !isErr(err, dm.ErrNotFound) {
			t.Fatalf("unknown device: %v", err)
		}

		// Delete: credentials revoked, session closed; the same key no
		// longer handshakes.
		all, _ := subscribe(t, e.svc, dm.EventFilter{Categories: []models.EventCategory{models.CategorySecurity}})
		if err := e.svc.DeleteDevice(ctx, dm.System(), "dev-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.GetDevice(ctx, dm.System(), "dev-1"); !isErr(err, dm.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		dev.stop()
		key, _ := hex.DecodeString(created.PSKKeyHex)
		startDevice(t, client.Config{Endpoint: "dev-1", ServerURI: e.coapsURI(), PSKIdentity: "dev-1", PSKKey: key})
		ev := waitEvent(t, all, "handshake-failed")
		if ev.Category != models.CategorySecurity {
			t.Fatalf("event %+v", ev)
		}
	})
}
