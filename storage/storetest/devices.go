package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

func deviceNamed(endpoint string) models.Device {
	return models.Device{Endpoint: endpoint, Name: "Device " + endpoint}
}

func testDeviceCRUD(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	devs := st.Devices()

	cust := models.Customer{Name: "acme"}
	must(t, st.Customers().Create(ctx, &cust))
	prof := models.Profile{Name: "meter"}
	must(t, st.Profiles().Create(ctx, &prof))

	d := models.Device{Endpoint: "urn:imei:1", Name: "Meter 1", CustomerID: cust.ID, ProfileID: prof.ID,
		Labels: map[string]string{"site": "north", "kind": "meter"}}
	must(t, devs.Create(ctx, &d))
	if d.ID == 0 || d.Status != models.StatusNever || d.CreatedAt.IsZero() {
		t.Fatalf("create did not fill id, status and times: %+v", d)
	}
	got, err := devs.Get(ctx, d.ID)
	must(t, err)
	if !reflect.DeepEqual(got, d) {
		t.Errorf("Get = %+v\nwant %+v", got, d)
	}
	byEP, err := devs.GetByEndpoint(ctx, "urn:imei:1")
	must(t, err)
	if byEP.ID != d.ID {
		t.Errorf("GetByEndpoint id %d, want %d", byEP.ID, d.ID)
	}

	d.Name, d.CustomerID, d.Labels = "Renamed", 0, map[string]string{"site": "south"}
	must(t, devs.Update(ctx, &d))
	got, err = devs.Get(ctx, d.ID)
	must(t, err)
	if got.Name != "Renamed" || got.CustomerID != 0 || !reflect.DeepEqual(got.Labels, map[string]string{"site": "south"}) {
		t.Errorf("after update: %+v", got)
	}

	must(t, devs.SetStatus(ctx, d.ID, models.StatusOnline, T0))
	must(t, devs.SetStatus(ctx, d.ID, models.StatusAsleep, time.Time{}))
	got, err = devs.Get(ctx, d.ID)
	must(t, err)
	if got.Status != models.StatusAsleep {
		t.Errorf("status %q, want asleep", got.Status)
	}
	sameTime(t, "last seen (kept when the new one is zero)", got.LastSeen, T0)

	cred := models.Credential{DeviceID: d.ID, Mode: models.ModePSK, PSKIdentity: "id-1", PSKKey: []byte("k")}
	must(t, st.Credentials().Put(ctx, &cred))
	must(t, devs.Delete(ctx, d.ID))
	_, err = devs.Get(ctx, d.ID)
	wantErr(t, err, dm.ErrNotFound, "get deleted device")
	_, err = st.Credentials().Get(ctx, cred.ID)
	wantErr(t, err, dm.ErrNotFound, "credential of a deleted device")
	wantErr(t, devs.Delete(ctx, d.ID), dm.ErrNotFound, "delete twice")
	wantErr(t, devs.Update(ctx, &d), dm.ErrNotFound, "update deleted")
	wantErr(t, devs.SetStatus(ctx, d.ID, models.StatusOnline, T0), dm.ErrNotFound, "status of deleted")
}

