package dm_test

import (
	"context"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// TestFirmwarePullAndPush: a campaign updates a DTLS device that only
// pulls (it fetches the package over CoAPS from the LwM2M port with its
// own PSK) and a plain-UDP device that only takes pushes (a block-wise
// write of /5/0/0); each executes Update, reboots and comes back with the
// new version, which Shoal confirms in /3/0/3 before counting it.
func TestFirmwarePullAndPush(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		f := newFwEnv(t, b, b.NewDSN(t), fwOpts{})
		ctx := context.Background()
		img := f.upload(t, "2.0.0", image(20000, 1))
		newVer := func(c *client.Config) { c.Firmware.NewVersion = "2.0.0" }
		puller := f.fwDevice(t, "puller", "psk", dm.DeviceInput{Labels: map[string]string{"fleet": "x"}}, newVer)
		pusher := f.fwDevice(t, "pusher", "nosec", dm.DeviceInput{Labels: map[string]string{"fleet": "x"}}, newVer)
		f.waitStatus(t, "puller", models.StatusOnline)
		f.waitStatus(t, "pusher", models.StatusOnline)
		if err := puller.c.Set(lwm2m.MustPath("/5/0/9"), lwm2m.IntValue(0)); err != nil {
			t.Fatal(err)
		}
		if err := pusher.c.Set(lwm2m.MustPath("/5/0/9"), lwm2m.IntValue(1)); err != nil {
			t.Fatal(err)
		}
		sub, stop := subscribe(t, f.svc, dm.EventFilter{Categories: []models.EventCategory{models.CategoryFirmware}})
		defer stop()
		v, err := f.svc.CreateCampaign(ctx, dm.System(), dm.CampaignInput{Name: "both ways", ImageID: img.ID,
			Selection: models.DeviceSelection{Labels: map[string]string{"fleet": "x"}}, Concurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		if v.State != models.CampaignRunning || v.Total != 2 {
			t.Fatalf("created %+v", v)
		}
		v = f.waitCampaign(t, v.ID, models.CampaignCompleted, 30*time.Second)
		if v.Counts[models.CampaignDeviceSucceeded] != 2 {
			t.Fatalf("completed with %v (%s)", v.Counts, v.StateReason)
		}
		jobs := f.jobs(t, v.ID)
		for ep, method := range map[string]string{"puller": "pull", "pusher": "push"} {
			j := jobs[ep]
			if j.State != models.CampaignDeviceSucceeded || j.Method != method || j.FromVersion != "1.0.0" || j.ToVersion != "2.0.0" ||
				j.Attempts != 1 || j.StartedAt.IsZero() || j.FinishedAt.IsZero() {
				t.Errorf("%s: %+v", ep, j)
			}
		}
		for _, d := range []*device{puller, pusher} {
			if v, _ := d.c.Get(lwm2m.MustPath("/3/0/3")); v.Str() != "2.0.0" {
				t.Errorf("%s runs %q", d.c.Endpoint(), v.Str())
			}
			if st := d.c.Status(); st.FirmwareState != client.FWIdle || st.FirmwareResult != client.FWResultSuccess {
				t.Errorf("%s: firmware state %d result %d", d.c.Endpoint(), st.FirmwareState, st.FirmwareResult)
			}
		}
		// Each device's stages were recorded, ending in firmware.updated
		// (what clears firmware-failed alarms).
		seen := map[string]int{}
		for seen["firmware.updated"] < 2 {
			seen[nextEvent(t, sub).Type]++
		}
		if seen["firmware.downloading"] != 2 || seen["firmware.downloaded"] != 2 || seen["firmware.updating"] != 2 {
			t.Errorf("events %v", seen)
		}
	})
}

// nextEvent returns the subscription's next event.
func nextEvent(t *testing.T, sub *dm.Subscription) models.Event {
	t.Helper()
	select {
	case e, ok := <-sub.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no event")
	}
	return models.Event{}
}
