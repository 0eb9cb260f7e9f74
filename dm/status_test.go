package dm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestDeregisterSetsOffline: a device that registers and then deregisters
// is offline afterwards, with a status event from online to offline; what
// the server still reports of the ended registration (an Update or a
// wake-up handled alongside the De-register, a late notification) does
// not bring it back online.
func TestDeregisterSetsOffline(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, envOpts{})
		const ep = "dereg-1"
		sub, cancel := subscribe(t, e.svc, dm.EventFilter{Endpoint: ep})
		defer cancel()
		dev, _ := e.pskDevice(t, ep, dm.DeviceInput{}, func(c *client.Config) {
			c.Events.Error = func(ep string, err error) { t.Logf("client %s: %v", ep, err) }
		})
		waitEvent(t, sub, "registered")
		v := e.waitStatus(t, ep, models.StatusOnline)
		waitFor(t, "the client registered", func() bool { return dev.c.Status().Registered })
		reg := *v.Registration
		dev.stop() // deregisters
		waitEvent(t, sub, "deregistered")
		ev := waitEvent(t, sub, "status")
		for !strings.Contains(string(ev.Data), `"to":"offline"`) {
			ev = waitEvent(t, sub, "status")
		}
		if !strings.Contains(string(ev.Data), `"from":"online"`) || !strings.Contains(string(ev.Data), `"cause":"deregistered"`) {
			t.Fatalf("status event %s", ev.Data)
		}
		if v := e.waitStatus(t, ep, models.StatusOffline); v.Registration != nil {
			t.Fatalf("registration still shown after deregistering: %+v", v.Registration)
		}

		// Late reports of the ended registration, in the order a server
		// with several readers may deliver them.
		l := e.svc.Listener()
		l.Updated(server.Update{Registration: reg})
		l.Awake(ep)
		l.Notification(server.Notification{Endpoint: ep, ReceivedAt: time.Now(),
			Records: []lwm2m.Record{{Path: lwm2m.MustPath("/3/0/9"), Value: lwm2m.IntValue(42)}}})
		l.Sent(server.SendEvent{Endpoint: ep, ReceivedAt: time.Now(),
			Records: []lwm2m.Record{{Path: lwm2m.MustPath("/3/0/10"), Value: lwm2m.IntValue(7)}}})
		l.Security(server.SecurityEvent{Endpoint: ep, Kind: "marker", Time: time.Now()}) // the ingest queue is in order
		for ev := range sub.C {
			if ev.Type == "status" {
				t.Fatalf("a late report changed the status: %s", ev.Data)
			}
			if ev.Type == "marker" {
				break
			}
		}
		if got, err := e.svc.GetDevice(t.Context(), dm.System(), ep); err != nil || got.Status != models.StatusOffline {
			t.Fatalf("after late reports: %v status %s", err, got.Status)
		}
	})
}