func testDeviceList(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	devs := st.Devices()
	prof := models.Profile{Name: "p"}
	must(t, st.Profiles().Create(ctx, &prof))
	var ids []int64
	for i := range 25 {
		d := models.Device{Endpoint: fmt.Sprintf("ep-%02d", i), Name: fmt.Sprintf("Dev %d", i),
			Labels: map[string]string{"parity": []string{"even", "odd"}[i%2]}}
		if i < 5 {
			d.ProfileID = prof.ID
			d.Labels["zone"] = "a_b"
		}
		must(t, devs.Create(ctx, &d))
		ids = append(ids, d.ID)
	}
	must(t, devs.SetStatus(ctx, ids[3], models.StatusOnline, T0))

	// Walk all pages of 10.
	var seen []int64
	cursor := ""
	for range 10 {
		pg, err := devs.List(ctx, dm.DeviceFilter{}, dm.PageRequest{Cursor: cursor, Limit: 10})
		must(t, err)
		if pg.Total != 25 {
			t.Fatalf("total %d, want 25", pg.Total)
		}
		for _, d := range pg.Items {
			seen = append(seen, d.ID)
		}
		if cursor = pg.Next; cursor == "" {
			break
		}
	}
	if !reflect.DeepEqual(seen, ids) {
		t.Fatalf("pages gave %v, want %v", seen, ids)
	}

	count := func(f dm.DeviceFilter) int64 {
		t.Helper()
		pg, err := devs.List(ctx, f, dm.PageRequest{Limit: 100})
		must(t, err)
		if int64(len(pg.Items)) != pg.Total {
			t.Fatalf("filter %+v: %d items but total %d", f, len(pg.Items), pg.Total)
		}
		return pg.Total
	}
	for name, c := range map[string]struct {
		f    dm.DeviceFilter
		want int64
	}{
		"ids":             {dm.DeviceFilter{IDs: ids[:3]}, 3},
		"endpoints":       {dm.DeviceFilter{Endpoints: []string{"ep-01", "ep-07", "nope"}}, 2},
		"label":           {dm.DeviceFilter{Labels: map[string]string{"parity": "odd"}}, 12},
		"two labels":      {dm.DeviceFilter{Labels: map[string]string{"parity": "even", "zone": "a_b"}}, 3},
		"profile":         {dm.DeviceFilter{ProfileID: prof.ID}, 5},
		"status":          {dm.DeviceFilter{Statuses: []models.DeviceStatus{models.StatusOnline}}, 1},
		"statuses":        {dm.DeviceFilter{Statuses: []models.DeviceStatus{models.StatusOnline, models.StatusNever}}, 25},
		"search endpoint": {dm.DeviceFilter{Search: "EP-1"}, 10},
		"search name":     {dm.DeviceFilter{Search: "dev 2"}, 6},
		"search wildcard": {dm.DeviceFilter{Search: "_"}, 0},
		"combined":        {dm.DeviceFilter{Search: "ep-0", Labels: map[string]string{"parity": "odd"}, ProfileID: prof.ID}, 2},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("%s: %d devices, want %d", name, got, c.want)
		}
	}

	_, err := devs.List(ctx, dm.DeviceFilter{}, dm.PageRequest{Cursor: "garbage!"})
	wantErr(t, err, dm.ErrInvalid, "malformed cursor")
	_, err = devs.List(ctx, dm.DeviceFilter{}, dm.PageRequest{Limit: -1})
	wantErr(t, err, dm.ErrInvalid, "negative limit")
}

func testDeviceBadInput(t *testing.T, b Backend) {
	ctx := t.Context()
	st := b.Fresh(t)
	devs := st.Devices()
	newDevice(t, st, "dup")
	d := deviceNamed("dup")
	err := devs.Create(ctx, &d)
	wantErr(t, err, dm.ErrConflict, "duplicate endpoint")
	if !strings.Contains(err.Error(), `"dup"`) || !strings.Contains(err.Error(), "the endpoint is already taken") {
		t.Errorf("duplicate endpoint error %q does not say what and which", err)
	}
	d = models.Device{Endpoint: "x", ProfileID: 999}
	wantErr(t, devs.Create(ctx, &d), dm.ErrInvalid, "unknown profile")
	d = models.Device{Endpoint: "x", CustomerID: 999}
	wantErr(t, devs.Create(ctx, &d), dm.ErrInvalid, "unknown customer")
	d = models.Device{}
	wantErr(t, devs.Create(ctx, &d), dm.ErrInvalid, "empty endpoint")
	d = models.Device{Endpoint: "y", Status: "sleepy"}
	wantErr(t, devs.Create(ctx, &d), dm.ErrInvalid, "unknown status")
	d = models.Device{Endpoint: "z", Labels: map[string]string{"": "v"}}
	wantErr(t, devs.Create(ctx, &d), dm.ErrInvalid, "empty label key")
	_, err = devs.GetByEndpoint(ctx, "nope")
	wantErr(t, err, dm.ErrNotFound, "unknown endpoint")
	other := newDevice(t, st, "other")
	d = models.Device{ID: other, Endpoint: "dup"}
	wantErr(t, devs.Update(ctx, &d), dm.ErrConflict, "rename onto an existing endpoint")
	wantErr(t, devs.SetStatus(ctx, other, "bogus", T0), dm.ErrInvalid, "bogus status")
}
