package storetest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// testCampaignJobs: campaign options round-trip; device rows carry the
// job's wave, deadline, retry time, raw detail, versions and token hash;
// AddDevices keeps existing rows; Active, NextWave, Pending (wave, order,
// retry time, cursor), FinishPending and ByDevice select what they say.
func testCampaignJobs(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	img := models.FirmwareImage{Name: "fw", Version: "2.0", SHA256: strings.Repeat("ab", 32), Size: 10}
	must(t, st.Firmware().Create(ctx, &img))
	c := models.Campaign{Name: "waves", ImageID: img.ID, Concurrency: 2, Selection: models.DeviceSelection{IDs: []int64{1}},
		State: models.CampaignRunning, Method: models.DeliveryPush, Waves: []int{1, 2}, WaveDelay: models.Duration(time.Minute),
		MaxAttempts: 4, ProfileID: 0, StateReason: "started", FailureBase: 2, Wave: 1,
		WaveReadyAt: T0.Add(time.Second), StartedAt: T0}
	must(t, st.Campaigns().Create(ctx, &c))
	got, err := st.Campaigns().Get(ctx, c.ID)
	must(t, err)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("Get = %+v\nwant %+v", got, c)
	}
	c.State, c.StateReason, c.FinishedAt = models.CampaignPaused, "3 failures passed the threshold of 2", T0.Add(time.Hour)
	must(t, st.Campaigns().Update(ctx, &c))
	got, err = st.Campaigns().Get(ctx, c.ID)
	must(t, err)
	if got.StateReason != c.StateReason || !got.FinishedAt.Equal(c.FinishedAt) || got.Method != "push" || !reflect.DeepEqual(got.Waves, []int{1, 2}) {
		t.Errorf("after Update: %+v", got)
	}
	bad := c
	bad.ID, bad.Method = 0, "carrier-pigeon"
	wantErr(t, st.Campaigns().Create(ctx, &bad), dm.ErrInvalid, "unknown method")
	bad.Method, bad.Waves = "", []int{0}
	wantErr(t, st.Campaigns().Create(ctx, &bad), dm.ErrInvalid, "empty wave")

	ids := make([]int64, 5)
	var rows []models.CampaignDevice
	for i := range ids {
		ids[i] = newDevice(t, st, "job-"+string(rune('a'+i)))
		rows = append(rows, models.CampaignDevice{CampaignID: c.ID, DeviceID: ids[i], Wave: []int{0, 1, 1, 2, 2}[i]})
	}
	n, err := st.Campaigns().AddDevices(ctx, rows)
	must(t, err)
	if n != 5 {
		t.Errorf("AddDevices inserted %d, want 5", n)
	}
	full := models.CampaignDevice{CampaignID: c.ID, DeviceID: ids[0], State: models.CampaignDeviceDownloading, Method: "pull", Attempts: 2,
		StartedAt: T0, Deadline: T0.Add(5 * time.Minute), Detail: "state 1, result 0", FromVersion: "1.0", TokenHash: strings.Repeat("cd", 32)}
	must(t, st.Campaigns().PutDevice(ctx, &full))
	if n, err := st.Campaigns().AddDevices(ctx, rows[:2]); err != nil || n != 0 {
		t.Errorf("AddDevices of rows already there: %d, %v", n, err)
	}
	g, err := st.Campaigns().GetDevice(ctx, c.ID, ids[0])
	must(t, err)
	if g.State != models.CampaignDeviceDownloading || g.Attempts != 2 || g.Detail != full.Detail || g.FromVersion != "1.0" ||
		g.TokenHash != full.TokenHash || g.Endpoint != "job-a" {
		t.Errorf("GetDevice = %+v", g)
	}
	sameTime(t, "deadline", g.Deadline, full.Deadline)
	_, err = st.Campaigns().GetDevice(ctx, c.ID, 987654)
	wantErr(t, err, dm.ErrNotFound, "device not in the campaign")

	act, err := st.Campaigns().Active(ctx)
	must(t, err)
	if len(act) != 1 || act[0].DeviceID != ids[0] || act[0].Endpoint != "job-a" {
		t.Errorf("Active = %+v", act)
	}
	if w, ok, err := st.Campaigns().NextWave(ctx, c.ID); err != nil || !ok || w != 0 {
		t.Errorf("NextWave = %d %v %v, want 0 (an active row)", w, ok, err)
	}
	// Wave 2 holds devices 3 and 4; device 3 waits for a retry.
	retry := rows[3]
	retry.NextAttemptAt, retry.Attempts, retry.Reason = T0.Add(time.Minute), 1, "connection-lost"
	must(t, st.Campaigns().PutDevice(ctx, &retry))
	pend, err := st.Campaigns().Pending(ctx, c.ID, 2, 0, T0, 10)
	must(t, err)
	if len(pend) != 1 || pend[0].DeviceID != ids[4] {
		t.Errorf("Pending(wave 2, now) = %+v, want device 4 only", pend)
	}
	pend, err = st.Campaigns().Pending(ctx, c.ID, 2, 0, T0.Add(time.Minute), 10)
	must(t, err)
	if len(pend) != 2 || pend[0].DeviceID != ids[3] || pend[1].DeviceID != ids[4] {
		t.Errorf("Pending(wave 2, later) = %+v", pend)
	}
	pend, err = st.Campaigns().Pending(ctx, c.ID, 2, ids[3], T0.Add(time.Minute), 10)
	must(t, err)
	if len(pend) != 1 || pend[0].DeviceID != ids[4] {
		t.Errorf("Pending after device 3 = %+v", pend)
	}
	pend, err = st.Campaigns().Pending(ctx, c.ID, 2, 0, T0.Add(time.Minute), 1)
	must(t, err)
	if len(pend) != 1 {
		t.Errorf("Pending limit 1 = %+v", pend)
	}

	done := full
	done.State, done.FinishedAt, done.TokenHash, done.ToVersion = models.CampaignDeviceSucceeded, T0.Add(time.Hour), "", "2.0"
	must(t, st.Campaigns().PutDevice(ctx, &done))
	if w, ok, err := st.Campaigns().NextWave(ctx, c.ID); err != nil || !ok || w != 1 {
		t.Errorf("NextWave = %d %v %v, want 1", w, ok, err)
	}
	moved, err := st.Campaigns().FinishPending(ctx, c.ID, models.CampaignDeviceCancelled, "campaign cancelled", T0.Add(2*time.Hour))
	must(t, err)
	if moved != 4 {
		t.Errorf("FinishPending moved %d, want 4", moved)
	}
	if _, ok, err := st.Campaigns().NextWave(ctx, c.ID); err != nil || ok {
		t.Errorf("NextWave after all finished: ok %v, %v", ok, err)
	}
	counts, err := st.Campaigns().Counts(ctx, c.ID)
	must(t, err)
	if counts[models.CampaignDeviceCancelled] != 4 || counts[models.CampaignDeviceSucceeded] != 1 {
		t.Errorf("counts %v", counts)
	}
	pg, err := st.Campaigns().Devices(ctx, c.ID, nil, dm.PageRequest{})
	must(t, err)
	if pg.Total != 5 || pg.Items[0].Endpoint != "job-a" || pg.Items[0].ToVersion != "2.0" || pg.Items[1].Reason != "campaign cancelled" {
		t.Errorf("Devices = %+v", pg)
	}

	// A second campaign for device 0: ByDevice lists newest first.
	c2 := models.Campaign{Name: "again", ImageID: img.ID, Concurrency: 1, State: models.CampaignRunning}
	must(t, st.Campaigns().Create(ctx, &c2))
	if _, err := st.Campaigns().AddDevices(ctx, []models.CampaignDevice{{CampaignID: c2.ID, DeviceID: ids[0]}}); err != nil {
		t.Fatal(err)
	}
	by, err := st.Campaigns().ByDevice(ctx, ids[0])
	must(t, err)
	if len(by) != 2 || by[0].CampaignID != c2.ID || by[1].CampaignID != c.ID {
		t.Errorf("ByDevice = %+v", by)
	}
	must(t, st.Devices().Delete(ctx, ids[0]))
	if by, err := st.Campaigns().ByDevice(ctx, ids[0]); err != nil || len(by) != 0 {
		t.Errorf("rows of a deleted device: %+v %v", by, err)
	}
}
