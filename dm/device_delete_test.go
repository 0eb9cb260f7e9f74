package dm_test

import (
	"context"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestDeleteDeviceForgetsRegistration: deleting a registered NoSec device
// ends its registration in the server at once, so its next Update is
// answered as from an unknown device instead of being served until the
// registration expires.
func TestDeleteDeviceForgetsRegistration(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{})
		ctx := context.Background()
		if _, err := e.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "gone-1", Credentials: &dm.CredentialsInput{Mode: "nosec"}}); err != nil {
			t.Fatal(err)
		}
		startDevice(t, client.Config{Endpoint: "gone-1", ServerURI: e.coapURI(), Lifetime: time.Hour})
		e.waitStatus(t, "gone-1", models.StatusOnline)
		if _, ok := e.srv.Registration("gone-1"); !ok {
			t.Fatal("no registration before the delete")
		}
		if err := e.svc.DeleteDevice(ctx, dm.System(), "gone-1"); err != nil {
			t.Fatal(err)
		}
		if reg, ok := e.srv.Registration("gone-1"); ok {
			t.Fatalf("the deleted device's registration %s is still served", reg.ID)
		}
	})
}
