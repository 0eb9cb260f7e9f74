package storetest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

func testFirmware(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	img := models.FirmwareImage{Name: "meter-fw", Version: "2.1.0", SHA256: strings.Repeat("0f", 32), Size: 1 << 20,
		Location: "firmware/1.bin", Models: []string{"M1", "M2"}, ProfileIDs: []int64{4}, Notes: "fixes"}
	must(t, st.Firmware().Create(ctx, &img))
	got, err := st.Firmware().Get(ctx, img.ID)
	must(t, err)
	if !reflect.DeepEqual(got, img) {
		t.Errorf("Get = %+v\nwant %+v", got, img)
	}
	bad := models.FirmwareImage{Version: "1", SHA256: "F00"}
	wantErr(t, st.Firmware().Create(ctx, &bad), dm.ErrInvalid, "bad sha256")

	dev1, dev2 := newDevice(t, st, "d1"), newDevice(t, st, "d2")
	c := models.Campaign{Name: "rollout", ImageID: img.ID, Concurrency: 20, FailureThreshold: 5,
		Selection: models.DeviceSelection{Labels: map[string]string{"fleet": "a"}, ProfileID: 4}, StartAfter: T0}
	must(t, st.Campaigns().Create(ctx, &c))
	gotC, err := st.Campaigns().Get(ctx, c.ID)
	must(t, err)
	if !reflect.DeepEqual(gotC, c) || gotC.State != models.CampaignDraft {
		t.Errorf("campaign Get = %+v\nwant %+v", gotC, c)
	}
	wantErr(t, st.Firmware().Delete(ctx, img.ID), dm.ErrConflict, "delete an image a campaign uses")
	c.State = models.CampaignRunning
	must(t, st.Campaigns().Update(ctx, &c))
	missing := models.Campaign{Name: "x", ImageID: 9999, Concurrency: 1}
	wantErr(t, st.Campaigns().Create(ctx, &missing), dm.ErrInvalid, "campaign of a missing image")

	cd := models.CampaignDevice{CampaignID: c.ID, DeviceID: dev1, State: models.CampaignDeviceDownloading, Method: "pull", StartedAt: T0}
	must(t, st.Campaigns().PutDevice(ctx, &cd))
	must(t, st.Campaigns().PutDevice(ctx, &models.CampaignDevice{CampaignID: c.ID, DeviceID: dev2}))
	cd.State, cd.Reason, cd.FinishedAt = models.CampaignDeviceFailed, "integrity", T0.Add(time.Minute)
	must(t, st.Campaigns().PutDevice(ctx, &cd))
	counts, err := st.Campaigns().Counts(ctx, c.ID)
	must(t, err)
	want := map[models.CampaignDeviceState]int64{models.CampaignDeviceFailed: 1, models.CampaignDevicePending: 1}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	pg, err := st.Campaigns().Devices(ctx, c.ID, []models.CampaignDeviceState{models.CampaignDeviceFailed}, dm.PageRequest{})
	must(t, err)
	if pg.Total != 1 || pg.Items[0].Reason != "integrity" || pg.Items[0].Method != "pull" {
		t.Errorf("failed devices %+v", pg)
	}
	sameTime(t, "finished", pg.Items[0].FinishedAt, T0.Add(time.Minute))
	must(t, st.Campaigns().Delete(ctx, c.ID))
	must(t, st.Firmware().Delete(ctx, img.ID))
	list, err := st.Firmware().List(ctx, dm.PageRequest{})
	must(t, err)
	if list.Total != 0 {
		t.Errorf("images left: %+v", list)
	}
}
