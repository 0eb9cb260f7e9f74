package dm_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/client"
	"github.com/shoal-iot/shoal/models"
	"github.com/shoal-iot/shoal/objects"
	"github.com/shoal-iot/shoal/storage/storetest"
)

// patchedFirmware is the object registry with the Firmware Update
// object's resources changed by fn: a device with a different /5.
type patchedFirmware struct {
	lwm2m.ModelProvider
	fn func(*lwm2m.ResourceModel)
}

func (p patchedFirmware) Object(id uint16, v string) (*lwm2m.ObjectModel, bool) {
	m, ok := p.ModelProvider.Object(id, v)
	if !ok || id != 5 {
		return m, ok
	}
	c := *m
	c.Resources = slices.Clone(m.Resources)
	for i := range c.Resources {
		p.fn(&c.Resources[i])
	}
	return &c, true
}

// heldDownload is a Downloader that waits until released (or the
// download is cancelled) before fetching the image.
type heldDownload struct {
	release chan struct{}
	once    sync.Once
	started chan struct{}
}

func newHeldDownload() *heldDownload {
	return &heldDownload{release: make(chan struct{}), started: make(chan struct{}, 16)}
}

func (h *heldDownload) Download(ctx context.Context, uri string, limit int) ([]byte, error) {
	h.started <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return nil, context.Canceled
}

func (h *heldDownload) let() { h.once.Do(func() { close(h.release) }) }

// campaignOf creates and starts a campaign over the given endpoints.
func (f *fwEnv) campaignOf(t *testing.T, img models.FirmwareImage, in dm.CampaignInput, eps ...string) dm.CampaignView {
	t.Helper()
	in.ImageID, in.Selection = img.ID, models.DeviceSelection{Endpoints: eps}
	if in.Name == "" {
		in.Name = "test " + strings.Join(eps, ",")
	}
	v, err := f.svc.CreateCampaign(context.Background(), dm.System(), in)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFirmwareIntegrity: a device whose image fails its integrity check
// (Update Result 5) is counted failed with reason "integrity" and not
// retried; the firmware-failed report carries the reason.
func TestFirmwareIntegrity(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		f := newFwEnv(t, b, b.NewDSN(t), fwOpts{})
		img := f.upload(t, "2.0.0", image(5000, 2))
		f.fwDevice(t, "bad-flash", "psk", dm.DeviceInput{}, func(c *client.Config) { c.Firmware.Failure = client.FailIntegrity })
		f.fwDevice(t, "good", "nosec", dm.DeviceInput{}, func(c *client.Config) { c.Firmware.NewVersion = "2.0.0" })
		f.waitStatus(t, "bad-flash", models.StatusOnline)
		f.waitStatus(t, "good", models.StatusOnline)
		sub, stop := subscribe(t, f.svc, dm.EventFilter{Types: []string{dm.EventFirmwareFailed}})
		defer stop()
		v := f.campaignOf(t, img, dm.CampaignInput{}, "bad-flash", "good")
		v = f.waitCampaign(t, v.ID, models.CampaignCompleted, 30*time.Second)
		if v.Counts[models.CampaignDeviceFailed] != 1 || v.Counts[models.CampaignDeviceSucceeded] != 1 || !strings.Contains(v.StateReason, "1 failed") {
			t.Fatalf("counts %v (%s)", v.Counts, v.StateReason)
		}
		j := f.jobs(t, v.ID)["bad-flash"]
		if j.State != models.CampaignDeviceFailed || j.Reason != "integrity" || j.Attempts != 1 || !strings.Contains(j.Detail, "result 5") {
			t.Fatalf("the failed device: %+v", j)
		}
		ev := waitEvent(t, sub, dm.EventFirmwareFailed)
		if ev.Endpoint != "bad-flash" || !strings.Contains(string(ev.Data), `"reason":"integrity"`) {
			t.Fatalf("report %s %s", ev.Endpoint, ev.Data)
		}
	})
}

// TestFirmwareThresholdPauses: a campaign pauses when its failures pass
// the threshold, starts nobody while paused, and on resume counts
// failures afresh.
func TestFirmwareThresholdPauses(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		f := newFwEnv(t, b, b.NewDSN(t), fwOpts{})
		img := f.upload(t, "2.0.0", image(3000, 3))
		var eps []string
		for _, ep := range []string{"f1", "f2", "f3", "f4", "f5"} {
			f.fwDevice(t, ep, "nosec", dm.DeviceInput{}, func(c *client.Config) { c.Firmware.Failure = client.FailUpdate })
			eps = append(eps, ep)
		}
		for _, ep := range eps {
			f.waitStatus(t, ep, models.StatusOnline)
		}
		v := f.campaignOf(t, img, dm.CampaignInput{Concurrency: 1, FailureThreshold: 1}, eps...)
		v = f.waitCampaign(t, v.ID, models.CampaignPaused, 30*time.Second)
		if v.Counts[models.CampaignDeviceFailed] != 2 || v.Counts[models.CampaignDevicePending] != 3 ||
			!strings.Contains(v.StateReason, "2 devices failed, more than the failure threshold of 1") {
			t.Fatalf("paused with %v (%s)", v.Counts, v.StateReason)
		}
		for _, j := range f.jobs(t, v.ID) {
			if j.State == models.CampaignDeviceFailed && j.Reason != "update-failed" {
				t.Errorf("%s failed with %q", j.Endpoint, j.Reason)
			}
		}
		time.Sleep(200 * time.Millisecond)
		if again, _ := f.svc.GetCampaign(context.Background(), dm.System(), v.ID); again.Counts[models.CampaignDevicePending] != 3 {
			t.Fatalf("a paused campaign started devices: %v", again.Counts)
		}
		if _, err := f.svc.ResumeCampaign(context.Background(), dm.System(), v.ID); err != nil {
			t.Fatal(err)
		}
		v = f.waitCampaign(t, v.ID, models.CampaignPaused, 30*time.Second)
		if v.Counts[models.CampaignDeviceFailed] != 4 || v.FailureBase != 2 {
			t.Fatalf("paused again with %v, base %d", v.Counts, v.FailureBase)
		}
	})
}

