package dm_test

import (
	"context"
	"testing"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestRestartKeepsRegistrationsAndObservations: after a restart on the
// same database the server knows the registration (through dm's stores),
// a plain-UDP device answers at once, its observation still delivers
// telemetry, and queued commands are still queued.
func TestRestartKeepsRegistrationsAndObservations(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		dsn := b.NewDSN(t)
		e1 := startEnv(t, b, dsn, envOpts{})
		ctx := context.Background()
		prof, err := e1.svc.CreateProfile(ctx, dm.System(), models.Profile{Name: "temp", Spec: models.ProfileSpec{
			Observe:   models.ObserveSpec{Targets: []models.ObserveTarget{{Path: lwm2m.MustPath("/3303/0/5700")}}},
			Telemetry: []models.PathMapping{{Path: lwm2m.MustPath("/3303/0/5700"), Name: "t"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e1.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "udp-dev", Profile: prof.Name, Credentials: &dm.CredentialsInput{Mode: "nosec"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e1.svc.CreateDevice(ctx, dm.System(), dm.DeviceInput{Endpoint: "absent"}); err != nil {
			t.Fatal(err)
		}
		queued, err := e1.svc.Execute(ctx, dm.System(), "absent", lwm2m.NewRequest(lwm2m.OpRead, lwm2m.MustPath("/3/0")), dm.CommandOptions{})
		if err != nil || !queued.Queued {
			t.Fatal(err)
		}
		dev := startDevice(t, client.Config{Endpoint: "udp-dev", ServerURI: e1.coapURI()})
		defer dev.stop() // before the server stops, so it de-registers at once
		waitFor(t, "observed", func() bool { return dev.c.Status().Observations == 1 })
		waitFor(t, "the observation stored", func() bool {
			obs, err := e1.st.Observations().ByEndpoint(ctx, "udp-dev")
			return err == nil && len(obs) == 1
		})
		addr := e1.srv.UDPAddr().String()
		e1.stop()

		e2 := startEnv(t, b, dsn, envOpts{server: func(c *server.Config) { c.CoAPAddr = addr }})
		if reg, ok := e2.srv.Registration("udp-dev"); !ok || reg.Transport != "udp" {
			t.Fatalf("registration after restart: %+v %v", reg, ok)
		}
		if len(e2.srv.Observations("udp-dev")) != 1 {
			t.Fatalf("observations after restart: %+v", e2.srv.Observations("udp-dev"))
		}
		res := e2.read(t, "udp-dev", "/3/0/0")
		if res.Queued || res.Response.Content.Value.Str() != "Shoal" {
			t.Fatalf("read after restart: %+v", res)
		}
		dev.c.Set(lwm2m.MustPath("/3303/0/5700"), lwm2m.FloatValue(-4.5))
		waitFor(t, "a notification after restart stored", func() bool {
			s, err := e2.svc.Telemetry(ctx, dm.System(), "udp-dev", dm.TelemetryRequest{Keys: []string{"t"}})
			if err != nil || len(s) != 1 {
				return false
			}
			return s[0].Points[len(s[0].Points)-1].Value.Float() == -4.5
		})
		if c, err := e2.svc.GetCommand(ctx, dm.System(), queued.Command.ID); err != nil || c.State != models.CommandPending {
			t.Fatalf("queued command after restart: %v %+v", err, c)
		}
	})
}
