package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/models"
)

// TestFirmwareCampaign200: one campaign updates 200 devices at
// concurrency 20 — half pull (a quarter over CoAP, a quarter over CoAPS
// with their PSKs, both from the LwM2M ports), half take pushes. Every
// device succeeds by the method it supports, runs the new version (Shoal
// read it back from /3/0/3) and rebooted once, and the job rows show no
// more than 20 devices updating at any instant.
func TestFirmwareCampaign200(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		p := runApp(t, fwConfig(t, dsn))
		ctx := context.Background()
		img := upload(t, p.a, "2.0.0", fwImage(4096, 7))
		const n = 200
		devs := map[string]*fwDev{}
		want := map[string]string{}
		var eps []string
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range n {
			ep := fmt.Sprintf("fleet-%03d", i)
			o, method := devOpts{delivery: 1}, "push"
			if i%2 == 0 {
				o, method = devOpts{delivery: 0, psk: i%4 == 0}, "pull"
			}
			eps = append(eps, ep)
			want[ep] = method
			wg.Go(func() {
				d := newFwDevice(t, p.a, ep, "2.0.0", map[string]string{"fleet": "big"}, o)
				mu.Lock()
				devs[ep] = d
				mu.Unlock()
			})
		}
		wg.Wait()
		waitOnline(t, p.a, eps)
		v, err := p.a.Service().CreateCampaign(ctx, dm.System(), dm.CampaignInput{Name: "two hundred", ImageID: img.ID,
			Selection: models.DeviceSelection{Labels: map[string]string{"fleet": "big"}}, Concurrency: 20})
		if err != nil {
			t.Fatal(err)
		}
		if v.Total != n {
			t.Fatalf("campaign selected %d devices, want %d", v.Total, n)
		}
		v = waitCampaign(t, p.a, v.ID, models.CampaignCompleted, 90*time.Second)
		if v.Counts[models.CampaignDeviceSucceeded] != n {
			t.Fatalf("completed with %v (%s)", v.Counts, v.StateReason)
		}
		rows := campaignRows(t, p.a, v.ID)
		for ep, r := range rows {
			if r.State != models.CampaignDeviceSucceeded || r.Method != want[ep] || r.FromVersion != "1.0.0" || r.ToVersion != "2.0.0" {
				t.Errorf("%s: %+v", ep, r)
			}
		}
		most := maxOverlap(rows)
		if most > 20 || most < 1 {
			t.Errorf("%d devices were updating at once, limit 20", most)
		}
		t.Logf("at most %d devices updating at once", most)
		for ep, d := range devs {
			if got, _ := d.c.Get(lwm2m.MustPath("/3/0/3")); got.Str() != "2.0.0" {
				t.Errorf("%s runs %q", ep, got.Str())
			}
			if r := d.count(&d.reboots); r != 1 {
				t.Errorf("%s rebooted %d times", ep, r)
			}
		}
	})
}

// TestFirmwareIntegrityFailure: a device whose image fails its integrity
// check is counted failed with reason "integrity"; its neighbour in the
// same campaign succeeds.
func TestFirmwareIntegrityFailure(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		p := runApp(t, fwConfig(t, dsn))
		img := upload(t, p.a, "2.0.0", fwImage(4096, 1))
		newFwDevice(t, p.a, "corrupt", "2.0.0", nil, devOpts{delivery: 2,
			mod: func(c *client.Config) { c.Firmware.Failure = client.FailIntegrity }})
		newFwDevice(t, p.a, "fine", "2.0.0", nil, devOpts{delivery: 2, psk: true})
		waitOnline(t, p.a, []string{"corrupt", "fine"})
		v, err := p.a.Service().CreateCampaign(context.Background(), dm.System(), dm.CampaignInput{Name: "integrity",
			ImageID: img.ID, Selection: models.DeviceSelection{Endpoints: []string{"corrupt", "fine"}}})
		if err != nil {
			t.Fatal(err)
		}
		v = waitCampaign(t, p.a, v.ID, models.CampaignCompleted, 30*time.Second)
		if v.Counts[models.CampaignDeviceFailed] != 1 || v.Counts[models.CampaignDeviceSucceeded] != 1 {
			t.Fatalf("counts %v (%s)", v.Counts, v.StateReason)
		}
		rows := campaignRows(t, p.a, v.ID)
		if r := rows["corrupt"]; r.State != models.CampaignDeviceFailed || r.Reason != "integrity" {
			t.Errorf("the corrupt device: %+v", r)
		}
		if r := rows["fine"]; r.State != models.CampaignDeviceSucceeded {
			t.Errorf("the fine device: %+v", r)
		}
	})
}

