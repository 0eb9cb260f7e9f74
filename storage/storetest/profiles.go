package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

func sampleSpec() models.ProfileSpec {
	pmin, pmax := uint32(10), uint32(300)
	gt := 25.5
	f := lwm2m.FormatSenMLCBOR
	return models.ProfileSpec{
		Observe: models.ObserveSpec{Strategy: models.ObserveCompositeAll, Targets: []models.ObserveTarget{
			{Path: lwm2m.MustPath("/3303/0/5700"), Attributes: lwm2m.Attributes{Pmin: &pmin, Pmax: &pmax, Gt: &gt}},
			{Path: lwm2m.MustPath("/3/0/9")},
		}},
		Telemetry:     []models.PathMapping{{Path: lwm2m.MustPath("/3303/0/5700"), Name: "temperature"}},
		Attributes:    []models.PathMapping{{Path: lwm2m.MustPath("/3/0/3"), Name: "firmware_version"}},
		Format:        &f,
		AwakeWindow:   models.Duration(20 * time.Second),
		Retry:         models.RetryPolicy{MaxAttempts: 5, Backoff: models.Duration(time.Minute), Multiplier: 2, MaxBackoff: models.Duration(time.Hour)},
		CommandExpiry: models.Duration(48 * time.Hour),
	}
}

func testProfiles(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	profs := st.Profiles()
	p := models.Profile{Name: "thermo", Description: "temperature sensors", Spec: sampleSpec()}
	must(t, profs.Create(ctx, &p))
	got, err := profs.Get(ctx, p.ID)
	must(t, err)
	if !reflect.DeepEqual(got, p) {
		t.Errorf("Get = %+v\nwant %+v", got, p)
	}
	byName, err := profs.GetByName(ctx, "thermo")
	must(t, err)
	if byName.ID != p.ID {
		t.Errorf("GetByName id %d", byName.ID)
	}
	dup := models.Profile{Name: "thermo"}
	wantErr(t, profs.Create(ctx, &dup), dm.ErrConflict, "duplicate profile name")
	wantErr(t, profs.Create(ctx, &models.Profile{}), dm.ErrInvalid, "empty name")

	p.Spec.TargetFirmware = &models.FirmwareTarget{Version: "2.0"}
	p.Spec.Observe.Targets = nil
	must(t, profs.Update(ctx, &p))
	got, err = profs.Get(ctx, p.ID)
	must(t, err)
	if got.Spec.TargetFirmware == nil || got.Spec.TargetFirmware.Version != "2.0" || len(got.Spec.Observe.Targets) != 0 {
		t.Errorf("after update spec = %+v", got.Spec)
	}

	d := models.Device{Endpoint: "uses-profile", ProfileID: p.ID}
	must(t, st.Devices().Create(ctx, &d))
	wantErr(t, profs.Delete(ctx, p.ID), dm.ErrConflict, "delete a profile in use")
	must(t, st.Devices().Delete(ctx, d.ID))
	must(t, profs.Delete(ctx, p.ID))
	_, err = profs.Get(ctx, p.ID)
	wantErr(t, err, dm.ErrNotFound, "deleted profile")

	for _, n := range []string{"a", "b", "c"} {
		must(t, profs.Create(ctx, &models.Profile{Name: n}))
	}
	pg, err := profs.List(ctx, dm.PageRequest{Limit: 2})
	must(t, err)
	if pg.Total != 3 || len(pg.Items) != 2 || pg.Next == "" || pg.Items[0].Name != "a" {
		t.Errorf("first page %+v", pg)
	}
	pg, err = profs.List(ctx, dm.PageRequest{Limit: 2, Cursor: pg.Next})
	must(t, err)
	if len(pg.Items) != 1 || pg.Next != "" || pg.Items[0].Name != "c" {
		t.Errorf("second page %+v", pg)
	}
}