// TestFirmwareGarbageState: a device that reports a state outside 0..3
// in the middle of a download fails at once with the raw value recorded,
// and the job does not come back.
func TestFirmwareGarbageState(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		f := newFwEnv(t, b, b.NewDSN(t), fwOpts{})
		img := f.upload(t, "2.0.0", image(3000, 4))
		held := newHeldDownload()
		defer held.let()
		loose := patchedFirmware{objects.New(), func(r *lwm2m.ResourceModel) {
			if r.ID == 3 {
				r.Range = ""
			}
		}}
		d := f.fwDevice(t, "garbage", "nosec", dm.DeviceInput{}, func(c *client.Config) {
			c.Models, c.Firmware.Downloader = loose, held
		})
		f.waitStatus(t, "garbage", models.StatusOnline)
		v := f.campaignOf(t, img, dm.CampaignInput{MaxAttempts: 5}, "garbage")
		<-held.started
		if err := d.c.Set(lwm2m.MustPath("/5/0/3"), lwm2m.IntValue(7)); err != nil {
			t.Fatal(err)
		}
		v = f.waitCampaign(t, v.ID, models.CampaignCompleted, 30*time.Second)
		j := f.jobs(t, v.ID)["garbage"]
		if j.State != models.CampaignDeviceFailed || j.Reason != "bad-state" || j.Attempts != 1 || !strings.Contains(j.Detail, `state "7"`) {
			t.Fatalf("job %+v", j)
		}
	})
}

// TestFirmwarePushRefused: a device that claims both methods but answers
// 4.05 to the push of /5/0/0 gets a Package URI instead; a push-only
// device that refuses fails with "push-unsupported".
func TestFirmwarePushRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		f := newFwEnv(t, b, b.NewDSN(t), fwOpts{})
		img := f.upload(t, "2.0.0", image(4000, 5))
		readOnly := patchedFirmware{objects.New(), func(r *lwm2m.ResourceModel) {
			if r.ID == 0 {
				r.Operations = lwm2m.OpsRead
			}
		}}
		f.fwDevice(t, "no-push", "psk", dm.DeviceInput{}, func(c *client.Config) {
			c.Models, c.Firmware.NewVersion = readOnly, "2.0.0"
		})
		stubborn := f.fwDevice(t, "push-only", "nosec", dm.DeviceInput{}, func(c *client.Config) { c.Models = readOnly })
		f.waitStatus(t, "no-push", models.StatusOnline)
		f.waitStatus(t, "push-only", models.StatusOnline)
		if err := stubborn.c.Set(lwm2m.MustPath("/5/0/9"), lwm2m.IntValue(1)); err != nil {
			t.Fatal(err)
		}
		v := f.campaignOf(t, img, dm.CampaignInput{Method: models.DeliveryPush}, "no-push", "push-only")
		v = f.waitCampaign(t, v.ID, models.CampaignCompleted, 30*time.Second)
		jobs := f.jobs(t, v.ID)
		if j := jobs["no-push"]; j.State != models.CampaignDeviceSucceeded || j.Method != "pull" {
			t.Errorf("no-push: %+v", j)
		}
		if j := jobs["push-only"]; j.State != models.CampaignDeviceFailed || j.Reason != "push-unsupported" || !strings.Contains(j.Detail, "4.05") {
			t.Errorf("push-only: %+v", j)
		}
	})
}

// TestFirmwareTimeout: a download that never ends times out, is retried
// up to the campaign's attempts, and fails with reason "timeout".
func TestFirmwareTimeout(t *testing.T) {
	f := newFwEnv(t, storetest.SQLite(), storetest.SQLite().NewDSN(t), fwOpts{fw: func(c *dm.FirmwareConfig) {
		c.DownloadTimeout = 300 * time.Millisecond
		c.MinRate = 1 << 30
	}})
	img := f.upload(t, "2.0.0", image(3000, 6))
	held := newHeldDownload()
	defer held.let()
	f.fwDevice(t, "slow", "nosec", dm.DeviceInput{}, func(c *client.Config) { c.Firmware.Downloader = held })
	f.waitStatus(t, "slow", models.StatusOnline)
	v := f.campaignOf(t, img, dm.CampaignInput{MaxAttempts: 2}, "slow")
	v = f.waitCampaign(t, v.ID, models.CampaignCompleted, 30*time.Second)
	j := f.jobs(t, v.ID)["slow"]
	if j.State != models.CampaignDeviceFailed || j.Reason != "timeout" || j.Attempts != 2 {
		t.Fatalf("job %+v", j)
	}
	if n := len(held.started); n != 2 {
		t.Fatalf("%d downloads started, want 2", n)
	}
}