// TestFirmwareThresholdPause: when failures pass the campaign's failure
// threshold, the campaign pauses, says why, and starts nobody else.
func TestFirmwareThresholdPause(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		p := runApp(t, fwConfig(t, dsn))
		img := upload(t, p.a, "2.0.0", fwImage(2048, 2))
		var eps []string
		for i := range 6 {
			ep := fmt.Sprintf("flaky-%d", i)
			eps = append(eps, ep)
			newFwDevice(t, p.a, ep, "2.0.0", nil, devOpts{delivery: 1,
				mod: func(c *client.Config) { c.Firmware.Failure = client.FailUpdate }})
		}
		waitOnline(t, p.a, eps)
		v, err := p.a.Service().CreateCampaign(context.Background(), dm.System(), dm.CampaignInput{Name: "threshold",
			ImageID: img.ID, Selection: models.DeviceSelection{Endpoints: eps}, Concurrency: 1, FailureThreshold: 2})
		if err != nil {
			t.Fatal(err)
		}
		v = waitCampaign(t, p.a, v.ID, models.CampaignPaused, 60*time.Second)
		if v.Counts[models.CampaignDeviceFailed] != 3 || v.Counts[models.CampaignDevicePending] != 3 ||
			!strings.Contains(v.StateReason, "failure threshold of 2") {
			t.Fatalf("paused with %v (%s)", v.Counts, v.StateReason)
		}
		for ep, r := range campaignRows(t, p.a, v.ID) {
			if r.State == models.CampaignDeviceFailed && r.Reason != "update-failed" {
				t.Errorf("%s failed with %q", ep, r.Reason)
			}
		}
	})
}

// TestFirmwareQueueMode: a queue-mode device, asleep (its socket silent)
// when the campaign starts, is updated across its wake windows: the next
// time it wakes Shoal gives it the Package URI; its download outlasts the
// awake window, so it falls asleep with the image on the way; the finished
// download wakes it to notify Downloaded, and Shoal executes the update in
// that window and confirms the new version after the reboot.
func TestFirmwareQueueMode(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		cfg := fwConfig(t, dsn)
		cfg.AwakeWindow = 250 * time.Millisecond
		p := runApp(t, cfg)
		img := upload(t, p.a, "2.0.0", fwImage(4096, 3))
		var d *fwDev
		ready := make(chan struct{})
		slow := &fetcher{wait: func(ctx context.Context) error {
			<-ready
			for !d.c.Status().Sleeping { // a download longer than the window
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(10 * time.Millisecond):
				}
			}
			return nil
		}}
		d = newFwDevice(t, p.a, "sleepy", "2.0.0", nil, devOpts{delivery: 0, mod: func(c *client.Config) {
			c.QueueMode, c.AwakeTime, c.Lifetime = true, 400*time.Millisecond, 3*time.Second
			c.Firmware.Downloader = slow
		}})
		close(ready)
		waitOnline(t, p.a, []string{"sleepy"})
		waitFor(t, "the device asleep", func() bool { return d.c.Status().Sleeping })
		wakes, sleeps := d.count(&d.wakes), d.count(&d.sleeps)
		v, err := p.a.Service().CreateCampaign(context.Background(), dm.System(), dm.CampaignInput{Name: "sleepy",
			ImageID: img.ID, Selection: models.DeviceSelection{Endpoints: []string{"sleepy"}}})
		if err != nil {
			t.Fatal(err)
		}
		v = waitCampaign(t, p.a, v.ID, models.CampaignCompleted, 60*time.Second)
		if v.Counts[models.CampaignDeviceSucceeded] != 1 {
			t.Fatalf("counts %v (%s)", v.Counts, v.StateReason)
		}
		if got, _ := d.c.Get(lwm2m.MustPath("/3/0/3")); got.Str() != "2.0.0" {
			t.Errorf("the device runs %q", got.Str())
		}
		if w, s := d.count(&d.wakes)-wakes, d.count(&d.sleeps)-sleeps; w < 2 || s < 1 {
			t.Errorf("the update took %d wake windows and %d sleeps, want several", w, s)
		}
		if uris := slow.fetched(); len(uris) != 1 || !strings.HasPrefix(uris[0], "coap://127.0.0.1:") {
			t.Errorf("fetched %q", uris)
		}
		if r := d.count(&d.reboots); r != 1 {
			t.Errorf("rebooted %d times", r)
		}
	})
}
